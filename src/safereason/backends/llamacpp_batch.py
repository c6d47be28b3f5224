"""Several sequences decoded together in one llama.cpp context (continuous batching).

A :class:`BatchDecoder` owns a second llama.cpp context on the model a ``Llama`` already
loaded, with ``parallel`` sequence slots. Each slot has its own KV stream of the full
``n_ctx`` (``kv_unified`` off, ``n_ctx x parallel`` cells in all), so a request sees
exactly the context it would see alone. A request's prompt is evaluated on its own, in
``n_batch`` chunks as llama-cpp-python's ``Llama.eval`` does; then every step decodes one
token of each active sequence in one ``llama_batch`` (one sequence id per slot), and each
sequence samples from its own row with its own llama.cpp sampler chain, built as
llama-cpp-python builds it for ``create_completion`` (penalties, then greedy at
temperature 0, else top-k 40, typical 1, top-p, min-p 0.05, temperature, dist(seed)).
A finished sequence's slot is cleared and refilled from the queue at once.

Stop strings, end-of-generation tokens, the multi-byte guard, ``max_tokens`` clipping to
the context and the usage counts follow ``Llama._create_completion``, so a greedy
completion's text is the single-stream one's (see docs/architecture.md for what holds).
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

TOP_K, MIN_P, TYPICAL_P, PENALTY_LAST_N = 40, 0.05, 1.0, 64  # llama-cpp-python's defaults
ROWS = 4  # every decoding step is padded to a multiple of this many rows


def slots_for(parallel: int) -> int:
    """The sequences the context holds: ``parallel`` rounded up to a multiple of ``ROWS``."""
    return -(-parallel // ROWS) * ROWS


@dataclass
class Job:
    """One prompt to complete, and (once run) its completion."""

    tokens: list[int]
    max_tokens: int
    temperature: float
    top_p: float
    seed: int
    stop: list[bytes] = field(default_factory=list)
    out: list[int] = field(default_factory=list)
    text: bytes = b""
    finish: str = "length"
    error: str | None = None
    seconds: float = 0.0  # from its prompt's evaluation to its last token
    done: bool = False


@dataclass
class _Slot:
    seq: int
    job: Job
    index: int
    sampler: Any
    n_past: int
    last: int = -1
    multibyte: int = 0
    t0: float = field(default_factory=time.perf_counter)


class BatchDecoder:
    """``parallel`` slots over one llama.cpp context on a loaded ``Llama``'s model."""

    def __init__(self, llm: Any, parallel: int, n_ctx: int) -> None:
        import llama_cpp

        self._lc = llama_cpp
        self._llm = llm
        self.parallel = parallel
        self.n_ctx = n_ctx  # per sequence
        params = llama_cpp.llama_context_params.from_buffer_copy(llm.context_params)
        self.slots = slots_for(parallel)
        params.n_ctx = n_ctx * self.slots
        params.n_seq_max = self.slots
        params.kv_unified = False
        self.n_batch = int(params.n_batch)
        ctx = llama_cpp.llama_init_from_model(llm._model.model, params)
        if ctx is None:
            raise ValueError(f"llama.cpp could not create a context of {parallel} x {n_ctx}")
        self._ctx = ctx
        self._mem = llama_cpp.llama_get_memory(ctx)
        self._batch = llama_cpp.llama_batch_init(max(self.n_batch, self.slots), 0, 1)
        self._vocab = llm._model.vocab
        self._n_vocab = llm.n_vocab()

    def close(self) -> None:
        """Free the batch and the context (before the ``Llama`` frees its model)."""
        if self._ctx is not None:
            self._lc.llama_batch_free(self._batch)
            self._lc.llama_free(self._ctx)
            self._ctx = None

    # ------------------------------------------------------------------------------
    def run(self, jobs: Sequence[Job]) -> Iterator[int]:
        """Complete every job in place; yields each job's index as it finishes."""
        queue = deque(range(len(jobs)))
        free = list(range(self.parallel))[::-1]
        active: list[_Slot] = []
        try:
            while queue or active:
                while queue and free:
                    i, seq = queue.popleft(), free.pop()
                    slot = self._start(seq, jobs[i], i)
                    if slot is None or self._advance(slot):
                        self._end(seq, slot)
                        free.append(seq)
                        jobs[i].done = True
                        yield i
                    else:
                        active.append(slot)
                if not active:
                    continue
                self._step(active)
                done = []
                for row, slot in enumerate(active):
                    slot.last = self._sample(slot, row)
                    if self._advance(slot):
                        done.append(slot)
                ended = {id(s) for s in done}
                active = [s for s in active if id(s) not in ended]
                for slot in done:
                    self._end(slot.seq, slot)
                    free.append(slot.seq)
                    slot.job.done = True
                for slot in done:
                    yield slot.index
        finally:  # an error or an interrupt: free what is still running
            for slot in active:
                self._end(slot.seq, slot)

    def _end(self, seq: int, slot: _Slot | None) -> None:
        """Free a finished sequence's sampler and KV cells."""
        if slot is not None:
            slot.job.seconds = time.perf_counter() - slot.t0
            self._lc.llama_sampler_free(slot.sampler)
        self._lc.llama_memory_seq_rm(self._mem, seq, -1, -1)

    def _start(self, seq: int, job: Job, index: int) -> _Slot | None:
        """Evaluate a job's prompt in slot ``seq`` and sample its first token."""
        n = len(job.tokens)
        if job.error is not None or n == 0:
            job.error = job.error or "the prompt has no tokens"
            return None
        if n >= self.n_ctx:
            job.error = f"Requested tokens ({n}) exceed context window of {self.n_ctx}"
            return None
        if job.max_tokens <= 0:
            job.max_tokens = self.n_ctx - n
        if job.max_tokens + n >= self.n_ctx:
            job.max_tokens = self.n_ctx - n
        self._lc.llama_memory_seq_rm(self._mem, seq, -1, -1)
        slot = _Slot(seq, job, index, self._sampler(job), n)
        try:
            for start in range(0, n, self.n_batch):
                chunk = job.tokens[start : start + self.n_batch]
                self._fill([(t, start + k, seq, start + k == n - 1) for k, t in enumerate(chunk)])
                self._decode()
            slot.last = int(self._lc.llama_sampler_sample(slot.sampler, self._ctx, -1))
        except BaseException:
            self._end(seq, slot)
            raise
        return slot

    def _step(self, active: list[_Slot]) -> None:
        """One token of every active sequence through the model, in one batch.

        The batch is padded with throw-away rows on idle sequences to a multiple of
        ``ROWS``, so every row goes through the same CPU kernels whatever the batch
        holds (ggml picks another matmul kernel for one row, and repacked weights
        another for rows past the last multiple of four): a sequence's logits do not
        depend on how many others run beside it.
        """
        rows = [(s.last, s.n_past, s.seq, True) for s in active]
        busy = {s.seq for s in active}
        idle = [q for q in range(self.slots) if q not in busy]
        pads = idle[: slots_for(len(rows)) - len(rows)]
        rows += [(active[0].last, 0, q, True) for q in pads]
        self._fill(rows)
        for s in active:
            s.n_past += 1
        self._decode()
        for q in pads:
            self._lc.llama_memory_seq_rm(self._mem, q, -1, -1)

    def _sample(self, slot: _Slot, row: int) -> int:
        return int(self._lc.llama_sampler_sample(slot.sampler, self._ctx, row))

    def _advance(self, slot: _Slot) -> bool:
        """Take the slot's sampled token as ``_create_completion`` does; True when done."""
        job, token = slot.job, slot.last
        if self._lc.llama_vocab_is_eog(self._vocab, token):
            job.text, job.finish = self._text(job), "stop"
            return True
        job.out.append(token)
        text = self._text(job)
        for k, char in enumerate(text[-3:]):
            k = 3 - k
            for num, pattern in ((2, 192), (3, 224), (4, 240)):
                if num > k and pattern & char == pattern:
                    slot.multibyte = num - k
        if slot.multibyte > 0:
            slot.multibyte -= 1
        else:
            hits = [s for s in job.stop if s in text]
            if hits:
                job.text, job.finish = text[: text.index(hits[0])], "stop"
                return True
        if len(job.out) >= job.max_tokens:
            job.text, job.finish = self._text(job), "length"
            return True
        return False

    def _text(self, job: Job) -> bytes:
        return bytes(self._llm.detokenize(job.out, prev_tokens=job.tokens))

    def _sampler(self, job: Job) -> Any:
        lc = self._lc
        chain = lc.llama_sampler_chain_init(lc.llama_sampler_chain_default_params())

        def add(s: Any) -> None:
            lc.llama_sampler_chain_add(chain, s)

        add(lc.llama_sampler_init_penalties(self._n_vocab, PENALTY_LAST_N, 1.0, 0.0, 0.0))
        t = job.temperature
        if t < 0.0:
            add(lc.llama_sampler_init_dist(job.seed))
        elif t == 0.0:
            add(lc.llama_sampler_init_greedy())
        else:
            add(lc.llama_sampler_init_top_k(TOP_K))
            add(lc.llama_sampler_init_typical(TYPICAL_P, 1))
            add(lc.llama_sampler_init_top_p(job.top_p, 1))
            add(lc.llama_sampler_init_min_p(MIN_P, 1))
            add(lc.llama_sampler_init_temp(t))
            add(lc.llama_sampler_init_dist(job.seed))
        return chain

    def _fill(self, rows: list[tuple[int, int, int, bool]]) -> None:
        b = self._batch
        for i, (tok, pos, seq, logits) in enumerate(rows):
            b.token[i] = tok
            b.pos[i] = pos
            b.n_seq_id[i] = 1
            b.seq_id[i][0] = seq
            b.logits[i] = logits
        b.n_tokens = len(rows)

    def _decode(self) -> None:
        rc = self._lc.llama_decode(self._ctx, self._batch)
        if rc != 0:
            raise RuntimeError(f"llama_decode returned {rc}")
