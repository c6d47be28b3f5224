"""Prompts for engines that continue a text: chat templates, prefills, thinking budgets.

Shared by the backends that render a conversation themselves and run a thinking budget in
two passes (``hf``, ``vllm``; ``llamacpp`` renders with the GGUF's template but uses the
same prefill split and the same think tags), so they give the same prompts and traces.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from safereason.errors import SafereasonError
from safereason.reasoning_split import split_reasoning
from safereason.types import Completion, GenParams, Message, Request

THINK_OPEN = "<think>\n"
THINK_CLOSE = "\n</think>\n\n"


def split_prefill(messages: Sequence[Message]) -> tuple[Sequence[Message], str]:
    """``(conversation, prefill)``: a final assistant message is a prefill to continue."""
    if messages and messages[-1].role == "assistant":
        return messages[:-1], messages[-1].content
    return messages, ""


def think_head(prompt: str) -> str:
    """What opens the thinking trace after ``prompt``: nothing when it already ends open."""
    return "" if prompt.rstrip().endswith("<think>") else THINK_OPEN


@dataclass(frozen=True)
class Job:
    """One prompt to continue, already rendered, with its sampling parameters."""

    prompt: str
    params: GenParams


@dataclass(frozen=True)
class Raw:
    """What an engine generated for a :class:`Job`: the new text only, cut at a stop string."""

    text: str
    prompt_tokens: int = 0
    completion_tokens: int = 0
    finish: str = "stop"
    latency_s: float = 0.0

    @property
    def failed(self) -> bool:
        """Whether the engine refused the job (e.g. the prompt is too long)."""
        return self.finish.startswith("error") or self.finish == "failed"


def render_prompt(tokenizer: Any, messages: Sequence[Message]) -> tuple[str, str]:
    """``(prompt, prefill)``: the chat template up to the assistant's turn, and the prefill.

    A final assistant message is not rendered as a turn: the template renders the
    conversation before it with its generation prompt, and the caller appends the
    prefill's text verbatim to the prompt.
    """
    messages, prefill = split_prefill(messages)
    if not getattr(tokenizer, "chat_template", None):
        raise SafereasonError(
            "this model's tokenizer has no chat template (a base model?); "
            "use an instruct model or one whose tokenizer_config.json sets chat_template"
        )
    text = tokenizer.apply_chat_template(
        [{"role": m.role, "content": m.content} for m in messages],
        add_generation_prompt=True,
        tokenize=False,
    )
    return str(text), prefill


def run_requests(
    requests: Sequence[Request],
    render: Callable[[Sequence[Message]], tuple[str, str]],
    complete: Callable[[list[Job]], list[Raw]],
    engine: str,
) -> list[Completion]:
    """Render, generate and assemble completions, one per request and in order.

    ``complete`` generates a list of jobs (in one or more batches) and returns one
    :class:`Raw` per job in order. A request with a ``thinking_budget`` takes two passes,
    as in the llama.cpp backend: think for at most that many tokens (stopping at
    ``</think>``), then close the trace and answer with the tokens left.
    """
    first: list[Job] = []
    prefills: list[str] = []
    heads: list[str] = []
    for r in requests:
        prompt, prefill = render(r.messages)
        prefills.append(prefill)
        p = r.params
        if p.thinking_budget is None:
            heads.append("")
            first.append(Job(prompt + prefill, p))
            continue
        head = think_head(prompt + prefill)
        heads.append(head)
        budget = replace(p, max_tokens=p.thinking_budget, stop=("</think>",), thinking_budget=None)
        first.append(Job(prompt + prefill + head, budget))
    todo = [i for i, j in enumerate(first) if j.params.max_tokens > 0]
    raws: list[Raw] = [Raw("")] * len(first)
    for i, raw in zip(todo, complete([first[i] for i in todo]), strict=True):
        raws[i] = raw

    second: dict[int, Job] = {}
    for i, r in enumerate(requests):
        if r.params.thinking_budget is not None and not raws[i].failed:
            left = max(1, r.params.max_tokens - raws[i].completion_tokens)
            params = replace(r.params, max_tokens=left, thinking_budget=None)
            second[i] = Job(first[i].prompt + raws[i].text + THINK_CLOSE, params)
    answers = dict(zip(second, complete(list(second.values())), strict=True)) if second else {}

    out = []
    for i, r in enumerate(requests):
        raw, ans = raws[i], answers.get(i)
        text = prefills[i] + raw.text
        tokens, latency, finish = raw.completion_tokens, raw.latency_s, raw.finish
        prompt_tokens, failed = raw.prompt_tokens, raw
        if ans is not None:
            text = prefills[i] + heads[i] + raw.text + THINK_CLOSE + ans.text
            tokens += ans.completion_tokens
            latency += ans.latency_s
            finish, failed = ans.finish, ans
            prompt_tokens = prompt_tokens or ans.prompt_tokens
        if failed.failed:
            out.append(
                Completion(
                    key=r.key,
                    text="",
                    prompt_tokens=prompt_tokens,
                    finish_reason=failed.finish[:200],
                    latency_s=latency,
                    engine=engine,
                )
            )
            continue
        answer, reasoning = split_reasoning(text)
        out.append(
            Completion(
                key=r.key,
                text=answer,
                reasoning=reasoning,
                prompt_tokens=prompt_tokens,
                completion_tokens=tokens,
                finish_reason=finish,
                latency_s=latency,
                engine=engine,
            )
        )
    return out


def first_stop(text: str, stops: Sequence[str]) -> int | None:
    """Where the earliest stop string starts in ``text``, or ``None``."""
    found = [i for i in (text.find(s) for s in stops if s) if i >= 0]
    return min(found) if found else None
