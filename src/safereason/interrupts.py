"""A Ctrl-C (or SIGTERM) that is remembered, not only raised.

Python raises KeyboardInterrupt wherever the main thread happens to be, and one raised
inside a finalizer (``__del__``, a weakref callback) is printed and swallowed. The CLI's
handler also sets a flag, and the runner checks it between batches, so an interrupt
always stops the run.
"""

from __future__ import annotations

import threading
from types import FrameType

_requested = threading.Event()


def on_signal(signum: int, frame: FrameType | None) -> None:
    """Signal handler: remember the interrupt, then raise it."""
    _requested.set()
    raise KeyboardInterrupt


def check() -> None:
    """Raise KeyboardInterrupt if an interrupt was requested."""
    if _requested.is_set():
        raise KeyboardInterrupt


def reset() -> None:
    """Forget an earlier interrupt (tests, long-lived processes)."""
    _requested.clear()
