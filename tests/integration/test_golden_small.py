"""A real run on ``embedded-small`` gives the same results and summary as its golden copy."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from safereason.config import load_experiment
from safereason.report.outputs import write_outputs, write_report
from safereason.runner import Runner
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
    cfg = tmp_path / "golden-small.yaml"
    cfg.write_text(yaml.safe_dump(spec))
    run_dir = tmp_path / "run"
    Runner(load_experiment(cfg), run_dir, progress=False).run()
    write_outputs(run_dir)
    write_report(run_dir)
    for out in ("results.jsonl", "summary.json", "report.json"):
        check_golden(f"small_{Path(out).stem}", run_dir / out, run_dir)
