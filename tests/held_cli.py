"""The safereason CLI in a child process whose backend holds still once it has answered N.

    python tests/held_cli.py MARKER N MODULE:CLASS CLI-ARGS...

Once ``MODULE.CLASS`` has answered ``N`` requests (one ``generate`` call at a time, as
with ``batch_size: 1``, or ``N`` completions of ``stream``), its next ``generate`` call,
or the next completion it would stream, touches ``MARKER`` and sleeps until the process
is interrupted or killed. A test starts it with :func:`held_cli`, waits for
the marker with :func:`wait_until_held` — a condition with a deadline, not a delay — and
then sends its signal: it knows exactly what was stored, however fast either process runs.
"""

from __future__ import annotations

import importlib
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any


def held_cli(marker: Path, n: int, backend: str, *args: str) -> list[str]:
    """The command line that runs ``safereason ARGS`` with ``backend`` held after ``n``."""
    return [sys.executable, str(Path(__file__).resolve()), str(marker), str(n), backend, *args]


def wait_until_held(proc: subprocess.Popen[Any], marker: Path, timeout_s: float = 300) -> None:
    """Wait for the marker; fail with the child's stderr if it ends or times out first."""
    deadline = time.monotonic() + timeout_s
    while not marker.exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    if not marker.exists():
        proc.kill()
        _, stderr = proc.communicate()
        raise AssertionError(f"the run was never held (exit {proc.returncode}): {stderr or ''}")


def _hold(marker: Path, n: int, backend: str) -> None:
    module, _, name = backend.partition(":")
    cls = getattr(importlib.import_module(module), name)
    real = cls.generate
    answered = 0

    def generate(self: Any, requests: Sequence[Any]) -> Any:
        nonlocal answered
        if answered >= n:
            marker.touch()
            time.sleep(600)  # until the test's signal
        out = real(self, requests)
        answered += len(out)
        return out

    cls.generate = generate
    real_stream = getattr(cls, "stream", None)
    if real_stream is None:
        return

    def stream(self: Any, requests: Sequence[Any]) -> Any:
        nonlocal answered
        for c in real_stream(self, requests):
            if answered >= n:  # asked for one more after n: hold before producing it
                marker.touch()
                time.sleep(600)
            answered += 1
            yield c

    cls.stream = stream


def main(argv: list[str]) -> None:
    """Hold the backend, then run the CLI on the remaining arguments."""
    marker, n, backend, *args = argv
    _hold(Path(marker), int(n), backend)
    from safereason.cli import main as cli

    cli(args=args, prog_name="safereason")


if __name__ == "__main__":
    main(sys.argv[1:])
