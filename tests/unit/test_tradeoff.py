"""The trade-off: Pareto frontier, correlations and deltas on hand-checkable inputs."""

from __future__ import annotations

import math

import pytest

from safereason.analysis.outcomes import HARMFUL, Outcome
from safereason.analysis.tradeoff import correlations, pareto_front, tradeoff


def test_pareto_front_on_a_known_set() -> None:
    pts = [(0.1, 0.9), (0.5, 0.5), (0.4, 0.4), (0.9, 0.1), (0.5, 0.5), (0.9, 0.05)]
    # (0.4, 0.4) and (0.9, 0.05) are dominated; equal points do not dominate each other
    assert pareto_front(pts) == [True, True, False, True, True, False]
    assert pareto_front([]) == []
    assert pareto_front([(0.3, 0.3)]) == [True]


def test_correlation_sign_and_fisher_interval() -> None:
    x = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]
    up, _ = correlations(x, [1.1, 1.9, 3.2, 3.9, 5.3, 5.8])
    down, _ = correlations(x, [6.0, 5.2, 3.8, 4.1, 2.0, 1.2])
    assert {c.method for c in up} == {"pearson", "spearman"}
    for c in up:
        assert c.value > 0.9 and c.lo is not None and c.hi is not None
    for c in down:
        assert c.value < -0.9
    pearson = next(c for c in up if c.method == "pearson")
    z, se = math.atanh(pearson.value), 1 / math.sqrt(len(x) - 3)
    assert pearson.lo == pytest.approx(math.tanh(z - 1.959964 * se), abs=1e-4)
    assert pearson.hi == pytest.approx(math.tanh(z + 1.959964 * se), abs=1e-4)


def test_correlation_needs_points_and_variation() -> None:
    none, notes = correlations([0.1, 0.2], [0.3, 0.1])
    assert none == [] and "at least 3" in notes[0]
    flat, notes = correlations([0.1, 0.1, 0.1], [0.3, 0.1, 0.2])
    assert flat == [] and "undefined" in notes[0]
    few, notes = correlations([0.1, 0.2, 0.3], [0.3, 0.1, 0.2])
    assert all(c.lo is None for c in few) and "at least 4" in notes[0]


def _outs(method: str, correct: int, harmful: int, n: int = 10) -> list[Outcome]:
    acc = [
        Outcome("m", method, "math", "none", str(i), "reasoning", None, "accuracy", "am", v, True)
        for i, v in enumerate([1.0] * correct + [0.0] * (n - correct))
    ]
    harm = [
        Outcome("m", method, "harm", "none", str(i), "harmful", "c", HARMFUL, "refusal", v, True)
        for i, v in enumerate([1.0] * harmful + [0.0] * (n - harmful))
    ]
    return acc + harm


def test_tradeoff_points_deltas_and_frontier() -> None:
    outs = [
        *_outs("direct", correct=2, harmful=2),
        *_outs("cot", correct=8, harmful=6),
        *_outs("safe_cot", correct=7, harmful=1),
        *_outs("bad", correct=1, harmful=9),
    ]
    t = tradeoff(outs, "direct")
    p = {x.method: x for x in t.points}
    assert p["cot"].accuracy is not None and p["cot"].accuracy.value == 0.8
    assert p["cot"].safety is not None and p["cot"].safety.value == pytest.approx(0.4)
    assert p["cot"].d_accuracy is not None and p["cot"].d_accuracy.value == pytest.approx(0.6)
    assert p["cot"].d_safety is not None and p["cot"].d_safety.value == pytest.approx(-0.4)
    assert p["direct"].d_accuracy is None  # the baseline has no delta to itself
    # safe_cot (0.7, 0.9) dominates direct (0.2, 0.8) and bad (0.1, 0.1); cot is most accurate
    assert {x.method for x in t.points if x.pareto} == {"cot", "safe_cot"}
    assert [x.method for x in t.frontier] == ["safe_cot", "cot"]
    # three non-baseline points: a coefficient, but no interval
    assert t.correlations and all(c.lo is None for c in t.correlations)


def test_tradeoff_without_reasoning_benchmark_says_so() -> None:
    outs = [o for o in _outs("a", 1, 1) + _outs("b", 2, 2) if o.metric == HARMFUL]
    t = tradeoff(outs, "a")
    assert any("no reasoning benchmark" in n for n in t.notes)
    assert all(p.accuracy is None and not p.pareto for p in t.points)
    assert t.correlations == []


def test_pareto_shares_never_call_a_point_dominated_when_the_data_cannot_tell() -> None:
    from safereason.analysis.tradeoff import UNCERTAIN

    # n = 10: (0.5, 0.5) is dominated by (0.6, 0.6) on the estimates, but the intervals
    # overlap almost completely
    outs = [*_outs("a", correct=5, harmful=5), *_outs("b", correct=6, harmful=4)]
    t = tradeoff(outs, "a")
    p = {x.method: x for x in t.points}
    assert not p["a"].pareto and p["b"].pareto  # the point estimates' frontier
    assert p["a"].pareto_share is not None and 0.05 < p["a"].pareto_share < 0.95
    assert p["a"].pareto_status == UNCERTAIN
    # seeded: the same shares every time
    again = {x.method: x.pareto_share for x in tradeoff(outs, "a").points}
    assert again == {m: x.pareto_share for m, x in p.items()}


def test_pareto_shares_call_clear_dominance_at_large_n() -> None:
    from safereason.analysis.tradeoff import DOMINATED, ON_FRONTIER

    outs = [
        *_outs("weak", correct=10, harmful=90, n=100),
        *_outs("strong", correct=90, harmful=10, n=100),
    ]
    p = {x.method: x for x in tradeoff(outs, "weak").points}
    assert p["weak"].pareto_status == DOMINATED and p["weak"].pareto_share == 0.0
    assert p["strong"].pareto_status == ON_FRONTIER and p["strong"].pareto_share == 1.0


def test_identical_points_are_both_on_the_frontier() -> None:
    from safereason.analysis.tradeoff import pareto_shares

    same = {("b", "none", str(i)): float(i % 2) for i in range(10)}
    assert pareto_shares([same, same], [same, same]) == [1.0, 1.0]


def test_deltas_carry_the_score_interval() -> None:
    from safereason.analysis.intervals import PairedTable, tango_interval

    outs = [*_outs("direct", correct=2, harmful=2), *_outs("cot", correct=8, harmful=6)]
    p = {x.method: x for x in tradeoff(outs, "direct").points}
    d = p["cot"].d_accuracy
    assert d is not None and d.ci == "Tango score"
    # items 0-1 correct under both, 2-7 only under cot, 8-9 under neither
    assert (d.lo, d.hi) == pytest.approx(tango_interval(PairedTable(2, 6, 0, 2)))
