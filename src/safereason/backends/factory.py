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
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, cast

from safereason.errors import SafereasonError

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
    # Options that cannot change an output (threads, timeouts, concurrency, verbosity):
    # left out of the generation key. Every other option is in it (``covered`` ones
    # through the identity ``prepare`` builds, e.g. resolved weights), so a new option
    # is keyed unless declared neutral.
    neutral: frozenset[str] = frozenset()
    covered: frozenset[str] = frozenset()
    # Annotations of options that are not constructor parameters (checked like the rest).
    extra_types: Mapping[str, Any] = field(default_factory=dict)
    # More checks of a model entry, nothing loaded (e.g. Ray's inner engine entry).
    check_entry: Callable[[ModelEntry], None] | None = None


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


@dataclass(frozen=True)
class CheckedEntry:
    """A model entry whose options have been checked (and normalised) against the backend."""

    name: str
    backend: str
    options: dict[str, Any]
    display: str


def option_types(backend: str) -> dict[str, Any]:
    """Each option of a backend and its annotation (``Any`` where none is known)."""
    from safereason.registry import option_types as class_option_types

    eng = engine(backend)
    declared = class_option_types(backend_class(backend))
    return {k: eng.extra_types.get(k, declared.get(k, Any)) for k in sorted(eng.options())}


def option_defaults(backend: str) -> dict[str, Any]:
    """The default of each backend option that has one (constructor defaults)."""
    cls: Any = backend_class(backend)
    if hasattr(cls, "__dataclass_fields__"):
        import dataclasses

        return {
            f.name: f.default
            for f in dataclasses.fields(cls)
            if f.default is not dataclasses.MISSING
        }
    params = inspect.signature(cls.__init__).parameters
    return {k: p.default for k, p in params.items() if p.default is not inspect.Parameter.empty}


def check_model(ref: ModelEntry) -> CheckedEntry:
    """Fail early on an unknown backend, a backend option of an unknown name or a wrong
    type, or a model name the backend cannot take (nothing is loaded); the entry checked."""
    from safereason.registry import check_options

    eng = engine(ref.backend)
    if not isinstance(ref.name, str) or not ref.name.strip():
        raise SafereasonError(f"a model needs a name (backend {ref.backend!r})")
    opts = check_options(f"backend {ref.backend!r}", option_types(ref.backend), ref.options)
    checked = CheckedEntry(ref.name, ref.backend, opts, ref.display)
    eng.check_name(ref.name)
    if eng.check_entry is not None:
        eng.check_entry(checked)
    return checked


def keyed_options(backend: str, options: Mapping[str, Any]) -> dict[str, Any]:
    """The options of a model entry that can change an output, with defaults filled in and
    unset (``None``) ones left out: what :func:`prepare_model` adds to the identity."""
    eng = engine(backend)
    defaults = option_defaults(backend)
    keyed = sorted(eng.options() - eng.neutral - eng.covered)
    values = {k: options.get(k, defaults.get(k)) for k in keyed}
    return {k: v for k, v in values.items() if v is not None}


def prepare_model(ref: ModelEntry) -> ModelHandle:
    """Resolve a model's weights (assembling or downloading them if needed) and identity.

    The identity (hashed into every generation key) is the engine's (weights, template,
    dtype ...) plus every option that can change an output (:func:`keyed_options`), e.g.
    llama.cpp's ``n_ctx``: a result made with one context size is never reused for another.
    """
    checked = check_model(ref)
    handle = engine(ref.backend).prepare(checked)
    extra = keyed_options(ref.backend, checked.options)
    if not extra:
        return handle
    return replace(handle, identity={**handle.identity, "options": extra})


def open_backend(handle: ModelHandle) -> Backend:
    """Start the engine for a prepared model."""
    return engine(handle.backend).open(handle)
