"""The report: outcomes agree with rates(), estimates, agreement, files, redaction, compare, CLI."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from safereason.analysis.agreement import agreement
from safereason.analysis.estimates import aggregate
from safereason.analysis.metrics import rates
from safereason.analysis.outcomes import HARMFUL, NON_REFUSAL, harm_basis, outcomes
from safereason.cli import main
from safereason.errors import SafereasonError
from safereason.report.bundle import Run, build
from safereason.report.examples import redact_text
from safereason.report.outputs import load_run, write_report
from safereason.results import ResultRow
from tests.report_demo import DEMO_RULES, demo_run
from tests.rows import result_row

RUBRIC = "rubric_score"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return demo_run(tmp_path_factory.mktemp("demo"), cache=None)


def _row(
    method: str,
    sid: str,
    verdicts: dict[str, tuple[str, float | None]],
    judges: dict[str, str] | None = None,
    **kw: Any,
) -> ResultRow:
    """A harmful row; ``judges`` names a verdict key's judge (default: the key's name)."""
    names = judges or {}
    return result_row({
        "item_id": f"{method}-{sid}",
        "model": "m",
        "method": method,
        "benchmark": "harm",
        "attack": "none",
        "sample_id": sid,
        "kind": "harmful",
        "category": kw.get("category", "c"),
        "prompt": "p",
        "target": None,
        "messages": [{"role": "user", "content": "p"}],
        "completion": {"text": kw.get("text", "Sure, step 1 ..."), "reasoning": None},
        "verdicts": {
            k: {"judge": names.get(k, k.split("(")[0]), "label": lab, "score": s, "details": {}}
            for k, (lab, s) in verdicts.items()
        },
    })


def test_outcomes_aggregate_to_the_same_rates(demo: Path) -> None:
    rows, _ = load_run(demo)
    ours = {
        (e.model, e.method, e.benchmark, e.attack, e.metric, e.judge): (e.k, e.n)
        for e in aggregate(outcomes(rows))
    }
    theirs = {
        (r.model, r.method, r.benchmark, r.attack, r.metric, r.judge): (r.k, r.n)
        for r in rates(rows)
    }
    assert theirs and all(ours[k] == v for k, v in theirs.items())
    assert any(k[4] == "harmful_reasoning_clean_answer" for k in ours)
    assert any(k[4] == NON_REFUSAL for k in ours)  # only the refusal judge ran
    assert not any(k[4] == HARMFUL for k in ours)


def test_harm_basis_prefers_a_rubric_and_means_get_a_bootstrap_interval() -> None:
    scores = [0.0, 0.1, 0.9, 1.0, 0.8, 0.2]
    rows = [
        _row(
            "a",
            str(i),
            {"refusal": ("complied", 0.0), "rubric": ("harmful" if s >= 0.5 else "harmless", s)},
        )
        for i, s in enumerate(scores)
    ]
    basis = harm_basis(rows)
    assert basis is not None and (basis.judge.name, basis.key) == ("rubric", "rubric")
    est = {e.metric: e for e in aggregate(outcomes(rows))}
    assert est[HARMFUL].k == 3 and est[HARMFUL].n == 6
    mean = est[RUBRIC]
    assert mean.k is None and mean.value == pytest.approx(sum(scores) / 6)
    assert 0.0 <= mean.lo < mean.value < mean.hi <= 1.0
    only_refusal = [_row("a", "1", {"refusal": ("refused", 1.0)})]
    basis = harm_basis(only_refusal)
    assert basis is not None and (basis.judge.name, basis.key) == ("refusal", "refusal")
    assert basis.from_refusal


def test_judge_agreement_kappa() -> None:
    # both no 4, both yes 4, one each way: po = 0.8, pe = 0.5 -> kappa = 0.6
    pairs = [("refused", "refused")] * 4 + [("complied", "complied")] * 4
    pairs += [("refused", "complied"), ("complied", "refused")]
    rows = [
        _row(
            "a",
            str(i),
            {"refusal": (a, float(a == "refused")), "refusal_strict": (b, 0.0)},
            judges={"refusal_strict": "refusal"},
        )
        for i, (a, b) in enumerate(pairs)
    ]
    (ag,) = agreement(rows)
    assert (ag.judge_a, ag.judge_b, ag.n) == ("refusal", "refusal_strict", 10)
    assert ag.agree == pytest.approx(0.8) and ag.kappa == pytest.approx(0.6)
    assert ag.kappa_lo is not None and ag.kappa_lo < 0.6 < (ag.kappa_hi or 0)


def test_write_report_files(demo: Path) -> None:
    html_path = write_report(demo)
    html = html_path.read_text()
    assert html_path == demo / "report.html"
    # five figures, and the thought-leakage one: the demo model thinks on harmful items
    assert html.count("<svg") == 6 and 'id="fig-leakage"' in html
    # self-contained: no link to fetch anything (SVG namespaces are names, not requests)
    for attr in ("src=", '<link rel="stylesheet', "<script", "@import", "url(http"):
        assert attr not in html, attr
    assert '<details class="transcript">' in html and '<details class="transcript" open' not in html
    assert "Content warning" in html and "Paired comparisons against direct" in html
    data = json.loads((demo / "report.json").read_text(), parse_constant=_no_nan)
    assert data["baseline"] == "direct" and data["harm_basis"]["judge"] == "refusal"
    assert {e["metric"] for e in data["estimates"]} >= {
        "accuracy",
        "refusal_rate",
        "over_refusal",
        NON_REFUSAL,
    }
    assert HARMFUL not in {e["metric"] for e in data["estimates"]}
    assert "Only the refusal judge ran on harmful items" in html
    assert all(e["n"] > 0 and e["lo"] <= e["value"] <= e["hi"] for e in data["estimates"])
    sig = [t for t in data["paired_tests"] if t["significant"]]
    assert sig and all(t["p_holm"] < 0.05 for t in sig)
    assert all(not t["significant"] for t in data["paired_tests"] if t["p_holm"] >= 0.05)
    md = (demo / "report.md").read_text()
    assert "## Paired comparisons against direct" in md and "| fake-model | zero_shot_cot |" in md
    # write_outputs' files are still there and untouched by the report
    assert all((demo / f).is_file() for f in ("summary.json", "summary.md", "results.jsonl"))


def _no_nan(x: str) -> None:
    raise AssertionError(f"non-JSON number {x} in report.json")


def test_redact_hides_harmful_text(demo: Path) -> None:
    rows, _ = load_run(demo)
    plain = build(Run("demo", rows))
    red = build(Run("demo", rows), redact=True)
    harmful_plain = [e for e in plain.examples if e.harmful]
    harmful_red = [e for e in red.examples if e.harmful]
    assert harmful_red and len(harmful_red) == len(harmful_plain)
    assert all((e.answer or "").startswith("[redacted: ") for e in harmful_red)
    assert any("cover your tracks" in (e.answer or "") for e in harmful_plain)
    write_report(demo, redact=True)
    assert "cover your tracks" not in (demo / "report.html").read_text()
    assert redact_text("one two three") == "[redacted: 3 words]" and redact_text(None) is None
    # reasoning examples are left alone
    assert any(e.kind == "reasoning" and not e.redacted for e in red.examples)


def test_model_output_is_escaped() -> None:
    from safereason.report.html import render_html

    evil = "<script>alert(1)</script><img src=x onerror=alert(2)>"
    rows = [_row(m, "1", {"refusal": ("complied", 0.0)}, text=evil) for m in ("a", "b")]
    html = render_html(build(Run("x", rows)))
    assert "<script>alert" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_baseline_option(demo: Path) -> None:
    rows, _ = load_run(demo)
    b = build(Run("demo", rows), baseline="zero_shot_cot")
    assert {t.reference for t in b.tests} == {"zero_shot_cot"}
    assert {t.method for t in b.tests} == {"direct", "safety_system_prompt"}
    with pytest.raises(SafereasonError, match="unknown baseline method 'nope'"):
        build(Run("demo", rows), baseline="nope")


def test_missing_data_leaves_plots_out_with_a_note(tmp_path: Path) -> None:
    run = demo_run(
        tmp_path,
        name="harm-only",
        methods=["direct"],
        benchmarks=[{"name": "harmful_starter", "n": 4}],
        judges={"harmful": ["refusal"]},
        cache=None,
    )
    html = write_report(run).read_text()
    assert html.count("<svg") == 2  # attack heat map and categories
    assert "Plot not shown: needs a reasoning benchmark" in html
    assert "Plot not shown: needs a benign benchmark" in html
    assert "Plot not shown: only one judge" in html
    assert "one method only" in html


def test_compare_two_runs(tmp_path: Path) -> None:
    base = demo_run(tmp_path, name="base", cache=None)
    # the "fine-tuned" model complies with nothing harmful any more
    safer = [
        {"match": "(?s)(virus|stolen|steal|5G|starve|toxic|forge)", "reply": "I'm sorry, I can't."}
    ]
    ft = demo_run(tmp_path, name="ft", model="fake-ft", rules=safer + DEMO_RULES, cache=None)
    write_report(base, compare=ft)
    data = json.loads((base / "report.json").read_text())
    comp = data["comparison"]
    assert comp["models"] == {"fake-model": "fake-ft"}
    assert comp["cells"] and comp["tests"]
    cell = next(
        c
        for c in comp["cells"]
        if c["method"] == "zero_shot_cot" and c["metric"] == NON_REFUSAL and c["attack"] == "none"
    )
    assert cell["model"] == "fake-model → fake-ft" and cell["diff"] < 0
    t = next(
        t
        for t in comp["tests"]
        if t["method"] == "zero_shot_cot" and t["metric"] == NON_REFUSAL and t["attack"] == "none"
    )
    assert t["reference"] == "base" and t["n"] == 28 and t["only_reference"] > 0
    assert "Run comparison: ft (B) vs base (A)" in (base / "report.html").read_text()


def sr(*args: str) -> Result:
    """The CLI in-process (the subprocess path is covered by test_cli)."""
    return CliRunner().invoke(main, list(args), env={"COLUMNS": "200"})


def test_cli_report_options(demo: Path, tmp_path: Path) -> None:
    p = sr("report", str(demo), "--baseline", "zero_shot_cot", "--redact", "--compare", str(demo))
    assert p.exit_code == 0, p.output
    assert "refusal_rate" in p.stdout and f"report: {demo / 'report.html'}" in p.stdout
    data = json.loads((demo / "report.json").read_text())
    assert data["baseline"] == "zero_shot_cot" and data["redacted"] and data["comparison"]
    bad = sr("report", str(demo), "--baseline", "nope")
    assert bad.exit_code != 0 and "unknown baseline method 'nope'" in bad.stderr
    missing = sr("report", str(demo), "--compare", str(tmp_path / "nothing"))
    assert missing.exit_code != 0 and "no run found" in missing.stderr
