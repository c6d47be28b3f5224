"""vLLM's offline engine: fast batched generation on CUDA GPUs, with LoRA adapters.

Prompts are rendered exactly as in the ``hf`` backend (:func:`~safereason.backends.chat.
render_prompt`: the tokenizer's chat template with its generation prompt, and a final
assistant message appended verbatim as a prefill) and passed to ``LLM.generate`` as token
ids. That is what ``LLM.chat`` does for a plain conversation; for a prefill it is exact,
where ``continue_final_message`` strips the prefill's whitespace. So the two backends see
the same tokens, and their greedy outputs can be compared.

Every request carries its own ``seed`` (``SamplingParams.seed``): a sampled request's
output does not depend on its batch neighbours. Greedy requests are given no seed.
Thinking budgets run in two passes, as in the other backends.

vLLM is imported only when the engine starts, never when this module is imported.
"""

from __future__ import annotations

import importlib
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from safereason.backends.chat import Job, Raw, render_prompt, run_requests
from safereason.backends.factory import (
    Capabilities,
    Engine,
    ModelHandle,
    init_options,
    register_backend,
)
from safereason.backends.hf import check_name
from safereason.errors import SafereasonError
from safereason.models.weights import resolve_adapter, resolve_weights
from safereason.types import Completion, GenParams, Message, Request

if TYPE_CHECKING:
    from safereason.backends.factory import ModelEntry

VLLM_DTYPES = ("auto", "float32", "bfloat16", "float16", "half")


def sampling_kwargs(p: GenParams) -> dict[str, Any]:
    """``SamplingParams`` keyword arguments for one request's parameters."""
    greedy = p.temperature <= 0
    return {
        "temperature": 0.0 if greedy else p.temperature,
        "top_p": 1.0 if greedy else p.top_p,
        "max_tokens": p.max_tokens,
        "seed": None if greedy else p.seed,
        "stop": list(p.stop) or None,
        "skip_special_tokens": True,
    }


def raw_from_output(output: Any, latency_s: float = 0.0) -> Raw:
    """A vLLM ``RequestOutput`` as a :class:`Raw`.

    vLLM's text already ends before a stop string. Its ``token_ids`` include the EOS
    (or stop) token when generation ended on one (``stop_reason`` ``None`` or an int);
    that token is not counted, as in the hf and llama.cpp backends.
    """
    comp = output.outputs[0]
    tokens = len(comp.token_ids)
    finish = str(comp.finish_reason or "stop")
    if finish == "stop" and tokens and not isinstance(comp.stop_reason, str):
        tokens -= 1
    return Raw(
        text=comp.text,
        prompt_tokens=len(output.prompt_token_ids or []),
        completion_tokens=tokens,
        finish=finish,
        latency_s=latency_s,
    )


