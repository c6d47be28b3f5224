"""Hugging Face transformers: any causal LM on CPU or GPU, PEFT LoRA adapters, GGUF files.

Requests are generated in batches with left padding. Prompts are the tokenizer's own chat
template (``add_generation_prompt=True``); a final assistant message is a prefill: the
conversation before it is rendered with the generation prompt and its text is appended
verbatim, so the model continues it exactly (``continue_final_message`` strips the
prefill's surrounding whitespace, so it is not used).

Determinism. ``temperature == 0`` is plain greedy decoding. Otherwise each request samples
from its own ``torch.Generator`` seeded with its ``seed``, drawing one number per step, so
its output does not depend on which requests share its batch. One caveat holds for both:
a request padded to a longer neighbour runs through different matrix shapes, and the
logits can differ in their last bits from the same request run alone. On CPU in float32
this does not change the tokens in practice; in bfloat16 on a GPU a near-tie can flip,
as with every batched engine.

Prompts and thinking budgets come from :mod:`safereason.backends.chat` and weights from
:mod:`safereason.models.weights`, shared with the vLLM backend, so both render the same
prompts, run thinking budgets the same way and give the same weights the same identity.
"""

from __future__ import annotations

import gc
import importlib
import importlib.util
import json
import re
import time
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from safereason.backends.chat import Job, Raw, first_stop, render_prompt, run_requests
from safereason.backends.factory import (
    Capabilities,
    Engine,
    ModelHandle,
    init_options,
    register_backend,
)
from safereason.errors import SafereasonError
from safereason.models.weights import HUB_ID, resolve_adapter, resolve_gguf_file, resolve_weights
from safereason.types import Completion, GenParams, Message, Request

if TYPE_CHECKING:
    from safereason.backends.factory import ModelEntry

DTYPES = ("auto", "float32", "bfloat16", "float16")
_DEVICE = re.compile(r"^(auto|cpu|cuda(:\d+)?|mps)$")
_INSTALL = "pip install 'safereason[hf]' (on a CPU-only machine install torch first)"


def config_dtype(path: Path) -> str:
    """The dtype a model directory's config.json names (float32 when it names none)."""
    try:
        cfg = json.loads((path / "config.json").read_text())
    except (OSError, ValueError):
        return "float32"
    value = cfg.get("dtype") or cfg.get("torch_dtype") or "float32"
    return str(value) if str(value) in DTYPES else "float32"


def _cuda_available() -> bool:
    try:
        import torch
    except ImportError:
        return False
    return bool(torch.cuda.is_available())


def resolve_dtype(dtype: str, device: str, model_dir: Path | None) -> str:
    """``auto`` -> float32 on CPU (and for GGUF files), else the config's dtype."""
    if dtype not in DTYPES:
        raise SafereasonError(f"dtype must be one of {', '.join(DTYPES)}, not {dtype!r}")
    if dtype != "auto":
        return dtype
    on_gpu = device.startswith("cuda") or (device == "auto" and _cuda_available())
    if not on_gpu or model_dir is None:
        return "float32"
    return config_dtype(model_dir)


# ---------------------------------------------------------------------------------------
# The backend


class _SeededSampler:
    """A logits processor that samples each row with its own seeded generator.

    Greedy decoding runs on top of it: a sampled row's scores become ``-inf`` except for
    the drawn token, so the argmax is that token. Greedy rows are left alone.
    """

    def __init__(self, params: Sequence[GenParams]) -> None:
        self.params = list(params)
        self._gens: list[Any] | None = None

    def __call__(self, input_ids: Any, scores: Any) -> Any:
        import torch

        if self._gens is None:
            self._gens = [
                torch.Generator(device=scores.device).manual_seed(p.seed)
                if p.temperature > 0
                else None
                for p in self.params
            ]
        for row, (p, gen) in enumerate(zip(self.params, self._gens, strict=True)):
            if gen is None:
                continue
            probs = torch.softmax(scores[row].float() / p.temperature, dim=-1)
            if p.top_p < 1.0:
                sorted_p, order = probs.sort(descending=True)
                sorted_p[(sorted_p.cumsum(0) - sorted_p) >= p.top_p] = 0.0
                probs = torch.zeros_like(probs).scatter(0, order, sorted_p)
            token = torch.multinomial(probs, 1, generator=gen)
            picked = torch.full_like(scores[row], float("-inf"))
            picked[token] = 0.0
            scores[row] = picked
        return scores


