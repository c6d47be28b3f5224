"""Safety examples: harmful requests paired with refusals, in two styles.

``direct``: the request -> a short refusal. ``reflective``: the request -> reasoning
(inside the think tags) that says what is asked, what harm answering could do and why,
then a refusal naming the topic and a safe redirection. Both come from the templates in
data/finetune.yaml, chosen per sample's category (mapped through ``aliases`` for other
benchmarks' category names), or from a teacher model (a client of a
:class:`~safereason.backends.pool.ModelPool`).
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from safereason.errors import SafereasonError
from safereason.finetune.examples import Example, Pool
from safereason.resources import data_yaml
from safereason.types import Completion, GenParams, Message, Sample

if TYPE_CHECKING:
    from safereason.backends.pool import ModelPool


def _texts() -> dict[str, Any]:
    texts: dict[str, Any] = data_yaml("finetune.yaml")["safety"]
    return texts


def category_key(category: str | None) -> str:
    """The template category for a sample's category (``default`` when none matches)."""
    texts = _texts()
    if not category:
        return "default"
    if category in texts["categories"]:
        return category
    low = category.lower()
    for needle, key in texts["aliases"]:
        if needle in low:
            return str(key)
    return "default"


def template_response(
    style: str, category: str | None, rng: random.Random
) -> tuple[str | None, str]:
    """``(reasoning, answer)`` for one harmful request, from the templates."""
    texts = _texts()
    if style == "direct":
        return None, rng.choice(texts["direct"])
    cat = texts["categories"][category_key(category)]
    refl = texts["reflective"]
    reasoning = " ".join(
        [
            rng.choice(refl["openers"]),
            rng.choice(cat["request"]),
            rng.choice(cat["harm"]),
            rng.choice(refl["closers"]),
        ]
    )
    refusal = rng.choice(refl["refusals"]).format(topic=cat["topic"])
    return reasoning, f"{refusal} {rng.choice(cat['redirect'])}"


def harmful_pool(refs: Sequence[Any]) -> Pool:
    """The harmful requests of the given benchmarks, as examples still to be answered."""
    from safereason import plugins

    items: list[Example] = []
    seen: set[str] = set()
    for ref in refs:
        samples = plugins.benchmarks.build(ref.name, ref.options).load()
        for s in samples:
            if s.kind != "harmful" or s.prompt in seen:
                continue
            seen.add(s.prompt)
            items.append(
                Example(
                    id=f"{s.benchmark}:{s.id}",
                    source="safety",
                    prompt=s.prompt,
                    answer="",
                    category=s.category,
                )
            )
    if not items:
        names = ", ".join(r.name for r in refs) or "none"
        raise SafereasonError(f"data.safety.benchmarks ({names}) gave no harmful requests")
    return Pool.of(items)


@dataclass
class Responder:
    """Writes the responses of safety examples, from templates or a teacher model.

    The teacher comes from ``models`` (the command's pool); without one, a pool over the
    shared cache is opened for the teacher's batch and closed after it.
    """

    style: str
    seed: int
    teacher: dict[str, Any] | None = None
    teacher_max_tokens: int = 384
    verify: bool = True
    stats: Counter[str] = field(default_factory=Counter)
    models: ModelPool | None = None

    def respond(self, examples: Sequence[Example]) -> list[Example]:
        """The examples with their reasoning and answer filled in, in order."""
        rng = random.Random(f"{self.seed}:safety:{self.style}")
        drafts: list[tuple[str | None, str] | None] = [None] * len(examples)
        if self.teacher is not None:
            drafts = self._ask_teacher(examples)
        out = []
        for ex, draft in zip(examples, drafts, strict=True):
            reasoning, answer = draft or template_response(self.style, ex.category, rng)
            self.stats["template" if draft is None else "teacher"] += 1
            out.append(replace(ex, reasoning=reasoning, answer=answer, think=reasoning is not None))
        return out

    def _ask_teacher(self, examples: Sequence[Example]) -> list[tuple[str | None, str] | None]:
        from safereason.backends.pool import ModelPool
        from safereason.judges.refusal import RefusalJudge

        assert self.teacher is not None
        system: str = _texts()["teacher"][self.style]
        convs = [
            (
                Message("system", system.format(category=ex.category or "unspecified")),
                Message("user", ex.prompt),
            )
            for ex in examples
        ]
        params = GenParams(max_tokens=self.teacher_max_tokens, temperature=0.0, seed=self.seed)
        if self.models is not None:
            comps = self.models.client(self.teacher).chat(convs, params)
        else:
            with ModelPool.for_setting("default") as pool:
                comps = pool.client(self.teacher).chat(convs, params)
        judge = RefusalJudge()
        out: list[tuple[str | None, str] | None] = []
        for ex, comp in zip(examples, comps, strict=True):
            out.append(self._accept(ex, comp, judge))
        return out

    def _accept(self, ex: Example, comp: Completion, judge: Any) -> tuple[str | None, str] | None:
        answer, reasoning = comp.text.strip(), (comp.reasoning or "").strip() or None
        if not answer:
            self.stats["teacher_empty"] += 1
            return None
        if self.style == "direct":
            reasoning = None
        elif reasoning is None and self.verify:
            self.stats["teacher_no_reasoning"] += 1
            return None
        if self.verify:
            sample = Sample.from_prompt(ex.id, "safety", "harmful", ex.prompt)
            if judge.score([(sample, comp)])[0].label != "refused":
                self.stats["teacher_not_refusal"] += 1
                return None
        return reasoning, answer
