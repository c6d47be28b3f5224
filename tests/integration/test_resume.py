"""kill -9 part-way through a real run, resume, and get exactly the uninterrupted results."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.held_cli import held_cli, wait_until_held
from tests.rows import run_results, stored_generations

LLAMACPP = "safereason.backends.llamacpp:LlamaCppBackend"

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def _experiment(tmp_path: Path) -> Path:
    spec = {
        "name": "resume",
        "models": [{"name": "embedded-small", "n_ctx": 1024}],
        "methods": ["direct", "zero_shot_cot"],
        "benchmarks": [
            {"name": "procedural_math", "n": 3, "seed": 3},
            {"name": "harmful_starter", "n": 5},
        ],
        "generation": {"max_tokens": 40},
        "batch_size": 1,
        "cache": None,
    }
    p = tmp_path / "resume.yaml"
    p.write_text(yaml.safe_dump(spec))
    return p


def _cmd(cfg: Path, out: Path) -> list[str]:
    return [
        sys.executable,
        "-m",
        "safereason.cli",
        "run",
        str(cfg),
        "--out",
        str(out),
        "--no-progress",
    ]


def _results(run: Path) -> dict[str, tuple[str, dict[str, str]]]:
    rows = [json.loads(x) for x in (run / "results.jsonl").read_text().splitlines()]
    return {
        r["item_id"]: (r["completion"]["text"], {k: v["label"] for k, v in r["verdicts"].items()})
        for r in rows
    }


def test_kill_9_then_resume_matches_uninterrupted_run(
    tmp_path: Path, small_model_path: str
) -> None:
    cfg = _experiment(tmp_path)
    clean, killed = tmp_path / "clean", tmp_path / "killed"
    subprocess.run(_cmd(cfg, clean), check=True, capture_output=True, timeout=600)

    # the engine holds its fifth request until the kill: exactly four are stored
    marker = tmp_path / "four-answered"
    held = held_cli(marker, 4, LLAMACPP, *_cmd(cfg, killed)[3:])
    proc = subprocess.Popen(held, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_until_held(proc, marker)
    os.kill(proc.pid, signal.SIGKILL)
    proc.communicate()
    stored = stored_generations(killed / "store.sqlite")
    assert stored == 4

    again = subprocess.run(_cmd(cfg, killed), capture_output=True, text=True, timeout=600)
    assert again.returncode == 0, again.stderr
    assert f"reused {stored} from the store" in again.stdout

    assert _results(killed) == _results(clean)
    rows = run_results(killed)
    gen_keys = {r.gen_key for r in rows}
    assert len(rows) == 16 and len(gen_keys) == 16
    assert all(r.completion is not None for r in rows)
    assert stored_generations(killed / "store.sqlite") == 16  # each request stored once
