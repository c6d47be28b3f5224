"""The package's public face: what ``import safereason`` offers and what it costs."""

from __future__ import annotations

import json
import subprocess
import sys
from importlib.resources import files

import pytest

import safereason


@pytest.mark.parametrize("name", safereason.__all__)
def test_every_public_name_resolves(name: str) -> None:
    assert getattr(safereason, name) is not None
    assert name in dir(safereason)


def test_public_names_are_the_real_objects() -> None:
    from safereason import errors, experiment_file, plugins, runner, store, types

    assert safereason.Sample is types.Sample and safereason.Verdict is types.Verdict
    assert safereason.load_experiment is experiment_file.load_experiment
    assert safereason.Runner is runner.Runner and safereason.Store is store.Store
    assert safereason.SafereasonError is errors.SafereasonError
    assert safereason.plugins is plugins
    assert "refusal" in safereason.plugins.judges.names()
    assert isinstance(safereason.__version__, str) and safereason.__version__


def test_unknown_attribute_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no_such_name"):
        _ = safereason.no_such_name  # type: ignore[attr-defined]


def test_py_typed_ships_in_the_package() -> None:
    assert (files("safereason") / "py.typed").is_file()


def test_import_is_light() -> None:
    # a fresh interpreter: what importing the package alone pulls in
    code = (
        "import json, sys, safereason; "
        "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('safereason', 'torch', 'llama_cpp', 'transformers', 'vllm', 'ray', 'pydantic'))))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    loaded = set(json.loads(out))
    assert not {"torch", "llama_cpp", "transformers", "vllm", "ray"} & loaded
    assert (
        not {
            "safereason.runner",
            "safereason.store",
            "safereason.config",
            "safereason.experiment_file",
        }
        & loaded
    )
    assert not {m for m in loaded if m.startswith(("safereason.backends", "pydantic"))}
