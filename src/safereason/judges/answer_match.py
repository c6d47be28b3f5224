"""Final-answer extraction and math equivalence (exact rationals, else Hugging Face's math-verify).

What it reads, in order (the last one stated in the response counts):

* explicit answers: ``\\boxed{}`` / ``\\fbox{}``, ``#### x``, ``<answer>x</answer>`` and
  "the answer is x" / "Final answer: x";
* a self-correction after the last explicit answer ("The answer is 12. Wait, actually it
  is 14." gives 14): a statement after a correction word (``data/answer_match.yaml``)
  replaces it;
* without an explicit answer, the last sentence that states a number, less checks of an
  answer already stated ("She needs 14 bags. Let's verify: 14 bags hold 350 pounds ...",
  "This matches the problem: 4 friends, ..."): a check runs to the end of its paragraph or
  to a sentence that opens a new conclusion ("So ...") or corrects; closing lines after
  it ("Hope this helps with your 3 kids!"), questions back to the user and, after a
  conclusion, a what-if ("If they cut food by $50, ...") are passed over too;
* for a multiple-choice target ("B", "(B)"), the choice letter the response commits to last
  ("the answer is (B)", "Answer: (A) 9", "the correct option is C", "which corresponds to
  option C", "(D) is correct", ``\\boxed{\\textbf{(B)}}``), a letter after a correction
  winning; an answer "(B) 12" states 12 for a numeric target.

Within an answer clause that holds several numbers, the answer is the quantity the clause
states as its result: a justification tail is cut ("7, since 3 + 4 = 7" gives 7; "8 fruits:
5 apples and 3 pears" gives 8), a number after a total word wins ("for a total of $24",
"costing $8", "= 12"), numbers that are circumstances ("in 2.5 hours", "at $5 each") are
passed over, a rejected number is no answer ("105 minutes, not 95", "12 instead of 15"; a
clause that only rejects states none), a rounded value is the result ("6.67, which rounds
up to 7"), and otherwise an explicit answer's first number or a sentence's last one counts.

Numbers are read in the formats answers come in: number words ("forty-two", "one hundred
and five", "two and a half"), thousands separators ("1,234", "1 234"), a decimal comma
before one or two digits in any language ("2,75"), currency ("$", "€", "£", "USD", "R$"),
Chinese/Japanese numerals ("三十二", "一百零五"), ratios and clock times ("3:4", "2:30",
compared by math-verify, times as times), points and intervals that end a statement
("(2, 3)", "[1, 4]", German "(4; -1)"), percentages ("35%", "35 percent": equal to 35 and
to 0.35), units ("45 km/h"), mixed numbers ("2 1/2", ``2\\frac{1}{2}``) and LaTeX fractions
(``\\frac``, ``\\dfrac``, ``\\tfrac``, ``\\frac12``), which are read as one value, never as
their denominator. Two numbers are compared exactly as rationals ("0.333" is not 1/3);
anything else (``\\sqrt{2}``, ``12\\pi``, ``x^2-1``, sets) goes to math-verify, except a
target in words ("Apple, banana, cherry", "Monday", "yes"), which is compared as text
without case, quotes or spacing. "None are left" and "no marbles left" state 0.

A response that reads as German, French, Spanish, Italian or Portuguese (more of its words
are that language's cue words than English ones) is read in that language's number format:
"1.250" is 1250, "18.499,50" is 18499.5 and "3,5" is 3.5 ("(2,3)" stays a point), its
number words count ("vingt-quatre", "fünfundzwanzig", "cuarenta y seis", "trentadue",
"vinte e oito") and a negative word before a number is its sign ("menos tres" is -3). In
any language "12'400" is 12400 and a scale word after digits multiplies ("2.4 million",
"1.5k"). Working that ends in an equation states its result ("56 - 6 = 50" gives 50);
working that ends on an operator ("so 30 / 3 =") states no answer.
"""

from __future__ import annotations

import ast
import logging
import re
import threading
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from functools import cache
from itertools import pairwise
from typing import Any, ClassVar, Literal

from safereason.judges.answer_forms import read_form, strip_thinking, target_form
from safereason.judges.answer_structured import structured_answer
from safereason.meaning import Meaning, Metric
from safereason.plugins import judges
from safereason.resources import data_yaml
from safereason.types import Completion, Sample, Verdict

