"""llama.cpp through llama-cpp-python: the embedded CPU default."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import Field

from safereason.backends.chat import THINK_CLOSE, split_prefill, think_head
from safereason.backends.factory import (
    Capabilities,
    Engine,
    ModelHandle,
    init_options,
    register_backend,
)
from safereason.backends.llamacpp_batch import ROWS, BatchDecoder, Job
from safereason.errors import SafereasonError
from safereason.reasoning_split import split_reasoning
from safereason.types import Completion, Request

if TYPE_CHECKING:
    from safereason.backends.factory import ModelEntry


# Sequences decoded together when a model entry sets no ``parallel``: one, through
# llama-cpp-python's own create_chat_completion. Measured (docs/benchmarks.md): batched
# decoding pays for its 4-row padding only from parallel 8-16 on this 2-core CPU, and on
# the embedded 0.5B model (Q5_0/Q8_0 tensors) texts change with parallel, so it is opt-in.
DEFAULT_PARALLEL = 1
DECODING = f"batched-rows{ROWS}"
MAX_PARALLEL = 256  # llama.cpp's LLAMA_MAX_SEQ: the sequences one context can hold


class LlamaCppBackend:
    """Generates with a GGUF model; the chat template comes from the GGUF's metadata.

    Each request starts from an empty KV cache (``reuse_prefix=False``) so a result
    depends only on its request, never on what ran before it: resumed and uninterrupted
    runs give identical text. With ``parallel`` above 1, requests in the GGUF's own chat
    template (plain and prefilled) are decoded that many at a time in one context
    (``llamacpp_batch.BatchDecoder``), each with its own KV stream and sampler chain; the
    width is part of the model's identity, since texts can differ with it. The default
    (1), thinking-budget requests, ``reuse_prefix`` and a ``chat_format`` other than the
    GGUF's template go one at a time through llama-cpp-python's ``create_*completion``.
    """

    preferred_batch = 16  # requests per generate() call when the runner streams nothing

    def __init__(
        self,
        path: Path,
        n_ctx: int = 4096,  # 0: the model's own training context
        n_threads: Annotated[int, Field(ge=1)] | None = None,
        n_batch: Annotated[int, Field(ge=1)] = 512,
        reuse_prefix: bool = False,
        chat_format: str | None = None,
        verbose: bool = False,
        parallel: Annotated[int, Field(ge=1, le=MAX_PARALLEL)] | None = None,
    ) -> None:
        try:
            from llama_cpp import Llama
        except ImportError:
            raise SafereasonError(
                "the llama.cpp backend needs llama-cpp-python: pip install 'safereason[cpu]'"
            ) from None
        self.path = path
        self.reuse_prefix = reuse_prefix
        threads = n_threads or max(1, min(os.cpu_count() or 1, 8))
        try:
            self._llm = Llama(
                model_path=str(path),
                n_ctx=n_ctx,
                n_threads=threads,
                n_batch=n_batch,
                chat_format=chat_format,
                verbose=verbose,
            )
        except (ValueError, RuntimeError) as e:
            raise SafereasonError(f"llama.cpp cannot load {path}: {e}") from None
        self.n_ctx = n_ctx
        self.parallel = parallel or DEFAULT_PARALLEL
        self._decoder: BatchDecoder | None = None

    def set_parallel(self, parallel: int) -> None:
        """Decode ``parallel`` sequences at a time from now on (a new batch context)."""
        if self._decoder is not None:
            self._decoder.close()
            self._decoder = None
        self.parallel = parallel

    def generate(self, requests: Sequence[Request]) -> list[Completion]:
        """Every request's completion, in order."""
        done = {i: c for i, c in self._run(requests)}
        return [done[i] for i in range(len(requests))]

    def stream(self, requests: Sequence[Request]) -> Iterator[Completion]:
        """Completions as they finish; a finished sequence's slot takes the next request."""
        for _, c in self._run(requests):
            yield c

    def _run(self, requests: Sequence[Request]) -> Iterator[tuple[int, Completion]]:
        batched = [i for i, r in enumerate(requests) if self._batchable(r)]
        alone = sorted(set(range(len(requests))) - set(batched))
        for i in alone:
            yield i, self._one(requests[i])
        if not batched:
            return
        jobs = [self._job(requests[i]) for i in batched]
        decoder = self._batch_decoder()
        try:
            for k in decoder.run(jobs):
                yield batched[k], self._finished(requests[batched[k]], jobs[k])
        except RuntimeError as e:  # llama_decode failed: the unfinished ones are errors
            pending = [k for k, j in enumerate(jobs) if not j.done]
            for k in pending:
                r = requests[batched[k]]
                yield batched[k], self._failed(r, self._error(r, e), jobs[k].seconds)

    def _batchable(self, r: Request) -> bool:
        """Decoded in the batch: the GGUF's own template, no thinking budget, fresh KV."""
        return (
            self.parallel > 1
            and not self.reuse_prefix
            and r.params.thinking_budget is None
            and self._llm.chat_format == "chat_template.default"
        )

    def _batch_decoder(self) -> BatchDecoder:
        if self._decoder is None:
            try:
                self._decoder = BatchDecoder(self._llm, self.parallel, self._llm.n_ctx())
            except ValueError as e:
                raise SafereasonError(
                    f"llama.cpp cannot hold {self.parallel} sequences of "
                    f"n_ctx={self._llm.n_ctx()} for {self.path.name} ({e}); lower parallel "
                    f"or n_ctx"
                ) from None
        return self._decoder

    def _job(self, r: Request) -> Job:
        """A request as prompt tokens and stop strings, as llama-cpp-python would build them."""
        p = r.params
        msgs, prefill = split_prefill(r.messages)
        try:
            rendered = self._formatter()(
                messages=[{"role": m.role, "content": m.content} for m in msgs]
            )
        except Exception as e:  # a template error: the request fails, the batch goes on
            job = Job([], p.max_tokens, p.temperature, p.top_p, p.seed)
            job.error = f"the chat template failed: {type(e).__name__}: {e}"
            return job
        rstop = [rendered.stop] if isinstance(rendered.stop, str) else list(rendered.stop or [])
        if r.messages[-1].role == "assistant":  # create_completion(prompt=str): its BOS/EOS
            tokens = self._completion_tokens(rendered.prompt + prefill)
        else:  # the chat handler tokenizes the rendered prompt itself
            tokens = self._llm.tokenize(
                rendered.prompt.encode("utf-8"), add_bos=not rendered.added_special, special=True
            )
        stop = [s.encode("utf-8") for s in [*p.stop, *rstop]]
        return Job(list(tokens), p.max_tokens, p.temperature, p.top_p, p.seed, stop)

    def _completion_tokens(self, prompt: str) -> list[int]:
        """A text prompt's tokens as ``Llama._create_completion`` makes them."""
        llm, model = self._llm, self._llm._model
        cls, sep = model.token_cls(), model.token_sep()
        bos = [cls if cls != -1 else llm.token_bos()]
        if not model.add_bos_token() or bos == [-1]:
            bos = []
        eos = [sep if sep != -1 else llm.token_eos()]
        if not model.add_eos_token() and sep == -1:
            eos = []
        return bos + list(llm.tokenize(prompt.encode("utf-8"), add_bos=False, special=True)) + eos

    def _finished(self, r: Request, job: Job) -> Completion:
        if job.error is not None:
            return self._failed(r, self._error(r, ValueError(job.error)), job.seconds)
        text = job.text.decode("utf-8", errors="ignore")
        _, prefill = split_prefill(r.messages)
        answer, reasoning = split_reasoning(prefill + text)
        return Completion(
            key=r.key,
            text=answer,
            reasoning=reasoning,
            prompt_tokens=len(job.tokens),
            completion_tokens=len(job.out),
            finish_reason=job.finish,
            latency_s=job.seconds,
            engine="llamacpp",
        )

    def _failed(self, r: Request, reason: str, seconds: float) -> Completion:
        return Completion(
            key=r.key,
            text="",
            prompt_tokens=self._prompt_tokens(r) or 0,
            finish_reason=reason,
            latency_s=seconds,
            engine="llamacpp",
        )

    def _one(self, r: Request) -> Completion:
        if not self.reuse_prefix:
            self._llm.reset()  # type: ignore[no-untyped-call]
        start = time.perf_counter()
        try:
            if r.params.thinking_budget is not None:
                text, usage, finish = self._budgeted(r, r.params.thinking_budget)
            elif r.messages and r.messages[-1].role == "assistant":
                text, usage, finish = self._continue(r)
            else:
                text, usage, finish = self._plain(r)
        except (ValueError, RuntimeError) as e:  # e.g. the prompt does not fit the context
            return Completion(
                key=r.key,
                text="",
                prompt_tokens=self._prompt_tokens(r) or 0,
                finish_reason=self._error(r, e),
                latency_s=time.perf_counter() - start,
                engine="llamacpp",
            )
        answer, reasoning = split_reasoning(text)
        return Completion(
            key=r.key,
            text=answer,
            reasoning=reasoning,
            prompt_tokens=int(usage.get("prompt_tokens", 0)),
            completion_tokens=int(usage.get("completion_tokens", 0)),
            finish_reason=finish,
            latency_s=time.perf_counter() - start,
            engine="llamacpp",
        )

    def _plain(self, r: Request) -> tuple[str, dict[str, Any], str]:
        """A chat request through llama-cpp-python's ``create_chat_completion``."""
        messages: Any = [{"role": m.role, "content": m.content} for m in r.messages]
        res: Any = self._llm.create_chat_completion(
            messages=messages,
            max_tokens=r.params.max_tokens,
            temperature=r.params.temperature,
            top_p=r.params.top_p,
            seed=r.params.seed,
            stop=list(r.params.stop) or None,
        )
        choice = res["choices"][0]
        text = choice["message"].get("content") or ""
        return text, res.get("usage") or {}, str(choice.get("finish_reason") or "stop")

    def _prompt_tokens(self, r: Request) -> int | None:
        """The request's prompt length in tokens (its chat template rendered), if known."""
        try:
            msgs, prefill = split_prefill(r.messages)
            rendered = self._formatter()(
                messages=[{"role": m.role, "content": m.content} for m in msgs]
            )
            return len(self._llm.tokenize((rendered.prompt + prefill).encode("utf-8")))
        except Exception:  # no template, or a tokenizer error: the count is only a hint
            return None

    def _error(self, r: Request, e: Exception) -> str:
        """A request llama.cpp could not generate, as an ``error: ...`` finish reason.

        llama-cpp-python reports a context overflow in its own words (``Requested tokens
        exceed context window``, or a numpy broadcast error from its token buffer); it is
        named as what it is, with the sizes, so the user knows which option to change.
        """
        n_ctx = self._llm.n_ctx()
        n = self._prompt_tokens(r)
        text = " ".join(str(e).split())
        overflow = (
            (n is not None and n + 1 >= n_ctx)
            or "context window" in text
            or "could not broadcast" in text
        )
        if overflow:
            size = f"{n} tokens" if n is not None else "it"
            return (
                f"error: the prompt ({size}) and up to {r.params.max_tokens} new tokens do not "
                f"fit the context window n_ctx={n_ctx}; raise n_ctx (llama.cpp: {text[:80]})"
            )[:300]
        return f"error: llama.cpp: {type(e).__name__}: {text}"[:300]

    def _continue(self, r: Request) -> tuple[str, dict[str, Any], str]:
        """Continue a prefilled assistant turn: render the template, append the prefill."""
        prefill = r.messages[-1].content
        rendered = self._formatter()(
            messages=[{"role": m.role, "content": m.content} for m in r.messages[:-1]]
        )
        stop = list(r.params.stop) + (
            [rendered.stop] if isinstance(rendered.stop, str) else list(rendered.stop or [])
        )
        res: Any = self._llm.create_completion(
            prompt=rendered.prompt + prefill,
            max_tokens=r.params.max_tokens,
            temperature=r.params.temperature,
            top_p=r.params.top_p,
            seed=r.params.seed,
            stop=stop or None,
        )
        choice = res["choices"][0]
        return prefill + choice["text"], res.get("usage") or {}, str(choice.get("finish_reason"))

    def _budgeted(self, r: Request, budget: int) -> tuple[str, dict[str, Any], str]:
        """Think for at most ``budget`` tokens, close the trace, then answer."""
        msgs, prefill = split_prefill(r.messages)
        if not prefill:
            msgs = r.messages  # an empty final assistant turn is rendered as a turn
        rendered = self._formatter()(
            messages=[{"role": m.role, "content": m.content} for m in msgs]
        )
        head = think_head(rendered.prompt + prefill)
        prompt = rendered.prompt + prefill + head
        p = r.params
        think: Any = self._llm.create_completion(
            prompt=prompt,
            max_tokens=budget,
            temperature=p.temperature,
            top_p=p.top_p,
            seed=p.seed,
            stop=["</think>"],
        )
        thought = think["choices"][0]["text"]
        used = int(think["usage"]["completion_tokens"])
        if not self.reuse_prefix:
            self._llm.reset()  # type: ignore[no-untyped-call]
        answer: Any = self._llm.create_completion(
            prompt=prompt + thought + THINK_CLOSE,
            max_tokens=max(1, p.max_tokens - used),
            temperature=p.temperature,
            top_p=p.top_p,
            seed=p.seed,
            stop=list(p.stop) or None,
        )
        usage = {
            "prompt_tokens": int(think["usage"]["prompt_tokens"]),
            "completion_tokens": used + int(answer["usage"]["completion_tokens"]),
        }
        text = prefill + head + thought + THINK_CLOSE + answer["choices"][0]["text"]
        return text, usage, str(answer["choices"][0].get("finish_reason"))

    def _formatter(self) -> Any:
        """The GGUF's own chat template as a formatter (as llama-cpp-python builds it)."""
        from llama_cpp.llama_chat_format import Jinja2ChatFormatter

        llm = self._llm
        template = llm.metadata.get("tokenizer.chat_template")
        if not template:
            raise ValueError("this GGUF has no chat template, so a prefill cannot be continued")

        def text(tok: int) -> str:
            return llm._model.token_get_text(tok) if tok != -1 else ""

        return Jinja2ChatFormatter(
            template=template,
            eos_token=text(llm.token_eos()),
            bos_token=text(llm.token_bos()),
            stop_token_ids=[llm.token_eos()],
        )

    def close(self) -> None:
        """Free the batch context, then the model."""
        if self._decoder is not None:
            self._decoder.close()
            self._decoder = None
        close = getattr(self._llm, "close", None)
        if close is not None:
            close()


