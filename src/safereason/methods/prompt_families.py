"""The prompting families of "Are Smarter LLMs Safer?" (Li et al., 2025), as methods.

The texts live in ``data/prompt_families.yaml`` (written for safereason). Zero-shot CoT and
few-shot CoT with 1/2/4/8 demos are the existing ``zero_shot_cot`` and ``few_shot_cot``;
:func:`families` lists every family as runnable method entries. A CoT cue goes after the
request by default; ``cue_at: system`` places it in the system prompt, as the paper does.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

from safereason.meaning import IN_CONTEXT_DEFENCE, PROMPT_DEFENCE, MethodMeaning
from safereason.methods.few_shot import math_turns
from safereason.methods.prompting import CueAt, check_cue_at, with_cue
from safereason.methods.prompting import method_text as _method_text
from safereason.plugins import methods
from safereason.resources import data_yaml
from safereason.types import Message, Sample

DATA = "prompt_families.yaml"


def _section(name: str) -> Any:
    return data_yaml(DATA)[name]


def _text(name: str, key: str) -> str:
    return str(_section(name)[key])


def families() -> dict[str, list[dict[str, Any]]]:
    """Family label -> its method entries (``{name, options..., label}``), as in the YAML."""
    fams: dict[str, list[dict[str, Any]]] = _section("families")
    return {k: [dict(v) for v in entries] for k, entries in fams.items()}


def refusal_demo_turns(k: int) -> tuple[Message, ...]:
    """The first ``k`` in-context-defense demos: a harmful request, then a refusal."""
    rows = _section("in_context_defense")["demos"]
    if not 1 <= k <= len(rows):
        raise ValueError(f"k must be from 1 to {len(rows)} (the refusal demos given), not {k}")
    turns: list[Message] = []
    for r in rows[:k]:
        turns += [Message("user", str(r["request"])), Message("assistant", str(r["refusal"]))]
    return tuple(turns)


def titled_demo_turns() -> tuple[Message, ...]:
    """The worked math demo solved in titled steps, as a user/assistant pair."""
    demo = _section("titled_steps_cot")["demo"]
    return (Message("user", str(demo["question"])), Message("assistant", str(demo["answer"])))


def safety_demo_turns() -> tuple[Message, ...]:
    """The short reason-then-refuse safety demo, as a user/assistant pair."""
    demo = _section("safety_math_mix")["safety_demo"]
    return (Message("user", str(demo["question"])), Message("assistant", str(demo["response"])))


def safety_cot_demo_turns(k: int) -> tuple[Message, ...]:
    """The first ``k`` reason-then-refuse demos of ``safety_demo_cot``, as turn pairs."""
    rows = _section("safety_demo_cot")["demos"]
    if not 1 <= k <= len(rows):
        raise ValueError(f"k must be from 1 to {len(rows)} (the safety demos given), not {k}")
    turns: list[Message] = []
    for r in rows[:k]:
        turns += [Message("user", str(r["question"])), Message("assistant", str(r["response"]))]
    return tuple(turns)


@methods.register("default_system")
@dataclass(frozen=True)
class DefaultSystem:
    """Keep the model's own default system prompt: the messages go out untouched."""

    def apply(self, sample: Sample) -> Sample:
        return sample


@methods.register("helpful_system")
@dataclass(frozen=True)
class HelpfulSystem:
    """A plain helpful-assistant system prompt (replaces any system message)."""

    system: str = field(default_factory=lambda: _text("helpful_system", "system"))

    def apply(self, sample: Sample) -> Sample:
        return sample.with_system(self.system)


@methods.register("titled_steps_cot")
@dataclass(frozen=True)
class TitledStepsCoT:
    """Ask for explicitly titled steps ("Step 1: Understand the problem" ...).

    ``with_math_demo``: show one math problem solved in titled steps as an earlier turn.
    """

    with_math_demo: bool = False
    cue: str = field(default_factory=lambda: _text("titled_steps_cot", "cue"))

    def apply(self, sample: Sample) -> Sample:
        out = sample.with_prefix_turns(titled_demo_turns()) if self.with_math_demo else sample
        return out.with_user_suffix(self.cue)


