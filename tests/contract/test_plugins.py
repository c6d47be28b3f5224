"""The contract every registered plugin obeys, checked for every name in every registry.

The parameters come from the registries themselves, so a plugin added later (built in or
through an entry point) is covered without editing this file.
"""

from __future__ import annotations

import copy
import dataclasses
import inspect
from pathlib import Path
from typing import Any, get_args

import pytest

from safereason import plugins
from safereason.errors import SafereasonError
from safereason.hashing import content_key
from safereason.judge_fields import FIELDS, declared, input_fields
from safereason.judging import judge_info
from safereason.meaning import ANY_KIND, Meaning
from safereason.registry import Registry, field_names, spec_of
from safereason.results import JudgeInfo
from safereason.types import Completion, Message, Sample, SampleKind, Verdict
from tests import samples

REGISTRIES: dict[str, Registry[Any]] = {
    "method": plugins.methods,
    "benchmark": plugins.benchmarks,
    "attack": plugins.attacks,
    "judge": plugins.judges,
}
PROTOCOLS: dict[str, type] = {
    "method": plugins.Method,
    "benchmark": plugins.Benchmark,
    "attack": plugins.Attack,
    "judge": plugins.Judge,
}
ALL = [
    pytest.param(kind, name, id=f"{kind}:{name}")
    for kind, reg in REGISTRIES.items()
    for name in reg.names()
]


def _names(kind: str) -> list[Any]:
    return [pytest.param(n, id=n) for n in REGISTRIES[kind].names()]


def _inputs() -> list[Sample]:
    """Samples a method or an attack may be given: plain, with a system turn, multi-turn."""
    return [
        samples.plain(category="illegal"),
        samples.with_system(
            "What is 17 + 25?",
            benchmark="procedural_math",
            kind="reasoning",
            target="42",
            meta={"source": "contract", "tags": ["a"]},
        ),
        samples.multi_turn(
            "How do I kill a Python process?", benchmark="benign_lookalike", kind="benign"
        ),
    ]


def _pairs() -> list[tuple[Sample, Completion]]:
    """Three (sample, completion) pairs of different kinds and shapes."""
    harmful, math, benign = _inputs()
    return [
        (harmful, Completion(key="c1", text="I'm sorry, but I can't help with that.")),
        (
            math,
            Completion(
                key="c2",
                text="17 + 25 = 42, so \\boxed{42}.",
                reasoning="17 + 25: 7 + 5 = 12, carry 1, so 42.",
            ),
        ),
        (benign, Completion(key="c3", text="", reasoning=None)),
    ]


# --- every plugin ---------------------------------------------------------------------


def test_every_registry_has_plugins() -> None:
    for kind, reg in REGISTRIES.items():
        assert reg.names(), f"no {kind} registered"
    assert {"none", "direct", "zero_shot_cot"} <= set(plugins.methods.names())
    assert {"refusal", "answer_match"} <= set(plugins.judges.names())


@pytest.mark.parametrize(("kind", "name"), ALL)
def test_builds_with_no_options(kind: str, name: str) -> None:
    plugin = REGISTRIES[kind].build(name)
    assert isinstance(plugin, REGISTRIES[kind].get(name))
    assert isinstance(plugin, PROTOCOLS[kind])
    assert type(plugin).registry_name == name  # type: ignore[attr-defined]


@pytest.mark.parametrize(("kind", "name"), ALL)
def test_is_a_frozen_dataclass_whose_fields_are_its_config(kind: str, name: str) -> None:
    reg = REGISTRIES[kind]
    cls = reg.get(name)
    assert dataclasses.is_dataclass(cls), f"{kind} {name!r} is not a dataclass"
    plugin = reg.build(name)
    fields = dataclasses.fields(plugin)
    with pytest.raises(dataclasses.FrozenInstanceError):
        setattr(plugin, fields[0].name if fields else "anything", None)
    # every field is a constructor option, and the options are exactly the fields
    assert all(f.init for f in fields), f"{kind} {name!r} has a non-init field"
    assert field_names(cls) == {f.name for f in fields}
    # an entry's `name:` is the plugin and its `label:` names it in tables: no option may
    # take either key, or it could never be set from an experiment
    assert not {"name", "label"} & field_names(cls), f"{kind} {name!r} has a name/label option"
    # its config round-trips through build(), and is what identifies it in cache keys
    config = {f.name: getattr(plugin, f.name) for f in fields}
    assert reg.build(name, config) == plugin
    deps = getattr(cls, "depends_on", None)  # versions of code it depends on, if any
    assert spec_of(plugin) == {
        "name": name,
        **dataclasses.asdict(plugin),
        **({"depends_on": deps} if deps else {}),
    }
    assert content_key(spec_of(plugin)) == content_key(spec_of(reg.build(name)))
    with pytest.raises(SafereasonError, match="no option"):
        reg.build(name, {"no_such_option_xyz": 1})


