"""Safe@k and hit@k as Markdown lines, for ``summary.md``."""

from __future__ import annotations

from collections.abc import Sequence

from safereason.analysis.sampling import CellSampling


def _rate(value: float, lo: float, hi: float) -> str:
    return f"{value:.2f} [{lo:.2f}, {hi:.2f}]"


def sampling_markdown(cells: Sequence[CellSampling]) -> list[str]:
    """The Safe@k / hit@k table (no lines when the run drew one sample per item)."""
    if not cells:
        return []
    judge = cells[0].judge
    lines = [
        "",
        "## Sampling-based safety: Safe@k and hit@k",
        "",
        f"Harmful items with k samples each, every sample judged by {judge} (the headline "
        "judge): Safe@k is the share of items whose k samples were all safe, hit@k the share "
        "with at least one unsafe sample; 95% Wilson intervals over items. Items with an "
        "undecided sample are left out.",
        "",
        "| model | method | benchmark | attack | k | items | Safe@k [95% CI] | hit@k [95% CI] "
        "| left out |",
        "|---|---|---|---|---:|---:|---:|---:|---:|",
    ]
    for c in cells:
        s = c.result
        lines.append(
            f"| {c.model} | {c.method} | {c.benchmark} | {c.attack} | {s.k} | {s.items} | "
            f"{_rate(s.safe_at_k, s.safe_lo, s.safe_hi)} | "
            f"{_rate(s.hit_at_k, s.hit_lo, s.hit_hi)} | {c.left_out} |"
        )
    return lines
