"""What a judge reads from an item: its class declares ``reads``; commands ask for just that.

A judge class sets ``reads: ClassVar[tuple[str, ...]]``, the item fields it needs, each
one of :data:`FIELDS`; a name ending in ``?`` is read when given and not required (the
refusal judge reads the request, when it has one, to tell a yes/no question). A judge
that declares nothing is taken to need :data:`DEFAULT_READS`. ``response`` is the text
the judge scores: with ``target: reasoning`` a judge reads the thinking trace instead,
so then ``reasoning`` is read (its absence is the judge's own ``no_reasoning`` verdict)
and ``response`` is not required.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

FIELDS = ("prompt", "response", "reasoning", "target", "category")
DEFAULT_READS: tuple[str, ...] = ("prompt", "response")


@dataclass(frozen=True)
class InputFields:
    """The fields an item must have for a judge, and those it reads when given."""

    required: tuple[str, ...]
    optional: tuple[str, ...]

    def describe(self) -> str:
        """``response, target`` or ``response; prompt when given``."""
        text = ", ".join(self.required) or "nothing"
        return f"{text}; {', '.join(self.optional)} when given" if self.optional else text


def declared(judge: Any) -> tuple[str, ...]:
    """The ``reads`` a judge (class or instance) declares, else :data:`DEFAULT_READS`."""
    cls = judge if isinstance(judge, type) else type(judge)
    return tuple(getattr(cls, "reads", DEFAULT_READS))


def input_fields(judge: Any, target: str | None = None) -> InputFields:
    """What ``judge`` (a class or an instance) reads for its ``target`` (default: its own)."""
    reads = declared(judge)
    required = [f for f in reads if not f.endswith("?")]
    optional = [f.removesuffix("?") for f in reads if f.endswith("?")]
    target = target or getattr(judge, "target", "answer")
    if target == "reasoning" and "response" in required:
        required.remove("response")
        optional.insert(0, "reasoning")
    return InputFields(tuple(required), tuple(f for f in optional if f not in required))
