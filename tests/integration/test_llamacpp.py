"""The llama.cpp backend on the real small embedded model."""

from __future__ import annotations

from pathlib import Path

import pytest

from safereason.backends.llamacpp import LlamaCppBackend
from safereason.types import GenParams, Message, Request

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def backend(small_model_path: str) -> LlamaCppBackend:
    return LlamaCppBackend(Path(small_model_path), n_ctx=1024)


def _req(text: str, key: str, **params: object) -> Request:
    return Request(
        key=key, model="s", messages=(Message("user", text),), params=GenParams(**params)
    )  # type: ignore[arg-type]


def test_generates_with_counts_and_timing(backend: LlamaCppBackend) -> None:
    [c] = backend.generate([_req("What is the capital of France?", "a", max_tokens=24)])
    assert c.key == "a" and c.text.strip()
    assert 0 < c.completion_tokens <= 24 and c.prompt_tokens > 5
    assert c.latency_s > 0 and c.engine == "llamacpp"


def test_max_tokens_gives_length_finish(backend: LlamaCppBackend) -> None:
    [c] = backend.generate([_req("Write a long story about a dragon.", "b", max_tokens=8)])
    assert c.finish_reason == "length" and c.completion_tokens == 8


def test_greedy_is_deterministic_regardless_of_order(backend: LlamaCppBackend) -> None:
    q1 = _req("Count from one to five in words.", "x", max_tokens=20)
    q2 = _req("Name three colours.", "y", max_tokens=20)
    first = backend.generate([q1, q2])
    second = backend.generate([q2, q1])
    assert first[0].text == second[1].text and first[1].text == second[0].text


def test_seeded_sampling_is_reproducible(backend: LlamaCppBackend) -> None:
    q = _req("Invent a name for a cat.", "s", max_tokens=12, temperature=1.0, seed=7)
    assert backend.generate([q])[0].text == backend.generate([q])[0].text


def test_stop_string(backend: LlamaCppBackend) -> None:
    [c] = backend.generate(
        [
            _req(
                "List the numbers 1, 2, 3, 4, 5 separated by commas.",
                "t",
                max_tokens=30,
                stop=("3",),
            )
        ]
    )
    assert "3" not in c.text and "4" not in c.text


def test_prefill_is_continued(backend: LlamaCppBackend) -> None:
    msgs = (Message("user", "Say hello."), Message("assistant", "<think>\n\n</think>\n\nHello"))
    req = Request(key="p", model="s", messages=msgs, params=GenParams(max_tokens=8))
    [c] = backend.generate([req])
    assert c.reasoning == "" and c.text.startswith("Hello") and c.completion_tokens <= 8


def test_thinking_budget_caps_the_trace(backend: LlamaCppBackend, small_model_path: str) -> None:
    import llama_cpp

    req = _req("Why is the sky blue?", "tb", max_tokens=30, thinking_budget=6)
    [c] = backend.generate([req])
    # counted with the model's own vocabulary, loaded on its own
    vocab = llama_cpp.Llama(model_path=small_model_path, vocab_only=True, verbose=False)
    assert c.reasoning is not None and len(vocab.tokenize(c.reasoning.encode())) <= 8
    assert c.completion_tokens <= 30
