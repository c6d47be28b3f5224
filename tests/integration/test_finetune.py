"""Fine-tuning end to end on a tiny Llama built here (random weights, no hub).

Training a few steps must lower the loss and the saved adapter must change the model's
output; a sweep must write an experiment whose adapters the hf backend can run; and
the entry point must train as two processes on the CPU (gloo), launched by accelerate
or torchrun.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from safereason.finetune import MANIFEST
from tests.tiny_llama import build_tiny_llama

pytestmark = pytest.mark.integration

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")
pytest.importorskip("peft")
pytest.importorskip("trl")
pytest.importorskip("accelerate")
pytest.importorskip("datasets")

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "finetune"


def _corpus() -> list[str]:
    texts = ["<think>\nLet me think.\n</think>\n\nI can't help with that."]
    for f in FIX.glob("*.jsonl"):
        texts.extend(f.read_text(encoding="utf-8").splitlines())
    return texts


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A byte-level BPE tokenizer with a chat template and a 2-layer Llama, saved locally."""
    return build_tiny_llama(tmp_path_factory.mktemp("tiny"), _corpus(), 512, 512)


def _config(model: Path, out: Path, **training: Any) -> dict[str, Any]:
    return {
        "base": str(model),
        "output_dir": str(out),
        "lora": {"r": 8, "alpha": 16, "dropout": 0.0},
        "training": {"max_steps": 8, "batch_size": 4, "lr": 0.01, "max_length": 256, **training},
        "data": {
            "size": 16,
            "sources": [
                {"name": "gsm8k_train", "path": str(FIX / "gsm8k_train.jsonl"), "repeat": True},
                {"name": "openo1_sft", "path": str(FIX / "openo1_sft.jsonl"), "repeat": True},
            ],
            "safety": {"style": "reflective", "ratio": 0.25},
            "holdout": [{"name": "harmful_starter", "n": 21}],
        },
    }


def _write(path: Path, doc: dict[str, Any]) -> Path:
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return path


def test_training_lowers_loss_and_the_adapter_changes_outputs(
    tiny_model: Path, tmp_path: Path
) -> None:
    from peft import PeftModel

    from safereason.cli import main

    cfg = _write(tmp_path / "ft.yaml", _config(tiny_model, tmp_path / "adapter"))
    res = CliRunner().invoke(main, ["finetune", str(cfg)])
    assert res.exit_code == 0, res.output
    out = tmp_path / "adapter"
    assert (out / "adapter_config.json").exists() and (out / "adapter_model.safetensors").exists()
    manifest = json.loads((out / MANIFEST).read_text())
    losses = [p["loss"] for p in manifest["loss_curve"]]
    assert len(losses) == 8 and losses[-1] < losses[0]
    assert manifest["train"]["steps"] == 8 and manifest["kind"] == "adapter"
    data = manifest["data"]
    assert [s["count"] for s in data["sources"]] == [6, 6] and data["safety"]["count"] == 4
    assert data["holdout"]["remaining"] == 0 and data["holdout"]["excluded_exact"] == 21
    assert manifest["base"]["sha256"] and manifest["seed"] == 0
    assert {"torch", "transformers", "peft", "trl", "accelerate"} <= set(manifest["versions"])
    assert manifest["hyperparameters"]["processes"] == 1
    assert manifest["evaluate_as"] == {
        "name": str(tiny_model),
        "backend": "hf",
        "label": "finetuned",
        "adapter": str(out),
    }

    tok = transformers.AutoTokenizer.from_pretrained(tiny_model)
    prompt = tok.apply_chat_template(
        [{"role": "user", "content": "Is 91 a prime number?"}],
        add_generation_prompt=True,
        tokenize=False,
    )
    ids = tok(prompt, return_tensors="pt", add_special_tokens=False)["input_ids"]
    base = transformers.AutoModelForCausalLM.from_pretrained(tiny_model).eval()
    with torch.no_grad():
        before = base(ids).logits[0, -1]
        plain = base.generate(ids, max_new_tokens=12, do_sample=False)
    tuned = PeftModel.from_pretrained(base, str(out)).eval()
    with torch.no_grad():
        after = tuned(ids).logits[0, -1]
        taught = tuned.generate(input_ids=ids, max_new_tokens=12, do_sample=False)
    assert (after - before).abs().max().item() > 1e-3
    assert taught.tolist() != plain.tolist()


