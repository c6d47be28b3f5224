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
