"""Published vs ours for fine-tuning and privacy figures (report/literature_more.py).

The shipped data/published.yaml lists no such figure (none is certain from the paper), so
these tests give their own figures: the values below are test inputs, not the paper's.
"""

from __future__ import annotations

from typing import Any

import pytest

from safereason.analysis.cells import wilson
from safereason.analysis.privacy import privacy_correlations
from safereason.report.literature import published_comparison
from safereason.resources import data_yaml
from safereason.results import ResultRow
from tests.rows import result_row, result_rows


def _harm(i: int, model: str, unsafe: bool, attack: str = "none") -> dict[str, Any]:
    label = "unsafe" if unsafe else "safe"
    return {
        "item_id": f"{model}-h{attack}{i}",
        "model": model,
        "method": "default_system",
        "benchmark": "harmbench",
        "attack": attack,
        "sample_id": str(i),
        "kind": "harmful",
        "verdicts": {
            "harmbench_cls": {"judge": "harmbench_cls", "label": label, "score": float(unsafe)}
        },
    }


def _math(i: int, model: str, correct: bool) -> dict[str, Any]:
    label = "correct" if correct else "incorrect"
    return {
        "item_id": f"{model}-m{i}",
        "model": model,
        "method": "default_system",
        "benchmark": "gsm8k",
        "sample_id": str(i),
        "kind": "reasoning",
        "target": "1",
        "verdicts": {"answer_match": {"judge": "answer_match", "label": label, "score": 1.0}},
    }


def _privacy(model: str, human: float, rating: float) -> ResultRow:
    v = {
        "judge": "agreement_rating",
        "label": "agree",
        "score": (rating + 100) / 200,
        "details": {"rating": rating},
    }
    return result_row(
        {
            "model": model,
            "method": "default_system",
            "kind": "privacy",
            "target": f"{human:g}",
            "verdicts": {"agreement_rating": v},
        }
    )


def _rows() -> list[ResultRow]:
    dicts: list[dict[str, Any]] = []
    for model, unsafe, correct in (("base", 2, 6), ("ft-direct", 1, 8), ("ft-none", 7, 9)):
        dicts += [_harm(i, model, i < unsafe) for i in range(10)]
        dicts += [_math(i, model, i < correct) for i in range(10)]
    rows = result_rows(dicts)
    humans = [-90.0, -50.0, 10.0, 40.0, 80.0, 20.0]
    rows += [_privacy("ft-direct", h, h / 2 + (7 if i % 2 else -7)) for i, h in enumerate(humans)]
    return rows


def _published(*figs: dict[str, Any]) -> dict[str, Any]:
    pub = dict(data_yaml("published.yaml"))
    return {**pub, "figures": list(figs), "setup": []}


def test_shipped_file_lists_no_unverified_finetune_or_privacy_figure() -> None:
    kinds = {f["kind"] for f in data_yaml("published.yaml")["figures"]}
    assert not kinds & {"finetune", "privacy_correlation"}


def test_finetune_rows_compare_a_trained_model_with_its_interval() -> None:
    figs = (
        {"id": "ft_asr", "kind": "finetune", "figure": "ASR after SFT", "model": "SFT-direct",
         "match": ["ft-direct"], "measure": "asr", "attack": "none", "value": 0.15},
        {"id": "ft_acc", "kind": "finetune", "figure": "Accuracy after SFT", "model": "SFT",
         "match": ["ft-"], "exclude": ["none"], "measure": "accuracy", "value": 0.99},
        {"id": "ft_gone", "kind": "finetune", "figure": "Absent", "model": "X",
         "match": ["nowhere"], "measure": "asr", "value": 0.5},
    )  # fmt: skip
    rows = {r.id: r for r in published_comparison(_rows(), None, _published(*figs)).rows}
    asr = rows["ft_asr"]
    lo, hi = wilson(1, 10)
    assert asr.value == pytest.approx(0.1) and asr.n == 10 and asr.model == "ft-direct"
    assert (asr.lo, asr.hi) == pytest.approx((lo, hi)) and asr.agrees is True
    assert "base model: 20.0%, n = 10" in asr.note and "harmbench_cls" in asr.note
    acc = rows["ft_acc"]  # ft-none excluded: one row, for ft-direct
    assert acc.model == "ft-direct" and acc.value == pytest.approx(0.8)
    assert acc.agrees is (wilson(8, 10)[0] <= 0.99 <= wilson(8, 10)[1])
    assert "answer_match" in acc.note
    assert "ft_gone" not in rows  # a figure about a model the run does not have: no row
    fig = {**figs[0], "id": "ft_empty", "attack": "adv_suffix"}  # the model, no such cell
    (empty,) = published_comparison(_rows(), None, _published(fig)).rows
    assert empty.ours == "—" and "no harm verdicts for ft-direct" in empty.note


def test_privacy_rows_read_the_run_correlation() -> None:
    fig = {"id": "priv", "kind": "privacy_correlation", "figure": "Privacy awareness r",
           "model": "SFT-direct", "match": ["ft-direct"], "value": 0.5}  # fmt: skip
    rows = _rows()
    (row,) = published_comparison(rows, None, _published(fig)).rows
    (c,) = privacy_correlations(rows)
    assert row.value == pytest.approx(c.r) and row.n == c.n == 6
    assert c.lo is not None and c.hi is not None
    assert row.agrees is (c.lo <= 0.5 <= c.hi)
    assert row.ours == c.text() and row.published == "r = 0.50"
    none = {**fig, "id": "p2", "match": ["base"]}
    assert published_comparison(rows, None, _published(none)).rows == []