def _check_name(name: str) -> None:
    from safereason.errors import did_you_mean
    from safereason.models.embedded import EMBEDDED
    from safereason.models.resolve import looks_like_model

    if not looks_like_model(name):
        raise SafereasonError(
            f"unknown model {name!r}{did_you_mean(name, EMBEDDED)}; use one of "
            f"{', '.join(EMBEDDED)}, a path to a .gguf file, or a Hugging Face repo id"
        )


def _prepare(ref: ModelEntry) -> ModelHandle:
    from safereason.models.resolve import resolve_gguf

    resolved = resolve_gguf(ref.name)
    identity = {
        "engine": "llamacpp",
        "weights_sha256": resolved.sha256,
        "chat_format": ref.options.get("chat_format"),
    }
    parallel = int(ref.options.get("parallel") or DEFAULT_PARALLEL)
    if parallel > 1:
        # how tokens are computed: chat requests in padded batches (llamacpp_batch); on some
        # quantisations the texts differ with the batch width, so each width is its own
        # identity and never mixed with another's or with one-at-a-time results
        identity["decoding"] = f"{DECODING}-parallel{parallel}"
    return ModelHandle(ref.display, "llamacpp", identity, resolved.path, ref.options)


def _open(handle: ModelHandle) -> LlamaCppBackend:
    assert handle.path is not None
    return LlamaCppBackend(handle.path, **handle.options)


ENGINE = register_backend(
    "llamacpp",
    LlamaCppBackend,
    Engine(
        capabilities=Capabilities(streaming=True, thinking_budget=True, prefill=True),
        options=lambda: init_options(LlamaCppBackend, skip=("path",)),
        prepare=_prepare,
        open=_open,
        check_name=_check_name,
        # threads split the same arithmetic; verbosity is logging; parallel reaches the
        # identity as its decoding (one at a time, or batched at that width) in _prepare
        neutral=frozenset({"n_threads", "verbose", "parallel"}),
        covered=frozenset({"chat_format"}),
    ),
)
