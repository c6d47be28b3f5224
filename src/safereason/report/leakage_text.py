"""Thought leakage and the items an attack left out, as Markdown lines (summary.md)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from safereason.analysis.leakage import DirectLeak, Leak, ThoughtLeakage


def _pct(x: float | None) -> str:
    return "—" if x is None else f"{100 * x:.1f}%"


def leak_text(c: Leak) -> str:
    """``12.5% [3.5%, 36.0%] (2 of 16)``, or a dash at n = 0."""
    if c.n == 0:
        return "—"
    return f"{_pct(c.value)} [{_pct(c.lo)}, {_pct(c.hi)}] ({c.k} of {c.n})"


def direct_text(d: DirectLeak) -> str:
    """``+10.0 points [+2.1, +25.3]``: output-only minus complete-response safety."""
    if d.value is None or d.value != d.value:
        return "—"
    ci = ""
    if d.lo is not None and d.hi is not None:
        ci = f" [{100 * d.lo:+.1f}, {100 * d.hi:+.1f}]"
    return f"{100 * d.value:+.1f} points{ci}"


def leakage_markdown(leaks: ThoughtLeakage) -> list[str]:
    """The thought-leakage tables: direct queries per model x method, cells, pooled."""
    lines = [
        "## Thought leakage",
        "",
        "Harmful items whose final answer the judge finds safe while the same judge on the "
        "reasoning (or the complete response) finds harm, over the items with a reasoning "
        "trace and both verdicts decided (95% Wilson interval).",
        "",
    ]
    if leaks.direct:
        lines += [
            "### On direct queries (as the paper reports it)",
            "",
            "Output-only safety minus complete-response safety on the un-attacked items, "
            "per model and method, paired over the same items (Tango's score interval).",
            "",
            "| model | method | judges | n (with a trace) | output-only safety | "
            "complete-response safety | leakage |",
            "|---|---|---|---:|---:|---:|---:|",
        ]
        for d in leaks.direct:
            judges = f"{d.answer_judge} → {d.thoughts_judge}" + (" (proxy)" if d.proxy else "")
            lines.append(
                f"| {d.model} | {d.method} | {judges} | {d.n} ({d.traced}) | "
                f"{_pct(d.output_safety)} | "
                f"{_pct(d.complete_safety)} | {direct_text(d)} |"
            )
        lines.append("")
    if leaks.cells:
        lines += [
            "### Per model, method and attack",
            "",
            "| model | method | attack | judges | leak rate (k of n) | no trace |",
            "|---|---|---|---|---:|---:|",
        ]
        for c in leaks.cells:
            lines.append(
                f"| {c.model} | {c.method} | {c.attack} | {c.answer_judge} → "
                f"{c.thoughts_judge} | {leak_text(c)} | {c.no_trace} |"
            )
        lines += ["", "Pooled over methods and attacks (an extra view):", ""]
        lines += [
            f"- {c.model} ({c.answer_judge} → {c.thoughts_judge}): {leak_text(c)}"
            for c in leaks.pooled
        ]
    lines += [f"- Note: {n}" for n in leaks.notes]
    return lines


def skipped_markdown(skips: Sequence[Mapping[str, Any]]) -> list[str]:
    """The samples an attack left out of the plan (never sent), as Markdown lines."""
    if not skips:
        return []
    lines = ["", "## Left out by their attack", ""]
    for c in skips:
        lines.append(
            f"- WARNING: {c['benchmark']} [{c['attack']}]: {c['skipped']} of {c['of']} "
            f"samples not sent ({c['reason']}); they are in no rate"
        )
    return lines
