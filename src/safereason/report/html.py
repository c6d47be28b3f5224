"""Render a report bundle as one self-contained HTML file, Markdown and JSON.

Templates live in ``safereason/data/report/``; the HTML inlines its CSS and its plots
(SVG), so it opens offline from any file system.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from functools import cache
from typing import Any

import jinja2
from jinja2.runtime import Context

from safereason.analysis.cells import Estimate
from safereason.analysis.intervals import MIN_BOOTSTRAP_N
from safereason.analysis.outcomes import first_seen
from safereason.analysis.paired import ALPHA, MCNEMAR, PairedTest
from safereason.analysis.tradeoff import PARETO_RESAMPLES, PARETO_SURE
from safereason.paper_texts import describe as describe_texts
from safereason.report import plots
from safereason.report.bundle import Bundle
from safereason.report.leakage_text import (
    direct_text,
    leak_text,
    leakage_markdown,
    skipped_markdown,
)
from safereason.resources import data_text
from safereason.versions import package_versions


@cache
def _env() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("safereason", "data/report"),
        autoescape=lambda name: name is not None and ".html" in name,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        num=num,
        est=est_text,
        metric=_metric,
        metric_base=_metric_base,
        p=p_text,
        delta=delta_text,
        ratio=ratio_text,
        md=md_cell,
        pareto=pareto_text,
    )
    env.globals.update(family=family_summary)
    return env


@jinja2.pass_context
def _metric(ctx: Context, metric: str) -> str:
    """The report's name for a metric, from the run's judges' declared meanings."""
    bundle: Bundle = ctx["b"]
    return bundle.metric_label(metric)


@jinja2.pass_context
def _metric_base(ctx: Context, metric: str) -> str:
    """:func:`_metric` of the base metric, without its ``:judge`` variant."""
    bundle: Bundle = ctx["b"]
    return bundle.metric_label(metric.split(":")[0])


def md_cell(x: Any) -> str:
    """Text safe inside a Markdown table cell."""
    return str(x).replace("|", "\\|").replace("\n", " ")


def num(x: float | None, digits: int = 2) -> str:
    """A number, or an em dash for None/NaN."""
    if x is None or not math.isfinite(x):
        return "∞" if x is not None and math.isinf(x) else "—"
    return f"{x:.{digits}f}"


def est_text(e: Estimate | None) -> str:
    """``0.42 [0.30, 0.55]`` (the count goes in its own column or cell part)."""
    if e is None or (e.is_rate and e.n == 0):
        return "—"
    return f"{e.value:.2f} [{e.lo:.2f}, {e.hi:.2f}]"


def p_text(p: float | None) -> str:
    """A p-value: three significant digits, ``<0.001`` below that."""
    if p is None:
        return "—"
    return "<0.001" if p < 0.001 else f"{p:.3f}"


def delta_text(value: float | None, lo: float | None = None, hi: float | None = None) -> str:
    """``+0.12 [+0.03, +0.21]``."""
    if value is None:
        return "—"
    if lo is None or hi is None:
        return f"{value:+.2f}"
    return f"{value:+.2f} [{lo:+.2f}, {hi:+.2f}]"


def family_summary(tests: Sequence[PairedTest]) -> dict[str, int]:
    """The correction family of a list of tests: its size and what was left out, and why."""
    return {
        "tests": len(tests),
        "size": sum(1 for t in tests if t.in_family),
        "restated": sum(1 for t in tests if t.same_as is not None),
        "no_evidence": sum(1 for t in tests if t.same_as is None and t.no_evidence),
        "ci_disagrees": sum(1 for t in tests if t.ci_agrees is False),
    }


def pareto_text(share: float | None, status: str) -> str:
    """``on frontier (97%)``, ``uncertain (41%)``, ``dominated (2%)``; empty without a share."""
    if share is None:
        return ""
    return f"{status} ({100 * share:.0f}%)"


def ratio_text(t: PairedTest) -> str:
    """The discordant-pairs odds ratio with its exact interval."""
    if t.odds_ratio is None:
        return "—"
    return f"{num(t.odds_ratio)} [{num(t.or_lo)}, {num(t.or_hi)}]"


def direction(t: PairedTest, up: bool | None) -> str:
    """``better``, ``worse`` or ``neutral`` for a significant difference (``up``: higher is
    better for its metric)."""
    if not t.significant or up is None or t.diff == 0:
        return "neutral"
    return "better" if (t.diff > 0) == up else "worse"


def table(
    b: Bundle,
    ests: Sequence[Estimate],
    row: Callable[[Estimate], tuple[str, ...]],
    tests: dict[tuple[str, str, str, str, str, str], PairedTest] | None = None,
) -> dict[str, Any]:
    """Rows keyed by ``row``, one column per (metric, judge), cells with their test marks."""
    cols = first_seen((e.metric, e.judge) for e in ests)
    cells: dict[tuple[str, ...], dict[tuple[str, str], Estimate]] = {}
    for e in ests:
        cells.setdefault(row(e), {})[(e.metric, e.judge)] = e
    rows = []
    for key, by_col in cells.items():
        out = []
        for metric, judge in cols:
            cell = by_col.get((metric, judge))
            t = None
            if cell is not None and tests:
                t = tests.get((cell.model, cell.method, cell.benchmark, cell.attack, metric, judge))
            mark = direction(t, b.better(t.metric)) if t else "neutral"
            out.append({"est": cell, "test": t, "mark": mark})
        rows.append({"keys": key, "cells": out})
    return {"columns": cols, "rows": rows}


