"""The same experiment gives the same output files: results, summary and report data.

The golden files under ``tests/fixtures/golden`` were written by this test
(``SAFEREASON_WRITE_GOLDEN=1``) before a refactoring; a change that alters a number, a
label or a row fails here. A deliberate change of behaviour (a new judge version, a new
metric) rewrites them in the same commit, and the commit says why.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from safereason.report.outputs import write_report
from tests.report_demo import demo_run

GOLDEN = Path(__file__).parents[1] / "fixtures" / "golden"
TIMED = {"latency_s"}


def _normalised(path: Path, run_dir: Path) -> Any:
    """A JSON or JSONL file's content with the run's own temporary path taken out."""
    text = path.read_text(encoding="utf-8").replace(str(run_dir), "<run>")
    if path.suffix == ".jsonl":
        return [_untimed(json.loads(line)) for line in text.splitlines()]
    return _untimed(json.loads(text))


def _untimed(obj: Any) -> Any:
    """``obj`` without wall-clock fields (a completion's latency), which no run repeats."""
    if isinstance(obj, dict):
        return {k: _untimed(v) for k, v in obj.items() if k not in TIMED}
    if isinstance(obj, list):
        return [_untimed(v) for v in obj]
    return obj


def check_golden(name: str, path: Path, run_dir: Path) -> None:
    """Compare an output file with its golden copy (or write the copy when asked)."""
    got = _normalised(path, run_dir)
    golden = GOLDEN / f"{name}{path.suffix}"
    if os.environ.get("SAFEREASON_WRITE_GOLDEN") == "1":
        golden.parent.mkdir(parents=True, exist_ok=True)
        lines = (
            "\n".join(json.dumps(r, ensure_ascii=False, sort_keys=True) for r in got) + "\n"
            if isinstance(got, list) and path.suffix == ".jsonl"
            else json.dumps(got, indent=1, ensure_ascii=False, sort_keys=True) + "\n"
        )
        golden.write_text(lines, encoding="utf-8")
    assert golden.exists(), f"no golden file {golden}: run with SAFEREASON_WRITE_GOLDEN=1"
    want = _normalised(golden, run_dir)
    assert got == want, f"{path.name} differs from {golden}"


@pytest.mark.parametrize("out", ["results.jsonl", "summary.json", "report.json"])
def test_fake_backend_run_gives_the_golden_files(tmp_path: Path, out: str) -> None:
    run_dir = demo_run(tmp_path, name="golden")
    write_report(run_dir)
    check_golden(f"fake_{Path(out).stem}", run_dir / out, run_dir)
