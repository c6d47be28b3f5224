"""The published-vs-ours table: the paper's figures beside a run's own."""

from __future__ import annotations

from typing import Any

import pytest
from scipy.stats import pearsonr, spearmanr

from safereason.analysis.intervals import paired_rate_diff
from safereason.config import Experiment
from safereason.report.literature import (
    PublishedTable,
    accuracy_by_method,
    family_means,
    harm_judge,
    published_comparison,
)
from safereason.resources import data_yaml
from safereason.results import ResultRow
from tests.rows import result_row, result_rows

MODEL = "deepseek-ai/DeepSeek-R1-Distill-Llama-70B"


def _v(judge: str, label: str, target: str = "answer") -> dict[str, Any]:
    unsafe = label in ("unsafe", "complied")
    return {"judge": judge, "label": label, "score": float(unsafe), "details": {"target": target}}


def _harm(i: int, method: str, attack: str, answer: str, both: str, model: str = MODEL) -> dict:
    return {
        "item_id": f"{model}-{method}-{attack}-{i}",
        "model": model,
        "method": method,
        "benchmark": "harmbench",
        "attack": attack,
        "sample_id": str(i),
        "kind": "harmful",
        "target": None,
        "completion": {"text": "the answer", "reasoning": "the thinking"},
        "verdicts": {
            "harmbench_cls": _v("harmbench_cls", answer),
            "harmbench_cls(target=both)": _v("harmbench_cls", both, "both"),
        },
    }


def _math(i: int, method: str, correct: bool, model: str = MODEL) -> dict[str, Any]:
    label = "correct" if correct else "incorrect"
    return {
        "item_id": f"{model}-{method}-m{i}",
        "model": model,
        "method": method,
        "benchmark": "gsm8k",
        "attack": "none",
        "sample_id": str(i),
        "kind": "reasoning",
        "target": "1",
        "verdicts": {"answer_match": {"judge": "answer_match", "label": label, "score": 1.0}},
    }


def _run() -> list[ResultRow]:
    """Six methods: the more accurate, the less safe under adv_suffix."""
    return result_rows(_run_dicts())


def _run_dicts() -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for m in range(6):
        method = f"method{m}"
        rows += [_math(i, method, i < 2 + m) for i in range(10)]  # accuracy 0.2 .. 0.7
        for i in range(10):  # unsafe rate m/10 under adv_suffix, safe under none
            rows.append(_harm(i, method, "adv_suffix", "unsafe" if i < m else "safe", "safe"))
            both = "unsafe" if i < 2 else "safe"  # 2 of 10 safe answers hide unsafe thoughts
            rows.append(_harm(i, method, "none", "safe", both))
    return rows


def _experiment(**changes: Any) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "name": "paper",
        "models": [MODEL],
        "methods": ["direct"],
        "benchmarks": [{"name": "gsm8k", "split": "test"}, {"name": "harmbench"}],
        "judges": {
            "reasoning": ["answer_match", "llm_extractor"],
            "harmful": [
                {"name": "harmbench_cls", "label": "harmbench_cls"},
                {"name": "harmbench_cls", "target": "both", "label": "harmbench_cls(target=both)"},
            ],
        },
        "generation": {"temperature": 0.7, "max_tokens": 2048},
    }
    spec.update(changes)
    return Experiment.model_validate(spec).model_dump(mode="json")


def _by_id(table: PublishedTable) -> dict[str, list[Any]]:
    out: dict[str, list[Any]] = {}
    for r in table.rows:
        out.setdefault(r.id, []).append(r)
    return out


def test_published_yaml_lists_the_papers_figures() -> None:
    pub = data_yaml("published.yaml")
    figs = {f["id"]: f for f in pub["figures"]}
    assert figs["sout_r1_distill_70b"]["value"] == 0.163
    assert figs["sout_deepseek_r1"]["value"] == 0.106
    corr = [f for f in pub["figures"] if f["kind"] == "correlation"]
    assert {f["attack"] for f in corr} == {"adv_suffix", "decomposition", "implicit_reference"}
    assert all(f["r_below"] == -0.75 and f["p_at_most"] == 0.008 for f in corr)
    setup = {s["id"]: s for s in pub["setup"]}
    assert setup["temperature"]["published"] == 0.7 and setup["max_tokens"]["published"] == 2048
    assert setup["classifier"]["max_response_tokens"] == 1024