def benchmark_tables(
    b: Bundle, ests: Sequence[Estimate], row: Callable[[Estimate], tuple[str, ...]]
) -> list[dict[str, Any]]:
    """One table per benchmark, in the run's order."""
    tests = {(t.model, t.method, t.benchmark, t.attack, t.metric, t.judge): t for t in b.tests}
    out = []
    for bench, kind in b.benchmarks:
        mine = [e for e in ests if e.benchmark == bench]
        if mine:
            out.append({"benchmark": bench, "kind": kind, **table(b, mine, row, tests)})
    return out


def build_plots(b: Bundle) -> list[plots.Plot]:
    """Every figure, present or with a note on why it is absent."""
    return [
        plots.tradeoff_scatter(b.tradeoff.points, b.models, b.methods),
        plots.attack_heatmap(b.by_attack, b.models, b.methods),
        plots.category_bars(b.by_category, b.models, b.methods),
        plots.refusal_scatter(b.pooled, b.models, b.methods),
        plots.agreement_heatmap(b.agreement),
        plots.leakage_bars(b.leakage.cells, b.models, b.methods),
    ]


def context(b: Bundle, with_plots: bool = True) -> dict[str, Any]:
    """What the templates see."""
    figs = {p.name: p for p in build_plots(b)} if with_plots else {}
    return {
        "b": b,
        "title": f"safereason report: {b.run.name}",
        "version": package_versions().get("safereason", "?"),
        "alpha": ALPHA,
        "mcnemar": MCNEMAR,
        "min_bootstrap_n": MIN_BOOTSTRAP_N,
        "pareto_resamples": PARETO_RESAMPLES,
        "pareto_sure": PARETO_SURE,
        "plots": figs,
        "css": data_text("report/style.css"),
        "metric_tables": benchmark_tables(b, b.estimates, lambda e: (e.model, e.method, e.attack)),
        "category_tables": benchmark_tables(
            b, b.by_category, lambda e: (e.model, e.method, e.category)
        ),
        "significant": [t for t in b.tests if t.significant],
        "direction": lambda t: direction(t, b.better(t.metric)),
        "leak_text": leak_text,
        "direct_text": direct_text,
        "leakage_md": "\n".join(leakage_markdown(b.leakage)) if b.leakage else "",
        "skipped_md": "\n".join(skipped_markdown(b.run.skipped)),
        "texts_line": texts_line(b),
    }


def texts_line(b: Bundle) -> str:
    """Which prompt texts the run used, for a run that measures the paper or supplied its
    own texts ("" otherwise)."""
    texts = b.run.texts or {}
    if texts.get("source") != "file" and b.published is None:
        return ""
    return describe_texts(texts)


def render_html(b: Bundle) -> str:
    """The self-contained HTML report."""
    return _env().get_template("report.html.j2").render(context(b))


def render_markdown(b: Bundle) -> str:
    """The Markdown summary (tables; the plots are in the HTML)."""
    return _env().get_template("report.md.j2").render(context(b, with_plots=False))


def report_json(b: Bundle) -> dict[str, Any]:
    """Everything in the report as JSON-ready data (no plots)."""
    return {
        "experiment": b.run.name,
        "run_dir": b.run.path,
        "items": len(b.run.rows),
        "generated": b.generated,
        "models": b.models,
        "methods": b.methods,
        "benchmarks": [{"benchmark": x, "kind": k} for x, k in b.benchmarks],
        "attacks": b.attacks,
        "judges": b.judges,
        "baseline": b.baseline,
        "harm_basis": {"judge": b.harm_basis.judge.name, "verdict": b.harm_basis.key}
        if b.harm_basis
        else None,
        "alpha": ALPHA,
        "estimates": [e.to_dict() for e in b.estimates],
        "by_category": [e.to_dict() for e in b.by_category],
        "by_category_attack": [e.to_dict() for e in b.by_category_attack],
        "paired_tests": [t.to_dict() for t in b.tests],
        "paired_family": family_summary(b.tests),
        "tradeoff": b.tradeoff.to_dict(),
        "agreement": [a.to_dict() for a in b.agreement],
        "privacy": [c.to_dict() for c in b.privacy],
        "answer_extraction": [a.to_dict() for a in b.extraction],
        "comparison": b.comparison.to_dict() if b.comparison else None,
        "examples": [e.to_dict() for e in b.examples],
        "redacted": b.redacted,
        "notes": b.notes,
        "headline": {
            "metric": b.harm_basis.metric if b.harm_basis else None,
            "from_refusal": b.harm_basis.from_refusal if b.harm_basis else None,
            "text": b.headline,
        },
        "method_notes": [{"method": m, "note": n} for m, n in b.method_notes],
        "methods_declared": {k: v.to_dict() for k, v in b.run.methods.items()},
        "benchmarks_declared": {
            k: {kind: m.to_dict() for kind, m in v.items()} for k, v in b.run.benchmarks.items()
        },
        "lengths": [x.to_dict() for x in b.lengths],
        # present when the run names hand labels (calibration:), or its judges disagree
        **(
            {
                "calibration": [c.to_dict() for c in b.calibration],
                "corrected_rates": [x.to_dict() for x in b.corrected],
                "low_agreement": sorted(list(k) for k in b.low_agreement),
            }
            if b.calibration
            else {}
        ),
        **(
            {"judge_disagreements": [d.to_dict() for d in b.disagreements]}
            if b.disagreements
            else {}
        ),
        **({"sampling": [c.to_dict() for c in b.sampling]} if b.sampling else {}),
        # present when the run has them (a report of a run without keeps its old shape)
        **({"skipped": b.run.skipped} if b.run.skipped else {}),
        **({"texts": b.run.texts} if texts_line(b) and b.run.texts else {}),
        **(
            {
                "thought_leakage": {
                    **b.leakage.to_dict(),
                    "examples": [e.to_dict() for e in b.leak_examples],
                }
            }
            if b.leakage
            else {}
        ),
    }
