"""Any OpenAI-compatible chat server: vLLM serve, SGLang, TGI, llama.cpp's server, hosted APIs.

Requests run concurrently (bounded by ``concurrency``); the ``openai`` client retries
429s, 5xx, timeouts and dropped connections with exponential backoff (honouring
``Retry-After``). A request that still fails comes back with ``finish_reason="failed"``:
the runner does not store it, so the next run retries it. The API key is read from the
environment variable named by ``api_key_env`` and is never part of any file a run writes.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

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
        api_key_env: str = "OPENAI_API_KEY",
        concurrency: int = 16,
        timeout_s: float = 600.0,
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
        self.concurrency = max(1, concurrency)
        self.continue_final_message = continue_final_message
        self.extra_body = dict(extra_body or {})
        self.preferred_batch = self.concurrency * 4
        self._client_args: dict[str, Any] = {
            "base_url": base_url,
            "api_key": os.environ.get(api_key_env) or "not-needed",
            "timeout": timeout_s,
            "max_retries": max_retries,
        }
        self._openai = openai

    def generate(self, requests: Sequence[Request]) -> list[Completion]:
        done = {c.key: c for c in self.stream(requests)}
        return [done[r.key] for r in requests]

    def stream(self, requests: Sequence[Request]) -> Iterator[Completion]:
        """Completions in the order they finish, ``concurrency`` requests in flight.

        The event loop runs only while this generator waits for the next completion;
        in-flight requests keep going on the server meanwhile.
        """
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
        async with sem:
            try:
                res = await client.chat.completions.create(**kwargs)
            except self._openai.BadRequestError as e:  # permanent: e.g. prompt too long
                return _error(r, f"error: {e.message}", start)
            except self._openai.AuthenticationError as e:
                raise SafereasonError(
                    f"{self.base_url}: authentication failed ({e.message})"
                ) from None
            except (self._openai.APIError, OSError) as e:  # retries exhausted
                return _error(r, FAILED, start, str(e))
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
    ),
)
