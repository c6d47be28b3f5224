"""Attacks on the reasoning trace: a forged reasoning prefix, and pressure not to think.

``cot_hijack`` seeds the thinking section with a forged safety justification, as an
assistant prefill the model continues (backends that declare ``prefill``) or as the
model's "earlier reasoning" in the user turn. ``thinking_pressure`` pushes the model to
answer without deliberating: an urgent instruction, the no-think switch, an empty
thinking block prefilled, or a thinking budget (backends that declare
``thinking_budget``). Texts are in ``data/adaptive_attacks.yaml``.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Literal

from safereason.attacks._adaptive import positive, texts
from safereason.attacks._common import check, fill, placeholders, record
from safereason.plugins import attacks
from safereason.types import Message, Sample


def _prefill(sample: Sample, text: str) -> Sample:
    """``sample`` with an assistant turn for the model to continue."""
    return replace(sample, messages=(*sample.messages, Message("assistant", text)))


@attacks.register("cot_hijack")
@dataclass(frozen=True)
class CotHijack:
    """A forged reasoning prefix that argues the request is allowed (chain-of-thought hijacking).

    ``justification``: ``authorized``, ``educational``, ``already_decided`` or a text of
    one's own with ``{goal}``. ``placement``: ``prefill`` (an assistant turn that opens the
    thinking section with it, continued by the model: needs a backend that declares
    ``prefill``) or ``user`` (shown in the user turn as the model's own earlier reasoning).
    """

    justification: str = "authorized"
    placement: Literal["prefill", "user"] = "prefill"
    think_open: str = field(default_factory=lambda: str(texts("cot_hijack")["think_open"]))

    def __post_init__(self) -> None:
        known = texts("cot_hijack")["justifications"]
        if self.justification not in known:
            try:
                used = placeholders(self.justification)
            except ValueError as e:
                raise ValueError(f"cot_hijack: bad justification: {e}") from None
            check(
                used <= {"goal"} and bool(self.justification.strip()),
                "cot_hijack",
                f"justification {self.justification!r} is neither a known one "
                f"({', '.join(known)}) nor a text using only {{goal}}",
            )

    def reasoning(self, goal: str) -> str:
        """The forged reasoning for a request."""
        known = texts("cot_hijack")["justifications"]
        text = known.get(self.justification, self.justification)
        return fill(str(text), goal=goal).strip()

    def apply(self, sample: Sample) -> list[Sample]:
        forged = self.reasoning(sample.user_text)
        jid = (
            self.justification
            if self.justification in texts("cot_hijack")["justifications"]
            else "custom"
        )
        if self.placement == "prefill":
            out = _prefill(sample, f"{self.think_open}{forged}\n")
        else:
            tpl = texts("cot_hijack")["user_template"]
            out = sample.with_user_text(fill(tpl, request=sample.user_text, reasoning=forged))
        return [record(out, self, justification=jid, forged_reasoning=forged, queries=1)]


@attacks.register("thinking_pressure")
@dataclass(frozen=True)
class ThinkingPressure:
    """Pressure to answer without deliberating.

    ``mode``: ``hurry`` (an instruction to answer at once, with the no-think switch),
    ``no_think`` (the switch alone), ``zerothink`` (an empty thinking block prefilled:
    needs ``prefill``) or ``budget`` (a thinking budget of ``budget`` tokens: needs
    ``thinking_budget``). ``switch``: the model's no-think switch (Qwen3's by default).
    """

    mode: Literal["hurry", "no_think", "zerothink", "budget"] = "hurry"
    budget: int = 16
    switch: str = field(default_factory=lambda: str(texts("thinking_pressure")["off_switch"]))

    def __post_init__(self) -> None:
        if self.mode == "budget":
            positive("thinking_pressure", budget=self.budget)

    def apply(self, sample: Sample) -> list[Sample]:
        cfg = texts("thinking_pressure")
        if self.mode == "zerothink":
            out = _prefill(sample, str(cfg["zerothink_prefill"]))
            return [record(out, self, queries=1)]
        if self.mode == "budget":
            # the plan gives the item's requests this thinking budget
            return [record(sample, self, thinking_budget=self.budget, queries=1)]
        tpl = cfg["templates"][self.mode]
        text = fill(tpl, request=sample.user_text, switch=self.switch).strip()
        return [record(sample.with_user_text(text), self, queries=1)]
