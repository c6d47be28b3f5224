"""A run's output files: results (JSONL, Parquet), summaries (JSON, Markdown) and the
report (``report.html``, ``report.md``, ``report.json``)."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from safereason.analysis.cells import Estimate
from safereason.analysis.metrics import pivot, rates
from safereason.errors import SafereasonError
from safereason.files import atomic_write, write_text
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
    """``0.42 [0.30, 0.55]``."""
    return "—" if r is None else f"{r.value:.2f} [{r.lo:.2f}, {r.hi:.2f}]"


def _n(cells: dict[str, Estimate]) -> str:
    ns = sorted({r.n for r in cells.values()})
    return str(ns[0]) if len(ns) == 1 else "/".join(map(str, ns))


ROW_HEADERS = ("model", "benchmark", "attack", "metric", "n")


def summary_table(rs: Sequence[Estimate], title: str) -> Table:
    """A rich table: methods side by side, a row per model x benchmark x attack x metric."""
    methods, rows = pivot(rs)
    t = Table(title=title, title_justify="left", caption="rate [95% Wilson interval]")
    for h in ROW_HEADERS:
        t.add_column(h, justify="right" if h == "n" else "left")
    for m in methods:
        t.add_column(m, justify="right")
    for key, cells in rows:
        t.add_row(*key, _n(cells), *[fmt(cells.get(m)) for m in methods])
    return t


def summary_markdown(rs: Sequence[Estimate], title: str) -> str:
    """The same table as Markdown."""
    methods, rows = pivot(rs)
    lines = [
        f"# {title}",
        "",
        "Rates with 95% Wilson intervals; n is the number of samples per cell.",
        "",
        "| " + " | ".join([*ROW_HEADERS, *methods]) + " |",
        "|---|---|---|---|---:|" + "---:|" * len(methods),
    ]
    for key, cells in rows:
        vals = [*key, _n(cells), *[fmt(cells.get(m)) for m in methods]]
        lines.append("| " + " | ".join(vals) + " |")
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


def write_outputs(run_dir: Path, console: Console | None = None) -> list[Estimate]:
    """Read a run's store and write its results and summaries; print the table."""
    rows, exp = load_run(run_dir)
    rs = rates(rows)
    title = f"safereason: {exp.get('name', run_dir.name)}"
    write_results(rows, run_dir)
    _write(
        run_dir / "summary.json",
        json.dumps(
            {
                "experiment": exp.get("name"),
                "rates": [r.summary_dict() for r in rs],
                "items": len(rows),
                "generated": sum(1 for r in rows if r.completion),
            },
            indent=2,
        )
    )
    _write(run_dir / "summary.md", summary_markdown(rs, title))
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
    bundle = build(Run(exp.get("name") or run_dir.name, rows, str(run_dir)), baseline, redact, exp)
    if compare is not None:
        other_rows, other_exp = load_run(compare)
        name = other_exp.get("name") or compare.name
        if name == bundle.run.name:
            name = f"{name} ({compare})"
        with_comparison(bundle, Run(name, other_rows, str(compare)))
    html = run_dir / "report.html"
    _write(html, render_html(bundle))
    _write(run_dir / "report.md", render_markdown(bundle))
    _write(
        run_dir / "report.json",
        json.dumps(_json_safe(report_json(bundle)), indent=2, ensure_ascii=False),
    )
    return html


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
