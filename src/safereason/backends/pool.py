"""The models a run uses as tools (judges, attackers, a teacher), owned by whoever runs it.

A :class:`ModelPool` hands out one :class:`ModelClient` per distinct model entry, so two
judges (or a judge's variants) on the same model load its engine once; all its clients
share one connection to the generation cache the experiment names (``cache: null``: none).
The runner creates the pool, passes it to the stages that call models (attacks through
``apply_batch(samples, pool)``, judges through ``bind(pool)``) and closes it once, in its
``finally``; ``safereason judge`` does the same, and fine-tuning opens one around the
teacher's batch (so the teacher is freed before training loads its model).
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import Any

from safereason.backends.client import ModelClient, SharedCache, model_ref
from safereason.errors import SafereasonError
from safereason.hashing import canonical_json
from safereason.paths import default_generation_cache

OFF = (None, "none", "off")


def cache_path(setting: str | None, run_store: Path | None = None) -> Path | None:
    """The generation cache an experiment's ``cache:`` names (``None``: caching is off).

    ``default`` is the shared cache (``$SAFEREASON_CACHE``); a cache that is the run's own
    store is no separate cache.
    """
    if setting in OFF:
        return None
    assert setting is not None
    path = default_generation_cache() if setting == "default" else Path(setting).expanduser()
    if run_store is not None and path.resolve() == run_store.resolve():
        return None
    return path


class ModelPool:
    """One client per distinct model entry, one cache connection; closed once by its owner."""

    def __init__(self, cache: Path | None) -> None:
        self.cache_path = cache
        self._cache = SharedCache(cache) if cache is not None else None
        self._clients: dict[str, ModelClient] = {}
        self._lock = threading.Lock()
        self._closed = False

    @classmethod
    def for_setting(
        cls, setting: str | None = "default", run_store: Path | None = None
    ) -> ModelPool:
        """A pool over the cache an experiment's ``cache:`` setting names."""
        return cls(cache_path(setting, run_store))

    def client(self, spec: Mapping[str, Any] | str) -> ModelClient:
        """The client for a model entry; the same one for every equal entry (label aside)."""
        ref = model_ref(spec)
        key = canonical_json({"name": ref.name, "backend": ref.backend, **ref.options})
        with self._lock:
            if self._closed:
                raise SafereasonError(f"model {ref.name!r} requested from a closed model pool")
            if key not in self._clients:
                self._clients[key] = ModelClient(ref, self._cache)
            return self._clients[key]

    @property
    def started(self) -> list[str]:
        """The names of the models whose engines are running."""
        with self._lock:
            return [c.ref.name for c in self._clients.values() if c.started]

    def release(self) -> None:
        """Stop every running engine (e.g. attackers before the models under test load).

        Clients and the cache connection stay; a later call starts its engine again.
        """
        with self._lock:
            clients = list(self._clients.values())
        error: BaseException | None = None
        for c in clients:  # every engine is stopped even if one fails to stop
            try:
                c.stop()
            except BaseException as e:  # re-raised below, after the others are stopped
                error = error or e
        if error is not None:
            raise error

    def close(self) -> None:
        """Stop every engine and close the cache connection; the pool is unusable after."""
        with self._lock:
            self._closed = True
        try:
            self.release()
        finally:
            if self._cache is not None:
                self._cache.close()

    def __enter__(self) -> ModelPool:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
