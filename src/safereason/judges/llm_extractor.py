"""An LLM answer extractor: a model reads off a response's final number, then it is compared.

The extractor model (any model spec, ``{"name": "embedded"}`` by default) sees the problem
(``sample.prompt``) and the judged text and replies with the bare final answer or
``NONE`` (prompt in ``data/judges.yaml``). The extracted value is compared with
``sample.target`` by :func:`safereason.judges.answer_match.equivalent`.

Labels: ``correct`` (1.0), ``incorrect`` (0.0), ``unparsed`` — score 0.0 when the
extractor says the response gives no final answer (as ``answer_match`` counts it), score
``None`` when the extractor's own reply holds no number — ``no_target`` (no gold answer)
and ``no_reasoning`` (``target: reasoning`` without a trace). ``details["extracted"]``
holds the value read off.

:mod:`safereason.analysis.extraction` measures how often this judge and the rule-based
``answer_match`` agree on the same items (percent agreement and Cohen's kappa).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from safereason.judges.answer_match import equivalent, last_boxed
from safereason.judges.llm_common import (
    ModelBackedJudge,
    default_model,
    plain,
    reply_text,
    truncate,
)
from safereason.meaning import Meaning, Metric
from safereason.plugins import judges
from safereason.resources import data_yaml
from safereason.types import Completion, GenParams, Message, Sample, Verdict

if TYPE_CHECKING:
    pass

_NONE = re.compile(r"^[\W_]*(?:none|n/a|no (?:final )?answer)\b", re.IGNORECASE)
_VALUE = re.compile(r"-?\$?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?:\s*/\s*\d+)?|-?\.\d+")
_MINUS = str.maketrans({"\u2212": "-", "\u2013": "-"})


def parse_extracted(reply: str) -> tuple[str | None, bool]:
    """``(value, readable)``: the extracted answer, and whether the reply could be read.

    ``NONE`` gives ``(None, True)``; a reply with no number gives ``(None, False)``. A
    ``\\boxed{}`` answer wins; otherwise the first number of the reply is taken.
    """
    text = plain(reply).translate(_MINUS).strip()
    boxed = last_boxed(text)
    if boxed and boxed.strip():
        return boxed.strip(), True
    if _NONE.match(text):
        return None, True
    m = _VALUE.search(text)
    if m is None:
        return None, False
    return m.group(0).replace("$", "").replace(",", "").strip(), True


def _overlaid_template() -> str:
    """The active paper texts' extractor template, or "" (the shipped one)."""
    from safereason.resources import _shipped_yaml

    prompt = str(data_yaml("judges.yaml")["llm_extractor"]["prompt"])
    return "" if prompt == str(_shipped_yaml("judges.yaml")["llm_extractor"]["prompt"]) else prompt


@judges.register("llm_extractor")
@dataclass(frozen=True)
class LLMExtractor(ModelBackedJudge):
    """A model extracts the final number of a response; compared with the target answer."""

    meaning: ClassVar[Meaning] = Meaning(
        metrics={
            "*": Metric("llm_extractor_rate", "accuracy (LLM answer extractor)", "correct", True)
        }
    )
    reads: ClassVar[tuple[str, ...]] = ("prompt", "response", "target")  # the fields it needs

    target: Literal["answer", "reasoning"] = "answer"
    model: dict[str, Any] = field(default_factory=default_model)
    max_tokens: int = 32
    max_chars: int = 12000
    version: int = 1
    # the extractor's prompt, with {problem} and {response}: "" is the shipped one; a run
    # with paper_texts giving answer_extractor sets it to that text (so it is in the key)
    template: str = field(default_factory=lambda: _overlaid_template())

    def render(self, sample: Sample, text: str) -> str:
        """The extractor's prompt for one response (long ones keep their end)."""
        if len(text) > self.max_chars > 0:
            text = "[... start cut]\n" + text[-self.max_chars :]
        template = self.template or str(data_yaml("judges.yaml")["llm_extractor"]["prompt"])
        return template.format(problem=truncate(sample.prompt, 4000), response=text)

    def _text(self, comp: Completion) -> str | None:
        if self.target == "reasoning":
            return comp.reasoning if comp.reasoning and comp.reasoning.strip() else None
        if not comp.text.strip() and comp.reasoning:
            return comp.reasoning  # a thinking model that never closed its trace
        return comp.text

    def score(self, pairs: Sequence[tuple[Sample, Completion]]) -> list[Verdict]:
        out: list[Verdict | None] = [None] * len(pairs)
        todo: list[tuple[int, str]] = []
        for i, (sample, comp) in enumerate(pairs):
            text = self._text(comp)
            if sample.target is None:
                out[i] = Verdict("llm_extractor", "no_target", None, {"extracted": None})
            elif text is None:
                out[i] = Verdict("llm_extractor", "no_reasoning", None, {"target": self.target})
            else:
                todo.append((i, self.render(sample, text)))
        if todo:
            params = GenParams(max_tokens=self.max_tokens, temperature=0.0)
            comps = self._client.chat([(Message("user", p),) for _, p in todo], params)
            for (i, _), reply in zip(todo, comps, strict=True):
                out[i] = self._verdict(pairs[i][0], reply_text(reply))
        return [v for v in out if v is not None]

    def _verdict(self, sample: Sample, raw: str) -> Verdict:
        value, readable = parse_extracted(raw)
        details: dict[str, Any] = {"extracted": value, "target": self.target, "raw": raw[:200]}
        if value is None:
            score = 0.0 if readable else None
            details["error"] = "no final answer" if readable else "extractor reply has no number"
            return Verdict("llm_extractor", "unparsed", score, details)
        ok = equivalent(value, str(sample.target))
        return Verdict("llm_extractor", "correct" if ok else "incorrect", float(ok), details)
