"""Self-consistency: sample several reasoning paths and take the majority answer."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import ClassVar

from safereason.judges.answer_match import clean_answer, extract_answer
from safereason.meaning import MethodMeaning
from safereason.methods.prompting import method_text as _text
from safereason.plugins import methods
from safereason.types import Completion, GenParams, Sample


def _norm(ans: str | None) -> str | None:
    if ans is None:
        return None
    a = clean_answer(ans).replace(",", "").replace(" ", "")
    try:
        return repr(round(float(a), 6))
    except ValueError:
        return a


@methods.register("self_consistency")
@dataclass(frozen=True)
class SelfConsistency:
    """k sampled chains of thought, majority vote over final answers (Wang et al., 2023).

    On samples without a reference answer (harmful, benign) the first sample is the
    response. Token counts and latency are summed over the k samples: that is its cost.
    """

    meaning: ClassVar[MethodMeaning] = MethodMeaning(
        "k sampled step-by-step answers, majority vote on reasoning items"
    )

    k: int = 5
    temperature: float = 0.7
    cue: str = field(default_factory=lambda: _text("zero_shot_cot", "cue"))

    def __post_init__(self) -> None:
        if self.k < 1:
            raise ValueError("k must be at least 1")

    @property
    def n_samples(self) -> int:
        """How many requests each sample becomes."""
        return self.k

    def apply(self, sample: Sample) -> Sample:
        return sample.with_user_suffix(self.cue)

    def params(self, base: GenParams, i: int) -> GenParams:
        """Sample i: the given temperature and its own seed."""
        return replace(base, temperature=self.temperature, seed=base.seed + i)

    def aggregate(self, sample: Sample, comps: Sequence[Completion]) -> Completion:
        """The first completion whose answer is the most common one."""
        answers = [_norm(extract_answer(c.text)[0]) for c in comps]
        votes = Counter(a for a in answers if a is not None)
        pick = 0
        if sample.kind == "reasoning" and votes:
            top = max(votes.values())
            winner = next(a for a in answers if a is not None and votes[a] == top)
            pick = answers.index(winner)
        rep = comps[pick]
        return replace(
            rep,
            completion_tokens=sum(c.completion_tokens for c in comps),
            prompt_tokens=sum(c.prompt_tokens for c in comps),
            latency_s=sum(c.latency_s for c in comps),
            meta={"votes": dict(votes), "picked": pick, "k": len(comps)},
        )
