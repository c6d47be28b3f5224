"""The command line: user errors end in one line and a non-zero exit, never a traceback."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.cli_run import run_cli
from tests.conftest import fake_experiment
from tests.held_cli import held_cli, wait_until_held

FAKE = "safereason.backends.fake:FakeBackend"


def sr(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return run_cli(*args, cwd=cwd)


def _one_line_error(p: subprocess.CompletedProcess[str]) -> str:
    assert p.returncode != 0
    assert "Traceback" not in p.stderr
    lines = [x for x in p.stderr.splitlines() if x.strip()]
    assert len(lines) == 1, p.stderr
    return lines[0]


def test_run_and_report(tmp_path: Path) -> None:
    cfg = tmp_path / "e.yaml"
    cfg.write_text(fake_experiment(tmp_path))
    p = sr("run", str(cfg), "--no-progress")
    assert p.returncode == 0, p.stderr
    assert "refusal_rate" in p.stdout and "accuracy" in p.stdout
    r = sr("report", str(tmp_path / "runs" / "t"))
    assert r.returncode == 0 and "summary.md" in r.stdout
    d = sr("run", str(cfg), "--dry-run")
    assert "to generate: 0 requests" in d.stdout


def test_bad_yaml_is_one_line(tmp_path: Path) -> None:
    cfg = tmp_path / "bad.yaml"
    cfg.write_text("name: x\nmodels: [embedded\n")
    assert "bad.yaml:" in _one_line_error(sr("run", str(cfg)))


def test_unknown_method_is_one_line(tmp_path: Path) -> None:
    cfg = tmp_path / "e.yaml"
    cfg.write_text(fake_experiment(tmp_path, methods=["drect"]))
    assert "did you mean 'direct'" in _one_line_error(sr("run", str(cfg)))


def test_unwritable_run_dir(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    cfg = tmp_path / "e.yaml"
    cfg.write_text(fake_experiment(tmp_path))
    line = _one_line_error(sr("run", str(cfg), "--out", str(blocker / "run")))
    assert "cannot write run directory" in line


def test_report_on_missing_run(tmp_path: Path) -> None:
    assert "no run found" in _one_line_error(sr("report", str(tmp_path / "nope")))


def test_list_shows_every_kind() -> None:
    p = sr("list")
    assert p.returncode == 0
    for name in (
        "embedded",
        "zero_shot_cot",
        "procedural_math",
        "harmful_starter",
        "refusal",
        "answer_match",
        "llamacpp",  # backends are listed like the other plugins
    ):
        assert name in p.stdout


def test_ctrl_c_keeps_what_was_stored_and_resumes(tmp_path: Path) -> None:
    import signal

    from safereason.store import Store

    cfg = tmp_path / "e.yaml"
    cfg.write_text(fake_experiment(tmp_path, cache=None, batch_size=1))
    # the fake backend holds its third request until the Ctrl-C arrives
    marker = tmp_path / "two-answered"
    cmd = held_cli(marker, 2, FAKE, "run", str(cfg), "--no-progress")
    proc = subprocess.Popen(
        cmd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        # a test suite started from a script in the background has SIGINT ignored, and
        # its children inherit that; a user's terminal does not
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    wait_until_held(proc, marker)
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130
    lines = [x for x in stderr.splitlines() if x.strip()]
    assert len(lines) == 1 and "run the same command again to resume" in lines[0], stderr
    store = Store(tmp_path / "runs" / "t" / "store.sqlite")
    stored = store.count("generations")
    store.close()
    assert stored == 2  # both answered requests, committed one per batch
    done = sr("run", str(cfg), "--no-progress")
    assert done.returncode == 0 and f"reused {stored} from the store" in done.stdout