_HASHES = re.compile(r"####\s*([^\n]+)")
# An answer in tags, as reasoning-gym and R1-style prompts ask for ("<answer>12</answer>").
_ANSWER_TAG = re.compile(r"<answer>\s*(.*?)\s*</answer>", re.IGNORECASE | re.DOTALL)
# "The answer is X", "Final answer: X", "**Final Answer:** X"; X runs to the end of its
# sentence (a full stop before a space or the end, not a decimal point) or line, so a later
# "the answer is Y" on the same line is a match of its own.
_ANSWER_IS = re.compile(
    r"(?:\b(?:answer|respuesta|r[ée]ponse|antwort|risposta|resposta|antwoord|odpowied[źz]|cevap|"
    r"jawaban(?:nya)?|jibu)\b|ответ|答案|答え|정답|উত্তর|คำตอบ|సమాధానం|जवाब|उत्तर)\**\s*"
    r"(?:is\b|es\b|est\b|ist\b|lautet\b|è|é|adalah\b|ni\b|হল|হলো|คือ|:|：|=|是|为|為|は|은)"
    r"\s*:?\s*\**\s*([^\n]+?)\s*(?=\.(?:\s|\*|$)|。|\n|$)",
    re.IGNORECASE,
)
_CURRENCY = r"(?:\\\$|R\$|\$|€|£|¥|₹|(?:USD|EUR|GBP|US\$|BRL)\s?)"
_SEP_CHARS = " \u00a0\u202f"  # a space, no-break space or narrow no-break space
_SEP = f"[{_SEP_CHARS}]"
# One number as answers write it: sign, currency, separators, decimals, exponent, a
# mixed number or fraction, a percent sign, a trailing pi.
_NUM_BODY = (
    rf"(?:\d{{1,3}}(?:,\d{{3}})+(?![\d])|\d{{1,3}}(?:{_SEP}\d{{3}})+(?![\d/,])|\d+)"
    r"(?:\.\d+)?(?:[eE][-+]?\d+(?![\w]))?"
)
_NUMBER = re.compile(
    rf"(?<![\w^.,/\\])(?P<sign>-)?\s?(?P<cur>{_CURRENCY})?\s?(?P<sign2>-)?"
    rf"(?P<body>{_NUM_BODY})"
    r"(?P<ratio>(?<=\d)(?::| : )\d+(?![\d:]))?"
    r"(?P<frac>(?: +\d+\s*/\s*\d+(?!\.\d))|(?:\s*/\s*\d+(?:\.\d+)?))?"
    r"(?P<pi>\s?(?:\\pi\b|π))?"
    r"(?P<pct>\s?(?:\\%|%|percent\b|per cent\b))?"
)
_PLAIN_NUMBER = re.compile(rf"-?{_NUM_BODY}(?:\s*/\s*\d+)?")
_CLOCK = re.compile(r"(\d{1,2}):(\d{2})(?:\s*(?:[ap]\.?m\.?|h|uhr))?", re.IGNORECASE)
_MINUS = str.maketrans({"\u2212": "-", "\u2013": "-", "\u2009": " ", "\u2007": " "})
_MAX_UNTIMED_CHARS = 300  # longest answer math-verify parses without its signal timeout
# \frac{a}{b}, \dfrac, \tfrac, \frac12 with numeric parts; a whole number before one
# makes a mixed number.
_FRAC_ARG = r"(?:\{\s*(-?\d+(?:\.\d+)?)\s*\}|(\d))"
_LATEX_FRAC = re.compile(
    rf"(?:(?<![\d.])(\d+)\s*(?:\\,|\\ |~)?\s*)?(-\s*)?\\[dt]?frac\s*{_FRAC_ARG}\s*{_FRAC_ARG}"
)
_MATH_SPAN = re.compile(r"\$([^$\n]{1,120})\$|\\\(([^\n]{1,120}?)\\\)")
# A clause that ends on a pair of numbers in brackets (a point, an interval; German and
# French may separate with ";").
_PAIR_END = re.compile(
    r"[(\[]\s*-?\d+(?:\.\d+)?(?:\s*[,;]\s*-?\d+(?:\.\d+)?)+\s*[)\]](?=[\s.!*$]*$)"
)
# A short quotation ("occurrences of '1'", "the digit "7""): a symbol named, not a quantity.
_QUOTED_SYMBOL = re.compile(r"'[^'\n]{1,8}'|\"[^\"\n]{1,8}\"|‘[^’\n]{1,8}’|“[^”\n]{1,8}”")
# Three or more numbers that end a statement, separated by spaces or ", " (a sequence).
_LIST_END = re.compile(
    r"(?<![\d.,\w])-?\d+(?:\.\d+)?(?:(?:\s*,\s+|\s+)-?\d+(?:\.\d+)?){2,}(?=[\s.!*)\]]*$)"
)
# Two values offered as alternatives ("6 or 8", "either 6 or 8", "12 (or 11 ...").
_OR = re.compile(
    r"\s*\(?\s*(?:or|oder|ou|o|или|或者|或)\s+(?:maybe\s+|possibly\s+|perhaps\s+)?", re.I
)
# Several values given to variables ("x = 3 or x = -2", "x = 2, y = -1"): a solution set
# when one variable takes them all, a tuple in the order stated when each has its own.
_ASSIGNMENT = re.compile(
    r"(?<![\w\\])([a-zA-Z])\s*=\s*(-?\d+(?:\.\d+)?(?:\s*/\s*\d+)?)(?![\d.]*\s*[-+*/^(])"
)
# Scientific notation as models write it ("3.2 × 10^4", "6.02 \times 10^{23}"): 3.2e4.
_SCIENTIFIC = re.compile(
    r"(?<![\d.])(\d+(?:\.\d+)?)\s*(?:×|\\times|\\cdot|\*|x)\s*10\s*\^\s*\{?\s*([-+]?\d+)(?:\s*\})?"
)
_SENTENCE = re.compile(r"(?<=[.!?])(?:\*+)?\s+(?=\S)|\n+")
# What may stand between a total word and its number ("for a total of about $24").
_TO_NUMBER = (
    r"(?:\s|\*|:|\b(?:is|are|was|were|be|of|a|an|us|you|about|exactly|approximately|"
    r"roughly|only|just|then|now|up)\b)*$"
)
# A clause whose last number follows "=" (after at most a currency sign or a space).
_EQUATION_END = re.compile(r"=\s*(?:\$|€|£)?\s*-?$")
# Working that ends on an operator: the response was cut off before its result.
_TRUNCATED = re.compile(r"(?:=|×|÷|\+|(?<!\*)\*(?!\*)|\\times|\\cdot)\s*$")  # not a closing "**"
# A sentence that opens a check of an answer already stated ("Let's verify: 14 bags hold
# 350 pounds", "To double-check, ...", "This matches the problem: 4 friends, ..."): its
# numbers restate the working, they are not a new answer.
_CHECK = re.compile(
    r"^\W*(?:(?:let(?:'s|\s+us|\s+me)|we\s+can|i(?:'ll|\s+will|\s+can)|to|now|and)\s+)?"
    r"(?:(?:quickly|now|also|just)\s+)?"
    r"(?:check(?:ing|s)?|verif(?:y|ying|ication)|sanity[- ]check(?:ing)?|"
    r"double[- ]check(?:ing)?|confirm(?:ing|ation)?|proof|indeed|yes)\b"
    r"|^\W*(?:this|that|it|which|these|both)\s+(?:(?:all|also|indeed)\s+)?"
    r"(?:match(?:es)?|agrees?|is\s+consistent|are\s+consistent|checks?\s+out|fits?|"
    r"makes?\s+sense)\b",
    re.IGNORECASE,
)
# A sentence that opens a new conclusion ends a check ("So the answer stays 14").
_CONCLUSION_OPENER = re.compile(r"^\W*(?:so|therefore|thus|hence|in conclusion)\b", re.I)
# A choice letter as a target ("B", "(B)") and a response committing to one: "the answer
# is (B)", "Answer: (A) 9", "the correct choice is C", "I choose (E)", "Option B is
# correct", "\boxed{D}". The letter is a capital A-J standing alone.
_CHOICE_TARGET = re.compile(r"^\s*\(?([A-J])\)?\.?\s*$")
_LETTER = r"\$?\s*(?:\\(?:boxed|textbf|text|mathrm|mathbf)\{\s*)*\(?([A-J])\)?(?![\w'’])"
_CHOICE_STATED = re.compile(
    r"(?i:\b(?:answer|choice|option|alternative)s?\b\**\s*"
    r"(?:(?:is|would\s+be|must\s+be|should\s+be|will\s+be)\b|:|=)\s*:?\s*\**\s*"
    r"|\b(?:choose|select|pick|go\s+with|circle|mark)\s+(?:(?:option|choice|answer)\s+)?"
    r"|\b(?:corresponds?\s+to|corresponding\s+to|matches|matching|which\s+is|that\s+is|"
    r"i\.e\.,?|gives|giving|is|was)\s+(?:the\s+)?(?:option|choice|answer)\s+)"
    + _LETTER
    + r"|(?:(?i:\b(?:option|choice)\s+)\(?([A-J])\)?|\(([A-J])\))\s+"
    r"(?i:is\s+(?:the\s+)?(?:correct|right|best)\b)"
    r"|\\boxed\{\s*"
    + _LETTER
    + r"|####\s*"
    + _LETTER
    # "La respuesta correcta es la opción D", "Die richtige Antwort ist B", "答案是 C"
    + r"|(?i:(?:\b(?:respuesta|r[ée]ponse|antwort|risposta|resposta|antwoord)\b"
    r"|ответ|答案|答え|정답)"
    r"(?:\s+(?:correcta|correcte|correct|richtige|corretta|certa|correta|juiste))?\s*"
    r"(?:es|est|ist|lautet|è|é|is|:|：|是|は|은|—)\s*(?:la\s+|a\s+|le\s+|l'|die\s+|il\s+|o\s+)?"
    r"(?:opci[óo]n|option|opzione|op[çc][ãa]o|alternativa|variante|вариант|选项|選択肢|보기)?\s*)"
    + _LETTER
)
# A second letter offered beside the one stated ("The answer is B or D."): a hedge.
_CHOICE_HEDGE = re.compile(
    r"\s*(?i:or|and/or|/|oder|ou|o|или|或)\s*(?i:(?:option|choice)\s+)?\(?([A-J])\)?(?![\w'’])"
)
# A leading choice label before the value of an answer ("(B) 12" states 12).
_CHOICE_LABEL = re.compile(r"^\s*\**\s*\(?[A-J]\)\s*(?=[-$\\\d])")


@cache
def _words() -> dict[str, Any]:
    return dict(data_yaml("answer_match.yaml"))


@cache
def _compiled(key: str) -> list[re.Pattern[str]]:
    return [re.compile(p, re.IGNORECASE) for p in _words()[key]]


@cache
def _number_words() -> tuple[re.Pattern[str], re.Pattern[str], re.Pattern[str]]:
    w = _words()
    simple = sorted([*w["units"], *w["tens"], *w["scales"]], key=len, reverse=True)
    special = sorted(w["special"], key=len, reverse=True)
    word = "|".join(simple)
    phrase = rf"\b(?:{word})(?:(?:[\s-]+(?:and[\s-]+)?)(?:{word}))*"
    spec = r"\b(?:" + "|".join(re.escape(s) for s in special) + r")\b"
    return (
        re.compile(phrase + r"\s+and\s+a\s+half\b", re.IGNORECASE),
        re.compile(spec, re.IGNORECASE),
        re.compile(phrase + r"\b", re.IGNORECASE),
    )