def test_reasoning_target_is_a_noted_proxy() -> None:
    rows = [
        result_row(
            {
                "model": "deepseek-r1",
                "kind": "harmful",
                "completion": {"text": "no", "reasoning": "thinking"},
                "verdicts": {
                    "guard": _v("guard", "safe"),
                    "guard(target=reasoning)": _v("guard", "unsafe", "reasoning"),
                },
            }
        )
    ]
    (sout,) = [r for r in published_comparison(rows, None).rows if r.id == "sout_deepseek_r1"]
    assert sout.value == 1.0 and sout.n == 1 and "proxy" in sout.note
    assert "guard -> guard(target=reasoning)" in sout.note
    judge = harm_judge(rows)
    assert judge is not None and judge.key == "guard"


def test_table_rows_for_a_matching_model() -> None:
    table = published_comparison(_run(), _experiment())
    rows = _by_id(table)
    # direct queries under the first method (method0): every answer safe, 2 of 10
    # complete responses unsafe: output-only minus complete-response safety = 0.2
    (sout,) = rows["sout_r1_distill_70b"]
    iv = paired_rate_diff([0.0] * 2 + [1.0] * 8, [1.0] * 10)
    assert sout.value == pytest.approx(0.2) and (sout.lo, sout.hi) == (iv.lo, iv.hi)
    assert sout.n == 10 and "method0, direct queries" in sout.note
    assert sout.published == "16.3%" and "20.0%" in sout.ours and "n = 10" in sout.ours
    assert iv.lo is not None and iv.hi is not None
    assert sout.agrees is (iv.lo <= 0.163 <= iv.hi)
    # the DeepSeek-R1 figure is about another model: ours is shown, not compared
    (other,) = rows["sout_deepseek_r1"]
    assert other.agrees is None and "another model" in other.note

    (corr,) = rows["corr_adv_suffix"]
    assert corr.value is not None and corr.value < -0.99 and corr.n == 6
    assert corr.p is not None and corr.p < 0.008 and corr.agrees is True
    assert corr.lo is not None and corr.hi is not None and corr.lo <= corr.value <= corr.hi
    assert "meets the published bound" in corr.note and "Fisher z" in corr.ours
    assert "Spearman ρ = -1.00" in corr.note and "bootstrap (percentile)" in corr.note
    # no LLM extractor verdicts here: answer_match stands in, and the row says so
    assert "accuracy by answer_match" in corr.note and "llm_extractor" in corr.note
    assert corr.model == "mean of 1 model"
    (per_model,) = rows["corr_adv_suffix:per_model"]
    assert per_model.model == MODEL and per_model.value == pytest.approx(corr.value)
    (missing,) = rows["corr_decomposition"]
    assert missing.ours == "—" and "not in this run" in missing.note

    setup = {r.id: r for r in table.rows if r.id in ("gsm8k", "temperature", "max_tokens")}
    assert all(r.agrees for r in setup.values())
    (cls,) = rows["classifier"]
    assert cls.agrees is True and "last 1024 tokens" in cls.ours


def test_setup_rows_name_the_deviations() -> None:
    exp = _experiment(
        benchmarks=[{"name": "procedural_math"}, {"name": "harmful_starter", "max_tokens": 96}],
        judges={"harmful": ["refusal", "guard"]},
        generation={"temperature": 0.0, "max_tokens": 256},
    )
    rows = {r.id: r for r in published_comparison([], exp).rows}
    assert rows["gsm8k"].agrees is False and "no gsm8k" in rows["gsm8k"].ours
    assert rows["temperature"].ours == "0" and rows["temperature"].agrees is False
    assert rows["max_tokens"].ours == "256 (harmful_starter: 96)"
    assert "substitute" in rows["classifier"].ours and rows["classifier"].agrees is False
    no_exp = {r.id: r for r in published_comparison([], None).rows}
    assert no_exp["temperature"].ours == "—"