def test_sweep_writes_an_experiment_the_hf_backend_can_run(
    tiny_model: Path, tmp_path: Path
) -> None:
    from safereason.backends.factory import open_backend, prepare_model
    from safereason.cli import main
    from safereason.experiment_file import load_experiment
    from safereason.types import GenParams, Message, Request

    doc = _config(tiny_model, tmp_path / "sweep", max_steps=1)
    doc["data"]["size"] = 8
    doc["sweep"] = {"grid": {"data.safety.ratio": [0, 0.5]}}
    doc["experiment"] = {
        "path": str(tmp_path / "eval.yaml"),
        "methods": ["direct"],
        "benchmarks": [{"name": "harmful_starter", "n": 3}],
        "generation": {"max_tokens": 8},
        "model": {"batch_size": 2},
    }
    res = CliRunner().invoke(main, ["finetune-sweep", str(_write(tmp_path / "s.yaml", doc))])
    assert res.exit_code == 0, res.output
    exp = load_experiment(tmp_path / "eval.yaml")
    assert [m.display for m in exp.models] == ["base", "ft-ratio0", "ft-ratio0.5"]
    for m in exp.models[1:]:
        manifest = json.loads((Path(m.options["adapter"]) / MANIFEST).read_text())
        assert manifest["data"]["holdout"]["benchmarks"][-1]["benchmark"] == "harmful_starter"
    backend = open_backend(prepare_model(exp.models[2]))
    try:
        req = Request("k", "m", (Message("user", "Is 91 a prime number?"),), GenParams(8))
        (comp,) = backend.generate([req])
    finally:
        backend.close()
    assert comp.completion_tokens > 0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.slow
@pytest.mark.parametrize("launcher", ["accelerate", "torchrun"])
def test_two_cpu_processes(tiny_model: Path, tmp_path: Path, launcher: str) -> None:
    """``accelerate launch --multi_gpu`` and ``torchrun`` start one process each (gloo on
    the CPU); ``accelerate launch --cpu`` would start one process only."""
    out = tmp_path / "ddp"
    cfg = _write(tmp_path / "ft.yaml", _config(tiny_model, out, max_steps=2, batch_size=2))
    bindir = Path(sys.executable).parent
    port = str(_free_port())
    if launcher == "accelerate":
        if shutil.which("accelerate", path=str(bindir)) is None:
            pytest.skip("accelerate's launcher is not installed")
        head = [str(bindir / "accelerate"), "launch", "--multi_gpu", "--num_processes", "2"]
        head += ["--num_machines", "1", "--mixed_precision", "no", "--dynamo_backend", "no"]
        head += ["--main_process_port", port]
    else:
        head = [str(bindir / "torchrun"), "--nproc_per_node", "2", "--master_port", port]
    env = {**os.environ, "CUDA_VISIBLE_DEVICES": "", "OMP_NUM_THREADS": "1"}
    proc = subprocess.run(
        [*head, "-m", "safereason.finetune", str(cfg)],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    manifest = json.loads((out / MANIFEST).read_text())
    assert manifest["hyperparameters"]["processes"] == 2
    assert manifest["hyperparameters"]["effective_batch_size"] == 4
    assert manifest["train"]["steps"] == 2 and len(manifest["loss_curve"]) == 2
    assert (out / "adapter_model.safetensors").exists()
    assert proc.stdout.count("fine-tuned:") == 1  # only the main process reports