def _phrase_value(phrase: str) -> Fraction | None:
    w = _words()
    half = re.search(r"\s+and\s+a\s+half$", phrase, re.IGNORECASE)
    core = phrase[: half.start()] if half else phrase
    total, current = 0, 0
    for tok in re.split(r"[\s-]+", core.lower()):
        if tok == "and":
            continue
        if tok in w["units"]:
            current += int(w["units"][tok])
        elif tok in w["tens"]:
            current += int(w["tens"][tok])
        elif tok in w["scales"]:
            scale = int(w["scales"][tok])
            if scale == 100:
                current = max(current, 1) * 100
            else:
                total += max(current, 1) * scale
                current = 0
        else:
            return None
    value = Fraction(total + current)
    return value + Fraction(1, 2) if half else value


def _fmt(value: Fraction) -> str:
    if value.denominator == 1:
        return str(value.numerator)
    return f"{value.numerator}/{value.denominator}"


def words_to_digits(text: str) -> str:
    """Number words written as digits: "forty-two" -> "42", "two and a half" -> "5/2".

    A lone "one" stays a word after "the", "each", "which", ... or before "of"/"another",
    where it is a pronoun ("the one that", "one of them").
    """
    halves, special, phrase = _number_words()
    values = _words()["special"]

    def spec(m: re.Match[str]) -> str:
        return _fmt(Fraction(str(values[m.group(0).lower()])))

    def repl(m: re.Match[str]) -> str:
        s = m.group(0)
        if s.lower() == "one":
            before = text[max(0, m.start() - 12) : m.start()].lower()
            after = text[m.end() : m.end() + 9].lower()
            if re.search(r"\b(?:the|each|which|no|any|every|this|that|some|every)\s+$", before):
                return s
            if re.match(r"\s+(?:of|another|by|or)\b", after) or re.match(r"-(?!\w)", after):
                return s
        v = _phrase_value(s)
        return s if v is None else _fmt(v)

    text = halves.sub(repl, text)
    text = special.sub(spec, text)
    text = phrase.sub(repl, text)
    for p in _compiled("zero_phrases"):  # "so none are left": 0
        text = p.sub("0", text)
    return re.sub(r"\b(?:negative|minus)\s+(?=\d)", "-", text, flags=re.IGNORECASE)


def language(text: str) -> str | None:
    """The non-English language a response is written in (``de``, ``fr``, ``es``), or
    ``None``: the one with most cue words (``data/answer_match.yaml``), if it has more than
    English."""
    langs = _words()["languages"]
    words = re.findall(r"[^\W\d_]+", text.lower())
    counts = {k: sum(w in _cues(k) for w in words) for k in langs}
    english = counts.pop("en", 0)
    best = max(counts, key=lambda k: counts[k], default=None)
    return best if best is not None and counts[best] > english else None


@cache
def _cues(lang: str) -> frozenset[str]:
    return frozenset(str(c).lower() for c in _words()["languages"][lang]["cues"])


@cache
def _lang_patterns(lang: str) -> tuple[re.Pattern[str], re.Pattern[str] | None]:
    """A language's number-word phrase and its special words ("un demi")."""
    d = _words()["languages"][lang]
    words = [*map(str, d["values"]), *d["hundreds"], *map(str, d["scales"])]
    alt = "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))
    conn = "|".join(re.escape(c) for c in d["connectors"])
    glue = f"(?:{conn})?" if lang == "de" else ""  # German writes "fünfundzwanzig"
    morph = rf"(?:{alt})(?:{glue}(?:{alt}))*"
    phrase = rf"(?<![\w-])(?:{morph})(?:[\s-]+(?:(?:{conn})[\s-]+)?(?:{morph}))*(?![\w-])"
    special = sorted(map(str, d["special"]), key=len, reverse=True)
    spec = (
        re.compile(r"(?<!\w)(?:" + "|".join(re.escape(x) for x in special) + r")(?!\w)", re.I)
        if special
        else None
    )
    return re.compile(phrase, re.IGNORECASE), spec


@dataclass(frozen=True)
class _LangNumbers:
    """A language's number-word tables (``data/answer_match.yaml``), read once."""

    values: dict[str, int]
    scales: dict[str, int]
    hundreds: frozenset[str]
    conns: frozenset[str]
    articles: frozenset[str]
    tokens: re.Pattern[str]  # any of the words above, longest first


@cache
def _lang_numbers(lang: str) -> _LangNumbers:
    d = _words()["languages"][lang]
    values = {str(k): int(v) for k, v in d["values"].items()}
    scales = {str(k): int(v) for k, v in d["scales"].items()}
    hundreds, conns = frozenset(d["hundreds"]), frozenset(d["connectors"])
    tokens = sorted([*values, *hundreds, *scales, *conns], key=len, reverse=True)
    alt = re.compile("|".join(re.escape(t) for t in tokens))
    return _LangNumbers(values, scales, hundreds, conns, frozenset(d["articles"]), alt)


def _lang_value(lang: str, phrase: str) -> Fraction | None:
    table = _lang_numbers(lang)
    values, scales, hundreds, conns = table.values, table.scales, table.hundreds, table.conns
    found = table.tokens.findall(phrase.lower())
    if not [t for t in found if t not in conns] or all(
        t in table.articles or t in conns for t in found
    ):
        return None
    total, current = 0, 0
    for tok in found:
        if tok in conns:
            continue
        if tok in values:
            current += values[tok]
        elif tok in hundreds:
            current = max(current, 1) * 100
        else:
            total += max(current, 1) * scales[tok]
            current = 0
    return Fraction(total + current)


def _lang_words_to_digits(text: str, lang: str) -> str:
    phrase, spec = _lang_patterns(lang)
    specials = {str(k).lower(): v for k, v in _words()["languages"][lang]["special"].items()}
    if spec is not None:
        text = spec.sub(lambda m: _fmt(Fraction(str(specials[m.group(0).lower()]))), text)

    def repl(m: re.Match[str]) -> str:
        v = _lang_value(lang, m.group(0))
        return m.group(0) if v is None else _fmt(v)

    return phrase.sub(repl, text)


# A comma before one or two digits cannot group thousands: in an English response too,
# "2,75" and "12,5" are decimals ("2,500" stays 2500; "1,5,7" is a list).
_EN_DECIMAL_COMMA = re.compile(r"(?<![\d.,])(\d+),(\d{1,2})(?!\d|[.,]\d)")
# Chinese and Japanese numerals ("三十二", "一百零五", "二〇二四"); 两 is 2.
_CJK_NUMERAL = re.compile("[零〇一二两兩三四五六七八九十百千万萬亿億]+")
_CJK_SCALES = {"千": 1000, "万": 10_000, "萬": 10_000, "亿": 10**8, "億": 10**8}
_CJK_SCALED = re.compile(
    r"(?<![\d.])(?:\d+(?:\.\d+)?\s?[千万萬亿億])+\d*(?![零〇一二两兩三四五六七八九十百千])"
)


def _cjk_scaled(m: re.Match[str]) -> str:
    """The value of digits with CJK scale characters ("3万5千" is 35000)."""
    total = Fraction(0)
    for num, scale in re.findall(r"(\d+(?:\.\d+)?)\s?([千万萬亿億])", m.group(0)):
        total += Fraction(num) * _CJK_SCALES[scale]
    tail = re.search(r"[千万萬亿億](\d+)$", m.group(0))
    return f" {_fmt(total + (int(tail.group(1)) if tail else 0))} "  # spaced, as _cjk_to_digits


