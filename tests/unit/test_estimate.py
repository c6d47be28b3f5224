"""The --dry-run speed: measured at the model's parallel, else scaled by the benchmark."""

from __future__ import annotations

from typing import Any

import pytest

from safereason import estimate
from safereason.backends.factory import ModelHandle, keyed_options
from safereason.backends.llamacpp import default_parallel

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


def test_parallel_is_not_keyed_and_defaults_from_the_cores() -> None:
    assert "parallel" not in keyed_options("llamacpp", {"parallel": 8})
    assert estimate.parallel_of(handle(parallel=3)) == 3
    assert estimate.parallel_of(handle()) == default_parallel()
    assert estimate.parallel_of(handle(backend="fake")) is None
    assert [default_parallel(c) for c in (1, 2, 3, 4, 8, 64)] == [4, 4, 8, 8, 16, 16]


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
