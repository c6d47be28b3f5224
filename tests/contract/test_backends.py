"""The contract every registered backend obeys, checked for every name in the registry.

The names come from ``plugins.backends`` itself, so a backend added later (built in or
through the ``safereason.backends`` entry-point group) is covered without editing this
file. Nothing here loads an engine: only the fake backend is started.
"""

from __future__ import annotations

import inspect
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from safereason import plugins
from safereason.backends.factory import (
    Capabilities,
    Engine,
    ModelHandle,
    capabilities,
    check_model,
    engine,
    open_backend,
    prepare_model,
)
from safereason.config import Experiment, ModelRef
from safereason.errors import SafereasonError
from safereason.plan import check_capabilities
from safereason.types import GenParams, Message, Request

NAMES = [pytest.param(n, id=n) for n in plugins.backends.names()]
HEAVY = ("torch", "transformers", "llama_cpp", "vllm", "ray", "peft", "openai")


def test_the_built_in_backends_are_registered() -> None:
    assert {"llamacpp", "hf", "vllm", "openai", "ray", "fake"} <= set(plugins.backends.names())


@pytest.mark.parametrize("name", NAMES)
def test_declares_an_engine_and_its_capabilities(name: str) -> None:
    cls = plugins.backends.get(name)
    eng = engine(name)
    assert isinstance(eng, Engine) and cls.engine is eng  # type: ignore[attr-defined]
    assert isinstance(eng.capabilities, Capabilities)
    assert type(cls).__name__ != "module" and cls.registry_name == name  # type: ignore[attr-defined]
    # the shape of a backend: generate a batch, close; stream only when it says so
    assert callable(getattr(cls, "generate", None)) and callable(getattr(cls, "close", None))
    assert eng.capabilities.streaming == callable(getattr(cls, "stream", None)), (
        f"backend {name!r}: streaming={eng.capabilities.streaming} but stream() "
        f"{'is missing' if eng.capabilities.streaming else 'exists'}"
    )
    options = eng.options()
    assert isinstance(options, set) and all(isinstance(o, str) for o in options)


@pytest.mark.parametrize("name", NAMES)
def test_has_a_one_line_docstring(name: str) -> None:
    doc = inspect.cleandoc(plugins.backends.get(name).__doc__ or "")
    summary, _, body = doc.partition("\n")
    assert summary.strip() and len(summary) <= 100, f"backend {name!r}: {summary!r}"
    assert not body or body.startswith("\n"), f"backend {name!r}: summary runs over a line"
    assert dict(plugins.backends.describe())[name] == summary


@pytest.mark.parametrize("name", NAMES)
def test_unknown_options_fail_in_one_line(name: str) -> None:
    ref = ModelRef.model_validate({"name": "m", "backend": name, "no_such_option_xyz": 1})
    with pytest.raises(SafereasonError, match="no option 'no_such_option_xyz'") as err:
        check_model(ref)
    assert "\n" not in str(err.value)


def test_unknown_backend_names_the_known_ones() -> None:
    with pytest.raises(SafereasonError, match=r"unknown backend 'lamacpp'.*llamacpp"):
        engine("lamacpp")


def test_importing_every_backend_loads_no_engine() -> None:
    code = (
        "import sys, safereason, safereason.plugins as p\n"
        "names = p.backends.names()\n"
        f"heavy = [m for m in {HEAVY!r} if m in sys.modules]\n"
        "assert not heavy, heavy\n"
        "print(len(names))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert out.returncode == 0, out.stderr
    assert int(out.stdout) == len(NAMES)


def test_the_fake_backend_round_trip() -> None:
    handle = prepare_model(ModelRef(name="f", backend="fake"))
    assert isinstance(handle, ModelHandle) and handle.backend == "fake"
    backend = open_backend(handle)
    req = Request("k", "f", (Message("user", "hi"),), GenParams())
    [comp] = backend.generate([req])
    assert comp.key == "k" and comp.text
    backend.close()


# --- capabilities: what a backend cannot honour is refused before any work --------------


def _exp(backend: str, method: dict[str, Any], **model: Any) -> Experiment:
    return Experiment.model_validate(
        {
            "name": "caps",
            "models": [{"name": "m", "backend": backend, **model}],
            "methods": [method],
            "benchmarks": [{"name": "harmful_starter", "n": 1}],
        }
    )


def test_a_thinking_budget_is_refused_on_a_backend_without_one() -> None:
    budget = {"name": "thinking", "mode": "budget", "budget": 64}
    assert not capabilities(ModelRef(name="m", backend="openai")).thinking_budget
    with pytest.raises(SafereasonError) as err:
        check_capabilities(_exp("openai", budget, base_url="http://127.0.0.1:9/v1"))
    msg = str(err.value)
    assert "\n" not in msg and "'openai' cannot honour thinking_budget" in msg
    assert "llamacpp" in msg and "hf" in msg
    check_capabilities(_exp("fake", budget))  # the fake backend accepts one
    check_capabilities(_exp("openai", {"name": "thinking", "mode": "zerothink"}))  # a prefill


def test_ray_has_its_inner_engines_capabilities_remotely() -> None:
    ray = capabilities(ModelRef.model_validate({"name": "m", "backend": "ray", "engine": "openai"}))
    assert ray.remote and ray.streaming and not ray.thinking_budget
    local = capabilities(ModelRef(name="m", backend="ray"))  # llamacpp inside
    assert local.thinking_budget and local.remote


def test_the_run_refuses_before_loading_anything(tmp_path: Path) -> None:
    from safereason.runner import Runner

    exp = _exp("openai", {"name": "thinking", "mode": "budget", "budget": 8})
    with pytest.raises(SafereasonError, match="cannot honour"):
        Runner(exp, tmp_path / "run", progress=False).run()
    assert not (tmp_path / "run" / "store.sqlite").exists()