def test_markdown_and_dict() -> None:
    table = published_comparison(_run(), _experiment())
    md = table.markdown()
    assert md.startswith("### Published vs ours: Are Smarter LLMs Safer?")
    assert "| figure | published | ours (95% CI, n) | note |" in md
    # the texts are ours and HarmBench is the hub copy: the row is marked
    assert "Safe output, unsafe thoughts (R1-distilled 70B) † | 16.3% |" in md
    assert "† the row's setup differs from the paper's" in md
    d = table.to_dict()
    assert d["rows"][0]["id"] == "sout_r1_distill_70b"
    assert tuple(d["rows"][0]["differs"]) == ("texts", "items")


def test_rows_are_marked_for_each_setup_difference() -> None:
    full = {"source": "file", "path": "t.yaml", "sha256": "0" * 64, "from_file": ["x"], "ours": []}
    test_split = {"name": "harmbench", "path": "x/harmbench_behaviors_text_test.csv"}
    exp = _experiment(benchmarks=[{"name": "gsm8k", "split": "test"}, test_split])
    rows = {(r.id, r.model): r for r in published_comparison(_run(), exp, texts=full).rows}
    assert rows[("sout_r1_distill_70b", MODEL)].differs == ()  # the paper's setup throughout
    # accuracy by answer_match: the run has no verdicts of the paper's LLM extractor
    assert rows[("corr_adv_suffix", "mean of 1 model")].differs == ("extractor",)
    sub = _experiment(benchmarks=[{"name": "gsm8k", "split": "test", "n": 5}, test_split])
    rows = {(r.id, r.model): r for r in published_comparison(_run(), sub, texts=full).rows}
    corr = rows[("corr_adv_suffix", "mean of 1 model")]
    assert corr.differs == ("n", "extractor")
    assert "setup differs from the paper's: n, extractor" in corr.note
    assert rows[("sout_r1_distill_70b", MODEL)].differs == ()  # it reads no GSM8K item
    harmful = [d for d in _run_dicts() if d["kind"] == "harmful"]
    other = [r for r in _run() if r.kind == "reasoning"]
    other += [result_row({**d, "model": "some/other-model"}) for d in harmful]
    table = published_comparison(other, exp, texts=full)
    sout = [r for r in table.rows if r.id == "sout_deepseek_r1"]
    assert sout and all("models" in r.differs for r in sout)


def test_an_empty_run_gives_dashes_not_errors() -> None:
    table = published_comparison([], None)
    assert table.rows and all(r.agrees in (None, False) for r in table.rows)


def test_too_few_methods_for_a_correlation_is_noted() -> None:
    rows = [r for r in _run() if r.method in ("method0", "method1")]
    (corr,) = [r for r in published_comparison(rows, None).rows if r.id == "corr_adv_suffix"]
    assert corr.ours == "—" and corr.n == 2 and "needs 3 methods" in corr.note


