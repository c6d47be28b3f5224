"""The OpenAI-compatible backend against a real llama.cpp server on 127.0.0.1."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from safereason.backends.openai_compat import OpenAICompatBackend
from safereason.config import Experiment
from safereason.errors import SafereasonError
from safereason.runner import Runner
from safereason.types import GenParams, Message, Request
from tests.integration.servers import faulty_proxy, llama_server
from tests.rows import run_results, stored_generations

pytestmark = [pytest.mark.integration, pytest.mark.slow]


@pytest.fixture(scope="module")
def server(small_model_path: str) -> Iterator[str]:
    pytest.importorskip("uvicorn")
    with llama_server(small_model_path) as url:
        yield url


def _req(text: str, key: str, **p: object) -> Request:
    return Request(key, "m", (Message("user", text),), GenParams(**p))  # type: ignore[arg-type]


def test_generates_with_usage_and_seed(server: str) -> None:
    b = OpenAICompatBackend("embedded-small", base_url=server, concurrency=2)
    reqs = [_req("Name a fruit.", "a", max_tokens=12), _req("Name a colour.", "b", max_tokens=12)]
    out = b.generate(reqs)
    assert [c.key for c in out] == ["a", "b"]
    assert all(c.text and 0 < c.completion_tokens <= 12 and c.prompt_tokens > 0 for c in out)
    assert b.generate(reqs)[0].text == out[0].text  # greedy: same answer again


def test_api_key_comes_from_env_and_is_never_written(
    server: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = "sk-test-do-not-write-me-123"
    monkeypatch.setenv("MY_SERVER_KEY", secret)
    exp = Experiment.model_validate(
        {
            "name": "srv",
            "cache": None,
            "output_dir": str(tmp_path),
            "models": [
                {
                    "name": "embedded-small",
                    "backend": "openai",
                    "base_url": server,
                    "api_key_env": "MY_SERVER_KEY",
                }
            ],
            "methods": ["none"],
            "benchmarks": [{"name": "harmful_starter", "n": 2}],
            "generation": {"max_tokens": 8},
        }
    )
    out = Runner(exp, tmp_path / "run", progress=False).run()
    assert out.generated == 2
    for f in (tmp_path / "run").rglob("*"):
        if f.is_file():
            assert secret.encode() not in f.read_bytes(), f


def test_faults_are_retried_and_each_request_stored_once(server: str, tmp_path: Path) -> None:
    pattern = ["500", "ok", "429", "drop", "ok", "stall", "ok", "ok"]
    with faulty_proxy(server, pattern, stall_s=4.0) as (url, proxy):
        exp = Experiment.model_validate(
            {
                "name": "faults",
                "cache": None,
                "output_dir": str(tmp_path),
                "models": [
                    {
                        "name": "embedded-small",
                        "backend": "openai",
                        "base_url": url,
                        "concurrency": 3,
                        "timeout_s": 2.0,
                        "max_retries": 10,
                    }
                ],
                "methods": ["none"],
                "benchmarks": [{"name": "harmful_starter", "n": 8}],
                "generation": {"max_tokens": 6},
            }
        )
        out = Runner(exp, tmp_path / "run", progress=False).run()
    assert out.generated == 8 and out.failed == 0
    assert all(proxy.seen.get(f, 0) >= 1 for f in ("500", "429", "drop", "stall"))
    rows = run_results(tmp_path / "run")
    assert len(rows) == 8 and all(r.completion is not None for r in rows)
    assert len({r.gen_key for r in rows}) == 8
    assert stored_generations(tmp_path / "run" / "store.sqlite") == 8  # each request once


def _down(tmp_path: Path, max_retries: int) -> dict[str, Any]:
    """An experiment on a server that is not there."""
    return {
        "name": "down",
        "cache": None,
        "output_dir": str(tmp_path),
        "models": [
            {
                "name": "m",
                "backend": "openai",
                "base_url": "http://127.0.0.1:9/v1",
                "max_retries": max_retries,
                "timeout_s": 1.0,
            }
        ],
        "methods": ["none"],
        "benchmarks": [{"name": "harmful_starter", "n": 2}],
    }


def test_unreachable_server_fails_without_storing(tmp_path: Path) -> None:
    exp = Experiment.model_validate(_down(tmp_path, max_retries=1))
    with pytest.raises(SafereasonError, match=r"cannot reach http://127\.0\.0\.1:9/v1: connection"):
        Runner(exp, tmp_path / "run", progress=False).run()
    assert os.path.exists(tmp_path / "run" / "store.sqlite")
    assert stored_generations(tmp_path / "run" / "store.sqlite") == 0


def test_cli_reports_failures_with_nonzero_exit(tmp_path: Path) -> None:
    import subprocess
    import sys

    import yaml

    cfg = tmp_path / "down.yaml"
    cfg.write_text(yaml.safe_dump(_down(tmp_path, max_retries=0)))
    p = subprocess.run(
        [sys.executable, "-m", "safereason.cli", "run", str(cfg), "--no-progress"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert p.returncode == 2 and "Traceback" not in p.stderr
    assert "cannot reach http://127.0.0.1:9/v1: connection refused" in p.stderr
    assert not (tmp_path / "down" / "report.html").exists()  # no empty report first
