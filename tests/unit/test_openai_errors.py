"""The OpenAI-compatible backend says what failed: the URL and the cause, in one line."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

pytest.importorskip("openai")

from safereason.backends.openai_compat import OpenAICompatBackend
from safereason.cli import main
from safereason.errors import SafereasonError
from safereason.types import GenParams, Message, Request
from tests.integration.servers import free_port


@contextmanager
def server(status: int, body: dict[str, object]) -> Iterator[tuple[str, list[str]]]:
    """A loopback server answering every request with ``status``; yields (url, paths seen)."""
    seen: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def _answer(self) -> None:
            seen.append(f"{self.command} {self.path}")
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = _answer

    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{srv.server_address[1]}/v1", seen
    finally:
        srv.shutdown()
        srv.server_close()


REQ = Request("k", "m", (Message("user", "hi"),), GenParams(max_tokens=4))


def test_401_names_the_url_and_the_key_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SR_KEY", "wrong")
    with server(401, {"error": {"message": "Invalid API key"}}) as (url, _):
        backend = OpenAICompatBackend("m", base_url=url, api_key_env="SR_KEY", max_retries=0)
        with pytest.raises(SafereasonError) as e:
            backend.generate([REQ])
    msg = str(e.value)
    assert url in msg and "401" in msg and "$SR_KEY" in msg and "Invalid API key" in msg


def test_connection_refused_is_named() -> None:
    url = f"http://127.0.0.1:{free_port()}/v1"
    backend = OpenAICompatBackend("m", base_url=url, max_retries=0, timeout_s=2.0)
    with pytest.raises(SafereasonError, match=rf"cannot reach {url}: connection refused"):
        backend.generate([REQ])


def test_an_unset_key_variable_fails_before_any_request(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SR_UNSET", raising=False)
    with server(200, {}) as (url, seen):
        with pytest.raises(SafereasonError, match=r"\$SR_UNSET \(api_key_env\) is not set"):
            OpenAICompatBackend("m", base_url=url, api_key_env="SR_UNSET")
        assert seen == []


def test_a_server_error_after_retries_is_a_failed_request_with_its_cause() -> None:
    with server(503, {"error": {"message": "overloaded"}}) as (url, _):
        backend = OpenAICompatBackend("m", base_url=url, max_retries=0)
        (comp,) = backend.generate([REQ])
    assert comp.finish_reason == "failed"
    assert comp.error is not None and url in comp.error and "503" in comp.error


def test_cli_names_the_server_and_writes_no_report(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}/v1"
    cfg = tmp_path / "down.yaml"
    cfg.write_text(
        yaml.safe_dump(
            {
                "name": "down",
                "cache": None,
                "output_dir": str(tmp_path),
                "models": [{"name": "m", "backend": "openai", "base_url": url, "max_retries": 0}],
                "methods": ["none"],
                "benchmarks": [{"name": "harmful_starter", "n": 2}],
            }
        )
    )
    res = CliRunner().invoke(main, ["run", str(cfg), "--no-progress"])
    assert res.exit_code == 2
    lines = [x for x in res.stderr.splitlines() if x.strip()]
    assert len(lines) == 1 and f"cannot reach {url}: connection refused" in lines[0]
    assert not (tmp_path / "down" / "report.html").exists()
