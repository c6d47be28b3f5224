"""A real run on ``embedded-small`` gives the same results and summary as its golden copy.

llama.cpp's CPU kernels differ by instruction set (AVX2, AVX-512, ...), and so do greedy
texts: the golden copy records the ``llama_print_system_info`` CPU line it was written on
(``small_cpu.txt``). On that kind of CPU every file must match exactly; on another one the
run must still give the same items, requests (generation keys), prompts and judges, row for
row, and the texts are not compared.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import run_experiment
from tests.unit.test_golden_outputs import GOLDEN, _normalised, check_golden

pytestmark = [pytest.mark.integration, pytest.mark.slow]

CPU_FILE = GOLDEN / "small_cpu.txt"
# what a completion's text decides: left out when the golden copy came from another CPU
TEXT_DEPENDENT = ("completion", "verdicts")


def _cpu() -> str:
    import llama_cpp

    info = llama_cpp.llama_print_system_info().decode()
    return next((p.strip() for p in info.split("\n") if p.startswith("CPU")), info.strip())


def _request_side(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each result row without what its generated text decides (text, tokens, verdicts),
    keeping which judges gave a verdict."""
    out = []
    for r in rows:
        row = {k: v for k, v in r.items() if k not in TEXT_DEPENDENT}
        row["judges"] = sorted(r.get("verdicts", {}))
        out.append(row)
    return out


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
    if os.environ.get("SAFEREASON_WRITE_GOLDEN") == "1":
        CPU_FILE.write_text(_cpu() + "\n", encoding="utf-8")
    if CPU_FILE.read_text(encoding="utf-8").strip() == _cpu():
        for out in ("results.jsonl", "summary.json", "report.json"):
            check_golden(f"small_{Path(out).stem}", run_dir / out, run_dir)
        return
    got = _request_side(_normalised(run_dir / "results.jsonl", run_dir))
    want = _request_side(_normalised(GOLDEN / "small_results.jsonl", run_dir))
    assert got == want, "results.jsonl differs from the golden copy before generation"
    summary = json.loads((run_dir / "summary.json").read_text(encoding="utf-8"))
    golden = json.loads((GOLDEN / "small_summary.json").read_text(encoding="utf-8"))
    assert summary["items"] == golden["items"]
