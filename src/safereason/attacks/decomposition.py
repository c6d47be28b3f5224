"""The request split into a harmless task with a blank and the missing piece (``decomposition``).

Texts and word lists live in ``data/attacks.yaml``. The split is a deterministic
heuristic, or an attacker model's proposal with the heuristic as fallback.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from safereason.attacks._common import (
    check,
    fill,
    normalise,
    record,
    resolve_template,
    section,
)
from safereason.attacks.rewrite import check_attacker, one_off
from safereason.plugins import attacks
from safereason.types import GenParams, Sample

if TYPE_CHECKING:
    from safereason.plugins import ModelSource


_TOKEN = re.compile(r"[^\W_][\w'’-]*")
_QUOTED = re.compile(r"[\"“]([^\"“”\n]{1,80})[\"”]")


def _words(key: str) -> set[str]:
    return {str(w).casefold() for w in section("decomposition")[key]}


def heuristic_split(text: str) -> tuple[int, int]:
    """(start, end) of the request's key phrase: the missing piece of a decomposition.

    A quoted title wins ("Hotel California"). Else, among phrases (runs of content words:
    not determiners or function words from attacks.yaml, unbroken by punctuation),
    the first holding a key term; else the first right after a determiner ("a lock");
    else the longest (the last of equals); else the last word. Deterministic; the piece
    is the whole request only when the request is one word.
    """
    quoted = _QUOTED.search(text)
    if quoted and quoted.group(1).strip() and normalise(quoted.group(1)) != normalise(text):
        return quoted.start(1), quoted.end(1)
    dets, stop = _words("determiners"), _words("function_words")
    keys = tuple(_words("key_terms"))
    toks = [
        (m.start(), m.end(), m.group().casefold().replace("’", "'")) for m in _TOKEN.finditer(text)
    ]
    if not toks:
        return 0, len(text)
    phrases: list[tuple[int, int, bool]] = []  # (first token, last token, after a determiner)
    run: list[int] = []

    def close() -> None:
        if run:
            prev = run[0] - 1
            after_det = (
                prev >= 0
                and toks[prev][2] in dets
                and not text[toks[prev][1] : toks[run[0]][0]].strip()
            )
            phrases.append((run[0], run[-1], after_det))
            run.clear()

    for i, (s, _, w) in enumerate(toks):
        if w in stop or w in dets:
            close()
            continue
        if run and text[toks[run[-1]][1] : s].strip():  # punctuation between the words
            close()
        run.append(i)
    close()
    whole = (toks[0][0], toks[-1][1])

    def span(p: tuple[int, int, bool]) -> tuple[int, int]:
        return toks[p[0]][0], toks[p[1]][1]

    phrases = [p for p in phrases if span(p) != whole]
    if not phrases:
        return toks[-1][0], toks[-1][1]
    for p in phrases:
        if any(toks[i][2].startswith(keys) for i in range(p[0], p[1] + 1)):
            return span(p)
    for p in phrases:
        if p[2]:
            return span(p)
    best = max(reversed(phrases), key=lambda p: toks[p[1]][1] - toks[p[0]][0])
    return span(best)


def parse_attacker_split(raw: str, original: str, placeholder: str) -> tuple[str, str] | None:
    """(masked, piece) from an attacker's two-line reply, or ``None`` when unusable."""
    task = re.search(r"^\W*TASK\W*:\s*(.+)$", raw, re.MULTILINE | re.IGNORECASE)
    piece = re.search(r"^\W*X\W*:\s*(.+)$", raw, re.MULTILINE | re.IGNORECASE)
    if not task or not piece:
        return None
    quotes = "\"'`*“”‘’ "
    masked, p = task.group(1).strip(quotes), piece.group(1).strip(quotes).rstrip(".")
    ok = (
        p
        and placeholder in masked
        and p.casefold() in original.casefold()
        and p.casefold() not in masked.casefold()
        and normalise(p) != normalise(original)
    )
    return (masked, p) if ok else None


_DECOMP_FIELDS = {"masked", "piece", "spelled"}


@attacks.register("decomposition")
@dataclass(frozen=True)
class Decomposition:
    """The request split into a harmless task with a blank and the missing piece, as a game.

    By default a deterministic heuristic picks the key noun phrase as the missing piece;
    with ``attacker`` (a model entry) that model proposes the split, and the heuristic is
    used when its reply is unusable. ``template``: ``game``, ``spelled`` or a text with
    ``{masked}`` (``{piece}``, ``{spelled}`` optional). The split is in ``meta["attack"]``.
    """

    template: str = "game"
    attacker: dict[str, Any] | None = None
    max_tokens: int = 128

    def __post_init__(self) -> None:
        resolve_template(
            "decomposition", self.template, _DECOMP_FIELDS, required="masked", error=ValueError
        )
        check(self.max_tokens >= 1, "decomposition", "max_tokens must be at least 1")
        if self.attacker is not None:
            check_attacker(self.attacker)

    def split(self, text: str, raw: str | None = None) -> tuple[str, str, dict[str, Any]]:
        """(masked request, missing piece, how it was split) for one request.

        ``raw``: the attacker's reply for this request (when there is an attacker).
        """
        cfg = section("decomposition")
        ph = str(cfg["placeholder"])
        info: dict[str, Any] = {}
        if raw is not None:
            parsed = parse_attacker_split(raw, text, ph)
            info["attacker_output"] = raw
            if parsed is not None:
                return parsed[0], parsed[1], {**info, "split_by": "attacker", "fallback": False}
            info["fallback"] = True
        start, end = heuristic_split(text)
        masked = text[:start] + ph + text[end:]
        return masked, text[start:end], {**info, "split_by": "heuristic", "span": [start, end]}

    def apply(self, sample: Sample) -> list[Sample]:
        if self.attacker is not None:
            return one_off(self, sample)
        return [self._attacked(sample, None)]

    def apply_batch(self, samples: Sequence[Sample], models: ModelSource) -> list[list[Sample]]:
        if self.attacker is None:
            return [[self._attacked(s, None)] for s in samples]
        cfg = section("decomposition")
        params = GenParams(max_tokens=self.max_tokens, temperature=0.0, seed=0)
        prompts = [fill(cfg["prompt"], request=s.user_text) for s in samples]
        raws = models.client(self.attacker).ask(prompts, params, system=cfg["system"])
        return [[self._attacked(s, raw)] for s, raw in zip(samples, raws, strict=True)]

    def _attacked(self, sample: Sample, raw: str | None) -> Sample:
        tid, text = resolve_template(
            "decomposition", self.template, _DECOMP_FIELDS, required="masked", error=ValueError
        )
        masked, piece, info = self.split(sample.user_text, raw)
        spelled = "-".join(piece.replace(" ", "_"))
        out = sample.with_user_text(fill(text, masked=masked, piece=piece, spelled=spelled))
        return record(out, self, template=tid, masked=masked, piece=piece, **info)
