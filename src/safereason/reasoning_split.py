"""Split a thinking trace from the final answer.

Formats read: ``<think>...</think>`` (also ``<thinking>``, ``<reasoning>``, ``<thought>``;
R1-distill, QwQ), a lone closing tag (the chat template opened the trace in the prompt),
Sky-T1 / OpenThoughts markers (``<|begin_of_thought|> ... <|end_of_thought|>`` then
``<|begin_of_solution|> ... <|end_of_solution|>``), and an exported o1-style summary (a
"Thought for 9 seconds" line followed by ``>``-quoted lines).
"""

from __future__ import annotations

import re

_TAGS = "think|thinking|reasoning|thought"
_OPEN = re.compile(rf"<({_TAGS})>", re.IGNORECASE)
_CLOSE = re.compile(rf"</({_TAGS})>", re.IGNORECASE)
_THOUGHT_OPEN = re.compile(r"<\|begin_of_thought\|>", re.IGNORECASE)
_THOUGHT_CLOSE = re.compile(r"<\|end_of_thought\|>", re.IGNORECASE)
_SOLUTION_MARK = re.compile(r"<\|(?:begin|end)_of_solution\|>", re.IGNORECASE)
_SUMMARY = re.compile(
    r"\A\s*Thought for [\d.]+ ?(?:seconds?|secs?|s|minutes?|mins?|m)\s*\n((?:[ \t]*>.*(?:\n|\Z))+)",
    re.IGNORECASE,
)


def split_reasoning(text: str) -> tuple[str, str | None]:
    """Return (answer, reasoning); reasoning is ``None`` when the text has no trace.

    A trace that was opened but never closed (the model ran out of tokens while
    thinking) is all reasoning and no answer. A lone closing tag (templates that open
    the trace in the prompt) splits at the tag.
    """
    if _THOUGHT_OPEN.search(text) or _THOUGHT_CLOSE.search(text):
        return _split_markers(text)
    summary = _SUMMARY.match(text)
    if summary is not None:
        quoted = re.sub(r"(?m)^[ \t]*>[ \t]?", "", summary.group(1)).strip()
        return text[summary.end() :].strip(), quoted
    m = _OPEN.search(text)
    if m is None:
        close = _CLOSE.search(text)
        if close is None:
            return text.strip(), None
        return text[close.end() :].strip(), text[: close.start()].strip()
    tag = m.group(1)
    close = re.search(rf"</{tag}>", text[m.end() :], re.IGNORECASE)
    if close is None:
        return "", text[m.end() :].strip()
    reasoning = text[m.end() : m.end() + close.start()].strip()
    answer = (text[: m.start()] + text[m.end() + close.end() :]).strip()
    return answer, reasoning


def trace_closed(text: str) -> bool:
    """Whether the text closes a trace (so an empty answer after it is the model's answer,
    not a trace cut off by the token limit)."""
    return bool(_CLOSE.search(text) or _THOUGHT_CLOSE.search(text) or _SUMMARY.match(text))


def _split_markers(text: str) -> tuple[str, str | None]:
    """Sky-T1 / OpenThoughts markers: the thought is the reasoning, the solution the answer."""
    start = _THOUGHT_OPEN.search(text)
    body_from = start.end() if start else 0
    close = _THOUGHT_CLOSE.search(text, body_from)
    if close is None:
        return "", text[body_from:].strip()
    reasoning = text[body_from : close.start()].strip()
    before = text[: start.start()] if start else ""
    answer = _SOLUTION_MARK.sub("", before + text[close.end() :]).strip()
    return answer, reasoning