_DOT_THOUSANDS = re.compile(r"(?<![\d.,])\d{1,3}(?:\.\d{3})+(?:,\d+)?(?!\d|[.,]\d)")
_DECIMAL_COMMA = re.compile(r"(?<![\d.,])(\d+),(\d+)(?!\d|[.,]\d)")
_APOSTROPHE_THOUSANDS = re.compile(r"(?<![\d.,'’])\d{1,3}(?:['’]\d{3})+(?![\d'’])")


def _cjk_value(run: str) -> int:
    """The value of a run of Chinese/Japanese numerals (character values from
    ``unicodedata``): digits and 十/百/千 within a 万/亿 group, or digit by digit."""
    vals = [2 if ch == "两" else int(unicodedata.numeric(ch)) for ch in run]
    if all(v < 10 for v in vals):
        return int("".join(map(str, vals)))  # "二〇二四": 2024
    total = section = digit = 0
    for v in vals:
        if v < 10:
            digit = v
        elif v < 10_000:
            section += (digit or 1) * v
            digit = 0
        else:
            total += ((section + digit) or 1) * v
            section = digit = 0
    return total + section + digit


def _cjk_to_digits(text: str) -> str:
    """Chinese/Japanese numerals as digits ("答案是三十二" -> "答案是32"). A lone 一 stays a
    character (一共 "altogether", 一个 "one of") unless it follows 是, 为 or は."""

    def repl(m: re.Match[str]) -> str:
        run = m.group(0)
        if run in ("一", "零") and text[m.start() - 1 : m.start()] not in ("是", "为", "為", "は"):
            return run  # 一共, 零件 ("parts"): words, not numbers
        return f" {_cjk_value(run)} "  # spaced: a number is read only between non-words

    return _CJK_NUMERAL.sub(repl, text)


def _decimal(m: re.Match[str]) -> str:
    """A decimal comma as a point, except in a pair of brackets: "(2,3)" is a point."""
    before = m.string[: m.start()].rstrip()[-1:]
    after = m.string[m.end() :].lstrip()[:1]
    if before in "([" and before and after in ")]" and after:
        return m.group(0)
    return f"{m.group(1)}.{m.group(2)}"


def localize(text: str) -> str:
    """Numbers as English writes them: "12'400" -> "12400" in any language; in a German,
    French, Spanish, Italian or Portuguese response "1.250" -> "1250", "18.499,50" ->
    "18499.50", "3,5" -> "3.5" (in any language "2,75", a comma before one or two digits, is
    2.75; "(2,3)" stays a pair), number words as digits ("vingt-quatre" -> "24") and a
    negative word before a number as a sign ("menos 3" -> "-3"); scale words after digits in
    any language ("2.4 million" -> "2400000", "1.5k" -> "1500", "1,2 Millionen" ->
    "1200000"); Chinese/Japanese numerals as digits ("三十二" -> "32")."""
    w = _words()
    lang = language(text)
    # digits times 万 / 億 / 千 ("1.2万" is 12000), before the CJK numerals read them alone
    text = _CJK_SCALED.sub(_cjk_scaled, text)
    for pat in w["below_zero"]:  # before the CJK numerals: "零下3度" is not "0下3度"
        text = re.sub(pat, lambda m: f" -{m['n']} degrees", text, flags=re.IGNORECASE)
    text = _cjk_to_digits(text)
    text = _APOSTROPHE_THOUSANDS.sub(lambda m: re.sub("['’]", "", m.group(0)), text)
    for pat in w["percent_words"]:
        text = re.sub(pat, "%", text, flags=re.IGNORECASE)
    scales = {str(k): int(v) for k, v in w["digit_scales"].items()}
    if lang is not None:
        text = _DOT_THOUSANDS.sub(lambda m: m.group(0).replace(".", "").replace(",", "."), text)
        text = _DECIMAL_COMMA.sub(_decimal, text)
        lang_scales = w["languages"][lang]["digit_scales"]
        scales |= {str(k).lower(): int(v) for k, v in lang_scales.items()}
    else:
        text = _EN_DECIMAL_COMMA.sub(_decimal, text)
    # "2.4 million", "3 thousand", "1.5k" (k, K and bn only right after the digits)
    words = "|".join(re.escape(k) for k in sorted(scales, key=len, reverse=True) if len(k) > 2)
    pat = rf"(?<![\d.,])(\d+(?:\.\d+)?)(?:\s?({words})\b|(k|K|bn)\b)"

    def scale(m: re.Match[str]) -> str:
        word = m.group(2) or m.group(3)
        factor = scales.get(word, scales.get(word.lower(), 1))
        return _fmt(Fraction(m.group(1)) * factor)

    text = re.sub(pat, scale, text, flags=0 if lang is None else re.IGNORECASE)
    if lang is None:
        return text
    text = _lang_words_to_digits(text, lang)  # after the scales: "1.2 Millionen", "drei Millionen"
    negatives = "|".join(map(re.escape, w["languages"][lang].get("negatives", [])))
    if not negatives:
        return text
    # "menos 3" is -3, "10 menos 3" a subtraction
    return re.sub(rf"(?<![\w-])(?<!\d\s)(?:{negatives})\s+(?=\d)", "-", text, flags=re.I)


def latex_to_plain(text: str) -> str:
    """Numeric LaTeX fractions as ``a/b`` (``2\\frac{1}{2}`` -> ``2 1/2``), so a fraction
    is read as one number."""

    def frac(m: re.Match[str]) -> str:
        num, den = m.group(3) or m.group(4), m.group(5) or m.group(6)
        whole = f"{m.group(1)} " if m.group(1) else ""
        plain = f"{num}/{den}"
        if re.match(r"\s*[\\(]|[A-Za-z]", text[m.end() :]):
            plain = f"({plain})"  # "\\frac{1}{2}\\sqrt{3}": half of sqrt 3, not 1/(2 sqrt 3)
        return f"{whole}{'-' if m.group(2) else ''}{plain}"

    return _LATEX_FRAC.sub(frac, text)


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


def _boxed_before(text: str, start: int) -> str | None:
    """The content of a ``\\boxed{}`` offered as an alternative just before the one at
    ``start`` ("\\boxed{96}$ or $\\boxed{108}"), or ``None``."""
    found = _last_boxed_at(text[:start])
    if found is None:
        return None
    between = text[found[0] : start]
    gap = between[between.find("{") + len(found[1]) + 2 :]
    if re.fullmatch(r"[\s$)*]*(?:or|oder|ou|o|или|或者|或)[\s$(*]*", gap, re.I) is None:
        return None
    return found[1]


def last_boxed(text: str) -> str | None:
    """The content of the last ``\\boxed{...}`` (or ``\\fbox{}``), braces balanced."""
    found = _last_boxed_at(text)
    return found[1] if found else None


def _looks_final(ans: str) -> bool:
    """Whether an "answer is" capture states a value first (a number or a LaTeX expression),
    not prose about an answer ("the answer is consistent with ...")."""
    c = clean_answer(ans)
    return bool(_NUMBER.match(c)) or (c.startswith("\\") and "=" not in c)


def _numbers(text: str) -> list[re.Match[str]]:
    return list(_NUMBER.finditer(text))


def _math_span(clause: str) -> str | None:
    """The last inline math span of a clause that holds an expression (not currency)."""
    spans = [m.group(1) or m.group(2) for m in _MATH_SPAN.finditer(clause)]
    spans = [s for s in spans if s and re.search(r"[\\^_{=]", s) and not re.search(r"\.\s", s)]
    if not spans:
        return None
    expr = spans[-1].split("=")[-1].strip()
    return expr or None