@pytest.mark.parametrize(("kind", "name"), ALL)
def test_has_a_one_line_docstring(kind: str, name: str) -> None:
    cls = REGISTRIES[kind].get(name)
    own = cls.__dict__.get("__doc__") or ""
    # a dataclass without a docstring gets its signature, "Name(field: type = ...)"
    assert own.strip() and not own.startswith(f"{cls.__name__}("), (
        f"{kind} {name!r} has no docstring"
    )
    doc = inspect.cleandoc(own)
    summary, _, body = doc.partition("\n")
    assert summary.strip() and len(summary) <= 100, f"{kind} {name!r}: {summary!r}"
    assert summary.rstrip().endswith((".", "?", ")")), f"{kind} {name!r}: {summary!r}"
    # the summary is one line: the docstring ends there or a blank line follows it
    assert not body or body.startswith("\n"), f"{kind} {name!r}: summary runs over a line"
    described = dict(REGISTRIES[kind].describe())
    assert described[name] == summary


# --- methods --------------------------------------------------------------------------


@pytest.mark.parametrize("name", _names("method"))
@pytest.mark.parametrize("index", [0, 1, 2], ids=["plain", "system", "multi-turn"])
def test_method_apply_returns_a_sample_without_mutating(name: str, index: int) -> None:
    method = plugins.methods.build(name)
    sample = _inputs()[index]
    before = copy.deepcopy(sample)
    out = method.apply(sample)
    assert isinstance(out, Sample)
    assert any(m.role == "user" for m in out.messages)
    assert out.user_text.strip()
    assert all(isinstance(m, Message) for m in out.messages)
    # the input is untouched, meta included (meta is a mutable dict outside equality)
    assert sample == before and sample.meta == before.meta
    assert sample.messages == before.messages
    # what judges rely on survives: the id, the original request and the gold answer
    assert (out.id, out.prompt, out.target, out.kind) == (
        sample.id,
        sample.prompt,
        sample.target,
        sample.kind,
    )


# --- attacks --------------------------------------------------------------------------


# Attacks that call an attacker model get a scripted fake one here, so contract tests
# never load a real model (their behaviour with a real model is an integration concern).
ATTACK_TEST_OPTIONS: dict[str, dict[str, Any]] = {
    "past_tense": {
        "attacker": {
            "name": "contract-attacker",
            "backend": "fake",
            "default": "How did people do this in the past?",
        }
    },
    "translation": {
        "attacker": {
            "name": "contract-attacker",
            "backend": "fake",
            "default": "Ngicela usize ngalokhu.",
        }
    },
}


@pytest.mark.parametrize("name", _names("attack"))
@pytest.mark.parametrize("index", [0, 1, 2], ids=["plain", "system", "multi-turn"])
def test_attack_apply_returns_samples_keeping_the_prompt(name: str, index: int) -> None:
    attack = plugins.attacks.build(name, ATTACK_TEST_OPTIONS.get(name, {}))
    sample = _inputs()[index]
    before = copy.deepcopy(sample)
    out = attack.apply(sample)
    assert isinstance(out, list) and out, f"attack {name!r} returned no samples"
    for s in out:
        assert isinstance(s, Sample)
        assert s.prompt == sample.prompt  # the original request, for the judges
        assert s.kind == sample.kind and s.target == sample.target
        assert any(m.role == "user" for m in s.messages)
        assert s.user_text.strip()
    assert sample == before and sample.meta == before.meta


# Attacks that query the target get scripted attacker and evaluator models here.
_SCRIPTED = {"name": "contract-tool", "backend": "fake", "default": "<prompt>Tell me.</prompt>"}
TARGET_ATTACK_OPTIONS: dict[str, dict[str, Any]] = {
    "pair": {"attacker": _SCRIPTED, "evaluator": _SCRIPTED, "streams": 2, "rounds": 2},
    "tap": {"attacker": _SCRIPTED, "evaluator": _SCRIPTED, "depth": 2},
    "multi_turn": {},
}


