"""One small registry per plugin kind, filled lazily from its package's modules and entry points."""

from __future__ import annotations

import collections.abc
import dataclasses
import importlib
import inspect
import pkgutil
import types
import typing
from collections.abc import Callable, Iterator, Mapping, Sequence
from importlib.metadata import entry_points
from typing import Annotated, Any, Generic, TypeVar, Union, get_args, get_origin

from pydantic import ConfigDict, Field, PydanticSchemaGenerationError, Strict, TypeAdapter
from pydantic import ValidationError as PydanticValidationError

from safereason.errors import OptionError, SafereasonError, did_you_mean

T = TypeVar("T")


class Registry(Generic[T]):
    """Maps names to plugin classes; a plugin's dataclass fields are its config."""

    def __init__(self, kind: str, package: str) -> None:
        self.kind = kind
        self._package = package
        self._entries: dict[str, type[T]] = {}
        self._loaded = False

    def register(self, name: str) -> Callable[[type[T]], type[T]]:
        """Class decorator: make ``cls`` available under ``name``."""

        def deco(cls: type[T]) -> type[T]:
            if name in self._entries and self._entries[name] is not cls:
                raise ValueError(f"{self.kind} {name!r} registered twice")
            self._entries[name] = cls
            cls.registry_name = name  # type: ignore[attr-defined]
            return cls

        return deco

    def _load(self) -> None:
        if self._loaded:
            return
        self._loaded = True
        pkg = importlib.import_module(self._package)
        for mod in pkgutil.iter_modules(pkg.__path__):
            importlib.import_module(f"{self._package}.{mod.name}")  # modules register on import
        for ep in entry_points(group=f"safereason.{self.kind}s"):
            ep.load()  # the plugin module registers itself on import

    def names(self) -> list[str]:
        """All registered names, sorted."""
        self._load()
        return sorted(self._entries)

    def get(self, name: str) -> type[T]:
        """The class registered under ``name``; a clear error with a suggestion if none."""
        self._load()
        try:
            return self._entries[name]
        except KeyError:
            raise SafereasonError(
                f"unknown {self.kind} {name!r}{did_you_mean(name, self._entries)}; "
                f"known: {', '.join(sorted(self._entries))}"
            ) from None

    def build(self, name: str, options: Mapping[str, Any] | None = None) -> T:
        """Instantiate ``name`` with ``options`` as constructor fields.

        Each option is checked against its field's annotation first (see
        :func:`check_options`): an unknown name, a wrong type or a negative count is an
        :class:`~safereason.errors.OptionError` naming the option, never a traceback later.
        """
        cls = self.get(name)
        checked = check_options(f"{self.kind} {name!r}", option_types(cls), options or {})
        try:
            return cls(**checked)
        except (TypeError, ValueError) as e:
            raise SafereasonError(f"{self.kind} {name!r}: {e}") from None

    def describe(self) -> Iterator[tuple[str, str]]:
        """(name, first docstring line) for each plugin."""
        for name in self.names():
            doc = inspect.getdoc(self._entries[name]) or ""
            yield name, doc.splitlines()[0] if doc else ""


def field_names(cls: type[Any]) -> set[str]:
    """The config fields of a plugin class (its dataclass fields, else its init parameters)."""
    if dataclasses.is_dataclass(cls):
        return {f.name for f in dataclasses.fields(cls) if f.init}
    params = inspect.signature(cls).parameters
    return {p for p in params if p != "self"}


def option_types(cls: type[Any], skip: Sequence[str] = ()) -> dict[str, Any]:
    """A plugin's options and their annotations: a dataclass's init fields, else the
    parameters of its constructor (``Any`` where an annotation cannot be resolved)."""
    if dataclasses.is_dataclass(cls):
        names = [f.name for f in dataclasses.fields(cls) if f.init]
        hints = _hints(cls)
    else:
        params = inspect.signature(cls.__init__).parameters
        names = [
            p
            for p, v in params.items()
            if p != "self" and v.kind not in (v.VAR_POSITIONAL, v.VAR_KEYWORD)
        ]
        hints = _hints(cls.__init__)
    return {n: hints.get(n, Any) for n in names if n not in skip}


def _hints(obj: Any) -> dict[str, Any]:
    """Resolved annotations (with ``Annotated`` extras); ``{}`` where they cannot be."""
    try:
        return typing.get_type_hints(obj, include_extras=True)
    except Exception:  # a name only imported for type checking: resolve field by field
        out: dict[str, Any] = {}
        module = importlib.import_module(getattr(obj, "__module__", "builtins"))
        for name, ann in getattr(obj, "__annotations__", {}).items():
            try:
                out[name] = eval(ann, vars(module)) if isinstance(ann, str) else ann
            except Exception:
                out[name] = Any
        return out


