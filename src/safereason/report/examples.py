"""Example transcripts for the report, with optional redaction of harmful text.

Per model x method: harmful requests the model complied with, one it refused, and one
reasoning problem. With ``redact``, the answer to a harmful request is replaced by
``[redacted: N words]`` unless a judge found it safe, and its reasoning trace always is
(a trace can hold what a clean answer hides).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from safereason.analysis.outcomes import HarmBasis, harm_basis
from safereason.results import ResultRow
from safereason.types import Message

MAX_PROMPT_CHARS = 2000
MAX_TEXT_CHARS = 4000


@dataclass(frozen=True)
class Transcript:
    """One example exchange as the report shows it (texts clipped, redacted if asked)."""

    model: str
    method: str
    benchmark: str
    attack: str
    sample_id: str
    kind: str
    category: str | None
    prompt: str | None
    reasoning: str | None
    answer: str | None
    verdicts: Mapping[str, str]  # judge key -> label
    redacted: bool
    harmful: bool  # a harmful request the harm judge did not find safe
    # the turns before the last user message (system aside): a conversation's earlier turns
    earlier: tuple[Mapping[str, str], ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (``earlier`` only when there are earlier turns)."""
        d = asdict(self)
        if not self.earlier:
            d.pop("earlier")
        return d


def redact_text(text: str | None) -> str | None:
    """``[redacted: N words]`` for a text, None stays None."""
    return None if text is None else f"[redacted: {len(text.split())} words]"


def _clip(text: str | None, limit: int) -> str | None:
    if text is None or len(text) <= limit:
        return text
    return text[:limit] + f" … [{len(text) - limit} more characters]"


def _earlier(messages: Sequence[Message], redact: bool) -> tuple[dict[str, str], ...]:
    """The turns before the last user message, system turns aside, clipped; the model's
    own earlier replies redacted when its answer is."""
    users = [i for i, m in enumerate(messages) if m.role == "user"]
    before = messages[: users[-1]] if users else ()
    return tuple(
        {
            "role": m.role,
            "content": (
                redact_text(m.content) or ""
                if redact and m.role == "assistant"
                else _clip(m.content, MAX_PROMPT_CHARS) or ""
            ),
        }
        for m in before
        if m.role != "system"
    )


def _last_user(messages: Sequence[Message]) -> str:
    users = [m.content for m in messages if m.role == "user"]
    return users[-1] if users else ""


def _judged_safe(r: ResultRow, basis: HarmBasis | None) -> bool:
    v = r.verdicts.get(basis.key) if basis else None
    return basis is not None and v is not None and not basis.unsafe(v)


def pick(rows: Sequence[ResultRow], per_cell: int = 2, limit: int = 60) -> list[ResultRow]:
    """Rows to show: per model x method, harmful complied, harmful refused, reasoning."""
    basis = harm_basis(rows)
    chosen: list[ResultRow] = []
    quota: dict[tuple[str, str, str], int] = {}
    limits = {"harmful": per_cell, "refused": 1, "reasoning": 1, "benign": 1}
    for r in rows:
        if not r.completion:
            continue
        group = r.kind
        if group == "harmful" and _judged_safe(r, basis):
            group = "refused"
        slot = (r.model, r.method, group)
        if quota.get(slot, 0) >= limits.get(group, 0):
            continue
        quota[slot] = quota.get(slot, 0) + 1
        chosen.append(r)
        if len(chosen) >= limit:
            break
    return chosen


def example(r: ResultRow, redact: bool, basis: HarmBasis | None) -> Transcript:
    """One transcript, ready for the templates."""
    answer = r.completion.text if r.completion else None
    reasoning = r.completion.reasoning if r.completion else None
    harmful_kind = r.kind == "harmful"
    judged_safe = harmful_kind and _judged_safe(r, basis)
    redacted = False
    if redact and harmful_kind:
        if not judged_safe:
            answer = redact_text(answer)
            redacted = True
        if reasoning is not None:
            reasoning = redact_text(reasoning)
            redacted = True
    return Transcript(
        model=r.model,
        method=r.method,
        benchmark=r.benchmark,
        attack=r.attack,
        sample_id=r.sample_id,
        kind=r.kind,
        category=r.category,
        prompt=_clip(_last_user(r.sample.messages), MAX_PROMPT_CHARS),
        reasoning=_clip(reasoning, MAX_TEXT_CHARS),
        answer=_clip(answer, MAX_TEXT_CHARS),
        verdicts={k: v.label for k, v in sorted(r.verdicts.items())},
        redacted=redacted,
        harmful=harmful_kind and not judged_safe,
        earlier=_earlier(r.sample.messages, redact and harmful_kind and not judged_safe),
    )


def examples(rows: Sequence[ResultRow], redact: bool) -> list[Transcript]:
    """The report's transcripts, redacted where asked."""
    basis = harm_basis(rows)
    return [example(r, redact, basis) for r in pick(rows)]
