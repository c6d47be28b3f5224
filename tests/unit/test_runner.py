"""The whole pipeline on the scripted fake backend: plan, generate, judge, resume, reuse."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from safereason.experiment_file import load_experiment
from safereason.report.outputs import write_outputs
from safereason.runner import Runner
from safereason.store import Store
from tests.conftest import fake_experiment


def _run(path: Path, out: Path | None = None, dry: bool = False):  # type: ignore[no-untyped-def]
    exp = load_experiment(path)
    run_dir = out or Path(exp.output_dir) / exp.name
    return Runner(exp, run_dir, progress=False).run(dry_run=dry), run_dir


def test_full_pipeline_scores_and_writes_outputs(
    tmp_path: Path, write_yaml: Callable[[str], Path]
) -> None:
    outcome, run_dir = _run(write_yaml(fake_experiment(tmp_path)))
    assert outcome.plan_size == 2 * (3 + 4)
    assert outcome.generated == outcome.unique_requests
    rates = {(r.method, r.metric): r for r in write_outputs(run_dir)}
    # the fake model answers 10 to every step-by-step prompt and refuses every prompt that
    # says "directly"; direct adds its cue to reasoning items only, so harmful items go out
    # as written and are not refused
    assert rates[("direct", "refusal_rate")].value == 0.0
    assert rates[("zero_shot_cot", "refusal_rate")].value == 0.0
    assert rates[("direct", "accuracy")].value == 0.0  # "directly" on math: refused
    acc = rates[("zero_shot_cot", "accuracy")]
    assert acc.n == 3 and 0.0 <= acc.lo <= acc.value <= acc.hi <= 1.0
    for name in (
        "results.jsonl",
        "results.parquet",
        "summary.json",
        "summary.md",
        "config.resolved.yaml",
        "versions.yaml",
        "store.sqlite",
    ):
        assert (run_dir / name).is_file(), name
    rows = [json.loads(x) for x in (run_dir / "results.jsonl").read_text().splitlines()]
    assert len(rows) == outcome.plan_size
    assert all(r["verdicts"] for r in rows)


def test_rerun_generates_nothing(tmp_path: Path, write_yaml: Callable[[str], Path]) -> None:
    path = write_yaml(fake_experiment(tmp_path))
    first, run_dir = _run(path)
    second, _ = _run(path)
    assert first.generated > 0
    assert second.generated == 0 and second.judged == 0
    assert second.stored_before == first.unique_requests
    store = Store(run_dir / "store.sqlite")
    assert store.count("generations") == first.unique_requests
    assert store.count("items") == first.plan_size


def test_shared_requests_reused_across_experiments(
    tmp_path: Path, write_yaml: Callable[[str], Path]
) -> None:
    _run(write_yaml(fake_experiment(tmp_path, name="a", methods=["direct"]), "a.yaml"))
    b, _ = _run(write_yaml(fake_experiment(tmp_path, name="b"), "b.yaml"))
    # experiment b shares every 'direct' request with a: only zero_shot_cot is generated
    assert b.from_cache == b.unique_requests // 2
    assert b.generated == b.unique_requests // 2


def test_cache_off_generates_everything(tmp_path: Path, write_yaml: Callable[[str], Path]) -> None:
    _run(write_yaml(fake_experiment(tmp_path, name="a", cache=None), "a.yaml"))
    b, _ = _run(write_yaml(fake_experiment(tmp_path, name="b", cache=None), "b.yaml"))
    assert b.from_cache == 0 and b.generated == b.unique_requests


def test_dry_run_counts_and_estimates(tmp_path: Path, write_yaml: Callable[[str], Path]) -> None:
    path = write_yaml(fake_experiment(tmp_path))
    dry, _ = _run(path, dry=True)
    assert dry.generated == 0 and dry.estimate["requests"] == dry.unique_requests
    assert dry.estimate["max_new_tokens"] == dry.unique_requests * 512
    _run(path)
    again, _ = _run(path, dry=True)
    assert again.estimate["requests"] == 0


def _interrupt_on_third_batch(monkeypatch: pytest.MonkeyPatch) -> Any:
    """Make the fake backend raise KeyboardInterrupt on its third ``generate`` call; returns
    the real ``generate``, to put back."""
    from safereason.backends.fake import FakeBackend

    calls = {"n": 0}
    real = FakeBackend.generate

    def flaky(self: FakeBackend, reqs):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        if calls["n"] == 3:
            raise KeyboardInterrupt
        return real(self, reqs)

    monkeypatch.setattr(FakeBackend, "generate", flaky)
    return real


def test_the_speed_record_counts_what_was_made_and_its_budget(
    tmp_path: Path, write_yaml: Callable[[str], Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """An interrupted run records the completions it made (not the requests it sent) and
    their max_tokens sum; the next estimate fills each budget by the measured share."""
    from safereason.errors import InterruptedRun
    from safereason.estimate import speed_key
    from safereason.runner import open_cache

    _interrupt_on_third_batch(monkeypatch)
    path = write_yaml(fake_experiment(tmp_path, batch_size=2))
    with pytest.raises(InterruptedRun):
        _run(path)
    exp = load_experiment(path)
    cache = open_cache(exp, Path(exp.output_dir) / exp.name / "store.sqlite")
    assert cache is not None
    rec = cache.get_meta(speed_key("fake", None))
    assert rec["requests"] == 4 and rec["max_tokens"] == 4 * 512
    dry, _ = _run(path, dry=True)
    fill = rec["tokens"] / rec["max_tokens"]
    tps = rec["tokens"] / rec["seconds"]
    assert dry.estimate["seconds"] == pytest.approx(10 * 512 * fill / tps)


def test_interrupt_keeps_what_was_stored(
    tmp_path: Path, write_yaml: Callable[[str], Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    from safereason.backends.fake import FakeBackend
    from safereason.errors import InterruptedRun

    real = _interrupt_on_third_batch(monkeypatch)
    path = write_yaml(fake_experiment(tmp_path, cache=None, batch_size=2))
    with pytest.raises(InterruptedRun, match="4 of 14 generations are stored"):
        _run(path)
    monkeypatch.setattr(FakeBackend, "generate", real)
    resumed, run_dir = _run(path)
    assert resumed.stored_before == 4 and resumed.generated == 10
    assert Store(run_dir / "store.sqlite").count("generations") == 14
