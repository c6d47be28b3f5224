"""Plumbing for dataset-backed benchmarks: rows from a local file or the Hugging Face hub.

A local ``path:`` may be a ``.txt`` file (one prompt a line: records ``{"prompt": line}``),
a ``.jsonl``, ``.json`` (an array of objects, or of strings: one prompt each), ``.csv``,
``.tsv`` or ``.parquet`` file, an ``.arrow`` file, or a folder written by ``datasets``'
``save_to_disk`` (a ``DatasetDict`` folder is read at the benchmark's ``split``). Local
files are read with the standard library and pyarrow; only the hub path needs
``datasets``, imported when it is used.
"""

from __future__ import annotations

import csv
import importlib
import json
import random
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, TypeVar

from safereason.errors import SafereasonError, did_you_mean
from safereason.jsonl import json_lines
from safereason.meaning import KIND_DEFAULTS, BenchmarkMeaning
from safereason.types import Sample

T = TypeVar("T")

FILE_TYPES = ".txt, .jsonl, .json, .csv, .tsv, .parquet or .arrow"
PATH_HINT = (
    "pass `path:` to a local copy instead (a .jsonl/.json/.csv/.tsv/.parquet file in the "
    "dataset's own columns, or a folder saved with save_to_disk)"
)


@dataclass(frozen=True)
class Row:
    """One record of a dataset, with where it came from for error messages."""

    data: Mapping[str, Any]
    source: str
    number: int  # 1-based: the line of a JSONL file, else the record's position
    unit: str = "row"

    @property
    def index(self) -> int:
        """The 0-based position of the record in its source."""
        return self.number - 1

    @property
    def where(self) -> str:
        """``SOURCE, row N`` (or ``line N`` for JSONL)."""
        return f"{self.source}, {self.unit} {self.number}"

    def has(self, column: str) -> bool:
        """Whether the record has ``column`` at all (it may still be empty)."""
        return column in self.data

    def value(self, *columns: str) -> Any:
        """The value of the first of ``columns`` present; a clear error if none is."""
        for c in columns:
            if c in self.data:
                return self.data[c]
        names = " or ".join(repr(c) for c in columns)
        have = ", ".join(str(k) for k in self.data) or "none"
        raise SafereasonError(f"{self.where}: missing column {names} (columns: {have})")

    def text(self, *columns: str) -> str:
        """The first of ``columns`` present, as stripped text that must not be empty."""
        for c in columns:
            if c in self.data:
                s = as_text(self.data[c])
                if not s:
                    raise SafereasonError(f"{self.where}: column {c!r} is empty")
                return s
        self.value(*columns)  # raises: none of them is present
        raise AssertionError("unreachable")

    def optional(self, *columns: str) -> str | None:
        """The first of ``columns`` present as stripped text, ``None`` if absent or empty."""
        for c in columns:
            if c in self.data:
                return as_text(self.data[c]) or None
        return None


def as_text(v: Any) -> str:
    """A cell as stripped text: ``None`` and NaN are empty."""
    if v is None or (isinstance(v, float) and v != v):
        return ""
    return v.strip() if isinstance(v, str) else str(v).strip()


# --- local files ------------------------------------------------------------------------


def read_path(path: str, split: str | None = None) -> list[Row]:
    """Every record of a local dataset file or save_to_disk folder, in file order.

    An empty dataset (no records) is an error naming the file, never an empty benchmark.
    """
    p = Path(path).expanduser()
    if not p.exists():
        raise SafereasonError(f"dataset file not found: {p}")
    rows = _read_path(p, split)
    if not rows:
        raise SafereasonError(f"{p}: the dataset is empty (no records)")
    return rows


