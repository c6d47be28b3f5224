"""Published math reasoning sets: GSM8K and MATH-500, from the hub or a local copy."""

from __future__ import annotations

from dataclasses import dataclass

from safereason.benchmarks._datasets import FileBackedSet, Row, read_rows
from safereason.benchmarks.procedural import BOXED_FORMAT
from safereason.errors import SafereasonError
from safereason.plugins import benchmarks
from safereason.types import Sample


def gsm8k_target(answer: str) -> str | None:
    """The final number after GSM8K's ``#### N`` line, thousands separators dropped."""
    at = answer.rfind("####")
    if at < 0:
        return None
    rest = answer[at + 4 :].strip()
    value = rest.splitlines()[0].replace(",", "").replace("$", "").strip() if rest else ""
    if value.endswith(".") and value[:-1].replace(".", "", 1).lstrip("-").isdigit():
        value = value[:-1]
    return value or None


def _with_format(prompt: str, answer_format: str) -> str:
    return f"{prompt}\n{answer_format}" if answer_format else prompt


@benchmarks.register("gsm8k")
@dataclass(frozen=True)
class GSM8K(FileBackedSet):
    """Grade-school math word problems (openai/gsm8k); the target is the final number.

    Layout: columns ``question`` and ``answer``; the answer's last line is ``#### N`` and
    ``N`` (thousands separators removed) is the target, the worked solution goes to
    ``meta["solution"]``. The hub copy is ``openai/gsm8k``, config ``main``; ``path:``
    reads a local file or save_to_disk folder in the same columns. ``n`` takes a seeded
    random sample (kept in file order; a larger ``n`` keeps a smaller one's rows);
    ``None`` takes every row. Ids are ``gsm8k-<split>-<row>``.
    """

    split: str = "test"
    hub_id: str = "openai/gsm8k"
    config: str = "main"
    answer_format: str = BOXED_FORMAT

    def _rows(self) -> list[Row]:
        return read_rows(self.path, self.hub_id, self.config, self.split)

    def _sample(self, row: Row) -> Sample:
        answer = row.text("answer")
        target = gsm8k_target(answer)
        if target is None:
            raise SafereasonError(f"{row.where}: column 'answer' has no final '#### N' line")
        return Sample.from_prompt(
            id=f"gsm8k-{self.split}-{row.index:04d}",
            benchmark="gsm8k",
            kind="reasoning",
            prompt=_with_format(row.text("question"), self.answer_format),
            target=target,
            category="gsm8k",
            meta={"solution": answer[: answer.rfind("####")].strip()},
        )


@benchmarks.register("math500")
@dataclass(frozen=True)
class MATH500(FileBackedSet):
    """500 competition problems from MATH (HuggingFaceH4/MATH-500); target is the answer.

    Layout: columns ``problem``, ``solution``, ``answer``, ``subject``, ``level`` (1-5)
    and ``unique_id`` (e.g. ``test/algebra/1234.json``). The target is ``answer`` (LaTeX),
    the category is ``subject``, ``meta`` holds ``level`` and ``solution``. Filters:
    ``subject`` and ``level`` (one value or a list). ``n`` takes a seeded random sample
    after filtering (kept in file order); ``None`` takes every row. Ids are
    ``math500-<unique_id>``.
    """

    split: str = "test"
    hub_id: str = "HuggingFaceH4/MATH-500"
    subject: str | list[str] | None = None
    level: int | list[int] | None = None
    answer_format: str = BOXED_FORMAT

    filters = (
        ("subject", lambda s: s.category),
        ("level", lambda s: s.meta["level"]),
    )

    def _sample(self, row: Row) -> Sample:
        level = row.value("level")
        return Sample.from_prompt(
            id=f"math500-{row.optional('unique_id') or f'{row.index:04d}'}",
            benchmark="math500",
            kind="reasoning",
            prompt=_with_format(row.text("problem"), self.answer_format),
            target=row.text("answer"),
            category=row.text("subject"),
            meta={
                "level": int(level) if str(level).strip().isdigit() else level,
                "solution": row.optional("solution"),
            },
        )
