"""Two runs side by side (e.g. a base model and its fine-tune): the same cells' estimates,
and paired tests on the samples both runs hold with the same messages.

Models are matched by label; two single-model runs with different labels are matched to
each other. Cells are labelled with run A's model (``a → b`` where the labels differ).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from safereason.analysis.cells import Estimate
from safereason.analysis.estimates import aggregate
from safereason.analysis.outcomes import Outcome, first_seen, outcomes
from safereason.analysis.paired import CellKey, PairedTest, Pairs, holm, paired_tests
from safereason.results import ResultRow
from safereason.types import Message


@dataclass(frozen=True)
class SideBySide:
    """One cell in run A and run B."""

    model: str
    method: str
    benchmark: str
    attack: str
    metric: str
    judge: str
    a: Estimate | None
    b: Estimate | None

    @property
    def diff(self) -> float | None:
        """B - A where both exist."""
        return None if self.a is None or self.b is None else self.b.value - self.a.value


@dataclass
class RunComparison:
    """Run B compared with run A."""

    name_a: str
    name_b: str
    models: dict[str, str]
    cells: list[SideBySide] = field(default_factory=list)
    tests: list[PairedTest] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        d = asdict(self)
        d["cells"] = [{**asdict(c), "diff": c.diff} for c in self.cells]
        d["tests"] = [t.to_dict() for t in self.tests]
        return d


def match_models(a: Sequence[str], b: Sequence[str]) -> dict[str, str]:
    """Run A's model labels -> run B's: equal labels, else the only model of each."""
    common = {m: m for m in a if m in b}
    if not common and len(a) == 1 and len(b) == 1:
        return {a[0]: b[0]}
    return common


def _messages(rows: Sequence[ResultRow]) -> dict[tuple[str, ...], tuple[Message, ...]]:
    return {
        (r.model, r.method, r.benchmark, r.attack, str(r.sample_id)): r.sample.messages
        for r in rows
    }


def compare_runs(
    rows_a: Sequence[ResultRow], rows_b: Sequence[ResultRow], name_a: str, name_b: str
) -> RunComparison:
    """Estimates side by side and Holm-corrected paired tests, B against A."""
    models = match_models(first_seen(r.model for r in rows_a), first_seen(r.model for r in rows_b))
    result = RunComparison(name_a, name_b, models)
    if not models:
        result.notes.append("the runs share no model (and are not one model each): nothing paired")
        return result
    back = {b: a for a, b in models.items()}
    label = {a: a if a == b else f"{a} → {b}" for a, b in models.items()}
    outs_a = [o for o in outcomes(rows_a) if o.model in models]
    outs_b = [replace(o, model=back[o.model]) for o in outcomes(rows_b) if o.model in back]
    est_a = {_cell(e): e for e in aggregate(outs_a)}
    est_b = {_cell(e): e for e in aggregate(outs_b)}
    for key in first_seen([*est_a, *est_b]):
        model, method, bench, attack, metric, judge = key
        result.cells.append(
            SideBySide(
                label[model], method, bench, attack, metric, judge, est_a.get(key), est_b.get(key)
            )
        )

    msgs_a = _messages(rows_a)
    msgs_b = {(back[k[0]], *k[1:]): v for k, v in _messages(rows_b).items() if k[0] in back}
    values_a = {_sample(o): o.value for o in outs_a}
    pairs: dict[CellKey, Pairs] = {}
    differ = 0
    for o in outs_b:
        ref = values_a.get(_sample(o))
        if ref is None:
            continue
        coords = (o.model, o.method, o.benchmark, o.attack, o.sample_id)
        if msgs_a.get(coords) != msgs_b.get(coords):
            differ += 1
            continue
        cell_key = (label[o.model], o.method, name_a, o.benchmark, o.attack, o.metric, o.judge)
        pairs.setdefault(cell_key, Pairs(o.binary)).add(o.sample_id, ref, o.value)
    if differ:
        result.notes.append(
            f"{differ} outcomes left unpaired: same sample id but different messages"
        )
    result.tests = holm(paired_tests(pairs))
    if not result.tests:
        result.notes.append("no sample is in both runs with the same messages: no paired tests")
    return result


def _cell(e: Estimate) -> tuple[str, str, str, str, str, str]:
    return (e.model, e.method, e.benchmark, e.attack, e.metric, e.judge)


def _sample(o: Outcome) -> tuple[str, ...]:
    return (o.model, o.method, o.benchmark, o.attack, o.sample_id, o.metric, o.judge)
