"""The run store: idempotent writes, resumability, and safe concurrent writers."""

from __future__ import annotations

import multiprocessing as mp
import sqlite3
from pathlib import Path

from safereason.store import Store
from safereason.types import Completion, GenParams, Message, Request, Verdict


def _req(i: int) -> Request:
    return Request(key=f"k{i}", model="m", messages=(Message("user", f"q{i}"),), params=GenParams())


def _comp(i: int, text: str = "a") -> Completion:
    return Completion(key=f"k{i}", text=f"{text}{i}", completion_tokens=3)


def test_put_is_idempotent_and_first_write_wins(tmp_path: Path) -> None:
    s = Store(tmp_path / "s.sqlite")
    s.put_generations([(_req(1), _comp(1)), (_req(2), _comp(2))])
    s.put_generations([(_req(1), _comp(1, "other"))])
    assert s.count("generations") == 2
    assert s.completions(["k1"])["k1"].text == "a1"
    assert s.has_generations(["k1", "k3"]) == {"k1"}


def test_copy_between_stores(tmp_path: Path) -> None:
    a, b = Store(tmp_path / "a.sqlite"), Store(tmp_path / "b.sqlite")
    a.put_generations([(_req(i), _comp(i)) for i in range(5)])
    assert b.copy_generations_from(a, ["k1", "k3", "k9"]) == 2
    assert b.has_generations([f"k{i}" for i in range(5)]) == {"k1", "k3"}
    a.put_verdicts([("v1", "k1", Verdict("refusal", "refused", 1.0))])
    assert b.copy_verdicts_from(a, ["v1", "v2"]) == {"v1"}


def test_meta_roundtrip(tmp_path: Path) -> None:
    s = Store(tmp_path / "s.sqlite")
    s.set_meta("x", {"a": [1, 2]})
    assert s.get_meta("x") == {"a": [1, 2]}
    assert s.get_meta("missing", 5) == 5


def _writer(path: str, start: int, n: int) -> None:
    s = Store(Path(path))
    for i in range(start, start + n):
        s.put_generations([(_req(i), _comp(i))])
    s.close()


def test_two_processes_writing_at_once(tmp_path: Path) -> None:
    path = str(tmp_path / "s.sqlite")
    Store(Path(path)).close()
    ctx = mp.get_context("spawn")
    procs = [ctx.Process(target=_writer, args=(path, start, 150)) for start in (0, 100)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
        assert p.exitcode == 0
    # raw SQL on purpose: this test is about the SQLite layer, and only SQLite can say
    # whether the file survived two writers intact
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    db.close()
    s = Store(Path(path))
    keys = [f"k{i}" for i in range(250)]
    assert s.count("generations") == 250  # each key once: the overlap (100-149) not doubled
    assert {k: c.text for k, c in s.completions(keys).items()} == {k: f"a{k[1:]}" for k in keys}
    s.close()