class HFBackend:
    """Batched generation with a transformers causal LM (optionally with a LoRA adapter).

    ``model`` is a local directory (or a hub id: transformers fetches it; through the
    factory it is downloaded when the experiment is planned). ``gguf_file`` loads a GGUF
    file from that directory, dequantized. ``device`` ``auto`` is the GPU when there is
    one (sharded over all GPUs with accelerate's ``device_map="auto"``), else the CPU.
    ``dtype`` ``auto`` is float32 on the CPU and the checkpoint's dtype on a GPU.
    A prompt longer than ``max_input_tokens`` (default: the model's context length) is
    not generated: its completion says ``error: ...``.
    """

    def __init__(
        self,
        model: str,
        dtype: str = "auto",
        device: str = "auto",
        batch_size: int = 8,
        adapter: str | None = None,
        gguf_file: str | None = None,
        trust_remote_code: bool = False,
        max_input_tokens: int | None = None,
    ) -> None:
        torch, tf = _engine()
        if not _DEVICE.match(device):
            raise SafereasonError(f"device must be auto, cpu, cuda or cuda:N, not {device!r}")
        if batch_size < 1:
            raise SafereasonError("batch_size must be at least 1")
        if dtype not in DTYPES:
            raise SafereasonError(f"dtype must be one of {', '.join(DTYPES)}, not {dtype!r}")
        dev = device
        if device == "auto":
            dev = "cuda" if torch.cuda.is_available() else "cpu"
        if dtype == "auto" and (dev == "cpu" or gguf_file):
            dtype = "float32"
        self.batch_size = batch_size
        self.preferred_batch = batch_size
        self._torch = torch
        self._transformers = tf
        tok, lm = _load(tf, torch, model, dtype, device, dev, gguf_file, trust_remote_code)
        self._pad, self._eos = _pad_and_eos(tok, lm, model)
        self._ends = {*self._eos, self._pad}
        # Only the request's parameters count: no repetition penalty, top_k or the like
        # carried over from the checkpoint's generation_config.json.
        lm.generation_config = tf.GenerationConfig(
            eos_token_id=self._eos,
            pad_token_id=self._pad,
            bos_token_id=lm.generation_config.bos_token_id,
        )
        if adapter:
            lm = _with_adapter(lm, adapter)
        lm.eval()
        self._tok = tok
        self._model = lm
        self._input_device = lm.get_input_embeddings().weight.device
        ctx = getattr(lm.config, "max_position_embeddings", None)
        self.max_input_tokens: int | None = max_input_tokens or (
            int(ctx) if isinstance(ctx, int) else None
        )

    def generate(self, requests: Sequence[Request]) -> list[Completion]:
        return run_requests(requests, self._render, self._complete, "hf")

    def _render(self, messages: Sequence[Message]) -> tuple[str, str]:
        return render_prompt(self._tok, messages)

    def _complete(self, jobs: list[Job]) -> list[Raw]:
        """Generate every job, batching those that share max_tokens and stop strings."""
        out: list[Raw | None] = [None] * len(jobs)
        ids = [self._tok(j.prompt, add_special_tokens=False)["input_ids"] for j in jobs]
        groups: dict[tuple[int, tuple[str, ...]], list[int]] = {}
        limit = self.max_input_tokens
        for i, j in enumerate(jobs):
            n = len(ids[i])
            if limit is not None and n > limit:
                msg = f"error: the prompt has {n} tokens, more than max_input_tokens={limit}"
                out[i] = Raw("", n, 0, msg)
            else:
                groups.setdefault((j.params.max_tokens, j.params.stop), []).append(i)
        for idx in groups.values():
            idx.sort(key=lambda i: len(ids[i]))  # similar lengths together: less padding
            for k in range(0, len(idx), self.batch_size):
                chunk = idx[k : k + self.batch_size]
                raws = self._batch([ids[i] for i in chunk], [jobs[i].params for i in chunk])
                for i, raw in zip(chunk, raws, strict=True):
                    out[i] = raw
        return [r if r is not None else Raw("", finish="failed") for r in out]

    def _batch(self, ids: list[list[int]], params: list[GenParams]) -> list[Raw]:
        """One left-padded ``generate`` call; all rows share max_tokens and stop strings."""
        torch = self._torch
        start = time.perf_counter()
        max_new, stop = params[0].max_tokens, params[0].stop
        width = max(len(x) for x in ids)
        input_ids = torch.tensor(
            [[self._pad] * (width - len(x)) + x for x in ids], device=self._input_device
        )
        mask = torch.tensor(
            [[0] * (width - len(x)) + [1] * len(x) for x in ids], device=self._input_device
        )
        tf: Any = self._transformers
        config = tf.GenerationConfig(
            max_new_tokens=max_new,
            do_sample=False,
            num_beams=1,
            eos_token_id=self._eos,
            pad_token_id=self._pad,
            stop_strings=list(stop) or None,
        )
        sampled = any(p.temperature > 0 for p in params)
        processors = tf.LogitsProcessorList([_SeededSampler(params)]) if sampled else None
        with torch.inference_mode():
            gen = self._model.generate(
                input_ids=input_ids,
                attention_mask=mask,
                generation_config=config,
                logits_processor=processors,
                tokenizer=self._tok,
            )
        new = gen[:, width:].tolist()
        share = (time.perf_counter() - start) / len(ids)
        return [self._decode(p, n, max_new, stop, share) for p, n in zip(ids, new, strict=True)]

    def _decode(
        self, prompt: list[int], new: list[int], max_new: int, stop: tuple[str, ...], lat: float
    ) -> Raw:
        n = next((k for k, t in enumerate(new) if t in self._ends), len(new))
        text = self._detok(prompt, new[:n])
        cut = first_stop(text, stop)
        if cut is not None:
            text, finish = text[:cut], "stop"
        else:
            finish = "length" if n >= max_new else "stop"
        return Raw(text, len(prompt), n, finish, lat)

    def _detok(self, prompt: list[int], new: list[int]) -> str:
        """The new tokens' text, decoded after the prompt's last tokens so that a leading
        space is kept (sentencepiece drops it at the start of a decode)."""
        tail = prompt[-4:]
        head = self._tok.decode(tail, skip_special_tokens=True)
        full = self._tok.decode(tail + new, skip_special_tokens=True)
        if full.startswith(head):
            return str(full[len(head) :])
        return str(self._tok.decode(new, skip_special_tokens=True))

    def continuation_logprobs(
        self, items: Sequence[tuple[Sequence[Message], str]], batch_size: int | None = None
    ) -> list[float]:
        """The log-probability (natural log, summed over tokens) of each continuation
        after its conversation, rendered as for generation (a final assistant message is
        a prefill the continuation follows).

        The continuation's tokens are those the tokenizer gives the whole text after the
        prompt's own tokens (so a merge across the boundary is scored as the model would
        read it); when the prompt's tokens are not a prefix of the whole text's, the two
        parts are tokenised apart.
        """
        torch = self._torch
        seqs: list[tuple[list[int], int]] = []
        for messages, continuation in items:
            prompt, prefill = self._render(messages)
            head = self._tok(prompt + prefill, add_special_tokens=False)["input_ids"]
            full = self._tok(prompt + prefill + continuation, add_special_tokens=False)["input_ids"]
            if full[: len(head)] != head or len(full) == len(head):
                tail = self._tok(continuation, add_special_tokens=False)["input_ids"]
                full = head + tail
            if len(head) == 0 or len(full) == len(head):
                raise SafereasonError("continuation_logprobs: an empty prompt or continuation")
            seqs.append((full, len(head)))
        out: list[float] = []
        step = batch_size or self.batch_size
        for k in range(0, len(seqs), step):
            chunk = seqs[k : k + step]
            width = max(len(s) for s, _ in chunk)
            ids = torch.tensor(
                [s + [self._pad] * (width - len(s)) for s, _ in chunk], device=self._input_device
            )
            mask = torch.tensor(
                [[1] * len(s) + [0] * (width - len(s)) for s, _ in chunk],
                device=self._input_device,
            )
            with torch.inference_mode():
                logits = self._model(input_ids=ids, attention_mask=mask).logits.float()
            logp = torch.log_softmax(logits[:, :-1], dim=-1)
            picked = logp.gather(2, ids[:, 1:].unsqueeze(-1)).squeeze(-1)
            for row, (s, start) in enumerate(chunk):
                out.append(float(picked[row, start - 1 : len(s) - 1].sum()))
        return out

    def close(self) -> None:
        """Free the model (and the GPU memory it held)."""
        self._model = None
        gc.collect()
        if self._torch.cuda.is_available():
            self._torch.cuda.empty_cache()


