"""The judging stage: judges score while generation continues, and nothing is judged twice."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest
import yaml

import safereason.runner as runner_mod
from safereason import plugins
from safereason.backends.fake import FakeBackend
from safereason.experiment_file import load_experiment
from safereason.judging import may_overlap
from safereason.results import ResultRow
from safereason.runner import Runner
from safereason.types import Completion, Request, Sample, Verdict
from tests.conftest import fake_experiment
from tests.rows import run_results

GUARD = {
    "name": "guard",
    "model": {"name": "judge-fake", "backend": "fake", "default": "safe"},
}
N = 6  # harmful samples, one generation each, generated one per batch


def _exp(tmp_path: Path, overlap: Any, **extra: Any) -> str:
    spec = yaml.safe_load(
        fake_experiment(tmp_path, methods=["direct"], n_math=0, n_harm=N, cache=None, **extra)
    )
    spec["benchmarks"] = [spec["benchmarks"][1]]
    spec["batch_size"] = 1
    spec["judge_overlap"] = overlap
    spec["judges"] = {"harmful": ["refusal", GUARD]}
    return yaml.safe_dump(spec)


def _run(path: Path) -> Any:
    exp = load_experiment(path)
    run_dir = Path(exp.output_dir) / exp.name
    return Runner(exp, run_dir, progress=False).run(), run_dir


def _judged_by(row: ResultRow) -> list[str]:
    """The registry names of the judges with a verdict on ``row``."""
    return sorted(v.judge for v in row.verdicts.values())


class Timeline:
    """What the generator had finished when each judge was first called, counted, not timed.

    The generator holds its last request until every judge expected to overlap has been
    called (those may take as long as a loaded machine needs), and gives the others a
    short chance to show they wrongly overlap; a judge that waits for generation to end
    is first called with all ``N`` generations done, however fast or slow the machine.
    """

    def __init__(self, expected: set[str], wrong_s: float = 1.0, deadline_s: float = 120) -> None:
        self.expected, self.wrong_s, self.deadline_s = expected, wrong_s, deadline_s
        self.generated = 0
        self.first: dict[str, int] = {}  # judge -> generations done at its first call
        self.called = threading.Condition()

    def judged(self, name: str) -> None:
        with self.called:
            self.first.setdefault(name, self.generated)
            self.called.notify_all()

    def before_last(self) -> None:
        with self.called:
            self.called.wait_for(lambda: self.expected <= set(self.first), self.deadline_s)
            self.called.wait_for(lambda: len(self.first) == 2, self.wrong_s)

    def generating(self, n: int) -> None:
        with self.called:
            self.generated += n


def _record(tl: Timeline, monkeypatch: pytest.MonkeyPatch) -> None:
    """Wrap the generator and both judges' public ``score`` to write the timeline."""

    class Gated(FakeBackend):
        def generate(self, requests: Sequence[Request]) -> list[Completion]:
            if tl.generated + len(requests) == N:
                tl.before_last()
            out = super().generate(requests)
            tl.generating(len(out))
            return out

    monkeypatch.setattr(runner_mod, "open_backend", lambda handle: Gated(**dict(handle.options)))
    for name in ("refusal", "guard"):
        cls = plugins.judges.get(name)

        def score(
            self: Any,
            pairs: Sequence[tuple[Sample, Completion]],
            _real: Any = cls.score,
            _name: str = name,
        ) -> list[Verdict]:
            tl.judged(_name)
            return list(_real(self, pairs))

        monkeypatch.setattr(cls, "score", score)


@pytest.mark.parametrize(
    ("overlap", "guard_overlaps"), [("auto", False), (True, True), (False, False)]
)
def test_judges_score_while_generation_continues(
    tmp_path: Path,
    write_yaml: Callable[[str], Path],
    monkeypatch: pytest.MonkeyPatch,
    overlap: Any,
    guard_overlaps: bool,
) -> None:
    # a judge without a model never waits (unless told not to overlap at all); a judge on
    # the same local engine as the generator waits unless told to overlap
    refusal_overlaps = overlap is not False
    expected = {n for n, yes in (("refusal", refusal_overlaps), ("guard", guard_overlaps)) if yes}
    tl = Timeline(expected)
    _record(tl, monkeypatch)
    started = time.monotonic()
    outcome, run_dir = _run(write_yaml(_exp(tmp_path, overlap)))
    assert time.monotonic() - started < tl.deadline_s, "an expected judge never ran alongside"
    assert outcome.generated == N and outcome.judged == 2 * N
    assert set(tl.first) == {"refusal", "guard"}
    assert (tl.first["refusal"] < N) is refusal_overlaps, tl.first
    assert (tl.first["guard"] < N) is guard_overlaps, tl.first
    rows = run_results(run_dir)
    assert len(rows) == N and all(_judged_by(r) == ["guard", "refusal"] for r in rows)


def test_every_item_linked_and_rerun_reuses_all(
    tmp_path: Path, write_yaml: Callable[[str], Path]
) -> None:
    path = write_yaml(_exp(tmp_path, True))
    _, run_dir = _run(path)
    first = run_results(run_dir)
    outcome, run_dir = _run(path)
    assert outcome.generated == 0 and outcome.judged == 0 and outcome.verdicts_reused == 12
    rows = run_results(run_dir)
    assert len(rows) == N and all(_judged_by(r) == ["guard", "refusal"] for r in rows)
    assert [r.verdicts for r in rows] == [r.verdicts for r in first]


def test_identical_requests_judged_once_and_linked_to_both_items(
    tmp_path: Path, write_yaml: Callable[[str], Path]
) -> None:
    spec = yaml.safe_load(_exp(tmp_path, True))
    # "direct" under two labels: the same requests, so the same generations and verdicts
    spec["methods"] = ["direct", {"name": "direct", "label": "direct-again"}]
    outcome, run_dir = _run(write_yaml(yaml.safe_dump(spec)))
    assert outcome.plan_size == 12 and outcome.unique_requests == 6
    assert outcome.judged == 12  # 6 generations x 2 judges
    rows = run_results(run_dir)
    assert len(rows) == 12 and all(_judged_by(r) == ["guard", "refusal"] for r in rows)
    by_method: dict[str, dict[str, ResultRow]] = {}
    for r in rows:
        by_method.setdefault(r.method, {})[r.sample_id] = r
    once, again = by_method["direct"], by_method["direct-again"]
    assert set(once) == set(again) and len(once) == N
    for sid, r in once.items():  # both items point at the one generation and its verdicts
        assert again[sid].gen_key == r.gen_key and again[sid].verdicts == r.verdicts


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