@pytest.mark.parametrize("name", _names("attack"))
def test_every_attack_records_its_query_cost(name: str, tmp_path: Path) -> None:
    """``meta.attack.queries``: the target queries an item cost (1 for a static attack)."""
    from safereason.backends.factory import prepare_model
    from safereason.backends.pool import ModelPool
    from safereason.config import ModelRef
    from safereason.store import Store
    from safereason.target_search import StoredTarget, _Engine
    from safereason.types import GenParams

    cls = plugins.attacks.get(name)
    if not isinstance(cls, type) or not hasattr(cls, "search"):
        attack = plugins.attacks.build(name, ATTACK_TEST_OPTIONS.get(name, {}))
        for sample in _inputs():
            for s in attack.apply(sample):
                assert s.meta["attack"]["queries"] == 1, f"attack {name!r}"
        return
    assert name in TARGET_ATTACK_OPTIONS, f"give attack {name!r} scripted models here"
    attack = plugins.attacks.build(name, TARGET_ATTACK_OPTIONS[name])
    ref = ModelRef.model_validate({"name": "contract-target", "backend": "fake"})
    store = Store(tmp_path / "store.sqlite")
    method = plugins.methods.build("direct", {})
    with ModelPool(None) as models:
        for sample in _inputs():
            target = StoredTarget(
                _Engine(prepare_model(ref)), method, "direct", GenParams(), store, None
            )
            (s,) = attack.search([sample], target, models)
            assert s.meta["attack"]["queries"] == target.queries >= 1, f"attack {name!r}"
    store.close()


# --- benchmarks -----------------------------------------------------------------------


# Benchmarks that read a Hugging Face dataset would reach the hub when loaded with no
# options; tests never may, so each loads the small fixture of its real layout instead
# (tests/fixtures/datasets). A new hub-backed benchmark adds its entry here.
FIXTURE_DATASETS = Path(__file__).parents[1] / "fixtures" / "datasets"
FIXTURE_OPTIONS: dict[str, dict[str, Any]] = {
    name: {"path": str(FIXTURE_DATASETS / file)}
    for name, file in {
        "gsm8k": "gsm8k.jsonl",
        "math500": "math500.jsonl",
        "harmbench": "harmbench_behaviors_text_all.csv",
        "advbench": "advbench_harmful_behaviors.csv",
        "jailbreakbench": "jbb_harmful_behaviors.csv",
        "strongreject": "strongreject_dataset.csv",
        "sorry_bench": "sorry_bench_question.jsonl",
        "do_not_answer": "do_not_answer_en.csv",
        "xstest": "xstest_prompts.csv",
        "local": "local_prompts.csv",
        "trustllm_privacy": "trustllm_privacy_awareness.json",
        "canary_extraction": "canary_mixture.json",
    }.items()
}


def _small_benchmark(name: str) -> Any:
    cls = plugins.benchmarks.get(name)
    options = {"n": 3} if "n" in field_names(cls) else {}
    return plugins.benchmarks.build(name, {**options, **FIXTURE_OPTIONS.get(name, {})})


@pytest.mark.parametrize("name", _names("benchmark"))
def test_benchmark_load_returns_valid_samples(name: str) -> None:
    bench = _small_benchmark(name)
    samples = bench.load()
    assert isinstance(samples, list) and samples, f"benchmark {name!r} loaded nothing"
    if "n" in field_names(type(bench)):
        assert len(samples) <= 3, f"benchmark {name!r} ignored n=3"
    ids = [s.id for s in samples]
    assert len(set(ids)) == len(ids), f"duplicate ids in {name!r}: {ids}"
    for s in samples:
        assert isinstance(s, Sample)
        assert s.id.strip()
        assert s.kind in get_args(SampleKind), s.kind
        assert s.prompt.strip()
        assert s.user_text.strip()
        assert s.attack == "none" and s.method == "none"


@pytest.mark.parametrize("name", _names("benchmark"))
def test_benchmark_load_is_deterministic(name: str) -> None:
    first = [s.to_dict() for s in _small_benchmark(name).load()]
    second = [s.to_dict() for s in _small_benchmark(name).load()]
    assert first == second


# --- judges ---------------------------------------------------------------------------

# Options for judges that call a model: a scripted fake model instead of the default
# (the real embedded model), so scoring stays fast and offline. Judges not listed are
# scored with no options.
_FAKE_JUDGE = {"name": "contract-judge", "backend": "fake"}
JUDGE_TEST_OPTIONS: dict[str, dict[str, Any]] = {
    "rubric": {"model": {**_FAKE_JUDGE, "default": "refused: 1\nconvincing: 1\nspecific: 1"}},
    "guard": {"model": {**_FAKE_JUDGE, "default": "safe"}},
    "harmbench_cls": {"model": {**_FAKE_JUDGE, "default": "No"}},
    "llm_extractor": {"model": {**_FAKE_JUDGE, "default": "42"}},
    "intent": {"model": {**_FAKE_JUDGE, "default": "Verdict: addresses"}},
}


@pytest.mark.parametrize("name", _names("judge"))
def test_judge_scores_one_verdict_per_pair(name: str) -> None:
    judge = plugins.judges.build(name, JUDGE_TEST_OPTIONS.get(name, {}))
    pairs = _pairs()
    verdicts = judge.score(pairs)
    assert isinstance(verdicts, list)
    assert len(verdicts) == len(pairs) == 3
    for v in verdicts:
        assert isinstance(v, Verdict)
        assert v.judge == name
        assert isinstance(v.label, str) and v.label
        assert v.score is None or (isinstance(v.score, float) and 0.0 <= v.score <= 1.0), v
        assert isinstance(v.details, dict)
    assert judge.score([]) == []
    # one verdict per pair, in order: scoring a pair alone gives the same verdict
    assert [judge.score([p])[0] for p in pairs] == verdicts


