"""Paired tests against hand-checkable numbers: McNemar, permutation, Holm, pairing."""

from __future__ import annotations

import math

import pytest

from safereason.analysis.outcomes import Outcome
from safereason.analysis.paired import against_baseline, binary_stats, holm, score_stats


def _pairs(both: int, only_ref: int, only_new: int, neither: int) -> tuple[list[int], list[int]]:
    ref = [1] * both + [1] * only_ref + [0] * only_new + [0] * neither
    new = [1] * both + [0] * only_ref + [1] * only_new + [0] * neither
    return ref, new


def test_exact_mcnemar_on_a_known_table() -> None:
    # discordant 1 vs 9: two-sided exact binomial p = 2 * (C(10,0) + C(10,1)) / 2**10
    ref, new = _pairs(both=3, only_ref=1, only_new=9, neither=4)
    s = binary_stats(ref, new)
    assert s["p"] == pytest.approx(22 / 1024)
    assert (s["only_reference"], s["only_method"]) == (1, 9)
    assert s["diff"] == pytest.approx((9 - 1) / 17)
    assert s["diff_lo"] <= s["diff"] <= s["diff_hi"]
    assert s["odds_ratio"] == pytest.approx(9.0)
    assert 0 < s["or_lo"] < 9.0 < s["or_hi"]


def test_no_discordant_pairs_is_no_evidence() -> None:
    ref, new = _pairs(both=5, only_ref=0, only_new=0, neither=5)
    s = binary_stats(ref, new)
    assert s["p"] == 1.0 and s["diff"] == 0.0 and s["odds_ratio"] is None


def test_one_sided_discordance_has_infinite_odds() -> None:
    ref, new = _pairs(both=0, only_ref=0, only_new=6, neither=0)
    s = binary_stats(ref, new)
    assert math.isinf(s["odds_ratio"]) and s["p"] == pytest.approx(2 / 64)


def test_paired_permutation_on_scores() -> None:
    # every one of 10 pairs goes up: only 2 of 2**10 sign patterns are as extreme
    base = [0.1 * i for i in range(10)]
    s = score_stats(base, [b + 0.2 + 0.01 * i for i, b in enumerate(base)])
    assert s["p"] == pytest.approx(2 / 1024)
    assert s["diff"] == pytest.approx(0.245)
    assert s["diff_lo"] <= s["diff"] <= s["diff_hi"]
    same = score_stats([0.3, 0.5], [0.3, 0.5])
    assert same["p"] == 1.0 and same["diff"] == 0.0


def _t(p: float):  # type: ignore[no-untyped-def]
    from safereason.analysis.paired import PairedTest

    return PairedTest("m", "x", "b", "bench", "none", "acc", "j", "t", 10, 0, 0, 0, 0, 0, p)


def test_holm_correction() -> None:
    # sorted 0.01, 0.03, 0.04 -> 0.03, 0.06, max(0.06, 0.04)
    out = holm([_t(0.01), _t(0.04), _t(0.03)])
    assert [t.p_holm for t in out] == pytest.approx([0.03, 0.06, 0.06])
    assert [t.significant for t in out] == [True, False, False]


def _o(method: str, sid: str, value: float, attack: str = "none") -> Outcome:
    return Outcome(
        "m", method, "b", attack, sid, "harmful", None, "refusal_rate", "refusal", value, True
    )


def test_pairs_by_sample_and_skips_unmatched() -> None:
    outs = [
        *(_o("base", str(i), 1.0) for i in range(10)),
        *(_o("cot", str(i), 0.0) for i in range(10)),
        _o("cot", "extra", 0.0),  # no baseline partner
        _o("cot", "0", 1.0, attack="other"),  # another cell, no partner either
    ]
    tests = against_baseline(outs, "base")
    assert len(tests) == 1
    t = tests[0]
    assert (t.method, t.reference, t.n) == ("cot", "base", 10)
    assert (t.reference_value, t.value) == (1.0, 0.0)
    assert t.p == pytest.approx(2 / 1024) and t.significant


def _oc(method: str, sid: int, metric: str, judge: str, value: float) -> Outcome:
    return Outcome("m", method, "b", "none", str(sid), "harmful", None, metric, judge, value, True)


