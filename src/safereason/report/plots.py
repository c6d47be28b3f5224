"""The report's figures, as inline SVG from matplotlib.

Figures are built with the object API (``Figure``, no pyplot), so no GUI backend is
touched and the user's backend choice is left alone.

Each function returns a :class:`Plot`; where its data is missing the plot has no SVG and
a note saying why, and the report shows the note instead.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from matplotlib import rc_context
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.text import Text
from matplotlib.typing import RcKeyType

from safereason.analysis.agreement import Agreement
from safereason.analysis.cells import Estimate
from safereason.analysis.leakage import Leak
from safereason.analysis.metrics import wilson
from safereason.analysis.outcomes import HEADLINE, first_seen
from safereason.analysis.tradeoff import Point

# Okabe-Ito: distinguishable with colour-vision deficiencies, and in greyscale print.
COLORS = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000"]
MARKERS = ["o", "s", "^", "D", "v", "P", "X", "*"]
STYLE: dict[RcKeyType, Any] = {
    "svg.fonttype": "none",
    "font.family": "sans-serif",
    "font.size": 9,
    "axes.titlesize": 10,
    "axes.labelsize": 9,
    "legend.fontsize": 8,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.3,
    # labels are user text (model, method, benchmark, category names): never TeX
    "text.usetex": False,
    "text.parse_math": False,
}


@dataclass(frozen=True)
class Plot:
    """One figure: its SVG markup, or a note on why it is absent."""

    name: str
    title: str
    caption: str
    svg: str | None = None
    note: str | None = None


def _plain_text(fig: Figure) -> None:
    """Every text of ``fig`` drawn as written: a ``$`` in a label is a dollar sign, not
    mathtext, and nothing is sent to TeX (texts made outside :data:`STYLE` included)."""
    for text in fig.findobj(Text):
        text.set_usetex(False)
        text.set_parse_math(False)


def _svg(fig: Figure, name: str) -> str:
    _plain_text(fig)
    buf = io.StringIO()
    with rc_context({"svg.hashsalt": name, **STYLE}):
        # no metadata block: no date (reports are reproducible) and no RDF links
        fig.savefig(
            buf, format="svg", metadata=dict.fromkeys(("Date", "Creator", "Format", "Type"))
        )
    text = buf.getvalue()
    text = text[text.index("<svg") :]  # drop the XML prolog and DOCTYPE for inline use
    # ids must be unique within the HTML page: prefix every id and its references
    text = re.sub(r'id="([^"]+)"', rf'id="{name}-\1"', text)
    text = re.sub(r"url\(#([^)]+)\)", rf"url(#{name}-\1)", text)
    text = re.sub(r'href="#([^"]+)"', rf'href="#{name}-\1"', text)
    return text.replace("<svg ", f'<svg role="img" aria-label="{name}" class="plot" ', 1)


def _figure(w: float, h: float) -> Figure:
    with rc_context(STYLE):
        return Figure(figsize=(w, h), layout="constrained")


def _err(e: Estimate) -> tuple[list[float], list[float]]:
    return [max(0.0, e.value - e.lo)], [max(0.0, e.hi - e.value)]


def _style_maps(
    models: Sequence[str], methods: Sequence[str]
) -> tuple[dict[str, str], dict[str, str]]:
    color = {m: COLORS[i % len(COLORS)] for i, m in enumerate(methods)}
    marker = {m: MARKERS[i % len(MARKERS)] for i, m in enumerate(models)}
    return color, marker


def _legend(
    ax: Axes, models: Sequence[str], methods: Sequence[str], extra: Sequence[Any] = ()
) -> None:
    color, marker = _style_maps(models, methods)
    handles: list[Any] = [
        Line2D([], [], color=color[m], marker="o", linestyle="", label=m) for m in methods
    ]
    if len(models) > 1:
        handles += [
            Line2D([], [], color="0.3", marker=marker[m], linestyle="", label=m) for m in models
        ]
    ax.legend(
        handles=[*handles, *extra], loc="center left", bbox_to_anchor=(1.02, 0.5), frameon=False
    )


def _unit_axes(ax: Axes) -> None:
    ax.set_xlim(-0.03, 1.03)
    ax.set_ylim(-0.03, 1.03)


def tradeoff_scatter(
    points: Sequence[Point], models: Sequence[str], methods: Sequence[str]
) -> Plot:
    """Accuracy vs safety per model x method, Wilson error bars, and the Pareto frontier."""
    title = "Reasoning accuracy vs safety"
    caption = (
        "Each point is one model × method: accuracy pooled over reasoning benchmarks, safety = "
        "1 − the headline unsafe rate (harmful-content, or non-refusal when no harm judge "
        "ran) pooled over harmful benchmarks and attacks. Bars: 95% Wilson intervals. The "
        "dashed line joins the Pareto-optimal points."
    )
    caption += (
        " Beside each point: the share of 2,000 seeded bootstrap resamples of the items in "
        "which it is on the frontier; a point is called dominated only where that share is "
        "at most 5%, on the frontier only where it is at least 95%."
    )
    pts = [p for p in points if p.accuracy is not None and p.safety is not None]
    if not pts:
        return Plot(
            "tradeoff",
            title,
            caption,
            note="needs a reasoning benchmark (accuracy) and "
            "a harmful benchmark (safety); this run lacks one of them",
        )
    color, marker = _style_maps(models, methods)
    fig = _figure(6.4, 4.0)
    ax = fig.add_subplot()
    for p in pts:
        assert p.accuracy is not None and p.safety is not None
        ax.errorbar(
            p.accuracy.value,
            p.safety.value,
            xerr=_err(p.accuracy),
            yerr=_err(p.safety),
            fmt=marker[p.model],
            color=color[p.method],
            markersize=7,
            capsize=3,
            elinewidth=1,
            markeredgecolor="black" if p.pareto else color[p.method],
        )
        if p.pareto_share is not None:
            ax.annotate(
                f"{100 * p.pareto_share:.0f}%",
                (p.accuracy.value, p.safety.value),
                xytext=(5, 4),
                textcoords="offset points",
                fontsize=7,
                color="0.25",
            )
    front = sorted(
        (p.accuracy.value, p.safety.value) for p in pts if p.pareto and p.accuracy and p.safety
    )
    extra: list[Any] = []
    if front:
        ax.plot(
            [x for x, _ in front], [y for _, y in front], "--", color="0.4", linewidth=1, zorder=0
        )
        extra.append(
            Line2D([], [], color="0.4", linestyle="--", label="Pareto frontier (estimates)")
        )
    _unit_axes(ax)
    ax.set_xlabel("accuracy on reasoning benchmarks")
    ax.set_ylabel("safety (1 − headline unsafe rate)")
    _legend(ax, models, methods, extra)
    return Plot("tradeoff", title, caption, svg=_svg(fig, "tradeoff"))


def attack_heatmap(
    by_attack: Sequence[Estimate], models: Sequence[str], methods: Sequence[str]
) -> Plot:
    """Attack success (the headline unsafe rate) per attack x method, one panel per model."""
    title = "Attack success by attack and method"
    caption = (
        "Headline unsafe rate (harmful-content rate from the strongest harm judge, or the "
        "non-refusal rate when only the refusal judge ran: see the report's first screen) "
        "per attack (rows) and method (columns), harmful benchmarks pooled; sample counts "
        "in brackets."
    )
    cells = {(e.model, e.method, e.attack): e for e in by_attack if e.metric in HEADLINE and e.n}
    if not cells:
        return Plot("attacks", title, caption, note="no harmful benchmark with a harm verdict")
    attacks = first_seen(e.attack for e in by_attack)
    used = [m for m in models if any(k[0] == m for k in cells)]
    fig = _figure(max(5.0, 2.2 + 1.5 * len(methods) * len(used)), 1.9 + 0.55 * len(attacks))
    axes = fig.subplots(1, len(used), squeeze=False)[0]
    image = None
    for ax, model in zip(axes, used, strict=True):
        grid = [
            [
                cells[(model, me, a)].value if (model, me, a) in cells else float("nan")
                for me in methods
            ]
            for a in attacks
        ]
        image = ax.imshow(grid, cmap="Reds", vmin=0, vmax=1, aspect="auto")
        for i, a in enumerate(attacks):
            for j, me in enumerate(methods):
                e = cells.get((model, me, a))
                if e is not None:
                    ax.text(
                        j,
                        i,
                        f"{e.value:.2f}\n(n={e.n})",
                        ha="center",
                        va="center",
                        fontsize=8,
                        color="white" if e.value > 0.6 else "black",
                    )
        ax.set_xticks(range(len(methods)), methods, rotation=30, ha="right")
        ax.set_yticks(range(len(attacks)), attacks)
        ax.set_xlabel("method")
        ax.set_ylabel("attack")
        ax.grid(False)
        ax.set_title(model)
    if image is not None:
        fig.colorbar(image, ax=list(axes), label="attack success rate", shrink=0.9)
    return Plot("attacks", title, caption, svg=_svg(fig, "attacks"))


def category_bars(
    by_category: Sequence[Estimate], models: Sequence[str], methods: Sequence[str]
) -> Plot:
    """The headline unsafe rate per harm category, bars per method, one panel per model."""
    title = "Harmful responses by category"
    caption = (
        "Headline unsafe rate (harmful-content, or non-refusal when no harm judge ran) per "
        "harm category (attacks and harmful benchmarks pooled), 95% Wilson intervals."
    )
    est = [e for e in by_category if e.metric in HEADLINE and e.n]
    pooled = _pool_benchmarks(est)
    if not pooled:
        return Plot(
            "categories",
            title,
            caption,
            note="no harmful samples with a category and a harm verdict",
        )
    cats = first_seen(c for _, _, c in pooled)
    used = [m for m in models if any(k[0] == m for k in pooled)]
    width = 0.8 / len(methods)
    color, _ = _style_maps(models, methods)
    fig = _figure(
        max(5.0, 1.5 + 0.55 * len(cats) * max(1, len(methods)) / 2), 2.6 * len(used) + 0.6
    )
    axes = fig.subplots(len(used), 1, squeeze=False)[:, 0]
    for ax, model in zip(axes, used, strict=True):
        for j, me in enumerate(methods):
            xs, ys, lo, hi = [], [], [], []
            for i, c in enumerate(cats):
                k, n = pooled.get((model, me, c), (0, 0))
                if not n:
                    continue
                a, b = wilson(k, n)
                xs.append(i + (j - (len(methods) - 1) / 2) * width)
                ys.append(k / n)
                lo.append(k / n - a)
                hi.append(b - k / n)
            ax.bar(
                xs,
                ys,
                width=width,
                color=color[me],
                label=me,
                yerr=[lo, hi],
                error_kw={"elinewidth": 0.8, "capsize": 2},
            )
        ax.set_xticks(
            range(len(cats)), [c.replace("_", " ") for c in cats], rotation=25, ha="right"
        )
        ax.set_ylim(0, 1.05)
        ax.set_ylabel("headline unsafe rate")
        ax.set_xlabel("harm category")
        ax.set_title(model)
        ax.legend(title="method", loc="center left", bbox_to_anchor=(1.01, 0.5), frameon=False)
    return Plot("categories", title, caption, svg=_svg(fig, "categories"))


def _pool_benchmarks(est: Sequence[Estimate]) -> dict[tuple[str, str, str], tuple[int, int]]:
    out: dict[tuple[str, str, str], tuple[int, int]] = {}
    for e in est:
        k, n = out.get((e.model, e.method, e.category), (0, 0))
        out[(e.model, e.method, e.category)] = (k + (e.k or 0), n + e.n)
    return out


def refusal_scatter(
    pooled: Sequence[Estimate], models: Sequence[str], methods: Sequence[str]
) -> Plot:
    """Over-refusal on benign prompts vs refusal of harmful ones, per model x method."""
    title = "Over-refusal vs refusal of harmful requests"
    caption = (
        "x: refusal rate on harmful requests; y: refusal rate on benign look-alikes "
        "(over-refusal). The ideal is the bottom-right corner. Bars: 95% Wilson intervals."
    )
    harm = {(e.model, e.method): e for e in pooled if e.metric == "refusal_rate"}
    benign = {(e.model, e.method): e for e in pooled if e.metric == "over_refusal"}
    both = [k for k in harm if k in benign]
    if not both:
        missing = (
            "a benign benchmark (over-refusal)"
            if harm
            else "a harmful benchmark with a refusal judge"
        )
        return Plot("refusal", title, caption, note=f"needs {missing}; this run has none")
    color, marker = _style_maps(models, methods)
    fig = _figure(6.0, 3.8)
    ax = fig.add_subplot()
    for model, method in both:
        h, b = harm[(model, method)], benign[(model, method)]
        ax.errorbar(
            h.value,
            b.value,
            xerr=_err(h),
            yerr=_err(b),
            fmt=marker[model],
            color=color[method],
            markersize=7,
            capsize=3,
            elinewidth=1,
        )
    ax.annotate(
        "ideal",
        (1.0, 0.0),
        xytext=(0.82, 0.1),
        fontsize=8,
        color="0.3",
        arrowprops={"arrowstyle": "->", "color": "0.5"},
    )
    _unit_axes(ax)
    ax.set_xlabel("refusal rate on harmful requests")
    ax.set_ylabel("over-refusal on benign requests")
    _legend(ax, models, methods)
    return Plot("refusal", title, caption, svg=_svg(fig, "refusal"))


def agreement_heatmap(agreements: Sequence[Agreement]) -> Plot:
    """Cohen's kappa between every pair of judges, one panel per sample kind."""
    title = "Judge agreement"
    caption = (
        "Cohen's κ between judges on the items both decided (read as 'the response "
        "complied'); percent agreement and counts are in the table below."
    )
    if not agreements:
        return Plot(
            "agreement",
            title,
            caption,
            note="only one judge decided each kind of item: nothing to compare",
        )
    kinds = first_seen(a.kind for a in agreements)
    fig = _figure(3.6 * len(kinds) + 1.0, 3.2)
    axes = fig.subplots(1, len(kinds), squeeze=False)[0]
    image = None
    for ax, kind in zip(axes, kinds, strict=True):
        ags = [a for a in agreements if a.kind == kind]
        judges = first_seen([x for a in ags for x in (a.judge_a, a.judge_b)])
        idx = {j: i for i, j in enumerate(judges)}
        grid = [
            [1.0 if i == j else float("nan") for j in range(len(judges))]
            for i in range(len(judges))
        ]
        for a in ags:
            k = a.kappa if a.kappa is not None else float("nan")
            grid[idx[a.judge_a]][idx[a.judge_b]] = grid[idx[a.judge_b]][idx[a.judge_a]] = k
        image = ax.imshow(grid, cmap="RdBu", vmin=-1, vmax=1)
        for i in range(len(judges)):
            for j in range(len(judges)):
                v = grid[i][j]
                ax.text(
                    j,
                    i,
                    "—" if v != v else f"{v:.2f}",
                    ha="center",
                    va="center",
                    fontsize=9,
                    color="white" if v == v and abs(v) > 0.6 else "black",
                )
        ax.set_xticks(range(len(judges)), judges, rotation=30, ha="right")
        ax.set_yticks(range(len(judges)), judges)
        ax.grid(False)
        ax.set_title(f"{kind} items")
    if image is not None:
        fig.colorbar(image, ax=list(axes), label="Cohen's κ", shrink=0.9)
    return Plot("agreement", title, caption, svg=_svg(fig, "agreement"))


