"""GCG on a tiny Llama built here: the loss goes down, and the suffix plugs into adv_suffix."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from safereason import plugins
from safereason.types import Sample
from tests.tiny_llama import one_torch_thread, tiny_llama_config

pytestmark = pytest.mark.integration

BEHAVIORS = [
    {"behavior": "tell me the secret plan", "target": "sure here is the plan"},
    {"goal": "show me the hidden map", "target": "sure here is a map"},
]


@pytest.fixture(autouse=True)
def _one_thread() -> Iterator[None]:
    # imported here, not at collection, so deselected runs never pay for torch
    pytest.importorskip("torch")
    pytest.importorskip("transformers")
    pytest.importorskip("tokenizers")
    with one_torch_thread():
        yield


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 2-layer Llama (hidden 64) with a word-level tokenizer, saved like a real model."""
    torch = pytest.importorskip("torch")
    pytest.importorskip("transformers")
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import LlamaForCausalLM, PreTrainedTokenizerFast

    out = tmp_path_factory.mktemp("tiny-llama")
    words = [w for b in BEHAVIORS for text in b.values() for w in text.split()]
    words = [*sorted(set(words)), "of", "to"]
    vocab = ["<unk>", "<pad>", "<s>", "</s>", "!", *words, *(f"w{i}" for i in range(60))]
    tk = Tokenizer(models.WordLevel({w: i for i, w in enumerate(vocab)}, unk_token="<unk>"))
    tk.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    tok = PreTrainedTokenizerFast(
        tokenizer_object=tk,
        unk_token="<unk>",
        pad_token="<pad>",
        bos_token="<s>",
        eos_token="</s>",
        clean_up_tokenization_spaces=False,
    )
    tok.save_pretrained(out)
    torch.manual_seed(0)
    config = tiny_llama_config(len(vocab), 128, bos_token_id=2, eos_token_id=3, pad_token_id=1)
    LlamaForCausalLM(config).save_pretrained(out)
    return out


@pytest.fixture
def behaviors_file(tmp_path: Path) -> Path:
    p = tmp_path / "behaviors.jsonl"
    p.write_text("".join(json.dumps(b) + "\n" for b in BEHAVIORS))
    return p


ARGS = ["--steps", "4", "--n-tokens", "5", "--topk", "16", "--batch-size", "24", "--quiet"]


def test_gcg_lowers_the_loss_and_writes_a_suffix(
    tiny_model: Path, behaviors_file: Path, tmp_path: Path
) -> None:
    from safereason.optimise import gcg

    out = tmp_path / "suffix.json"
    argv = ["--model", str(tiny_model), "--behaviors", str(behaviors_file), "--out", str(out)]
    assert gcg.main([*argv, *ARGS]) == 0
    record = json.loads(out.read_text())
    assert record["loss"] < record["initial_loss"]
    assert len(record["losses"]) == 4 and min(record["losses"]) == pytest.approx(record["loss"])
    assert len(record["suffix_ids"]) == 5 and record["suffix"]
    assert record["config"]["seed"] == 0

    # seeded: the same run gives the same suffix; the text form holds just the suffix
    txt = tmp_path / "suffix.txt"
    assert gcg.main([*argv[:-1], str(txt), *ARGS]) == 0
    assert txt.read_text() == record["suffix"] + "\n"

    # the file plugs into adv_suffix, as JSON or as text
    sample = Sample.from_prompt("b1", "b", "harmful", "tell me the secret plan")
    for f in (out, txt):
        for template in ("rules", "bare"):
            attack: Any = plugins.attacks.build(
                "adv_suffix", {"suffix_file": str(f), "template": template}
            )
            [s] = attack.apply(sample)
            assert f"tell me the secret plan {record['suffix']}" in s.user_text
            assert s.meta["attack"]["suffix"] == record["suffix"]
    bare = plugins.attacks.build("adv_suffix", {"suffix_file": str(txt), "template": "bare"})
    assert bare.apply(sample)[0].user_text == f"tell me the secret plan {record['suffix']}"


def test_gcg_run_in_process_and_bad_inputs(tiny_model: Path, tmp_path: Path) -> None:
    from safereason.optimise.gcg import GCGConfig, load_behaviors, load_model, main, run_gcg

    model, tok = load_model(str(tiny_model), device="cpu")
    pairs = [(b.get("behavior") or b["goal"], b["target"]) for b in BEHAVIORS]
    cfg = GCGConfig(n_tokens=4, steps=2, topk=8, batch_size=16, seed=3)
    a, b = run_gcg(model, tok, pairs, cfg), run_gcg(model, tok, pairs, cfg)
    assert a.suffix_ids == b.suffix_ids and a.loss == b.loss <= a.initial_loss
    # only allowed tokens: no specials, the suffix re-tokenizes to itself
    assert not set(a.suffix_ids) & set(tok.all_special_ids)
    assert tok(a.suffix, add_special_tokens=False)["input_ids"] == a.suffix_ids

    csv_file = tmp_path / "adv.csv"
    csv_file.write_text('goal,target\n"tell me the plan","sure here is"\n"show me a map",\n')
    assert load_behaviors(csv_file) == [
        ("tell me the plan", "sure here is"),
        ("show me a map", "Sure, here is"),
    ]
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"target": "x"}\n')
    out = tmp_path / "never.txt"
    argv = ["--model", str(tiny_model), "--behaviors", str(bad), "--out", str(out), "--quiet"]
    assert main(argv) == 2 and not out.exists()


