"""ModelPool and ModelClient: models used as tools, one client per model, one cache connection."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest

from safereason.backends import factory
from safereason.backends.fake import FakeBackend
from safereason.backends.pool import ModelPool, cache_path
from safereason.errors import SafereasonError
from safereason.paths import default_generation_cache
from safereason.store import Store
from safereason.types import GenParams, Message
from tests.conftest import FakeCalls

SPEC = {"name": "tool", "backend": "fake", "rules": [{"match": "ping", "reply": "pong"}]}
DEFAULT = "I'm sorry, but I can't help with that."


@pytest.fixture
def generated(fake_calls: FakeCalls) -> list[int]:
    """The size of each batch the fake backend generated."""
    return fake_calls.sizes


def test_ask_uses_rules_and_caches(generated: list[int], tmp_path: Path) -> None:
    cache = tmp_path / "cache.sqlite"
    with ModelPool(cache) as pool:
        client = pool.client(SPEC)
        assert client.ask(["ping", "other", "ping"], GenParams()) == ["pong", DEFAULT, "pong"]
        assert generated == [2]  # the repeated prompt is generated once, in one batch
    with ModelPool(cache) as pool:
        assert pool.client(SPEC).ask(["ping"], GenParams()) == ["pong"]
    assert generated == [2]  # and a new pool finds it in the cache
    store = Store(cache)
    assert store.count("generations") == 2
    store.close()


def test_no_cache_means_nothing_is_cached(generated: list[int], tmp_path: Path) -> None:
    for _ in range(2):
        with ModelPool(None) as pool:
            assert pool.client(SPEC).ask(["ping"], GenParams()) == ["pong"]
    assert generated == [1, 1]
    assert not default_generation_cache().exists()


def test_one_client_per_model_and_one_engine(monkeypatch: pytest.MonkeyPatch) -> None:
    opened: list[str] = []
    real = factory.open_backend

    def counting(handle: Any) -> Any:
        opened.append(handle.label)
        return real(handle)

    monkeypatch.setattr(factory, "open_backend", counting)
    with ModelPool(None) as pool:
        a = pool.client(SPEC)
        assert pool.client(dict(SPEC)) is a
        assert pool.client({**SPEC, "label": "other label"}) is a  # a label is no other model
        assert pool.client({**SPEC, "default": "x"}) is not a
        a.ask(["ping"], GenParams())
        a.ask(["ping again"], GenParams())
        assert opened == ["tool"] and pool.started == ["tool"]
        pool.release()  # engines stop; a later call starts one again
        assert pool.started == []
        a.ask(["ping 3"], GenParams())
        assert opened == ["tool", "tool"]
    assert pool.started == []
    with pytest.raises(SafereasonError, match="closed model pool"):
        pool.client(SPEC)


def test_per_conversation_params(generated: list[int]) -> None:
    convs = [(Message("user", "ping"),)] * 3
    with ModelPool(None) as pool:
        client = pool.client(SPEC)
        comps = client.chat(convs, [GenParams(seed=i) for i in range(3)])
        assert [c.text for c in comps] == ["pong"] * 3 and len({c.key for c in comps}) == 3
        assert generated == [3]
        assert client.chat([], GenParams()) == []
        with pytest.raises(ValueError, match="params"):
            client.chat(convs, [GenParams()])


def test_clients_may_be_shared_by_threads(tmp_path: Path) -> None:
    with ModelPool(tmp_path / "cache.sqlite") as pool:
        errors: list[BaseException] = []

        def work(i: int) -> None:
            try:
                for j in range(10):
                    assert pool.client(SPEC).ask([f"ping {i} {j}"], GenParams()) == ["pong"]
            except BaseException as e:
                errors.append(e)

        threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert not errors


def test_cache_path_follows_the_experiment_setting(tmp_path: Path) -> None:
    assert cache_path(None) is None and cache_path("none") is None and cache_path("off") is None
    assert cache_path("default") == default_generation_cache()
    assert cache_path(str(tmp_path / "c.sqlite")) == tmp_path / "c.sqlite"
    run_store = tmp_path / "store.sqlite"
    assert cache_path(str(run_store), run_store) is None  # the run's own store is no cache


# --- the run's pool ---------------------------------------------------------------------


def _judged_run(tmp_path: Path, cache: str | None) -> tuple[list[str], Path]:
    """A run whose harmful samples go to two judges on one fake judge model."""
    import yaml

    from safereason.experiment_file import load_experiment
    from safereason.runner import Runner
    from tests.conftest import fake_experiment

    judge_model = {"name": "judge-model", "backend": "fake", "default": "safe"}
    doc = yaml.safe_load(fake_experiment(tmp_path, n_math=1, n_harm=2, cache=cache))
    doc["judges"] = {
        "harmful": [
            {"name": "guard", "model": judge_model},
            {"name": "guard", "model": judge_model, "target": "reasoning", "label": "g2"},
        ]
    }
    path = tmp_path / "exp.yaml"
    path.write_text(yaml.safe_dump(doc))
    opened: list[str] = []
    real = factory.open_backend

    def counting(handle: Any) -> Any:
        opened.append(handle.label)
        return real(handle)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(factory, "open_backend", counting)
        Runner(load_experiment(path), tmp_path / "run", progress=False).run()
    return opened, tmp_path / "run"


def test_a_run_loads_a_judge_model_once_for_all_its_judges(tmp_path: Path) -> None:
    opened, _ = _judged_run(tmp_path, cache=str(tmp_path / "cache.sqlite"))
    assert opened.count("judge-model") == 1
    store = Store(tmp_path / "cache.sqlite")
    try:  # the judge model's replies are in the experiment's cache
        assert store.count("generations") > 0
    finally:
        store.close()


def test_cache_null_keeps_the_judge_models_replies_out_of_every_cache(tmp_path: Path) -> None:
    _judged_run(tmp_path, cache=None)
    assert not default_generation_cache().exists()


def test_close_stops_every_engine_even_if_one_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    stopped: list[str] = []

    def close(self: FakeBackend) -> None:
        stopped.append(self.default)
        if self.default == "a":
            raise RuntimeError("cannot stop a")

    monkeypatch.setattr(FakeBackend, "close", close)
    pool = ModelPool(None)
    for name in ("a", "b"):
        pool.client({**SPEC, "default": name}).ask(["x"], GenParams())
    with pytest.raises(RuntimeError, match="cannot stop a"):
        pool.close()
    assert sorted(stopped) == ["a", "b"] and pool.started == []
