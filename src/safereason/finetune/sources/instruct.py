"""Instruction-following sources in the Alpaca layout: general (alpaca) and code."""

from __future__ import annotations

from dataclasses import dataclass

from safereason.benchmarks._datasets import Row
from safereason.finetune.examples import Example
from safereason.finetune.sources import FileSource, sources


def alpaca_prompt(row: Row) -> str:
    """The instruction, then the input (when not empty) after a blank line."""
    instruction = row.text("instruction")
    extra = row.optional("input")
    return f"{instruction}\n\n{extra}" if extra else instruction


@sources.register("alpaca")
@dataclass(frozen=True)
class Alpaca(FileSource):
    """General instructions (tatsu-lab/alpaca): columns instruction, input, output.

    The prompt is the instruction, followed by the input after a blank line when the
    input is not empty; the completion is the output. No reasoning.
    """

    hub_id: str = "tatsu-lab/alpaca"

    def example(self, row: Row) -> Example:
        return Example(
            id=self.example_id(row),
            source=self.name,
            prompt=alpaca_prompt(row),
            answer=row.text("output"),
        )


@sources.register("code")
@dataclass(frozen=True)
class Code(Alpaca):
    """Code instructions (sahil2801/CodeAlpaca-20k): columns instruction, input, output.

    The same layout as alpaca (the output is the code, often with a short explanation),
    so any instruction/input/output code set works through ``path:`` or ``hub_id:``.
    """

    hub_id: str = "sahil2801/CodeAlpaca-20k"
