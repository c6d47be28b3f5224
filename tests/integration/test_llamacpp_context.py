"""llama.cpp with a context too small for the prompt: a per-item error, never a generation."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from safereason.config import Experiment
from safereason.runner import Runner
from safereason.store import Store

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def spec(tmp_path: Path, n_ctx: int) -> dict[str, Any]:
    return {
        "name": "ctx",
        "models": [{"name": "embedded-small", "n_ctx": n_ctx, "n_threads": 2}],
        "methods": ["direct"],
        "benchmarks": [{"name": "procedural_math", "n": 2, "seed": 0}],
        "generation": {"max_tokens": 8},
        "output_dir": str(tmp_path / "runs"),
        "cache": str(tmp_path / "cache.sqlite"),
    }


def test_a_context_too_small_is_an_error_never_cached(
    small_model_path: str, tmp_path: Path
) -> None:
    tiny = Runner(Experiment.model_validate(spec(tmp_path, 48)), tmp_path / "r", progress=False)
    out = tiny.run()
    assert out.failed == 2 and out.generated == 0
    assert all("n_ctx=48" in why or "n_ctx=N" in why for why in out.errors), out.errors
    run_store, cache = Store(tmp_path / "r" / "store.sqlite"), Store(tmp_path / "cache.sqlite")
    assert run_store.count("generations") == 0 and cache.count("generations") == 0
    assert all(r.completion is None and not r.verdicts for r in run_store.results())
    assert len(run_store.errors()) == 2 and "raise n_ctx" in run_store.errors()[0]["reason"]
    run_store.close()
    cache.close()
    # after the fix: generated (n_ctx is in the key, so nothing of the tiny run is reused)
    ok = Runner(Experiment.model_validate(spec(tmp_path, 1024)), tmp_path / "r", progress=False)
    fixed = ok.run()
    assert fixed.failed == 0 and fixed.generated == 2
    run_store = Store(tmp_path / "r" / "store.sqlite")
    assert run_store.errors() == []
    assert all(r.completion is not None and r.completion.text for r in run_store.results())
    run_store.close()
