"""From a backend to batches of finished (request, completion) pairs, ready to commit.

A backend with a ``stream(requests)`` method (openai, ray) yields completions in the
order they finish; they are committed every ``size`` completions or ``flush_s`` seconds,
so one slow request never holds back the rest. Other backends answer ``size`` requests
per ``generate`` call.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence

from safereason.plugins import Backend
from safereason.types import Completion, Request

Pairs = list[tuple[Request, Completion]]


def completed_batches(
    backend: Backend, requests: Sequence[Request], size: int, flush_s: float = 2.0
) -> Iterator[Pairs]:
    """Every request once, with its completion, in batches of at most ``size``."""
    size = max(1, size)
    stream = getattr(backend, "stream", None)
    if stream is None:
        for i in range(0, len(requests), size):
            chunk = requests[i : i + size]
            yield list(zip(chunk, backend.generate(chunk), strict=True))
        return
    by_key = {r.key: r for r in requests}
    buf: Pairs = []
    last = time.monotonic()
    for comp in stream(requests):
        buf.append((by_key[comp.key], comp))
        if len(buf) >= size or time.monotonic() - last >= flush_s:
            yield buf
            buf, last = [], time.monotonic()
    if buf:
        yield buf