def _read_path(p: Path, split: str | None) -> list[Row]:
    if p.is_dir():
        return _read_saved(p, split)
    suffix = p.suffix.lower()
    try:
        if suffix == ".jsonl":
            return _read_jsonl(p)
        if suffix == ".json":
            return _read_json(p, split)
        if suffix in (".csv", ".tsv"):
            return _read_csv(p, "\t" if suffix == ".tsv" else ",")
        if suffix == ".txt":
            return _read_text(p)
        if suffix in (".parquet", ".arrow"):
            return _rows(_read_arrow_table(p).to_pylist(), str(p))
    except UnicodeDecodeError as e:
        raise SafereasonError(f"{p}: not UTF-8 text ({e.reason})") from None
    except OSError as e:
        raise SafereasonError(f"cannot read {p}: {e.strerror or e}") from None
    raise SafereasonError(f"{p}: unsupported file type {suffix or '(none)'}; use {FILE_TYPES}")


def _rows(records: Iterable[Any], source: str, unit: str = "row") -> list[Row]:
    out = []
    for i, rec in enumerate(records, 1):
        if isinstance(rec, str) and unit == "item":  # a JSON array of strings: prompts
            rec = {"prompt": rec}
        if not isinstance(rec, dict):
            raise SafereasonError(f"{source}, {unit} {i}: expected an object, got {rec!r:.60}")
        out.append(Row(rec, source, i, unit))
    return out


def _read_jsonl(p: Path) -> list[Row]:
    out = []
    with p.open(encoding="utf-8-sig") as f:
        for i, rec in json_lines(f, lambda i: f"{p}, line {i}"):
            if not isinstance(rec, dict):
                raise SafereasonError(f"{p}, line {i}: expected a JSON object, got {rec!r:.60}")
            out.append(Row(rec, str(p), i, "line"))
    return out


def _read_json(p: Path, split: str | None = None) -> list[Row]:
    """A JSON array of objects (or strings), ``{"<key>": [objects]}``, ``{"<split>":
    [objects], ...}`` read at ``split``, or JSON lines (``to_json``'s output)."""
    text = p.read_text(encoding="utf-8-sig")
    try:
        doc = json.loads(text)
    except json.JSONDecodeError:
        return _read_jsonl(p)  # several objects, one a line
    if isinstance(doc, list):
        strings = bool(doc) and all(isinstance(x, str) for x in doc)
        return _rows(doc, str(p), "item" if strings else "row")
    if isinstance(doc, dict):
        tables = {
            k: v for k, v in doc.items() if isinstance(v, list) and v and isinstance(v[0], dict)
        }
        if len(tables) == 1 and len(doc) == 1:
            return _rows(next(iter(tables.values())), str(p))
        if len(tables) > 1 and split in tables:  # {"train": [...], "test": [...]}
            return _rows(tables[split], f"{p}[{split}]")
        return [Row(doc, str(p), 1)]  # a single record
    raise SafereasonError(f"{p}: expected a JSON array of objects or JSON lines")


def _read_text(p: Path) -> list[Row]:
    """One prompt a line (blank lines skipped), as records ``{"prompt": line}``."""
    with p.open(encoding="utf-8-sig") as f:
        return [
            Row({"prompt": line.rstrip("\r\n")}, str(p), i, "line")
            for i, line in enumerate(f, 1)
            if line.strip()
        ]


def _read_csv(p: Path, delimiter: str = ",") -> list[Row]:
    """A CSV file with a header row; a ``.csv`` whose header has no comma but semicolons
    (a spreadsheet's export in many locales) or tabs is split at those."""
    with p.open(encoding="utf-8-sig", newline="") as f:
        if delimiter == ",":
            header = f.readline()
            f.seek(0)
            if "," not in header:
                delimiter = next((d for d in (";", "\t") if d in header), ",")
        reader = csv.DictReader(f, delimiter=delimiter)
        if not reader.fieldnames:
            raise SafereasonError(f"{p}: empty CSV file (no header row)")
        out = []
        for i, rec in enumerate(reader, 1):
            # a short row gives None for its missing cells: treat those columns as missing
            clean = {k: v for k, v in rec.items() if k is not None and v is not None}
            out.append(Row(clean, str(p), i))
        return out


