"""The published column layouts a local file may be in, told apart by their columns.

Each :class:`Layout` names the columns that identify it and the published loader that
reads it: a row becomes a sample through that loader's own ``_sample`` (one reader per
layout, shared with the ``harmbench``, ``gsm8k``, ... benchmarks), so a local copy of a
published set is read exactly as the set's own benchmark reads it. The ``local``
benchmark tries them in :data:`LAYOUTS` order; the first whose columns are all there
(and whose ``check`` passes) is used.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from safereason.benchmarks._datasets import FileBackedSet, Row, as_text
from safereason.benchmarks.benign_sets import XSTEST_LABELS, XSTest
from safereason.benchmarks.harmful_sets import (
    AdvBench,
    DoNotAnswer,
    HarmBench,
    JailbreakBench,
    SorryBench,
    StrongREJECT,
)
from safereason.benchmarks.reasoning_sets import GSM8K, MATH500
from safereason.meaning import BenchmarkMeaning
from safereason.types import Sample, SampleKind


@dataclass(frozen=True)
class Layout:
    """A published layout: the columns that identify it and the loader that reads it."""

    name: str  # the benchmark whose layout this is
    title: str
    needs: tuple[str, ...]  # every one must be a column
    any_of: tuple[str, ...] = ()  # and, when given, at least one of these
    check: Callable[[Sequence[Row]], bool] | None = None  # a look at the values, too
    check_says: str = ""  # what ``check`` looks for, as the error and the note name it
    # the published loader for samples of a kind (None: its default); its _sample reads a row
    loader: Callable[[SampleKind | None, str], FileBackedSet] | None = None

    def matches(self, columns: set[str], rows: Sequence[Row]) -> bool:
        """Whether a file with ``columns`` (and these ``rows``) is in this layout."""
        if not set(self.needs) <= columns:
            return False
        if self.any_of and not set(self.any_of) & columns:
            return False
        return self.check is None or self.check(rows)

    def columns(self) -> str:
        """The identifying columns, as the error and the note name them."""
        text = ", ".join(self.needs)
        text = f"{text} and one of {'/'.join(self.any_of)}" if self.any_of else text
        return f"{text}, {self.check_says}" if self.check_says else text

    def reader(self, kind: SampleKind | None, split: str) -> Callable[[Row], Sample]:
        """The published loader's own row -> sample."""
        assert self.loader is not None
        plugin: Any = self.loader(kind, split)
        return plugin._sample  # type: ignore[no-any-return]

    def meaning(self) -> Mapping[str, BenchmarkMeaning]:
        """The published benchmark's declared meaning (a careful answer may be safe)."""
        assert self.loader is not None
        return self.loader(None, "train").meaning


def _gsm8k_answers(rows: Sequence[Row]) -> bool:
    return any("####" in str(r.data.get("answer", "")) for r in rows[:20])


def _xstest_labels(rows: Sequence[Row]) -> bool:
    """XSTest's ``label`` is safe or unsafe: a file whose ``label`` says otherwise is not it."""
    labels = {as_text(r.data.get("label")).casefold() for r in rows} - {""}
    return labels <= set(XSTEST_LABELS)


def _plain(cls: type[FileBackedSet]) -> Callable[[SampleKind | None, str], FileBackedSet]:
    return lambda kind, split: cls(split=split)


def _jbb(kind: SampleKind | None, split: str) -> FileBackedSet:
    # the benign twins are in the same columns: kind benign reads them as benign
    return JailbreakBench(split="benign" if kind == "benign" or split == "benign" else "harmful")


LAYOUTS: tuple[Layout, ...] = (
    Layout(
        "harmbench",
        "HarmBench behaviours CSV",
        ("Behavior", "SemanticCategory"),
        loader=lambda kind, split: HarmBench(split=split, functional_category=None),
    ),
    Layout(  # walledai/HarmBench's contextual config; its standard one is prompt, category
        "harmbench_hub",
        "HarmBench (walledai/HarmBench, with context strings)",
        ("prompt", "category", "context"),
        loader=lambda kind, split: HarmBench(split=split, functional_category=None),
    ),
    Layout(
        "jailbreakbench",
        "JailbreakBench JBB-Behaviors",
        ("Goal", "Behavior", "Category"),
        loader=_jbb,
    ),
    Layout(
        "sorry_bench", "SORRY-Bench questions", ("question_id", "turns"), loader=_plain(SorryBench)
    ),
    Layout(
        "strongreject",
        "StrongREJECT dataset CSV",
        ("forbidden_prompt",),
        loader=_plain(StrongREJECT),
    ),
    Layout(
        "do_not_answer",
        "Do-Not-Answer",
        ("question", "risk_area", "types_of_harm"),
        loader=_plain(DoNotAnswer),
    ),
    Layout(
        "gsm8k",
        "GSM8K",
        ("question", "answer"),
        check=_gsm8k_answers,
        check_says="answers ending '#### N'",
        loader=_plain(GSM8K),
    ),
    Layout(
        "math500",
        "MATH-500",
        ("problem", "answer", "subject", "level"),
        loader=_plain(MATH500),
    ),
    Layout(
        "xstest",
        "XSTest prompts",
        ("prompt", "type"),
        any_of=("label", "focus", "final_label"),
        check=_xstest_labels,
        check_says="labels safe/unsafe",
        loader=_plain(XSTest),
    ),
    Layout(
        "advbench", "AdvBench harmful_behaviors.csv", ("goal", "target"), loader=_plain(AdvBench)
    ),
)
BY_NAME: dict[str, Layout] = {lay.name: lay for lay in LAYOUTS}


def column_names(rows: Sequence[Row]) -> list[str]:
    """Every column of ``rows``, in order of first appearance."""
    seen: dict[str, None] = {}
    for r in rows:
        for k in r.data:
            seen.setdefault(str(k), None)
    return list(seen)


def detect(rows: Sequence[Row]) -> Layout | None:
    """The first published layout ``rows`` are in, or None."""
    columns = set(column_names(rows))
    return next((lay for lay in LAYOUTS if lay.matches(columns, rows)), None)
