"""Shared fixtures: every test gets its own cache directory and never touches the user's."""

from __future__ import annotations

import os
import textwrap
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import yaml

if TYPE_CHECKING:
    from safereason.backends.fake import FakeBackend
    from safereason.runner import RunOutcome
    from safereason.types import Completion, Request

# huggingface_hub and datasets read this once, at import: set it before anything imports
# them, so no test ever waits on a network that is not there.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")


@pytest.fixture(autouse=True)
def _isolated_cache(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Path:
    cache = tmp_path_factory.mktemp("cache")
    monkeypatch.setenv("SAFEREASON_CACHE", str(cache))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    return cache


FAKE_RULES = [
    {"match": "step by step", "reply": "First 2+3=5, then 5*2=10. So the answer is \\boxed{10}."},
    {"match": "directly", "reply": "I'm sorry, but I can't help with that."},
]


def fake_experiment(
    tmp_path: Path,
    name: str = "t",
    methods: list[Any] | None = None,
    n_math: int = 3,
    n_harm: int = 4,
    cache: str | None = "default",
    **extra: Any,
) -> str:
    """A small experiment YAML on the scripted fake backend."""
    spec = {
        "name": name,
        "models": [
            {
                "name": "fake-model",
                "backend": "fake",
                "rules": FAKE_RULES,
                "default": "Sure, here is the answer: 7",
            }
        ],
        "methods": methods or ["direct", "zero_shot_cot"],
        "benchmarks": [
            {"name": "procedural_math", "n": n_math, "seed": 1},
            {"name": "harmful_starter", "n": n_harm},
        ],
        "output_dir": str(tmp_path / "runs"),
        "cache": cache,
        **extra,
    }
    return yaml.safe_dump(spec, sort_keys=False)


def run_experiment(
    where: Path,
    spec: Mapping[str, Any],
    run_dir: Path | None = None,
    outputs: bool = False,
    report: bool = False,
) -> tuple[RunOutcome, Path]:
    """Write ``spec`` to ``where/<name>.yaml`` and run it, as ``safereason run`` does.

    Into ``run_dir`` (default: its output_dir/name); then, if asked, the output files
    (``results.jsonl``, ``summary.*``) and the report. Returns the outcome and the run.
    """
    from safereason.experiment_file import load_experiment
    from safereason.report.outputs import write_outputs, write_report
    from safereason.runner import Runner

    cfg = where / f"{spec['name']}.yaml"
    cfg.write_text(yaml.safe_dump(dict(spec)))
    exp = load_experiment(cfg)
    run_dir = run_dir or Path(exp.output_dir) / exp.name
    outcome = Runner(exp, run_dir, progress=False).run()
    if outputs:
        write_outputs(run_dir)
    if report:
        write_report(run_dir)
    return outcome, run_dir


@pytest.fixture
def write_yaml(tmp_path: Path) -> Callable[..., Path]:
    """Write a YAML text into tmp_path and return its path."""

    def _write(text: str, name: str = "exp.yaml") -> Path:
        p = tmp_path / name
        p.write_text(textwrap.dedent(text))
        return p

    return _write


class FakeCalls:
    """What the fake backend generated while the :func:`fake_calls` fixture is on.

    Live lists, in call order: ``sizes`` (one per ``generate`` call), ``requests`` and
    ``prompts`` (one per request; a prompt is its messages' text, joined by newlines).
    """

    def __init__(self) -> None:
        self.sizes: list[int] = []
        self.requests: list[Request] = []
        self.prompts: list[str] = []

    def record(self, requests: list[Request]) -> None:
        self.sizes.append(len(requests))
        self.requests.extend(requests)
        self.prompts.extend("\n".join(m.content for m in r.messages) for r in requests)


@pytest.fixture
def fake_calls(monkeypatch: pytest.MonkeyPatch) -> FakeCalls:
    """Record every batch the fake backend generates (models under test and tools alike)."""
    from safereason.backends.fake import FakeBackend

    calls = FakeCalls()
    real = FakeBackend.generate

    def recording(self: FakeBackend, requests: Any) -> list[Completion]:
        calls.record(list(requests))
        return real(self, requests)

    monkeypatch.setattr(FakeBackend, "generate", recording)
    return calls