@methods.register("reflection_system")
@dataclass(frozen=True)
class ReflectionSystem:
    """A reflection-style system prompt of the kind reasoning models ship with (a or b).

    ``a``: think in ``<thinking>`` tags, check doubtful steps in ``<reflection>`` tags,
    answer in ``<output>`` tags; ``b``: explore, verify and revise before answering.
    """

    variant: Literal["a", "b"] = "a"

    def __post_init__(self) -> None:
        if self.variant not in ("a", "b"):
            raise ValueError(f"variant must be 'a' or 'b', not {self.variant!r}")

    @property
    def system(self) -> str:
        """The system prompt of this variant."""
        return _text("reflection_system", self.variant)

    def apply(self, sample: Sample) -> Sample:
        return sample.with_system(self.system)


@methods.register("safety_reflection_system")
@dataclass(frozen=True)
class SafetyReflectionSystem:
    """A system prompt to weigh honesty, safety, security, copyright, privacy, ethics, fairness."""

    meaning: ClassVar[MethodMeaning] = MethodMeaning(
        "a system prompt to weigh safety, privacy and ethics", defence=PROMPT_DEFENCE
    )

    system: str = field(default_factory=lambda: _text("safety_reflection_system", "system"))

    def apply(self, sample: Sample) -> Sample:
        return sample.with_system(self.system)


@methods.register("in_context_defense")
@dataclass(frozen=True)
class InContextDefense:
    """k harmful requests each answered with a refusal, as earlier turns (8 by default)."""

    meaning: ClassVar[MethodMeaning] = MethodMeaning(
        "k harmful requests each answered with a refusal, as earlier turns",
        defence=IN_CONTEXT_DEFENCE,
    )

    k: int = 8

    def __post_init__(self) -> None:
        refusal_demo_turns(self.k)  # fail at build time on a k out of range

    def apply(self, sample: Sample) -> Sample:
        return sample.with_prefix_turns(refusal_demo_turns(self.k))


@methods.register("safety_math_mix")
@dataclass(frozen=True)
class SafetyMathMix:
    """One reason-then-refuse safety demo and one worked math demo as earlier turns.

    ``order``: which demo comes first; ``cot``: also append the step-by-step cue.
    """

    meaning: ClassVar[MethodMeaning] = MethodMeaning(
        "one reason-then-refuse demo and one worked math demo as earlier turns",
        defence=IN_CONTEXT_DEFENCE,
    )

    order: Literal["safety_first", "math_first"] = "safety_first"
    cot: bool = False
    cue: str = field(default_factory=lambda: _method_text("zero_shot_cot", "cue"))
    cue_at: CueAt = "user"

    def __post_init__(self) -> None:
        if self.order not in ("safety_first", "math_first"):
            raise ValueError(f"order must be 'safety_first' or 'math_first', not {self.order!r}")
        check_cue_at(self.cue_at)

    def apply(self, sample: Sample) -> Sample:
        safety, math = safety_demo_turns(), math_turns(1)
        turns = (*safety, *math) if self.order == "safety_first" else (*math, *safety)
        out = sample.with_prefix_turns(turns)
        return with_cue(out, self.cue, self.cue_at) if self.cot else out


@methods.register("safety_demo_cot")
@dataclass(frozen=True)
class SafetyDemoCoT:
    """CoT with k (1 or 2) reason-then-refuse safety demos as earlier turns.

    The step-by-step cue goes in the system prompt by default, where the paper places it
    (``cue_at: user``: after the request).
    """

    meaning: ClassVar[MethodMeaning] = MethodMeaning(
        "k reason-then-refuse safety demos as earlier turns, and a step-by-step cue",
        defence=IN_CONTEXT_DEFENCE,
    )

    k: int = 1
    cue: str = field(default_factory=lambda: _method_text("zero_shot_cot", "cue"))
    cue_at: CueAt = "system"

    def __post_init__(self) -> None:
        safety_cot_demo_turns(self.k)  # fail at build time on a k out of range
        check_cue_at(self.cue_at)

    def apply(self, sample: Sample) -> Sample:
        out = sample.with_prefix_turns(safety_cot_demo_turns(self.k))
        return with_cue(out, self.cue, self.cue_at)
