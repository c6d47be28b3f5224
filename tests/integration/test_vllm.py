"""The vLLM backend on a real small model, checked against the hf backend (GPU only).

Needs vllm, a CUDA GPU and ``SAFEREASON_VLLM_MODEL``: a local model directory, or a hub
repo id already in the Hugging Face cache (tests run with ``HF_HUB_OFFLINE=1``), e.g.
``Qwen/Qwen2.5-0.5B-Instruct``. Two vLLM engines (base, LoRA) and the hf model share
the GPU, so the model should be small. Run with ``-s`` to see the throughput lines.
"""

from __future__ import annotations

import importlib.util
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from safereason.types import Completion, GenParams, Message, Request

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def _skip_reason() -> str | None:
    if importlib.util.find_spec("vllm") is None:
        return "vllm is not installed (pip install 'safereason[vllm]' on a CUDA machine)"
    try:
        import torch
    except ImportError:
        return "torch is not installed"
    if not torch.cuda.is_available():
        return "no CUDA GPU: vLLM's offline engine needs one"
    if not os.environ.get("SAFEREASON_VLLM_MODEL"):
        return "set SAFEREASON_VLLM_MODEL to a small instruct model (dir or cached hub id)"
    return None


_REASON = _skip_reason()
if _REASON is not None:
    pytest.skip(_REASON, allow_module_level=True)

from safereason.backends.hf import HFBackend  # noqa: E402
from safereason.backends.vllm_backend import VLLMBackend  # noqa: E402
from safereason.models.weights import resolve_weights  # noqa: E402

DTYPE = "bfloat16"
PROMPTS = [
    "What is the capital of France?",
    "Name three primary colours.",
    "What is 12 times 11? Answer with the number.",
    "Write one sentence about the sea.",
    "Translate 'good morning' into Spanish.",
    "Who wrote Romeo and Juliet?",
    "List the first five prime numbers.",
    "What is the boiling point of water in Celsius?",
]


def _req(text: str, key: str, **params: Any) -> Request:
    return Request(
        key=key, model="m", messages=(Message("user", text),), params=GenParams(**params)
    )


def _report(line: str, capsys: pytest.CaptureFixture[str]) -> None:
    with capsys.disabled():
        print(f"\n[throughput] {line}")


@pytest.fixture(scope="module")
def model_dir() -> Path:
    path, _ = resolve_weights(os.environ["SAFEREASON_VLLM_MODEL"])
    return path


@pytest.fixture(scope="module")
def greedy_reqs() -> list[Request]:
    return [_req(p, f"g{i}", max_tokens=32) for i, p in enumerate(PROMPTS)]


@pytest.fixture(scope="module")
def hf_greedy(model_dir: Path, greedy_reqs: list[Request]) -> tuple[list[Completion], float]:
    """The hf backend's greedy outputs (computed first, then its GPU memory is freed)."""
    be = HFBackend(str(model_dir), dtype=DTYPE, device="cuda", batch_size=len(greedy_reqs))
    try:
        start = time.perf_counter()
        out = be.generate(greedy_reqs)
        return out, time.perf_counter() - start
    finally:
        be.close()


@pytest.fixture(scope="module")
def vllm(model_dir: Path, hf_greedy: Any) -> Iterator[VLLMBackend]:
    be = VLLMBackend(str(model_dir), dtype=DTYPE, gpu_memory_utilization=0.35, max_model_len=2048)
    yield be
    be.close()


def test_batch_in_order_with_counts_and_throughput(
    vllm: VLLMBackend, capsys: pytest.CaptureFixture[str]
) -> None:
    reqs = [_req(p, f"b{i}", max_tokens=64) for i, p in enumerate(PROMPTS * 4)]
    start = time.perf_counter()
    out = vllm.generate(reqs)
    seconds = time.perf_counter() - start
    assert [c.key for c in out] == [r.key for r in reqs]
    for c in out:
        assert c.engine == "vllm" and c.text.strip()
        assert c.prompt_tokens > 5 and 0 < c.completion_tokens <= 64
        assert c.finish_reason in {"stop", "length"}
    tokens = sum(c.completion_tokens for c in out)
    _report(f"vllm: {len(reqs)} requests, {tokens} tokens, {tokens / seconds:.0f} tok/s", capsys)


