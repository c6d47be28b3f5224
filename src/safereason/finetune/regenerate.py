"""Regenerate the responses of drawn training examples with a teacher model.

The paper's fine-tuning controls the response style by having a teacher write every
response under one inference prompt (Default, Helpful, CoT). Here each example's request
becomes a sample, the configured prompting method builds its messages (exactly as in an
evaluation run), and the teacher answers them in one batch through a
:class:`~safereason.backends.pool.ModelPool` client: the normal cached generation path, so
regenerating the same mixture twice asks the teacher nothing new.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from safereason.errors import SafereasonError
from safereason.finetune.config import RegenerateSpec, regeneration_method, teacher_ref
from safereason.finetune.examples import Example
from safereason.types import GenParams, Sample

if TYPE_CHECKING:
    from safereason.backends.pool import ModelPool


@dataclass
class Regenerator:
    """Rewrites examples' responses with the teacher under ``spec.method``; counts outcomes."""

    spec: RegenerateSpec
    seed: int
    models: ModelPool
    stats: Counter[str] = field(default_factory=Counter)

    @property
    def teacher(self) -> dict[str, Any]:
        """The teacher's model entry."""
        assert self.spec.teacher is not None
        return teacher_ref(self.spec.teacher)

    def describe(self) -> dict[str, Any]:
        """What mixture.json records about the regeneration."""
        m = self.spec.method
        return {
            "teacher": self.teacher,
            "method": {"name": m.name, **m.options},
            "max_tokens": self.spec.max_tokens,
            "temperature": self.spec.temperature,
            "responses": dict(self.stats),
        }

    def messages(self, ex: Example, method: Any) -> tuple[Any, ...]:
        """The conversation the teacher is asked: the request as ``method`` builds it."""
        sample = Sample.from_prompt(ex.id, ex.source, "reasoning", ex.prompt)
        return tuple(method.apply(sample).messages)

    def regenerate(self, examples: Sequence[Example], what: str) -> list[Example]:
        """The examples with the teacher's responses in place of their own, in order."""
        if not examples:
            return []
        method = regeneration_method(self.spec.method)
        convs = [self.messages(ex, method) for ex in examples]
        params = GenParams(
            max_tokens=self.spec.max_tokens, temperature=self.spec.temperature, seed=self.seed
        )
        comps = self.models.client(self.teacher).chat(convs, params)
        out = []
        for ex, comp in zip(examples, comps, strict=True):
            answer, reasoning = comp.text.strip(), (comp.reasoning or "").strip() or None
            if not answer:
                if self.spec.on_empty == "error":
                    raise SafereasonError(
                        f"{what}: the teacher gave an empty response to example {ex.id!r}; "
                        f"raise data.regenerate.max_tokens, or set on_empty: keep"
                    )
                self.stats["kept_original_empty"] += 1
                out.append(ex)
                continue
            self.stats["regenerated"] += 1
            if comp.finish_reason == "length":
                self.stats["cut_at_max_tokens"] += 1
            out.append(replace(ex, answer=answer, reasoning=reasoning, think=reasoning is not None))
        return out
