"""The --dry-run speed: measured at the model's parallel, else scaled by the benchmark."""

from __future__ import annotations

from typing import Any

import pytest

from safereason import estimate
from safereason.backends.factory import ModelHandle, keyed_options
from safereason.backends.llamacpp import DEFAULT_PARALLEL

TABLE = {
    "models": {
        "embedded": {"sha256": "q", "ratio": {"1": 0.9, "2": 1.6, "4": 2.4, "8": 3.0}},
        "embedded-small": {"sha256": "s", "ratio": {"1": 1.0, "4": 2.0, "8": 4.0}},
    }
}


@pytest.fixture
def table(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(estimate, "shipped", lambda: TABLE)


def handle(sha: str = "q", backend: str = "llamacpp", **options: Any) -> ModelHandle:
    return ModelHandle("m", backend, {"weights_sha256": sha}, None, options)


def meta_of(**speeds: dict[str, float]) -> Any:
    return lambda key: speeds.get(key)


def test_parallel_is_not_an_option_key_and_defaults_to_one() -> None:
    assert "parallel" not in keyed_options("llamacpp", {"parallel": 8})
    assert estimate.parallel_of(handle(parallel=3)) == 3
    assert estimate.parallel_of(handle()) == DEFAULT_PARALLEL == 1
    assert estimate.parallel_of(handle(backend="fake")) is None


def test_speed_measured_at_the_same_parallel_is_used_as_is(table: None) -> None:
    m = meta_of(**{"speed:llamacpp:parallel=8": {"tokens": 600, "seconds": 10.0}})
    tps, src, _ = estimate.tokens_per_s(handle(parallel=8), m)
    assert (tps, src) == (60.0, "measured")


def test_speed_measured_elsewhere_is_scaled_by_the_benchmark_ratios(table: None) -> None:
    legacy = meta_of(**{"speed:llamacpp": {"tokens": 100, "seconds": 10.0}})  # one at a time
    tps, src, _ = estimate.tokens_per_s(handle(parallel=8), legacy)
    assert tps == pytest.approx(30.0) and "one at a time" in src
    at4 = meta_of(**{"speed:llamacpp:parallel=4": {"tokens": 240, "seconds": 10.0}})
    tps, src, _ = estimate.tokens_per_s(handle(parallel=8), at4)
    assert tps == pytest.approx(24.0 * 3.0 / 2.4) and "parallel 4" in src
    # another model's weights: its own ratios; between benchmarked values: the one below
    tps, _, _ = estimate.tokens_per_s(handle("s", parallel=6), legacy)
    assert tps == pytest.approx(20.0)


def test_nothing_measured_is_the_assumed_speed_scaled(table: None) -> None:
    tps, src, _ = estimate.tokens_per_s(handle("unknown", parallel=2), None)
    assert tps == pytest.approx(15.0 * 1.6) and src.startswith("assumed")
    tps, src, _ = estimate.tokens_per_s(handle(backend="fake"), None)
    assert (tps, src) == (1e6, "assumed")


def test_without_shipped_figures_speeds_are_not_scaled(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(estimate, "shipped", lambda: {"models": {}})
    at4 = meta_of(**{"speed:llamacpp:parallel=4": {"tokens": 240, "seconds": 10.0}})
    tps, src, _ = estimate.tokens_per_s(handle(parallel=8), at4)
    assert tps == pytest.approx(24.0) and "parallel 4" in src
    assert estimate.tokens_per_s(handle(parallel=8), None)[0] == 15.0


def test_the_shipped_figures_are_the_embedded_models_benchmark() -> None:
    from safereason.models.embedded import EMBEDDED

    data = estimate.shipped()
    for name in ("embedded", "embedded-small"):
        entry = data["models"][name]
        assert entry["sha256"] == EMBEDDED[name].sha256
        assert set(entry["ratio"]) == {"1", "2", "4", "8", "16"}
        assert entry["ratio"]["1"] == 1.0  # width 1 is llama-cpp-python single-stream
        assert all(r > 0 for r in entry["ratio"].values())
    assert "command" in data
