"""Reasoning methods: what each does to the messages, and multi-sample aggregation."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from safereason import plugins
from safereason.experiment_file import load_experiment
from safereason.resources import data_jsonl, data_yaml
from safereason.runner import Runner
from safereason.store import Store
from safereason.types import Completion, GenParams, Sample
from tests.conftest import fake_experiment

Q = Sample.from_prompt("q1", "b", "reasoning", "What is 6 x 7?", target="42")


def build(name: str, **opts: object):  # type: ignore[no-untyped-def]
    return plugins.methods.build(name, opts)


def test_direct_and_cot_cues() -> None:
    assert build("direct").apply(Q).user_text.startswith("What is 6 x 7?\n\nAnswer directly")
    assert build("zero_shot_cot").apply(Q).user_text.endswith("Let's think step by step.")
    assert "devise a plan" in build("plan_and_solve").apply(Q).user_text
    assert "could help someone cause harm" in build("reflective_cot").apply(Q).user_text


def test_safety_system_prompt_sets_system_turn() -> None:
    s = build("safety_system_prompt").apply(Q)
    assert s.messages[0].role == "system" and "harm" in s.messages[0].content
    assert s.user_text == Q.prompt


def test_few_shot_cot_adds_k_exemplar_pairs() -> None:
    s = build("few_shot_cot", k=3).apply(Q)
    roles = [m.role for m in s.messages]
    assert roles == ["user", "assistant"] * 3 + ["user"]
    assert all("\\boxed{" in m.content for m in s.messages if m.role == "assistant")
    assert s.prompt == Q.prompt and s.user_text.startswith(Q.prompt)


def test_safety_aware_cot_mixes_refusal_exemplars() -> None:
    s = build("safety_aware_cot", k_math=1, k_safety=2).apply(Q)
    answers = [m.content for m in s.messages if m.role == "assistant"]
    assert len(answers) == 3
    assert answers[0].rstrip().endswith(".") and "\\boxed" not in answers[0]  # safety first
    assert sum("\\boxed" in a for a in answers) == 1
    flipped = build("safety_aware_cot", k_math=1, k_safety=1, safety_first=False).apply(Q)
    assert "\\boxed" in flipped.messages[1].content


def test_exemplars_are_disjoint_from_the_harmful_starter_set() -> None:
    starter = {r["prompt"].strip().lower() for r in data_jsonl("harmful_starter.jsonl")}
    for ex in data_yaml("exemplars.yaml")["safety"]:
        assert ex["question"].strip().lower() not in starter


def test_too_many_exemplars_is_a_clear_error() -> None:
    import pytest

    from safereason.errors import SafereasonError

    with pytest.raises(SafereasonError, match="only 8 math exemplars"):
        build("few_shot_cot", k=50)


def test_thinking_modes() -> None:
    assert build("thinking", mode="off").apply(Q).user_text.endswith(" /no_think")
    assert build("thinking", mode="on").apply(Q).user_text.endswith(" /think")
    z = build("thinking", mode="zerothink").apply(Q)
    assert z.messages[-1].role == "assistant" and z.messages[-1].content.startswith("<think>")
    lt = build("thinking", mode="lessthink").apply(Q)
    assert len(lt.messages[-1].content) > len(z.messages[-1].content)
    b = build("thinking", mode="budget", budget=64)
    assert b.params(GenParams(), 0).thinking_budget == 64
    assert build("thinking", mode="off").params(GenParams(), 0).thinking_budget is None


def test_self_consistency_majority_vote() -> None:
    sc = build("self_consistency", k=5)
    comps = [
        Completion(key=str(i), text=t, completion_tokens=10)
        for i, t in enumerate(
            ["\\boxed{41}", "so 42.", "the answer is 42", "\\boxed{41.0}", "\\boxed{42}"]
        )
    ]
    agg = sc.aggregate(Q, comps)
    assert agg.text == "so 42." and agg.meta["picked"] == 1
    assert agg.completion_tokens == 50 and agg.meta["votes"]["42.0"] == 3
    params = [sc.params(GenParams(seed=3), i) for i in range(3)]
    assert [p.seed for p in params] == [3, 4, 5] and params[0].temperature == 0.7


def test_self_consistency_in_a_run(tmp_path: Path, write_yaml: Callable[..., Path]) -> None:
    exp = load_experiment(
        write_yaml(fake_experiment(tmp_path, methods=[{"name": "self_consistency", "k": 3}]))
    )
    out = Runner(exp, tmp_path / "run", progress=False).run()
    assert out.plan_size == 7 and out.unique_requests == 21
    store = Store(tmp_path / "run" / "store.sqlite")
    rows = store.results()
    assert all(r.completion is not None and r.completion.meta["k"] == 3 for r in rows)
    assert all(r.verdicts for r in rows)
    again = Runner(exp, tmp_path / "run", progress=False).run()
    assert again.generated == 0


def test_prefill_is_continued_by_the_fake_backend(
    tmp_path: Path, write_yaml: Callable[..., Path]
) -> None:
    exp = load_experiment(
        write_yaml(fake_experiment(tmp_path, methods=[{"name": "thinking", "mode": "zerothink"}]))
    )
    Runner(exp, tmp_path / "run", progress=False).run()
    rows = Store(tmp_path / "run" / "store.sqlite").results()
    comps = [r.completion for r in rows if r.completion is not None]
    assert len(comps) == len(rows)
    assert all(c.reasoning == "" for c in comps)  # the empty forced trace
    assert all("<think>" not in c.text for c in comps)
