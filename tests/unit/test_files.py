"""Outputs are written atomically: a failed write leaves the old file and no temp file."""

from __future__ import annotations

import errno
from pathlib import Path

import pytest

from safereason.errors import SafereasonError
from safereason.files import atomic_write, write_text


def test_a_full_disk_keeps_the_old_file_and_leaves_no_temp(tmp_path: Path) -> None:
    target = tmp_path / "results.parquet"
    target.write_text("old")

    def fill(tmp: Path) -> None:
        tmp.write_text("half")
        raise OSError(errno.ENOSPC, "No space left on device")

    with pytest.raises(SafereasonError, match=r"cannot write .*results.parquet: No space left"):
        atomic_write(target, fill)
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["results.parquet"]


def test_a_directory_in_the_way_is_named(tmp_path: Path) -> None:
    (tmp_path / "summary.json").mkdir()
    with pytest.raises(SafereasonError, match="it is a directory"):
        write_text(tmp_path / "summary.json", "{}")


def test_a_write_replaces_the_file_whole(tmp_path: Path) -> None:
    target = write_text(tmp_path / "a.md", "new")
    assert target.read_text() == "new" and [p.name for p in tmp_path.iterdir()] == ["a.md"]