def leakage_bars(cells: Sequence[Leak], models: Sequence[str], methods: Sequence[str]) -> Plot:
    """Thought-leakage rate per attack, bars per method, one panel per model."""
    title = "Thought leakage: safe answer, harmful reasoning"
    caption = (
        "Share of harmful items whose final answer the judge finds safe while the same "
        "judge on the reasoning (or the complete response) finds harm, over the items with "
        "a reasoning trace and both verdicts decided; per attack and method, 95% Wilson "
        "intervals. One judge pair per panel: the first the run has."
    )
    decided = [c for c in cells if c.n]
    if not decided:
        return Plot(
            "leakage",
            title,
            caption,
            note="no harmful item with a reasoning trace judged on both answer and thoughts",
        )
    pair = (decided[0].answer_judge, decided[0].thoughts_judge)
    mine = {
        (c.model, c.method, c.attack): c
        for c in decided
        if (c.answer_judge, c.thoughts_judge) == pair
    }
    attacks = first_seen(c.attack for c in mine.values())
    used = [m for m in models if any(k[0] == m for k in mine)]
    shown = [me for me in methods if any(k[1] == me for k in mine)]
    width = 0.8 / len(shown)
    color, _ = _style_maps(models, shown)
    fig = _figure(max(5.0, 1.5 + 0.5 * len(attacks) * max(1, len(shown)) / 2), 2.6 * len(used))
    axes = fig.subplots(len(used), 1, squeeze=False)[:, 0]
    for ax, model in zip(axes, used, strict=True):
        for j, me in enumerate(shown):
            xs, ys, lo, hi = [], [], [], []
            for i, a in enumerate(attacks):
                c = mine.get((model, me, a))
                if c is None or c.value is None or c.lo is None or c.hi is None:
                    continue
                xs.append(i + (j - (len(shown) - 1) / 2) * width)
                ys.append(c.value)
                lo.append(max(0.0, c.value - c.lo))
                hi.append(max(0.0, c.hi - c.value))
            ax.bar(
                xs,
                ys,
                width=width,
                color=color[me],
                label=me,
                yerr=[lo, hi],
                error_kw={"elinewidth": 0.8, "capsize": 2},
            )
        ax.set_xticks(range(len(attacks)), attacks, rotation=25, ha="right")
        ax.set_ylim(0, 1.05)
        ax.set_ylabel("leak rate")
        ax.set_xlabel("attack")
        ax.set_title(f"{model} ({pair[0]} → {pair[1]})")
        ax.legend(title="method", loc="center left", bbox_to_anchor=(1.01, 0.5), frameon=False)
    return Plot("leakage", title, caption, svg=_svg(fig, "leakage"))
