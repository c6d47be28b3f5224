"""Published harmful-request sets, from the hub or a local copy in the dataset's own columns.

Every loader here takes ``n`` as a seeded random sample after its filters (the rows kept
in file order; the same seed picks the same rows and a larger ``n`` keeps a smaller one's
rows); ``n: null`` takes every row. Filters take one value or a list and ignore case;
when none matches, the error lists the values there are. Attack "targets" (the
affirmative reply an optimisation attack aims for) go to ``meta["target_response"]``,
never ``Sample.target``, which is a gold answer.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from safereason.benchmarks._datasets import (
    FileBackedSet,
    Row,
    as_text,
    check_unique_ids,
    keep,
    pick,
    read_path,
    read_rows,
    wanted,
)
from safereason.errors import SafereasonError
from safereason.meaning import SAFE_RESPONSE, BenchmarkMeaning
from safereason.plugins import benchmarks
from safereason.types import Sample, SampleKind

HARMBENCH_FUNCTIONAL = ("standard", "contextual", "copyright")


def harmbench_prompt(behavior: str, context: str | None) -> str:
    """A HarmBench request as its own harness writes it: the context, a rule, the request."""
    return f"{context}\n\n---\n\n{behavior}" if context else behavior


@benchmarks.register("harmbench")
@dataclass(frozen=True)
class HarmBench(FileBackedSet):
    """HarmBench text behaviours; standard only by default (functional_category).

    Two layouts. The official CSV (``harmbench_behaviors_text_all.csv``): ``Behavior``,
    ``FunctionalCategory`` (standard/contextual/copyright), ``SemanticCategory``, ``Tags``,
    ``ContextString``, ``BehaviorID``. The hub copy ``walledai/HarmBench``: one config per
    functional category, split ``train``, columns ``prompt``, ``category`` and (contextual)
    ``context``; a local file in that layout gets its functional category from the config
    it came from when known, else from its columns (a context: contextual; category
    copyright: copyright; otherwise standard). A contextual behaviour's prompt is its
    context, a ``---`` rule, then the request. The category is the semantic category.
    Filters: ``functional_category`` and ``semantic_category`` (one value, a list, or null
    for all). Ids are ``harmbench-<BehaviorID>``, else ``harmbench-<functional>-<row>``.
    """

    hub_id: str = "walledai/HarmBench"
    functional_category: str | list[str] | None = "standard"
    semantic_category: str | list[str] | None = None

    def __post_init__(self) -> None:
        bad = (wanted(self.functional_category) or set()) - set(HARMBENCH_FUNCTIONAL)
        if bad:
            choices = ", ".join(HARMBENCH_FUNCTIONAL)
            raise ValueError(f"functional_category {sorted(bad)} unknown; one of {choices}")

    def load(self) -> list[Sample]:
        if self.path:
            rows = read_path(self.path, self.split)
            pairs = [(r, self._sample(r, None)) for r in rows]
        else:
            want = wanted(self.functional_category)
            pairs = []
            for config in HARMBENCH_FUNCTIONAL:
                if want is None or config in want:
                    rows = read_rows(None, self.hub_id, config, self.split)
                    pairs.extend((r, self._sample(r, config)) for r in rows)
        check_unique_ids([s for _, s in pairs], [r for r, _ in pairs])
        samples = [s for _, s in pairs]
        where = self.path or self.hub_id
        samples = keep(
            samples,
            "functional_category",
            self.functional_category,
            lambda s: s.meta["functional_category"],
            where,
        )
        samples = keep(
            samples, "semantic_category", self.semantic_category, lambda s: s.category, where
        )
        return pick(samples, self.n, self.seed)

    def _sample(self, row: Row, config: str | None = None) -> Sample:
        if row.has("Behavior"):  # the official CSV
            behavior = row.text("Behavior")
            semantic = row.optional("SemanticCategory")
            context = row.optional("ContextString")
            functional = row.optional("FunctionalCategory") or config
            tags = row.optional("Tags")
            native_id = row.optional("BehaviorID")
        else:  # walledai/HarmBench
            behavior = row.text("prompt")
            semantic = row.optional("category")
            context = row.optional("context")
            tags = None
            native_id = row.optional("BehaviorID", "id")
            functional = config
        if functional is None:
            functional = (
                "contextual" if context else "copyright" if semantic == "copyright" else "standard"
            )
        return Sample.from_prompt(
            id=f"harmbench-{native_id}" if native_id else f"harmbench-{functional}-{row.index:04d}",
            benchmark="harmbench",
            kind="harmful",
            prompt=harmbench_prompt(behavior, context),
            category=semantic,
            meta={
                "functional_category": functional,
                "behavior": behavior,
                "context": context,
                "tags": tags,
            },
        )


@benchmarks.register("advbench")
@dataclass(frozen=True)
class AdvBench(FileBackedSet):
    """AdvBench harmful behaviours (walledai/AdvBench or the original CSV).

    Layouts: the hub copy ``walledai/AdvBench`` (split ``train``: ``prompt``, ``target``)
    and the original ``harmful_behaviors.csv`` (``goal``, ``target``). The request is
    ``prompt``/``goal``; ``target`` (the reply an attack aims for) goes to
    ``meta["target_response"]``. No categories. Ids are ``advbench-<row>``.
    """

    hub_id: str = "walledai/AdvBench"

    def _sample(self, row: Row) -> Sample:
        return Sample.from_prompt(
            id=f"advbench-{row.index:04d}",
            benchmark="advbench",
            kind="harmful",
            prompt=row.text("prompt", "goal"),
            meta={"target_response": row.optional("target")},
        )


@benchmarks.register("jailbreakbench")
@dataclass(frozen=True)
class JailbreakBench(FileBackedSet):
    """JailbreakBench JBB-Behaviors: 100 misuse behaviours (split benign: their twins).

    Layout (hub ``JailbreakBench/JBB-Behaviors``, config ``behaviors``, splits ``harmful``
    and ``benign``; or its ``harmful-behaviors.csv``): ``Index``, ``Goal``, ``Target``,
    ``Behavior``, ``Category``, ``Source``. The request is ``Goal``, the category is
    ``Category``; ``meta`` holds ``behavior``, ``source`` and ``target_response``
    (``Target``). Split ``benign`` gives kind benign (also for a local ``path:``), any
    other split kind harmful. Filter: ``category``. Ids are ``jbb-<split>-<Index>``.
    """

    split: str = "harmful"
    hub_id: str = "JailbreakBench/JBB-Behaviors"
    category: str | list[str] | None = None

    hub_config = "behaviors"
    filters = (("category", lambda s: s.category),)

    def _sample(self, row: Row) -> Sample:
        kind: SampleKind = "benign" if self.split == "benign" else "harmful"
        return Sample.from_prompt(
            id=f"jbb-{self.split}-{row.optional('Index') or f'{row.index:04d}'}",
            benchmark="jailbreakbench",
            kind=kind,
            prompt=row.text("Goal"),
            category=row.optional("Category"),
            meta={
                "behavior": row.optional("Behavior"),
                "source": row.optional("Source"),
                "target_response": row.optional("Target"),
            },
        )


@benchmarks.register("strongreject")
@dataclass(frozen=True)
class StrongREJECT(FileBackedSet):
    """StrongREJECT forbidden prompts (walledai/StrongREJECT or the original CSV).

    Layouts: the original ``strongreject_dataset.csv`` (``category``, ``source``,
    ``forbidden_prompt``) and the hub copy ``walledai/StrongREJECT`` (split ``train``:
    ``prompt``, ``category``, ``source``). Filter: ``category``. Ids are
    ``strongreject-<row>``.
    """

    hub_id: str = "walledai/StrongREJECT"
    category: str | list[str] | None = None

    filters = (("category", lambda s: s.category),)

    def _sample(self, row: Row) -> Sample:
        return Sample.from_prompt(
            id=f"strongreject-{row.index:04d}",
            benchmark="strongreject",
            kind="harmful",
            prompt=row.text("forbidden_prompt", "prompt"),
            category=row.optional("category"),
            meta={"source": row.optional("source")},
        )


def _first_turn(row: Row) -> tuple[str, list[str]]:
    """SORRY-Bench's ``turns``: a list of strings (a JSON list in a CSV cell, or one string)."""
    turns: Any = row.value("turns")
    if isinstance(turns, str):
        text = turns.strip()
        if text.startswith("["):
            try:
                turns = json.loads(text)
            except json.JSONDecodeError:
                raise SafereasonError(f"{row.where}: column 'turns' is not a JSON list") from None
        else:
            turns = [text]
    if not isinstance(turns, (list, tuple)):
        raise SafereasonError(f"{row.where}: column 'turns' should be a list of strings")
    texts = [as_text(t) for t in turns]
    if not texts or not texts[0]:
        raise SafereasonError(f"{row.where}: column 'turns' is empty")
    return texts[0], texts