def _refusal_and_complement(
    method: str, refused: list[int], judge: str = "refusal"
) -> list[Outcome]:
    """A refusal rate and the unsafe rate derived from the same verdicts (its complement)."""
    out = []
    for i, r in enumerate(refused):
        out.append(_oc(method, i, "refusal_rate", judge, float(r)))
        out.append(_oc(method, i, "harmful_response", judge, 1.0 - r))
    return out


def test_a_rate_and_its_complement_never_both_enter_the_family() -> None:
    base = [1] * 12 + [0] * 8
    cot = [0] * 10 + [1] * 2 + [0] * 8
    outs = _refusal_and_complement("base", base) + _refusal_and_complement("cot", cot)
    tests = against_baseline(outs, "base")
    by_metric = {t.metric: t for t in tests}
    rate, harm = by_metric["refusal_rate"], by_metric["harmful_response"]
    assert rate.in_family and not harm.in_family and harm.same_as == "refusal_rate"
    assert [t.family_size for t in tests] == [1, 1]
    # one hypothesis, one p: the complement takes its representative's corrected p
    assert harm.p == rate.p and harm.p_holm == rate.p_holm and harm.significant == rate.significant
    assert rate.p_holm == pytest.approx(rate.p)  # a family of one: Holm changes nothing
    assert harm.diff == pytest.approx(-rate.diff)


def test_the_same_data_from_another_judge_is_another_hypothesis() -> None:
    base = [1] * 12 + [0] * 8
    cot = [0] * 10 + [1] * 2 + [0] * 8
    outs = [
        *_refusal_and_complement("base", base),
        *_refusal_and_complement("cot", cot),
        *_refusal_and_complement("base", base, judge="refusal_strict"),
        *_refusal_and_complement("cot", cot, judge="refusal_strict"),
    ]
    tests = against_baseline(outs, "base")
    in_family = [(t.metric, t.judge) for t in tests if t.in_family]
    assert sorted(in_family) == [("refusal_rate", "refusal"), ("refusal_rate", "refusal_strict")]
    assert {t.family_size for t in tests} == {2}


def test_tests_without_discordant_pairs_are_left_out_of_the_family() -> None:
    outs = []
    for i in range(20):
        outs.append(_oc("base", i, "refusal_rate", "refusal", float(i < 12)))
        outs.append(_oc("cot", i, "refusal_rate", "refusal", float(i < 2)))
        outs.append(_oc("base", i, "accuracy", "am", float(i < 5)))
        outs.append(_oc("cot", i, "accuracy", "am", float(i < 5)))  # no discordant pair
    tests = {t.metric: t for t in against_baseline(outs, "base")}
    same = tests["accuracy"]
    assert same.no_evidence and not same.in_family and same.p == 1.0 and same.p_holm == 1.0
    assert tests["refusal_rate"].family_size == 1
    assert tests["refusal_rate"].p_holm == pytest.approx(tests["refusal_rate"].p)
    # the interval of no change at n = 20 is not [0, 0]
    assert same.diff_lo is not None and same.diff_hi is not None
    assert same.diff_lo < 0 < same.diff_hi


def test_holm_over_the_family_matches_statsmodels() -> None:
    from dataclasses import replace

    from statsmodels.stats.multitest import multipletests  # type: ignore[import-untyped]

    from safereason.analysis.paired import PairedTest

    def t(metric: str, p: float) -> PairedTest:
        return PairedTest("m", "x", "b", "bench", "none", metric, "j", "t", 10, 0, 0, 0, 0, 0, p)

    tests = [
        t("a", 0.01),
        t("b", 0.04),
        t("c", 0.03),
        replace(t("a_complement", 0.01), same_as="a"),
        replace(t("flat", 1.0), no_evidence=True),
    ]
    out = holm(tests)
    reject, p_adj, _, _ = multipletests([0.01, 0.04, 0.03], alpha=0.05, method="holm")
    assert [x.p_holm for x in out[:3]] == pytest.approx(list(p_adj))
    assert [x.significant for x in out[:3]] == list(reject)
    assert out[3].p_holm == out[0].p_holm and out[4].p_holm == 1.0
    assert {x.family_size for x in out} == {3}
