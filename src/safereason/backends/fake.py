"""A scripted backend for unit tests: no model, deterministic replies."""

from __future__ import annotations

import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from safereason.backends.factory import Capabilities, Engine, ModelHandle, register_backend
from safereason.reasoning_split import split_reasoning
from safereason.registry import field_names
from safereason.types import Completion, Request

if TYPE_CHECKING:
    from safereason.backends.factory import ModelEntry


@dataclass
class FakeBackend:
    """Answers each request with the first scripted reply whose regex matches its prompt.

    ``rules`` is a list of ``{"match": regex, "reply": text}``, optionally with ``"seed":
    "N"`` (the rule answers only requests of that seed, as a sampled draw differs);
    ``{n}``-style fields are not expanded. ``calls`` counts requests actually generated
    (to test caching).

    Faults, as real engines have them: with ``n_ctx`` a prompt of more words than that
    does not fit (an ``error: ...`` completion, as llama.cpp's context window gives), and
    a request whose prompt matches the regex ``fail`` fails (``failed``, as a server
    error after its retries).
    """

    rules: list[dict[str, str]] = field(default_factory=list)
    default: str = "I'm sorry, but I can't help with that."
    delay_s: float = 0.0
    n_ctx: int | None = None
    fail: str | None = None
    calls: int = 0

    def identity(self) -> dict[str, Any]:
        """What makes this backend's outputs what they are (for cache keys)."""
        return {"engine": "fake", "rules": self.rules, "default": self.default}

    def generate(self, requests: Sequence[Request]) -> list[Completion]:
        out = []
        for r in requests:
            prompt = "\n".join(m.content for m in r.messages)
            reply = next(
                (
                    x["reply"]
                    for x in self.rules
                    if re.search(x["match"], prompt)
                    and x.get("seed", str(r.params.seed)) == str(r.params.seed)
                ),
                self.default,
            )
            if self.delay_s:
                time.sleep(self.delay_s)
            self.calls += 1
            n_words = len(prompt.split())
            if self.n_ctx is not None and n_words > self.n_ctx:
                msg = f"error: the prompt has {n_words} tokens, more than n_ctx={self.n_ctx}"
                out.append(Completion(r.key, "", prompt_tokens=n_words, finish_reason=msg))
                continue
            if self.fail is not None and re.search(self.fail, prompt):
                out.append(Completion(r.key, "", finish_reason="failed", engine="fake"))
                continue
            if r.messages[-1].role == "assistant":  # continue a prefilled answer
                reply = r.messages[-1].content + reply
            words = reply.split()[: r.params.max_tokens]
            finish = "length" if len(reply.split()) > r.params.max_tokens else "stop"
            answer, reasoning = split_reasoning(" ".join(words) if finish == "length" else reply)
            out.append(
                Completion(
                    key=r.key,
                    text=answer,
                    reasoning=reasoning,
                    prompt_tokens=len(prompt.split()),
                    completion_tokens=len(words),
                    finish_reason=finish,
                    latency_s=self.delay_s,
                    engine="fake",
                )
            )
        return out

    def close(self) -> None:
        """Nothing to release."""


def _prepare(ref: ModelEntry) -> ModelHandle:
    fake = FakeBackend(**ref.options)
    return ModelHandle(ref.display, "fake", fake.identity(), None, ref.options)


ENGINE = register_backend(
    "fake",
    FakeBackend,
    Engine(
        # scripted: it continues a prefill, and accepts (and ignores) a thinking budget
        capabilities=Capabilities(thinking_budget=True, prefill=True),
        options=lambda: field_names(FakeBackend) - {"calls"},
        prepare=_prepare,
        open=lambda handle: FakeBackend(**handle.options),
        neutral=frozenset({"delay_s", "fail"}),  # a fault, like a server's, changes no output
        covered=frozenset({"rules", "default"}),
    ),
)
