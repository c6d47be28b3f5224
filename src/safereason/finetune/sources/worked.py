"""Worked-solution sources: GSM8K's train split, a generic short chain-of-thought layout,
and reasoning-gym tasks generated offline."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from safereason.benchmarks._datasets import Row, as_text
from safereason.benchmarks.procedural import BOXED_FORMAT
from safereason.benchmarks.reasoning_sets import gsm8k_target
from safereason.errors import SafereasonError, did_you_mean
from safereason.finetune.examples import Example, Pool, final_line
from safereason.finetune.sources import FileSource, sources

_CALC = re.compile(r"<<[^<>]*>>")
_FINAL = re.compile(r"\n?\s*####\s*[^\n]*\s*$")
_SIGNED = re.compile(r"([+-])\s*(\d+)")
_CHAIN = re.compile(r"^\s*-?\d+(\s*[+-]\s*\d+)+\s*$")
COT_KEYS = ("answer_cot", "cot", "solution", "rationale", "explanation")


def _with_format(prompt: str, answer_format: str) -> str:
    return f"{prompt}\n{answer_format}" if answer_format else prompt


def gsm8k_solution(answer: str) -> str:
    """GSM8K's worked solution without its calculator notes (``<<2*3=6>>``) and ``####``."""
    return _FINAL.sub("", _CALC.sub("", answer)).strip()


@sources.register("gsm8k_train")
@dataclass(frozen=True)
class GSM8KTrain(FileSource):
    """GSM8K's train split (openai/gsm8k, config main): columns question, answer.

    The answer is a worked solution whose last line is ``#### N``: the solution (without
    its ``<<...>>`` calculator notes) becomes the reasoning and ``N`` the final answer,
    written as ``answer_style`` (``boxed`` or ``plain``, see data/finetune.yaml). The
    prompt is the question plus ``answer_format``, as the gsm8k benchmark asks it.
    """

    hub_id: str = "openai/gsm8k"
    config: str | None = "main"
    answer_format: str = BOXED_FORMAT
    answer_style: str = "boxed"

    def example(self, row: Row) -> Example:
        answer = row.text("answer")
        target = gsm8k_target(answer)
        if target is None:
            raise SafereasonError(f"{row.where}: column 'answer' has no final '#### N' line")
        return Example(
            id=self.example_id(row),
            source=self.name,
            prompt=_with_format(row.text("question"), self.answer_format),
            answer=final_line(self.answer_style, target),
            reasoning=gsm8k_solution(answer) or None,
            think=self.think,
        )


@sources.register("short_cot")
@dataclass(frozen=True)
class ShortCoT(FileSource):
    """Short chain-of-thought data in a generic layout: question, rationale, answer.

    The column names are options (e.g. ``question_column: source, rationale_column:
    rationale, answer_column: target`` for kaist-ai/CoT-Collection). The rationale is
    the reasoning; the answer is written as ``answer_style`` (``plain`` by default).
    There is no default hub dataset: give ``path:`` (or ``hub_id:``).
    """

    question_column: str = "question"
    rationale_column: str = "rationale"
    answer_column: str = "answer"
    answer_format: str = ""
    answer_style: str = "plain"

    def example(self, row: Row) -> Example:
        return Example(
            id=self.example_id(row),
            source=self.name,
            prompt=_with_format(row.text(self.question_column), self.answer_format),
            answer=final_line(self.answer_style, row.text(self.answer_column)),
            reasoning=row.text(self.rationale_column),
            think=self.think,
        )


def worked_solution(metadata: dict[str, Any]) -> str | None:
    """A worked solution from a reasoning-gym item's metadata, when there is one.

    ``answer_cot`` (gsm_symbolic) and similar keys are used as they are (a trailing
    ``#### N`` line dropped); an ``expression`` of additions and subtractions
    (chain_sum) is worked out as a running total. Otherwise ``None``: answer only.
    """
    for key in COT_KEYS:
        text = as_text(metadata.get(key))
        if text:
            return _FINAL.sub("", text).strip() or None
    expr = as_text(metadata.get("expression"))
    if not _CHAIN.match(expr):
        return None
    head = re.match(r"^\s*(-?\d+)", expr)
    assert head is not None
    total = int(head.group(1))
    steps = []
    for sign, num in _SIGNED.findall(expr[head.end() :]):
        new = total + int(num) if sign == "+" else total - int(num)
        steps.append(f"{total} {sign} {num} = {new}")
        total = new
    return "Working from left to right: " + "; ".join(steps) + "."


@sources.register("procedural")
@dataclass(frozen=True)
class Procedural:
    """Reasoning-gym tasks generated offline and seeded, with worked solutions.

    Item ``i`` of ``task`` with ``seed`` is the same item the procedural_math benchmark
    makes with that seed (so the default seed, 1000, stays clear of the benchmark's
    default 0; the holdout check catches any overlap either way). ``pool`` items are
    available to draw from. The reasoning comes from the item's metadata (``answer_cot``
    for gsm_symbolic); tasks without one train on the answer alone.
    """

    task: str = "gsm_symbolic"
    seed: int = 1000
    pool: int = 10_000
    answer_format: str = BOXED_FORMAT
    answer_style: str = "boxed"
    think: bool = False

    def load(self) -> Pool:
        import reasoning_gym

        if self.task not in reasoning_gym.factory.DATASETS:
            known = reasoning_gym.factory.DATASETS
            raise SafereasonError(
                f"unknown reasoning-gym task {self.task!r}{did_you_mean(self.task, known)}"
            )
        if self.pool < 1:
            raise SafereasonError("procedural: pool must be at least 1")
        ds = reasoning_gym.create_dataset(self.task, size=self.pool, seed=self.seed)

        def get(i: int) -> Example:
            item = ds[i]
            return Example(
                id=f"procedural-{self.task}-{self.seed}-{i:06d}",
                source="procedural",
                prompt=_with_format(str(item["question"]).strip(), self.answer_format),
                answer=final_line(self.answer_style, str(item["answer"]).strip()),
                reasoning=worked_solution(dict(item.get("metadata") or {})),
                think=self.think,
                category=self.task,
            )

        return Pool(self.pool, get)
