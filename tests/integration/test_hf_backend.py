"""The transformers backend on a tiny Llama built here (random weights, no hub)."""

from __future__ import annotations

import shutil
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from safereason.backends.factory import open_backend, prepare_model
from safereason.config import ModelRef
from safereason.types import GenParams, Message, Request
from tests.tiny_llama import build_tiny_llama, one_torch_thread

pytestmark = pytest.mark.integration

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

from safereason.backends.hf import HFBackend  # noqa: E402

CORPUS = [
    "The quick brown fox jumps over the lazy dog.",
    "What is the capital of France? The capital of France is Paris.",
    "Count from one to five: one, two, three, four, five.",
    "<think>\nLet me think step by step.\n</think>\n\nThe answer is 42.",
    "Name three colours: red, green and blue. Hello world!",
    "I'm sorry, but I can't help with that request.",
]


def _build(root: Path) -> Path:
    """Save a byte-level BPE tokenizer with a chat template and a tiny random Llama."""
    return build_tiny_llama(root, CORPUS * 4, 400, 256, initializer_range=0.2)


def _make_adapter(model_dir: Path, out: Path) -> Path:
    """A LoRA adapter with non-zero weights, so that it changes what the model says."""
    from peft import LoraConfig, get_peft_model

    base = transformers.AutoModelForCausalLM.from_pretrained(model_dir)
    config = LoraConfig(r=4, lora_alpha=8, target_modules=["q_proj", "v_proj", "o_proj"])
    with warnings.catch_warnings():  # peft calls a transformers method deprecated in v5
        warnings.simplefilter("ignore", FutureWarning)
        peft_model = get_peft_model(base, config)
    torch.manual_seed(1)
    with torch.no_grad():
        for name, p in peft_model.named_parameters():
            if "lora_" in name:
                p.copy_(torch.randn_like(p) * 0.5)
    peft_model.save_pretrained(out)
    return out


@pytest.fixture(scope="module", autouse=True)
def _one_thread() -> Iterator[None]:
    """One intra-op thread: on a small shared CPU, thread spinning makes a tiny model 50x
    slower than running it single-threaded."""
    with one_torch_thread():
        yield


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _build(tmp_path_factory.mktemp("tiny") / "model")


