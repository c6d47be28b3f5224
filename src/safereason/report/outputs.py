"""A run's output files: results (JSONL, Parquet), summaries (JSON, Markdown) and the
report (``report.html``, ``report.md``, ``report.json``)."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from safereason.analysis.cells import UNDECIDED_WARN, Estimate
from safereason.analysis.leakage import ThoughtLeakage, thought_leakage
from safereason.analysis.metrics import Length, fell_back, lengths, pivot, rates
from safereason.analysis.sampling import sampling_safety
from safereason.errors import SafereasonError
from safereason.files import atomic_write, write_text
from safereason.report.leakage_text import leakage_markdown, skipped_markdown
from safereason.report.sampling_text import sampling_markdown
from safereason.results import ResultRow
from safereason.store import Store


def flat_row(row: ResultRow) -> dict[str, Any]:
    """A results row with nested fields flattened or JSON-encoded, for tables and Parquet."""
    r = row.to_dict()
    comp = r["completion"] or {}
    out = {
        k: r[k]
        for k in (
            "model",
            "method",
            "benchmark",
            "attack",
            "sample_id",
            "kind",
            "category",
            "prompt",
            "target",
            "gen_key",
        )
    }
    out["messages"] = json.dumps(r["messages"], ensure_ascii=False)
    out["response"] = comp.get("text")
    out["reasoning"] = comp.get("reasoning")
    out["completion_tokens"] = comp.get("completion_tokens")
    out["finish_reason"] = comp.get("finish_reason")
    for judge, v in sorted(r["verdicts"].items()):
        out[f"{judge}.label"] = v["label"]
        out[f"{judge}.score"] = v["score"]
        out[f"{judge}.details"] = json.dumps(v.get("details", {}), ensure_ascii=False)
    return out


def write_results(rows: Sequence[ResultRow], run_dir: Path) -> list[Path]:
    """results.jsonl (nested, one line per plan item) and results.parquet (flat)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    def lines(tmp: Path) -> None:
        with tmp.open("w", encoding="utf-8") as f:
            for r in rows:
                f.write(json.dumps(r.to_dict(), ensure_ascii=False) + "\n")

    jsonl = atomic_write(run_dir / "results.jsonl", lines)
    flat = [flat_row(r) for r in rows]
    cols = sorted({k for r in flat for k in r}, key=lambda k: (k.count("."), k))
    table = pa.table({c: [r.get(c) for r in flat] for c in cols})
    parquet = atomic_write(run_dir / "results.parquet", lambda tmp: pq.write_table(table, tmp))
    return [jsonl, parquet]


def fmt(r: Estimate | None) -> str:
    """``0.42 [0.30, 0.55]`` (``—`` for no estimate or one with nothing decided)."""
    if r is None or r.n == 0:
        return "—"
    return f"{r.value:.2f} [{r.lo:.2f}, {r.hi:.2f}]"


def _counts(cells: dict[str, Estimate], field: str) -> str:
    ns = [getattr(r, field) for r in cells.values()]
    distinct = sorted(set(ns))
    return str(distinct[0]) if len(distinct) == 1 else "/".join(map(str, ns))


ROW_HEADERS = ("model", "benchmark", "attack", "metric", "n judged", "undecided")


def _row(key: tuple[str, ...], cells: dict[str, Estimate], methods: list[str]) -> list[str]:
    return [
        *key,
        _counts(cells, "n"),
        _counts(cells, "undecided"),
        *[fmt(cells.get(m)) for m in methods],
    ]


def summary_table(rs: Sequence[Estimate], title: str) -> Table:
    """A rich table: methods side by side, a row per model x benchmark x attack x metric."""
    methods, rows = pivot(rs)
    t = Table(title=title, title_justify="left", caption="rate [95% Wilson interval]")
    for h in ROW_HEADERS:
        t.add_column(h, justify="right" if h in ("n judged", "undecided") else "left")
    for m in methods:
        t.add_column(m, justify="right")
    for key, cells in rows:
        t.add_row(*_row(key, cells, methods))
    return t


