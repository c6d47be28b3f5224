"""Thinking-mode control for reasoning models: on, off, a budget, ZeroThink, LessThink."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import ClassVar, Literal

from safereason.meaning import MethodMeaning
from safereason.methods.prompting import method_text as _text
from safereason.plugins import methods
from safereason.types import GenParams, Message, Sample


@methods.register("thinking")
@dataclass(frozen=True)
class ThinkingMode:
    """Switch a model's thinking on/off, cap it at a token budget, or force it empty/short.

    ``on``/``off`` append the model's soft switch (Qwen3's ``/think`` and ``/no_think`` by
    default); ``zerothink`` prefills an empty ``<think></think>`` block and ``lessthink``
    a one-sentence one (Jiang et al., 2025); ``budget`` lets the model think for at most
    ``budget`` tokens, then closes the block and asks for the answer.
    """

    meaning: ClassVar[MethodMeaning] = MethodMeaning(
        "switches the model's thinking on/off, caps it, or prefills it empty/short"
    )

    mode: Literal["on", "off", "budget", "zerothink", "lessthink"] = "on"
    budget: int = 256
    on_switch: str = field(default_factory=lambda: _text("thinking", "on_switch"))
    off_switch: str = field(default_factory=lambda: _text("thinking", "off_switch"))
    zerothink_prefill: str = field(default_factory=lambda: _text("thinking", "zerothink_prefill"))
    lessthink_prefill: str = field(default_factory=lambda: _text("thinking", "lessthink_prefill"))

    def apply(self, sample: Sample) -> Sample:
        if self.mode == "on" and self.on_switch:
            return sample.with_user_suffix(self.on_switch, sep=" ")
        if self.mode == "off" and self.off_switch:
            return sample.with_user_suffix(self.off_switch, sep=" ")
        if self.mode in ("zerothink", "lessthink"):
            prefill = self.zerothink_prefill if self.mode == "zerothink" else self.lessthink_prefill
            return replace(sample, messages=(*sample.messages, Message("assistant", prefill)))
        return sample

    def params(self, base: GenParams, i: int) -> GenParams:
        """Budget mode sets the thinking budget; other modes leave sampling alone."""
        return replace(base, thinking_budget=self.budget) if self.mode == "budget" else base
