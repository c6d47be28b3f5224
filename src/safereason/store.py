"""The run store: SQLite, content-addressed generations and verdicts, committed as they arrive.

Generations are keyed by a hash of everything that determines them, verdicts by their
judge's spec and inputs. Inserts are ``INSERT OR IGNORE`` inside short transactions in
WAL mode, so a killed process loses at most the batch in flight, a re-run skips what is
there, and two processes writing at once neither corrupt the file nor duplicate a row.

An engine error is never a generation: :meth:`Store.put_generations` skips completions
whose ``finish_reason`` is ``failed`` or ``error: ...``, and a row of that kind that an
older version stored is treated as absent (replaced when the request is generated again,
with the verdicts made on it). A run's failed requests are kept apart, in ``errors``,
for the report to show; they are retried on the next run.

Every SQLite failure after the file is open (a damaged file, a full disk, a foreign
schema) is a :class:`~safereason.errors.SafereasonError` naming the file.
"""

from __future__ import annotations

import contextlib
import functools
import json
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from safereason.errors import SafereasonError
from safereason.hashing import canonical_json
from safereason.results import JudgeInfo, ResultRow
from safereason.types import Completion, Request, Sample, Verdict

SCHEMA = """
CREATE TABLE IF NOT EXISTS generations (
  key TEXT PRIMARY KEY, model TEXT NOT NULL, request TEXT NOT NULL,
  completion TEXT NOT NULL, created REAL NOT NULL);
CREATE TABLE IF NOT EXISTS verdicts (
  key TEXT PRIMARY KEY, judge TEXT NOT NULL, gen_key TEXT NOT NULL,
  verdict TEXT NOT NULL, created REAL NOT NULL);
CREATE TABLE IF NOT EXISTS items (
  item_id TEXT PRIMARY KEY, model TEXT NOT NULL, method TEXT NOT NULL,
  benchmark TEXT NOT NULL, attack TEXT NOT NULL, sample_id TEXT NOT NULL,
  kind TEXT NOT NULL, category TEXT, gen_key TEXT NOT NULL, sample TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS item_verdicts (
  item_id TEXT NOT NULL, judge TEXT NOT NULL, verdict_key TEXT NOT NULL,
  PRIMARY KEY (item_id, judge));
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS sample_verdicts (
  item_id TEXT NOT NULL, judge TEXT NOT NULL, idx INTEGER NOT NULL, verdict_key TEXT NOT NULL,
  PRIMARY KEY (item_id, judge, idx));
CREATE TABLE IF NOT EXISTS errors (
  key TEXT PRIMARY KEY, model TEXT NOT NULL, reason TEXT NOT NULL, detail TEXT NOT NULL,
  created REAL NOT NULL);
"""

COLUMNS = {
    "generations": ["key", "model", "request", "completion", "created"],
    "verdicts": ["key", "judge", "gen_key", "verdict", "created"],
    "items": [
        "item_id",
        "model",
        "method",
        "benchmark",
        "attack",
        "sample_id",
        "kind",
        "category",
        "gen_key",
        "sample",
    ],
    "item_verdicts": ["item_id", "judge", "verdict_key"],
    "meta": ["key", "value"],
    "sample_verdicts": ["item_id", "judge", "idx", "verdict_key"],
    "errors": ["key", "model", "reason", "detail", "created"],
}

# A stored completion that is an engine error (rows an older version wrote): never used.
IS_ERROR = (
    "(json_extract(completion, '$.finish_reason') = 'failed'"
    " OR json_extract(completion, '$.finish_reason') LIKE 'error%')"
)
USABLE = f"NOT {IS_ERROR}"

F = TypeVar("F", bound=Callable[..., Any])


