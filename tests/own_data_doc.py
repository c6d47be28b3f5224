"""Run docs/own-data.md as written: every file it shows is written, every command run.

The page marks what it shows: ``<!-- file: NAME -->`` before a fenced block (write the
block to NAME), ``<!-- benchmark -->`` before a one-entry YAML list (load it; its
``# read as: X`` comment is the layout the note must name), ``<!-- command -->`` before a
bash block (run each line: ``safereason ...`` in-process, ``python ...`` in a child,
``export K=V``; a ``# says: TEXT`` line is text the previous command must print), and
``<!-- gguf: PATH -->`` / ``<!-- hf-model: DIR -->`` for weights the test provides (the
``embedded-small`` GGUF, a tiny locally built Llama). Everything runs in an empty folder.
``tests/unit/test_own_data_doc.py`` runs the data and judge sections (no engine);
``tests/integration/test_own_data_models.py`` the model section (real engines).
"""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from safereason import plugins
from safereason.cli import main

DOC = Path(__file__).parents[1] / "docs" / "own-data.md"
MODEL_SECTION = "Your model"
MARK = re.compile(r"^<!-- (file|benchmark|command|gguf|hf-model)(?:: (.+?))? -->$")
FENCE = re.compile(r"^```(\w*)$")


@dataclass
class Block:
    """A fenced block, the markers before it and the ``## `` section it is in."""

    section: str
    marks: list[tuple[str, str]] = field(default_factory=list)
    body: str = ""


@dataclass
class Ran:
    """What running the page did: the benchmark entries it loaded, the commands it ran."""

    benchmarks: list[str] = field(default_factory=list)
    commands: int = 0


def blocks(text: str) -> list[Block]:
    """The page's fenced blocks with their markers; a marker that precedes no block fails."""
    out: list[Block] = []
    marks: list[tuple[str, str]] = []
    section = ""
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        m = MARK.match(line.strip())
        if m:
            marks.append((m.group(1), m.group(2) or ""))
        elif FENCE.match(line) and line != "```":
            j = i + 1
            while lines[j] != "```":
                j += 1
            out.append(Block(section, marks, "\n".join(lines[i + 1 : j]) + "\n"))
            marks, i = [], j
        elif line.strip() and marks:
            raise AssertionError(f"markers not right before a block: {marks} ({line!r})")
        elif line.startswith("## "):
            section = line.removeprefix("## ").strip()
        i += 1
    return out


def run_line(line: str, cwd: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """One command line of the page; what it printed (a failure fails the test)."""
    if line.startswith("export "):
        key, _, value = line.removeprefix("export ").partition("=")
        monkeypatch.setenv(key, value)
        return ""
    argv = shlex.split(line, comments=True)
    if argv[0] == "safereason":
        result = CliRunner().invoke(main, argv[1:], catch_exceptions=False)
        assert result.exit_code == 0, (line, result.output)
        return result.output
    if argv[0] == "python":
        p = subprocess.run([sys.executable, *argv[1:]], cwd=cwd, capture_output=True, text=True)
        assert p.returncode == 0, (line, p.stderr)
        return p.stdout + p.stderr
    raise AssertionError(f"the page shows a command this test does not run: {line}")


def provide_weights(kind: str, target: Path) -> None:
    """Real weights where the page points a model entry: a GGUF file or a transformers folder."""
    target.parent.mkdir(parents=True, exist_ok=True)
    if kind == "gguf":
        from safereason.models.embedded import embedded_path

        target.symlink_to(embedded_path("embedded-small"))
    else:
        from tests.tiny_llama import build_tiny_llama

        build_tiny_llama(target, ["a tiny corpus for a tiny model"] * 8, 300, 64)


def run_page(
    root: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    selected: Callable[[str], bool],
) -> Ran:
    """Write every file the page shows into ``root``, then run the ``selected`` sections."""
    monkeypatch.chdir(root)
    monkeypatch.setenv("SAFEREASON_CACHE", str(root / "cache.sqlite"))
    page = blocks(DOC.read_text(encoding="utf-8"))
    for block in page:
        for kind, arg in block.marks:
            if kind == "file":
                (root / arg).write_text(block.body, encoding="utf-8")
    ran = Ran()
    for block in (b for b in page if selected(b.section)):
        for kind, arg in block.marks:
            if kind in ("gguf", "hf-model"):
                provide_weights(kind, root / arg)
            elif kind == "benchmark":
                ran.benchmarks.append(_load_entry(block.body, capsys))
            elif kind == "command":
                out = ""
                for line in block.body.splitlines():
                    if line.startswith("# says: "):
                        assert line.removeprefix("# says: ") in out, (line, out)
                    elif line.strip() and not line.startswith("#"):
                        out = run_line(line, root, monkeypatch)
                        ran.commands += 1
    return ran


def _load_entry(body: str, capsys: pytest.CaptureFixture[str]) -> str:
    """Load one benchmark entry of the page; check the layout it says; the entry's text."""
    (entry,) = yaml.safe_load(body)
    layout = re.search(r"# read as: (.+)$", body.strip())
    assert layout, f"say which layout this entry is read as: {body}"
    options = {k: v for k, v in entry.items() if k not in ("name", "label")}
    capsys.readouterr()
    samples = plugins.benchmarks.build(entry["name"], options).load()
    assert samples, body
    note = capsys.readouterr().err
    assert f"read as {layout.group(1)}" in note, (body, note)
    return body.split("#")[0].strip().removeprefix("- ")
