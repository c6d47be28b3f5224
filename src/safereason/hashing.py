"""Content hashes: the same inputs always give the same key."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from safereason.types import GenParams, Sample


def _default(o: Any) -> Any:
    if dataclasses.is_dataclass(o) and not isinstance(o, type):
        return dataclasses.asdict(o)
    if isinstance(o, (set, frozenset)):
        return sorted(o)
    if isinstance(o, Path):
        return str(o)
    raise TypeError(f"cannot hash {type(o).__name__}")


def canonical_json(obj: Any) -> str:
    """JSON with sorted keys and no whitespace, so equal values serialise equally."""
    return json.dumps(
        obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_default
    )


def content_key(obj: Any) -> str:
    """The sha256 of an object's canonical JSON."""
    return hashlib.sha256(canonical_json(obj).encode("utf-8")).hexdigest()


def file_sha256(path: Path, chunk: int = 1 << 22) -> str:
    """The sha256 of a file's bytes, read in chunks."""
    h = hashlib.sha256()
    with path.open("rb") as f:
        while block := f.read(chunk):
            h.update(block)
    return h.hexdigest()


def generation_key(identity: dict[str, object], sample: Sample, params: GenParams) -> str:
    """The content hash of everything that determines a generation.

    Unset (``None``) parameters are left out, so adding an optional parameter later does
    not change the keys of generations that never used it.
    """
    p = {k: v for k, v in dataclasses.asdict(params).items() if v is not None}
    return content_key({"model": identity, "messages": sample.messages, "params": p})
