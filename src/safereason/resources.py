"""Access to the package's data files (prompt texts, phrase lists, starter sets)."""

from __future__ import annotations

import copy
import json
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from functools import cache
from importlib.resources import files
from typing import Any

import yaml


def data_text(name: str) -> str:
    """The text of ``safereason/data/<name>``."""
    return (files("safereason") / "data" / name).read_text(encoding="utf-8")


@cache
def _shipped_yaml(name: str) -> Any:
    return yaml.safe_load(data_text(name))


# file -> (partial mapping, the file merged with it): texts that replace the shipped ones
# while an experiment with ``paper_texts:`` is active (process-wide: judges read it from
# their worker threads)
_overlay: dict[str, tuple[Any, Any]] = {}
_overlay_lock = threading.Lock()


def _merge(base: Any, over: Any) -> Any:
    if isinstance(base, dict) and isinstance(over, Mapping):
        out = dict(base)
        for k, v in over.items():
            out[k] = _merge(base.get(k), v)
        return out
    return copy.deepcopy(over)


def data_yaml(name: str) -> Any:
    """A YAML data file, parsed once (with the active text overlay's entries, if any)."""
    hit = _overlay.get(name)
    return hit[1] if hit is not None else _shipped_yaml(name)


@contextmanager
def text_overlay(overlay: Mapping[str, Mapping[str, Any]]) -> Iterator[None]:
    """While inside, ``data_yaml(file)`` is the shipped file with ``overlay[file]`` merged
    in (mappings key by key; any other value replaced); the previous overlay comes back."""
    global _overlay
    merged = {name: (dict(o), _merge(_shipped_yaml(name), o)) for name, o in overlay.items()}
    with _overlay_lock:
        before, _overlay = _overlay, merged
    try:
        yield
    finally:
        with _overlay_lock:
            _overlay = before


def data_jsonl(name: str) -> list[dict[str, Any]]:
    """A JSONL data file as a list of dicts."""
    return [json.loads(line) for line in data_text(name).splitlines() if line.strip()]
