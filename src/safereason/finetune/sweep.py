"""A grid of fine-tuning runs, and the experiment that evaluates them against the base.

A sweep file is a fine-tuning config plus two sections::

    sweep:
      grid: {data.safety.ratio: [0, 0.01, 0.05, 0.1], data.safety.style: [direct, reflective]}
    experiment:            # an experiment without `models` (written with them filled in)
      benchmarks: [...]
      path: experiments/my-sweep-eval.yaml   # default: <sweep file>-eval.yaml beside it

Each grid point (dotted keys into the config) trains into ``output_dir/<label>``.
Points that train the same thing (e.g. every style at ratio 0) are trained once. The
experiment's benchmarks are always added to every point's holdout, so no training
prompt is an evaluation prompt. A point whose manifest already records the same config
is not trained again (``--force`` retrains).
"""

from __future__ import annotations

import copy
import itertools
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from safereason.errors import SafereasonError
from safereason.finetune import MANIFEST
from safereason.finetune.config import FinetuneConfig, parse_finetune
from safereason.hashing import content_key
from safereason.yaml_lines import LocatedYaml, validation_error


class SweepSpec(BaseModel):
    """The grid: dotted config keys, each with the values to try."""

    model_config = ConfigDict(extra="forbid")
    grid: dict[str, list[Any]] = Field(min_length=1)


@dataclass
class Point:
    """One distinct training run of the sweep."""

    label: str
    values: dict[str, Any]
    config: FinetuneConfig


def _short(key: str, value: Any) -> str:
    """``ratio0.05`` for numbers, the value itself for words, names for named entries."""
    name = key.split(".")[-1]
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and "name" in value:
        return str(value.get("label") or value["name"])
    if isinstance(value, list) and value:
        return "+".join(_short(key, v) for v in value)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return f"{name}{value}"


def _label(values: dict[str, Any]) -> str:
    text = "-".join(_short(k, v) for k, v in values.items()) or "point"
    return re.sub(r"[^\w.+-]+", "_", text)


def _set(data: dict[str, Any], dotted: str, value: Any) -> None:
    node = data
    parts = dotted.split(".")
    for part in parts[:-1]:
        child = node.get(part)
        if not isinstance(child, dict):
            child = {}
            node[part] = child
        node = child
    node[parts[-1]] = value


def _holdout_key(ref: Any) -> str:
    return content_key(ref if isinstance(ref, dict) else {"name": ref})


@dataclass
class Sweep:
    """A parsed sweep file: its points, and the experiment to write."""

    source: Path
    base: FinetuneConfig
    points: list[Point]
    experiment: dict[str, Any]
    experiment_path: Path