@pytest.fixture(scope="module")
def adapter_dir(model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _make_adapter(model_dir, tmp_path_factory.mktemp("lora") / "adapter")


@pytest.fixture(scope="module")
def backend(model_dir: Path) -> HFBackend:
    return HFBackend(str(model_dir), device="cpu", batch_size=4)


def _req(text: str, key: str, **params: Any) -> Request:
    return Request(
        key=key, model="tiny", messages=(Message("user", text),), params=GenParams(**params)
    )


PROMPTS = [
    "Hi",
    "What is the capital of France?",
    "Count from one to five, then name three colours and say hello to the world.",
]


def test_batch_is_in_order_with_counts(backend: HFBackend) -> None:
    reqs = [_req(p, f"k{i}", max_tokens=6) for i, p in enumerate(PROMPTS)]
    out = backend.generate(reqs)
    assert [c.key for c in out] == ["k0", "k1", "k2"]
    lens = [c.prompt_tokens for c in out]
    assert lens[0] < lens[1] < lens[2]  # different lengths: the batch was left-padded
    for c in out:
        assert c.engine == "hf" and c.latency_s > 0
        assert 0 < c.completion_tokens <= 6
        assert c.finish_reason in {"stop", "length"}
    assert any(c.finish_reason == "length" and c.completion_tokens == 6 for c in out)


def test_greedy_batch_equals_single_and_is_deterministic(backend: HFBackend) -> None:
    reqs = [_req(p, f"g{i}", max_tokens=8) for i, p in enumerate(PROMPTS)]
    batched = backend.generate(reqs)
    again = backend.generate(list(reversed(reqs)))[::-1]
    singles = [backend.generate([r])[0] for r in reqs]
    for b, a, s in zip(batched, again, singles, strict=True):
        assert b.text == a.text == s.text
        assert b.prompt_tokens == s.prompt_tokens and b.completion_tokens == s.completion_tokens


def test_seeded_sampling_is_reproducible_and_per_request(backend: HFBackend) -> None:
    q = _req(PROMPTS[1], "s", max_tokens=8, temperature=1.0, seed=7)
    alone = backend.generate([q])[0].text
    assert backend.generate([q])[0].text == alone
    neighbours = [_req(PROMPTS[2], "n1", max_tokens=8), _req(PROMPTS[0], "n2", max_tokens=8)]
    assert backend.generate([neighbours[0], q, neighbours[1]])[1].text == alone
    other = backend.generate([_req(PROMPTS[1], "s2", max_tokens=8, temperature=1.0, seed=8)])
    assert other[0].text != alone


def test_top_p_sampling_runs(backend: HFBackend) -> None:
    q = _req(PROMPTS[1], "tp", max_tokens=5, temperature=0.7, top_p=0.5, seed=3)
    [a] = backend.generate([q])
    [b] = backend.generate([q])
    assert a.text == b.text and a.completion_tokens == 5


def test_stop_string_trims_and_stops(backend: HFBackend) -> None:
    [full] = backend.generate([_req(PROMPTS[1], "f", max_tokens=16)])
    assert full.finish_reason == "length" and len(full.text) > 6
    stop = full.text[4:6]
    expected = full.text[: full.text.find(stop)].strip()
    [c] = backend.generate([_req(PROMPTS[1], "st", max_tokens=16, stop=(stop,))])
    assert c.text == expected
    assert c.finish_reason == "stop" and c.completion_tokens < 16


def test_prefill_is_continued(backend: HFBackend, model_dir: Path) -> None:
    plain = _req(PROMPTS[0], "p0", max_tokens=6)
    msgs = (Message("user", PROMPTS[0]), Message("assistant", "<think>\n\n</think>\n\nHello"))
    pre = Request(key="p", model="tiny", messages=msgs, params=GenParams(max_tokens=6))
    [a, c] = backend.generate([plain, pre])
    assert c.reasoning == "" and c.text.startswith("Hello") and c.completion_tokens <= 6
    assert c.prompt_tokens > a.prompt_tokens
    # the same as continuing the rendered prompt by hand, with the model's own tokenizer
    tok = transformers.AutoTokenizer.from_pretrained(model_dir)
    prompt = tok.apply_chat_template(
        [{"role": "user", "content": PROMPTS[0]}], add_generation_prompt=True, tokenize=False
    )
    ids = tok(prompt + msgs[1].content, add_special_tokens=False)["input_ids"]
    assert c.prompt_tokens == len(ids)


def test_thinking_budget(backend: HFBackend) -> None:
    [c] = backend.generate([_req(PROMPTS[1], "tb", max_tokens=10, thinking_budget=4)])
    # the trace is what four tokens of thinking give when the model is made to think
    msgs = (Message("user", PROMPTS[1]), Message("assistant", "<think>\n"))
    think = Request(key="t", model="tiny", messages=msgs, params=GenParams(max_tokens=4))
    [t] = backend.generate([think])
    assert t.reasoning and c.reasoning == t.reasoning
    assert c.completion_tokens <= 10 and c.finish_reason in {"stop", "length"}


def test_too_long_prompt_is_an_error_not_a_crash(model_dir: Path) -> None:
    small = HFBackend(str(model_dir), device="cpu", max_input_tokens=8)
    out = small.generate([_req(PROMPTS[2], "long", max_tokens=4), _req("Hi", "ok", max_tokens=4)])
    assert out[0].finish_reason.startswith("error") and out[0].text == ""
    assert out[1].completion_tokens > 0


def test_factory_identity_and_adapter(model_dir: Path, adapter_dir: Path, tmp_path: Path) -> None:
    base = prepare_model(ModelRef(name=str(model_dir), backend="hf", device="cpu"))
    assert base.identity["engine"] == "hf" and base.identity["dtype"] == "float32"
    assert base.identity["adapter"] is None
    # identity follows the files, not the directory's name
    copy = shutil.copytree(model_dir, tmp_path / "elsewhere")
    assert prepare_model(ModelRef(name=str(copy), backend="hf", device="cpu")).identity == (
        base.identity
    )
    tuned = prepare_model(
        ModelRef(name=str(model_dir), backend="hf", device="cpu", adapter=str(adapter_dir))
    )
    assert tuned.identity["adapter"] and tuned.identity != base.identity
    # a different adapter (other weights) is a different identity
    other = shutil.copytree(adapter_dir, tmp_path / "other-adapter")
    from safetensors.torch import load_file, save_file

    weights = load_file(other / "adapter_model.safetensors")
    save_file({k: v * 2 for k, v in weights.items()}, other / "adapter_model.safetensors")
    changed = prepare_model(
        ModelRef(name=str(model_dir), backend="hf", device="cpu", adapter=str(other))
    )
    assert changed.identity["adapter"] != tuned.identity["adapter"]

    reqs = [_req(PROMPTS[1], "a", max_tokens=8)]
    plain_backend = open_backend(base)
    with_adapter = open_backend(tuned)
    try:
        assert plain_backend.generate(reqs)[0].text != with_adapter.generate(reqs)[0].text
    finally:
        plain_backend.close()
        with_adapter.close()


def test_bad_options_are_caught_before_loading(model_dir: Path) -> None:
    from safereason.backends.factory import check_model
    from safereason.errors import SafereasonError

    with pytest.raises(SafereasonError, match="no option 'batchsize'"):
        check_model(ModelRef(name=str(model_dir), backend="hf", batchsize=2))
    with pytest.raises(SafereasonError, match="dtype"):
        prepare_model(ModelRef(name=str(model_dir), backend="hf", dtype="int3"))
    with pytest.raises(SafereasonError, match="unknown model"):
        prepare_model(ModelRef(name="./no/such/dir", backend="hf"))


@pytest.mark.slow  # dequantizing the GGUF takes 25-40 s on 2 cores
def test_gguf_embedded_small_loads_through_transformers() -> None:
    pytest.importorskip("gguf")
    from safereason.errors import SafereasonError
    from safereason.models.embedded import embedded_path

    try:
        embedded_path("embedded-small")
    except SafereasonError as e:
        pytest.skip(str(e))
    handle = prepare_model(
        ModelRef(name="smollm", backend="hf", gguf_file="embedded-small", device="cpu")
    )
    assert handle.options["gguf_file"].endswith(".gguf") and handle.identity["weights"]
    be = open_backend(handle)
    try:
        [c] = be.generate([_req("What is the capital of France?", "g", max_tokens=12)])
    finally:
        be.close()
    assert "Paris" in c.text
