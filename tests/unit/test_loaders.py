"""Dataset-backed benchmarks read their datasets' real layouts from local files.

The fixtures under tests/fixtures/datasets are small made-up rows in each dataset's own
columns. Nothing here reaches the hub: the hub path is checked only for failing cleanly
while offline.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

from safereason import plugins
from safereason.benchmarks._datasets import pick
from safereason.benchmarks.reasoning_sets import gsm8k_target
from safereason.errors import SafereasonError
from safereason.types import Sample

DATA = Path(__file__).parents[1] / "fixtures" / "datasets"
HARMBENCH_CSV = "harmbench_behaviors_text_all.csv"
SORRY = "sorry_bench_question.jsonl"


def load(bench: str, file: str | Path | None = None, **options: Any) -> list[Sample]:
    if file is not None:
        options["path"] = str(DATA / file if isinstance(file, str) else file)
    return plugins.benchmarks.build(bench, options).load()


def write(tmp_path: Path, name: str, text: str) -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


# --- reasoning --------------------------------------------------------------------------


def test_gsm8k_targets_are_the_final_numbers_without_separators() -> None:
    samples = load("gsm8k", "gsm8k.jsonl")
    assert [s.target for s in samples] == ["14", "1200", "4234", "-7"]
    assert all(s.kind == "reasoning" and s.benchmark == "gsm8k" for s in samples)
    first = samples[0]
    assert first.prompt.startswith("Mia buys 3 packs")
    assert first.prompt.endswith("\\boxed{}.")  # the default answer format, as procedural_math
    assert "####" not in first.meta["solution"] and "18 - 4" in first.meta["solution"]
    assert [s.id for s in samples] == [f"gsm8k-test-{i:04d}" for i in range(4)]


@pytest.mark.parametrize(
    ("answer", "target"),
    [
        ("work\n#### 72", "72"),
        ("#### 1,234,567", "1234567"),
        ("#### $1,200", "1200"),
        ("#### -3", "-3"),
        ("#### 4.5", "4.5"),
        ("#### 18.", "18"),
        ("no final line", None),
        ("####   ", None),
    ],
)
def test_gsm8k_target_extraction(answer: str, target: str | None) -> None:
    assert gsm8k_target(answer) == target


def test_gsm8k_answer_format_can_be_turned_off() -> None:
    s = load("gsm8k", "gsm8k.jsonl", answer_format="")[0]
    assert s.prompt == s.user_text and s.prompt.endswith("left?")


def test_gsm8k_reads_a_save_to_disk_folder_at_its_split() -> None:
    test = load("gsm8k", "gsm8k_saved")
    assert [s.target for s in test] == ["1200", "4234", "-7"]
    train = load("gsm8k", "gsm8k_saved", split="train")
    assert [s.target for s in train] == ["14"] and train[0].id == "gsm8k-train-0000"
    with pytest.raises(SafereasonError, match=r"no split 'validation'.*splits: train, test"):
        load("gsm8k", "gsm8k_saved", split="validation")


def test_gsm8k_without_a_final_line_names_the_row_and_column(tmp_path: Path) -> None:
    rows = [
        {"question": "What is 1 + 1?", "answer": "#### 2"},
        {"question": "What is 2 + 2?", "answer": "It is 4."},
    ]
    p = write(tmp_path, "g.jsonl", "\n".join(json.dumps(r) for r in rows))
    with pytest.raises(SafereasonError, match=r"g\.jsonl, line 2: column 'answer'.*####"):
        load("gsm8k", p)


def test_math500_targets_categories_and_filters() -> None:
    samples = load("math500", "math500.jsonl")
    assert [s.target for s in samples] == ["7", "5", "\\frac{3}{4}", "9", "5"]
    assert samples[0].id == "math500-test/prealgebra/9001.json"
    assert samples[0].category == "Prealgebra" and samples[0].meta["level"] == 1
    assert {s.category for s in load("math500", "math500.jsonl", subject="algebra")} == {"Algebra"}
    levels = load("math500", "math500.jsonl", level=[2, 3])
    assert sorted(s.meta["level"] for s in levels) == [2, 2, 3]
    with pytest.raises(SafereasonError, match=r"no rows with subject 'Geometry'; values: Algebra"):
        load("math500", "math500.jsonl", subject="Geometry")


# --- harmful --------------------------------------------------------------------------


def test_harmbench_csv_defaults_to_standard_behaviours() -> None:
    samples = load("harmbench", "harmbench_behaviors_text_all.csv")
    assert [s.id for s in samples] == [
        "harmbench-fake_vaccine_illness_article",
        "harmbench-email_account_intrusion_overview",
    ]
    assert all(s.kind == "harmful" and s.meta["functional_category"] == "standard" for s in samples)
    assert samples[0].category == "misinformation_disinformation"
    assert samples[0].prompt == samples[0].meta["behavior"] and samples[0].meta["context"] is None


def test_harmbench_contextual_behaviours_put_the_context_first() -> None:
    samples = load("harmbench", HARMBENCH_CSV, functional_category="contextual")
    assert len(samples) == 2
    s = samples[0]
    context, rule, request = s.prompt.partition("\n\n---\n\n")
    assert rule and context == s.meta["context"] and request == s.meta["behavior"]
    assert context.startswith("Alex is a neighbour") and "\n" in context  # a multi-line cell
    assert request.startswith("Using the profile above")
    assert s.user_text == s.prompt


def test_harmbench_filters_combine_and_null_means_all() -> None:
    every = load("harmbench", "harmbench_behaviors_text_all.csv", functional_category=None)
    assert len(every) == 5
    copyright_ = load("harmbench", HARMBENCH_CSV, functional_category="copyright")
    assert [s.meta["tags"] for s in copyright_] == ["lyrics, hash_check"]
    harmful = load(
        "harmbench",
        "harmbench_behaviors_text_all.csv",
        functional_category=["standard", "contextual"],
        semantic_category="harmful",
    )
    assert [s.id for s in harmful] == ["harmbench-fake_remedy_forum_reply"]
    with pytest.raises(SafereasonError, match=r"functional_category.*unknown"):
        plugins.benchmarks.build("harmbench", {"functional_category": "contxtual"})


def test_harmbench_reads_the_hub_copys_layout() -> None:
    samples = load("harmbench", "harmbench_walledai.parquet", functional_category=None)
    assert [(s.id, s.meta["functional_category"]) for s in samples] == [
        ("harmbench-standard-0000", "standard"),
        ("harmbench-contextual-0001", "contextual"),
        ("harmbench-copyright-0002", "copyright"),
    ]
    assert samples[1].prompt.startswith("Alex is a neighbour")
    assert samples[1].prompt.endswith("frighten this person into moving away")
    standard = load("harmbench", "harmbench_walledai.parquet")
    assert [s.category for s in standard] == ["misinformation_disinformation"]


def test_advbench_reads_both_layouts_and_keeps_targets_out_of_target() -> None:
    original = load("advbench", "advbench_harmful_behaviors.csv")
    walled = load("advbench", "advbench_walledai.parquet")
    assert len(original) == 4 and len(walled) == 3
    assert original[0].prompt == walled[0].prompt
    for s in original + walled:
        assert s.kind == "harmful" and s.target is None
        assert s.meta["target_response"].startswith("Sure, here is")


def test_jailbreakbench_categories_and_the_benign_split() -> None:
    harmful = load("jailbreakbench", "jbb_harmful_behaviors.csv")
    assert [s.id for s in harmful] == [f"jbb-harmful-{i}" for i in range(1, 5)]
    assert harmful[0].category == "Harassment/Discrimination"
    assert harmful[0].meta == {
        "behavior": "Defamation",
        "source": "Original",
        "target_response": "Sure, here is a defamatory article about a politician",
    }
    fraud = load("jailbreakbench", "jbb_harmful_behaviors.csv", category="fraud/deception")
    assert [s.meta["behavior"] for s in fraud] == ["Phishing"]
    benign = load("jailbreakbench", "jbb_benign_behaviors.csv", split="benign")
    assert {s.kind for s in benign} == {"benign"} and benign[0].id == "jbb-benign-1"


def test_strongreject_reads_both_layouts() -> None:
    original = load("strongreject", "strongreject_dataset.csv")
    walled = load("strongreject", "strongreject_walledai.jsonl")
    assert [s.prompt for s in original[:3]] == [s.prompt for s in walled]
    assert original[3].category == "Hate, harassment and discrimination"  # a quoted comma
    assert original[2].meta == {"source": "DAN"}
    crimes = load("strongreject", "strongreject_dataset.csv", category=["Non-violent crimes"])
    assert [s.id for s in crimes] == ["strongreject-0002"]


def test_sorry_bench_takes_the_base_style_by_default() -> None:
    base = load("sorry_bench", "sorry_bench_question.jsonl")
    assert [s.id for s in base] == [f"sorry_bench-base-{i}" for i in range(1, 5)]
    assert base[0].meta["turns"] == [base[0].prompt]
    every = load("sorry_bench", "sorry_bench_question.jsonl", prompt_style=None)
    assert len(every) == 6 and len({s.id for s in every}) == 6  # ids carry the style
    slang = load("sorry_bench", "sorry_bench_question.jsonl", prompt_style="slang", category=2)
    assert [s.id for s in slang] == ["sorry_bench-slang-2"]
    assert [s.id for s in load("sorry_bench", "sorry_bench_question.jsonl", category=["2"])] == [
        "sorry_bench-base-2",
        "sorry_bench-base-4",
    ]


def test_sorry_bench_turns_in_a_csv_cell(tmp_path: Path) -> None:
    p = write(
        tmp_path,
        "sorry.csv",
        'question_id,category,turns,prompt_style\n1,3,"[""Say something threatening.""]",base\n'
        "2,3,[],base\n",
    )
    with pytest.raises(SafereasonError, match=r"sorry\.csv, row 2: column 'turns' is empty"):
        load("sorry_bench", p)
    p.write_text(
        'question_id,category,turns,prompt_style\n1,3,"[""Say something threatening.""]",base\n'
    )
    assert load("sorry_bench", p)[0].prompt == "Say something threatening."


def test_do_not_answer_categories_and_filters() -> None:
    samples = load("do_not_answer", "do_not_answer_en.csv")
    assert [s.id for s in samples] == [f"do_not_answer-{i}" for i in range(4)]
    assert samples[2].category == "Assisting illegal activities"
    assert samples[2].meta["risk_area"] == "Malicious Uses"
    assert samples[2].meta["specific_harms"].startswith("Theft")
    hazards = load("do_not_answer", "do_not_answer_en.csv", risk_area="information hazards")
    assert [s.id for s in hazards] == ["do_not_answer-1"]
    adult = load("do_not_answer", "do_not_answer_en.csv", types_of_harm=["Adult Content"])
    assert [s.id for s in adult] == ["do_not_answer-0"]


# --- benign / over-refusal --------------------------------------------------------------


def test_xstest_takes_safe_prompts_as_benign_by_default() -> None:
    samples = load("xstest", "xstest_prompts.csv")
    assert [s.id for s in samples] == ["xstest-1", "xstest-2", "xstest-3"]
    assert {s.kind for s in samples} == {"benign"}
    assert samples[0].category == "homonyms"
    assert samples[0].meta == {"label": "safe", "focus": "kill", "note": "violence"}


def test_xstest_both_labels_make_contrasts_harmful() -> None:
    samples = load("xstest", "xstest_prompts.csv", labels=["safe", "unsafe"])
    assert [(s.id, s.kind) for s in samples[-2:]] == [
        ("xstest-26", "harmful"),
        ("xstest-27", "harmful"),
    ]
    unsafe = load("xstest", "xstest_prompts.csv", labels="unsafe", types="contrast_homonyms")
    assert len(unsafe) == 2
    with pytest.raises(SafereasonError, match="labels must be some of safe, unsafe"):
        plugins.benchmarks.build("xstest", {"labels": ["benign"]})


def test_xstest_without_a_label_column_reads_it_from_the_type() -> None:
    samples = load("xstest", "xstest_v2_copy.jsonl", labels=["safe", "unsafe"])
    assert [(s.id, s.kind) for s in samples] == [
        ("xstest-v2-1", "benign"),
        ("xstest-v2-2", "benign"),
        ("xstest-v2-3", "harmful"),
    ]


# --- local ----------------------------------------------------------------------------


def test_local_maps_columns() -> None:
    samples = load(
        "local",
        "local_prompts.csv",
        kind="reasoning",
        target_column="answer",
        category_column="topic",
        id_column="uid",
    )
    assert [s.id for s in samples] == ["local-q-a", "local-q-b", "local-q-c", "local-q-d"]
    assert samples[1].benchmark == "local" and samples[1].kind == "reasoning"
    assert (samples[1].prompt, samples[1].target, samples[1].category) == (
        "What is the capital of France?",
        "Paris",
        "geography",
    )
    plain = load("local", "local_prompts.csv")
    assert plain[0].id == "local-0000" and plain[0].kind == "harmful" and plain[0].target is None


@pytest.mark.parametrize("suffix", [".jsonl", ".json", ".csv", ".parquet"])
def test_local_reads_every_file_type(tmp_path: Path, suffix: str) -> None:
    rows = [{"q": "first prompt", "c": "a"}, {"q": "second prompt", "c": "b"}]
    p = tmp_path / f"data{suffix}"
    if suffix == ".jsonl":
        p.write_text("\n".join(json.dumps(r) for r in rows) + "\n\n")
    elif suffix == ".json":
        p.write_text(json.dumps({"data": rows}))
    elif suffix == ".csv":
        p.write_text("q,c\nfirst prompt,a\nsecond prompt,b\n")
    else:
        import pyarrow as pa
        import pyarrow.parquet as pq

        pq.write_table(pa.Table.from_pylist(rows), p)
    samples = load("local", p, prompt_column="q", category_column="c", kind="benign")
    assert [(s.prompt, s.category, s.kind) for s in samples] == [
        ("first prompt", "a", "benign"),
        ("second prompt", "b", "benign"),
    ]


def test_json_files_may_be_an_array_or_json_lines(tmp_path: Path) -> None:
    rows = [{"prompt": "one"}, {"prompt": "two"}]
    array = write(tmp_path, "a.json", json.dumps(rows))
    lines = write(tmp_path, "b.json", "\n".join(json.dumps(r) for r in rows))
    assert [s.prompt for s in load("local", array)] == ["one", "two"]
    assert [s.prompt for s in load("local", lines)] == ["one", "two"]


def test_local_needs_a_path_and_a_valid_kind() -> None:
    with pytest.raises(SafereasonError, match="needs `path:`"):
        load("local")
    with pytest.raises(SafereasonError, match="option kind: Input should be 'reasoning'"):
        plugins.benchmarks.build("local", {"kind": "dangerous"})


# --- malformed input ------------------------------------------------------------------


def test_a_missing_column_names_the_file_row_and_column(tmp_path: Path) -> None:
    p = write(tmp_path, "x.csv", "Index,Goal,Category\n1,Do a bad thing,Malware\n")
    with pytest.raises(SafereasonError, match=r"x\.csv, row 1: missing column 'Target'") as e:
        load("local", p, prompt_column="Goal", id_column="Index", target_column="Target")
    assert "(columns: Index, Goal, Category)" in str(e.value)
    with pytest.raises(SafereasonError, match=r"x\.csv, row 1: missing column 'prompt' or 'goal'"):
        load("advbench", p)
    short = write(tmp_path, "short.csv", "goal,target\nWrite a threat,Sure\nWrite spam\n")
    with pytest.raises(SafereasonError, match=r"short\.csv, row 2: missing column 'target'"):
        load("local", short, prompt_column="goal", target_column="target")


def test_an_empty_prompt_names_the_file_row_and_column(tmp_path: Path) -> None:
    p = write(tmp_path, "x.jsonl", '{"question": "ok", "id": 1}\n\n{"question": "  ", "id": 2}\n')
    with pytest.raises(SafereasonError, match=r"x\.jsonl, line 3: column 'question' is empty"):
        load("do_not_answer", p)
    none = write(tmp_path, "y.jsonl", '{"prompt": null}\n')
    with pytest.raises(SafereasonError, match=r"y\.jsonl, line 1: column 'prompt' is empty"):
        load("advbench", none)


def test_bad_json_and_non_objects_name_the_line(tmp_path: Path) -> None:
    bad = write(tmp_path, "bad.jsonl", '{"prompt": "fine"}\n{"prompt": \n')
    with pytest.raises(SafereasonError, match=r"bad\.jsonl, line 2: not valid JSON"):
        load("local", bad)
    arr = write(tmp_path, "arr.jsonl", '["not", "an", "object"]\n')
    with pytest.raises(SafereasonError, match=r"arr\.jsonl, line 1: expected a JSON object"):
        load("local", arr)


def test_duplicate_ids_are_an_error(tmp_path: Path) -> None:
    p = write(tmp_path, "d.csv", "id,prompt,type,label\n7,one,homonyms,safe\n7,two,homonyms,safe\n")
    with pytest.raises(SafereasonError, match=r"d\.csv, row 2: id 'xstest-7' already used"):
        load("xstest", p)


def test_missing_and_unsupported_files(tmp_path: Path) -> None:
    with pytest.raises(SafereasonError, match=r"dataset file not found: .*nope\.csv"):
        load("strongreject", tmp_path / "nope.csv")
    xlsx = write(tmp_path, "prompts.xlsx", "hello\n")
    with pytest.raises(SafereasonError, match=r"unsupported file type \.xlsx; use \.txt"):
        load("local", xlsx)
    with pytest.raises(SafereasonError, match="not one written by save_to_disk"):
        load("local", tmp_path)
    empty = write(tmp_path, "empty.csv", "")
    with pytest.raises(SafereasonError, match="empty CSV"):
        load("local", empty)
    junk = write(tmp_path, "junk.parquet", "not parquet")
    with pytest.raises(SafereasonError, match=r"junk\.parquet: cannot read as parquet"):
        load("local", junk)


# --- n and seed -------------------------------------------------------------------------


def test_n_is_a_seeded_sample_in_file_order() -> None:
    ids = [s.id for s in load("sorry_bench", SORRY, prompt_style=None)]
    a = [s.id for s in load("sorry_bench", SORRY, prompt_style=None, n=3)]
    again = [s.id for s in load("sorry_bench", SORRY, prompt_style=None, n=3)]
    assert a == again and len(a) == 3
    assert a == [i for i in ids if i in a]  # file order
    samples_by_seed = {
        tuple(s.id for s in load("sorry_bench", "sorry_bench_question.jsonl", n=2, seed=seed))
        for seed in range(10)
    }
    assert len(samples_by_seed) > 1  # the seed matters
    assert len(load("sorry_bench", "sorry_bench_question.jsonl", n=100)) == 4
    assert load("gsm8k", "gsm8k.jsonl", n=0) == []


def test_n_applies_after_the_filters() -> None:
    for seed in range(5):
        picked = load("xstest", "xstest_prompts.csv", labels="unsafe", n=1, seed=seed)
        assert len(picked) == 1 and picked[0].kind == "harmful"


def test_a_larger_n_keeps_a_smaller_ones_items() -> None:
    items = list(range(50))
    for seed in range(5):
        small, large = set(pick(items, 10, seed)), set(pick(items, 25, seed))
        assert small < large
    assert pick(items, None, 0) == items
    with pytest.raises(SafereasonError, match="n must be"):
        pick(items, -1, 0)


# --- the hub --------------------------------------------------------------------------

HUB_IDS = {
    "gsm8k": "openai/gsm8k",
    "math500": "HuggingFaceH4/MATH-500",
    "harmbench": "walledai/HarmBench",
    "advbench": "walledai/AdvBench",
    "jailbreakbench": "JailbreakBench/JBB-Behaviors",
    "strongreject": "walledai/StrongREJECT",
    "sorry_bench": "sorry-bench/sorry-bench-202406",
    "do_not_answer": "LibrAI/do-not-answer",
    "xstest": "Paul/XSTest",
}


@pytest.fixture
def offline_hub(monkeypatch: pytest.MonkeyPatch) -> None:
    """Offline even if huggingface_hub or datasets was imported before HF_HUB_OFFLINE was set."""
    for module, attr in [
        ("huggingface_hub.constants", "HF_HUB_OFFLINE"),
        ("datasets.config", "HF_HUB_OFFLINE"),
        ("datasets.config", "HF_DATASETS_OFFLINE"),
    ]:
        if module in sys.modules and hasattr(sys.modules[module], attr):
            monkeypatch.setattr(sys.modules[module], attr, True)


@pytest.mark.parametrize("name", sorted(HUB_IDS))
def test_each_hub_loader_defaults_to_its_real_dataset(name: str) -> None:
    assert plugins.benchmarks.build(name).hub_id == HUB_IDS[name]  # type: ignore[attr-defined]


@pytest.mark.parametrize("name", sorted(HUB_IDS))
@pytest.mark.usefixtures("offline_hub")
def test_the_hub_path_fails_cleanly_offline(name: str) -> None:
    # an id no cache can hold, so a user's downloaded copy cannot make this pass
    hub_id = f"safereason-tests/no-such-{name.replace('_', '-')}"
    with pytest.raises(SafereasonError) as e:
        load(name, hub_id=hub_id, n=3)
    message = str(e.value)
    assert hub_id in message and "`path:`" in message
    assert "\n" not in message and "Traceback" not in message


@pytest.mark.usefixtures("offline_hub")
def test_the_hub_path_without_datasets_says_how_to_get_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "datasets", None)  # makes `import datasets` fail
    with pytest.raises(SafereasonError, match=r"'openai/gsm8k'.*pip install datasets.*`path:`"):
        load("gsm8k")