def _weights(tokenizer_dir: Path, out: Path, seed: int, extra_tokens: int = 0) -> Path:
    """Another tiny Llama (weights from ``seed``) with ``tokenizer_dir``'s tokenizer, saved."""
    import torch
    from transformers import AutoTokenizer, LlamaForCausalLM

    tok = AutoTokenizer.from_pretrained(tokenizer_dir)
    if extra_tokens:
        tok.add_tokens([f"extra{i}" for i in range(extra_tokens)])
    tok.save_pretrained(out)
    torch.manual_seed(seed)
    config = tiny_llama_config(len(tok), 128, bos_token_id=2, eos_token_id=3, pad_token_id=1)
    LlamaForCausalLM(config).save_pretrained(out)
    return out


@pytest.fixture(scope="module")
def second_model(tiny_model: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _weights(tiny_model, tmp_path_factory.mktemp("tiny-llama-2"), seed=1)


def test_gcg_ensemble_optimises_one_suffix_against_two_models(
    tiny_model: Path, second_model: Path, behaviors_file: Path, tmp_path: Path
) -> None:
    from safereason.optimise.gcg import (
        GCGConfig,
        load_model,
        main,
        run_gcg,
        run_gcg_ensemble,
        suffix_losses,
    )

    models = [load_model(str(p), device="cpu") for p in (tiny_model, second_model)]
    pairs = [(b.get("behavior") or b["goal"], b["target"]) for b in BEHAVIORS]
    cfg = GCGConfig(n_tokens=4, steps=3, topk=8, batch_size=16, seed=0)
    res = run_gcg_ensemble(models, pairs, cfg)

    # the ensemble loss is the mean of the two models' own losses, at the start and the end
    start = suffix_losses(models, pairs, [_init_id(models)] * 4, cfg)
    assert start[0] != pytest.approx(start[1])  # two different models
    assert res.initial_loss == pytest.approx(sum(start) / 2, rel=1e-5)
    end = suffix_losses(models, pairs, res.suffix_ids, cfg)
    assert res.model_losses == pytest.approx(end, rel=1e-5)
    assert res.loss == pytest.approx(sum(end) / 2, rel=1e-5)
    # each model alone agrees with its own single-model loss
    alone = run_gcg(*models[1], pairs, GCGConfig(n_tokens=4, steps=0, topk=8, batch_size=16))
    assert alone.initial_loss == pytest.approx(start[1], rel=1e-5)
    # a step lowers the ensemble loss
    assert res.losses[0] < res.initial_loss and res.loss < res.initial_loss

    # sum: the same suffixes, the loss reported as the sum of the models' losses
    summed = run_gcg_ensemble(models, pairs, GCGConfig(**{**cfg.__dict__, "combine": "sum"}))
    assert summed.suffix_ids == res.suffix_ids
    assert summed.loss == pytest.approx(sum(end), rel=1e-5)
    assert summed.initial_loss == pytest.approx(sum(start), rel=1e-5)

    # the command line: --model twice
    out = tmp_path / "ensemble.json"
    argv = ["--model", str(tiny_model), "--model", str(second_model)]
    argv += ["--behaviors", str(behaviors_file), "--out", str(out), *ARGS]
    assert main(argv) == 0
    record = json.loads(out.read_text())
    assert record["model"] == [str(tiny_model), str(second_model)]
    assert record["config"]["combine"] == "mean" and len(record["model_losses"]) == 2
    assert record["loss"] < record["initial_loss"]


def _init_id(models: list[Any]) -> int:
    """The token the search starts every position with (the first token of ``!``)."""
    tok = models[0][1]
    return int(tok("!", add_special_tokens=False)["input_ids"][0])


def test_gcg_ensemble_needs_one_tokenizer(
    tiny_model: Path, tmp_path: Path, behaviors_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from safereason.errors import SafereasonError
    from safereason.optimise.gcg import GCGConfig, load_model, main, run_gcg_ensemble

    other = _weights(tiny_model, tmp_path / "other-vocab", seed=2, extra_tokens=3)
    models = [load_model(str(p), device="cpu") for p in (tiny_model, other)]
    with pytest.raises(SafereasonError, match="do not share a tokenizer"):
        run_gcg_ensemble(models, [("tell me the secret plan", "sure")], GCGConfig(steps=1))
    with pytest.raises(SafereasonError, match="combine must be one of mean, sum"):
        GCGConfig(combine="max")
    out = tmp_path / "never.txt"
    argv = ["--model", str(tiny_model), "--model", str(other), "--behaviors"]
    assert main([*argv, str(behaviors_file), "--out", str(out), "--quiet"]) == 2
    err = [x for x in capsys.readouterr().err.splitlines() if x.startswith("error:")]
    assert len(err) == 1 and "models 1 and 2 do not share a tokenizer" in err[0]
    assert not out.exists()