@benchmarks.register("sorry_bench")
@dataclass(frozen=True)
class SorryBench(FileBackedSet):
    """SORRY-Bench (2024/06): 450 unsafe requests over 45 categories; base style by default.

    Layout (hub ``sorry-bench/sorry-bench-202406``, gated, split ``train``; or its
    ``question*.jsonl`` files): ``question_id``, ``category`` (``"1"`` to ``"45"``),
    ``turns`` (a list; the first turn is the request), ``prompt_style`` (``base`` or a
    mutation such as ``slang``, ``role_play``; a row without one counts as ``base``).
    Filters: ``prompt_style`` (``base`` by default, a list, or null for all) and
    ``category`` (one value or a list). Ids are ``sorry_bench-<prompt_style>-<question_id>``.
    """

    hub_id: str = "sorry-bench/sorry-bench-202406"
    prompt_style: str | list[str] | None = "base"
    category: str | int | list[str | int] | None = None  # categories are numbered

    filters = (
        ("prompt_style", lambda s: s.meta["prompt_style"]),
        ("category", lambda s: s.category),
    )

    def _sample(self, row: Row) -> Sample:
        prompt, turns = _first_turn(row)
        style = row.optional("prompt_style") or "base"
        return Sample.from_prompt(
            id=f"sorry_bench-{style}-{row.text('question_id')}",
            benchmark="sorry_bench",
            kind="harmful",
            prompt=prompt,
            category=row.optional("category"),
            meta={"prompt_style": style, "turns": turns},
        )


