"""The Ray backend on a local two-actor cluster, including an actor killed mid-run."""

from __future__ import annotations

import os
import signal
import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from safereason.config import Experiment
from safereason.runner import Runner

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
    db = sqlite3.connect(run / "store.sqlite")
    return dict(db.execute("SELECT key, json_extract(completion, '$.text') FROM generations"))


def _stored(store: Path) -> int:
    if not store.exists():
        return 0
    db = sqlite3.connect(store, timeout=30)
    try:
        return int(db.execute("SELECT COUNT(*) FROM generations").fetchone()[0])
    except sqlite3.OperationalError:  # the schema is not there yet
        return 0
    finally:
        db.close()


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
    from safereason.backends import ray_backend

    killed: list[int] = []
    real_init = ray_backend.RayBackend.__init__

    def init_then_schedule_kill(self, *a, **kw):  # type: ignore[no-untyped-def]
        real_init(self, *a, **kw)
        import ray

        pid = ray.get(self.actors[0].pid.remote())

        def kill() -> None:
            # once generations are landing, the actor is between requests only for a few
            # milliseconds: killed now, it almost surely dies mid-shard (on a loaded
            # machine as well, where a fixed delay could fire before the first shard or
            # after the last)
            store = tmp_path / "kill" / "store.sqlite"
            deadline = time.monotonic() + 300
            while time.monotonic() < deadline and _stored(store) < 2:
                time.sleep(0.05)
            time.sleep(0.2)
            os.kill(pid, signal.SIGKILL)
            killed.append(pid)

        threading.Thread(target=kill, daemon=True).start()
        ray_backend.LAST = self  # type: ignore[attr-defined]

    monkeypatch.setattr(ray_backend.RayBackend, "__init__", init_then_schedule_kill)
    out = Runner(_exp(tmp_path, "kill", 10), tmp_path / "kill", progress=False).run()
    assert killed, "the actor was not killed during the run"
    assert out.generated == 10 and out.failed == 0
    assert ray_backend.LAST.retried_shards >= 1  # type: ignore[attr-defined]
    db = sqlite3.connect(tmp_path / "kill" / "store.sqlite")
    assert db.execute("SELECT COUNT(*), COUNT(DISTINCT key) FROM generations").fetchone() == (
        10,
        10,
    )
