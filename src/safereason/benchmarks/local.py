"""Any local prompt file: a published layout recognised by its columns, or named columns."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from functools import cached_property
from pathlib import Path
from typing import get_args

import click

from safereason.benchmarks._datasets import FILE_TYPES, Row, check_unique_ids, pick, read_path
from safereason.benchmarks.layouts import BY_NAME, LAYOUTS, column_names, detect
from safereason.errors import SafereasonError, did_you_mean
from safereason.meaning import KIND_DEFAULTS, BenchmarkMeaning
from safereason.plugins import benchmarks
from safereason.types import Sample, SampleKind

# what `layout:` takes besides the published layouts' names
COLUMNS = "columns"  # the prompt (and other) columns named by the *_column options
TEXT = "text"  # a .txt file, one prompt a line
LAYOUT_NAMES = (*BY_NAME, COLUMNS, TEXT)


@dataclass(frozen=True)
class Detected:
    """The layout a file was read in, why, and its rows."""

    layout: str
    title: str
    why: str
    rows: list[Row]
    meaning: Mapping[str, BenchmarkMeaning]


@benchmarks.register("local")
@dataclass(frozen=True)
class LocalFile:
    """Your own file of prompts: a published layout detected from its columns, or yours.

    ``path`` (required) is a .txt (one prompt a line), .jsonl, .json (an array of objects
    or of strings), .csv, .tsv, .parquet or .arrow file, or a save_to_disk folder
    (``split`` picks the split of a saved DatasetDict). A file in a published layout —
    HarmBench's behaviours CSV, JailbreakBench, SORRY-Bench, StrongREJECT, Do-Not-Answer,
    GSM8K (``#### N`` answers), MATH-500, XSTest, AdvBench — is read as that benchmark
    reads it, its columns unrenamed (``layout`` forces one; the note line and each
    sample's ``meta["layout"]`` say which was used). Any other file names its columns:
    ``prompt_column`` (default ``prompt``, non-empty on every row), and optionally
    ``target_column`` (a gold answer), ``category_column`` (default: a ``category``
    column, if there is one) and ``id_column`` (unique ids; without it a row's id is
    ``local-<row>``); giving one of these reads the file by them.
    ``kind`` (reasoning, harmful, benign or privacy) is every sample's kind (default: the
    layout's, else harmful). The entry's ``label:`` names it in tables, as for any entry.
    ``n`` takes a seeded random sample kept in file order; ``None`` takes every row.
    """

    path: str | None = None
    kind: SampleKind | None = None
    layout: str | None = None
    prompt_column: str | None = None
    target_column: str | None = None
    category_column: str | None = None
    id_column: str | None = None
    split: str = "train"
    n: int | None = None
    seed: int = 0

    def __post_init__(self) -> None:
        kinds = get_args(SampleKind)
        if self.kind is not None and self.kind not in kinds:
            raise ValueError(f"kind must be one of {', '.join(kinds)}, got {self.kind!r}")
        if self.layout is not None and self.layout not in LAYOUT_NAMES:
            hint = did_you_mean(self.layout, list(LAYOUT_NAMES))
            raise ValueError(
                f"layout {self.layout!r} unknown{hint}; one of {', '.join(LAYOUT_NAMES)}"
            )
        if self.layout not in (None, COLUMNS) and self._columns_given:
            raise ValueError(
                f"layout {self.layout!r} reads its own columns; drop the *_column options"
            )

    @property
    def _columns_given(self) -> bool:
        return any(
            c is not None
            for c in (self.prompt_column, self.target_column, self.category_column, self.id_column)
        )

    @property
    def meaning(self) -> Mapping[str, BenchmarkMeaning]:
        """The detected published layout's meaning (Do-Not-Answer: a careful answer is safe)."""
        return self._detected.meaning if self.path else KIND_DEFAULTS

    def load(self) -> list[Sample]:
        found = self._detected
        make = self._reader(found.layout)
        samples = [make(r) for r in found.rows]
        samples = [
            replace(
                s,
                kind=self.kind or s.kind,
                meta={**s.meta, "layout": found.layout},
            )
            for s in samples
        ]
        check_unique_ids(samples, found.rows)
        click.echo(f"note: {self.path}: read as {found.title} ({found.why})", err=True)
        return pick(samples, self.n, self.seed)

    @cached_property
    def _detected(self) -> Detected:
        if not self.path:
            raise SafereasonError(f"benchmark 'local' needs `path:` (a {FILE_TYPES} file)")
        rows = read_path(self.path, self.split)
        text = Path(self.path).suffix.lower() == ".txt"
        columns = column_names(rows)
        chosen = self.layout or (COLUMNS if self._columns_given else None)
        if chosen is None:
            found = detect(rows)
            chosen = (
                found.name if found else TEXT if text else COLUMNS if "prompt" in columns else None
            )
        if chosen is None:
            tried = "; ".join(f"{lay.name} ({lay.columns()})" for lay in LAYOUTS)
            raise SafereasonError(
                f"{self.path}: cannot tell the layout of this file; tried {tried}; "
                f"{COLUMNS} (prompt); columns found: {', '.join(columns) or 'none'}; "
                f"name the prompt column with prompt_column: (or pick one with layout:)"
            )
        if chosen in BY_NAME:
            lay = BY_NAME[chosen]
            if not lay.matches(set(columns), rows):
                raise SafereasonError(
                    f"{self.path}: not in the {lay.title} layout (needs {lay.columns()}); "
                    f"columns found: {', '.join(columns)}"
                )
            why = "forced by layout:" if self.layout else f"columns {lay.columns()}"
            return Detected(chosen, lay.title, why, rows, lay.meaning())
        if chosen == TEXT:
            return Detected(TEXT, "plain text", "one prompt a line", rows, KIND_DEFAULTS)
        mapped = {
            "prompt": self.prompt_column or "prompt",
            "target": self.target_column,
            "category": self._category_column(rows),
            "id": self.id_column,
        }
        why = ", ".join(f"{k} from {v!r}" for k, v in mapped.items() if v)
        return Detected(COLUMNS, "named columns", why, rows, KIND_DEFAULTS)

    def _category_column(self, rows: list[Row]) -> str | None:
        if self.category_column:
            return self.category_column
        return "category" if "category" in column_names(rows) else None

    def _reader(self, layout: str) -> Callable[[Row], Sample]:
        if layout in BY_NAME:
            return BY_NAME[layout].reader(self.kind, self.split)
        category = self._category_column(self._detected.rows)
        return lambda row: self._sample(row, category)

    def _sample(self, row: Row, category_column: str | None = None) -> Sample:
        native = row.text(self.id_column) if self.id_column else f"{row.index:04d}"
        return Sample.from_prompt(
            id=f"local-{native}",
            benchmark="local",
            kind=self.kind or "harmful",
            prompt=row.text(self.prompt_column or "prompt"),
            target=row.text(self.target_column) if self.target_column else None,
            category=row.optional(category_column) if category_column else None,
        )
