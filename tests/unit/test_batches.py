"""Batches to commit: streamed completions in finish order, each request exactly once."""

from __future__ import annotations

import contextlib
import signal
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

import safereason.runner as runner_mod
from safereason.backends.fake import FakeBackend
from safereason.batches import completed_batches
from safereason.experiment_file import load_experiment
from safereason.runner import Runner
from safereason.types import Completion, GenParams, Message, Request
from tests.conftest import fake_experiment


class Streaming(FakeBackend):
    """The fake backend, finishing its requests in reverse order, one by one."""

    def stream(self, requests: Sequence[Request]) -> Iterator[Completion]:
        for r in reversed(list(requests)):
            time.sleep(self.delay_s)
            yield self.generate([r])[0]


def _reqs(n: int) -> list[Request]:
    return [
        Request(f"k{i}", "m", (Message("user", f"q{i}"),), GenParams(max_tokens=8))
        for i in range(n)
    ]


def test_plain_backend_is_chunked_in_order() -> None:
    batches = list(completed_batches(FakeBackend(), _reqs(7), 3))
    assert [len(b) for b in batches] == [3, 3, 1]
    assert [r.key for b in batches for r, _ in b] == [f"k{i}" for i in range(7)]
    assert all(r.key == c.key for b in batches for r, c in b)


def test_stream_pairs_each_completion_with_its_request_once() -> None:
    batches = list(completed_batches(Streaming(), _reqs(7), 3))
    assert [len(b) for b in batches] == [3, 3, 1]
    keys = [r.key for b in batches for r, _ in b]
    assert keys == [f"k{i}" for i in reversed(range(7))]
    assert all(r.key == c.key for b in batches for r, c in b)


def test_stream_flushes_a_slow_trickle_by_time() -> None:
    batches = list(completed_batches(Streaming(delay_s=0.03), _reqs(4), 100, flush_s=0.05))
    assert len(batches) >= 2 and sum(len(b) for b in batches) == 4


def test_runner_commits_streamed_completions(
    tmp_path: Path, write_yaml: Callable[[str], Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    def open_streaming(handle: Any) -> Streaming:
        return Streaming(**{k: v for k, v in handle.options.items() if k != "calls"})

    monkeypatch.setattr(runner_mod, "open_backend", open_streaming)
    exp = load_experiment(write_yaml(fake_experiment(tmp_path, cache=None, batch_size=2)))
    outcome = Runner(exp, tmp_path / "run", progress=False).run()
    assert outcome.generated == outcome.unique_requests == 14
    # each item once by its default judge, and the 2 x 4 harmful ones by harm_classifier too
    assert outcome.plan_size == 14 and outcome.judged == 14 + 8
    again = Runner(exp, tmp_path / "run", progress=False).run()
    assert again.generated == 0 and again.judged == 0


def test_a_swallowed_interrupt_still_stops_the_run(
    tmp_path: Path, write_yaml: Callable[[str], Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ctrl-C raised inside a finalizer is lost; the flag the handler sets is not."""
    from safereason import interrupts
    from safereason.errors import InterruptedRun
    from safereason.store import Store

    class InterruptedOnce(FakeBackend):
        def generate(self, requests: Sequence[Request]) -> list[Completion]:
            out = super().generate(requests)
            if self.calls == 2:
                # Ctrl-C's handler, run where its KeyboardInterrupt is swallowed
                with contextlib.suppress(KeyboardInterrupt):
                    interrupts.on_signal(signal.SIGINT, None)
            return out

    monkeypatch.setattr(runner_mod, "open_backend", lambda handle: InterruptedOnce())
    exp = load_experiment(write_yaml(fake_experiment(tmp_path, cache=None, batch_size=1)))
    try:
        with pytest.raises(InterruptedRun, match="resume"):
            Runner(exp, tmp_path / "run", progress=False).run()
    finally:
        interrupts.reset()
    store = Store(tmp_path / "run" / "store.sqlite")
    assert store.count("generations") == 2
    store.close()
