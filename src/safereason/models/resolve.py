"""Turn a model name from a config into weights on disk and a stable identity."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from safereason.errors import SafereasonError, did_you_mean
from safereason.models.embedded import EMBEDDED, embedded_path, verified_sha

_HF_GGUF = re.compile(r"^(?P<repo>[\w.-]+/[\w.-]+)(?::(?P<file>[\w./-]+\.gguf))?$")


@dataclass(frozen=True)
class ResolvedModel:
    """A model's weights file and the identity that goes into every cache key."""

    name: str
    path: Path
    sha256: str


def looks_like_model(name: str) -> bool:
    """Whether ``name`` is an embedded model, a .gguf path, an existing file or a hub id."""
    return (
        name in EMBEDDED
        or name.endswith(".gguf")
        or Path(name).expanduser().exists()
        or _HF_GGUF.match(name) is not None
    )


def resolve_gguf(name: str) -> ResolvedModel:
    """Resolve ``embedded``, ``embedded-small``, a local ``.gguf`` path, or a hub repo id.

    Hub ids are ``org/repo`` (the Q4_K_M file, else the first ``.gguf``) or
    ``org/repo:file.gguf``.
    """
    if name in EMBEDDED:
        path = embedded_path(name)
        return ResolvedModel(name, path, EMBEDDED[name].sha256)
    p = Path(name).expanduser()
    if p.is_file():
        return ResolvedModel(name, p, verified_sha(p))
    if p.is_dir():
        raise SafereasonError(f"model {p} is a directory; name the .gguf file inside it")
    m = _HF_GGUF.match(name)
    if m and (m.group("file") or not name.endswith(".gguf")):
        path = _hub_download(m.group("repo"), m.group("file"))
        return ResolvedModel(name, path, verified_sha(path))
    if name.endswith(".gguf") or p.exists():
        raise SafereasonError(f"model file not found: {p}")
    raise SafereasonError(
        f"unknown model {name!r}{did_you_mean(name, EMBEDDED)}; use one of "
        f"{', '.join(EMBEDDED)}, a path to a .gguf file, or a Hugging Face repo id"
    )


def _hub_download(repo: str, filename: str | None) -> Path:
    """Fetch a GGUF file through huggingface_hub (uses its cache; fails clearly offline)."""
    from huggingface_hub import HfApi, hf_hub_download

    try:
        if filename is None:
            files = [f for f in HfApi().list_repo_files(repo) if f.endswith(".gguf")]
            if not files:
                raise SafereasonError(f"hub repo {repo!r} has no .gguf file")
            q4 = [f for f in files if "q4_k_m" in f.lower()]
            filename = (q4 or sorted(files))[0]
        return Path(hf_hub_download(repo, filename))
    except SafereasonError:
        raise
    except Exception as e:
        what = f"{repo}{':' + filename if filename else ''}"
        raise hub_fetch_error(what, e, "a local .gguf path") from None


def hub_fetch_error(what: str, e: Exception, instead: str) -> SafereasonError:
    """One message for any failure to fetch ``what`` from the Hugging Face Hub (network,
    auth, a missing repo: all reported the same way): the first line of the reason, and
    the local alternative to pass ``instead``."""
    first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
    return SafereasonError(
        f"cannot fetch {what} from the Hugging Face Hub ({first[:160]}); pass {instead} instead"
    )
