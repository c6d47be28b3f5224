"""Transformers-format weights (a directory or a hub repo) and their identity, unloaded.

A hub snapshot is identified by repo and commit, any other directory by a digest of its
files, so the same weights give the same cache identity wherever they lie. Used by the
``hf`` and ``vllm`` backends (GGUF files: :mod:`safereason.models.resolve`).
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any

from safereason.errors import SafereasonError
from safereason.models.embedded import EMBEDDED
from safereason.models.resolve import ResolvedModel, hub_fetch_error, resolve_gguf

HUB_ID = re.compile(r"^[A-Za-z0-9][\w.-]*(/[\w.-]+)?$")
_META_SUFFIXES = {".json", ".jinja", ".model", ".txt", ".py", ".tiktoken"}
_HUB_PATTERNS = ["*.json", "*.jinja", "*.model", "*.txt", "*.py", "*.tiktoken"]


def dir_digest(path: Path) -> str:
    """sha256 over a model or adapter directory's weights and metadata files.

    Weights (``*.safetensors``, else ``*.bin``) are hashed once and remembered by
    (path, size, mtime); config, tokenizer, chat-template and remote-code files are small
    and hashed every time. The directory's own path is not part of it.
    """
    from safereason.hashing import file_sha256
    from safereason.models.embedded import verified_sha

    weights = sorted(path.glob("*.safetensors")) or sorted(path.glob("*.bin"))
    if not weights:
        raise SafereasonError(f"{path} holds no *.safetensors or *.bin weights")
    meta = sorted(f for f in path.iterdir() if f.is_file() and f.suffix in _META_SUFFIXES)
    h = hashlib.sha256()
    for f in meta:
        h.update(f"{f.name}\0{file_sha256(f)}\n".encode())
    for f in weights:
        h.update(f"{f.name}\0{verified_sha(f)}\n".encode())
    return h.hexdigest()


def hub_snapshot(path: Path) -> dict[str, str] | None:
    """``{repo, revision}`` when ``path`` is a snapshot in the Hugging Face cache."""
    parts = path.resolve().parts
    if len(parts) >= 3 and parts[-2] == "snapshots" and re.fullmatch(r"[0-9a-f]{40}", parts[-1]):
        kind, _, repo = parts[-3].partition("--")
        if kind in {"models", "datasets"} and repo:
            return {"repo": repo.replace("--", "/"), "revision": parts[-1]}
    return None


def _download(repo: str, patterns: list[str]) -> Path:
    """A hub repo's snapshot (from the local cache when offline); clear error otherwise."""
    from huggingface_hub import snapshot_download

    try:
        return Path(snapshot_download(repo, allow_patterns=patterns))
    except Exception as e:
        raise hub_fetch_error(repo, e, "a local model directory") from None


def resolve_weights(name: str, marker: str = "config.json") -> tuple[Path, dict[str, Any]]:
    """A local directory or hub repo id -> ``(directory, identity)``.

    Hub snapshots are identified by repo and commit; any other directory by
    :func:`dir_digest`, so the same files give the same identity wherever they lie.
    """
    p = Path(name).expanduser()
    if p.is_dir():
        if not (p / marker).is_file():
            raise SafereasonError(f"{p} has no {marker}: not a transformers model directory")
        snap = hub_snapshot(p)
        return p, snap if snap else {"sha256": dir_digest(p)}
    if p.exists() or not HUB_ID.match(name):
        raise SafereasonError(f"model directory not found: {p}")
    d = _download(name, [*_HUB_PATTERNS, "*.safetensors"])
    if not any(d.glob("*.safetensors")):
        d = _download(name, [*_HUB_PATTERNS, "*.bin"])
    if not (d / marker).is_file():
        raise SafereasonError(f"hub repo {name!r} has no {marker}")
    return d, {"repo": name, "revision": d.name}


def resolve_adapter(spec: str) -> tuple[Path, dict[str, Any]]:
    """A PEFT adapter directory or hub repo id -> ``(directory, identity)``."""
    return resolve_weights(spec, marker="adapter_config.json")


def resolve_gguf_file(name: str, gguf_file: str | None) -> ResolvedModel:
    """A GGUF model for the hf backend: ``name`` itself, or ``gguf_file`` in or beside it."""
    if gguf_file is None:
        return resolve_gguf(name)
    if gguf_file in EMBEDDED or Path(gguf_file).expanduser().is_file():
        return resolve_gguf(gguf_file)
    base = Path(name).expanduser()
    if base.is_dir():
        return resolve_gguf(str(base / gguf_file))
    return resolve_gguf(f"{name}:{gguf_file}")
