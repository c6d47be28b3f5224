"""safereason init: each scenario's starter validates, dry-runs, and the CPU ones run."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from safereason.cli import main
from safereason.experiment_file import load_experiment, parse_experiment
from safereason.init_cli import SCENARIOS, yaml_scalar
from safereason.report.outputs import write_outputs, write_report
from safereason.runner import Runner
from safereason.yaml_lines import LocatedYaml
from tests.conftest import FAKE_RULES

FIXTURES = Path(__file__).parents[1] / "fixtures" / "datasets"
# Local copies of the published sets the GPU and endpoint starters fetch from the Hub
# (this machine has no Hub access), in the sets' own published columns.
LOCAL_COPIES = {
    "gsm8k": FIXTURES / "gsm8k.jsonl",
    "harmbench": FIXTURES / "harmbench_walledai.parquet",
    "xstest": FIXTURES / "xstest_prompts.csv",
    "strongreject": FIXTURES / "strongreject_walledai.jsonl",
}
FAKE = {"name": "fake-model", "backend": "fake", "rules": FAKE_RULES, "default": "Sure: 7"}


def init(*argv: str) -> Any:
    return CliRunner().invoke(main, ["init", *argv])


def test_every_scenario_writes_a_file_the_config_loader_accepts(tmp_path: Path) -> None:
    for scenario in SCENARIOS:
        path = tmp_path / f"{scenario}.yaml"
        res = init(str(path), "--scenario", scenario)
        assert res.exit_code == 0, res.output
        exp = load_experiment(path)
        assert exp.name == scenario
        assert path.read_text().startswith("# ")  # commented
        assert f"safereason run {path}" in path.read_text()
    backends = {s: load_experiment(tmp_path / f"{s}.yaml").models[0].backend for s in SCENARIOS}
    assert backends == {
        "laptop": "llamacpp",
        "gpu-server": "vllm",
        "openai-endpoint": "openai",
        "own-dataset": "llamacpp",
    }


def dry_run(path: Path) -> str:
    res = CliRunner().invoke(main, ["run", str(path), "--dry-run", "--no-progress"])
    assert res.exit_code == 0, res.output
    assert "plan: " in res.output and "to generate: " in res.output
    return res.output


@pytest.mark.parametrize("scenario", ["laptop", "own-dataset"])
def test_the_cpu_starters_dry_run_as_written(
    scenario: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # output_dir and the example data path are relative
    assert init("exp.yaml", "--scenario", scenario).exit_code == 0
    out = dry_run(Path("exp.yaml"))
    # laptop: 3 methods x (6 + 6 x 2 attacks + 6); own-dataset: 3 x (4 example rows + 6)
    assert f"plan: {72 if scenario == 'laptop' else 30} items" in out


def with_local_copies(path: Path) -> None:
    """Point the starter's Hub benchmarks at local copies; everything else as written."""
    doc = yaml.safe_load(path.read_text())
    for b in doc["benchmarks"]:
        b["path"] = str(LOCAL_COPIES[b["name"]])
    path.write_text(yaml.safe_dump(doc, sort_keys=False))


def test_the_gpu_starter_dry_runs_on_a_local_model(tmp_path: Path) -> None:
    model = tmp_path / "my-model"
    model.mkdir()
    (model / "config.json").write_text(json.dumps({"model_type": "llama"}))
    (model / "model.safetensors").write_bytes(b"weights")  # hashed for the identity, not read
    path = tmp_path / "gpu.yaml"
    res = init(str(path), "--scenario", "gpu-server", "--model", str(model), "--n", "3")
    assert res.exit_code == 0, res.output
    exp = load_experiment(path)
    assert exp.models[0].options["tensor_parallel_size"] == 1
    with_local_copies(path)
    dry_run(path)


