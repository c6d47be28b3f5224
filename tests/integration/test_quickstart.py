"""The quickstart command end to end on the small embedded model."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from safereason.presets import QUICKSTART_ATTACKS

pytestmark = [pytest.mark.integration, pytest.mark.slow]

METHODS = ("direct", "zero_shot_cot", "few_shot_cot(k=2)", "safety_aware_cot")


def test_quickstart_small(tmp_path: Path, small_model_path: str) -> None:
    out = tmp_path / "qs"
    args = [
        "--model",
        "embedded-small",
        "--n-math",
        "1",
        "--n-arithmetic",
        "1",
        "--n-harmful",
        "1",
        "--max-tokens",
        "24",
        "--harmful-max-tokens",
        "16",
    ]
    p = subprocess.run(
        [
            sys.executable,
            "-m",
            "safereason.cli",
            "quickstart",
            *args,
            "--out",
            str(out),
            "--no-progress",
        ],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert p.returncode == 0, p.stderr
    assert "accuracy" in p.stdout and "refusal_rate" in p.stdout and str(out) in p.stdout
    assert "harmful_content_rate" in p.stdout
    summary = json.loads((out / "summary.json").read_text())
    cells = {(r["method"], r["benchmark"], r["attack"], r["metric"]) for r in summary["rates"]}
    expected = {
        (m, b, "none", "accuracy") for m in METHODS for b in ("procedural_math", "arithmetic")
    }
    expected |= {
        (m, "harmful_starter", a, metric)
        for m in METHODS
        for a in QUICKSTART_ATTACKS
        for metric in ("refusal_rate", "harmful_content_rate")
    }
    assert cells == expected
    # both safety judges were scored on the shipped hand labels (calibration: starter)
    report = json.loads((out / "report.json").read_text())
    assert {c["judge"] for c in report["calibration"]} == {"harm_classifier", "refusal"}
    assert report["harm_basis"]["judge"] == "harm_classifier"
    assert all(r["n"] == 1 for r in summary["rates"])