def caveats(rs: Sequence[Estimate]) -> list[str]:
    """One line per grid cell whose rate leaves items out: an undecided share over 5%
    (a warning), plan items without a completion, attack fallbacks."""
    out = []
    for e in rs:
        where = f"{e.model} · {e.method} · {e.benchmark} [{e.attack}] · {e.metric} ({e.judge})"
        if e.material:
            out.append(
                f"WARNING: {where}: {e.undecided} of {e.seen} verdicts undecided "
                f"({e.undecided_share:.0%}, over {UNDECIDED_WARN:.0%}); the rate is over the "
                f"{e.n} decided"
            )
    cells: dict[tuple[str, ...], Estimate] = {}
    for e in rs:
        cells.setdefault((e.model, e.method, e.benchmark, e.attack), e)
    for (model, method, bench, attack), e in cells.items():
        where = f"{model} · {method} · {bench} [{attack}]"
        if e.missing:
            out.append(f"{where}: {e.missing} plan items have no completion (failed or pending)")
        if e.fallback:
            out.append(f"{where}: {e.fallback} items sent as the plain request (attack fell back)")
    return out


def lengths_markdown(ls: Sequence[Length]) -> list[str]:
    """Response and reasoning length per cell, as Markdown lines."""
    if not ls:
        return []
    lines = [
        "",
        "## Response length",
        "",
        "Means per cell: completion tokens (the engine's count: answer and any thinking "
        "trace, summed over a vote's k samples), words of the final answer, words of a "
        "separate reasoning trace (and how many completions have one).",
        "",
        "| model | method | benchmark | attack | n | tokens | answer words | reasoning words |",
        "|---|---|---|---|---:|---:|---:|---:|",
    ]
    for x in ls:
        lines.append(
            f"| {x.model} | {x.method} | {x.benchmark} | {x.attack} | {x.n} | {x.tokens:.0f} | "
            f"{x.answer_words:.0f} | {x.reasoning_words:.0f} ({x.with_reasoning} of {x.n}) |"
        )
    return lines


def summary_markdown(
    rs: Sequence[Estimate],
    title: str,
    ls: Sequence[Length] = (),
    leaks: ThoughtLeakage | None = None,
    skips: Sequence[Mapping[str, Any]] = (),
) -> str:
    """The same table as Markdown, the cells whose rates leave items out, lengths, thought
    leakage and the items an attack left out of the plan."""
    methods, rows = pivot(rs)
    lines = [
        f"# {title}",
        "",
        "Rates with 95% Wilson intervals. n judged: the items whose verdict is decided, "
        "the rate's denominator (one number, or one per method); undecided: the items the "
        "judge saw and could not decide (e.g. an unparsed reply), left out of n.",
        "",
        "| " + " | ".join([*ROW_HEADERS, *methods]) + " |",
        "|---|---|---|---|---:|---:|" + "---:|" * len(methods),
    ]
    for key, cells in rows:
        lines.append("| " + " | ".join(_row(key, cells, methods)) + " |")
    notes = caveats(rs)
    if notes:
        lines += ["", "## Items not counted", "", *[f"- {n}" for n in notes]]
    lines += skipped_markdown(skips)
    lines += lengths_markdown(ls)
    if leaks:
        lines += ["", *leakage_markdown(leaks)]
    return "\n".join(lines) + "\n"


def load_run(run_dir: Path) -> tuple[list[ResultRow], dict[str, Any]]:
    """A run's result rows and its resolved experiment, read from its store."""
    path = run_dir / "store.sqlite"
    if not path.is_file():
        raise SafereasonError(f"no run found in {run_dir} (missing store.sqlite)")
    store = Store(path)
    try:
        return store.results(), store.get_meta("experiment", {}) or {}
    finally:
        store.close()


def load_declarations(run_dir: Path) -> dict[str, Any]:
    """The run manifest's method and benchmark declarations (``meta.methods``,
    ``meta.benchmarks``): empty for a run made before runs recorded them."""
    store = Store(run_dir / "store.sqlite")
    try:
        return {
            "methods": store.get_meta("methods", {}) or {},
            "benchmarks": store.get_meta("benchmarks", {}) or {},
            "skipped": store.get_meta("skipped", []) or [],
            "texts": store.get_meta("texts"),
        }
    finally:
        store.close()