def store_error(path: Path, e: BaseException) -> SafereasonError:
    """One line for an SQLite failure on ``path``: what happened and what to do."""
    reason = " ".join(str(e).split()) or type(e).__name__
    low = reason.lower()
    if "full" in low:
        hint = "the disk is full: free some space and run again (what was stored is kept)"
    elif "malformed" in low or "not a database" in low or "corrupt" in low:
        hint = "the file is damaged or not a safereason store: move it away to start afresh"
    elif "locked" in low or "busy" in low:
        hint = "another process holds it locked"
    elif "readonly" in low or "read-only" in low:
        hint = "it cannot be written (read-only file or directory)"
    elif "no such" in low or "has no column" in low or "columns but" in low:
        hint = "it is not a safereason store (another schema)"
    else:
        hint = ""
    return SafereasonError(f"store {path}: {reason}" + (f"; {hint}" if hint else ""))


def _guarded(fn: F) -> F:
    """Turn an SQLite failure inside a store method into one line naming the file."""

    @functools.wraps(fn)
    def wrapper(self: Store, *args: Any, **kw: Any) -> Any:
        try:
            return fn(self, *args, **kw)
        except sqlite3.Error as e:
            raise store_error(self.path, e) from None

    return wrapper  # type: ignore[return-value]


class Store:
    """One SQLite file holding generations, verdicts, a run's plan items and its manifest."""

    def __init__(self, path: Path) -> None:
        self.path = path
        if path.is_dir():
            raise SafereasonError(f"cannot open store {path}: it is a directory, not a file")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(
                path, timeout=60, isolation_level=None, check_same_thread=False
            )
        except (sqlite3.Error, OSError) as e:
            raise SafereasonError(f"cannot open store {path}: {e}") from None
        try:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute("PRAGMA busy_timeout=60000")
            self._check_schema()
            with self._tx():
                for stmt in SCHEMA.strip().split(";"):
                    if stmt.strip():
                        self._db.execute(stmt)
        except sqlite3.Error as e:
            self._db.close()
            raise store_error(path, e) from None
        except SafereasonError:
            self._db.close()
            raise

    def _check_schema(self) -> None:
        """Refuse a file whose tables are not a safereason store's (one line, nothing written)."""
        for table, cols in COLUMNS.items():
            have = [r[1] for r in self._db.execute(f"PRAGMA table_info({table})")]
            if have and have != cols:
                raise SafereasonError(
                    f"store {self.path}: not a safereason store: its table {table!r} has "
                    f"columns {', '.join(have)}, expected {', '.join(cols)}; "
                    f"use another file or move this one away"
                )

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield self._db
        except BaseException:
            # the transaction may already be gone (e.g. the disk filled up)
            with contextlib.suppress(sqlite3.Error):
                self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def close(self) -> None:
        """Close the connection."""
        try:
            self._db.close()
        except sqlite3.Error as e:
            raise store_error(self.path, e) from None

    # generations -------------------------------------------------------------------
    @_guarded
    def put_generations(self, pairs: Sequence[tuple[Request, Completion]]) -> int:
        """Store completions with their requests, atomically; existing keys are kept.

        Engine errors (``failed``, ``error: ...``) are never stored; an error row an older
        version stored under one of these keys is replaced, and the verdicts made on it
        are dropped. Returns how many completions were given to store (errors left out).
        """
        now = time.time()
        good = [(r, c) for r, c in pairs if c.error is None]
        rows = [(r.key, r.model, _dumps(r), _dumps(c), now) for r, c in good]
        if not rows:
            return 0
        keys = [row[0] for row in rows]
        with self._tx() as db:
            self._drop_errors_in(db, keys)
            db.executemany("INSERT OR IGNORE INTO generations VALUES (?,?,?,?,?)", rows)
            self._chunked(db, "DELETE FROM errors WHERE key IN ({})", keys)
        return len(rows)

    def _drop_errors_in(self, db: sqlite3.Connection, keys: list[str]) -> None:
        """Delete stored error completions among ``keys`` and the verdicts made on them."""
        bad = [
            r[0]
            for r in self._rows(
                f"SELECT key FROM generations WHERE key IN ({{}}) AND {IS_ERROR}", keys
            )
        ]
        if bad:
            self._chunked(db, "DELETE FROM generations WHERE key IN ({})", bad)
            self._chunked(db, "DELETE FROM verdicts WHERE gen_key IN ({})", bad)

    @staticmethod
    def _chunked(db: sqlite3.Connection, sql: str, keys: list[str], chunk: int = 500) -> None:
        for i in range(0, len(keys), chunk):
            part = keys[i : i + chunk]
            db.execute(sql.format(",".join("?" * len(part))), part)

    @_guarded
    def copy_generations_from(self, other: Store, keys: Iterable[str]) -> int:
        """Copy the given keys that ``other`` has into this store; returns how many.

        An engine error ``other`` holds (stored by an older version) is not copied."""
        try:
            rows = other._rows(
                f"SELECT * FROM generations WHERE key IN ({{}}) AND {USABLE}", list(keys)
            )
        except sqlite3.Error as e:
            raise store_error(other.path, e) from None
        if rows:
            with self._tx() as db:
                self._drop_errors_in(db, [r[0] for r in rows])
                db.executemany("INSERT OR IGNORE INTO generations VALUES (?,?,?,?,?)", rows)
        return len(rows)

    @_guarded
    def has_generations(self, keys: Iterable[str]) -> set[str]:
        """The subset of ``keys`` stored (engine errors an older version stored aside)."""
        sql = f"SELECT key FROM generations WHERE key IN ({{}}) AND {USABLE}"
        return {r[0] for r in self._rows(sql, list(keys))}

    @_guarded
    def completions(self, keys: Iterable[str]) -> dict[str, Completion]:
        """Completions by key, for the keys present (never an engine error)."""
        sql = f"SELECT key, completion FROM generations WHERE key IN ({{}}) AND {USABLE}"
        return {k: Completion(**json.loads(c)) for k, c in self._rows(sql, list(keys))}

    # failed requests ------------------------------------------------------------------
    @_guarded
    def put_errors(self, pairs: Sequence[tuple[Request, Completion]]) -> None:
        """Record requests the engine could not answer (not generations: retried next run)."""
        now = time.time()
        rows = []
        for r, c in pairs:
            detail = str(c.meta.get("error") or "") if c.meta else ""
            rows.append((r.key, r.model, c.error or c.finish_reason, detail, now))
        if rows:
            with self._tx() as db:
                db.executemany("INSERT OR REPLACE INTO errors VALUES (?,?,?,?,?)", rows)

    @_guarded
    def errors(self) -> list[dict[str, Any]]:
        """The run's requests that failed last time they were tried, with the plan items
        they hold back: ``{key, model, reason, detail, items}``."""
        rows = self._db.execute(
            "SELECT e.key, e.model, e.reason, e.detail, COUNT(i.item_id) FROM errors e"
            " LEFT JOIN items i ON i.gen_key = e.key GROUP BY e.key ORDER BY e.rowid"
        ).fetchall()
        return [
            {"key": k, "model": m, "reason": r, "detail": d, "items": n} for k, m, r, d, n in rows
        ]

    # verdicts ----------------------------------------------------------------------
    @_guarded
    def put_verdicts(self, rows: Sequence[tuple[str, str, Verdict]]) -> None:
        """Store (verdict_key, gen_key, verdict) rows; :meth:`link_verdicts` ties them to items."""
        now = time.time()
        with self._tx() as db:
            db.executemany(
                "INSERT OR IGNORE INTO verdicts VALUES (?,?,?,?,?)",
                [(k, v.judge, g, _dumps(v), now) for k, g, v in rows],
            )

    @_guarded
    def copy_verdicts_from(self, other: Store, keys: Iterable[str]) -> set[str]:
        """Copy the verdicts ``other`` has for ``keys``; returns the keys copied."""
        try:
            rows = other._rows("SELECT * FROM verdicts WHERE key IN ({})", list(keys))
        except sqlite3.Error as e:
            raise store_error(other.path, e) from None
        if rows:
            with self._tx() as db:
                db.executemany("INSERT OR IGNORE INTO verdicts VALUES (?,?,?,?,?)", rows)
        return {r[0] for r in rows}

    @_guarded
    def has_verdicts(self, keys: Iterable[str]) -> set[str]:
        """The subset of verdict ``keys`` already stored."""
        return {r[0] for r in self._rows("SELECT key FROM verdicts WHERE key IN ({})", list(keys))}

    @_guarded
    def verdicts(self, keys: Iterable[str]) -> dict[str, Verdict]:
        """The stored verdicts of ``keys`` (those present), by key."""
        rows = self._rows("SELECT key, verdict FROM verdicts WHERE key IN ({})", list(keys))
        return {k: Verdict.from_dict(json.loads(v)) for k, v in rows}

    @_guarded
    def link_verdicts(self, links: Sequence[tuple[str, str, str]]) -> None:
        """Point (item_id, judge) at an existing verdict key."""
        with self._tx() as db:
            db.executemany("INSERT OR REPLACE INTO item_verdicts VALUES (?,?,?)", links)

    @_guarded
    def link_sample_verdicts(self, links: Sequence[tuple[str, str, int, str]]) -> None:
        """Point (item_id, judge, sample index) at an existing verdict key: the verdict on
        one of an item's k samples (Safe@k)."""
        with self._tx() as db:
            db.executemany("INSERT OR REPLACE INTO sample_verdicts VALUES (?,?,?,?)", links)

    @_guarded
    def keep_samples(self, counts: dict[str, int], judges: Iterable[str]) -> None:
        """Drop per-sample verdict links of items not in ``counts`` (item id -> samples per
        item), of sample indices at or past an item's count, and of judges not listed."""
        keep = set(judges)
        rows = self._db.execute("SELECT item_id, judge, idx FROM sample_verdicts").fetchall()
        stale = [
            (i, j, x) for i, j, x in rows if j not in keep or counts.get(i, 0) < 2 or x >= counts[i]
        ]
        if stale:
            with self._tx() as db:
                db.executemany(
                    "DELETE FROM sample_verdicts WHERE item_id=? AND judge=? AND idx=?", stale
                )

    @_guarded
    def sample_verdicts(self) -> dict[str, dict[str, dict[int, Verdict]]]:
        """Verdicts on each sample of the run's multi-sample items: item -> judge -> index."""
        out: dict[str, dict[str, dict[int, Verdict]]] = {}
        for item_id, judge, idx, v in self._db.execute(
            "SELECT s.item_id, s.judge, s.idx, v.verdict FROM sample_verdicts s"
            " JOIN verdicts v ON v.key = s.verdict_key"
        ):
            out.setdefault(item_id, {}).setdefault(judge, {})[int(idx)] = Verdict.from_dict(
                json.loads(v)
            )
        return out

    # plan items and manifest ---------------------------------------------------------
    @_guarded
    def put_items(self, rows: Sequence[tuple[str, str, str, str, str, Sample, str]]) -> None:
        """Record the run's plan: (item_id, model, method, benchmark, attack, sample, gen_key)."""
        with self._tx() as db:
            db.executemany(
                "INSERT OR REPLACE INTO items VALUES (?,?,?,?,?,?,?,?,?,?)",
                [
                    (i, m, me, b, a, s.id, s.kind, s.category, g, _dumps(s.to_dict()))
                    for i, m, me, b, a, s, g in rows
                ],
            )

    @_guarded
    def set_plan(
        self, rows: Sequence[tuple[str, str, str, str, str, Sample, str]], judges: Iterable[str]
    ) -> int:
        """Make the run's plan exactly ``rows`` (as :meth:`put_items`) judged by ``judges``
        (their labels), in one transaction; returns how many items of an earlier plan left.

        Items no longer planned, their links to verdicts, links of judges no longer
        configured and failed-request records no item needs are deleted. Generations and
        verdicts stay (a later plan may use them again, and the shared cache has them).
        """
        ids = [r[0] for r in rows]
        with self._tx() as db:
            db.execute("CREATE TEMP TABLE IF NOT EXISTS plan_ids (item_id TEXT PRIMARY KEY)")
            db.execute("DELETE FROM plan_ids")
            db.executemany("INSERT OR IGNORE INTO plan_ids VALUES (?)", [(i,) for i in ids])
            gone = db.execute(
                "DELETE FROM items WHERE item_id NOT IN (SELECT item_id FROM plan_ids)"
            ).rowcount
            db.execute(
                "DELETE FROM item_verdicts WHERE item_id NOT IN (SELECT item_id FROM plan_ids)"
            )
            db.execute("DELETE FROM plan_ids")
            labels = sorted(set(judges))
            db.execute(
                f"DELETE FROM item_verdicts WHERE judge NOT IN ({','.join('?' * len(labels))})",
                labels,
            )
            db.executemany(
                "INSERT OR REPLACE INTO items VALUES (?,?,?,?,?,?,?,?,?,?)",
                [
                    (i, m, me, b, a, s.id, s.kind, s.category, g, _dumps(s.to_dict()))
                    for i, m, me, b, a, s, g in rows
                ],
            )
        return int(gone)

    @_guarded
    def forget_errors(self, keep: Iterable[str]) -> None:
        """Drop failed-request records except those of ``keep`` (the keys still to do)."""
        keys = set(keep)
        stale = [k for (k,) in self._db.execute("SELECT key FROM errors") if k not in keys]
        if stale:
            with self._tx() as db:
                self._chunked(db, "DELETE FROM errors WHERE key IN ({})", stale)

    @_guarded
    def set_meta(self, key: str, value: Any) -> None:
        """Store a JSON value under ``key``."""
        with self._tx() as db:
            db.execute("INSERT OR REPLACE INTO meta VALUES (?,?)", (key, _dumps(value)))

    @_guarded
    def get_meta(self, key: str, default: Any = None) -> Any:
        """The JSON value stored under ``key``."""
        row = self._db.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return json.loads(row[0]) if row else default

    @_guarded
    def results(self) -> list[ResultRow]:
        """One typed row per plan item: its coordinates, sample, completion and verdicts.

        Each row carries the run's judges (spec, the text each reads and what its labels
        mean) as the run manifest recorded them under ``judges``; its verdicts are listed
        in that order (the experiment's), whatever order the judges finished in.
        """
        judges = {k: JudgeInfo.from_dict(d) for k, d in (self.get_meta("judges") or {}).items()}
        items = self._db.execute(
            "SELECT i.item_id, i.model, i.method, i.benchmark, i.attack, i.gen_key, i.sample,"
            " g.completion FROM items i"
            f" LEFT JOIN generations g ON g.key = i.gen_key AND {USABLE} ORDER BY i.rowid"
        ).fetchall()
        verdicts: dict[str, dict[str, Verdict]] = {}
        for item_id, judge, v in self._db.execute(
            "SELECT iv.item_id, iv.judge, v.verdict FROM item_verdicts iv"
            " JOIN verdicts v ON v.key = iv.verdict_key"
        ):
            verdicts.setdefault(item_id, {})[judge] = Verdict.from_dict(json.loads(v))
        # judges finish in any order: list verdicts in the experiment's order of judges
        rank = {k: i for i, k in enumerate(judges)}

        def order(kv: tuple[str, Verdict]) -> tuple[int, str]:
            return rank.get(kv[0], len(rank)), kv[0]

        for item_id, vs in verdicts.items():
            verdicts[item_id] = dict(sorted(vs.items(), key=order))
        return [
            ResultRow(
                item_id,
                model,
                method,
                bench,
                attack,
                Sample.from_dict(json.loads(sample)),
                gkey,
                Completion(**json.loads(comp)) if comp else None,
                verdicts.get(item_id, {}) if comp else {},  # no verdict without a completion
                judges,
            )
            for item_id, model, method, bench, attack, gkey, sample, comp in items
        ]

    @_guarded
    def count(self, table: str) -> int:
        """Rows in one of the store's tables."""
        if table not in {"generations", "verdicts", "items", "item_verdicts", "errors"}:
            raise ValueError(table)
        return int(self._db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])

    def _rows(self, sql: str, keys: list[str], chunk: int = 500) -> list[tuple[Any, ...]]:
        out: list[tuple[Any, ...]] = []
        for i in range(0, len(keys), chunk):
            part = keys[i : i + chunk]
            out += self._db.execute(sql.format(",".join("?" * len(part))), part).fetchall()
        return out


def _dumps(obj: Any) -> str:
    return canonical_json(obj)  # dataclasses serialise through canonical_json's default