def check_options(
    what: str, types_: Mapping[str, Any], options: Mapping[str, Any]
) -> dict[str, Any]:
    """``options`` checked against ``types_`` (option name -> annotation); the values to use.

    Unknown names are refused with the nearest known one. Values are validated with
    pydantic against the annotation, strictly for scalars (``"3"`` is not an int, ``true``
    not a number), and a plain ``int`` or ``float`` must be a finite number >= 0 (options
    are counts, sizes, seeds, rates and versions); an option that takes other values says
    so with ``Annotated[int, Field(...)]``. Lists become tuples where the field is a tuple;
    an int given for a float is kept as written (cache keys hash the config as written).
    """
    out: dict[str, Any] = {}
    for key, value in options.items():
        if key not in types_:
            allowed = sorted(types_)
            raise OptionError(
                f"{what} has no option {key!r}{did_you_mean(key, allowed)}; "
                f"options: {', '.join(allowed) or 'none'}",
                key,
            )
        out[key] = check_value(what, key, types_[key], value)
    return out


def check_value(what: str, key: str, annotation: Any, value: Any) -> Any:
    """One option's value validated against its annotation (see :func:`check_options`)."""
    adapter = _adapter(annotation)
    if adapter is None:
        return value
    try:
        checked = adapter.validate_python(value)
    except PydanticValidationError as e:
        err = e.errors()[0]
        sub = [str(p) for p in err["loc"] if not _is_union_tag(p)]
        shown = repr(err.get("input", value))
        if len(shown) > 60:
            shown = shown[:57] + "..."
        msg = err["msg"].removeprefix("Value error, ")
        path = ".".join([key, *sub])
        raise OptionError(
            f"{what}: option {path}: {msg}, got {shown}",
            key,
            tuple(sub),
            detail=f"{msg}, got {shown} ({what})",
        ) from None
    if isinstance(value, int) and not isinstance(value, bool) and isinstance(checked, float):
        return value
    return checked


def _is_union_tag(part: Any) -> bool:
    """pydantic names the member of a union it tried in an error's location: not a key."""
    return isinstance(part, str) and ("[" in part or part in _SCALARS or part.startswith("literal"))


_SCALARS = {"int", "float", "str", "bool", "none", "constrained-int", "constrained-float"}
_ADAPTERS: dict[str, TypeAdapter[Any] | None] = {}
_CONFIG = ConfigDict(arbitrary_types_allowed=True)


def _adapter(annotation: Any) -> TypeAdapter[Any] | None:
    key = repr(annotation)
    if key not in _ADAPTERS:
        try:
            _ADAPTERS[key] = TypeAdapter(_strict(annotation, True), config=_CONFIG)
        except (PydanticSchemaGenerationError, TypeError, NameError):
            _ADAPTERS[key] = None  # a type pydantic cannot check: the plugin checks it
    return _ADAPTERS[key]


def _strict(tp: Any, bounded: bool) -> Any:
    """``tp`` with its scalars strict; plain ints and floats (``bounded``) finite and >= 0."""
    if tp is bool or tp is str:
        return Annotated[tp, Strict()]
    if tp is int:
        return Annotated[int, Strict(), Field(ge=0)] if bounded else Annotated[int, Strict()]
    if tp is float:
        extra = [Field(ge=0)] if bounded else []
        return Annotated[float, Strict(), Field(allow_inf_nan=False), *extra]
    origin = get_origin(tp)
    args = get_args(tp)
    if origin is Annotated:  # the plugin states its own constraints
        return Annotated[_strict(args[0], False), *tp.__metadata__]
    if origin in (Union, types.UnionType):
        return Union[tuple(_strict(a, bounded) for a in args)]  # noqa: UP007
    if origin in _CONTAINERS and args:
        inner = tuple(a if a is Ellipsis else _strict(a, bounded) for a in args)
        return origin[inner if len(inner) > 1 else inner[0]]
    return tp


_CONTAINERS = {
    list,
    tuple,
    dict,
    set,
    frozenset,
    collections.abc.Sequence,
    collections.abc.Mapping,
}


def spec_of(plugin: Any) -> dict[str, Any]:
    """A plugin's name and config as a dict (used in cache keys and manifests).

    A plugin whose output depends on another's code declares its versions in the class
    variable ``depends_on`` ({name: version}); they enter the spec too.
    """
    name = getattr(type(plugin), "registry_name", type(plugin).__name__)
    cfg = (
        dataclasses.asdict(plugin)
        if dataclasses.is_dataclass(plugin) and not isinstance(plugin, type)
        else {}
    )
    deps = getattr(type(plugin), "depends_on", None)
    return {"name": name, **cfg, **({"depends_on": dict(deps)} if deps else {})}
