"""An engine error is never a generation: not stored, not cached, counted, retried after the
fix; and a changed experiment leaves none of the old plan's rows in the run's results."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from safereason.cli import main
from safereason.config import Experiment
from safereason.errors import SafereasonError
from safereason.experiment_file import load_experiment
from safereason.runner import Runner
from safereason.store import Store
from safereason.types import Completion, GenParams, Message, Request
from tests.conftest import FAKE_RULES


def spec(tmp_path: Path, **fake: Any) -> dict[str, Any]:
    """Harmful prompts (short) and word problems (long) on the fake model."""
    return {
        "name": "e",
        "models": [{"name": "fake-model", "backend": "fake", "rules": FAKE_RULES, **fake}],
        "methods": ["direct"],
        "benchmarks": [
            {"name": "procedural_math", "n": 2, "seed": 1},
            {"name": "harmful_starter", "n": 2},
        ],
        "output_dir": str(tmp_path / "runs"),
        "cache": str(tmp_path / "cache.sqlite"),
    }


def run(tmp_path: Path, **fake: Any) -> Any:
    exp = Experiment.model_validate(spec(tmp_path, **fake))
    return Runner(exp, tmp_path / "runs" / "e", progress=False).run()


def stores(tmp_path: Path) -> tuple[Store, Store]:
    return Store(tmp_path / "runs" / "e" / "store.sqlite"), Store(tmp_path / "cache.sqlite")


def test_a_prompt_that_does_not_fit_is_counted_not_stored_and_retried(tmp_path: Path) -> None:
    out = run(tmp_path, n_ctx=40)  # word problems are longer than 40 words
    assert out.failed == 2 and out.generated == 2
    assert out.errors and all("n_ctx=N" in why for why in out.errors)
    assert "2 of 4 requests could not be generated" in out.failure_summary()
    run_store, cache = stores(tmp_path)
    rows = run_store.results()
    math = [r for r in rows if r.sample.kind == "reasoning"]
    assert math and all(r.completion is None and not r.verdicts for r in math)
    assert all(r.completion is not None for r in rows if r.sample.kind == "harmful")
    # neither store holds an error as a generation; the run store lists what failed
    assert run_store.count("generations") == cache.count("generations") == 2
    assert [e["items"] for e in run_store.errors()] == [1, 1]
    assert all("does" not in e["reason"] or "n_ctx" in e["reason"] for e in run_store.errors())
    run_store.close()
    cache.close()
    # the same settings try again (nothing was stored); a larger context is another key
    again = run(tmp_path, n_ctx=40)
    assert again.failed == 2 and again.stored_before == 2
    fixed = run(tmp_path, n_ctx=4000)
    assert fixed.failed == 0 and fixed.generated == 4  # n_ctx is in the generation key
    run_store, cache = stores(tmp_path)
    assert run_store.errors() == []
    assert all(r.completion is not None and r.verdicts for r in run_store.results())
    run_store.close()
    cache.close()


def test_a_failed_request_is_retried_by_the_next_run(tmp_path: Path) -> None:
    out = run(tmp_path, fail="bake|virus|tax|identit")
    assert out.failed >= 1
    run_store, cache = stores(tmp_path)
    n = run_store.count("generations")
    assert n == out.generated and cache.count("generations") == n
    assert {e["reason"] for e in run_store.errors()} == {"failed"}
    run_store.close()
    cache.close()
    healed = run(tmp_path)  # the fault is gone: only what failed is generated
    assert healed.generated == out.failed and healed.failed == 0


def test_store_never_keeps_an_error_and_replaces_an_old_one(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.sqlite")
    req = Request("k1", "m", (Message("user", "hi"),), GenParams())
    assert store.put_generations([(req, Completion("k1", "", finish_reason="error: x"))]) == 0
    assert store.put_generations([(req, Completion("k1", "", finish_reason="failed"))]) == 0
    assert store.has_generations({"k1"}) == set() and store.count("generations") == 0
    # a row an older version stored (an error as the answer): never used, then replaced.
    # Raw SQL on purpose: no current code path writes such a row, only an old store has it
    old = sqlite3.connect(tmp_path / "s.sqlite")
    with old:
        old.execute(
            "INSERT INTO generations VALUES ('k1', 'm', '{}', ?, 0)",
            ('{"key": "k1", "text": "", "finish_reason": "error: too long"}',),
        )
    old.close()
    assert store.has_generations({"k1"}) == set() and store.completions({"k1"}) == {}
    store.put_generations([(req, Completion("k1", "hello"))])
    assert store.completions({"k1"})["k1"].text == "hello"
    store.close()


def test_cli_ends_with_one_line_counting_the_failures(tmp_path: Path) -> None:
    p = tmp_path / "e.yaml"
    p.write_text(yaml.safe_dump(spec(tmp_path, n_ctx=40)))
    res = CliRunner().invoke(main, ["run", str(p), "--no-progress"])
    assert res.exit_code == 2
    lines = [x for x in res.stderr.splitlines() if x.strip()]
    assert len(lines) == 1 and "2 of 4 requests could not be generated" in lines[0]
    assert "n_ctx" in lines[0] and "run the same command again" in lines[0]


def test_nothing_generated_writes_no_report(tmp_path: Path) -> None:
    p = tmp_path / "e.yaml"
    p.write_text(yaml.safe_dump(spec(tmp_path, n_ctx=1)))
    res = CliRunner().invoke(main, ["run", str(p), "--no-progress"])
    assert res.exit_code == 2 and "4 of 4 requests" in res.stderr
    assert not (tmp_path / "runs" / "e" / "report.html").exists()
    assert not (tmp_path / "runs" / "e" / "results.jsonl").exists()


def test_a_judge_model_error_is_neither_cached_nor_read(tmp_path: Path) -> None:
    exp = spec(tmp_path)
    exp["judges"] = {
        "harmful": [{"name": "rubric", "model": {"name": "j", "backend": "fake", "n_ctx": 3}}]
    }
    exp["benchmarks"] = [{"name": "harmful_starter", "n": 2}]
    with pytest.raises(SafereasonError, match="could not answer 2 of 2 requests"):
        Runner(Experiment.model_validate(exp), tmp_path / "runs" / "e", progress=False).run()
    run_store, cache = stores(tmp_path)
    assert run_store.count("verdicts") == 0
    assert cache.count("generations") == 2  # the model under test's answers only
    run_store.close()
    cache.close()


def test_a_changed_experiment_leaves_no_stale_rows(tmp_path: Path) -> None:
    first = spec(tmp_path)
    first["methods"] = ["direct", "zero_shot_cot"]
    first["judges"] = {"harmful": ["refusal", {"name": "refusal", "label": "refusal2"}]}
    p = tmp_path / "e.yaml"
    p.write_text(yaml.safe_dump(first))
    Runner(load_experiment(p), tmp_path / "runs" / "e", progress=False).run()
    run_store, _ = stores(tmp_path)
    generations = run_store.count("generations")
    assert len(run_store.results()) == 2 * 4
    run_store.close()

    second = spec(tmp_path)  # one method, one harmful judge, fewer samples
    second["benchmarks"] = [{"name": "harmful_starter", "n": 1}]
    second["judges"] = {"harmful": ["refusal"]}
    p.write_text(yaml.safe_dump(second))
    out = Runner(load_experiment(p), tmp_path / "runs" / "e", progress=False).run()
    assert out.dropped == 7 and out.generated == 0  # reused, nothing new
    run_store, _ = stores(tmp_path)
    rows = run_store.results()
    assert [(r.method, r.benchmark) for r in rows] == [("direct", "harmful_starter")]
    assert set(rows[0].verdicts) == {"refusal"}  # the dropped judge's links are gone
    assert run_store.count("generations") == generations  # old generations stay for reuse
    run_store.close()


def test_dry_run_writes_nothing(tmp_path: Path) -> None:
    exp = Experiment.model_validate(spec(tmp_path))
    out = Runner(exp, tmp_path / "runs" / "e", progress=False).run(dry_run=True)
    assert out.plan_size == 4 and out.estimate["requests"] == 4
    assert not (tmp_path / "runs" / "e" / "store.sqlite").exists()
    assert not (tmp_path / "cache.sqlite").exists()


def test_a_damaged_store_is_one_line_naming_the_file(tmp_path: Path) -> None:
    run(tmp_path)
    path = tmp_path / "runs" / "e" / "store.sqlite"
    data = bytearray(path.read_bytes())
    page = 4096
    for i in range(page, min(len(data), 3 * page)):  # garble the pages after the header
        data[i] = 0x5A
    path.write_bytes(bytes(data))
    res = CliRunner().invoke(main, ["report", str(tmp_path / "runs" / "e")])
    assert res.exit_code != 0
    lines = [x for x in res.stderr.splitlines() if x.strip()]
    assert len(lines) == 1 and str(path) in lines[0] and "Traceback" not in res.output
