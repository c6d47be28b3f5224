"""Experiment tracking: a finished run's grid, per-cell rates and report logged to MLflow
and Weights & Biases (the ``tracking:`` key of an experiment).

Tracking runs after the run's outputs are written, from what is on disk (the store's
resolved experiment, ``summary.json``, the report files), so a tracking failure never
touches a stored result: it is reported in one line and ``safereason report RUN_DIR``
logs the run again.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import re
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from safereason.errors import SafereasonError, one_line

EXTRA = "pip install 'safereason[tracking]'"
# What is logged as artifacts, when the run has it.
ARTIFACTS = (
    "report.html",
    "report.md",
    "report.json",
    "summary.json",
    "summary.md",
    "config.resolved.yaml",
)
# MLflow refuses a parameter value longer than this.
MAX_PARAM = 6000


class MlflowTracking(BaseModel):
    """Where and how a run is logged to MLflow."""

    model_config = ConfigDict(extra="forbid", strict=True)
    # default: MLflow's own (MLFLOW_TRACKING_URI, else ./mlruns)
    tracking_uri: str | None = None
    # default: the experiment's name
    experiment: str | None = None
    # default: the experiment's name
    run_name: str | None = None
    tags: dict[str, str] = Field(default_factory=dict)


class WandbTracking(BaseModel):
    """Where and how a run is logged to Weights & Biases."""

    model_config = ConfigDict(extra="forbid", strict=True)
    # default: the experiment's name
    project: str | None = None
    entity: str | None = None
    # default: W&B's own (WANDB_MODE, else online)
    mode: Literal["online", "offline", "disabled"] | None = None
    # where W&B keeps its local files (default: W&B's own, ./wandb)
    dir: str | None = None
    run_name: str | None = None
    tags: list[str] = Field(default_factory=list)


class Tracking(BaseModel):
    """The integrations a run is logged to (``mlflow: {}`` or ``true`` for the defaults)."""

    model_config = ConfigDict(extra="forbid", strict=True)
    mlflow: MlflowTracking | None = None
    wandb: WandbTracking | None = None

    @field_validator("mlflow", "wandb", mode="before")
    @classmethod
    def _flag(cls, v: Any) -> Any:
        if v is True:
            return {}
        return None if v is False else v


PACKAGES = {"mlflow": "mlflow", "wandb": "wandb"}


def check_tracking(tracking: Tracking) -> None:
    """Refuse, before any work, an integration whose package is not installed."""
    for backend in ("mlflow", "wandb"):
        if getattr(tracking, backend) is not None:
            require(backend)


def require(backend: str) -> None:
    """One line naming the extra when ``backend``'s package is missing."""
    package = PACKAGES[backend]
    if importlib.util.find_spec(package) is None:
        raise SafereasonError(f"tracking.{backend} needs the {package} package: {EXTRA}")


def track_run(run_dir: Path, console: Any = None) -> list[str]:
    """Log a run whose outputs are written to every integration its experiment names.

    Returns one line per integration that failed (none when all logged, or none is
    configured); a failure in one never stops the others.
    """
    from safereason.store import Store

    store = Store(run_dir / "store.sqlite")
    try:
        exp = store.get_meta("experiment", {}) or {}
    finally:
        store.close()
    raw = exp.get("tracking")
    if not raw:
        return []
    tracking = Tracking.model_validate(raw)
    summary = json.loads((run_dir / "summary.json").read_text(encoding="utf-8"))
    run = TrackedRun(run_dir, exp, summary)
    loggers: dict[str, tuple[Any, Callable[[Any, TrackedRun], str]]] = {
        "mlflow": (tracking.mlflow, log_mlflow),
        "wandb": (tracking.wandb, log_wandb),
    }
    problems = []
    for backend, (settings, log) in loggers.items():
        if settings is None:
            continue
        try:
            require(backend)
            where = log(settings, run)
        except Exception as e:  # a tracking failure is reported, never raised
            detail = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
            problems.append(
                f"tracking ({backend}) failed: {one_line(detail)[:300]}; the run's results "
                f"are stored in {run_dir}; `safereason report {run_dir}` logs them again"
            )
            continue
        if console is not None:
            console.print(f"tracking: logged to {backend} ({where})", soft_wrap=True)
    return problems


class TrackedRun:
    """What is logged of a run: its parameters, per-cell metrics and artifact files."""

    def __init__(self, run_dir: Path, exp: Mapping[str, Any], summary: Mapping[str, Any]):
        self.run_dir = run_dir
        self.name = str(exp.get("name") or run_dir.name)
        self.experiment = {k: v for k, v in exp.items() if k != "tracking"}
        self.summary = summary

    def params(self) -> dict[str, str]:
        """The grid as flat ``key.path: value`` strings (lists by index), plus its labels."""
        out = {k: _short(v) for k, v in _flatten(self.experiment)}
        rates = self.summary.get("rates", [])
        for axis in ("model", "method", "benchmark", "attack"):
            labels = list(dict.fromkeys(str(r[axis]) for r in rates))
            out[f"grid.{axis}s"] = _short(", ".join(labels))
        out["run_dir"] = str(self.run_dir.resolve())
        return out

    def metrics(self) -> dict[str, float]:
        """Each grid cell's rate (and its interval, n) keyed
        ``model/method/benchmark/attack/metric``; then the run's totals."""
        out: dict[str, float] = {}
        for r in self.summary.get("rates", []):
            key = "/".join(str(r[k]) for k in ("model", "method", "benchmark", "attack", "metric"))
            for field, suffix in (("value", ""), ("lo", ".lo"), ("hi", ".hi"), ("n", ".n")):
                if isinstance(r.get(field), int | float):
                    out[metric_key(key + suffix)] = float(r[field])
        for total in ("items", "generated", "undecided", "fallback"):
            if isinstance(self.summary.get(total), int | float):
                out[f"run.{total}"] = float(self.summary[total])
        return out

    def rate_rows(self) -> list[dict[str, Any]]:
        """``summary.json``'s rates, one dict per grid cell and metric."""
        return [dict(r) for r in self.summary.get("rates", [])]

    def artifacts(self) -> list[Path]:
        """The report and summary files the run has."""
        return [self.run_dir / f for f in ARTIFACTS if (self.run_dir / f).is_file()]


