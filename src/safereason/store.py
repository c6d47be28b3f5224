"""The run store: SQLite, content-addressed generations and verdicts, committed as they arrive.

Generations are keyed by a hash of everything that determines them, verdicts by their
judge's spec and inputs. Inserts are ``INSERT OR IGNORE`` inside short transactions in
WAL mode, so a killed process loses at most the batch in flight, a re-run skips what is
there, and two processes writing at once neither corrupt the file nor duplicate a row.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

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
"""


class Store:
    """One SQLite file holding generations, verdicts, a run's plan items and its manifest."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(
                path, timeout=60, isolation_level=None, check_same_thread=False
            )
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute("PRAGMA busy_timeout=60000")
            with self._tx():
                for stmt in SCHEMA.strip().split(";"):
                    if stmt.strip():
                        self._db.execute(stmt)
        except (sqlite3.DatabaseError, OSError) as e:
            raise SafereasonError(f"cannot open store {path}: {e}") from None

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield self._db
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def close(self) -> None:
        """Close the connection."""
        self._db.close()

    # generations -------------------------------------------------------------------
    def put_generations(self, pairs: Sequence[tuple[Request, Completion]]) -> None:
        """Store completions with their requests, atomically; existing keys are kept."""
        now = time.time()
        rows = [(r.key, r.model, _dumps(r), _dumps(c), now) for r, c in pairs]
        with self._tx() as db:
            db.executemany("INSERT OR IGNORE INTO generations VALUES (?,?,?,?,?)", rows)

    def copy_generations_from(self, other: Store, keys: Iterable[str]) -> int:
        """Copy the given keys that ``other`` has into this store; returns how many."""
        rows = other._rows("SELECT * FROM generations WHERE key IN ({})", list(keys))
        if rows:
            with self._tx() as db:
                db.executemany("INSERT OR IGNORE INTO generations VALUES (?,?,?,?,?)", rows)
        return len(rows)

    def has_generations(self, keys: Iterable[str]) -> set[str]:
        """The subset of ``keys`` already stored."""
        return {
            r[0] for r in self._rows("SELECT key FROM generations WHERE key IN ({})", list(keys))
        }

    def completions(self, keys: Iterable[str]) -> dict[str, Completion]:
        """Completions by key, for the keys present."""
        rows = self._rows("SELECT key, completion FROM generations WHERE key IN ({})", list(keys))
        return {k: Completion(**json.loads(c)) for k, c in rows}

    # verdicts ----------------------------------------------------------------------
    def put_verdicts(self, rows: Sequence[tuple[str, str, Verdict]]) -> None:
        """Store (verdict_key, gen_key, verdict) rows; :meth:`link_verdicts` ties them to items."""
        now = time.time()
        with self._tx() as db:
            db.executemany(
                "INSERT OR IGNORE INTO verdicts VALUES (?,?,?,?,?)",
                [(k, v.judge, g, _dumps(v), now) for k, g, v in rows],
            )

    def copy_verdicts_from(self, other: Store, keys: Iterable[str]) -> set[str]:
        """Copy the verdicts ``other`` has for ``keys``; returns the keys copied."""
        rows = other._rows("SELECT * FROM verdicts WHERE key IN ({})", list(keys))
        if rows:
            with self._tx() as db:
                db.executemany("INSERT OR IGNORE INTO verdicts VALUES (?,?,?,?,?)", rows)
        return {r[0] for r in rows}

    def has_verdicts(self, keys: Iterable[str]) -> set[str]:
        """The subset of verdict ``keys`` already stored."""
        return {r[0] for r in self._rows("SELECT key FROM verdicts WHERE key IN ({})", list(keys))}

    def link_verdicts(self, links: Sequence[tuple[str, str, str]]) -> None:
        """Point (item_id, judge) at an existing verdict key."""
        with self._tx() as db:
            db.executemany("INSERT OR REPLACE INTO item_verdicts VALUES (?,?,?)", links)

    # plan items and manifest ---------------------------------------------------------
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

    def set_meta(self, key: str, value: Any) -> None:
        """Store a JSON value under ``key``."""
        with self._tx() as db:
            db.execute("INSERT OR REPLACE INTO meta VALUES (?,?)", (key, _dumps(value)))

    def get_meta(self, key: str, default: Any = None) -> Any:
        """The JSON value stored under ``key``."""
        row = self._db.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return json.loads(row[0]) if row else default

    def results(self) -> list[ResultRow]:
        """One typed row per plan item: its coordinates, sample, completion and verdicts.

        Each row carries the run's judges (spec, the text each reads and what its labels
        mean) as the run manifest recorded them under ``judges``; its verdicts are listed
        in that order (the experiment's), whatever order the judges finished in.
        """
        judges = {
            k: JudgeInfo.from_dict(d) for k, d in (self.get_meta("judges") or {}).items()
        }
        items = self._db.execute(
            "SELECT i.item_id, i.model, i.method, i.benchmark, i.attack, i.gen_key, i.sample,"
            " g.completion FROM items i"
            " LEFT JOIN generations g ON g.key = i.gen_key ORDER BY i.rowid"
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
                verdicts.get(item_id, {}),
                judges,
            )
            for item_id, model, method, bench, attack, gkey, sample, comp in items
        ]

    def count(self, table: str) -> int:
        """Rows in one of the store's tables."""
        if table not in {"generations", "verdicts", "items", "item_verdicts"}:
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
