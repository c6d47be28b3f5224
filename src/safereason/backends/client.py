"""A model used as a tool (judge, attacker, teacher) through any backend, with caching.

Clients come from a :class:`~safereason.backends.pool.ModelPool`, which owns the one
connection to the generation cache they share (:class:`SharedCache`).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from safereason.errors import SafereasonError
from safereason.hashing import generation_key
from safereason.types import Completion, GenParams, Message, Request, Sample

if TYPE_CHECKING:
    from safereason.backends.factory import ModelHandle
    from safereason.config import ModelRef
    from safereason.plugins import Backend
    from safereason.store import Store


class SharedCache:
    """One connection to a generation cache, opened on first use, safe across threads.

    Judges call their models from worker threads; one SQLite connection cannot hold two
    transactions at once, so every use takes the lock.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._store: Store | None = None
        self._lock = threading.Lock()

    def _open(self) -> Store:
        if self._store is None:
            from safereason.store import Store

            self._store = Store(self.path)
        return self._store

    def completions(self, keys: Iterable[str]) -> dict[str, Completion]:
        """The cached completions among ``keys``."""
        with self._lock:
            return self._open().completions(keys)

    def put(self, pairs: Sequence[tuple[Request, Completion]]) -> None:
        """Cache generated completions with their requests."""
        with self._lock:
            self._open().put_generations(pairs)

    @property
    def opened(self) -> bool:
        """Whether the connection has been opened."""
        return self._store is not None

    def close(self) -> None:
        """Close the connection, if it was opened."""
        with self._lock:
            if self._store is not None:
                self._store.close()
                self._store = None


def model_ref(spec: Mapping[str, Any] | str) -> ModelRef:
    """A model entry (``"embedded"`` or ``{"name": ..., "backend": ..., options}``) as a ref."""
    from safereason.config import ModelRef

    return ModelRef.model_validate({"name": spec} if isinstance(spec, str) else dict(spec))


class ModelClient:
    """Chat with one model named like an experiment's model entry, e.g. ``{"name": "embedded"}``.

    Generations go through ``cache`` (none: nothing is cached), so a judge or attacker
    never asks the same thing twice; the engine starts only when something is missing.
    Calls are serialised, so judges on the same model may share it from their threads.
    """

    def __init__(self, ref: ModelRef, cache: SharedCache | None) -> None:
        self.ref = ref
        self.cache = cache
        self._handle: ModelHandle | None = None
        self._backend: Backend | None = None
        self._lock = threading.Lock()

    @property
    def handle(self) -> ModelHandle:
        """The resolved model (weights located and verified on first use)."""
        if self._handle is None:
            from safereason.backends.factory import prepare_model

            self._handle = prepare_model(self.ref)
        return self._handle

    def chat(
        self,
        conversations: Sequence[Sequence[Message]],
        params: GenParams | Sequence[GenParams],
    ) -> list[Completion]:
        """One completion per conversation, in order, generated in one batch.

        ``params``: the same for every conversation, or one per conversation.
        """
        each = [params] * len(conversations) if isinstance(params, GenParams) else list(params)
        if len(each) != len(conversations):
            raise ValueError(f"{len(conversations)} conversations but {len(each)} params")
        if not conversations:
            return []
        with self._lock:
            reqs = [self._request(msgs, p) for msgs, p in zip(conversations, each, strict=True)]
            have = self.cache.completions({r.key for r in reqs}) if self.cache else {}
            todo = list({r.key: r for r in reqs if r.key not in have}.values())
            if todo:
                if self._backend is None:
                    from safereason.backends.factory import open_backend

                    self._backend = open_backend(self.handle)
                comps = self._backend.generate(todo)
                good = [(r, c) for r, c in zip(todo, comps, strict=True) if c.error is None]
                if self.cache is not None:
                    self.cache.put(good)  # an engine error is never cached
                failed = [c for c in comps if c.error is not None]
                if failed:
                    # a judge or attacker must not read an engine error as the model's answer
                    raise SafereasonError(
                        f"model {self.ref.display!r} (used as a tool: a judge, attacker or "
                        f"teacher) could not answer {len(failed)} of {len(comps)} requests: "
                        f"{failed[0].error}; what it answered is cached, so a run after the "
                        f"fix resumes"
                    )
                have.update({c.key: c for c in comps})
            return [have[r.key] for r in reqs]

    def _request(self, msgs: Sequence[Message], params: GenParams) -> Request:
        s = Sample(id="", benchmark="", kind="harmful", prompt="", messages=tuple(msgs))
        key = generation_key(self.handle.identity, s, params)
        return Request(key=key, model=self.handle.label, messages=tuple(msgs), params=params)

    def ask(
        self, prompts: Sequence[str], params: GenParams, system: str | None = None
    ) -> list[str]:
        """Single-turn convenience: one reply text per prompt."""
        convs = [
            ((Message("system", system),) if system else ()) + (Message("user", p),)
            for p in prompts
        ]
        return [c.text for c in self.chat(convs, params)]

    @property
    def started(self) -> bool:
        """Whether the engine is running."""
        return self._backend is not None

    def stop(self) -> None:
        """Stop the engine if one was started (a later call starts it again)."""
        with self._lock:
            backend, self._backend = self._backend, None
            if backend is not None:
                backend.close()