def _is_expression(clause: str) -> bool:
    """Whether an answer is a tuple, interval, set or formula rather than words with numbers
    ("(2, 5)", "2, 3", "x^2 - 1"): no word of three letters outside LaTeX commands."""
    c = clean_answer(clause)
    if _NUMBER.fullmatch(c) or re.search(r"(?<![\\a-zA-Z])[a-zA-Z]{3,}", c):
        return False
    return bool(re.search(r"[()\[\]{}^]|\d\s*,\s*-?\d|\\[a-zA-Z]", c))


def _first_match_after(pats: list[re.Pattern[str]], text: str, start: int) -> int | None:
    found = [m.start() for p in pats for m in p.finditer(text) if m.start() >= start]
    return min(found) if found else None


def pick_number(clause: str, explicit: bool) -> str | None:
    """The number a clause states as its result (see the module docstring), or ``None``."""
    if explicit:
        clause = _CHOICE_LABEL.sub("", clause)  # "(B) 12": the value after a choice label
        clause = re.sub(r"(\d[\d.,]*)\s*\(\s*\1\s*\)", r"\1", clause)  # "24 (24)"
    assigned = _assignments(clause)
    if assigned is not None:
        return assigned
    span = _math_span(clause)
    if span is not None and not _PLAIN_NUMBER.fullmatch(span.strip()):
        return span
    if explicit and _is_expression(clause):
        return clause.strip().strip("$*").rstrip(".").strip()
    run = _LIST_END.search(clause)
    if run is not None and not re.fullmatch(rf"\d{{1,3}}(?:{_SEP}\d{{3}})+", run.group(0).strip()):
        # "The first five terms are 2 4 8 16 32." (not "1 000 000", one number)
        return ", ".join(re.split(r"\s*,\s*|\s+", run.group(0).strip()))
    pair = _PAIR_END.search(clause)
    if pair is not None:  # "the point is (2, 3)", "el intervalo [1, 4]"
        return pair.group(0).replace(";", ",")
    nums = _numbers(clause)
    if not nums:
        return None
    quoted = [m.span() for m in _QUOTED_SYMBOL.finditer(clause)]
    unquoted = [n for n in nums if not any(a <= n.start() < b for a, b in quoted)]
    nums = unquoted or nums  # "There are 7 occurrences of '1'.": the '1' is a symbol
    rejections = _compiled("rejections")  # "105 minutes, not 95": 95 is rejected
    kept = [
        n
        for n in nums
        if not any(p.search(clause[max(0, n.start() - 20) : n.start()]) for p in rejections)
    ]
    if not kept:
        return None  # every number is one the clause rejects ("the answer is not 5")
    nums = kept
    if len(nums) == 1:
        return nums[0].group(0).strip()
    for a, b in pairwise(nums):  # "either 6 or 8 students": a hedge, both values
        if _OR.fullmatch(clause[a.end() : b.start()]):
            return f"{a.group(0).strip()}, {b.group(0).strip()}"
    tail = re.sub(r"[.!;)*]+$", "", clause[nums[-1].end() :])
    if not explicit and _EQUATION_END.search(clause[: nums[-1].start()]) and _unit_tail(tail):
        return nums[-1].group(0).strip()  # the working ends "56 - 6 = 50": 50
    cut = _first_match_after(_compiled("justification"), clause, nums[0].end())
    if cut is not None:
        clause = clause[:cut]
        nums = [m for m in nums if m.end() <= cut]
        if len(nums) == 1:
            return nums[0].group(0).strip()
    # after the last conclusion word that a number follows ("..., so together they have 8")
    concl = [
        m.end()
        for p in _compiled("conclusions")
        for m in p.finditer(clause)
        if any(n.start() >= m.end() for n in nums)
    ]
    if concl and not explicit:
        nums = [n for n in nums if n.start() >= max(concl)]
    totals, totals_cues = [], _compiled("totals")
    for n in nums:
        before = clause[max(0, n.start() - 30) : n.start()]
        prev = [m for m in nums if m.end() <= n.start() and m.end() > n.start() - 30]
        if prev:
            before = clause[prev[-1].end() : n.start()]
        cue_before = any(re.search(p.pattern + _TO_NUMBER, before, re.I) for p in totals_cues)
        if cue_before or any(p.match(clause, n.end()) for p in _compiled("totals_after")):
            totals.append(n)
    if totals:
        return totals[-1].group(0).strip()
    circ = _compiled("circumstances")
    main = [
        n
        for n in nums
        if not any(p.search(clause[max(0, n.start() - 30) : n.start()]) for p in circ)
    ]
    pool = main or nums
    return (pool[0] if explicit else pool[-1]).group(0).strip()


def _assignments(clause: str) -> str | None:
    """The values of a clause that ends by giving variables values ("so $x = 3$ or $x = -2$"
    gives "3, -2"; "x = 2, y = -1" gives "(2, -1)"), or ``None``."""
    plain = clause.replace("$", "").replace("\\(", "").replace("\\)", "")
    found = list(_ASSIGNMENT.finditer(plain))
    if len(found) < 2 or not re.fullmatch(r"[\s.!*)\]]*", plain[found[-1].end() :]):
        return None
    joiner = r"[\s,;]*(?:or|and|und|oder|et|ou|y|o|e|и|или)?[\s,;]*"
    if any(not re.fullmatch(joiner, plain[a.end() : b.start()], re.I) for a, b in pairwise(found)):
        return None
    names = [m.group(1) for m in found]
    values = [m.group(2).replace(" ", "") for m in found]
    if len(set(names)) == 1:
        return ", ".join(values)  # one unknown, several solutions: a set
    if len(set(names)) == len(names):
        return f"({', '.join(values)})"  # one value per unknown: a tuple
    return None


def _later_conclusion(text: str, start: int) -> str | None:
    """A conclusion after the last explicit answer that states one other number ("the side
    is \\boxed{4}. The question asks for the perimeter, 4 x 4 = 16. So the perimeter is
    16." gives 16): the boxed value was a step, the conclusion is the answer."""
    with_numbers = [s for s in _outside_checks(text[start:]) if _numbers(s)]
    while len(with_numbers) > 1 and _is_aside(with_numbers[-1], with_numbers[:-1]):
        with_numbers.pop()
    if not with_numbers:
        return None
    last = with_numbers[-1]
    if not _CONCLUSION_OPENER.match(last) or len(_numbers(last)) != 1 or _is_aside(last, []):
        return None
    return pick_number(last, explicit=False)


def _final_statement(text: str) -> str | None:
    """The number stated by the last sentence that states one (not a check of it)."""
    if _TRUNCATED.search(text):
        return None  # the working stops mid-step ("so 30 / 3 ="): no answer
    sentences = _outside_checks(text)
    with_numbers = [s for s in sentences if _numbers(s) or _math_span(s)]
    if not with_numbers:
        return None
    while len(with_numbers) > 1 and (
        _CHECK.match(with_numbers[-1])
        or _is_aside(with_numbers[-1], with_numbers[:-1])
        or _answers_an_offer(with_numbers[-1], with_numbers[-2])
    ):
        with_numbers.pop()
    return pick_number(with_numbers[-1], explicit=False)


def _answers_an_offer(sentence: str, before: str) -> bool:
    """Whether a sentence answers the question back to the user just before it ("Would you
    like me to work out 45 cookies? That would be 45 / 9 = 5 jars.")."""
    return before.rstrip(" *_)").endswith("?") and bool(re.search(r"\bwould\b", sentence, re.I))


def _is_aside(sentence: str, before: list[str]) -> bool:
    """Whether a sentence after others that state numbers only closes the reply ("Hope this
    helps with your 3 kids!"), asks the user a question, or, after a conclusion ("So ..."),
    opens a what-if ("If they cut food by $50, ...")."""
    if sentence.rstrip(" *_)").endswith("?") or any(
        p.search(sentence) for p in _compiled("asides")
    ):
        return True
    concluded = any(_CONCLUSION_OPENER.match(s) for s in before)
    return concluded and any(p.search(sentence) for p in _compiled("hypotheticals"))


