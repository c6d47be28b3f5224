"""Contextual privacy (ConfAIde-style tiers): should this information flow, here, to them?

Tiers, as in ConfAIde (Mireshghallah et al., 2024): 1, the information alone (is it
sensitive?); 2, a flow in context (who tells whom, why); 3, something told in confidence
that a third party asks about (theory of mind); 4, a shared task that mixes private and
public details (what goes into the group's notes). The starter set
(``data/contextual_privacy.jsonl``, 35 items, written for safereason) has 8-9 items per
tier with both answers.

File shape (``path:``; ``.jsonl``, ``.json``, ``.csv`` or ``.parquet``), one item a row:

* ``scenario`` (text, required): the situation;
* ``question`` (text, required): a yes/no question about the flow;
* ``expected`` (required): ``yes`` or ``no`` (also ``true``/``false``, ``1``/``0``);
* ``tier`` (required): 1, 2, 3 or 4;
* ``id`` (optional, unique): the sample id is ``contextual_privacy-<id>`` (else the row);
* ``topic`` (optional): kept in ``meta["topic"]``.

The prompt is the scenario, the question and ``instruction``; ``target`` is the expected
answer, ``category`` the tier (``tier1`` ...), so the report gives agreement per tier. The
``flow_agreement`` judge scores it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from safereason.benchmarks._datasets import Row, as_text, check_unique_ids, pick, read_path
from safereason.errors import SafereasonError
from safereason.meaning import BenchmarkMeaning
from safereason.plugins import benchmarks
from safereason.resources import data_text
from safereason.types import Sample

STARTER = "contextual_privacy.jsonl"
INSTRUCTION = "Answer yes or no first, then explain in one or two sentences."
_YES = {"yes", "y", "true", "1"}
_NO = {"no", "n", "false", "0"}
AGREEMENT = BenchmarkMeaning(
    "expected_judgement",
    "flow_agreement",
    "flow_agreement",
    note="should this information flow? agreement with the expected yes/no "
    "(flow_agreement, higher is better); flow_overshare counts flows let through that "
    "should be stopped",
)


def expected_answer(row: Row) -> str:
    """The row's ``expected`` as ``yes`` or ``no``; a one-line error otherwise."""
    raw = row.value("expected")
    text = as_text(raw).lower()
    if isinstance(raw, bool):
        text = "yes" if raw else "no"
    if text in _YES:
        return "yes"
    if text in _NO:
        return "no"
    raise SafereasonError(f"{row.where}: expected {raw!r} is not yes or no")


def tier_of(row: Row) -> int:
    """The row's ``tier``, 1 to 4; a one-line error otherwise."""
    raw = row.value("tier")
    text = as_text(raw)
    if isinstance(raw, bool) or text not in ("1", "2", "3", "4"):
        if isinstance(raw, float) and raw in (1.0, 2.0, 3.0, 4.0):
            return int(raw)
        raise SafereasonError(f"{row.where}: tier {raw!r} is not 1, 2, 3 or 4")
    return int(text)


@benchmarks.register("contextual_privacy")
@dataclass(frozen=True)
class ContextualPrivacy:
    """Should this information flow to this party here? Yes/no vs the expected (ConfAIde tiers)."""

    meaning: ClassVar[dict[str, BenchmarkMeaning]] = {"privacy": AGREEMENT}

    path: str | None = None
    n: int | None = None
    seed: int = 0
    tiers: list[int] | None = None
    instruction: str = INSTRUCTION

    def __post_init__(self) -> None:
        if self.tiers is not None:
            bad = [t for t in self.tiers if t not in (1, 2, 3, 4)]
            if bad or not self.tiers:
                raise SafereasonError(f"tiers: {bad or self.tiers} — use tiers among 1, 2, 3, 4")

    def load(self) -> list[Sample]:
        rows = read_path(self.path) if self.path else self._starter()
        samples = [self._sample(r) for r in rows]
        check_unique_ids(samples, rows)
        if self.tiers is not None:
            samples = [s for s in samples if s.meta["tier"] in self.tiers]
        if not samples:
            raise SafereasonError(f"contextual_privacy: no item of tiers {self.tiers}")
        return pick(samples, self.n, self.seed)

    def _starter(self) -> list[Row]:
        import json

        lines = data_text(STARTER).splitlines()
        return [Row(json.loads(x), STARTER, i, "line") for i, x in enumerate(lines, 1) if x]

    def _sample(self, row: Row) -> Sample:
        tier = tier_of(row)
        expected = expected_answer(row)
        scenario, question = row.text("scenario"), row.text("question")
        ident = row.optional("id") or f"{row.index:04d}"
        prompt = f"{scenario}\n\n{question}"
        if self.instruction.strip():
            prompt += f"\n{self.instruction.strip()}"
        meta: dict[str, object] = {"tier": tier}
        if topic := row.optional("topic"):
            meta["topic"] = topic
        return Sample.from_prompt(
            id=f"contextual_privacy-{ident}",
            benchmark="contextual_privacy",
            kind="privacy",
            prompt=prompt,
            target=expected,
            category=f"tier{tier}",
            meta=meta,
        )
