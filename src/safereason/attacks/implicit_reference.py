"""Pre-generated implicit-reference jailbreaks, read from a file (``implicit_reference``).

Two layouts, told apart per row: safereason's own (``jailbreak`` with ``behavior_id``
and/or ``prompt``) and the AIR artifacts' (Wu et al. 2024, built on JailbreakBench's 100
behaviours: ``request``, the original behaviour, and ``request_reformulated``, the
attack prompt). The file is JSON Lines, or one JSON document: a list of rows, or an
object whose one list-valued entry holds them.
"""

from __future__ import annotations

import json
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

# the AIR layout's fields: the original request and the reformulated (attack) one
AIR_PROMPT, AIR_JAILBREAK = "request", "request_reformulated"
ON_MISSING = ("skip", "keep", "error")


def _text(row: dict[str, Any], key: str) -> str | None:
    v = row.get(key)
    return v if isinstance(v, str) and v.strip() else None


def _row(row: Any, where: str, n: int) -> dict[str, Any]:
    """One row in safereason's layout (``jailbreak``, ``prompt``/``behavior_id``)."""
    if not isinstance(row, dict):
        raise SafereasonError(f"{where}: expected a JSON object")
    if AIR_JAILBREAK in row or (AIR_PROMPT in row and "jailbreak" not in row):
        jb, prompt = _text(row, AIR_JAILBREAK), _text(row, AIR_PROMPT)
        if jb is None:
            raise SafereasonError(f"{where}: missing {AIR_JAILBREAK!r} (the AIR attack prompt)")
        if prompt is None:
            raise SafereasonError(f"{where}: missing {AIR_PROMPT!r} (the original behaviour)")
        return {**row, "jailbreak": jb, "prompt": prompt, "_line": n, "_layout": "air"}
    if _text(row, "jailbreak") is None:
        raise SafereasonError(
            f"{where}: missing 'jailbreak' (the attack prompt; or an AIR row: "
            f"{AIR_PROMPT!r} and {AIR_JAILBREAK!r})"
        )
    if _text(row, "behavior_id") is None and _text(row, "prompt") is None:
        raise SafereasonError(f"{where}: needs 'behavior_id' or 'prompt' to match samples")
    return {**row, "_line": n, "_layout": "safereason"}


def _document(path: str, text: str) -> list[Any]:
    """The rows of a file holding one JSON document (a list, or an object with one list)."""
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as e:
        raise SafereasonError(f"{path}:{e.lineno}: not valid JSON ({e.msg})") from None
    if isinstance(doc, dict):
        lists = [v for v in doc.values() if isinstance(v, list)]
        if len(lists) != 1:
            raise SafereasonError(
                f"{path}: a JSON object should hold the rows as its one list "
                f"(found {len(lists)} lists)"
            )
        doc = lists[0]
    if not isinstance(doc, list):
        raise SafereasonError(f"{path}: expected JSON Lines or a JSON list of rows")
    return doc


def _is_rows_holder(value: Any) -> bool:
    """Whether a parsed value is a document of rows, not a row (``[...]``, ``{"x": [...]}``)."""
    if isinstance(value, list):
        return True
    keys = ("jailbreak", AIR_PROMPT, AIR_JAILBREAK, "prompt", "behavior_id")
    return isinstance(value, dict) and not any(k in value for k in keys)


@lru_cache(maxsize=8)
def _load_rows(path: str, _mtime: int, _size: int) -> tuple[dict[str, Any], ...]:
    with open(path, encoding="utf-8") as f:
        text = f.read()
    try:
        lines = list(json_lines(text.splitlines(keepends=True), lambda n: f"{path}:{n}"))
    except SafereasonError:
        if not text.lstrip().startswith(("[", "{")):
            raise
        lines = []  # a pretty-printed JSON document: read whole below
    if (len(lines) == 1 and _is_rows_holder(lines[0][1])) or (not lines and text.strip()):
        rows = [(n, r, f"{path}: row {n}") for n, r in enumerate(_document(path, text), 1)]
    else:
        rows = [(n, r, f"{path}:{n}") for n, r in lines]
    return tuple(_row(r, where, n) for n, r, where in rows)


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


def skipped_sample(sample: Sample, attack: Any, reason: str) -> Sample:
    """``sample`` marked as left out of the plan by its attack (counted, never sent)."""
    return record(sample, attack, fallback=False, skipped=True, reason=reason)


@attacks.register("implicit_reference")
@dataclass(frozen=True)
class ImplicitReference:
    """Pre-generated implicit-reference jailbreaks from a file, matched to each sample.

    ``path``: JSONL (or a JSON list) of rows, in safereason's layout (``jailbreak``, the
    attack prompt, with ``behavior_id`` and/or ``prompt``, the original behaviour) or the
    AIR artifacts' (``request`` and ``request_reformulated``, built on JailbreakBench's
    behaviours). A row matches by sample id (also without the benchmark prefix, e.g.
    ``harmbench-<id>``), else by normalised original prompt (JailbreakBench's ``Goal``
    for an AIR row); several rows for one behaviour give several samples. A sample with
    no row (every sample, with no ``path``) is never sent silently as the plain request:
    ``on_missing: skip`` (the default) leaves it out of the plan and the run counts it
    (``meta.skipped``, shown in the report); ``keep`` sends the plain request, marked
    ``fallback: true`` in ``meta["attack"]`` and counted beside each rate; ``error``
    stops with the sample's id.
    """

    path: str | None = None
    on_missing: Literal["skip", "keep", "error"] = "skip"

    def __post_init__(self) -> None:
        check(
            self.on_missing in ON_MISSING,
            "implicit_reference",
            f"on_missing must be one of {', '.join(ON_MISSING)}, not {self.on_missing!r}",
        )
        check(
            bool(self.path) or self.on_missing != "error",
            "implicit_reference",
            "on_missing: error needs a path (with no file every sample is missing)",
        )
        if self.path:
            load_jailbreaks(self.path)  # fail at build time on a missing or malformed file

    def apply(self, sample: Sample) -> list[Sample]:
        rows = load_jailbreaks(self.path) if self.path else ()
        found, how = match_rows(rows, sample)
        if not found:
            reason = f"no pre-generated jailbreak in {self.path}" if self.path else "no path"
            if self.on_missing == "error":
                raise SafereasonError(
                    f"implicit_reference: no jailbreak for sample {sample.id!r} in {self.path}"
                )
            if self.on_missing == "skip":
                return [skipped_sample(sample, self, reason)]
            return [record(sample, self, fallback=True, reason=reason)]
        return [
            record(
                sample.with_user_text(str(r["jailbreak"])),
                self,
                fallback=False,
                matched_by=how,
                line=r["_line"],
                layout=r["_layout"],
                variant=i,
                **({"jailbreak_id": r["id"]} if "id" in r else {}),
            )
            for i, r in enumerate(found)
        ]