def _outside_checks(text: str) -> list[str]:
    """The sentences of a response less its checks of an answer already stated.

    A check opens with a sentence such as "Let's verify: ..." or "This matches the
    problem: ..." after a sentence that states a number, and runs to the end of its
    paragraph (a blank line), or to a sentence that opens a new conclusion ("So ...") or
    holds a correction word ("Oops, that's wrong: ..."), which count again.
    """
    kept: list[str] = []
    corrections = _compiled("corrections")
    for para in re.split(r"\n\s*\n", text):
        in_check = False
        for s in _SENTENCE.split(para):
            if not s.strip():
                continue
            if in_check and (_CONCLUSION_OPENER.match(s) or any(p.search(s) for p in corrections)):
                in_check = False
            elif not in_check and _CHECK.match(s):
                in_check = any(_numbers(k) or _math_span(k) for k in kept)
            if not in_check:
                kept.append(s)
    return kept


def _correction_after(text: str, start: int) -> str | None:
    """A revised answer stated after a correction word that follows ``start``."""
    cue = None
    for p in _compiled("corrections"):
        for m in p.finditer(text, start):
            if cue is None or m.start() < cue:
                cue = m.start()
    if cue is None:
        return None
    return _final_statement(text[cue:])


def extract_answer(text: str) -> tuple[str | None, str]:
    """The final answer a response commits to, and how it was found.

    ``how`` is ``boxed``, ``####``, ``answer tag``, ``answer is``, ``correction`` (a revision
    after the last explicit answer), ``final statement`` (no explicit answer) or ``none``. A later
    "the answer is ..." overrides an earlier boxed or #### answer only when it is a bare
    value, so that "\\boxed{14}. The answer is consistent with ..." stays 14.
    """
    text = _before_continuation(text)
    raw = localize(text.translate(_MINUS))
    scan = _SCIENTIFIC.sub(r"\1e\2", words_to_digits(latex_to_plain(raw)))
    found: list[tuple[int, int, str, str]] = []  # (start, end, answer, how)
    boxed = _last_boxed_at(raw)
    boxed_scan = _last_boxed_at(scan)
    if boxed is not None and boxed_scan is not None and boxed[1].strip():
        end = boxed_scan[0] + len("\\boxed") + len(boxed_scan[1]) + 2
        alternative = _boxed_before(raw, boxed[0])
        if alternative is not None and not _equal_text(alternative, boxed[1]):
            # "either \boxed{96} or \boxed{108}": a hedge, both values
            return f"{alternative.strip()}, {boxed[1].strip()}", "hedged"
        found.append((boxed_scan[0], end, boxed[1].strip(), "boxed"))
    tags = [m for m in _ANSWER_TAG.finditer(scan) if m.group(1).strip()]
    if tags:
        t = tags[-1]
        picked = pick_number(t.group(1), explicit=True)
        found.append((t.start(), t.end(), t.group(1) if picked is None else picked, "answer tag"))
    hashes = [m for m in _HASHES.finditer(scan) if m.group(1).strip()]
    if hashes:
        h = hashes[-1]
        found.append((h.start(), h.end(), h.group(1).strip(), "####"))
    answer_is = [
        (m.start(), m.end(), m.group(1).strip().rstrip(".").strip())
        for m in _ANSWER_IS.finditer(scan)
    ]
    answer_is = [a for a in answer_is if a[2].strip("*$ ")]
    if answer_is:
        pos, end, ans = answer_is[-1]
        picked = pick_number(ans, explicit=True)
        value = ans if picked is None else picked
        if not found or _looks_final(ans):
            found.append((pos, end, value, "answer is"))
    if found:
        _, end, ans, how = max(found)
        revised = _correction_after(scan, end)
        if revised is not None and not _equal_text(revised, ans):
            return revised, "correction"
        hedge = _OR.match(scan, end)
        other = _NUMBER.match(scan, hedge.end()) if hedge is not None else None
        if other is not None and not _equal_text(other.group(0), ans):
            return f"{ans}, {other.group(0).strip()}", "hedged"  # "\\boxed{12} (or 11 if ...)"
        later = _later_conclusion(scan, end)
        if later is not None and not _equal_text(later, ans):
            return later, "later conclusion"
        return ans, how
    final = _final_statement(scan)
    if final is not None:
        return final, "final statement"
    return None, "none"


def _plain_letters(text: str) -> str:
    """AMC-style LaTeX letters as text: "$\\textbf{(C)}\\ 12$" -> "(C) 12"."""
    text = re.sub(r"\\(?:textbf|mathrm|text|mathbf)\{\s*(\(?[A-J]\)?)\s*\}", r"\1", text)
    return re.sub(r"\$\s*(\(?[A-J]\)?)\s*(?:\\\s*)?", r"\1 ", text).replace("$", "")


def extract_choice(text: str) -> str | None:
    """The choice letter a response commits to last ("the answer is (B)", "Answer: (A) 9",
    "I choose C", "Option D is correct", "\\boxed{E}"), or ``None``."""
    if "\\text" in text or "\\math" in text:
        text = _plain_letters(text)
    found = [m for m in _CHOICE_STATED.finditer(text) if not _LISTING.match(text, m.end())]
    if not found:
        return None
    last = found[-1]
    letter = next(g for g in last.groups() if g)
    hedge = _CHOICE_HEDGE.match(text, last.end())
    if hedge is not None and hedge.group(1) != letter:
        return f"{letter} or {hedge.group(1)}"  # two letters: matches neither
    # "The answer is (A). Wait, that's wrong: it is (C)." -- a letter after a correction
    rest = text[last.end() :]
    cues = [m.start() for p in _compiled("corrections") for m in p.finditer(rest)]
    if cues:
        later = re.findall(r"\(([A-J])\)|(?i:\b(?:option|choice)\s+)([A-J])\b", rest[min(cues) :])
        if later:
            letter = next(g for g in later[-1] if g)
    return letter


# What follows the first letter of a listing of options ("Options: A) oxygen, B) ..."): the
# letter opens the list, it is not an answer.
_LISTING = re.compile(r"[^\n]{1,60}?[,;]\s*\(?[B-J]\)")
# Options listed in a response ("A) ribosome, B) mitochondria", "(C) nucleus"): the letter
# and the option's text, which runs to the next option, a comma, a semicolon or a line end.
_OPTION = re.compile(r"(?<![\w(])\(?([A-J])\)\s*([^,;\n()]+?)(?=\s*(?:[,;\n]|\(?[A-J]\)|$|\.\s))")


# A last line that is a choice label: "**C. Photosynthesis**", "b)", "(D)".
_LABEL_LINE = re.compile(
    r"^\W*(?:\(([A-Ja-j])\)|([A-J])[.):]\s+\S.*|([A-Ja-j])\)|([A-J]))[^\w(]*$"
)  # or a letter alone on the line ("**B**")


def _lines(text: str) -> list[str]:
    """The non-empty lines of a response, less Markdown emphasis and heading marks."""
    return [ln.strip(" *_#") for ln in text.strip().splitlines() if ln.strip(" *_#")]


def last_line(text: str) -> str | None:
    """The last line of a response, less a short label ("Path: A -> B" gives "A -> B")."""
    lines = _lines(text)
    if not lines:
        return None
    m = re.match(r"^[^:\n]{1,30}?:\s+(?=\S)", lines[-1])
    return lines[-1][m.end() :] if m and len(m.group(0).split()) <= 3 else lines[-1]


_STATED = re.compile(
    r"\b(?:is|are|was|were|equals|becomes|gives|=)\s+(?!not\b|no\b|either\b|neither\b)"
    r"[\"'“‘`*]*(?P<v>[^\s\"'”’`*.!?][^.!?\"”’`*]{0,50}?)[\"'”’`*]*\s*[.!]?\s*$",
    re.I,
)


