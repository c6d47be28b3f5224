"""Named sources of training data, each reading its dataset's real column layout.

A source is a frozen dataclass whose fields are its YAML options (like every plugin)
and whose ``load()`` returns a :class:`~safereason.finetune.examples.Pool`. File-backed
sources read a local ``path:`` (.jsonl/.json/.csv/.parquet/.arrow or a save_to_disk
folder) or, without one, their hub dataset through ``datasets.load_dataset`` (imported
only then; offline it fails with one line that suggests ``path:``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from safereason.benchmarks._datasets import Row, read_rows
from safereason.errors import SafereasonError
from safereason.finetune.examples import Example, Pool
from safereason.registry import Registry


@runtime_checkable
class Source(Protocol):
    """A dataset of training examples."""

    def load(self) -> Pool: ...


sources: Registry[Source] = Registry("source", "safereason.finetune.sources")


@dataclass(frozen=True)
class FileSource:
    """Options shared by sources read from a file or the hub.

    ``skip_malformed`` drops records that do not parse (counted in the manifest) instead
    of stopping at the first with an error naming its row. ``think`` puts the reasoning
    inside the think tags (long chain of thought) instead of inline before the answer.
    """

    path: str | None = None
    hub_id: str = ""
    config: str | None = None
    split: str = "train"
    skip_malformed: bool = False
    think: bool = False

    @property
    def name(self) -> str:
        """The name the source is registered under."""
        return str(getattr(type(self), "registry_name", type(self).__name__))

    def rows(self) -> list[Row]:
        """Every record of the local file, else of the hub dataset split."""
        if not self.path and not self.hub_id:
            raise SafereasonError(f"source {self.name!r} needs `path:` to a local file")
        return read_rows(self.path, self.hub_id, self.config, self.split)

    def load(self) -> Pool:
        """Every row, read by :meth:`example`."""
        return self.parse_all(self.example)

    def example(self, row: Row) -> Example:
        """One row as a training example: each source reads its dataset's layout."""
        raise NotImplementedError

    def parse_all(self, parse: Callable[[Row], Example]) -> Pool:
        """Parse every row; malformed ones raise, or are skipped and counted."""
        items: list[Example] = []
        skipped = 0
        for row in self.rows():
            try:
                items.append(parse(row))
            except SafereasonError:
                if not self.skip_malformed:
                    raise
                skipped += 1
        return Pool.of(items, skipped)

    def example_id(self, row: Row) -> str:
        """``<source>-<split>-<row>``."""
        return f"{self.name}-{self.split}-{row.index:06d}"
