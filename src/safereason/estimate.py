"""Generation speed for the ``--dry-run`` estimate: measured per engine and ``parallel``.

Each run records the speed it measured in the shared cache, under the engine and, for
llama.cpp, the ``parallel`` it decoded at (``speed:llamacpp:parallel=8``). An estimate
uses the speed measured at the same ``parallel``; failing that, one measured at another
``parallel`` (the nearest, else one from before batching: ``speed:llamacpp``, one at a
time), scaled by the throughput ratios that ``bench/llamacpp_parallel.py`` measured where
they ship as ``data/llamacpp_parallel.json`` (unscaled where none ship); failing that, an
assumed single-stream speed scaled the same way.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

from safereason.backends.factory import ModelHandle

ASSUMED_TOKENS_PER_S = {"llamacpp": 15.0, "fake": 1e6}
SINGLE = 0  # the ``parallel`` of a speed recorded before batching (one request at a time)


def parallel_of(handle: ModelHandle) -> int | None:
    """The ``parallel`` a model decodes at (``None``: its engine does not batch this way)."""
    if handle.backend != "llamacpp":
        return None
    from safereason.backends.llamacpp import DEFAULT_PARALLEL

    return int(handle.options.get("parallel") or DEFAULT_PARALLEL)


def speed_key(engine: str, parallel: int | None) -> str:
    """The cache meta key a measured speed is recorded under."""
    return f"speed:{engine}" if parallel is None else f"speed:{engine}:parallel={parallel}"


@cache
def shipped() -> dict[str, Any]:
    """The benchmark's figures: per model, its weights' sha256 and its ratio at each
    ``parallel`` (aggregate tokens/s over llama-cpp-python single-stream)."""
    path = resources.files("safereason.data").joinpath("llamacpp_parallel.json")
    if not path.is_file():  # no figures: speeds are not scaled
        return {"models": {}}
    data: dict[str, Any] = json.loads(path.read_text())
    return data


def ratios_for(handle: ModelHandle) -> dict[int, float]:
    """The benchmarked ratios of this model's weights, else those of ``embedded``."""
    models = shipped()["models"]
    sha = handle.identity.get("weights_sha256")
    entry = next((m for m in models.values() if m["sha256"] == sha), models.get("embedded"))
    return {int(p): float(r) for p, r in (entry or {}).get("ratio", {}).items()}


def ratio(figures: dict[int, float], parallel: int) -> float:
    """Throughput at ``parallel`` over single-stream: the figure at the largest
    benchmarked ``parallel`` not above it (``SINGLE``: 1)."""
    if parallel == SINGLE or not figures:
        return 1.0
    below = [p for p in figures if p <= parallel]
    return figures[max(below)] if below else figures[min(figures)]


def tokens_per_s(handle: ModelHandle, meta: Any) -> tuple[float, str, dict[str, Any]]:
    """(tokens/s, where it comes from, the measurement used) for a model.

    ``meta(key)`` reads the cache's meta table (``None`` when there is no cache).
    """
    engine, parallel = handle.backend, parallel_of(handle)
    measured = (meta(speed_key(engine, parallel)) if meta else None) or {}
    if measured.get("seconds"):
        return measured["tokens"] / measured["seconds"], "measured", measured
    if parallel is None:
        return ASSUMED_TOKENS_PER_S.get(engine, 15.0), "assumed", {}
    figures = ratios_for(handle)
    nearest = sorted(set(figures) | set(range(1, 33)), key=lambda p: (abs(p - parallel), p))
    for p in [*nearest, SINGLE]:  # the nearest parallel measured, else one at a time
        got = (meta(speed_key(engine, None if p == SINGLE else p)) if meta else None) or {}
        if got.get("seconds"):
            scale = ratio(figures, parallel) / ratio(figures, p)
            at = "one at a time" if p == SINGLE else f"at parallel {p}"
            how = f"scaled to parallel {parallel} by the benchmark" if figures else "unscaled"
            return got["tokens"] / got["seconds"] * scale, f"measured {at}, {how}", got
    tps = ASSUMED_TOKENS_PER_S.get(engine, 15.0) * ratio(figures, parallel)
    how = f"scaled to parallel {parallel} by the benchmark" if figures else "unscaled"
    return tps, f"assumed, {how}", {}
