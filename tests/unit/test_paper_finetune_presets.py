"""The paper's fine-tuning presets (issue 15 item 4): every fine-tuned model evaluated under
the Default, Helpful and CoT prompts with privacy awareness; the scaling sweeps, the
regeneration sweep and the comparison figure, each validated as the CLI reads it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from safereason.experiment_file import load_experiment
from safereason.finetune.cli import sweep_command
from safereason.finetune.mixture import allocate
from safereason.finetune.sweep import load_sweep

ROOT = Path(__file__).resolve().parents[2] / "experiments"
GPU_SWEEPS = [
    "paper-finetune.yaml",
    "paper-finetune-safety-1000.yaml",
    "paper-finetune-short-cot.yaml",
    "paper-finetune-long-cot-openo1.yaml",
    "paper-finetune-long-cot-sky-t1.yaml",
    "paper-finetune-scaling-alpaca.yaml",
    "paper-finetune-scaling-math-code.yaml",
    "paper-finetune-regenerate.yaml",
]
INFERENCE_PROMPTS = [
    ("default_system", {}),
    ("helpful_system", {}),
    ("zero_shot_cot", {"cue_at": "system"}),
]


def _dry_run(name: str, tmp_path: Path) -> Any:
    """``safereason finetune-sweep NAME --dry-run``, writing the evaluation into tmp_path."""
    out = tmp_path / f"{Path(name).stem}-eval.yaml"
    result = CliRunner().invoke(
        sweep_command, [str(ROOT / name), "--dry-run", "--experiment", str(out)]
    )
    assert result.exit_code == 0, result.output
    return load_experiment(out)


@pytest.mark.parametrize("name", GPU_SWEEPS)
def test_each_fine_tune_is_evaluated_as_the_paper_did(name: str, tmp_path: Path) -> None:
    sweep = load_sweep(ROOT / name)
    exp = _dry_run(name, tmp_path)
    assert [(m.name, m.options) for m in exp.methods] == INFERENCE_PROMPTS
    benches = [b.name for b in exp.benchmarks]
    assert benches == ["gsm8k", "harmbench", "jailbreakbench", "trustllm_privacy"]
    assert [j.name for j in exp.judges["privacy"]] == ["agreement_rating"]
    assert "llm_extractor" in [j.name for j in exp.judges["reasoning"]]
    # the base model and every trained point, each named by its output directory
    assert [m.label for m in exp.models] == ["base", *(f"ft-{p.label}" for p in sweep.points)]
    assert [m.name for m in exp.models[1:]] == [p.config.output_dir for p in sweep.points]
    # the evaluation's benchmarks are held out of every training mixture
    for p in sweep.points:
        assert {"gsm8k", "trustllm_privacy"} <= {h.name for h in p.config.data.holdout}


def test_scaling_sweeps_train_4k_8k_16k_on_alpaca_and_a_math_code_mix() -> None:
    alpaca = load_sweep(ROOT / "paper-finetune-scaling-alpaca.yaml")
    mix = load_sweep(ROOT / "paper-finetune-scaling-math-code.yaml")
    for sweep in (alpaca, mix):
        assert [p.config.data.size for p in sweep.points] == [4000, 8000, 16000]
        assert [p.label for p in sweep.points] == ["size4000", "size8000", "size16000"]
        assert sweep.base.training.lr == 2e-5 and sweep.base.training.epochs == 1
    assert {s.name for p in alpaca.points for s in p.config.data.sources} == {"alpaca"}
    sources = [(s.name, s.weight) for s in mix.points[0].config.data.sources]
    assert sources == [("gsm8k_train", 2.0), ("code", 3.0)]
    # 2:3 keeps the math share of the largest point within GSM8K train's 7,473 problems
    largest = mix.points[-1].config.data
    _, (math, code) = allocate(largest.size, 0.0, [s.weight for s in largest.sources])
    assert math <= 7473 and math + code == 16000


def test_regeneration_sweep_rewrites_responses_under_each_system_prompt() -> None:
    sweep = load_sweep(ROOT / "paper-finetune-regenerate.yaml")
    assert [p.label for p in sweep.points] == ["default_system", "helpful_system", "cot"]
    methods = [p.config.data.regenerate.method for p in sweep.points]
    assert [(m.name, m.options) for m in methods] == INFERENCE_PROMPTS
    for p in sweep.points:
        teacher = p.config.data.regenerate.teacher
        assert isinstance(teacher, dict) and teacher["backend"] == "vllm"
        assert "regenerate" in p.config.identity()["data"]  # three distinct trainings
    assert len({str(p.config.identity()) for p in sweep.points}) == 3


def test_figure_compares_three_prompts_and_two_fine_tunes_on_one_model() -> None:
    exp = load_experiment(ROOT / "paper-finetune-figure.yaml")
    assert [m.label for m in exp.models] == ["base", "ft-short-cot", "ft-long-cot"]
    assert [(m.name, m.options) for m in exp.methods] == [
        ("default_system", {}),
        ("zero_shot_cot", {"cue_at": "system"}),
        ("few_shot_cot", {"k": 4}),
    ]
    # the fine-tunes are points the sweeps train, of the same base model
    short = load_sweep(ROOT / "paper-finetune-short-cot.yaml")
    long = load_sweep(ROOT / "paper-finetune-long-cot-sky-t1.yaml")
    dirs = {p.config.output_dir for p in [*short.points, *long.points]}
    assert {exp.models[1].name, exp.models[2].name} <= dirs
    assert exp.models[0].name == short.base.base == long.base.base
    # the intent judge shares the answer extractor's model (one engine)
    intent = next(j for j in exp.judges["harmful"] if j.name == "intent")
    extractor = next(j for j in exp.judges["reasoning"] if j.name == "llm_extractor")
    assert intent.options["model"] == extractor.options["model"]
    raw = yaml.safe_load((ROOT / "paper-finetune-figure.yaml").read_text())
    assert "trustllm_privacy" in [
        b["name"] if isinstance(b, dict) else b for b in raw["benchmarks"]
    ]