def _engine() -> tuple[Any, Any]:
    """torch and transformers, or a clear error saying how to install them."""
    try:
        import torch
        import transformers
    except ImportError:
        raise SafereasonError(f"the hf backend needs torch and transformers: {_INSTALL}") from None
    return torch, transformers


def _load(
    tf: Any,
    torch: Any,
    model: str,
    dtype: str,
    device: str,
    dev: str,
    gguf_file: str | None,
    trust_remote_code: bool,
) -> tuple[Any, Any]:
    """The tokenizer and the model, on ``dev`` (``device="auto"``: spread by accelerate)."""
    common: dict[str, Any] = {"trust_remote_code": trust_remote_code}
    if gguf_file:
        common["gguf_file"] = gguf_file
    load: dict[str, Any] = {
        **common,
        _dtype_kwarg(tf.__version__): dtype if dtype == "auto" else getattr(torch, dtype),
    }
    if dev != "cpu" and importlib.util.find_spec("accelerate") is not None:
        load["device_map"] = "auto" if device == "auto" else dev
    try:
        tok: Any = tf.AutoTokenizer.from_pretrained(model, **common)
        lm: Any = tf.AutoModelForCausalLM.from_pretrained(model, **load)
    except (OSError, ValueError, ImportError) as e:
        raise SafereasonError(f"transformers cannot load {model}: {e}") from None
    if "device_map" not in load and dev != "cpu":
        lm.to(dev)
    return tok, lm


