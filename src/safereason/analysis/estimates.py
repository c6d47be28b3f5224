"""Cell estimates with 95% intervals: Wilson for rates, bootstrap for mean scores."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from safereason.analysis.cells import ALL, Estimate, wilson
from safereason.analysis.outcomes import Outcome
from safereason.analysis.resampling import mean_ci


def estimate(values: Sequence[float], binary: bool) -> tuple[int, float, float, float, int | None]:
    """(n, value, lo, hi, k) for a list of outcomes."""
    n = len(values)
    if binary:
        k = int(sum(values))
        lo, hi = wilson(k, n)
        return n, k / n, lo, hi, k
    lo, hi = mean_ci(values)
    return n, sum(values) / n, lo, hi, None


Coords = tuple[str, str, str, str, str, str, str]


def aggregate(
    outs: Iterable[Outcome], coords: Callable[[Outcome], Coords] | None = None
) -> list[Estimate]:
    """Group outcomes by ``coords`` (default: the full grid, all categories pooled)."""
    key = coords or grid
    groups: dict[Coords, tuple[list[float], bool]] = {}
    for o in outs:
        groups.setdefault(key(o), ([], o.binary))[0].append(o.value)
    out = []
    for c, (values, binary) in groups.items():
        n, value, lo, hi, k = estimate(values, binary)
        out.append(Estimate(*c, n=n, value=value, lo=lo, hi=hi, k=k))
    return out


def grid(o: Outcome) -> Coords:
    """model x method x benchmark x attack, every category pooled."""
    return (o.model, o.method, o.benchmark, o.attack, ALL, o.metric, o.judge)


def by_category(o: Outcome) -> Coords:
    """model x method x benchmark x category, attacks pooled."""
    return (o.model, o.method, o.benchmark, ALL, o.category or "(none)", o.metric, o.judge)


def by_category_attack(o: Outcome) -> Coords:
    """The full grid split by category."""
    return (o.model, o.method, o.benchmark, o.attack, o.category or "(none)", o.metric, o.judge)


def pooled(o: Outcome) -> Coords:
    """model x method, every benchmark of the metric and every attack pooled."""
    return (o.model, o.method, ALL, ALL, ALL, o.metric, o.judge)


def by_attack(o: Outcome) -> Coords:
    """model x method x attack, benchmarks pooled."""
    return (o.model, o.method, ALL, o.attack, ALL, o.metric, o.judge)