class VLLMBackend:
    """Generates with ``vllm.LLM`` (prefix caching on); ``adapter`` is a LoRA directory."""

    def __init__(
        self,
        model: str,
        tensor_parallel_size: int = 1,
        dtype: str = "auto",
        max_model_len: int | None = None,
        gpu_memory_utilization: float = 0.9,
        adapter: str | None = None,
        max_lora_rank: int = 16,
        seed: int = 0,
        trust_remote_code: bool = False,
        batch_size: int = 256,
    ) -> None:
        if dtype not in VLLM_DTYPES:
            raise SafereasonError(f"dtype must be one of {', '.join(VLLM_DTYPES)}, not {dtype!r}")
        try:
            vllm: Any = importlib.import_module("vllm")
        except ImportError:
            raise SafereasonError(
                "the vllm backend needs vllm and a CUDA GPU: pip install 'safereason[vllm]'"
            ) from None
        self.preferred_batch = batch_size
        self._vllm = vllm
        try:
            self._llm = vllm.LLM(
                model=model,
                tensor_parallel_size=tensor_parallel_size,
                enable_prefix_caching=True,
                dtype=dtype,
                max_model_len=max_model_len,
                gpu_memory_utilization=gpu_memory_utilization,
                enable_lora=adapter is not None,
                max_lora_rank=max_lora_rank,
                seed=seed,
                trust_remote_code=trust_remote_code,
            )
        except (ValueError, RuntimeError, OSError) as e:
            raise SafereasonError(f"vLLM cannot load {model}: {e}") from None
        self._lora: Any = None
        if adapter is not None:
            lora_mod: Any = importlib.import_module("vllm.lora.request")
            self._lora = lora_mod.LoRARequest("adapter", 1, adapter)
        self._tok: Any = self._llm.get_tokenizer()
        self.max_model_len: int | None = _engine_max_len(self._llm) or max_model_len

    def generate(self, requests: Sequence[Request]) -> list[Completion]:
        return run_requests(requests, self._render, self._complete, "vllm")

    def _render(self, messages: Sequence[Message]) -> tuple[str, str]:
        return render_prompt(self._tok, messages)

    def _complete(self, jobs: list[Job]) -> list[Raw]:
        """One ``LLM.generate`` call for all jobs; too-long prompts are errors, not crashes."""
        out: list[Raw | None] = [None] * len(jobs)
        prompts, params, idx = [], [], []
        for i, j in enumerate(jobs):
            ids = self._tok.encode(j.prompt, add_special_tokens=False)
            if self.max_model_len is not None and len(ids) >= self.max_model_len:
                out[i] = Raw(
                    "",
                    len(ids),
                    0,
                    f"error: the prompt has {len(ids)} tokens, max_model_len is "
                    f"{self.max_model_len}",
                )
                continue
            prompts.append({"prompt_token_ids": ids})
            params.append(self._vllm.SamplingParams(**sampling_kwargs(j.params)))
            idx.append(i)
        if prompts:
            start = time.perf_counter()
            results = self._llm.generate(
                prompts, sampling_params=params, lora_request=self._lora, use_tqdm=False
            )
            share = (time.perf_counter() - start) / len(prompts)
            for i, res in zip(idx, results, strict=True):
                out[i] = raw_from_output(res, share)
        return [r if r is not None else Raw("", finish="failed") for r in out]

    def close(self) -> None:
        """Shut the engine down and free the GPU."""
        llm, self._llm = self._llm, None
        del llm
        try:
            dist: Any = importlib.import_module("vllm.distributed.parallel_state")
            dist.destroy_model_parallel()
            dist.destroy_distributed_environment()
        except (ImportError, AttributeError, RuntimeError, AssertionError):
            pass
        import gc

        gc.collect()
        try:
            import torch

            if torch.cuda.is_available():
                torch.cuda.empty_cache()
        except ImportError:
            pass


def _engine_max_len(llm: Any) -> int | None:
    """The context length the engine settled on, where this vLLM version exposes it."""
    try:
        return int(llm.llm_engine.model_config.max_model_len)
    except (AttributeError, TypeError, ValueError):
        return None


def _check_name(name: str) -> None:
    from safereason.models.embedded import EMBEDDED

    if name in EMBEDDED or name.endswith(".gguf"):
        raise SafereasonError(
            f"the vllm backend takes a model directory or a Hugging Face repo id, not {name!r}; "
            f"run GGUF files with the llamacpp or hf backend"
        )
    check_name(name)


def _prepare(ref: ModelEntry) -> ModelHandle:
    opts = dict(ref.options)
    dtype = str(opts.get("dtype", "auto"))
    if dtype not in VLLM_DTYPES:
        raise SafereasonError(f"dtype must be one of {', '.join(VLLM_DTYPES)}, not {dtype!r}")
    path, weights = resolve_weights(ref.name)
    identity: dict[str, Any] = {"engine": "vllm", "weights": weights, "dtype": dtype}
    identity["adapter"] = None
    if opts.get("adapter"):
        adapter_dir, identity["adapter"] = resolve_adapter(str(opts["adapter"]))
        opts["adapter"] = str(adapter_dir)
    return ModelHandle(ref.display, "vllm", identity, path, opts)


def _open(handle: ModelHandle) -> VLLMBackend:
    assert handle.path is not None
    return VLLMBackend(str(handle.path), **handle.options)


ENGINE = register_backend(
    "vllm",
    VLLMBackend,
    Engine(
        capabilities=Capabilities(thinking_budget=True, prefill=True),
        options=lambda: init_options(VLLMBackend, skip=("model",)),
        prepare=_prepare,
        open=_open,
        check_name=_check_name,
        neutral=frozenset(
            {"gpu_memory_utilization", "max_lora_rank", "trust_remote_code", "batch_size"}
        ),
        covered=frozenset({"dtype", "adapter"}),
    ),
)
