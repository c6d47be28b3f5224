"""Cell estimates with 95% intervals: Wilson for rates, bootstrap for mean scores."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from typing import Protocol

from safereason.analysis.cells import ALL, Estimate, wilson
from safereason.analysis.outcomes import Gap, Outcome
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


class Located(Protocol):
    """What a coordinate function reads: an :class:`Outcome` or a :class:`Gap`."""

    @property
    def model(self) -> str: ...
    @property
    def method(self) -> str: ...
    @property
    def benchmark(self) -> str: ...
    @property
    def attack(self) -> str: ...
    @property
    def category(self) -> str | None: ...
    @property
    def metric(self) -> str: ...
    @property
    def judge(self) -> str: ...


def aggregate(
    outs: Iterable[Outcome],
    coords: Callable[[Located], Coords] | None = None,
    gaps: Iterable[Gap] = (),
) -> list[Estimate]:
    """Group outcomes by ``coords`` (default: the full grid, all categories pooled).

    ``gaps`` (from :func:`safereason.analysis.outcomes.gaps`) set each estimate's
    ``undecided``, ``missing`` and ``fallback`` counts; a group that has gaps and no
    outcome (every verdict undecided, or nothing generated) is a rate with n = 0.
    """
    key = coords or grid
    groups: dict[Coords, tuple[list[float], bool]] = {}
    for o in outs:
        groups.setdefault(key(o), ([], o.binary))[0].append(o.value)
    counted: dict[Coords, Counter[str]] = {}
    for g in gaps:
        counted.setdefault(key(g), Counter())[g.what] += 1
    for c in counted:
        groups.setdefault(c, ([], True))
    out = []
    for c, (values, binary) in groups.items():
        if values:
            n, value, lo, hi, k = estimate(values, binary)
            e = Estimate(*c, n=n, value=value, lo=lo, hi=hi, k=k)
        else:
            e = Estimate.rate(c, 0, 0)
        found = counted.get(c)
        if found:
            e = replace(
                e,
                undecided=found["undecided"],
                missing=found["missing"],
                fallback=found["fallback"],
            )
        out.append(e)
    return out


def grid(o: Located) -> Coords:
    """model x method x benchmark x attack, every category pooled."""
    return (o.model, o.method, o.benchmark, o.attack, ALL, o.metric, o.judge)


def by_category(o: Located) -> Coords:
    """model x method x benchmark x category, attacks pooled."""
    return (o.model, o.method, o.benchmark, ALL, o.category or "(none)", o.metric, o.judge)


def by_category_attack(o: Located) -> Coords:
    """The full grid split by category."""
    return (o.model, o.method, o.benchmark, o.attack, o.category or "(none)", o.metric, o.judge)


def pooled(o: Located) -> Coords:
    """model x method, every benchmark of the metric and every attack pooled."""
    return (o.model, o.method, ALL, ALL, ALL, o.metric, o.judge)


def by_attack(o: Located) -> Coords:
    """model x method x attack, benchmarks pooled."""
    return (o.model, o.method, ALL, o.attack, ALL, o.metric, o.judge)