def load_sweep(path: Path) -> Sweep:
    """Read a sweep file; every point's config is validated before anything is trained."""
    doc = LocatedYaml.from_file(path)
    if not isinstance(doc.data, dict):
        raise SafereasonError(f"{path}: a sweep must be a YAML mapping")
    raw = dict(doc.data)
    for key in ("sweep", "experiment"):
        if key not in raw:
            raise SafereasonError(f"{doc.where([])}: {key}: required key is missing")
    try:
        spec = SweepSpec.model_validate(raw.pop("sweep"))
    except ValidationError as e:
        raise validation_error(e, doc, ("sweep",)) from None
    exp = raw.pop("experiment")
    if not isinstance(exp, dict) or not exp.get("benchmarks"):
        raise SafereasonError(f"{doc.where(['experiment'])}: experiment: needs `benchmarks`")
    exp = dict(exp)
    exp_path = Path(exp.pop("path", None) or path.with_name(f"{path.stem}-eval.yaml"))
    base = parse_finetune(raw, doc)
    for key, options in spec.grid.items():
        if not options:
            raise SafereasonError(f"{doc.where(['sweep', 'grid', key])}: {key}: no values")

    holdout = list(raw.get("data", {}).get("holdout") or [])
    have = {_holdout_key(h) for h in holdout}
    for b in exp["benchmarks"]:
        ref = dict(b) if isinstance(b, dict) else {"name": b}
        ref.pop("attacks", None)
        ref.pop("max_tokens", None)
        if _holdout_key(ref) not in have:
            holdout.append(ref)
            have.add(_holdout_key(ref))

    seen: dict[str, Point] = {}
    merged: dict[str, list[dict[str, Any]]] = {}
    keys = list(spec.grid)
    for combo in itertools.product(*(spec.grid[k] for k in keys)):
        values = dict(zip(keys, combo, strict=True))
        data = copy.deepcopy(raw)
        for k, v in values.items():
            _set(data, k, v)
        _set(data, "data.holdout", copy.deepcopy(holdout))
        label = _label(values)
        data["output_dir"] = str(Path(str(raw.get("output_dir", "adapters"))) / label)
        try:
            cfg = parse_finetune(data, doc, check=False)
        except SafereasonError as e:
            raise SafereasonError(f"sweep point {label}: {e}") from None
        ident = content_key(cfg.identity())
        if ident in seen:
            merged[ident].append(values)
            continue
        seen[ident] = Point(label, values, cfg)
        merged[ident] = [values]
    points = []
    for ident, point in seen.items():
        group = merged[ident]
        if len(group) > 1:  # keep only the keys that tell these points apart from others
            same = {k: v for k, v in point.values.items() if all(g[k] == v for g in group)}
            point.label = _label(same)
            point.values = same
            point.config = point.config.model_copy(
                update={"output_dir": str(Path(base.output_dir) / point.label)}
            )
        points.append(point)
    labels = [p.label for p in points]
    if len(set(labels)) != len(labels):
        raise SafereasonError(f"{path}: sweep points share a label: {labels}")
    return Sweep(path, base, points, exp, exp_path)


def already_trained(cfg: FinetuneConfig) -> bool:
    """Whether ``output_dir`` holds a finished run of exactly this config."""
    manifest = Path(cfg.output_dir) / MANIFEST
    try:
        done = json.loads(manifest.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return bool(done.get("config_sha256") == content_key(cfg.identity()))


def experiment_doc(sweep: Sweep) -> dict[str, Any]:
    """The evaluation experiment: the base model and one model per point, as hf models."""
    from safereason.finetune.train import model_entry

    exp = dict(sweep.experiment)
    options = dict(exp.pop("model", None) or {})
    name = exp.pop("name", None) or re.sub(r"[^\w.-]+", "_", sweep.experiment_path.stem)
    models = [{**model_entry(sweep.base, "base", adapter=False), **options}]
    for p in sweep.points:
        models.append({**model_entry(p.config, f"ft-{p.label}"), **options})
    return {"name": name, "models": models, **exp}


def write_experiment(sweep: Sweep) -> Path:
    """Validate the evaluation experiment and write it as YAML."""
    from safereason.experiment_file import parse_experiment

    doc = experiment_doc(sweep)
    points = "; ".join(f"ft-{p.label}: {p.values}" for p in sweep.points)
    text = (
        f"# Written by `safereason finetune-sweep {sweep.source}`: the base model and each\n"
        f"# fine-tuned point ({points}).\n"
        f"# Run it once the sweep has trained them: safereason run {sweep.experiment_path}\n"
        + yaml.safe_dump(
            doc, sort_keys=False, allow_unicode=True, width=100, default_flow_style=None
        )
    )
    parse_experiment(LocatedYaml(text, str(sweep.experiment_path)))
    sweep.experiment_path.parent.mkdir(parents=True, exist_ok=True)
    sweep.experiment_path.write_text(text, encoding="utf-8")
    return sweep.experiment_path


def run_sweep(
    sweep: Sweep,
    train: Callable[[FinetuneConfig], Any],
    force: bool = False,
    log: Callable[[str], None] = lambda s: None,
    write: bool = True,
) -> Path:
    """Train every point not trained yet, then write the evaluation experiment."""
    for i, p in enumerate(sweep.points, 1):
        if not force and already_trained(p.config):
            log(f"[{i}/{len(sweep.points)}] {p.label}: already trained in {p.config.output_dir}")
            continue
        log(f"[{i}/{len(sweep.points)}] {p.label}: training into {p.config.output_dir}")
        train(p.config)
    return write_experiment(sweep) if write else sweep.experiment_path
