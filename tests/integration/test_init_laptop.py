"""The laptop starter of ``safereason init`` runs as written on a real engine."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from safereason.cli import main

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def test_the_laptop_starter_runs_as_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # the file's output_dir is relative, as a user runs it
    argv = ["--scenario", "laptop", "--model", "embedded-small", "--n", "1", "--max-tokens", "32"]
    made = CliRunner().invoke(main, ["init", "exp.yaml", *argv])
    assert made.exit_code == 0, made.output
    ran = CliRunner().invoke(main, ["run", "exp.yaml", "--no-progress"])
    assert ran.exit_code == 0, ran.output
    run_dir = tmp_path / "runs" / "exp"
    rows = [json.loads(x) for x in (run_dir / "results.jsonl").read_text().splitlines()]
    # 3 methods x (1 math item + 1 harmful item x 2 attacks + 1 benign item)
    assert len(rows) == 12
    assert all(r["completion"] and r["verdicts"] for r in rows)
    assert (run_dir / "report.html").is_file()
