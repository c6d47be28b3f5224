"""The Ray backend's shard scheduling, on a stand-in for Ray: retries, rests, no losses."""

from __future__ import annotations

import sys
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import pytest

from safereason.backends.factory import ModelHandle
from safereason.backends.ray_backend import RayBackend
from safereason.errors import SafereasonError
from safereason.types import Completion, GenParams, Message, Request


class ActorError(Exception):
    """Stands in for ray.exceptions.RayActorError (the actor died under a task)."""


class Unavailable(ActorError):
    """Stands in for ray.exceptions.ActorUnavailableError (the actor is restarting)."""


class Ref:
    def __init__(self, result: Any) -> None:
        self.result = result


class Actor:
    """Answers a shard at once, or fails its first ``fail`` calls with ``error``."""

    def __init__(self, fail: int = 0, error: type[Exception] = Unavailable) -> None:
        self.fail, self.error, self.calls = fail, error, 0
        self.generate = SimpleNamespace(remote=self._remote)

    def _remote(self, shard: list[Request]) -> Ref:
        self.calls += 1
        if self.calls <= self.fail:
            return Ref(self.error("actor down"))
        return Ref([Completion(key=r.key, text=f"ok {r.key}") for r in shard])


class FakeRay:
    """Stands in for the ``ray`` module: a cluster that is up, actors from a given list."""

    exceptions = SimpleNamespace(RayActorError=ActorError, ActorUnavailableError=Unavailable)

    def __init__(self, actors: list[Actor]) -> None:
        self.actors = list(actors)

    @staticmethod
    def is_initialized() -> bool:
        return True

    def remote(self, **resources: Any) -> Any:
        def decorate(cls: type) -> Any:  # RayBackend asks for one actor at a time
            return SimpleNamespace(remote=lambda inner: self.actors.pop(0))

        return decorate

    @staticmethod
    def wait(refs: list[Ref], num_returns: int, timeout: float | None) -> tuple[list[Ref], list]:
        return refs[:1], refs[1:]

    @staticmethod
    def get(ref: Ref) -> Any:
        if isinstance(ref.result, Exception):
            raise ref.result
        return ref.result

    @staticmethod
    def kill(actor: Actor) -> None:
        pass


@pytest.fixture
def backend(monkeypatch: pytest.MonkeyPatch) -> Callable[..., RayBackend]:
    """A RayBackend built as the factory builds one, over :class:`FakeRay`'s actors."""

    def build(actors: list[Actor], **kw: Any) -> RayBackend:
        monkeypatch.setitem(sys.modules, "ray", FakeRay(actors))
        inner = ModelHandle("m", "fake", {"engine": "fake"}, None, {})
        return RayBackend(inner, actors=len(actors), shard_size=1, **kw)

    return build


def _reqs(n: int) -> list[Request]:
    return [
        Request(f"k{i}", "m", (Message("user", f"q{i}"),), GenParams(max_tokens=4))
        for i in range(n)
    ]


def test_a_restarting_actor_rests_and_nothing_is_lost(backend: Callable[..., RayBackend]) -> None:
    down, up = Actor(fail=5), Actor()
    b = backend([down, up])
    out = b.generate(_reqs(6))
    assert [c.key for c in out] == [f"k{i}" for i in range(6)]
    assert b.retried_shards >= 1 and up.calls >= 5  # the healthy actor took the work


def test_a_shard_that_kills_its_actor_fails_after_max_attempts(
    backend: Callable[..., RayBackend],
) -> None:
    b = backend([Actor(fail=10, error=ActorError)], max_attempts=3)
    with pytest.raises(SafereasonError, match="failed 3 times"):
        b.generate(_reqs(1))


def test_an_actor_down_too_long_fails_the_run(backend: Callable[..., RayBackend]) -> None:
    b = backend([Actor(fail=10**6)], restart_timeout_s=0.0)
    with pytest.raises(SafereasonError, match="failed"):
        b.generate(_reqs(1))