def _read_arrow_table(p: Path) -> Any:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        if p.suffix.lower() == ".parquet":
            return pq.read_table(p)
        with pa.memory_map(str(p)) as src:
            try:
                return pa.ipc.open_stream(src).read_all()  # what save_to_disk writes
            except pa.ArrowInvalid:
                src.seek(0)
                return pa.ipc.open_file(src).read_all()
    except (pa.ArrowException, OSError) as e:
        raise SafereasonError(f"{p}: cannot read as {p.suffix.lstrip('.')}: {e}") from None


def _read_saved(folder: Path, split: str | None) -> list[Row]:
    """A folder written by ``Dataset.save_to_disk`` or ``DatasetDict.save_to_disk``."""
    dict_file = folder / "dataset_dict.json"
    if dict_file.exists():
        splits = [str(s) for s in _json_field(dict_file, "splits")]
        if split not in splits:
            raise SafereasonError(
                f"{folder}: no split {split!r}{did_you_mean(str(split), splits)}; "
                f"splits: {', '.join(splits)}"
            )
        folder = folder / split
    state = folder / "state.json"
    if not state.exists():
        raise SafereasonError(
            f"{folder}: a folder, but not one written by save_to_disk (no state.json); "
            f"or point `path:` at a {FILE_TYPES} file"
        )
    files = [folder / str(f["filename"]) for f in _json_field(state, "_data_files")]
    records: list[Any] = []
    for f in files:
        records.extend(_read_arrow_table(f).to_pylist())
    return _rows(records, str(folder))


def _json_field(path: Path, field: str) -> list[Any]:
    """A list field of a save_to_disk metadata file; a clear error if it is malformed."""
    try:
        value = json.loads(path.read_text(encoding="utf-8"))[field]
        if not isinstance(value, list) or not all(
            isinstance(v, str) or (isinstance(v, dict) and "filename" in v) for v in value
        ):
            raise TypeError(field)
        return value
    except (OSError, ValueError, KeyError, TypeError):
        raise SafereasonError(
            f"{path}: not save_to_disk metadata (no valid {field!r} list)"
        ) from None


# --- the hub --------------------------------------------------------------------------


def read_hub(hub_id: str, config: str | None, split: str) -> list[Row]:
    """Every record of a hub dataset split, through ``datasets.load_dataset`` (uses its cache)."""
    what = f"Hugging Face dataset {hub_id!r}" + (f" (config {config!r})" if config else "")
    try:
        datasets = importlib.import_module("datasets")
    except ImportError:
        raise SafereasonError(
            f"loading {what} from the hub needs the `datasets` package "
            f"(pip install datasets); or {PATH_HINT}"
        ) from None
    try:
        ds = datasets.load_dataset(hub_id, config, split=split)
    except Exception as e:  # network, auth, missing split: all one message for the user
        raise hub_error(f"could not load {what}, split {split!r}", e) from None
    return _rows(ds, f"{hub_id}" + (f"/{config}" if config else "") + f"[{split}]")


def hub_error(
    action: str, e: Exception, gated_marks: tuple[str, ...] = ("gated",)
) -> SafereasonError:
    """One message for any failure to get data from the hub (offline, gated, missing):
    ``action``, the first line of the reason, a login hint when the reason holds one of
    ``gated_marks``, and how to use a local copy instead."""
    reason = (str(e).strip().splitlines() or [type(e).__name__])[0]
    gated = any(m in reason.lower() for m in gated_marks)
    hint = " (a gated dataset needs `hf auth login` and its terms accepted)" if gated else ""
    return SafereasonError(f"{action}: {reason}{hint}; {PATH_HINT}")


def read_rows(path: str | None, hub_id: str, config: str | None, split: str) -> list[Row]:
    """Rows from ``path`` when it is given, else from the hub."""
    return read_path(path, split) if path else read_hub(hub_id, config, split)


