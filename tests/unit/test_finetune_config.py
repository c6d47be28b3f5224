"""Fine-tuning config errors, the sweep (points, dedupe, experiment) and the commands."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from safereason.cli import main
from safereason.errors import SafereasonError
from safereason.experiment_file import load_experiment
from safereason.finetune import MANIFEST
from safereason.finetune.cli import finetune_command
from safereason.finetune.config import FinetuneConfig, load_finetune
from safereason.finetune.sweep import already_trained, load_sweep, run_sweep
from safereason.hashing import content_key

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "finetune"

CONFIG = f"""\
base: some/model
output_dir: OUT
training:
  max_steps: 2
  batch_size: 2
data:
  size: 8
  sources:
    - {{name: gsm8k_train, path: {FIX / "gsm8k_train.jsonl"}, repeat: true}}
    - {{name: alpaca, path: {FIX / "alpaca.jsonl"}}}
  safety: {{style: reflective, ratio: 0.25}}
  holdout: [{{name: harmful_starter, n: 21}}]
"""


def write(tmp_path: Path, text: str, name: str = "ft.yaml") -> Path:
    p = tmp_path / name
    p.write_text(text.replace("OUT", str(tmp_path / "out")))
    return p


def test_valid_config_loads_with_defaults(tmp_path: Path) -> None:
    cfg = load_finetune(write(tmp_path, CONFIG))
    assert cfg.method == "lora" and cfg.lora.target_modules == "all-linear"
    assert cfg.training.system_prompt == "drop" and cfg.data.think.open == "<think>"
    assert cfg.data.safety.benchmarks[0].name == "harmful_starter"
    assert cfg.data.sources[0].repeat and cfg.data.sources[0].options == {
        "path": str(FIX / "gsm8k_train.jsonl")
    }


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("  max_steps: 2", "  max_stepz: 2", r"ft.yaml:4: training.max_stepz: unknown key"),
        ("  batch_size: 2", "  batch_size: 0", r"ft.yaml:5: training.batch_size: .*greater"),
        ("style: reflective", "style: reflect", r"ft.yaml:11: data.safety.style: Input should be"),
        ("name: alpaca", "name: alpacca", r"ft.yaml:10: .*did you mean 'alpaca'"),
        ("name: harmful_starter", "name: harmfull_starter", r"ft.yaml:12: unknown benchmark"),
        ("  size: 8\n", "", r"ft.yaml:6: data.size: required key is missing"),
        ("base: some/model\n", "", r"ft.yaml:1: base: required key is missing"),
        ("method", "method", ""),
    ],
)
def test_config_errors_name_key_and_line(tmp_path: Path, old: str, new: str, message: str) -> None:
    text = CONFIG.replace(old, new)
    if not message:
        text += "method: dora\n"
        message = r"ft.yaml:13: method: Input should be 'lora', 'qlora' or 'full'"
    with pytest.raises(SafereasonError, match=message):
        load_finetune(write(tmp_path, text))


def test_no_sources_needs_ratio_one(tmp_path: Path) -> None:
    text = CONFIG.split("  sources:")[0] + "  safety: {ratio: 0.5}\n"
    with pytest.raises(SafereasonError, match=r"ft.yaml:6: data.sources is empty"):
        load_finetune(write(tmp_path, text))


def test_identity_ignores_safety_options_without_safety_data(tmp_path: Path) -> None:
    cfg = load_finetune(write(tmp_path, CONFIG.replace("ratio: 0.25", "ratio: 0")))
    other = cfg.model_copy(deep=True)
    other.data.safety.style = "direct"
    assert content_key(cfg.identity()) == content_key(other.identity())
    moved = cfg.model_copy(update={"output_dir": "elsewhere"})
    assert content_key(moved.identity()) == content_key(cfg.identity())


# --- commands ------------------------------------------------------------------------------


def test_dry_run_writes_the_mixture(tmp_path: Path) -> None:
    res = CliRunner().invoke(main, ["finetune", str(write(tmp_path, CONFIG)), "--dry-run"])
    assert res.exit_code == 0, res.output
    assert "mixture: 8 examples" in res.output and "0 left" in res.output
    rows = [json.loads(x) for x in (tmp_path / "out" / "train.jsonl").read_text().splitlines()]
    stats = json.loads((tmp_path / "out" / "mixture.json").read_text())
    assert len(rows) == 8 and stats["safety"]["count"] == 2
    assert stats["holdout"]["excluded_exact"] == 21


def test_bad_config_is_one_line_and_exit_2(tmp_path: Path) -> None:
    bad = write(tmp_path, CONFIG.replace("max_steps", "max_stepz"))
    for cmd, args in ((main, ["finetune", str(bad)]), (finetune_command, [str(bad)])):
        res = CliRunner().invoke(cmd, args)
        assert res.exit_code == 2
        assert "training.max_stepz: unknown key" in res.output and "Traceback" not in res.output


# --- sweeps --------------------------------------------------------------------------------

SWEEP = CONFIG.replace("output_dir: OUT", "output_dir: OUT/sweep").replace(
    "  holdout: [{name: harmful_starter, n: 21}]\n", ""
).replace("base: some/model", "base: embedded") + textwrap.dedent(
    """\
        sweep:
          grid:
            data.safety.ratio: [0, 0.25]
            data.safety.style: [direct, reflective]
        experiment:
          path: OUT/eval.yaml
          methods: [direct, zero_shot_cot]
          benchmarks:
            - {name: harmful_starter, n: 21, attacks: [none, base64]}
            - {name: procedural_math, n: 5}
          generation: {max_tokens: 64}
          model: {batch_size: 2}
        """
)


def fake_train(calls: list[str]) -> Any:
    def train(cfg: FinetuneConfig) -> Path:
        calls.append(cfg.output_dir)
        out = Path(cfg.output_dir)
        out.mkdir(parents=True, exist_ok=True)
        (out / "adapter_config.json").write_text("{}")
        manifest = {"config_sha256": content_key(cfg.identity())}
        (out / MANIFEST).write_text(json.dumps(manifest))
        return out

    return train


def test_sweep_points_are_deduplicated_and_labelled(tmp_path: Path) -> None:
    sweep = load_sweep(write(tmp_path, SWEEP, "sweep.yaml"))
    assert [p.label for p in sweep.points] == ["ratio0", "ratio0.25-direct", "ratio0.25-reflective"]
    assert sweep.points[0].values == {"data.safety.ratio": 0}
    cfg = sweep.points[2].config
    assert cfg.output_dir == str(tmp_path / "out" / "sweep" / "ratio0.25-reflective")
    assert cfg.data.safety.style == "reflective" and cfg.data.safety.ratio == 0.25
    # the experiment's benchmarks are every point's holdout
    assert [(h.name, h.options) for h in cfg.data.holdout] == [
        ("harmful_starter", {"n": 21}),
        ("procedural_math", {"n": 5}),
    ]


def test_sweep_trains_each_point_once_and_writes_a_valid_experiment(tmp_path: Path) -> None:
    sweep = load_sweep(write(tmp_path, SWEEP, "sweep.yaml"))
    calls: list[str] = []
    path = run_sweep(sweep, fake_train(calls))
    assert len(calls) == 3 and path == tmp_path / "out" / "eval.yaml"
    exp = load_experiment(path)  # the hf backend is registered, so this checks every model
    labels = [m.display for m in exp.models]
    assert labels == ["base", "ft-ratio0", "ft-ratio0.25-direct", "ft-ratio0.25-reflective"]
    assert all(m.backend == "hf" and m.name == "embedded" for m in exp.models)
    assert exp.models[0].options == {"batch_size": 2}
    assert exp.models[3].options["adapter"] == calls[2]
    assert [m.name for m in exp.methods] == ["direct", "zero_shot_cot"]
    assert exp.benchmarks[0].attacks[1].name == "base64"
    assert exp.name == "eval" and exp.generation.max_tokens == 64
    doc = yaml.safe_load(path.read_text())
    assert "path" not in doc and "model" not in doc

    again: list[str] = []
    run_sweep(load_sweep(tmp_path / "sweep.yaml"), fake_train(again))
    assert again == []  # already trained with the same config
    assert already_trained(sweep.points[0].config)
    run_sweep(load_sweep(tmp_path / "sweep.yaml"), fake_train(again), force=True)
    assert len(again) == 3


def test_sweep_full_method_evaluates_the_saved_model(tmp_path: Path) -> None:
    text = SWEEP.replace("base: embedded", "base: embedded\nmethod: full")
    sweep = load_sweep(write(tmp_path, text, "sweep.yaml"))
    run_sweep(sweep, fake_train([]))
    doc = yaml.safe_load((tmp_path / "out" / "eval.yaml").read_text())
    assert doc["models"][1]["name"] == sweep.points[0].config.output_dir
    assert "adapter" not in doc["models"][1]


def test_sweep_dry_run_command_writes_the_experiment(tmp_path: Path) -> None:
    path = write(tmp_path, SWEEP, "sweep.yaml")
    res = CliRunner().invoke(main, ["finetune-sweep", str(path), "--dry-run"])
    assert res.exit_code == 0, res.output
    assert (tmp_path / "out" / "eval.yaml").exists()
    assert not (tmp_path / "out" / "sweep").exists()


def test_sweep_errors(tmp_path: Path) -> None:
    bad = SWEEP.replace("data.safety.style: [direct, reflective]", "data.safety.style: [loud]")
    with pytest.raises(SafereasonError, match=r"sweep point ratio0-loud: .*style"):
        load_sweep(write(tmp_path, bad, "sweep.yaml"))
    with pytest.raises(SafereasonError, match=r"sweep.yaml:1: sweep: required key is missing"):
        load_sweep(write(tmp_path, CONFIG, "sweep.yaml"))
    bad = SWEEP.replace("methods: [direct, zero_shot_cot]", "methods: [direct, zero_shot_cott]")
    with pytest.raises(SafereasonError, match="unknown method 'zero_shot_cott'"):
        run_sweep(load_sweep(write(tmp_path, bad, "sweep.yaml")), fake_train([]))


def test_sweep_over_sources_is_labelled_by_source_names(tmp_path: Path) -> None:
    grid = (
        "sweep:\n  grid:\n    data.sources:\n"
        f"      - [{{name: alpaca, path: {FIX / 'alpaca.jsonl'}}}]\n"
        f"      - [{{name: code, path: {FIX / 'code.jsonl'}}}, {{name: alpaca, label: al}}]\n"
    )
    text = SWEEP.split("sweep:\n")[0] + grid + "experiment:\n" + SWEEP.split("experiment:\n")[1]
    sweep = load_sweep(write(tmp_path, text, "sweep.yaml"))
    assert [p.label for p in sweep.points] == ["alpaca", "code+al"]
    assert [s.name for s in sweep.points[1].config.data.sources] == ["code", "alpaca"]
