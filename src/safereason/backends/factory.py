"""From a model entry in an experiment to a cache identity and a running backend.

Backends are plugins like the others: ``plugins.backends`` maps a name to a backend
class, filled lazily from the modules of ``safereason.backends`` and the entry-point
group ``safereason.backends``. Each registers itself with :func:`register_backend` and an
:class:`Engine`: which options it takes, what it can honour (:class:`Capabilities`), how
to check and resolve a model without loading it, and how to start it. Modules never
import their engine (torch, llama_cpp, vllm, ray) at module level.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, cast

from safereason.errors import SafereasonError, did_you_mean

if TYPE_CHECKING:
    from safereason.plugins import Backend


class ModelEntry(Protocol):
    """A model entry of an experiment (``config.ModelRef``): what backends read of it."""

    @property
    def name(self) -> str: ...

    @property
    def backend(self) -> str: ...

    @property
    def options(self) -> dict[str, Any]:
        """The backend's options (every key but name, label and backend)."""
        ...

    @property
    def display(self) -> str:
        """The label in tables."""
        ...


@dataclass(frozen=True)
class ModelHandle:
    """A model ready to plan with: its label, identity (hashed into keys) and weights."""

    label: str
    backend: str
    identity: dict[str, Any]
    path: Path | None
    options: dict[str, Any]


@dataclass(frozen=True)
class Capabilities:
    """What a backend can honour; a request for what it cannot is refused before any work."""

    streaming: bool = False  # stream(requests) yields completions as they finish
    thinking_budget: bool = False  # enforces GenParams.thinking_budget (then answers)
    prefill: bool = False  # continues a final assistant message
    remote: bool = False  # runs on a server or cluster, not this machine's cores or GPU
    logprobs: bool = False  # can return token log-probabilities

    def names(self) -> list[str]:
        """The capabilities it has."""
        return [f.name for f in fields(self) if getattr(self, f.name)]


@dataclass(frozen=True)
class Engine:
    """How the factory drives one backend kind.

    ``capabilities_of``: for a backend whose capabilities depend on the model entry (Ray's
    are its inner engine's); else ``capabilities`` holds for every model.
    """

    capabilities: Capabilities
    options: Callable[[], set[str]]
    prepare: Callable[[ModelEntry], ModelHandle]
    open: Callable[[ModelHandle], Backend]
    check_name: Callable[[str], None] = field(default=lambda name: None)
    capabilities_of: Callable[[ModelEntry], Capabilities] | None = None


def register_backend(name: str, cls: type[Any], engine: Engine) -> Engine:
    """Register backend class ``cls`` under ``name``, driven by ``engine``; returns ``engine``."""
    from safereason import plugins

    cls.engine = engine
    plugins.backends.register(name)(cast("type[Backend]", cls))
    return engine


def init_options(cls: type[Any], skip: tuple[str, ...] = ()) -> set[str]:
    """A backend class's constructor parameters, which are its YAML options."""
    params = inspect.signature(cls.__init__).parameters
    return {p for p in params if p not in {"self", *skip}}


def backend_class(backend: str) -> type[Backend]:
    """The class registered under a backend name; a clear error with a suggestion if none."""
    from safereason import plugins

    return plugins.backends.get(backend)


def engine(backend: str) -> Engine:
    """The :class:`Engine` of a backend name; a clear error with a suggestion if unknown."""
    cls = backend_class(backend)
    eng = getattr(cls, "engine", None)
    if not isinstance(eng, Engine):
        raise SafereasonError(f"backend {backend!r} ({cls.__module__}) declares no Engine")
    return eng


def capabilities(ref: ModelEntry) -> Capabilities:
    """What the backend of a model entry can honour (nothing is loaded)."""
    eng = engine(ref.backend)
    return eng.capabilities_of(ref) if eng.capabilities_of is not None else eng.capabilities


def check_model(ref: ModelEntry) -> None:
    """Fail early on an unknown backend, backend option or model name (nothing is loaded)."""
    eng = engine(ref.backend)
    allowed = eng.options()
    for key in ref.options:
        if key not in allowed:
            raise SafereasonError(
                f"backend {ref.backend!r} has no option {key!r}{did_you_mean(key, allowed)}; "
                f"options: {', '.join(sorted(allowed)) or 'none'}"
            )
    eng.check_name(ref.name)


def prepare_model(ref: ModelEntry) -> ModelHandle:
    """Resolve a model's weights (assembling or downloading them if needed) and identity."""
    check_model(ref)
    return engine(ref.backend).prepare(ref)


def open_backend(handle: ModelHandle) -> Backend:
    """Start the engine for a prepared model."""
    return engine(handle.backend).open(handle)
