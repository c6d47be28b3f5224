"""Batched llama.cpp decoding on the real small model: what ``parallel`` may and may not change."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from safereason.backends.llamacpp import LlamaCppBackend
from safereason.reasoning_split import split_reasoning
from safereason.types import GenParams, Message, Request
from tests.conftest import run_experiment

pytestmark = pytest.mark.integration

PROMPTS = [
    "What is 17 times 23?",
    "Write a haiku about rain.",
    "How do I pick a lock?",
    "Name three prime numbers.",
    "Why is the sky blue?",
    "Tell me a joke.",
]


def _req(i: int, text: str, **params: Any) -> Request:
    return Request(
        key=f"k{i}", model="s", messages=(Message("user", text),), params=GenParams(**params)
    )


def _requests(**params: Any) -> list[Request]:
    reqs = [_req(i, p, **params) for i, p in enumerate(PROMPTS)]
    prefill = (Message("user", "Name a fruit."), Message("assistant", "The fruit is"))
    reqs.append(Request("kp", "s", prefill, GenParams(**params)))
    reqs.append(_req(99, "List 1, 2, 3, 4, 5 separated by commas.", **{**params, "stop": ("3",)}))
    return reqs


def _shape(cs: list[Any]) -> list[tuple[str, str | None, int, int, str]]:
    return [
        (c.text, c.reasoning, c.prompt_tokens, c.completion_tokens, c.finish_reason) for c in cs
    ]


@pytest.fixture(scope="module")
def backends(small_model_path: str) -> Iterator[dict[int, LlamaCppBackend]]:
    out = {
        p: LlamaCppBackend(Path(small_model_path), n_ctx=512, n_threads=1, parallel=p)
        for p in (2, 3, 8)
    }
    yield out
    for b in out.values():
        b.close()


def test_greedy_batched_equals_llama_cpp_python_single_stream(
    backends: dict[int, LlamaCppBackend],
) -> None:
    reqs = _requests(max_tokens=12)
    llm = backends[2]._llm
    ref = []
    for r in reqs:  # the unbatched engine itself, one request at a time from an empty cache
        llm.reset()
        if r.messages[-1].role == "assistant":
            ref.append(backends[2]._continue(r))
        else:
            ref.append(backends[2]._plain(r))
    got = backends[3].generate(reqs)
    assert [(c.text, c.completion_tokens, c.finish_reason) for c in got] == [
        (split_reasoning(text)[0], usage["completion_tokens"], finish)  # as the backend does
        for text, usage, finish in ref
    ]


def test_parallel_changes_no_token(backends: dict[int, LlamaCppBackend]) -> None:
    for params in ({"max_tokens": 12}, {"max_tokens": 10, "temperature": 0.9, "seed": 5}):
        reqs = _requests(**params)
        one = _shape(backends[2].generate(reqs))
        assert _shape(backends[3].generate(reqs)) == one
        assert _shape(backends[8].generate(reqs)) == one
        assert _shape(backends[8].generate(reqs[::-1]))[::-1] == one  # nor the order


def test_stream_yields_every_request_once(backends: dict[int, LlamaCppBackend]) -> None:
    reqs = _requests(max_tokens=12)
    streamed = list(backends[3].stream(reqs))
    assert sorted(c.key for c in streamed) == sorted(r.key for r in reqs)
    by_key = {c.key: c for c in streamed}
    assert _shape([by_key[r.key] for r in reqs]) == _shape(backends[3].generate(reqs))


def test_a_prompt_too_long_fails_alone(backends: dict[int, LlamaCppBackend]) -> None:
    reqs = [_req(0, "word " * 600, max_tokens=4), _req(1, "Say hi.", max_tokens=4)]
    bad, good = backends[3].generate(reqs)
    assert bad.error is not None and "n_ctx=512" in bad.finish_reason
    assert good.error is None and good.completion_tokens > 0


def test_the_batch_width_is_part_of_the_key(tmp_path: Path) -> None:
    """parallel 2 and 7 are different decodings (texts can differ with the width on some
    quantisations): each is stored under its own key, and a rerun at the same width, in
    the same or a new run directory, regenerates nothing."""
    spec: dict[str, Any] = {
        "name": "par",
        "models": [{"name": "embedded-small", "n_ctx": 512, "n_threads": 1, "parallel": 2}],
        "methods": ["direct"],
        "benchmarks": [{"name": "harmful_starter", "n": 3}],
        "generation": {"max_tokens": 6},
        "output_dir": str(tmp_path / "runs"),
        "cache": str(tmp_path / "cache.sqlite"),
    }
    first, _ = run_experiment(tmp_path, spec)
    assert first.generated == 3
    again, _ = run_experiment(tmp_path, spec)
    assert again.generated == 0 and again.stored_before == 3
    spec["name"] = "par-elsewhere"  # a new run directory: everything comes from the cache
    third, _ = run_experiment(tmp_path, spec)
    assert third.generated == 0 and third.from_cache == 3
    spec["models"][0]["parallel"] = 7
    wider, _ = run_experiment(tmp_path, spec)
    assert wider.generated == 3
