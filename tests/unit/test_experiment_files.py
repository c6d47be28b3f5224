"""Every file that ships in experiments/ is valid as it stands, whatever its name.

A file is told apart by its keys, not its name: a fine-tuning sweep has ``sweep:``, a
fine-tuning config has ``base:``, anything else is an experiment. Each goes through the
loader the CLI uses for it (``run``, ``finetune``, ``finetune-sweep``); a sweep's
evaluation experiment is validated too, as the sweep would write it. None of this loads a
data set or a model: plugin names and options are checked by building them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import pytest
import yaml

from safereason.experiment_file import load_experiment, parse_experiment
from safereason.finetune.config import load_finetune
from safereason.finetune.sweep import experiment_doc, load_sweep
from safereason.yaml_lines import LocatedYaml

ROOT = Path(__file__).resolve().parents[2]
FILES = sorted((ROOT / "experiments").glob("*.yaml"))

Kind = Literal["experiment", "finetune", "sweep"]


def kind_of(data: dict[str, Any]) -> Kind:
    """What a file is, by its top-level keys."""
    if "sweep" in data:
        return "sweep"
    if "base" in data:
        return "finetune"
    return "experiment"


def test_every_shipped_file_is_checked() -> None:
    assert len(FILES) >= 17
    kinds = {kind_of(yaml.safe_load(p.read_text(encoding="utf-8"))) for p in FILES}
    assert kinds == {"experiment", "finetune", "sweep"}


@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_shipped_file_is_valid(path: Path) -> None:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict), path
    kind = kind_of(data)
    if kind == "experiment":
        exp = load_experiment(path)
        assert exp.models and exp.methods and exp.benchmarks
    elif kind == "finetune":
        cfg = load_finetune(path)
        assert cfg.base and cfg.data.size > 0
    else:
        sweep = load_sweep(path)
        assert sweep.points and sweep.base.base
        # the evaluation experiment the sweep writes once it has trained its points
        doc = experiment_doc(sweep)
        exp = parse_experiment(LocatedYaml(yaml.safe_dump(doc), str(sweep.experiment_path)))
        assert len(exp.models) == len(sweep.points) + 1 and exp.benchmarks