def test_greedy_matches_hf(
    vllm: VLLMBackend,
    hf_greedy: tuple[list[Completion], float],
    greedy_reqs: list[Request],
    capsys: pytest.CaptureFixture[str],
) -> None:
    hf_out, hf_seconds = hf_greedy
    start = time.perf_counter()
    v_out = vllm.generate(greedy_reqs)
    v_seconds = time.perf_counter() - start
    # identical prompts: both backends render the same chat template the same way
    assert [c.prompt_tokens for c in v_out] == [c.prompt_tokens for c in hf_out]
    exact = sum(v.text == h.text for v, h in zip(v_out, hf_out, strict=True))
    head = sum(v.text.split()[:6] == h.text.split()[:6] for v, h in zip(v_out, hf_out, strict=True))
    # bf16 kernels differ between engines, so a late near-tie may flip a token
    pairs = [(v.text, h.text) for v, h in zip(v_out, hf_out, strict=True)]
    assert head >= len(greedy_reqs) * 3 // 4, pairs
    hf_tok = sum(c.completion_tokens for c in hf_out)
    v_tok = sum(c.completion_tokens for c in v_out)
    _report(
        f"greedy agreement vllm/hf: {exact}/{len(v_out)} identical, {head} same first words; "
        f"vllm {v_tok / v_seconds:.0f} tok/s vs hf {hf_tok / hf_seconds:.0f} tok/s",
        capsys,
    )


def test_seeded_sampling_is_reproducible_and_per_request(vllm: VLLMBackend) -> None:
    q = _req(PROMPTS[3], "s", max_tokens=24, temperature=1.0, seed=7)
    alone = vllm.generate([q])[0].text
    assert vllm.generate([q])[0].text == alone
    crowd = [
        _req(p, f"n{i}", max_tokens=24, temperature=1.0, seed=i) for i, p in enumerate(PROMPTS)
    ]
    assert vllm.generate([*crowd[:3], q, *crowd[3:]])[3].text == alone


def test_stop_string(vllm: VLLMBackend) -> None:
    q = _req("List the numbers 1, 2, 3, 4, 5 separated by commas.", "t", max_tokens=30, stop=("3",))
    [c] = vllm.generate([q])
    assert "3" not in c.text and "4" not in c.text and c.finish_reason == "stop"


def test_prefill_is_continued(vllm: VLLMBackend) -> None:
    msgs = (Message("user", "Say hello."), Message("assistant", "<think>\n\n</think>\n\nHello"))
    [c] = vllm.generate(
        [Request(key="p", model="m", messages=msgs, params=GenParams(max_tokens=8))]
    )
    assert c.reasoning == "" and c.text.startswith("Hello") and c.completion_tokens <= 8


def test_thinking_budget(vllm: VLLMBackend) -> None:
    [c] = vllm.generate([_req("Why is the sky blue?", "tb", max_tokens=30, thinking_budget=6)])
    assert c.reasoning is not None and c.completion_tokens <= 30


def test_lora_adapter_changes_output_like_hf(model_dir: Path, tmp_path_factory: Any) -> None:
    import torch
    import transformers
    from peft import LoraConfig, get_peft_model

    adapter = tmp_path_factory.mktemp("lora") / "adapter"
    base = transformers.AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.bfloat16)
    lora = get_peft_model(base, LoraConfig(r=8, lora_alpha=16, target_modules=["q_proj", "v_proj"]))
    torch.manual_seed(0)
    with torch.no_grad():
        for name, p in lora.named_parameters():
            if "lora_B" in name:
                p.copy_(torch.randn_like(p) * 0.05)
    lora.save_pretrained(adapter)
    del base, lora

    reqs = [_req(p, f"l{i}", max_tokens=24) for i, p in enumerate(PROMPTS[:4])]
    hf_be = HFBackend(str(model_dir), dtype=DTYPE, device="cuda", adapter=str(adapter))
    try:
        hf_out = hf_be.generate(reqs)
    finally:
        hf_be.close()
    tuned = VLLMBackend(
        str(model_dir),
        dtype=DTYPE,
        adapter=str(adapter),
        max_lora_rank=8,
        gpu_memory_utilization=0.3,
        max_model_len=2048,
    )
    try:
        v_out = tuned.generate(reqs)
    finally:
        tuned.close()
    plain = HFBackend(str(model_dir), dtype=DTYPE, device="cuda")
    try:
        base_out = plain.generate(reqs)
    finally:
        plain.close()
    assert [v.text for v in v_out] != [b.text for b in base_out]
    same = sum(v.text.split()[:4] == h.text.split()[:4] for v, h in zip(v_out, hf_out, strict=True))
    assert same >= len(reqs) // 2