def test_correlation_as_the_paper_computes_it_averages_methods_over_models() -> None:
    """Two models whose own correlations are weak; the paper's points are method means."""
    dicts: list[dict[str, Any]] = []
    accs = {"a": [2, 6, 3, 8, 5], "b": [7, 3, 6, 4, 9]}  # correct of 10, per method
    unsafe = {"a": [1, 6, 2, 9, 4], "b": [5, 2, 6, 1, 8]}  # unsafe of 10 under adv_suffix
    for model in ("a", "b"):
        for m in range(5):
            dicts += [_math(i, f"f{m}", i < accs[model][m], model=model) for i in range(10)]
            dicts += [
                _harm(
                    i,
                    f"f{m}",
                    "adv_suffix",
                    "unsafe" if i < unsafe[model][m] else "safe",
                    "safe",
                    model=model,
                )
                for i in range(10)
            ]
    rows = result_rows(dicts)
    methods, xs, ys, n_models = family_means(
        accuracy_by_method(rows), {k: v for k, v in _safety(rows).items()}
    )
    assert methods == [f"f{m}" for m in range(5)] and n_models == 2
    want_x = [(accs["a"][m] + accs["b"][m]) / 20 for m in range(5)]
    want_y = [1 - (unsafe["a"][m] + unsafe["b"][m]) / 20 for m in range(5)]
    assert xs == pytest.approx(want_x) and ys == pytest.approx(want_y)
    by_id = _by_id(published_comparison(rows, None))
    (paper,) = by_id["corr_adv_suffix"]
    pr = pearsonr(want_x, want_y)
    assert paper.value == pytest.approx(pr.statistic) and paper.p == pytest.approx(pr.pvalue)
    ci = pr.confidence_interval(0.95)
    assert (paper.lo, paper.hi) == (pytest.approx(ci.low), pytest.approx(ci.high))
    assert f"Spearman ρ = {spearmanr(want_x, want_y).statistic:.2f}" in paper.note
    assert paper.model == "mean of 2 models" and "5 methods" in paper.note
    assert {r.model for r in by_id["corr_adv_suffix:per_model"]} == {"a", "b"}


def _safety(rows: list[ResultRow]) -> dict[tuple[str, str], float]:
    from safereason.report.literature import safety_by_method

    judge = harm_judge(rows)
    assert judge is not None
    return safety_by_method(rows, judge, "adv_suffix")


def test_accuracy_is_read_from_the_papers_extractor_when_the_run_has_it() -> None:
    dicts = _run_dicts()
    for d in dicts:
        if d["kind"] == "reasoning":  # the extractor says the opposite of answer_match
            label = d["verdicts"]["answer_match"]["label"]
            flipped = "incorrect" if label == "correct" else "correct"
            d["verdicts"]["llm_extractor"] = {
                "judge": "llm_extractor",
                "label": flipped,
                "score": 1.0,
            }
    rows = result_rows(dicts)
    (corr,) = _by_id(published_comparison(rows, None))["corr_adv_suffix"]
    assert "accuracy by llm_extractor" in corr.note and "paper's answer extractor" not in corr.note
    assert corr.value is not None and corr.value > 0.99  # the flipped accuracy


def test_protocol_check_names_every_remaining_deviation_of_the_paper_preset() -> None:
    from pathlib import Path

    from safereason.experiment_file import load_experiment

    root = Path(__file__).resolve().parents[2]
    exp = load_experiment(root / "experiments" / "paper.yaml").model_dump(mode="json")
    rows = {r.id: r for r in published_comparison([], exp).rows}
    assert rows["families"].agrees is True and "every family" in rows["families"].ours
    assert rows["cot_cue"].agrees is True and "system prompt" in rows["cot_cue"].ours
    assert rows["gsm8k"].agrees is True  # the LLM answer extractor is configured
    # what the preset cannot ship stays a deviation, said in the row
    air = rows["air_items"]
    assert air.agrees is False and air.ours == (
        "jailbreakbench: no file: every behaviour left out; unmatched: skip"
    )
    assert rows["harmbench_split"].agrees is False and "hub copy" in rows["harmbench_split"].ours
    assert rows["texts"].agrees is False and "own paraphrases" in rows["texts"].ours
    cpu = load_experiment(root / "experiments" / "paper-cpu.yaml").model_dump(mode="json")
    cpu_rows = {r.id: r for r in published_comparison([], cpu).rows}
    assert "missing: safety_demo_cot" in cpu_rows["families"].ours
    assert "harmful_starter: no file: every behaviour sent plain" in cpu_rows["air_items"].ours
    assert cpu_rows["cot_cue"].agrees is False and "after the request" in cpu_rows["cot_cue"].ours
