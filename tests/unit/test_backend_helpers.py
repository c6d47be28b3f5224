"""The engine-free parts of the hf and vllm backends: prompts, passes, identities."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from safereason.backends import hf, vllm_backend
from safereason.backends.chat import THINK_CLOSE, Job, Raw, first_stop, render_prompt, run_requests
from safereason.backends.factory import check_model, engine, prepare_model
from safereason.backends.vllm_backend import raw_from_output, sampling_kwargs
from safereason.config import ModelRef
from safereason.errors import SafereasonError
from safereason.models import weights
from safereason.types import GenParams, Message, Request


class StubTokenizer:
    chat_template = "stub"

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []

    def apply_chat_template(self, conv: list[dict[str, str]], **kw: Any) -> str:
        self.calls.append({"conv": conv, **kw})
        body = "".join(f"<{m['role']}>{m['content']}</{m['role']}>" for m in conv)
        return body + ("<assistant>" if kw.get("add_generation_prompt") else "")


def _req(*msgs: tuple[str, str], key: str = "k", **params: Any) -> Request:
    messages = tuple(Message(r, c) for r, c in msgs)  # type: ignore[arg-type]
    return Request(key=key, model="m", messages=messages, params=GenParams(**params))


def test_render_plain_conversation() -> None:
    tok = StubTokenizer()
    prompt, prefill = render_prompt(tok, _req(("system", "S"), ("user", "Q")).messages)
    assert prompt == "<system>S</system><user>Q</user><assistant>" and prefill == ""
    assert tok.calls[0]["add_generation_prompt"] is True and tok.calls[0]["tokenize"] is False


def test_render_prefill_is_kept_verbatim() -> None:
    tok = StubTokenizer()
    msgs = _req(("user", "Q"), ("assistant", "<think>\n\n</think>\n\n  Sure")).messages
    prompt, prefill = render_prompt(tok, msgs)
    assert prompt == "<user>Q</user><assistant>"
    assert prefill == "<think>\n\n</think>\n\n  Sure"  # whitespace untouched
    assert [m["role"] for m in tok.calls[0]["conv"]] == ["user"]


def test_render_without_template_is_a_clear_error() -> None:
    tok = StubTokenizer()
    tok.chat_template = ""  # type: ignore[misc]
    with pytest.raises(SafereasonError, match="no chat template"):
        render_prompt(tok, _req(("user", "Q")).messages)


class Recorder:
    """A fake engine: replies with scripted texts and records every pass."""

    def __init__(self, replies: list[list[Raw]]) -> None:
        self.replies = replies
        self.passes: list[list[Job]] = []

    def __call__(self, jobs: list[Job]) -> list[Raw]:
        self.passes.append(jobs)
        return self.replies[len(self.passes) - 1]


def _run(reqs: list[Request], engine_: Recorder) -> list[Any]:
    return run_requests(reqs, lambda m: render_prompt(StubTokenizer(), m), engine_, "test")


def test_run_requests_plain_and_prefill_in_order() -> None:
    rec = Recorder([[Raw(" a", 3, 1, "stop", 0.5), Raw(" world", 4, 2, "length", 0.5)]])
    out = _run(
        [_req(("user", "x"), key="1"), _req(("user", "y"), ("assistant", "Hi"), key="2")], rec
    )
    assert [j.prompt for j in rec.passes[0]] == [
        "<user>x</user><assistant>",
        "<user>y</user><assistant>Hi",
    ]
    assert [c.key for c in out] == ["1", "2"]
    assert out[1].text == "Hi world" and out[1].finish_reason == "length"
    assert (out[1].prompt_tokens, out[1].completion_tokens, out[1].engine) == (4, 2, "test")


def test_thinking_budget_takes_two_passes() -> None:
    rec = Recorder([[Raw("hmm, let me see", 5, 4, "length", 1.0)], [Raw("42", 9, 2, "stop", 1.0)]])
    [c] = _run([_req(("user", "q"), max_tokens=10, thinking_budget=4, stop=("X",))], rec)
    first, second = rec.passes[0][0], rec.passes[1][0]
    assert first.prompt.endswith("<assistant><think>\n")
    assert first.params.max_tokens == 4 and first.params.stop == ("</think>",)
    assert second.prompt == first.prompt + "hmm, let me see" + THINK_CLOSE
    assert second.params.max_tokens == 6 and second.params.stop == ("X",)
    assert second.params.thinking_budget is None
    assert c.reasoning == "hmm, let me see" and c.text == "42"
    assert (c.prompt_tokens, c.completion_tokens, c.latency_s) == (5, 6, 2.0)


def test_thinking_budget_with_an_opened_prefill_does_not_open_twice() -> None:
    rec = Recorder([[Raw("ok", 5, 1, "stop")], [Raw("done", 7, 1, "stop")]])
    req = _req(("user", "q"), ("assistant", "<think>"), max_tokens=5, thinking_budget=3)
    [c] = _run([req], rec)
    assert rec.passes[0][0].prompt.endswith("<assistant><think>")
    assert c.reasoning == "ok" and c.text == "done"


def test_failed_job_gives_an_error_completion() -> None:
    rec = Recorder([[Raw("", 99, 0, "error: too long"), Raw("fine", 2, 1, "stop")]])
    out = _run([_req(("user", "a"), key="a", thinking_budget=2), _req(("user", "b"), key="b")], rec)
    assert len(rec.passes) == 1  # no answer pass for a request whose thinking pass failed
    assert out[0].text == "" and out[0].finish_reason == "error: too long"
    assert out[1].text == "fine"


def test_first_stop() -> None:
    assert first_stop("a, b. c", (".", ",")) == 1
    assert first_stop("abc", ("x", "")) is None


def test_sampling_kwargs() -> None:
    g = sampling_kwargs(GenParams(max_tokens=5, temperature=0.0, top_p=0.5, seed=3))
    assert g == {
        "temperature": 0.0,
        "top_p": 1.0,
        "max_tokens": 5,
        "seed": None,
        "stop": None,
        "skip_special_tokens": True,
    }
    s = sampling_kwargs(GenParams(max_tokens=7, temperature=0.8, top_p=0.9, seed=3, stop=("\n",)))
    assert (s["temperature"], s["top_p"], s["seed"], s["stop"]) == (0.8, 0.9, 3, ["\n"])


def _vllm_output(text: str, ids: list[int], finish: str, stop_reason: Any) -> Any:
    comp = SimpleNamespace(text=text, token_ids=ids, finish_reason=finish, stop_reason=stop_reason)
    return SimpleNamespace(outputs=[comp], prompt_token_ids=[1, 2, 3])


def test_raw_from_vllm_output_counts() -> None:
    eos = raw_from_output(_vllm_output("hi", [5, 6, 2], "stop", None), 0.1)
    assert (eos.text, eos.prompt_tokens, eos.completion_tokens, eos.finish) == ("hi", 3, 2, "stop")
    stop_str = raw_from_output(_vllm_output("hi", [5, 6], "stop", "\n"))
    assert stop_str.completion_tokens == 2
    length = raw_from_output(_vllm_output("hi there", [5, 6, 7], "length", None))
    assert (length.completion_tokens, length.finish) == (3, "length")


def _model_dir(root: Path, weights: bytes = b"w" * 64, dtype: str = "bfloat16") -> Path:
    root.mkdir(parents=True)
    (root / "config.json").write_text(json.dumps({"model_type": "llama", "torch_dtype": dtype}))
    (root / "tokenizer_config.json").write_text("{}")
    (root / "model.safetensors").write_bytes(weights)
    (root / "README.md").write_text("not part of the identity")
    return root


def test_dir_digest_follows_files_not_path(tmp_path: Path) -> None:
    a = _model_dir(tmp_path / "a")
    b = _model_dir(tmp_path / "b")
    assert weights.dir_digest(a) == weights.dir_digest(b)
    (b / "README.md").write_text("changed")
    assert weights.dir_digest(a) == weights.dir_digest(b)
    (b / "tokenizer_config.json").write_text('{"chat_template": "x"}')
    assert weights.dir_digest(a) != weights.dir_digest(b)
    c = _model_dir(tmp_path / "c", weights=b"v" * 64)
    assert weights.dir_digest(a) != weights.dir_digest(c)
    (tmp_path / "empty").mkdir()
    with pytest.raises(SafereasonError, match=r"no \*\.safetensors"):
        weights.dir_digest(tmp_path / "empty")


def test_hub_snapshot_dirs_are_identified_by_repo_and_commit(tmp_path: Path) -> None:
    sha = "0123456789abcdef0123456789abcdef01234567"
    snap = _model_dir(tmp_path / "models--Org--Some-Model" / "snapshots" / sha)
    path, ident = weights.resolve_weights(str(snap))
    assert path == snap and ident == {"repo": "Org/Some-Model", "revision": sha}


def test_resolve_weights_errors(tmp_path: Path) -> None:
    (tmp_path / "nocfg").mkdir()
    with pytest.raises(SafereasonError, match=r"no config\.json"):
        weights.resolve_weights(str(tmp_path / "nocfg"))
    with pytest.raises(SafereasonError, match="cannot fetch"):  # offline in tests
        weights.resolve_weights("no-such-org/no-such-model-xyz")


def test_resolve_dtype(tmp_path: Path) -> None:
    d = _model_dir(tmp_path / "m", dtype="bfloat16")
    assert hf.resolve_dtype("float16", "cpu", d) == "float16"
    assert hf.resolve_dtype("auto", "cpu", d) == "float32"
    assert hf.resolve_dtype("auto", "cuda:0", d) == "bfloat16"
    assert hf.resolve_dtype("auto", "cuda", None) == "float32"  # GGUF
    with pytest.raises(SafereasonError, match="dtype must be"):
        hf.resolve_dtype("fp8", "cpu", d)


def test_hf_prepare_identity(tmp_path: Path) -> None:
    d = _model_dir(tmp_path / "m")
    adapter = tmp_path / "lora"
    adapter.mkdir()
    (adapter / "adapter_config.json").write_text('{"r": 4}')
    (adapter / "adapter_model.safetensors").write_bytes(b"lora")
    base = prepare_model(ModelRef(name=str(d), backend="hf", device="cpu"))
    assert base.identity == {
        "engine": "hf",
        "weights": {"sha256": weights.dir_digest(d)},
        "dtype": "float32",
        "adapter": None,
    }
    assert base.options["dtype"] == "float32" and base.path == d
    tuned = prepare_model(ModelRef(name=str(d), backend="hf", device="cpu", adapter=str(adapter)))
    assert tuned.identity["adapter"] == {"sha256": weights.dir_digest(adapter)}
    assert tuned.options["adapter"] == str(adapter)
    (adapter / "adapter_model.safetensors").write_bytes(b"LORA")
    again = prepare_model(ModelRef(name=str(d), backend="hf", device="cpu", adapter=str(adapter)))
    assert again.identity["adapter"] != tuned.identity["adapter"]
    other = prepare_model(ModelRef(name=str(d), backend="hf", device="cpu", dtype="bfloat16"))
    assert other.identity["dtype"] == "bfloat16"


def test_vllm_prepare_identity(tmp_path: Path) -> None:
    d = _model_dir(tmp_path / "m")
    h = prepare_model(ModelRef(name=str(d), backend="vllm", tensor_parallel_size=2))
    assert h.identity == {
        "engine": "vllm",
        "weights": {"sha256": weights.dir_digest(d)},
        "dtype": "auto",
        "adapter": None,
        # every option that can change an output is in the key
        "options": {"seed": 0, "tensor_parallel_size": 2},
    }
    assert h.options == {"tensor_parallel_size": 2}


def test_options_and_names_are_checked() -> None:
    assert engine("hf").options() == {
        "dtype",
        "device",
        "batch_size",
        "adapter",
        "gguf_file",
        "trust_remote_code",
        "max_input_tokens",
    }
    assert {"tensor_parallel_size", "gpu_memory_utilization", "adapter", "max_lora_rank"} <= (
        engine("vllm").options()
    )
    with pytest.raises(SafereasonError, match="did you mean 'batch_size'"):
        check_model(ModelRef(name="org/model", backend="hf", batchsize=4))
    with pytest.raises(SafereasonError, match="not 'embedded'"):
        check_model(ModelRef(name="embedded", backend="vllm"))
    with pytest.raises(SafereasonError, match="unknown model"):
        check_model(ModelRef(name="./missing/dir", backend="hf"))
    with pytest.raises(SafereasonError, match="device must be"):
        prepare_model(ModelRef(name="org/model", backend="hf", device="gpu"))


def test_modules_import_no_engine() -> None:
    code = (
        "import sys, safereason.backends.hf, safereason.backends.vllm_backend\n"
        "heavy = {'torch', 'transformers', 'vllm', 'peft'} & set(sys.modules)\n"
        "assert not heavy, heavy\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_vllm_backend_says_how_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "vllm", None)  # as if it were not installed
    with pytest.raises(SafereasonError, match="needs vllm"):
        vllm_backend.VLLMBackend("org/model")
