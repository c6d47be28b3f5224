"""Targets with a form of their own, read by class rather than as numbers: yes/no and
true/false (in about 15 languages), calendar dates and clock times.

A target ``"No"`` is answered by "No. 91 = 7 x 13" (not by 13), ``"Yes"`` by "Sí, 144 es
...", ``"2024-03-15"`` by "March 15, 2024" and ``"14:30"`` by "2:30 PM". What is read, in
order: the explicit answers (``\\boxed{}``, ``<answer>``, "the answer is ..."), then for
yes/no the word that opens the response, then the last sentence that states the form
(its last date or time; its one yes/no word).
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from functools import cache

from safereason.reasoning_split import split_reasoning
from safereason.resources import data_yaml

_SENTENCE = re.compile(r"(?<=[.!?。！？])\s+(?=\S)|\n+")
_ISO_DATE = re.compile(r"^\s*(\d{4})-(\d{2})-(\d{2})\s*$")
_CLOCK_TARGET = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*$")
_MONTHS = {
    name.lower(): i
    for i in range(1, 13)
    for name in (calendar.month_name[i], calendar.month_abbr[i])
}
_MONTH = "|".join(sorted(_MONTHS, key=len, reverse=True))
_DATES = [
    (re.compile(r"\b(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})\b"), ("y", "m", "d")),
    (
        re.compile(rf"\b({_MONTH})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?,?\s+(\d{{4}})\b", re.I),
        ("m", "d", "y"),
    ),
    (
        re.compile(
            rf"\b(\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?({_MONTH})\.?,?\s+(\d{{4}})\b", re.I
        ),
        ("d", "m", "y"),
    ),
]
_TIME = re.compile(r"(?<![\d:])(\d{1,2}):(\d{2})(?![\d:])(?:\s*([ap])\.?\s?m\b\.?)?", re.I)


@dataclass(frozen=True)
class Form:
    """What kind of target this is (``yes/no``, ``date``, ``time``) and its normalised value."""

    kind: str
    value: str


def strip_thinking(text: str) -> str:
    """The response less its ``<think>...</think>`` trace (kept whole if that is all)."""
    return split_reasoning(text)[0] or text


@cache
def _polar_words() -> dict[str, str]:
    words = data_yaml("answer_match.yaml")["polar"]
    return {str(w).casefold(): str(cls) for cls, ws in words.items() for w in ws}


def target_form(target: str) -> Form | None:
    """The form of a target that has one (yes/no, true/false, ISO date, clock time), or None."""
    polar = _polar_words().get(target.strip().strip(".!*").casefold())
    if polar is not None:
        return Form("yes/no", polar)
    if (m := _ISO_DATE.match(target)) is not None:
        return Form("date", f"{m[1]}-{m[2]}-{m[3]}")
    if (t := _CLOCK_TARGET.match(target)) is not None:
        return Form("time", f"{int(t[1]):02d}:{t[2]}")
    return None


def read_form(form: Form, text: str, explicit: list[str]) -> str | None:
    """The value of ``form``'s kind that the response commits to, normalised, or None."""
    read = {"yes/no": _polar, "date": _date, "time": _time}[form.kind]
    for answer in explicit:
        said = read(answer, True, form)
        if said is not None:
            return said
    if form.kind == "yes/no" and (said := read(text.lstrip(" *#\n"), True, form)) is not None:
        return said
    sents = [s for s in _SENTENCE.split(text) if s.strip()]
    for sent in reversed(sents):
        said = read(sent, False, form)
        if said is not None:
            return said
        if form.kind == "yes/no":
            return None  # only the last sentence is read for a yes/no word
    return None


def _polar(clause: str, first_only: bool, form: Form) -> str | None:
    words = re.findall(r"[^\W\d_]+", clause.casefold())
    found = [_polar_words()[w] for w in (words[:1] if first_only else words) if w in _polar_words()]
    return found[0] if found and len(set(found)) == 1 else None


def _date(clause: str, first_only: bool, form: Form) -> str | None:
    found: list[tuple[int, str]] = []
    for pattern, order in _DATES:
        for m in pattern.finditer(clause):
            parts = dict(zip(order, m.groups(), strict=True))
            month = (
                _MONTHS.get(parts["m"].lower().rstrip("."))
                if not parts["m"].isdigit()
                else int(parts["m"])
            )
            if month is None or not 1 <= month <= 12 or not 1 <= int(parts["d"]) <= 31:
                continue
            found.append((m.start(), f"{int(parts['y']):04d}-{month:02d}-{int(parts['d']):02d}"))
    return max(found)[1] if found else None


def _time(clause: str, first_only: bool, form: Form) -> str | None:
    times = list(_TIME.finditer(clause))
    if not times:
        return None
    m = times[-1]
    hour, minute, half = int(m[1]), m[2], (m[3] or "").lower()
    if half == "p" and hour < 12:
        hour += 12
    elif half == "a" and hour == 12:
        hour = 0
    said = f"{hour:02d}:{minute}"
    target_hour = int(form.value[:2])
    if not half and target_hour > 12 and hour + 12 == target_hour:
        return said  # "2:30" for "14:30": not the same time unless it says PM
    if half and target_hour <= 12 and hour % 12 == target_hour % 12 and minute == form.value[3:]:
        return form.value  # a 12-hour target ("2:30") answered "2:30 PM"
    return said