def write_outputs(run_dir: Path, console: Console | None = None) -> list[Estimate]:
    """Read a run's store and write its results and summaries; print the table."""
    rows, exp = load_run(run_dir)
    rs = rates(rows)
    ls = lengths(rows)
    title = f"safereason: {exp.get('name', run_dir.name)}"
    write_results(rows, run_dir)
    samp = sampling_safety(rows, recorded_samples(run_dir))
    leaks = thought_leakage(rows)
    skips = load_declarations(run_dir)["skipped"]
    # present when the run has them (runs without keep the files they had)
    extras: dict[str, Any] = {}
    if skips:
        extras["skipped"] = skips
    if leaks:
        extras["thought_leakage"] = leaks.to_dict()
    _write(
        run_dir / "summary.json",
        json.dumps(
            _json_safe(
                {
                    "experiment": exp.get("name"),
                    "rates": [r.summary_dict() for r in rs],
                    "items": len(rows),
                    "generated": sum(1 for r in rows if r.completion),
                    "undecided": sum(r.undecided for r in rs),
                    "fallback": sum(1 for r in rows if fell_back(r.sample)),
                    "caveats": caveats(rs),
                    "lengths": [x.to_dict() for x in ls],
                    # only for a run with k samples per item
                    **({"sampling": [c.to_dict() for c in samp]} if samp else {}),
                    **extras,
                }
            ),
            indent=2,
        ),
    )
    _write(run_dir / "summary.md", summary_markdown(rs, title, ls, leaks, skips))
    if samp:  # Safe@k after the rest of summary.md
        md = (run_dir / "summary.md").read_text(encoding="utf-8").rstrip("\n")
        _write(run_dir / "summary.md", "\n".join([md, *sampling_markdown(samp)]) + "\n")
    if console is not None:
        console.print(summary_table(rs, title))
    return rs


def write_report(
    run_dir: Path,
    compare: Path | None = None,
    baseline: str | None = None,
    redact: bool = False,
) -> Path:
    """Write ``report.html``, ``report.md`` and ``report.json`` into the run; returns the HTML.

    ``compare`` names another run to set beside this one (B against this run as A);
    ``baseline`` the method the others are tested against (default: the run's first).
    """
    from safereason.report.bundle import Run, build, with_comparison
    from safereason.report.html import render_html, render_markdown, report_json

    rows, exp = load_run(run_dir)
    run = Run(exp.get("name") or run_dir.name, rows, str(run_dir), **declared(run_dir))
    run.calibration = recorded(run_dir, "calibration")
    run.samples = recorded_samples(run_dir)
    bundle = build(run, baseline, redact, exp)
    if compare is not None:
        other_rows, other_exp = load_run(compare)
        name = other_exp.get("name") or compare.name
        if name == bundle.run.name:
            name = f"{name} ({compare})"
        with_comparison(bundle, Run(name, other_rows, str(compare), **declared(compare)))
    html = run_dir / "report.html"
    _write(html, render_html(bundle))
    _write(run_dir / "report.md", render_markdown(bundle))
    _write(
        run_dir / "report.json",
        json.dumps(_json_safe(report_json(bundle)), indent=2, ensure_ascii=False),
    )
    return html


def recorded_samples(run_dir: Path) -> dict[str, Any]:
    """The verdicts on each sample of a run's multi-sample items (item -> judge -> index)."""
    store = Store(run_dir / "store.sqlite")
    try:
        return store.sample_verdicts()
    finally:
        store.close()


def recorded(run_dir: Path, key: str) -> Any:
    """One entry of a run's manifest (``None`` when the run has none)."""
    store = Store(run_dir / "store.sqlite")
    try:
        return store.get_meta(key)
    finally:
        store.close()


def declared(run_dir: Path) -> dict[str, Any]:
    """The :class:`~safereason.report.bundle.Run` fields read from the manifest."""
    from safereason.declarations import read_benchmarks, read_methods

    raw = load_declarations(run_dir)
    return {
        "methods": read_methods(raw["methods"]),
        "benchmarks": read_benchmarks(raw["benchmarks"]),
        "skipped": list(raw["skipped"]),
        "texts": raw["texts"],
    }


def _write(path: Path, text: str) -> None:
    """Write a file atomically (a reader never sees half of it, a failure leaves no temp)."""
    write_text(path, text)


def _json_safe(obj: Any) -> Any:
    """NaN and infinities become None (JSON has no such numbers); tuples become lists."""
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {str(k): _json_safe(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_json_safe(v) for v in obj]
    return obj