def stated_text(line: str) -> str | None:
    """What the last sentence of a line says a thing is ("The third letter is a." gives
    "a"), or ``None``; a hedge ("is a or b", "could be") says nothing."""
    last = re.split(r"(?<=[.!?])\s+(?=\S)", line.strip())[-1]
    m = _STATED.search(last)
    if m is None or re.search(r"\b(?:or|maybe|perhaps|probably|could|might)\b", last, re.I):
        return None
    return m["v"].strip()


def choice_on_last_line(text: str) -> str | None:
    """The letter of a response whose last line is a choice label, or ``None``."""
    lines = _lines(text)
    if not lines:
        return None
    if len(lines[-1].split()) > 8:
        return None  # "B) This option says ... But we should also check": an analysis
    m = _LABEL_LINE.match(_plain_letters(lines[-1]).strip())
    return next(g for g in m.groups() if g).upper() if m else None


def choice_by_text(text: str, listing: str | None = None) -> str | None:
    """The letter of the one listed option whose text the last sentence states ("The choices
    are A) ribosome, B) mitochondria. ... produces ATP is the mitochondria." gives B). The
    options are read from ``listing`` when given (a ``<think>`` trace that listed them)."""
    found = _OPTION.finditer(text if listing is None else listing)
    options = {m.group(1): m.group(2).strip(" .*").casefold() for m in found}
    options = {k: v for k, v in options.items() if len(v) >= 2}
    if len(options) < 2:
        return None
    sents = [s for s in _SENTENCE.split(text) if s.strip() and not _OPTION.search(s)]
    if not sents:
        return None
    last = sents[-1].casefold()
    named = [k for k, v in options.items() if re.search(rf"(?<!\w){re.escape(v)}(?!\w)", last)]
    return named[0] if len(named) == 1 else None


# One option label named in the last sentence as what something is ("This process is (B)
# photosynthesis."), not judged ("(B) is wrong") or listed beside another.
_NAMED_LABEL = re.compile(
    r"(?i:\b(?:is|are|was|were|be|means|called)\s+)(?:\*\*)?\(([A-J])\)(?:\*\*)?\s+(?!(?i:is|are|was)\b)\w"
)


def choice_named_last(text: str) -> str | None:
    """The letter the last sentence names as the thing asked about ("This process is (B)
    photosynthesis." gives B), when it names exactly one option label."""
    sents = [s for s in _SENTENCE.split(text) if s.strip()]
    if not sents:
        return None
    last = sents[-1]
    if len(re.findall(r"\([A-J]\)", last)) != 1:
        return None
    m = _NAMED_LABEL.search(last)
    return m.group(1) if m else None


_POLAR_SAME = {"true": "yes", "false": "no"}


def choice_target(target: str) -> str | None:
    """The letter of a multiple-choice target ("B", "(B)"), or ``None``."""
    m = _CHOICE_TARGET.match(target)
    return m.group(1) if m else None


# A model that goes on to write the next few-shot example ("#### 18\n\nQuestion: A store
# sells ..."): what follows the marker is not its answer to this question.
_CONTINUATION = re.compile(r"\n\s*(?:Question|Q|Problem|Exercise|Example)\s*\d*\s*[:.]", re.I)
_EXPLICIT = re.compile(r"####|\\boxed|\\fbox|<answer>|\banswer\b", re.I)


def _before_continuation(text: str) -> str:
    """The response up to a new "Question:" that follows an explicit answer."""
    for m in _CONTINUATION.finditer(text):
        if _EXPLICIT.search(text, 0, m.start()):
            return text[: m.start()]
    return text


def explicit_answers(text: str) -> list[str]:
    """The explicit answers a response states, in order of kind: the last ``\\boxed{}``, the
    last ``<answer>`` tag, the last "the answer is ..." (each only when present)."""
    tags = _ANSWER_TAG.findall(text)
    stated = [m.group(1) for m in _ANSWER_IS.finditer(text)]
    found = [last_boxed(text), tags[-1] if tags else None, stated[-1] if stated else None]
    return [clean_answer(a) for a in found if a]


def _equal_text(a: str, b: str) -> bool:
    return clean_answer(a) == clean_answer(b)


def clean_answer(ans: str) -> str:
    """Remove markup, currency, units words and trailing punctuation that math parsers trip on."""
    ans = ans.translate(_MINUS)
    ans = re.sub(r"\\(?:text|mathrm|textbf|mbox|textrm)\{([^}]*)\}", r"\1", ans)
    ans = ans.replace("\\!", "").replace("\\,", "").replace("\\ ", " ")
    ans = re.sub(r"\\(?:left|right)(?=[()\[\]|.])", "", ans)
    ans = re.sub(r"R\$(?=\s?\d)", "", ans)  # Brazilian reais
    ans = ans.replace("\\$", "").replace("$", "").replace("\\%", "%")
    ans = ans.strip(" *").rstrip(".,;").strip(" *")
    ans = latex_to_plain(ans)
    m = _NUMBER.match(ans)
    if m and _unit_tail(ans[m.end() :]):
        return _number_text(m)
    return ans


def _unit_tail(rest: str) -> bool:
    """Whether what follows a number is a unit or a word, not more of an expression."""
    rest = rest.strip()
    if not rest:
        return True
    return bool(re.fullmatch(r"(?:[A-Za-zµ°€£]+[\w/^²³°.]*)(?:\s+[A-Za-z][\w/^²³°.]*)*", rest))


def _number_text(m: re.Match[str]) -> str:
    """A number match written plainly: no currency or separators, mixed numbers summed."""
    value = _number_value(m)
    pct = "%" if m.group("pct") else ""
    pi = "\\pi" if m.group("pi") else ""
    if value is None:
        return m.group(0).strip()
    return f"{_fmt(value)}{pi}{pct}"


def _number_value(m: re.Match[str]) -> Fraction | None:
    if m.group("ratio"):
        return None  # "3:4", "2:30": compared by math-verify (or as a clock time)
    body = re.sub(f"[,{_SEP_CHARS}]", "", m.group("body"))
    try:
        value = Fraction(body)
        frac = (m.group("frac") or "").strip()
        if frac.startswith("/"):
            value = value / Fraction(frac[1:].strip())
        elif frac:
            num, den = frac.split("/")
            value = value + Fraction(int(num), int(den))
    except (ValueError, ZeroDivisionError):
        return None
    return -value if (m.group("sign") or m.group("sign2")) else value


def _values(ans: str) -> set[Fraction] | None:
    """An answer's numeric values (a percentage has two: 35% is 35 and 0.35), or None."""
    c = clean_answer(words_to_digits(ans))
    m = _NUMBER.fullmatch(c)
    if m is None or m.group("pi"):
        return None
    value = _number_value(m)
    if value is None:
        return None
    return {value, value / 100} if m.group("pct") else {value}


def equivalent(pred: str, gold: str) -> bool:
    """Whether two answers are mathematically equal (fractions, decimals, separators).

    Two numbers are compared exactly; other answers go to math-verify. math-verify bounds
    its work with a signal alarm, which only the main thread can set. Elsewhere (the runner
    judges in worker threads) its timeout is off, so overlong answers are compared as text
    instead, and its "timeout is disabled" notice is silenced.
    """
    pred, gold = _SCIENTIFIC.sub(r"\1e\2", pred), _SCIENTIFIC.sub(r"\1e\2", gold)
    pv, gv = _values(pred), _values(gold)
    if pv is not None and gv is not None:
        return bool(pv & gv)
    pred = _as_interval(pred) if _INTERVAL.fullmatch(clean_answer(gold)) else pred
    pt, gt = _CLOCK.fullmatch(clean_answer(pred)), _CLOCK.fullmatch(clean_answer(gold))
    if pt and gt:  # clock times ("2:30"): equal as times, not as the ratios 2/30 and 1/15
        return (int(pt[1]), pt[2]) == (int(gt[1]), gt[2])
    if _is_text(gold):  # "Apple, banana, cherry", "Monday", "yes": compared as text
        return _plain_text(pred) == _plain_text(gold)
    from math_verify import parse, verify

    pred_s, gold_s = clean_answer(pred).replace("%", ""), clean_answer(gold).replace("%", "")
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


