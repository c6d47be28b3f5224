"""Long chain-of-thought sources; their reasoning goes inside the model's think tags."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from safereason.benchmarks._datasets import Row, as_text
from safereason.errors import SafereasonError
from safereason.finetune.examples import Example
from safereason.finetune.sources import FileSource, sources

_O1_THOUGHT = re.compile(r"<Thought>(.*?)</Thought>", re.DOTALL)
_O1_OUTPUT = re.compile(r"<Output>(.*?)(?:</Output>|$)", re.DOTALL)
_SKY_THOUGHT = re.compile(r"<\|begin_of_thought\|>(.*?)<\|end_of_thought\|>", re.DOTALL)
_SKY_SOLUTION = re.compile(r"<\|begin_of_solution\|>(.*?)(?:<\|end_of_solution\|>|$)", re.DOTALL)
_USER = {"user", "human"}
_ASSISTANT = {"assistant", "gpt"}


@sources.register("openo1_sft")
@dataclass(frozen=True)
class OpenO1SFT(FileSource):
    """O1-OPEN/OpenO1-SFT: columns instruction, output.

    The output is ``<Thought>reasoning</Thought>`` then ``<Output>answer</Output>`` (the
    closing ``</Output>`` is sometimes missing: the answer runs to the end). Rows without
    both parts are malformed and skipped by default.
    """

    hub_id: str = "O1-OPEN/OpenO1-SFT"
    skip_malformed: bool = True
    think: bool = True

    def example(self, row: Row) -> Example:
        output = row.text("output")
        thought, answer = _O1_THOUGHT.search(output), _O1_OUTPUT.search(output)
        if thought is None or answer is None or not answer.group(1).strip():
            raise SafereasonError(f"{row.where}: output lacks <Thought>...</Thought><Output>")
        return Example(
            id=self.example_id(row),
            source=self.name,
            prompt=row.text("instruction"),
            answer=answer.group(1).strip(),
            reasoning=thought.group(1).strip() or None,
            think=self.think,
        )


def _turns(row: Row) -> list[dict[str, Any]]:
    turns = row.value("conversations")
    if not isinstance(turns, list) or not all(isinstance(t, dict) for t in turns):
        raise SafereasonError(f"{row.where}: 'conversations' must be a list of turns")
    return turns


@sources.register("sky_t1")
@dataclass(frozen=True)
class SkyT1(FileSource):
    """NovaSky-AI/Sky-T1_data_17k: columns system, conversations.

    ``conversations`` is a list of ``{from, value}`` turns (``user``, then
    ``assistant``); the assistant's value holds ``<|begin_of_thought|>`` ...
    ``<|end_of_thought|>`` (the reasoning) and ``<|begin_of_solution|>`` ...
    ``<|end_of_solution|>`` (the answer). The system column is the system prompt (kept
    or dropped by ``training.system_prompt``). Rows without both parts are skipped.
    """

    hub_id: str = "NovaSky-AI/Sky-T1_data_17k"
    skip_malformed: bool = True
    think: bool = True

    def example(self, row: Row) -> Example:
        turns = _turns(row)
        user = next((t for t in turns if as_text(t.get("from")).lower() in _USER), None)
        bot = next((t for t in turns if as_text(t.get("from")).lower() in _ASSISTANT), None)
        if user is None or bot is None or not as_text(user.get("value")):
            raise SafereasonError(f"{row.where}: conversations lack a user and assistant turn")
        value = as_text(bot.get("value"))
        thought, solution = _SKY_THOUGHT.search(value), _SKY_SOLUTION.search(value)
        if thought is None or solution is None or not solution.group(1).strip():
            raise SafereasonError(
                f"{row.where}: assistant turn lacks <|begin_of_thought|> and "
                f"<|begin_of_solution|> parts"
            )
        return Example(
            id=self.example_id(row),
            source=self.name,
            prompt=as_text(user.get("value")),
            answer=solution.group(1).strip(),
            reasoning=thought.group(1).strip() or None,
            system=row.optional("system"),
            think=self.think,
        )