# --- selection ------------------------------------------------------------------------


def pick(items: Sequence[T], n: int | None, seed: int) -> list[T]:
    """``n`` items chosen by a seeded shuffle, returned in their original order.

    The same seed always picks the same items, and a larger ``n`` keeps every item a
    smaller one picked. ``None`` (or ``n`` at least the number of items) keeps them all.
    """
    if n is None:
        return list(items)
    if isinstance(n, bool) or not isinstance(n, int) or n < 0:
        raise SafereasonError(f"n must be a whole number >= 0 or null, got {n!r}")
    if n >= len(items):
        return list(items)
    order = list(range(len(items)))
    random.Random(seed).shuffle(order)
    return [items[i] for i in sorted(order[:n])]


def wanted(value: Any) -> set[str] | None:
    """A filter option (one value or a list) as a set of case-folded strings; None = all."""
    if value is None:
        return None
    values = [value] if isinstance(value, (str, int)) else list(value)
    return {str(v).strip().casefold() for v in values}


def keep(items: list[T], option: str, value: Any, key: Callable[[T], Any], source: str) -> list[T]:
    """The items whose ``key`` matches the filter ``option``; an error if none does."""
    want = wanted(value)
    if want is None:
        return items
    kept = [it for it in items if as_text(key(it)).casefold() in want]
    if items and not kept:
        have = sorted({as_text(key(it)) for it in items} - {""})
        shown = ", ".join(have[:30]) + (" ..." if len(have) > 30 else "")
        raise SafereasonError(f"{source}: no rows with {option} {value!r}; values: {shown}")
    return kept


def check_unique_ids(samples: Sequence[Sample], rows: Sequence[Row]) -> None:
    """Sample ids must be unique within a benchmark: name the rows that share one."""
    seen: dict[str, Row] = {}
    for s, r in zip(samples, rows, strict=True):
        if s.id in seen:
            raise SafereasonError(f"{r.where}: id {s.id!r} already used at {seen[s.id].where}")
        seen[s.id] = r


def source_label(path: str | None, hub_id: str) -> str:
    """How errors name where a benchmark read its rows."""
    return str(path) if path else hub_id


# --- the shape of a file-backed set ---------------------------------------------------


@dataclass(frozen=True)
class FileBackedSet:
    """A benchmark read from a local ``path:`` or, without one, from the hub dataset ``hub_id``.

    A subclass is a frozen dataclass that registers itself, sets its defaults (``split``,
    ``hub_id``) and its filter options, and makes one sample of one row (``_sample``).
    Loading reads the rows, makes their samples (ids unique), applies ``filters`` in
    order (each an option field and the sample value it matches, see :func:`keep`) and
    takes ``n`` of them by :func:`pick`.
    """

    n: int | None = None
    seed: int = 0
    split: str = "train"
    path: str | None = None
    hub_id: str = ""

    hub_config: ClassVar[str | None] = None  # the hub dataset's config (None: its default)
    # which outcome is right on each kind of sample this set gives, and the rate that
    # measures it (recorded in the run manifest; see safereason.meaning.BenchmarkMeaning)
    meaning: ClassVar[Mapping[str, BenchmarkMeaning]] = KIND_DEFAULTS
    filters: ClassVar[tuple[tuple[str, Callable[[Sample], Any]], ...]] = ()

    def load(self) -> list[Sample]:
        rows = self._rows()
        samples = [self._sample(r) for r in rows]
        check_unique_ids(samples, rows)
        where = self.path or self.hub_id
        for option, key in self.filters:
            samples = keep(samples, option, getattr(self, option), key, where)
        return pick(samples, self.n, self.seed)

    def _rows(self) -> list[Row]:
        return read_rows(self.path, self.hub_id, self.hub_config, self.split)

    def _sample(self, row: Row) -> Sample:
        raise NotImplementedError(f"{type(self).__name__} must define _sample(row)")
