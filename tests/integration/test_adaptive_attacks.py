"""Each attack that queries the target, and each reasoning-trace attack, in a real run on
``embedded-small`` (target, attacker and evaluator alike), at tiny sizes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from safereason.store import Store
from tests.conftest import run_experiment

pytestmark = [pytest.mark.integration, pytest.mark.slow]

SMALL = {"name": "embedded-small", "n_ctx": 2048}
TOOLS = {"attacker": SMALL, "evaluator": SMALL, "attacker_max_tokens": 48}


def run(tmp_path: Path, attack: dict[str, Any]) -> list[Any]:
    spec = {
        "name": f"adaptive-{attack['label']}",
        "models": [SMALL],
        "methods": ["direct"],
        "benchmarks": [{"name": "harmful_starter", "n": 1, "attacks": [attack]}],
        "judges": {"harmful": ["refusal"]},
        "generation": {"max_tokens": 32},
        "cache": None,  # everything the search asks is stored in the run store
    }
    _, run_dir = run_experiment(tmp_path, spec, tmp_path / "run")
    again, _ = run_experiment(tmp_path, spec, tmp_path / "run")
    assert again.generated == 0  # the search and the item were stored: nothing again
    store = Store(run_dir / "store.sqlite")
    rows = store.results()
    store.close()
    assert rows and all(r.completion is not None and "refusal" in r.verdicts for r in rows)
    return rows


def test_pair_on_embedded_small(tmp_path: Path) -> None:
    (row,) = run(tmp_path, {"name": "pair", "label": "pair", "streams": 1, "rounds": 2, **TOOLS})
    info = row.sample.meta["attack"]
    assert 1 <= info["queries"] <= 2 and info["rounds"] == info["queries"]
    assert info["attacker_queries"] == info["queries"] == info["evaluator_queries"]
    assert row.sample.user_text == info["final_prompt"]


def test_tap_on_embedded_small(tmp_path: Path) -> None:
    attack = {"name": "tap", "label": "tap", "branching": 2, "width": 1, "depth": 2, **TOOLS}
    (row,) = run(tmp_path, attack)
    info = row.sample.meta["attack"]
    assert info["attacker_queries"] >= 2 and info["queries"] <= 4
    assert info["queries"] + info["pruned_off_topic"] <= info["attacker_queries"]


def test_multi_turn_on_embedded_small(tmp_path: Path) -> None:
    attack = {"name": "multi_turn", "label": "mt", "planner": "attacker", "turns": 2}
    (row,) = run(tmp_path, {**attack, "attacker": SMALL, "attacker_max_tokens": 48})
    assert [m.role for m in row.sample.messages] == ["user", "assistant", "user"]
    assert row.sample.meta["attack"]["queries"] == 2


def test_cot_hijack_on_embedded_small(tmp_path: Path) -> None:
    (row,) = run(tmp_path, {"name": "cot_hijack", "label": "hijack"})
    assert row.sample.messages[-1].role == "assistant"
    # the forged trace was continued: it is the completion's reasoning (or, unclosed, all)
    text = (row.completion.reasoning or "") + row.completion.text
    assert "authorised safety-research" in text


def test_thinking_pressure_on_embedded_small(tmp_path: Path) -> None:
    (row,) = run(tmp_path, {"name": "thinking_pressure", "label": "budget", "mode": "budget"})
    assert row.sample.meta["attack"]["thinking_budget"] == 16
