"""Shard generation over a Ray cluster: one engine per actor, any engine safereason has.

The model entry names the engine that runs inside each actor::

    models:
      - {name: embedded, backend: ray, engine: llamacpp, actors: 2,
         engine_options: {n_threads: 1}, address: auto}

Requests are cut into small shards and handed to whichever actor is free. A shard whose
actor dies is sent again to another (restarted) actor, so nothing is lost; the runner
stores each batch once, so nothing is duplicated. The cache identity is the inner
engine's: a result computed on the cluster is the same result as a local one.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import Field

from safereason.backends.factory import Capabilities, Engine, ModelHandle, register_backend
from safereason.errors import SafereasonError
from safereason.types import Completion, Request

if TYPE_CHECKING:
    from safereason.backends.factory import ModelEntry


class _Worker:
    """Holds one engine inside a Ray actor."""

    def __init__(self, inner: ModelHandle) -> None:
        from safereason.backends.factory import open_backend

        self.backend = open_backend(inner)

    def generate(self, requests: Sequence[Request]) -> list[Completion]:
        return self.backend.generate(requests)

    def pid(self) -> int:
        import os

        return os.getpid()


class RayBackend:
    """Generates by spreading requests over ``actors`` Ray actors."""

    def __init__(
        self,
        inner: ModelHandle,
        actors: Annotated[int, Field(ge=1)] = 2,
        address: str | None = None,
        shard_size: Annotated[int, Field(ge=1)] = 2,
        cpus_per_actor: float = 1.0,
        gpus_per_actor: float = 0.0,
        max_attempts: Annotated[int, Field(ge=1)] = 3,
        restart_timeout_s: float = 600.0,
    ) -> None:
        try:
            import ray
        except ImportError:
            raise SafereasonError(
                "the ray backend needs ray: pip install 'safereason[ray]'"
            ) from None
        self._ray = ray
        if not ray.is_initialized():
            try:
                ray.init(address=address, include_dashboard=False, log_to_driver=False)
            except (ConnectionError, ValueError, RuntimeError) as e:
                raise SafereasonError(
                    f"cannot connect to the Ray cluster at {address}: {e}"
                ) from None
        remote = ray.remote(num_cpus=cpus_per_actor, num_gpus=gpus_per_actor, max_restarts=-1)
        self._cls: Any = remote(_Worker)
        self.inner = inner
        self.actors: list[Any] = [self._cls.remote(inner) for _ in range(max(1, actors))]
        self.shard_size = max(1, shard_size)
        self.max_attempts = max_attempts
        self.restart_timeout_s = restart_timeout_s
        self.preferred_batch = len(self.actors) * self.shard_size * 2
        self.retried_shards = 0

    def generate(self, requests: Sequence[Request]) -> list[Completion]:
        done = {c.key: c for c in self.stream(requests)}
        return [done[r.key] for r in requests]

    def stream(self, requests: Sequence[Request]) -> Iterator[Completion]:
        """Completions shard by shard as actors finish them; a failed shard is retried.

        A shard whose actor died under it counts an attempt (``max_attempts``). An actor
        that is still restarting rests with exponential backoff (0.5 s doubling to 30 s)
        while other actors take the work; its shard does not count an attempt, unless the
        actor stays unavailable for ``restart_timeout_s``.
        """
        ray = self._ray
        shards = [
            list(requests[i : i + self.shard_size])
            for i in range(0, len(requests), self.shard_size)
        ]
        attempts = [0] * len(shards)
        queue = list(range(len(shards)))
        running: dict[Any, tuple[int, int]] = {}  # ref -> (shard, actor)
        idle = list(range(len(self.actors)))
        resting: dict[int, float] = {}  # actor -> when it may take work again
        backoff: dict[int, float] = {}  # actor -> its next rest
        down_since: dict[int, float] = {}  # actor -> first failure of the current outage
        while queue or running:
            now = time.monotonic()
            for a, until in list(resting.items()):
                if until <= now:
                    del resting[a]
                    idle.append(a)
            while queue and idle:
                s, a = queue.pop(0), idle.pop(0)
                attempts[s] += 1
                running[self.actors[a].generate.remote(shards[s])] = (s, a)
            if not running:  # every actor is resting
                time.sleep(max(0.0, min(resting.values()) - now))
                continue
            wait_s = max(0.0, min(resting.values()) - now) if resting else None
            done, _ = ray.wait(list(running), num_returns=1, timeout=wait_s)
            if not done:
                continue
            s, a = running.pop(done[0])
            try:
                comps: list[Completion] = ray.get(done[0])
            except ray.exceptions.RayActorError as e:
                restarting = isinstance(e, ray.exceptions.ActorUnavailableError)
                first = down_since.setdefault(a, now)
                if restarting and now - first < self.restart_timeout_s:
                    attempts[s] -= 1  # never reached the actor: not an attempt
                elif attempts[s] >= self.max_attempts or restarting:
                    raise SafereasonError(f"a Ray shard failed {attempts[s]} times: {e}") from None
                self.retried_shards += 1
                queue.insert(0, s)
                rest = backoff.get(a, 0.5)
                resting[a] = now + rest
                backoff[a] = min(2 * rest, 30.0)
                continue
            idle.append(a)
            backoff.pop(a, None)
            down_since.pop(a, None)
            yield from comps

    def close(self) -> None:
        """Stop the actors (the cluster itself keeps running)."""
        for actor in self.actors:
            self._ray.kill(actor)
        self.actors = []


_OWN = {
    "engine",
    "engine_options",
    "actors",
    "address",
    "shard_size",
    "cpus_per_actor",
    "gpus_per_actor",
    "max_attempts",
    "restart_timeout_s",
}


def _prepare(ref: ModelEntry) -> ModelHandle:
    from safereason.backends.factory import prepare_model

    inner = prepare_model(_inner_entry(ref))
    opts = {k: v for k, v in ref.options.items() if k not in {"engine", "engine_options"}}
    return ModelHandle(ref.display, "ray", inner.identity, inner.path, {"inner": inner, **opts})


def _check_name(name: str) -> None:
    return None  # the inner engine checks the name (check_entry)


def _inner_entry(ref: ModelEntry) -> ModelEntry:
    from pydantic import ValidationError

    from safereason.config import ModelRef
    from safereason.errors import OptionError

    opts = dict(ref.options.get("engine_options") or {})
    for key in ("name", "backend", "label"):
        if key in opts:
            raise OptionError(f"{key!r} is set by the ray entry itself", "engine_options", (key,))
    try:
        return ModelRef.model_validate(
            {"name": ref.name, "backend": ref.options.get("engine", "llamacpp"), **opts}
        )
    except ValidationError as e:
        raise OptionError(e.errors()[0]["msg"], "engine_options") from None


def _check_entry(ref: ModelEntry) -> None:
    """The inner engine's entry, checked like any model entry (nothing is loaded)."""
    from safereason.backends.factory import check_model
    from safereason.errors import OptionError

    inner = _inner_entry(ref)
    if inner.backend == "ray":
        raise OptionError("a Ray actor cannot run the ray backend itself", "engine")
    try:
        check_model(inner)
    except OptionError as e:
        key = "engine" if e.key == "backend" else "engine_options"
        sub = () if key == "engine" else (e.key, *e.sub)
        raise OptionError(str(e), key, sub, detail=e.detail) from None
    except SafereasonError as e:
        raise OptionError(str(e), "engine") from None


def _open(handle: ModelHandle) -> RayBackend:
    opts = dict(handle.options)
    inner = opts.pop("inner")
    return RayBackend(inner, **opts)


def _capabilities(ref: ModelEntry) -> Capabilities:
    """The inner engine's capabilities, streamed and remote."""
    from safereason.backends.factory import capabilities
    from safereason.config import ModelRef

    inner = ModelRef(name=ref.name, backend=ref.options.get("engine", "llamacpp"))
    return replace(capabilities(inner), streaming=True, remote=True)


ENGINE = register_backend(
    "ray",
    RayBackend,
    Engine(
        capabilities=Capabilities(streaming=True, remote=True),
        options=lambda: set(_OWN),
        prepare=_prepare,
        open=_open,
        check_name=_check_name,
        capabilities_of=_capabilities,
        # the identity is the inner engine's: where the work runs changes no output
        neutral=frozenset(_OWN - {"engine", "engine_options"}),
        covered=frozenset({"engine", "engine_options"}),
        extra_types={"engine": str, "engine_options": dict[str, Any]},
        check_entry=_check_entry,
    ),
)
