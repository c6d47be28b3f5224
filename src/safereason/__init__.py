"""safereason: measure what making an LLM reason better does to its safety.

The public names are listed in ``__all__``. The data types and the error are imported
with the package; everything else (the experiment loader, the runner, the store, the
plugin registries) is imported on first use, so ``import safereason`` stays light and
never loads an inference engine.

The plugin registries are ``safereason.plugins.methods``, ``.benchmarks``, ``.attacks``
and ``.judges`` (``safereason.methods`` and the others are the packages that hold the
built-in plugins)::

    import safereason
    exp = safereason.load_experiment(Path("experiments/laptop.yaml"))
    safereason.plugins.attacks.names()
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from safereason.errors import SafereasonError
from safereason.types import Completion, GenParams, Message, Request, Sample, Verdict

if TYPE_CHECKING:
    from safereason import plugins
    from safereason.experiment_file import load_experiment
    from safereason.runner import Runner
    from safereason.store import Store

    __version__: str

__all__ = [
    "Completion",
    "GenParams",
    "Message",
    "Request",
    "Runner",
    "SafereasonError",
    "Sample",
    "Store",
    "Verdict",
    "__version__",
    "load_experiment",
    "plugins",
]

# name -> (module, attribute in it; None for the module itself), imported on first access
_LAZY: dict[str, tuple[str, str | None]] = {
    "load_experiment": ("safereason.experiment_file", "load_experiment"),
    "Runner": ("safereason.runner", "Runner"),
    "Store": ("safereason.store", "Store"),
    "plugins": ("safereason.plugins", None),
}


def __getattr__(name: str) -> Any:
    if name == "__version__":
        from importlib.metadata import PackageNotFoundError, version

        try:
            value: Any = version("safereason")
        except PackageNotFoundError:  # running from a source tree that is not installed
            value = "0+unknown"
    elif name in _LAZY:
        module, attr = _LAZY[name]
        mod = importlib.import_module(module)
        value = mod if attr is None else getattr(mod, attr)
    else:
        raise AttributeError(f"module 'safereason' has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
