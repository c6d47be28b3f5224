"""Any OpenAI-compatible chat server: vLLM serve, SGLang, TGI, llama.cpp's server, hosted APIs.

Requests run concurrently (bounded by ``concurrency``); the ``openai`` client retries
429s, 5xx, timeouts and dropped connections with exponential backoff (honouring
``Retry-After``). A request that still fails comes back with ``finish_reason="failed"``
and the cause in ``meta["error"]``: the runner does not store it, so the next run retries
it. What no retry mends ends the run at once, in one line naming the URL and the cause:
a server that cannot be reached (connection refused, a host name that does not resolve),
a 401/403 (naming the key's variable), a 404 (a wrong ``base_url`` or model name).

The API key is read from the environment variable named by ``api_key_env`` and is never
part of any file a run writes. Without ``api_key_env`` the key is ``$OPENAI_API_KEY`` if
set, else none (a local server); a variable that is named but not set is an error before
any request is made.
"""

from __future__ import annotations

import asyncio
import errno
import os
import time
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Annotated, Any
from urllib.parse import urlsplit

from pydantic import Field

from safereason.backends.factory import (
    Capabilities,
    Engine,
    ModelHandle,
    init_options,
    register_backend,
)
from safereason.errors import SafereasonError
from safereason.reasoning_split import split_reasoning
from safereason.types import Completion, Request

if TYPE_CHECKING:
    from safereason.backends.factory import ModelEntry

FAILED = "failed"


class OpenAICompatBackend:
    """Chat completions from a server speaking the OpenAI API."""

    def __init__(
        self,
        model: str,
        base_url: str = "http://127.0.0.1:8000/v1",
        api_key_env: str | None = None,
        concurrency: Annotated[int, Field(ge=1)] = 16,
        timeout_s: Annotated[float, Field(gt=0)] = 600.0,
        max_retries: int = 8,
        continue_final_message: bool = True,
        extra_body: dict[str, Any] | None = None,
    ) -> None:
        try:
            import openai
        except ImportError:
            raise SafereasonError(
                "the openai backend needs the openai package: pip install 'safereason[openai]'"
            ) from None
        self.model = model
        self.base_url = base_url
        self.api_key_env = api_key_env or "OPENAI_API_KEY"
        self.concurrency = max(1, concurrency)
        self.continue_final_message = continue_final_message
        self.extra_body = dict(extra_body or {})
        self.preferred_batch = self.concurrency * 4
        self._client_args: dict[str, Any] = {
            "base_url": base_url,
            "api_key": api_key(api_key_env, model),
            "timeout": timeout_s,
            "max_retries": max_retries,
        }
        self._openai = openai
        self._checked = False

    def _check_server(self) -> None:
        """Before the first request: one quick call (``GET /models``) so that a server that
        cannot be reached, or that refuses the key, is reported at once in one line.
        Any other answer (a server without ``/models``) is left to the requests."""
        if self._checked:
            return
        self._checked = True
        args = {**self._client_args, "max_retries": 1, "timeout": 30.0}
        client = self._openai.OpenAI(**args)
        try:
            client.models.list()
        except (
            self._openai.APIConnectionError,
            self._openai.AuthenticationError,
            self._openai.PermissionDeniedError,
        ) as e:
            raise self._fatal(e) from None
        except self._openai.APIError:
            pass
        finally:
            client.close()

    def _fatal(self, e: Exception) -> SafereasonError:
        """The error that ends the run for ``e`` (no retry mends it), naming URL and cause."""
        o = self._openai
        if isinstance(e, o.AuthenticationError | o.PermissionDeniedError):
            status = getattr(e, "status_code", "")
            return SafereasonError(
                f"{self.base_url}: {status} {_message(e)}: the server refused the API key "
                f"read from ${self.api_key_env}; set it to a valid key"
            )
        if isinstance(e, o.NotFoundError):
            return SafereasonError(
                f"{self.base_url}: 404 {_message(e)}: check base_url (it usually ends in /v1) "
                f"and the model name {self.model!r}"
            )
        return SafereasonError(
            f"cannot reach {self.base_url}: {connection_cause(e, self.base_url)}"
        )

    def generate(self, requests: Sequence[Request]) -> list[Completion]:
        done = {c.key: c for c in self.stream(requests)}
        return [done[r.key] for r in requests]

    def stream(self, requests: Sequence[Request]) -> Iterator[Completion]:
        """Completions in the order they finish, ``concurrency`` requests in flight.

        The event loop runs only while this generator waits for the next completion;
        in-flight requests keep going on the server meanwhile.
        """
        if not requests:
            return
        self._check_server()
        loop = asyncio.new_event_loop()
        client = self._openai.AsyncOpenAI(**self._client_args)
        sem = asyncio.Semaphore(self.concurrency)
        pending = {loop.create_task(self._one(client, sem, r)) for r in requests}
        try:
            while pending:
                done, pending = loop.run_until_complete(
                    asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
                )
                for task in done:
                    yield task.result()
        finally:
            for task in pending:
                task.cancel()
            if pending:
                loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
            loop.run_until_complete(client.close())
            loop.close()

    async def _one(self, client: Any, sem: asyncio.Semaphore, r: Request) -> Completion:
        if r.params.thinking_budget is not None:
            raise SafereasonError(
                "the openai backend cannot enforce a thinking budget; use the llamacpp backend "
                "or the server's own option through extra_body"
            )
        messages = [{"role": m.role, "content": m.content} for m in r.messages]
        prefill = r.messages[-1].content if r.messages[-1].role == "assistant" else ""
        extra = dict(self.extra_body)
        if prefill and self.continue_final_message:
            extra.update({"continue_final_message": True, "add_generation_prompt": False})
        kwargs: dict[str, Any] = {
            "model": self.model,
            "messages": messages,
            "max_tokens": r.params.max_tokens,
            "temperature": r.params.temperature,
            "top_p": r.params.top_p,
            "seed": r.params.seed,
        }
        if r.params.stop:
            kwargs["stop"] = list(r.params.stop)
        if extra:
            kwargs["extra_body"] = extra
        start = time.perf_counter()
        o = self._openai
        async with sem:
            try:
                res = await client.chat.completions.create(**kwargs)
            except o.BadRequestError as e:  # permanent: e.g. prompt too long
                return _error(r, f"error: {self.base_url}: 400 {_message(e)}", start)
            except (o.AuthenticationError, o.PermissionDeniedError, o.NotFoundError) as e:
                raise self._fatal(e) from None
            except o.APITimeoutError:  # this request, after its retries
                cause = f"timed out after {self._client_args['timeout']} s"
                return _error(r, FAILED, start, f"{self.base_url}: {cause}")
            except o.APIConnectionError as e:  # the server, after the retries
                raise self._fatal(e) from None
            except o.APIStatusError as e:  # 429, 5xx: retries exhausted
                detail = f"{self.base_url}: {e.status_code} {_message(e)}"
                return _error(r, FAILED, start, detail)
            except (o.APIError, OSError) as e:
                return _error(r, FAILED, start, f"{self.base_url}: {e}")
        choice = res.choices[0]
        msg = choice.message
        extra_fields = msg.model_extra or {}
        server_reasoning = extra_fields.get("reasoning_content") or extra_fields.get("reasoning")
        answer, reasoning = split_reasoning(prefill + (msg.content or ""))
        if server_reasoning:
            reasoning = server_reasoning if reasoning is None else server_reasoning + reasoning
        usage = res.usage
        return Completion(
            key=r.key,
            text=answer,
            reasoning=reasoning,
            prompt_tokens=usage.prompt_tokens if usage else 0,
            completion_tokens=usage.completion_tokens if usage else 0,
            finish_reason=str(choice.finish_reason or "stop"),
            latency_s=time.perf_counter() - start,
            engine="openai",
        )

    def close(self) -> None:
        """Nothing held between batches."""


