"""The judging stage: judges score while generation continues, and nothing is judged twice."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from safereason import plugins
from safereason.config import load_experiment
from safereason.judging import may_overlap
from safereason.runner import Runner
from tests.conftest import fake_experiment

GUARD = {
    "name": "guard",
    "model": {"name": "judge-fake", "backend": "fake", "default": "safe"},
}


def _exp(tmp_path: Path, overlap: Any, **extra: Any) -> str:
    spec = yaml.safe_load(
        fake_experiment(tmp_path, methods=["direct"], n_math=0, n_harm=6, cache=None, **extra)
    )
    spec["benchmarks"] = [spec["benchmarks"][1]]
    spec["models"][0]["delay_s"] = 0.2  # room for a judge thread on a loaded machine
    spec["batch_size"] = 1
    spec["judge_overlap"] = overlap
    spec["judges"] = {"harmful": ["refusal", GUARD]}
    return yaml.safe_dump(spec)


def _times(run_dir: Path) -> tuple[float, dict[str, float]]:
    """When the last generation landed, and when each judge's first verdict did."""
    db = sqlite3.connect(run_dir / "store.sqlite")
    last_gen = db.execute("SELECT max(created) FROM generations").fetchone()[0]
    first = dict(db.execute("SELECT judge, min(created) FROM verdicts GROUP BY judge").fetchall())
    db.close()
    return last_gen, first


def _run(path: Path) -> Any:
    exp = load_experiment(path)
    run_dir = Path(exp.output_dir) / exp.name
    return Runner(exp, run_dir, progress=False).run(), run_dir


@pytest.mark.parametrize(
    ("overlap", "guard_overlaps"), [("auto", False), (True, True), (False, False)]
)
def test_judges_score_while_generation_continues(
    tmp_path: Path,
    write_yaml: Callable[[str], Path],
    overlap: Any,
    guard_overlaps: bool,
) -> None:
    outcome, run_dir = _run(write_yaml(_exp(tmp_path, overlap)))
    assert outcome.generated == 6 and outcome.judged == 12
    last_gen, first = _times(run_dir)
    assert set(first) == {"refusal", "guard"}
    # a judge without a model never waits (unless told not to overlap at all)
    assert (first["refusal"] < last_gen) is (overlap is not False)
    # a judge on the same local engine as the generator waits unless told to overlap
    assert (first["guard"] < last_gen) is guard_overlaps


def test_every_item_linked_and_rerun_reuses_all(
    tmp_path: Path, write_yaml: Callable[[str], Path]
) -> None:
    path = write_yaml(_exp(tmp_path, True))
    _run(path)
    outcome, run_dir = _run(path)
    assert outcome.generated == 0 and outcome.judged == 0 and outcome.verdicts_reused == 12
    db = sqlite3.connect(run_dir / "store.sqlite")
    links = db.execute("SELECT count(*) FROM item_verdicts").fetchone()[0]
    db.close()
    assert links == 12


def test_identical_requests_judged_once_and_linked_to_both_items(
    tmp_path: Path, write_yaml: Callable[[str], Path]
) -> None:
    spec = yaml.safe_load(_exp(tmp_path, True))
    # "direct" under two labels: the same requests, so the same generations and verdicts
    spec["methods"] = ["direct", {"name": "direct", "label": "direct-again"}]
    outcome, run_dir = _run(write_yaml(yaml.safe_dump(spec)))
    assert outcome.plan_size == 12 and outcome.unique_requests == 6
    assert outcome.judged == 12  # 6 generations x 2 judges
    db = sqlite3.connect(run_dir / "store.sqlite")
    links = db.execute("SELECT count(*) FROM item_verdicts").fetchone()[0]
    db.close()
    assert links == 24


def test_overlap_rule() -> None:
    refusal = plugins.judges.build("refusal", {})
    local = plugins.judges.build("guard", {"model": {"name": "x", "backend": "fake"}})
    remote = plugins.judges.build(
        "guard", {"model": {"name": "x", "backend": "openai", "base_url": "http://h/v1"}}
    )
    assert may_overlap(refusal, "llamacpp", "auto")
    assert not may_overlap(local, "fake", "auto")
    assert may_overlap(local, "vllm", "auto")  # another engine: its own hardware
    assert may_overlap(remote, "openai", "auto")  # a server does the work
    assert may_overlap(local, None, "auto") and may_overlap(local, None, False)
    assert not may_overlap(refusal, "fake", False)
    assert may_overlap(local, "fake", True)