def _is_text(answer: str) -> bool:
    """Whether an answer is words rather than math: a word of two letters or more (outside
    LaTeX commands) and no number of its own, or letters and symbols with no digit or LaTeX
    ("A->B->D->E")."""
    c = clean_answer(answer)
    if re.search(r"[A-Za-z]", c) and re.search(r"->|→|\|", c) and not re.search(r"[\d\\]", c):
        return True
    return bool(re.search(r"(?<![\\a-zA-Z])[^\W\d_]{2,}", c)) and _values(answer) is None


def _plain_text(answer: str) -> str:
    """A text answer compared without case, quotes, spacing or a closing full stop; a list
    written as Python or JSON (``['apple', 'banana']``) is its items ("apple, banana")."""
    c = clean_answer(answer).strip()
    if re.fullmatch(r"\[.*\]", c, re.S):
        try:
            items = ast.literal_eval(c)
        except (ValueError, SyntaxError):
            items = None
        if isinstance(items, list):
            c = ", ".join(str(i) for i in items)
    c = c.casefold().strip("\"'`“”‘’ ")
    c = re.sub(r"\s*([,;/])\s*", r"\1 ", c)
    c = re.sub(r"\s*(->|→|=>|<-|←|\|)\s*", r"\1", c)  # "A -> B" is "A->B"
    return re.sub(r"\s+", " ", c).strip()


_INTERVAL = re.compile(r"\s*[(\[].*,.*[)\]]\s*")
_NUM_OR_INF = r"(-?\s*(?:\d+(?:\.\d+)?(?:/\d+)?|\\infty|∞))"
_GREATER = re.compile(rf"^\s*[a-z]\s*(>|\\geq?|≥|>=)\s*{_NUM_OR_INF}\s*$")
_LESS = re.compile(rf"^\s*[a-z]\s*(<|\\leq?|≤|<=)\s*{_NUM_OR_INF}\s*$")
_BETWEEN = re.compile(
    rf"^\s*{_NUM_OR_INF}\s*(<|\\leq?|≤|<=)\s*[a-z]\s*(<|\\leq?|≤|<=)\s*{_NUM_OR_INF}\s*$"
)


def _as_interval(answer: str) -> str:
    """A one-variable inequality as an interval ("x > 1" -> "(1, \\infty)", "-2 <= x < 3" ->
    "[-2, 3)"); anything else unchanged."""
    c = clean_answer(answer)
    strict = {"<", ">"}
    if m := _GREATER.match(c):
        return f"{'(' if m[1] in strict else '['}{m[2]}, \\infty)"
    if m := _LESS.match(c):
        return f"(-\\infty, {m[2]}{')' if m[1] in strict else ']'}"
    if m := _BETWEEN.match(c):
        return f"{'(' if m[2] in strict else '['}{m[1]}, {m[4]}{')' if m[3] in strict else ']'}"
    return answer


def _as_text(answer: str) -> str:
    return answer.replace(",", "").replace(" ", "")


_LETTER_VALUE = re.compile(r"^\W*\(?([A-J])\)?(?![\w'’])")


def _field_verdict(body: str, target: str) -> Verdict | None:
    """The verdict on a structured response's answer field (``answer_structured``), or
    ``None`` when it has none; ``body`` is the response less its trace. A correction stated
    after the structure replaces the field."""
    found = structured_answer(body)
    if found is None:
        return None
    value, end = found
    corrected = any(p.search(body, end) for p in _compiled("corrections"))
    revised = _correction_after(body, end)
    if revised is not None:
        value = revised
    letter = choice_target(target)
    form = target_form(target)
    if letter is not None:
        m = _LETTER_VALUE.match(value)
        said: str | None = m.group(1) if m else None
        later = extract_choice(body[end:]) if corrected else None
        if later is not None:
            said, value = later, later  # "Correction: ... The correct option is C."
        ok = said == letter and extract_choice(value) in (None, letter)
    elif form is not None:
        said = read_form(form, value, [value])
        ok = said is not None and _POLAR_SAME.get(said, said) == _POLAR_SAME.get(
            form.value, form.value
        )
    else:
        said = value
        ok = bool(value) and equivalent(value, target)
        if not ok and re.search(r"\d", value) and re.search(r"[^\W\d_]|[$€£¥%]", value):
            picked = extract_answer(value)[0]  # "42 apples", "$1,250"; not "40, 42" (a hedge)
            ok = picked is not None and equivalent(picked, target)
            said = picked or value
    label = "correct" if ok else "incorrect"
    return Verdict("answer_match", label, 1.0 if ok else 0.0, {"extracted": said, "how": "field"})


@judges.register("answer_match")
@dataclass(frozen=True)
class AnswerMatch:
    """Extract the final answer (boxed, ####, "answer is", a correction, last statement); compare.

    Numbers are compared exactly as rationals, anything else with math-verify.
    """

    meaning: ClassVar[Meaning] = Meaning(
        metrics={"reasoning": Metric("accuracy", "accuracy", "correct", True)}
    )
    reads: ClassVar[tuple[str, ...]] = ("response", "target")  # the input fields it needs

    target: Literal["answer", "reasoning"] = "answer"
    version: int = 20

    def score(self, pairs: Sequence[tuple[Sample, Completion]]) -> list[Verdict]:
        out = []
        for sample, comp in pairs:
            text = comp.text if self.target == "answer" else (comp.reasoning or "")
            if self.target == "answer" and not text.strip() and comp.reasoning:
                text = comp.reasoning  # a thinking model that never closed its trace
            # "So the answer is (A).\n\nQ: ..." goes on to the next few-shot example
            text = _before_continuation(text)
            body = strip_thinking(text)  # the answer after a <think> trace, split once
            if sample.target is not None and (field := _field_verdict(body, sample.target)):
                out.append(field)  # {"answer": 27}, <result>...</result>, a table row
                continue
            letter = choice_target(sample.target) if sample.target is not None else None
            choice = None
            if letter is not None:
                choice = (
                    extract_choice(text)
                    or choice_on_last_line(body)
                    or choice_by_text(body)
                    or choice_by_text(body, listing=text)  # options listed in the trace
                    or choice_named_last(body)
                )
            if choice is not None:  # a multiple-choice target: compare the letters
                ok = choice == letter
                out.append(
                    Verdict(
                        "answer_match",
                        "correct" if ok else "incorrect",
                        1.0 if ok else 0.0,
                        {"extracted": choice, "how": "choice"},
                    )
                )
                continue
            form = target_form(sample.target) if sample.target is not None else None
            if form is not None:  # yes/no, true/false, a date, a clock time
                said = read_form(form, body, explicit_answers(body))
                if said is not None:
                    # "True." answers a yes/no question "yes" (StrategyQA), "No" a true/false one
                    ok = _POLAR_SAME.get(said, said) == _POLAR_SAME.get(form.value, form.value)
                    out.append(
                        Verdict(
                            "answer_match",
                            "correct" if ok else "incorrect",
                            1.0 if ok else 0.0,
                            {"extracted": said, "how": form.kind},
                        )
                    )
                    continue
            pred, how = extract_answer(text)
            if pred is None and sample.target is not None and not re.search(r"\d", sample.target):
                pred, how = last_line(body), "last line"  # "Path: A -> B -> D"
                stated = stated_text(pred or "")
                if stated is not None and not equivalent(pred or "", sample.target):
                    pred, how = stated, "last statement"  # "The third letter is a."
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
