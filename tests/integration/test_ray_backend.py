"""The Ray backend on a local two-actor cluster, including an actor killed mid-run."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from safereason.config import Experiment
from safereason.runner import Runner
from safereason.types import Completion, Request
from tests.rows import run_results, stored_generations

pytestmark = [pytest.mark.integration, pytest.mark.slow]


@pytest.fixture(scope="module")
def ray_cluster() -> Iterator[None]:
    ray = pytest.importorskip("ray")
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield
    ray.shutdown()


def _exp(tmp_path: Path, name: str, n: int) -> Experiment:
    return Experiment.model_validate(
        {
            "name": name,
            "cache": None,
            "output_dir": str(tmp_path),
            "models": [
                {
                    "name": "embedded-small",
                    "backend": "ray",
                    "engine": "llamacpp",
                    "actors": 2,
                    "shard_size": 1,
                    "engine_options": {"n_threads": 1, "n_ctx": 512},
                }
            ],
            "methods": ["none"],
            "benchmarks": [{"name": "harmful_starter", "n": n}],
            "generation": {"max_tokens": 24},
        }
    )


def _texts(run: Path) -> dict[str, str]:
    """Each plan item's generation key and text, with every stored generation an item's."""
    rows = run_results(run)
    assert stored_generations(run / "store.sqlite") == len(rows)
    return {r.gen_key: r.completion.text for r in rows if r.completion is not None}


class Watched:
    """An actor whose shards the test can see: each ``generate.remote`` ref is kept."""

    def __init__(self, actor: Any) -> None:
        self.actor = actor
        self.refs: list[Any] = []
        self.generate = SimpleNamespace(remote=self._generate)

    def _generate(self, shard: Any) -> Any:
        ref = self.actor.generate.remote(shard)
        self.refs.append(ref)
        return ref

    def __getattr__(self, name: str) -> Any:
        return getattr(self.actor, name)


def test_ray_matches_local_engine(ray_cluster: None, tmp_path: Path, small_model_path: str) -> None:
    exp = _exp(tmp_path, "ray", 4)
    Runner(exp, tmp_path / "ray", progress=False).run()
    local = exp.model_copy(
        update={
            "models": [
                exp.models[0].model_validate(
                    {"name": "embedded-small", "n_threads": 1, "n_ctx": 512}
                )
            ]
        }
    )
    Runner(local, tmp_path / "local", progress=False).run()
    assert _texts(tmp_path / "ray") == _texts(tmp_path / "local")  # same keys, same text


def test_killed_actor_loses_nothing(
    ray_cluster: None, tmp_path: Path, small_model_path: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import ray

    from safereason.backends.ray_backend import RayBackend

    used: list[RayBackend] = []
    killed: list[int] = []
    landing = threading.Event()  # completions are coming back
    real_stream = RayBackend.stream

    def kill_mid_shard(actor: Watched, pid: int) -> None:
        # once completions land, wait until a shard handed to actor 0 is unfinished (the
        # actor is inside it: it runs one task at a time) and kill the actor there
        if not landing.wait(300):
            return
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            if actor.refs and not ray.wait(actor.refs[-1:], timeout=0)[0]:
                os.kill(pid, signal.SIGKILL)
                killed.append(pid)
                return
            time.sleep(0.005)

    def stream(self: RayBackend, requests: Sequence[Request]) -> Iterator[Completion]:
        used.append(self)
        real = self.actors[0]
        watched = self.actors[0] = Watched(real)
        pid = ray.get(real.pid.remote())
        threading.Thread(target=kill_mid_shard, args=(watched, pid), daemon=True).start()
        try:
            for n, comp in enumerate(real_stream(self, requests), 1):
                if n == 2:
                    landing.set()
                yield comp
        finally:
            self.actors[0] = real  # close() kills the real actor

    monkeypatch.setattr(RayBackend, "stream", stream)
    out = Runner(_exp(tmp_path, "kill", 10), tmp_path / "kill", progress=False).run()
    assert killed, "the actor was not killed during the run"
    assert out.generated == 10 and out.failed == 0
    assert used and used[0].retried_shards >= 1
    rows = run_results(tmp_path / "kill")
    assert len(rows) == 10 and len({r.gen_key for r in rows}) == 10
    assert all(r.completion is not None for r in rows)
    assert stored_generations(tmp_path / "kill" / "store.sqlite") == 10  # each request once