def test_the_endpoint_starter_dry_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MY_KEY", "sk-test")
    path = tmp_path / "api.yaml"
    res = init(
        str(path),
        "--scenario",
        "openai-endpoint",
        "--model",
        "my-served-model",
        "--base-url",
        "http://127.0.0.1:9/v1",
        "--api-key-env",
        "MY_KEY",
        "--n",
        "2",
    )
    assert res.exit_code == 0, res.output
    opts = load_experiment(path).models[0].options
    assert opts["base_url"] == "http://127.0.0.1:9/v1" and opts["api_key_env"] == "MY_KEY"
    with_local_copies(path)
    dry_run(path)  # a dry run asks the server nothing


def swap_model(path: Path, tmp_path: Path) -> Any:
    """The starter as written, with the fake backend as its model (no engine in unit tests)."""
    doc = LocatedYaml.from_file(path)
    return parse_experiment(doc, {"models": [FAKE], "output_dir": str(tmp_path / "runs")})


@pytest.mark.parametrize("scenario", ["laptop", "own-dataset"])
def test_the_cpu_starters_run_end_to_end_on_the_fake_backend(
    scenario: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert init("exp.yaml", "--scenario", scenario, "--n", "2").exit_code == 0
    exp = swap_model(Path("exp.yaml"), tmp_path)
    run_dir = tmp_path / "runs" / exp.name
    outcome = Runner(exp, run_dir, progress=False).run()
    assert outcome.generated == outcome.unique_requests > 0 and not outcome.failed
    rates = write_outputs(run_dir)
    write_report(run_dir)
    assert (run_dir / "report.html").is_file()
    assert {r.method for r in rates} == {"direct", "zero_shot_cot", "safety_aware_cot"}
    benches = {r.benchmark for r in rates}
    if scenario == "laptop":
        assert benches == {"procedural_math", "harmful_starter", "benign_lookalike"}
    else:
        assert benches == {"exp-prompts", "procedural_math"}


def test_own_dataset_points_at_the_users_file(tmp_path: Path) -> None:
    data = tmp_path / "my set.jsonl"
    data.write_text(json.dumps({"prompt": "Explain how vaccines train the immune system."}) + "\n")
    path = tmp_path / "own.yaml"
    res = init(str(path), "--scenario", "own-dataset", "--data", str(data), "--kind", "benign")
    assert res.exit_code == 0, res.output
    (local, _) = load_experiment(path).benchmarks
    assert local.options == {"path": str(data), "kind": "benign"}
    assert local.label == "my-set"
    assert not (tmp_path / "own-prompts.jsonl").exists()  # no example file beside a real one


def test_the_commented_tracking_block_validates(tmp_path: Path) -> None:
    path = tmp_path / "t.yaml"
    assert init(str(path), "--scenario", "laptop").exit_code == 0
    lines = path.read_text().splitlines()
    start = lines.index("# tracking:")
    uncommented = [*lines[:start], *(line[2:] for line in lines[start:] if line.startswith("# "))]
    path.write_text("\n".join(uncommented) + "\n")
    exp = load_experiment(path)
    assert exp.tracking is not None and exp.tracking.wandb is not None
    assert exp.tracking.mlflow is not None
    assert exp.tracking.mlflow.tracking_uri == "http://127.0.0.1:5000"


def test_an_existing_file_is_kept_without_force(tmp_path: Path) -> None:
    path = tmp_path / "exp.yaml"
    path.write_text("name: mine\n")
    res = init(str(path), "--scenario", "laptop")
    assert res.exit_code != 0
    assert "exists; pass --force" in res.output
    assert path.read_text() == "name: mine\n"
    assert init(str(path), "--scenario", "laptop", "--force").exit_code == 0
    assert load_experiment(path).name == "exp"


def test_values_that_need_quotes_are_quoted() -> None:
    assert yaml_scalar("Qwen/Qwen2.5-7B-Instruct") == "Qwen/Qwen2.5-7B-Instruct"
    for tricky in ("yes", "1.5", "a: b", "x # y", "{x}", "null", " lead"):
        assert yaml.safe_load(f"k: {yaml_scalar(tricky)}") == {"k": tricky}
