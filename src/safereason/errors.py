"""Errors a user can cause; the CLI prints them as one line and exits non-zero."""

from __future__ import annotations

import difflib
import os
import sys
from collections.abc import Iterable
from typing import Any


class SafereasonError(Exception):
    """A problem with the user's input or environment, reported without a traceback."""

    exit_code = 2


class OptionError(SafereasonError):
    """A bad option of a plugin or backend: ``key`` (and ``sub``, a path inside its value)
    say where, so a config error can point at the option's own line."""

    def __init__(
        self, message: str, key: str, sub: tuple[str, ...] = (), detail: str | None = None
    ) -> None:
        super().__init__(message)
        self.key = key
        self.sub = sub
        self.detail = detail or message  # the message for a line that names the key path

    @property
    def path(self) -> list[str | int]:
        """The option's key path below its entry (list indices as ints)."""
        return [self.key, *(int(p) if p.isdigit() else p for p in self.sub)]


class InterruptedRun(SafereasonError):
    """The run was stopped before it finished; what was stored is kept."""

    exit_code = 130


def did_you_mean(name: str, choices: Iterable[str]) -> str:
    """A ' (did you mean X?)' hint, or an empty string when nothing is close."""
    close = difflib.get_close_matches(name, list(choices), n=1, cutoff=0.5)
    return f" (did you mean {close[0]!r}?)" if close else ""


def one_line(text: str) -> str:
    """``text`` on one line: newlines and runs of spaces become single spaces."""
    return " ".join(str(text).split())


def print_error(message: str) -> None:
    """``error: MESSAGE`` on stderr, on one line, the message never read as markup."""
    from rich.console import Console
    from rich.text import Text

    line = Text.assemble(("error:", "bold red"), " ", one_line(message))
    Console(stderr=True).print(line, soft_wrap=True, highlight=False)


def unexpected(e: BaseException) -> str:
    """The one line for an exception no layer turned into a :class:`SafereasonError`."""
    if isinstance(e, MemoryError):
        return (
            "out of memory; make the experiment smaller (fewer samples, methods or models) "
            "or run it on a machine with more memory"
        )
    if isinstance(e, OSError) and e.strerror:
        where = f"{e.filename}: " if e.filename else ""
        return f"{where}{e.strerror}"
    if isinstance(e, RecursionError):
        return "input nested too deeply"
    detail = one_line(str(e))[:300] or "(no message)"
    return (
        f"internal error: {type(e).__name__}: {detail} (a bug in safereason or a plugin: "
        f"run again with SAFEREASON_DEBUG=1 for the traceback, and report it)"
    )


def quiet_hub() -> None:
    """Keep huggingface_hub's retry warnings (a line per retry) off the terminal: a hub
    failure ends in one line of ours. ``HF_HUB_VERBOSITY`` set by the user wins."""
    import logging

    if os.environ.get("HF_HUB_VERBOSITY"):
        return
    os.environ["HF_HUB_VERBOSITY"] = "error"  # read when huggingface_hub configures logging
    logging.getLogger("huggingface_hub").setLevel(logging.ERROR)  # if it already has


class OneLineErrors:
    """A click command mixin: every error is one line on stderr and a non-zero exit.

    Usage errors (a missing argument, a bad number), :class:`SafereasonError`, and, as a
    last resort, any other exception (named as an internal error; ``SAFEREASON_DEBUG=1``
    shows its traceback). Ctrl-C exits 130, saying that what was stored is kept.
    """

    def main(self, *args: Any, **kwargs: Any) -> Any:
        import click

        standalone = kwargs.pop("standalone_mode", True)
        try:
            rv = super().main(*args, standalone_mode=False, **kwargs)  # type: ignore[misc]
        except click.exceptions.Abort:
            print_error("aborted")
            sys.exit(1)
        except click.ClickException as e:
            ctx = getattr(e, "ctx", None)
            hint = f" (see: {ctx.command_path} --help)" if ctx is not None else ""
            print_error(e.format_message() + hint)
            sys.exit(e.exit_code)
        if not standalone:
            return rv
        sys.exit(rv if isinstance(rv, int) else 0)

    def invoke(self, ctx: Any) -> Any:
        quiet_hub()
        try:
            return super().invoke(ctx)  # type: ignore[misc]
        except SafereasonError as e:
            print_error(str(e))
            sys.exit(e.exit_code)
        except KeyboardInterrupt:
            print_error("interrupted: what was stored is kept; run again to resume")
            sys.exit(130)
        except (SystemExit, GeneratorExit):
            raise
        except Exception as e:
            import click

            if isinstance(e, click.ClickException | click.exceptions.Exit) or os.environ.get(
                "SAFEREASON_DEBUG"
            ):
                raise
            print_error(unexpected(e))
            sys.exit(1)
