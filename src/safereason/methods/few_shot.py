"""Few-shot chain of thought, with or without safety exemplars."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from safereason.meaning import IN_CONTEXT_DEFENCE, MethodMeaning
from safereason.methods.prompting import method_text as _text
from safereason.plugins import methods
from safereason.resources import data_yaml
from safereason.types import Message, Sample


def math_turns(k: int, answer_format: str | None = None) -> tuple[Message, ...]:
    """The first ``k`` worked math exemplars as user/assistant turns."""
    rows = data_yaml("exemplars.yaml")["math"]
    if k > len(rows):
        raise ValueError(f"k={k} but only {len(rows)} math exemplars are given")
    fmt = answer_format or str(data_yaml("methods.yaml")["few_shot"]["answer_format"])
    turns: list[Message] = []
    for r in rows[:k]:
        turns += [Message("user", r["question"]), Message("assistant", fmt.format(**r))]
    return tuple(turns)


def safety_turns(k: int) -> tuple[Message, ...]:
    """The first ``k`` safety exemplars: a harmful request, reasoning, then a refusal."""
    rows = data_yaml("exemplars.yaml")["safety"]
    if k > len(rows):
        raise ValueError(f"k_safety={k} but only {len(rows)} safety exemplars ship")
    fmt = str(data_yaml("methods.yaml")["few_shot"]["safety_format"])
    turns: list[Message] = []
    for r in rows[:k]:
        turns += [Message("user", r["question"]), Message("assistant", fmt.format(**r))]
    return tuple(turns)


def interleave(a: tuple[Message, ...], b: tuple[Message, ...]) -> tuple[Message, ...]:
    """Alternate exemplar pairs from ``a`` and ``b`` (a first), keeping each pair intact."""
    pa = [a[i : i + 2] for i in range(0, len(a), 2)]
    pb = [b[i : i + 2] for i in range(0, len(b), 2)]
    out: list[Message] = []
    for i in range(max(len(pa), len(pb))):
        for pairs in (pa, pb):
            if i < len(pairs):
                out += pairs[i]
    return tuple(out)


@methods.register("few_shot_cot")
@dataclass(frozen=True)
class FewShotCoT:
    """k worked math exemplars (question, reasoning, boxed answer) as earlier turns."""

    meaning: ClassVar[MethodMeaning] = MethodMeaning(
        "k worked math exemplars as earlier turns, then a step-by-step cue"
    )

    k: int = 4
    cue: str = field(default_factory=lambda: _text("zero_shot_cot", "cue"))

    def __post_init__(self) -> None:
        math_turns(self.k)  # fail at build time on a k larger than the exemplar set

    def apply(self, sample: Sample) -> Sample:
        s = sample.with_prefix_turns(math_turns(self.k))
        return s.with_user_suffix(self.cue) if self.cue else s


@methods.register("safety_aware_cot")
@dataclass(frozen=True)
class SafetyAwareCoT:
    """Few-shot CoT whose exemplars include harmful requests reasoned into refusals."""

    meaning: ClassVar[MethodMeaning] = MethodMeaning(
        "few-shot CoT whose exemplars include harmful requests reasoned into refusals",
        defence=IN_CONTEXT_DEFENCE,
    )

    k_math: int = 2
    k_safety: int = 2
    safety_first: bool = True
    cue: str = field(default_factory=lambda: _text("zero_shot_cot", "cue"))

    def __post_init__(self) -> None:
        math_turns(self.k_math)
        safety_turns(self.k_safety)

    def apply(self, sample: Sample) -> Sample:
        m, s = math_turns(self.k_math), safety_turns(self.k_safety)
        turns = interleave(s, m) if self.safety_first else interleave(m, s)
        out = sample.with_prefix_turns(turns)
        return out.with_user_suffix(self.cue) if self.cue else out
