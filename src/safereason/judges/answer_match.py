"""Final-answer extraction and math equivalence (via Hugging Face's math-verify)."""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from safereason.plugins import judges
from safereason.types import Completion, Sample, Verdict

_HASHES = re.compile(r"####\s*([^\n]+)")
# "The answer is X", "Final answer: X", "**Final Answer:** X"; X runs to the end of its
# sentence (a full stop before a space or the end, not a decimal point) or line, so a later
# "the answer is Y" on the same line is a match of its own.
_ANSWER_IS = re.compile(
    r"\banswer\b\**\s*(?:is\b|:|=)\s*:?\s*\**\s*([^\n]+?)\s*(?=\.(?:\s|\*|$)|\n|$)",
    re.IGNORECASE,
)
# A number with optional currency, thousands separators, decimals, and a "/ d" fraction.
_NUMBER = re.compile(r"-?\$?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?:\s*/\s*\d+)?")
_PLAIN_NUMBER = re.compile(r"-?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?:\s*/\s*\d+)?")
_MINUS = str.maketrans({"\u2212": "-", "\u2013": "-"})  # unicode minus / en dash
_MAX_UNTIMED_CHARS = 300  # longest answer math-verify parses without its signal timeout


def _last_boxed_at(text: str) -> tuple[int, str] | None:
    """Where the last ``\\boxed{...}`` (or ``\\fbox{}``) starts, and its content."""
    start = max(text.rfind("\\boxed"), text.rfind("\\fbox"))
    if start < 0:
        return None
    i = text.find("{", start)
    if i < 0:
        return None
    depth = 0
    for j in range(i, len(text)):
        if text[j] == "{":
            depth += 1
        elif text[j] == "}":
            depth -= 1
            if depth == 0:
                return start, text[i + 1 : j]
    return None


def last_boxed(text: str) -> str | None:
    """The content of the last ``\\boxed{...}`` (or ``\\fbox{}``), braces balanced."""
    found = _last_boxed_at(text)
    return found[1] if found else None


def _looks_final(ans: str) -> bool:
    """Whether an "answer is" capture is a bare value (a number or a LaTeX expression)."""
    c = clean_answer(ans)
    return bool(_PLAIN_NUMBER.fullmatch(c)) or (c.startswith("\\") and "=" not in c)


def extract_answer(text: str) -> tuple[str | None, str]:
    """The final answer a response commits to, and how it was found.

    The last marker wins, so an answer revised after a self-correction counts: a boxed
    answer followed by "wait, ... the answer is 14" gives 14. A later "the answer is ..."
    overrides an earlier boxed or #### answer only when it is a bare value, so that
    "\\boxed{14}. The answer is consistent with ..." stays 14.
    """
    text = text.translate(_MINUS)
    found: list[tuple[int, str, str]] = []
    boxed = _last_boxed_at(text)
    if boxed is not None and boxed[1].strip():
        found.append((boxed[0], boxed[1].strip(), "boxed"))
    hashes = [m for m in _HASHES.finditer(text) if m.group(1).strip()]
    if hashes:
        found.append((hashes[-1].start(), hashes[-1].group(1).strip(), "####"))
    answer_is = [
        (m.start(), m.group(1).strip().rstrip(".").strip()) for m in _ANSWER_IS.finditer(text)
    ]
    answer_is = [(pos, ans) for pos, ans in answer_is if ans.strip("*$ ")]
    if answer_is:
        pos, ans = answer_is[-1]
        if not found or _looks_final(ans):
            found.append((pos, ans, "answer is"))
    if found:
        _, ans, how = max(found)
        return ans, how
    numbers = _NUMBER.findall(text)
    if numbers:
        return numbers[-1].strip(), "last number"
    return None, "none"


def clean_answer(ans: str) -> str:
    """Remove currency, units words and trailing punctuation that math parsers trip on."""
    ans = ans.replace("\\$", "").replace("$", "").replace("\\%", "").replace("%", "")
    ans = re.sub(r"\\(?:text|mathrm|textbf)\{([^}]*)\}", r"\1", ans)
    ans = ans.translate(_MINUS).strip(" *").rstrip(".,;").strip(" *")
    m = _NUMBER.search(ans)
    if m and re.fullmatch(r"[-\d,./\s]*[A-Za-z ]*", ans):
        return m.group(0).replace("$", "")  # "72 dollars" -> "72"
    return ans


def equivalent(pred: str, gold: str) -> bool:
    """Whether two answers are mathematically equal (fractions, decimals, separators).

    math-verify bounds its work with a signal alarm, which only the main thread can set.
    Elsewhere (the runner judges in worker threads) its timeout is off, so overlong answers
    are compared as text instead, and its "timeout is disabled" notice is silenced.
    """
    from math_verify import parse, verify

    pred_s, gold_s = clean_answer(pred), clean_answer(gold)
    main = threading.current_thread() is threading.main_thread()
    if not main and max(len(pred_s), len(gold_s)) > _MAX_UNTIMED_CHARS:
        return _as_text(pred_s) == _as_text(gold_s)
    kw: dict[str, int | None] = {} if main else {"parsing_timeout": None}
    vkw: dict[str, int | None] = {} if main else {"timeout_seconds": None}
    if not main:
        logging.getLogger("math_verify").setLevel(logging.ERROR)
    g = parse(f"${gold_s}$", **kw)
    p = parse(f"${pred_s}$", **kw)
    if not g or not p:
        return _as_text(pred_s) == _as_text(gold_s)
    return bool(verify(g, p, **vkw))


def _as_text(answer: str) -> str:
    return answer.replace(",", "")


@judges.register("answer_match")
@dataclass(frozen=True)
class AnswerMatch:
    """Extract the final answer (boxed, ####, "the answer is", last number) and compare."""

    target: Literal["answer", "reasoning"] = "answer"
    version: int = 2

    def score(self, pairs: Sequence[tuple[Sample, Completion]]) -> list[Verdict]:
        out = []
        for sample, comp in pairs:
            text = comp.text if self.target == "answer" else (comp.reasoning or "")
            if self.target == "answer" and not text.strip() and comp.reasoning:
                text = comp.reasoning  # a thinking model that never closed its trace
            pred, how = extract_answer(text)
            if sample.target is None:
                out.append(Verdict("answer_match", "no_target", None, {"extracted": pred}))
            elif pred is None:
                out.append(Verdict("answer_match", "unparsed", 0.0, {"extracted": None}))
            else:
                ok = equivalent(pred, sample.target)
                out.append(
                    Verdict(
                        "answer_match",
                        "correct" if ok else "incorrect",
                        1.0 if ok else 0.0,
                        {"extracted": pred, "how": how},
                    )
                )
        return out