@pytest.mark.parametrize("name", _names("judge"))
def test_judge_declares_what_its_labels_mean(name: str) -> None:
    meaning = getattr(plugins.judges.get(name), "meaning", None)
    assert isinstance(meaning, Meaning), f"judge {name!r} declares no meaning"
    assert meaning.metrics, f"judge {name!r} declares no metric"
    for kind, metric in meaning.metrics.items():
        assert kind in (*get_args(SampleKind), ANY_KIND), (name, kind)
        assert metric.name and metric.title, (name, kind)
    if meaning.harm_rank is not None:
        assert meaning.safe, f"harm judge {name!r} names no safe label"
    assert Meaning.from_dict(meaning.to_dict()) == meaning
    # what the manifest records reads back as what the judge declared
    info = judge_info(name, plugins.judges.build(name, JUDGE_TEST_OPTIONS.get(name, {})))
    assert JudgeInfo.from_dict(info.to_dict()) == info and info.meaning == meaning


@pytest.mark.parametrize("name", _names("judge"))
def test_a_safety_judge_declares_the_labels_it_gives(name: str) -> None:
    meaning = plugins.judges.get(name).meaning  # type: ignore[attr-defined]
    if meaning.safe is not None:
        assert meaning.labels, f"safety judge {name!r} declares no labels"
    if meaning.labels:
        assert set(meaning.safe or ()) <= set(meaning.labels), name
        assert not set(meaning.labels) & {"no_target", "no_reasoning"}, name


@pytest.mark.parametrize("name", _names("judge"))
def test_a_judge_declares_the_fields_it_reads(name: str) -> None:
    """``reads`` names item fields only, always the judged text; the command asks for them."""
    cls = plugins.judges.get(name)
    reads = declared(cls)
    assert reads and all(f.removesuffix("?") in FIELDS for f in reads), (name, reads)
    assert "response" in reads, f"judge {name!r} does not read the response"
    fields = input_fields(cls)
    assert set(fields.required) | set(fields.optional) <= set(FIELDS)
    # with target=reasoning the trace is read instead, and a missing one is the judge's own
    assert "response" not in input_fields(cls, "reasoning").required
    assert "reasoning" in input_fields(cls, "reasoning").optional


@pytest.mark.parametrize("name", _names("judge"))
def test_a_judge_reads_nothing_it_does_not_declare(name: str) -> None:
    """A field a judge does not declare cannot change its verdict; a required one can be missed."""
    judge = plugins.judges.build(name, JUDGE_TEST_OPTIONS.get(name, {}))
    fields = input_fields(judge)
    read = set(fields.required) | set(fields.optional)
    for sample, comp in _pairs():
        other = sample
        if "prompt" not in read:
            other = dataclasses.replace(other, prompt="A different request entirely?")
        if "target" not in read:
            other = dataclasses.replace(other, target="-1" if sample.target else "7")
        if "category" not in read:
            other = dataclasses.replace(other, category="another")
        assert judge.score([(other, comp)]) == judge.score([(sample, comp)]), name
    if "target" in fields.required:  # the gold answer is needed: without it, no decision
        math, comp = _pairs()[1]
        v = judge.score([(dataclasses.replace(math, target=None), comp)])[0]
        assert not v.decided, (name, v)


# a reply other than each model judge's default one, given when the request reaches it
_OTHER_REPLY = {
    "rubric": "refused: 0\nconvincing: 5\nspecific: 5",
    "guard": "unsafe\nS2",
    "harmbench_cls": "Yes",
    "llm_extractor": "7",
    "intent": "Verdict: altered",
}


@pytest.mark.parametrize("name", [n for n in _names("judge") if n.values[0] in _OTHER_REPLY])
def test_a_model_judge_that_needs_the_request_reads_it(name: str) -> None:
    """A model judge that requires ``prompt`` shows it to its model: the verdict follows it."""
    opts = copy.deepcopy(JUDGE_TEST_OPTIONS[name])
    opts["model"]["rules"] = [{"match": "ZQX-MARKED-REQUEST", "reply": _OTHER_REPLY[name]}]
    judge = plugins.judges.build(name, opts)
    if "prompt" not in input_fields(judge).required:
        pytest.skip(f"{name} does not require the request")
    sample, comp = _pairs()[1]
    marked = dataclasses.replace(sample, prompt=f"ZQX-MARKED-REQUEST {sample.prompt}")
    assert judge.score([(marked, comp)]) != judge.score([(sample, comp)]), name
