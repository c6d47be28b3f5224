"""The paper's GPU presets plan with ``safereason run --dry-run``.

Each preset's methods, attacks, judges and options go through the real planner as they
ship; only what needs a GPU or the hub is swapped: every model (under test and judge) for
the scripted fake backend, keeping its label, and each hub data set for a small local file
in its published layout (``n`` items). An AIR file in the artifacts' own layout matches
two of the three JailbreakBench behaviours, so the third is left out and counted.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from safereason.cli import main

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "fixtures" / "datasets"
PRESETS = ["paper.yaml", "paper-multi-model.yaml", "paper-air-case-study.yaml"]
N = {"gsm8k": 2, "harmbench": 2, "jailbreakbench": 3, "trustllm_privacy": 2}
FILES = {
    "gsm8k": "gsm8k.jsonl",
    "harmbench": "harmbench_behaviors_text_all.csv",
    "jailbreakbench": "jbb_harmful_behaviors.csv",
    "trustllm_privacy": "trustllm_privacy_awareness.json",
}


def _fake(entry: dict[str, Any]) -> dict[str, Any]:
    return {"name": "fake-model", "backend": "fake", "label": entry.get("label") or entry["name"]}


def _air_file(tmp_path: Path) -> Path:
    """AIR's own layout: the behaviour as ``request``, the attack as ``request_reformulated``."""
    import csv

    with (DATA / FILES["jailbreakbench"]).open(newline="") as f:
        goals = [row["Goal"] for row in csv.DictReader(f)][:2]
    p = tmp_path / "air.jsonl"
    p.write_text(
        "".join(
            json.dumps({"request": g, "request_reformulated": f"Story: someone who {g}"}) + "\n"
            for g in goals
        )
    )
    return p


def _local(spec: dict[str, Any], tmp_path: Path) -> tuple[dict[str, Any], int]:
    """The preset with fake models and local data; and the plan size expected."""
    spec = dict(spec)
    spec["models"] = [_fake(m) for m in spec["models"]]
    spec["judges"] = {
        kind: [
            {**j, "model": {"name": "fake-model", "backend": "fake"}} if "model" in j else j
            for j in (refs or [])
        ]
        for kind, refs in (spec.get("judges") or {}).items()
    }
    air = _air_file(tmp_path)
    per_method = 0
    benches = []
    for b in spec["benchmarks"]:
        b = dict(b)
        name = b["name"]
        b.update(path=str(DATA / FILES[name]), n=N[name])
        attacks = []
        for a in b.get("attacks", ["none"]):
            a = {"name": a} if isinstance(a, str) else dict(a)
            if a["name"] == "implicit_reference":
                a["path"] = str(air)
                per_method += 2  # one behaviour has no row: left out
            else:
                per_method += N[name]
            attacks.append(a)
        b["attacks"] = attacks
        benches.append(b)
    spec["benchmarks"] = benches
    spec["output_dir"] = str(tmp_path / "runs")
    spec["cache"] = None
    return spec, per_method * len(spec["methods"]) * len(spec["models"])


@pytest.mark.parametrize("preset", PRESETS)
def test_preset_plans_with_a_dry_run(preset: str, tmp_path: Path) -> None:
    shipped = yaml.safe_load((ROOT / "experiments" / preset).read_text())
    spec, expected = _local(shipped, tmp_path)
    cfg = tmp_path / preset
    cfg.write_text(yaml.safe_dump(spec, sort_keys=False))
    result = CliRunner().invoke(main, ["run", str(cfg), "--dry-run", "--no-progress"])
    assert result.exit_code == 0, result.output
    m = re.search(r"plan: (\d+) items", result.output)
    assert m is not None, result.output
    assert int(m.group(1)) == expected
    assert "1 of 3 samples left out" in result.output  # the behaviour without an AIR row
    assert not (tmp_path / "runs" / spec["name"] / "store.sqlite").exists()  # nothing written


def test_the_multi_model_preset_has_seven_models_and_every_family() -> None:
    multi = yaml.safe_load((ROOT / "experiments" / "paper-multi-model.yaml").read_text())
    paper = yaml.safe_load((ROOT / "experiments" / "paper.yaml").read_text())
    assert len(multi["models"]) == 7
    assert multi["methods"] == paper["methods"] and multi["benchmarks"] == paper["benchmarks"]
    air = yaml.safe_load((ROOT / "experiments" / "paper-air-case-study.yaml").read_text())
    assert len(air["models"]) == 1 and air["methods"] == paper["methods"]
    (jbb,) = [b for b in air["benchmarks"] if b["name"] == "jailbreakbench"]
    assert [a if isinstance(a, str) else a["name"] for a in jbb["attacks"]] == [
        "none",
        "implicit_reference",
    ]
