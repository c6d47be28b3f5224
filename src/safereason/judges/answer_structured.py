"""The answer field of a structured response: JSON, XML-style tags, YAML or key=value lines,
a markdown table's "Final answer" row, a CSV "answer" column.

Prompts that ask for a format get answers such as ``{"reasoning": "...", "answer": 27}``,
``<result>Photosynthesis</result>``, ``final_answer = 10*sqrt(3)`` or
``| **Final answer** | **B** |``. The field is what a format-following grader reads: prose
around it ("In total that makes 72 eggs") does not replace it. ``structured_answer`` returns
the field's text and where the structure ends, or ``None``.
"""

from __future__ import annotations

import json
import re
from typing import Any

# Field names that hold the answer, best first; reasoning-like fields are never the answer.
_ANSWER_KEYS = (
    "final_answer",
    "finalanswer",
    "final",
    "answer",
    "result",
    "solution",
    "output",
    "prediction",
    "choice",
    "option",
    "value",
    "response",
)
_ASIDE_KEYS = {
    "reasoning",
    "reason",
    "explanation",
    "rationale",
    "thought",
    "thoughts",
    "thinking",
    "steps",
    "work",
    "working",
    "analysis",
    "confidence",
    "notes",
    "note",
    "justification",
}
_KEY = "|".join(_ANSWER_KEYS).replace("final_answer", r"final[ _]?answer")
_JSON_FIELD = re.compile(
    rf'"(?P<key>{_KEY})"\s*:\s*(?:"(?P<s>(?:[^"\\]|\\.)*)"|(?P<v>-?[\d.]+(?:e-?\d+)?|true|false|null))',
    re.IGNORECASE,
)
_TAG = re.compile(
    r"<(final_answer|final|result|output|solution)>\s*(.*?)\s*</\1>", re.IGNORECASE | re.DOTALL
)
# "final_answer = 10*sqrt(3)", "result -> 42", "final_answer: 42": code or config lines (a
# plain "Answer: 42" is prose, read by answer_match itself)
_KEY_LINE = re.compile(
    rf"^[ \t-]*(?:(?:{_KEY})[ \t]*(?:=|->)|final_answer[ \t]*:)[ \t]*(?P<v>[^\n]+?)[ \t]*$",
    re.IGNORECASE | re.MULTILINE,
)
_TABLE_ROW = re.compile(
    r"^\s*\|\s*\**\s*(?:final answer|answer|result)\s*\**\s*\|\s*(?P<v>[^|\n]+?)\s*\|\s*$",
    re.IGNORECASE | re.MULTILINE,
)


def structured_answer(text: str) -> tuple[str, int] | None:
    """The answer field's text and the offset where its structure ends, or ``None``."""
    for reader in (_from_json, _from_tag, _from_table, _from_csv, _from_key_line):
        found = reader(text)
        if found is not None:
            value, end = found
            return value.strip().strip("*").strip(), end
    return None


def _scalar(value: Any) -> str | None:
    """A JSON value as answer text: true/false as yes/no, a list as its items."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, str):
        return value
    if isinstance(value, list) and all(isinstance(v, (str, int, float)) for v in value):
        return ", ".join(str(v) for v in value)  # several candidates: read as all of them
    return None


def _pick(obj: dict[str, Any]) -> str | None:
    """The answer field of a JSON object (nested objects are searched too)."""
    lowered = {str(k).lower().replace(" ", "_"): v for k, v in obj.items()}
    for key in _ANSWER_KEYS:
        if key in lowered:
            value = lowered[key]
            if isinstance(value, dict):
                return _pick(value)
            return _scalar(value) if value is not None else ""
    for value in lowered.values():
        if isinstance(value, dict) and (inner := _pick(value)) is not None:
            return inner
    rest = [v for k, v in lowered.items() if k not in _ASIDE_KEYS]
    if len(rest) == 1 and not isinstance(rest[0], (dict, list)):
        return _scalar(rest[0])  # {"capital": "paris"}: its one field
    return None


def _from_json(text: str) -> tuple[str, int] | None:
    decoder = json.JSONDecoder()
    found: tuple[str, int] | None = None
    for m in re.finditer(r"\{", text):
        try:
            obj, end = decoder.raw_decode(text, m.start())
        except ValueError:
            continue
        if isinstance(obj, dict) and (value := _pick(obj)) is not None:
            if re.search(r"[\x08\x0c\t\r\n][a-z]", value):
                # "\frac" unescaped decodes as a form feed and "rac": read the raw text
                raw = _raw_field(text[m.start() : end])
                value = raw[0] if raw is not None else value
            found = (value, end)  # the last object that carries an answer
    if found is not None:
        return found
    return _raw_field(text)


def _raw_field(text: str) -> tuple[str, int] | None:
    """The last answer field as written, for JSON that does not parse (unescaped LaTeX, cut
    off) or does not mean what it says."""
    fields = list(_JSON_FIELD.finditer(text))
    if not fields:
        return None
    m = fields[-1]
    if m.group("s") is not None:
        return m.group("s").replace('\\"', '"').replace("\\\\", "\\"), m.end()
    value = m.group("v").lower()
    return {"true": "yes", "false": "no", "null": ""}.get(value, value), m.end()


def _from_tag(text: str) -> tuple[str, int] | None:
    tags = list(_TAG.finditer(text))
    return (tags[-1].group(2), tags[-1].end()) if tags else None


def _from_table(text: str) -> tuple[str, int] | None:
    rows = list(_TABLE_ROW.finditer(text))
    return (rows[-1].group("v"), rows[-1].end()) if rows else None


def _from_csv(text: str) -> tuple[str, int] | None:
    """A header line naming an "answer" column and the rows under it: the last row's cell."""
    lines = [ln.strip() for ln in text.strip().splitlines()]
    for i, line in enumerate(lines[:-1]):
        cells = [c.strip().lower() for c in line.split(",")]
        if len(cells) < 2 or not any(c in ("answer", "final_answer", "result") for c in cells):
            continue
        col = next(j for j, c in enumerate(cells) if c in ("answer", "final_answer", "result"))
        rows = [r.split(",") for r in lines[i + 1 :] if r.count(",") == len(cells) - 1]
        if rows:
            return rows[-1][col], len(text)
    return None


def _from_key_line(text: str) -> tuple[str, int] | None:
    lines = list(_KEY_LINE.finditer(text))
    return (lines[-1].group("v"), lines[-1].end()) if lines else None