def _pad_and_eos(tok: Any, lm: Any, model: str) -> tuple[int, list[int]]:
    """The pad token id (the eos when the tokenizer has none) and the ids that end a reply."""
    eos = _as_list(lm.generation_config.eos_token_id) + _as_list(tok.eos_token_id)
    if tok.pad_token_id is None:
        if tok.eos_token is None and not eos:
            raise SafereasonError(f"{model}: the tokenizer has neither a pad nor an eos token")
        if tok.eos_token is not None:
            tok.pad_token = tok.eos_token
    pad: int = tok.pad_token_id if tok.pad_token_id is not None else eos[0]
    return pad, sorted(set(eos)) or [pad]


def _with_adapter(lm: Any, adapter: str) -> Any:
    """The model with a PEFT (LoRA) adapter loaded on top."""
    try:
        peft: Any = importlib.import_module("peft")
    except ImportError:
        raise SafereasonError(f"a LoRA adapter needs peft: {_INSTALL}") from None
    try:
        with warnings.catch_warnings():  # peft calls methods transformers deprecated
            warnings.simplefilter("ignore", FutureWarning)
            return peft.PeftModel.from_pretrained(lm, adapter)
    except (OSError, ValueError) as e:
        raise SafereasonError(f"cannot load the adapter {adapter}: {e}") from None


