"""safereason export: a run as a Hugging Face dataset on disk and as Inspect AI eval logs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from safereason.cli import main
from safereason.results import ResultRow
from safereason.store import Store
from tests.conftest import run_experiment

RULES = [
    {"match": "step by step", "reply": "<think>2+3=5, 5*2=10</think>So the answer is \\boxed{10}."},
    {"match": "directly", "reply": "I'm sorry, but I can't help with that."},
]


@pytest.fixture(scope="module")
def finished(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A finished fake run with its outputs: reasoning traces, two judges on harmful items."""
    root = tmp_path_factory.mktemp("export")
    spec = {
        "name": "exported",
        "models": [{"name": "fake-model", "backend": "fake", "rules": RULES, "default": "Sure: 7"}],
        "methods": ["direct", "zero_shot_cot"],
        "benchmarks": [
            {"name": "procedural_math", "n": 2, "seed": 1},
            {"name": "harmful_starter", "n": 2, "attacks": ["none", "refusal_suppression"]},
        ],
        "judges": {"harmful": ["refusal", {"name": "refusal", "target": "reasoning"}]},
        "cache": None,
    }
    _, run_dir = run_experiment(root, spec, root / "run", outputs=True)
    return run_dir


def stored(run_dir: Path) -> list[ResultRow]:
    store = Store(run_dir / "store.sqlite")
    try:
        return store.results()
    finally:
        store.close()


def export(*argv: str) -> Any:
    return CliRunner().invoke(main, ["export", *argv])


def test_hf_dataset_has_one_row_per_result_and_reloads(finished: Path, tmp_path: Path) -> None:
    from datasets import load_from_disk

    out = tmp_path / "ds"
    res = export(str(finished), "--format", "hf-dataset", "--output", str(out))
    assert res.exit_code == 0, res.output
    ds = load_from_disk(str(out))
    rows = stored(finished)
    assert len(ds) == len(rows) == 12
    by_id = {r["item_id"]: r for r in ds}
    for row in rows:
        got = by_id[row.item_id]
        assert got["prompt"] == row.prompt and got["target"] == row.target
        assert (got["model"], got["method"], got["benchmark"], got["attack"]) == (
            row.model,
            row.method,
            row.benchmark,
            row.attack,
        )
        assert row.completion is not None
        assert got["response"] == row.completion.text
        assert got["reasoning"] == row.completion.reasoning
        assert got["messages"][-1]["content"] == row.sample.messages[-1].content
        verdicts = {v["judge"]: v for v in got["verdicts"]}
        assert set(verdicts) == set(row.verdicts)
        for key, v in row.verdicts.items():
            assert verdicts[key]["label"] == v.label and verdicts[key]["score"] == v.score
            assert json.loads(verdicts[key]["details"]) == v.details
    assert any(r["reasoning"] for r in ds)  # zero_shot_cot answers carry a trace
    assert {len(r["verdicts"]) for r in ds if r["kind"] == "harmful"} == {2}

    # an existing export is replaced only with --force
    again = export(str(finished), "--format", "hf-dataset", "--output", str(out))
    assert again.exit_code != 0 and "pass --force" in again.output
    forced = export(str(finished), "--format", "hf-dataset", "--output", str(out), "--force")
    assert forced.exit_code == 0, forced.output
    assert len(load_from_disk(str(out))) == 12


def test_the_exported_dataset_is_a_local_benchmark(finished: Path, tmp_path: Path) -> None:
    from safereason import plugins

    out = tmp_path / "ds"
    assert export(str(finished), "--format", "hf-dataset", "--output", str(out)).exit_code == 0
    bench = plugins.benchmarks.build("local", {"path": str(out), "kind": "harmful"})
    prompts = [s.prompt for s in bench.load()]
    assert prompts == [r.prompt for r in stored(finished)]


def test_inspect_logs_read_back_with_inspect_ai(finished: Path, tmp_path: Path) -> None:
    from inspect_ai.log import read_eval_log

    from safereason.export_inspect import cell_file

    out = tmp_path / "logs"
    res = export(str(finished), "--format", "inspect", "--output", str(out))
    assert res.exit_code == 0, res.output
    rows = stored(finished)
    cells = {(r.model, r.method, r.benchmark, r.attack) for r in rows}
    assert sorted(p.name for p in out.iterdir()) == sorted(cell_file(c) for c in cells)
    summary = json.loads((finished / "summary.json").read_text())
    assert len(cells) == 6
    for cell in cells:
        log = read_eval_log(str(out / cell_file(cell)))
        model, method, benchmark, attack = cell
        assert log.status == "success"
        assert (log.eval.model, log.eval.task) == (model, f"safereason/{benchmark}")
        assert log.eval.task_args == {"method": method, "attack": attack}
        mine = {r.sample_id: r for r in rows if (r.model, r.method, r.benchmark, r.attack) == cell}
        assert log.samples is not None and len(log.samples) == len(mine)
        for s in log.samples:
            row = mine[str(s.id)]
            assert row.completion is not None
            assert s.output.completion == row.completion.text
            assert s.metadata["prompt"] == row.prompt
            assert {k: sc.value for k, sc in (s.scores or {}).items()} == {
                k: v.label for k, v in row.verdicts.items()
            }
            reasoning = (
                [
                    c.reasoning
                    for c in s.messages[-1].content
                    if not isinstance(c, str) and c.type == "reasoning"
                ]
                if isinstance(s.messages[-1].content, list)
                else []
            )
            assert reasoning == ([row.completion.reasoning] if row.completion.reasoning else [])
        assert log.results is not None
        expected = {
            (r["judge"], r["metric"]): r
            for r in summary["rates"]
            if (r["model"], r["method"], r["benchmark"], r["attack"]) == cell
        }
        got = {(sc.scorer, sc.name): sc for sc in log.results.scores}
        assert set(got) == set(expected)
        for key, r in expected.items():
            assert got[key].metrics["n"].value == r["n"]
            if r["value"] is not None:
                assert got[key].metrics["rate"].value == pytest.approx(r["value"])
