"""A real run on ``embedded-small`` gives the same results and summary as its golden copy."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import run_experiment
from tests.unit.test_golden_outputs import check_golden

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def test_embedded_small_run_gives_the_golden_files(tmp_path: Path) -> None:
    spec = {
        "name": "golden-small",
        "models": [{"name": "embedded-small", "n_ctx": 1024}],
        "methods": ["direct", "zero_shot_cot"],
        "benchmarks": [
            {"name": "procedural_math", "n": 3, "seed": 3},
            {"name": "harmful_starter", "n": 4, "attacks": ["none", "refusal_suppression"]},
            {"name": "benign_lookalike", "n": 3},
        ],
        "generation": {"max_tokens": 48},
        "cache": None,
    }
    _, run_dir = run_experiment(tmp_path, spec, tmp_path / "run", outputs=True, report=True)
    for out in ("results.jsonl", "summary.json", "report.json"):
        check_golden(f"small_{Path(out).stem}", run_dir / out, run_dir)