def _as_list(x: Any) -> list[int]:
    if x is None:
        return []
    return [int(v) for v in x] if isinstance(x, (list, tuple)) else [int(x)]


def _dtype_kwarg(version: str) -> str:
    """``dtype`` from transformers 4.56 on, ``torch_dtype`` before."""
    nums = [int(x) for x in re.findall(r"\d+", version)[:2]] + [0, 0]
    return "dtype" if (nums[0], nums[1]) >= (4, 56) else "torch_dtype"


# ---------------------------------------------------------------------------------------
# Factory hooks


def check_name(name: str) -> None:
    """A model name must be a directory, a hub repo id, a .gguf file or an embedded model."""
    from safereason.errors import did_you_mean
    from safereason.models.embedded import EMBEDDED

    p = Path(name).expanduser()
    if name in EMBEDDED or name.endswith(".gguf") or p.exists():
        return
    if HUB_ID.match(name) and not name.startswith("."):
        return
    raise SafereasonError(
        f"unknown model {name!r}{did_you_mean(name, EMBEDDED)}; use a local model directory, "
        f"a Hugging Face repo id, a .gguf file or one of {', '.join(EMBEDDED)}"
    )


def _prepare(ref: ModelEntry) -> ModelHandle:
    from safereason.models.embedded import EMBEDDED

    opts = dict(ref.options)
    if not _DEVICE.match(str(opts.get("device", "auto"))):
        raise SafereasonError(f"device must be auto, cpu, cuda or cuda:N, not {opts['device']!r}")
    gguf = opts.get("gguf_file")
    identity: dict[str, Any] = {"engine": "hf"}
    if gguf is not None or ref.name in EMBEDDED or ref.name.endswith(".gguf"):
        resolved = resolve_gguf_file(ref.name, None if gguf is None else str(gguf))
        path: Path = resolved.path.parent
        opts["gguf_file"] = resolved.path.name
        identity["weights"] = {"gguf_sha256": resolved.sha256}
        dtype = resolve_dtype(str(opts.get("dtype", "auto")), "cpu", None)
    else:
        path, identity["weights"] = resolve_weights(ref.name)
        dtype = resolve_dtype(str(opts.get("dtype", "auto")), str(opts.get("device", "auto")), path)
    opts["dtype"] = dtype
    identity["dtype"] = dtype
    identity["adapter"] = None
    if opts.get("adapter"):
        adapter_dir, identity["adapter"] = resolve_adapter(str(opts["adapter"]))
        opts["adapter"] = str(adapter_dir)
    return ModelHandle(ref.display, "hf", identity, path, opts)


def _open(handle: ModelHandle) -> HFBackend:
    assert handle.path is not None
    return HFBackend(str(handle.path), **handle.options)


ENGINE = register_backend(
    "hf",
    HFBackend,
    Engine(
        # logprobs: HFBackend.continuation_logprobs (the canary exposure metric)
        capabilities=Capabilities(thinking_budget=True, prefill=True, logprobs=True),
        options=lambda: init_options(HFBackend, skip=("model",)),
        prepare=_prepare,
        open=_open,
        check_name=check_name,
        # where and how many rows run at once (see the module doc on padding), and a limit
        # that only refuses prompts (refusals are errors, never stored)
        neutral=frozenset({"device", "batch_size", "trust_remote_code", "max_input_tokens"}),
        covered=frozenset({"dtype", "adapter", "gguf_file"}),
    ),
)
