"""JSON Lines text read line by line, with errors that say which line is bad."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from safereason.errors import SafereasonError


def json_lines(lines: Iterable[str], where: Callable[[int], str]) -> Iterator[tuple[int, Any]]:
    """``(line number, value)`` for each non-blank line (numbered from 1).

    A line that is not JSON is a SafereasonError naming ``where(line number)``.
    """
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except json.JSONDecodeError as e:
            raise SafereasonError(f"{where(n)}: not valid JSON ({e.msg})") from None
        yield n, value
