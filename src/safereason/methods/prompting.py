"""Prompting methods: each rewrites the messages a model sees."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar, Literal

from safereason.meaning import PROMPT_DEFENCE, MethodMeaning
from safereason.plugins import methods
from safereason.resources import data_yaml
from safereason.types import Sample


def method_text(method: str, key: str) -> str:
    """A prompt text of a built-in method, from data/methods.yaml."""
    return str(data_yaml("methods.yaml")[method][key])


CueAt = Literal["user", "system"]
CUE_PLACES = ("user", "system")


def check_cue_at(cue_at: str) -> None:
    """Raise a ValueError (a bad option) unless ``cue_at`` is a known place."""
    if cue_at not in CUE_PLACES:
        raise ValueError(f"cue_at must be 'user' or 'system', not {cue_at!r}")


def with_cue(sample: Sample, cue: str, cue_at: str = "user") -> Sample:
    """``sample`` with a cue after the request (``user``) or in the system prompt
    (``system``: after the sample's own system message, or as the system message)."""
    if cue_at == "user":
        return sample.with_user_suffix(cue)
    own = next((m.content for m in sample.messages if m.role == "system"), None)
    return sample.with_system(f"{own}\n\n{cue}" if own else cue)


@methods.register("none")
@dataclass(frozen=True)
class NoMethod:
    """Send the prompt unchanged (the model's default behaviour)."""

    meaning: ClassVar[MethodMeaning] = MethodMeaning("nothing: the request as written")

    def apply(self, sample: Sample) -> Sample:
        return sample


@methods.register("direct")
@dataclass(frozen=True)
class Direct:
    """Ask for the final answer only, with no reasoning shown, on reasoning items.

    Harmful, benign and privacy items are sent unchanged: an instruction not to explain
    would also discourage a refusal's explanation, so "direct" would change safety for a
    reason that is not reasoning. Whether the model obeyed shows in the report's
    response-length columns.
    """

    meaning: ClassVar[MethodMeaning] = MethodMeaning(
        "asks for the final answer only, with no working",
        kinds=frozenset({"reasoning"}),
    )

    cue: str = field(default_factory=lambda: method_text("direct", "cue"))

    def apply(self, sample: Sample) -> Sample:
        if sample.kind != "reasoning":
            return sample
        return sample.with_user_suffix(self.cue)


@methods.register("zero_shot_cot")
@dataclass(frozen=True)
class ZeroShotCoT:
    """Append a step-by-step cue (Kojima et al., 2022).

    ``cue_at: system`` puts it in the system prompt instead (where Li et al. 2025 place it).
    """

    meaning: ClassVar[MethodMeaning] = MethodMeaning("appends a step-by-step cue")

    cue: str = field(default_factory=lambda: method_text("zero_shot_cot", "cue"))
    cue_at: CueAt = "user"

    def __post_init__(self) -> None:
        check_cue_at(self.cue_at)

    def apply(self, sample: Sample) -> Sample:
        return with_cue(sample, self.cue, self.cue_at)


@methods.register("safety_system_prompt")
@dataclass(frozen=True)
class SafetySystemPrompt:
    """A system prompt asking the model to weigh harm before it answers."""

    meaning: ClassVar[MethodMeaning] = MethodMeaning(
        "adds a system prompt asking the model to weigh harm", defence=PROMPT_DEFENCE
    )

    system: str = field(default_factory=lambda: method_text("safety_system_prompt", "system"))

    def apply(self, sample: Sample) -> Sample:
        return sample.with_system(self.system)


@methods.register("plan_and_solve")
@dataclass(frozen=True)
class PlanAndSolve:
    """Plan first, then solve step by step (Wang et al., 2023)."""

    meaning: ClassVar[MethodMeaning] = MethodMeaning("appends a plan-then-solve cue")

    cue: str = field(default_factory=lambda: method_text("plan_and_solve", "cue"))

    def apply(self, sample: Sample) -> Sample:
        return sample.with_user_suffix(self.cue)


@methods.register("reflective_cot")
@dataclass(frozen=True)
class ReflectiveCoT:
    """Reason step by step, then check the intended answer for harm before answering."""

    meaning: ClassVar[MethodMeaning] = MethodMeaning(
        "appends a step-by-step cue with a harm check before the answer", defence=PROMPT_DEFENCE
    )

    cue: str = field(default_factory=lambda: method_text("reflective_cot", "cue"))

    def apply(self, sample: Sample) -> Sample:
        return sample.with_user_suffix(self.cue)
