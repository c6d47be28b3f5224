"""Writing a run's files atomically: a reader (or a crash) never sees half a file."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable
from pathlib import Path

from safereason.errors import SafereasonError


def atomic_write(path: Path, write: Callable[[Path], object]) -> Path:
    """Call ``write(tmp)`` on a temporary file beside ``path``, then move it into place.

    On any failure (a full disk, a directory in the way, an unwritable folder) the
    temporary file is removed, ``path`` keeps its old contents, and the error is one line
    naming ``path``.
    """
    if path.is_dir():
        raise SafereasonError(f"cannot write {path}: it is a directory, not a file")
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        write(tmp)
        os.replace(tmp, path)
    except OSError as e:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise SafereasonError(f"cannot write {path}: {e.strerror or e}") from None
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    return path


def write_text(path: Path, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically."""
    return atomic_write(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))