@benchmarks.register("do_not_answer")
@dataclass(frozen=True)
class DoNotAnswer(FileBackedSet):
    """Do-Not-Answer: 939 requests a responsible model should decline (LibrAI/do-not-answer).

    Layout (hub ``LibrAI/do-not-answer``, split ``train``; or ``do_not_answer_en.csv``):
    ``id``, ``risk_area``, ``types_of_harm``, ``specific_harms``, ``question`` (model
    response columns are ignored). The request is ``question``; the category is
    ``types_of_harm``; ``meta`` holds ``risk_area`` and ``specific_harms``. Filters:
    ``risk_area`` and ``types_of_harm``. Ids are ``do_not_answer-<id>``.
    """

    # a careful, correct answer (a false premise corrected, a medical question answered
    # with care) is as safe as a refusal: only harmful content is a failure
    meaning: ClassVar[Mapping[str, BenchmarkMeaning]] = {"harmful": SAFE_RESPONSE}

    hub_id: str = "LibrAI/do-not-answer"
    risk_area: str | list[str] | None = None
    types_of_harm: str | list[str] | None = None

    filters = (
        ("risk_area", lambda s: s.meta["risk_area"]),
        ("types_of_harm", lambda s: s.category),
    )

    def _sample(self, row: Row) -> Sample:
        return Sample.from_prompt(
            id=f"do_not_answer-{row.optional('id') or f'{row.index:04d}'}",
            benchmark="do_not_answer",
            kind="harmful",
            prompt=row.text("question"),
            category=row.optional("types_of_harm"),
            meta={
                "risk_area": row.optional("risk_area"),
                "specific_harms": row.optional("specific_harms"),
            },
        )
