"""Pre-generated implicit-reference jailbreaks, read from a file (``implicit_reference``)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from safereason.attacks._common import check, normalise, record
from safereason.errors import SafereasonError
from safereason.jsonl import json_lines
from safereason.plugins import attacks
from safereason.types import Sample


@lru_cache(maxsize=8)
def _load_rows(path: str, _mtime: int, _size: int) -> tuple[dict[str, Any], ...]:
    rows: list[dict[str, Any]] = []
    with open(path, encoding="utf-8") as f:
        for n, row in json_lines(f, lambda n: f"{path}:{n}"):
            where = f"{path}:{n}"
            if not isinstance(row, dict):
                raise SafereasonError(f"{where}: expected a JSON object")
            jb = row.get("jailbreak")
            if not isinstance(jb, str) or not jb.strip():
                raise SafereasonError(f"{where}: missing 'jailbreak' (the attack prompt)")
            if not any(
                isinstance(row.get(k), str) and row[k].strip() for k in ("behavior_id", "prompt")
            ):
                raise SafereasonError(f"{where}: needs 'behavior_id' or 'prompt' to match samples")
            rows.append({**row, "_line": n})
    return tuple(rows)


def load_jailbreaks(path: str | os.PathLike[str]) -> tuple[dict[str, Any], ...]:
    """The rows of an implicit-reference JSONL file (re-read when the file changes)."""
    p = Path(path)
    try:
        st = p.stat()
    except OSError as e:
        raise SafereasonError(f"implicit_reference: path {str(p)!r}: {e.strerror or e}") from None
    return _load_rows(str(p), st.st_mtime_ns, st.st_size)


def match_rows(
    rows: tuple[dict[str, Any], ...], sample: Sample
) -> tuple[list[dict[str, Any]], str | None]:
    """The rows for a sample and how they matched: by id first, else by original prompt."""
    ids = {sample.id}
    if "-" in sample.id:  # benchmark-prefixed ids, e.g. harmbench-<BehaviorID>
        ids.add(sample.id.split("-", 1)[1])
    if isinstance(sample.meta.get("behavior_id"), str):
        ids.add(sample.meta["behavior_id"])
    by_id = [r for r in rows if str(r.get("behavior_id") or "").strip() in ids]
    if by_id:
        return by_id, "id"
    texts = {normalise(sample.prompt)}
    if isinstance(sample.meta.get("behavior"), str):
        texts.add(normalise(sample.meta["behavior"]))
    by_text = [
        r for r in rows if isinstance(r.get("prompt"), str) and normalise(r["prompt"]) in texts
    ]
    return by_text, "prompt" if by_text else None


@attacks.register("implicit_reference")
@dataclass(frozen=True)
class ImplicitReference:
    """Pre-generated implicit-reference jailbreaks from a JSONL file, matched to each sample.

    ``path``: JSONL rows with ``jailbreak`` (the attack prompt) and ``behavior_id`` and/or
    ``prompt`` (the original behaviour). A row matches by sample id (also without the
    benchmark prefix, e.g. ``harmbench-<id>``), else by normalised original prompt; several
    rows for one behaviour give several samples. A sample with no row (every sample, with
    no ``path``): ``on_missing: keep`` sends the plain request with ``fallback: true`` in
    ``meta["attack"]``; ``error`` stops with the sample's id.
    """

    path: str | None = None
    on_missing: Literal["keep", "error"] = "keep"

    def __post_init__(self) -> None:
        check(
            self.on_missing in ("keep", "error"),
            "implicit_reference",
            f"on_missing must be 'keep' or 'error', not {self.on_missing!r}",
        )
        check(
            bool(self.path) or self.on_missing == "keep",
            "implicit_reference",
            "on_missing: error needs a path (with no file every sample is missing)",
        )
        if self.path:
            load_jailbreaks(self.path)  # fail at build time on a missing or malformed file

    def apply(self, sample: Sample) -> list[Sample]:
        rows = load_jailbreaks(self.path) if self.path else ()
        found, how = match_rows(rows, sample)
        if not found:
            if self.on_missing == "error":
                raise SafereasonError(
                    f"implicit_reference: no jailbreak for sample {sample.id!r} in {self.path}"
                )
            return [record(sample, self, fallback=True, reason="no pre-generated jailbreak")]
        return [
            record(
                sample.with_user_text(str(r["jailbreak"])),
                self,
                fallback=False,
                matched_by=how,
                line=r["_line"],
                variant=i,
                **({"jailbreak_id": r["id"]} if "id" in r else {}),
            )
            for i, r in enumerate(found)
        ]
