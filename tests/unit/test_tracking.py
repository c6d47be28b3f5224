"""Tracking: a finished run logged to MLflow (a local file store) and W&B (offline mode)."""

from __future__ import annotations

import json
import struct
import time
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from safereason.cli import main
from safereason.errors import SafereasonError
from safereason.experiment_file import load_experiment
from safereason.store import Store
from safereason.tracking import metric_key
from tests.conftest import FAKE_RULES


def experiment(root: Path, tracking: dict[str, Any]) -> Path:
    spec = {
        "name": "tracked",
        "models": [{"name": "fake-model", "backend": "fake", "rules": FAKE_RULES}],
        "methods": ["direct", "zero_shot_cot"],
        "benchmarks": [
            {"name": "procedural_math", "n": 2, "seed": 1},
            {"name": "harmful_starter", "n": 2},
        ],
        "output_dir": str(root / "runs"),
        "cache": None,
        "tracking": tracking,
    }
    path = root / "exp.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    return path


@pytest.fixture
def offline(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WANDB_MODE", "offline")
    monkeypatch.setenv("WANDB_SILENT", "true")
    for var in ("MLFLOW_TRACKING_URI", "MLFLOW_ALLOW_FILE_STORE", "WANDB_DIR", "WANDB_PROJECT"):
        monkeypatch.delenv(var, raising=False)


def run(*argv: str) -> Any:
    return CliRunner().invoke(main, list(argv))


def mlflow_runs(uri: str, name: str, monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    from mlflow.tracking import MlflowClient

    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")  # for this reader only
    client = MlflowClient(tracking_uri=uri)
    exp = client.get_experiment_by_name(name)
    assert exp is not None
    return list(client.search_runs([exp.experiment_id], order_by=["attributes.start_time"]))


def test_mlflow_gets_the_grid_the_rates_and_the_report(
    tmp_path: Path, offline: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mlflow.tracking import MlflowClient

    uri = f"file:{tmp_path / 'mlruns'}"
    cfg = experiment(tmp_path, {"mlflow": {"tracking_uri": uri, "tags": {"team": "c"}}})
    res = run("run", str(cfg), "--no-progress")
    assert res.exit_code == 0, res.output
    assert "tracking: logged to mlflow" in res.output
    run_dir = tmp_path / "runs" / "tracked"
    summary = json.loads((run_dir / "summary.json").read_text())

    (logged,) = mlflow_runs(uri, "tracked", monkeypatch)
    assert logged.info.status == "FINISHED"
    params, metrics, tags = logged.data.params, logged.data.metrics, logged.data.tags
    assert params["grid.methods"] == "direct, zero_shot_cot"
    assert params["grid.benchmarks"] == "procedural_math, harmful_starter"
    assert params["models.0.backend"] == "fake"
    assert params["benchmarks.0.n"] == "2"
    assert tags["team"] == "c"
    assert tags["safereason.run_dir"] == str(run_dir.resolve())
    cells = [r for r in summary["rates"] if r["value"] is not None]
    assert cells
    for r in cells:
        key = metric_key(
            "/".join(r[k] for k in ("model", "method", "benchmark", "attack", "metric"))
        )
        assert metrics[key] == pytest.approx(r["value"])
        assert metrics[key + ".n"] == r["n"]
    assert metrics["run.items"] == summary["items"]

    client = MlflowClient(tracking_uri=uri)
    names = {a.path for a in client.list_artifacts(logged.info.run_id)}
    assert {"report.html", "report.json", "summary.json", "summary.md"} <= names
    got = Path(client.download_artifacts(logged.info.run_id, "summary.json", str(tmp_path)))
    assert got.read_bytes() == (run_dir / "summary.json").read_bytes()

    # `safereason report` logs the run again, as a new MLflow run of the same experiment
    res = run("report", str(run_dir))
    assert res.exit_code == 0, res.output
    assert len(mlflow_runs(uri, "tracked", monkeypatch)) == 2
    assert run("report", str(run_dir), "--no-tracking").exit_code == 0
    assert len(mlflow_runs(uri, "tracked", monkeypatch)) == 2


def wandb_records(run_file: Path) -> list[Any]:
    """The protobuf records of an offline W&B run file (LevelDB-style log: 7-byte file
    header, then 32 KiB blocks of records, each with a 7-byte header; long records span
    blocks as FIRST/MIDDLE/LAST pieces)."""
    from wandb.proto import wandb_internal_pb2 as pb

    data = run_file.read_bytes()
    assert data[:4] == b":W&B"
    pos, block, pieces, out = 7, 32768, b"", []
    while pos + 7 <= len(data):
        left = block - pos % block
        if left < 7:  # a block's tail too short for a header is padding
            pos += left
            continue
        _crc, size, kind = struct.unpack("<IHB", data[pos : pos + 7])
        if size == 0 and kind == 0:
            pos += left
            continue
        if pos + 7 + size > len(data):  # a record still being written
            break
        chunk, pos = data[pos + 7 : pos + 7 + size], pos + 7 + size
        pieces = chunk if kind in (1, 2) else pieces + chunk
        if kind in (1, 4):  # FULL or LAST: a whole record
            rec = pb.Record()
            rec.ParseFromString(pieces)
            out.append(rec)
    return out


def test_wandb_offline_gets_the_config_the_rates_and_the_report(
    tmp_path: Path, offline: None
) -> None:
    wb_dir = tmp_path / "wb"
    cfg = experiment(
        tmp_path, {"wandb": {"project": "sr-test", "mode": "offline", "dir": str(wb_dir)}}
    )
    res = run("run", str(cfg), "--no-progress")
    assert res.exit_code == 0, res.output
    assert "tracking: logged to wandb (project 'sr-test'" in res.output
    summary = json.loads((tmp_path / "runs" / "tracked" / "summary.json").read_text())

    (run_file,) = wb_dir.glob("wandb/offline-run-*/run-*.wandb")
    # W&B's service process writes the file on its own time: wait for the run's exit record
    deadline = time.monotonic() + 60
    while True:
        records = wandb_records(run_file)
        if any(r.WhichOneof("record_type") == "exit" for r in records):
            break
        assert time.monotonic() < deadline, "the offline run never got its exit record"
        time.sleep(0.2)
    by_type: dict[str, list[Any]] = {}
    for r in records:
        by_type.setdefault(r.WhichOneof("record_type"), []).append(r)
    (start,) = by_type["run"]
    assert start.run.project == "sr-test"
    config = {u.key: json.loads(u.value_json) for u in start.run.config.update}
    assert [m["name"] for m in config["methods"]] == ["direct", "zero_shot_cot"]
    history = {
        "/".join(i.nested_key) or i.key: json.loads(i.value_json)
        for h in by_type["history"]
        for i in h.history.item
    }
    cells = [r for r in summary["rates"] if r["value"] is not None]
    for r in cells:
        key = metric_key(
            "/".join(r[k] for k in ("model", "method", "benchmark", "attack", "metric"))
        )
        assert history[key] == pytest.approx(r["value"])
    assert history["rates/_type"] == "table-file"
    (art,) = [a for a in by_type["artifact"] if a.artifact.name == "tracked-report"]
    assert art.artifact.type == "report"
    files = {c.path for c in art.artifact.manifest.contents}
    assert {"report.html", "report.json", "summary.json"} <= files


def test_a_tracking_failure_keeps_every_result(tmp_path: Path, offline: None) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    cfg = experiment(tmp_path, {"mlflow": {"tracking_uri": f"file:{blocker}/mlruns"}})
    res = run("run", str(cfg), "--no-progress")
    assert res.exit_code != 0
    last = res.output.strip().splitlines()[-1]
    assert last.startswith("error: tracking (mlflow) failed: "), res.output
    assert "safereason report" in last and "Traceback" not in res.output
    run_dir = tmp_path / "runs" / "tracked"
    for f in ("results.jsonl", "summary.json", "report.html"):
        assert (run_dir / f).is_file()
    store = Store(run_dir / "store.sqlite")
    try:
        lines = (run_dir / "results.jsonl").read_text().splitlines()
        assert len(store.results()) == len(lines) == 8  # 2 methods x (2 + 2) items
        assert store.count("verdicts") > 0
    finally:
        store.close()


def test_a_missing_package_names_the_extra(
    tmp_path: Path, offline: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "wandb" else real(name, *a)
    )
    cfg = experiment(tmp_path, {"wandb": True})
    with pytest.raises(SafereasonError) as e:
        load_experiment(cfg)
    assert str(e.value).startswith(f"{cfg}:")
    assert "tracking.wandb needs the wandb package: pip install 'safereason[tracking]'" in str(
        e.value
    )


def test_metric_names_are_ones_mlflow_accepts() -> None:
    assert (
        metric_key("m/few_shot_cot(k=4)/b/none/accuracy") == "m/few_shot_cot_k_4_/b/none/accuracy"
    )
    assert ".." not in metric_key("a/../b")