def api_key(variable: str | None, model: str) -> str:
    """The key from ``variable``; a named variable that is not set is an error (one line).

    Without a variable: ``$OPENAI_API_KEY`` if set, else a placeholder (servers that take
    no key accept any)."""
    if variable is None:
        return os.environ.get("OPENAI_API_KEY") or "not-needed"
    value = os.environ.get(variable)
    if not value:
        raise SafereasonError(
            f"model {model!r}: the API key variable ${variable} (api_key_env) is not set; "
            f"export it, or leave api_key_env out for a server that needs no key"
        )
    return value


def _message(e: Exception) -> str:
    """The server's own words for an error, on one line."""
    body = getattr(e, "body", None)
    msg = body.get("message") if isinstance(body, dict) else None
    text = str(msg or getattr(e, "message", "") or e)
    return " ".join(text.split())[:200]


def connection_cause(e: BaseException, url: str) -> str:
    """Why a connection failed, in words: refused, a host that does not resolve, a timeout."""
    host = urlsplit(url).hostname or url
    chain: list[BaseException] = []
    cur: BaseException | None = e
    while cur is not None and len(chain) < 8:
        chain.append(cur)
        cur = cur.__cause__ or cur.__context__
    text = " ".join(str(c) for c in chain).lower()
    codes = {getattr(c, "errno", None) for c in chain}
    if errno.ECONNREFUSED in codes or "connection refused" in text:
        return "connection refused (is the server running, on this host and port?)"
    dns = (
        "name or service not known",
        "nodename nor servname",
        "name resolution",
        "getaddrinfo",
        "no address associated",
    )
    if any(d in text for d in dns):
        return f"the host name {host!r} does not resolve (DNS)"
    if "timed out" in text or "timeout" in text:
        return "the connection timed out"
    if "ssl" in text or "certificate" in text:
        return f"TLS failed: {' '.join(str(chain[-1]).split())[:160]}"
    last = chain[-1]
    return f"{type(last).__name__}: {' '.join(str(last).split())[:160]}"


def _error(r: Request, reason: str, start: float, detail: str = "") -> Completion:
    return Completion(
        key=r.key,
        text="",
        finish_reason=reason,
        latency_s=time.perf_counter() - start,
        engine="openai",
        meta={"error": detail[:300]} if detail else {},
    )


def _prepare(ref: ModelEntry) -> ModelHandle:
    api_key(ref.options.get("api_key_env"), ref.name)  # a named but unset key: fail now
    base_url = ref.options.get("base_url", "http://127.0.0.1:8000/v1")
    identity = {
        "engine": "openai",
        "model": ref.name,
        "server": ref.options.get("cache_identity", base_url),
    }
    opts = {k: v for k, v in ref.options.items() if k != "cache_identity"}
    return ModelHandle(ref.display, "openai", identity, None, opts)


ENGINE = register_backend(
    "openai",
    OpenAICompatBackend,
    Engine(
        capabilities=Capabilities(streaming=True, prefill=True, remote=True),
        options=lambda: init_options(OpenAICompatBackend, skip=("model",)) | {"cache_identity"},
        prepare=_prepare,
        open=lambda h: OpenAICompatBackend(h.identity["model"], **h.options),
        neutral=frozenset({"api_key_env", "concurrency", "timeout_s", "max_retries"}),
        covered=frozenset({"base_url", "cache_identity"}),
        extra_types={"cache_identity": str},
    ),
)