def metric_key(key: str) -> str:
    """A metric name both MLflow and W&B accept: other characters become ``_``."""
    key = re.sub(r"[^\w.\- /]", "_", key)
    return re.sub(r"\.\.+", "_", key)


def _flatten(obj: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
    if isinstance(obj, Mapping):
        for k, v in obj.items():
            yield from _flatten(v, f"{prefix}{k}.")
    elif isinstance(obj, list) and obj and any(isinstance(x, Mapping | list) for x in obj):
        for i, v in enumerate(obj):
            yield from _flatten(v, f"{prefix}{i}.")
    elif obj is not None:
        yield prefix.rstrip("."), obj


def _short(v: Any) -> str:
    text = v if isinstance(v, str) else json.dumps(v, ensure_ascii=False)
    return text if len(text) <= MAX_PARAM else text[: MAX_PARAM - 1] + "…"


def _chunks(xs: list[Any], n: int) -> Iterator[list[Any]]:
    for i in range(0, len(xs), n):
        yield xs[i : i + n]


def log_mlflow(settings: MlflowTracking, run: TrackedRun) -> str:
    """One MLflow run: the grid as params, the rates as metrics, the report as artifacts."""
    with _file_store_allowed(settings.tracking_uri):
        try:
            return _log_mlflow(settings, run)
        except Exception as e:
            if "MLFLOW_ALLOW_FILE_STORE" not in str(e):
                raise
            raise SafereasonError(
                "MLflow 3 opens a local ./mlruns store only when asked: set tracking_uri to an "
                "MLflow server (http://...), to file:PATH, or to sqlite:///mlflow.db (that "
                "needs the full mlflow package)"
            ) from None


def _log_mlflow(settings: MlflowTracking, run: TrackedRun) -> str:
    import time

    from mlflow.entities import Metric, Param, RunTag
    from mlflow.tracking import MlflowClient

    from safereason import __version__

    client = MlflowClient(tracking_uri=settings.tracking_uri)
    name = settings.experiment or run.name
    found = client.get_experiment_by_name(name)
    exp_id = found.experiment_id if found else client.create_experiment(name)
    tags = {
        "safereason.run_dir": str(run.run_dir.resolve()),
        "safereason.version": __version__,
        **settings.tags,
    }
    created = client.create_run(exp_id, run_name=settings.run_name or run.name, tags=tags)
    run_id = created.info.run_id
    try:
        params = [Param(k, v) for k, v in run.params().items()]
        for batch in _chunks(params, 100):
            client.log_batch(run_id, params=batch)
        now = int(time.time() * 1000)
        metrics = [Metric(k, v, now, 0) for k, v in run.metrics().items()]
        for batch in _chunks(metrics, 1000):
            client.log_batch(run_id, metrics=batch)
        client.log_batch(run_id, tags=[RunTag("safereason.experiment", run.name)])
        for path in run.artifacts():
            client.log_artifact(run_id, str(path))
    except BaseException:
        client.set_terminated(run_id, status="FAILED")
        raise
    client.set_terminated(run_id)
    return f"experiment {name!r}, run {run_id}"


@contextlib.contextmanager
def _file_store_allowed(uri: str | None) -> Iterator[None]:
    """A ``file:`` tracking URI the experiment names is MLflow's explicit opt-in to its
    filesystem store (which MLflow 3 otherwise refuses); the variable is restored after."""
    if not (uri or "").startswith("file:"):
        yield
        return
    before = os.environ.get("MLFLOW_ALLOW_FILE_STORE")
    os.environ["MLFLOW_ALLOW_FILE_STORE"] = "true"
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("MLFLOW_ALLOW_FILE_STORE", None)
        else:
            os.environ["MLFLOW_ALLOW_FILE_STORE"] = before


def log_wandb(settings: WandbTracking, run: TrackedRun) -> str:
    """One W&B run: the experiment as config, the rates as summary metrics and a table,
    the report files as an artifact."""
    import wandb

    if settings.dir is not None:
        Path(settings.dir).mkdir(parents=True, exist_ok=True)
    wb = wandb.init(
        project=settings.project or run.name,
        entity=settings.entity,
        name=settings.run_name or run.name,
        dir=settings.dir,
        mode=settings.mode,
        tags=settings.tags or None,
        config={**run.experiment, "run_dir": str(run.run_dir.resolve())},
        job_type="safereason",
        reinit="create_new",
        settings=wandb.Settings(silent=True, console="off", x_disable_stats=True),
    )
    try:
        metrics = run.metrics()
        rows = run.rate_rows()
        names = list(rows[0]) if rows else []
        columns: list[str | int] = list(names)
        table = wandb.Table(columns=columns, data=[[r.get(c) for c in names] for r in rows])
        wb.log({**metrics, "rates": table})
        wb.summary.update(metrics)
        files = run.artifacts()
        if files:
            art = wandb.Artifact(re.sub(r"[^\w.-]", "_", f"{run.name}-report"), type="report")
            for path in files:
                art.add_file(str(path))
            wb.log_artifact(art)
    except BaseException:
        wb.finish(exit_code=1)
        raise
    where = f"project {wb.project!r}, run {wb.id}"
    wb.finish()
    return where
