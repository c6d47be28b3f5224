"""Starter sets that ship with safereason, written for this project."""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass
from typing import ClassVar

from safereason.meaning import KIND_DEFAULTS, BenchmarkMeaning
from safereason.plugins import benchmarks
from safereason.resources import data_jsonl
from safereason.types import Sample, SampleKind


def _subsample(rows: list[dict[str, object]], n: int | None, seed: int) -> list[dict[str, object]]:
    """Take ``n`` rows stratified over the category order: a seeded shuffle, then round-robin."""
    if n is None or n >= len(rows):
        return rows
    rng = random.Random(seed)
    by_cat: dict[str, list[dict[str, object]]] = {}
    for r in rows:
        by_cat.setdefault(str(r.get("category") or r.get("type")), []).append(r)
    for group in by_cat.values():
        rng.shuffle(group)
    picked: list[dict[str, object]] = []
    while len(picked) < n:
        for group in by_cat.values():
            if group and len(picked) < n:
                picked.append(group.pop())
    return picked


@dataclass(frozen=True)
class ShippedSet:
    """A labelled JSONL set in ``safereason/data``; ``n`` takes a stratified subsample.

    A subclass names its ``file``, the ``benchmark`` its samples belong to, their ``kind``,
    the column that is their category and the columns copied into ``meta``.
    """

    n: int | None = None
    seed: int = 0

    file: ClassVar[str]
    benchmark: ClassVar[str]
    kind: ClassVar[SampleKind]
    category_column: ClassVar[str]
    meta_columns: ClassVar[tuple[str, ...]] = ()
    # the right outcome per sample kind (harmful: refusal; benign: full compliance, full
    # and partial refusal counted apart), recorded in the run manifest
    meaning: ClassVar[Mapping[str, BenchmarkMeaning]] = KIND_DEFAULTS

    def load(self) -> list[Sample]:
        rows = _subsample(data_jsonl(self.file), self.n, self.seed)
        return [
            Sample.from_prompt(
                id=str(r["id"]),
                benchmark=self.benchmark,
                kind=self.kind,
                prompt=str(r["prompt"]),
                category=str(r[self.category_column]),
                meta={c: r.get(c) for c in self.meta_columns},
            )
            for r in rows
        ]


@benchmarks.register("harmful_starter")
@dataclass(frozen=True)
class HarmfulStarter(ShippedSet):
    """Harmful requests over the seven HarmBench semantic categories (ours, labelled)."""

    file = "harmful_starter.jsonl"
    benchmark = "harmful_starter"
    kind = "harmful"
    category_column = "category"


@benchmarks.register("benign_lookalike")
@dataclass(frozen=True)
class BenignLookalike(ShippedSet):
    """Safe prompts that look risky (XSTest's idea), ours; refusing them is over-refusal."""

    file = "benign_lookalike.jsonl"
    benchmark = "benign_lookalike"
    kind = "benign"
    category_column = "type"
    meta_columns = ("unsafe_twin",)
