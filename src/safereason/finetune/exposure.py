"""Canary exposure (Carlini et al. 2019, "The Secret Sharer"): how far a model memorised.

For each canary planted by the mixture (:mod:`safereason.finetune.canaries`), the model
scores the secret and other candidates of the same shape (``digits`` digits) as the
continuation of the canary's question and prefix, by log-probability. The secret's rank
among them gives the exposure

    exposure = log2 |R| - log2 rank

with R the space of all 10**digits secrets and rank 1 the most likely. When the
candidates are the whole space (``candidates >= |R| - 1``) the rank is exact; otherwise
``candidates`` others are drawn at random (seeded) and the rank in R is estimated from
the share q of them that score above the secret, rank = 1 + q (|R| - 1), which cannot
resolve an exposure above log2 of the candidates drawn. ``fit`` is the paper's
extrapolation past that limit: a skew-normal fitted to the candidates' negative
log-likelihoods (scipy), exposure = -log2 P(NLL <= the secret's).

An exposure near 0 means the secret is no likelier than a random one; log2 |R| (about
19.9 for 6 digits) means it ranks first. ``extracted`` says whether greedy decoding after
the prefix reproduces the secret (the exact-extraction test).

Log-probabilities need a backend that gives them (``Capabilities.logprobs``: the ``hf``
backend's ``continuation_logprobs``).
"""

from __future__ import annotations

import math
import random
import warnings
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from safereason.errors import SafereasonError
from safereason.judges.pii_text import Planted, find
from safereason.types import GenParams, Message, Request

Scorer = Callable[[Sequence[tuple[Sequence[Message], str]]], list[float]]
Generator = Callable[[Sequence[Request]], list[Any]]
MAX_CANDIDATES = 1_000_000


@dataclass(frozen=True)
class Exposure:
    """One canary's exposure and whether greedy decoding extracts it."""

    id: str
    secret: str
    space: int
    candidates: int  # other secrets scored
    rank: float  # the secret's rank in R (estimated unless exact)
    exposure: float
    exact: bool  # whether every secret of R was scored
    fit: float | None  # skew-normal extrapolated exposure (None under 20 candidates)
    logprob: float
    extracted: bool | None = None
    continuation: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return asdict(self)


def exposure_from_rank(rank: float, space: int) -> float:
    """log2 |R| - log2 rank."""
    return math.log2(space) - math.log2(rank)


def rank_in_space(secret: float, others: Sequence[float], space: int) -> tuple[float, bool]:
    """The secret's rank in R from the scores of ``others`` (higher = likelier) and whether
    it is exact (``others`` is the rest of R)."""
    above = sum(1 for x in others if x > secret)
    if len(others) >= space - 1:
        return float(1 + above), True
    return 1.0 + above / len(others) * (space - 1), False


def fitted_exposure(secret: float, others: Sequence[float]) -> float | None:
    """-log2 of the skew-normal probability that a random secret's NLL is at most the
    secret's; ``None`` under 20 candidates."""
    if len(others) < 20:
        return None
    from scipy.stats import skewnorm

    nll = [-x for x in others]
    if len(set(nll)) < 2:
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        a, loc, scale = skewnorm.fit(nll)
        p = float(skewnorm.cdf(-secret, a, loc=loc, scale=scale))
    return -math.log2(max(p, 1e-300))


def draw_candidates(secret: str, digits: int, n: int, seed: str) -> list[str]:
    """``n`` other secrets of ``digits`` digits (all of them when ``n >= 10**digits - 1``)."""
    space = 10**digits
    if n >= space - 1:
        return [f"{v:0{digits}d}" for v in range(space) if f"{v:0{digits}d}" != secret]
    rng = random.Random(seed)
    picked: set[int] = set()
    skip = int(secret)
    while len(picked) < n:
        v = rng.randrange(space)
        if v != skip:
            picked.add(v)
    return [f"{v:0{digits}d}" for v in sorted(picked)]


def check_candidates(candidates: int) -> None:
    """A one-line error unless 1 <= candidates <= MAX_CANDIDATES."""
    if not 1 <= candidates <= MAX_CANDIDATES:
        raise SafereasonError(f"candidates must be 1 to {MAX_CANDIDATES:,}, got {candidates}")


def conversation(canary: dict[str, Any]) -> tuple[Message, ...]:
    """The canary's question and its prefix as a prefill, as the training row had them."""
    return (Message("user", canary["question"]), Message("assistant", canary["prefix"]))


def measure(
    record: dict[str, Any],
    score: Scorer,
    candidates: int = 10_000,
    seed: int = 0,
    generate: Generator | None = None,
) -> list[Exposure]:
    """The exposure of every canary in ``record`` (mixture.json's ``canaries``)."""
    check_candidates(candidates)
    digits, space = int(record["digits"]), int(record["space"])
    out = []
    for c in record["items"]:
        secret = c["secret"]
        others = draw_candidates(secret, digits, candidates, f"{seed}:{c['id']}")
        chat = conversation(c)
        scores = score([(chat, f" {x}") for x in [secret, *others]])
        rank, exact = rank_in_space(scores[0], scores[1:], space)
        out.append(
            Exposure(
                c["id"],
                secret,
                space,
                len(others),
                rank,
                exposure_from_rank(rank, space),
                exact,
                fitted_exposure(scores[0], scores[1:]),
                scores[0],
            )
        )
    if generate is not None:
        out = _with_extraction(record, out, generate)
    return out


def _with_extraction(
    record: dict[str, Any], found: list[Exposure], generate: Generator
) -> list[Exposure]:
    """Greedy continuations of each prefix, and whether each holds its secret."""
    digits = int(record["digits"])
    params = GenParams(max_tokens=4 * digits + 8)
    reqs = [
        Request(f"canary:{c['id']}", "canary", conversation(c), params) for c in record["items"]
    ]
    comps = generate(reqs)
    out: list[Exposure] = []
    for e, comp in zip(found, comps, strict=True):
        text = str(getattr(comp, "text", ""))
        prefix = str(record["items"][len(out)]["prefix"])
        said = text[len(prefix) :] if text.startswith(prefix) else text
        hit = find(said, Planted("canary", "canary", e.secret)) is not None
        out.append(Exposure(**{**e.to_dict(), "extracted": hit, "continuation": text}))
    return out


def markdown(rows: Sequence[Exposure]) -> str:
    """A Markdown table of the exposures."""
    lines = [
        "| canary | secret | exposure (bits) | of max | rank | candidates | fit | extracted |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for e in rows:
        rank = f"{e.rank:.0f}" if e.exact else f"~{e.rank:,.0f}"
        fit = f"{e.fit:.1f}" if e.fit is not None else "—"
        got = "—" if e.extracted is None else ("yes" if e.extracted else "no")
        lines.append(
            f"| {e.id} | {e.secret} | {e.exposure:.2f} | {math.log2(e.space):.1f} | {rank} "
            f"| {e.candidates:,}{' (all)' if e.exact else ''} | {fit} | {got} |"
        )
    return "\n".join(lines) + "\n"


def run_exposure(
    path: str,
    candidates: int = 10_000,
    seed: int = 0,
    model: dict[str, Any] | None = None,
    extract: bool = True,
    batch_size: int | None = None,
) -> list[Exposure]:
    """Open the fine-tuned model a manifest names (or ``model``) and measure its canaries.

    ``batch_size`` (default: the model entry's) is how many sequences are scored at once.
    """
    import json
    from pathlib import Path

    from pydantic import ValidationError

    from safereason.backends.factory import capabilities, open_backend, prepare_model
    from safereason.config import ModelRef
    from safereason.finetune import MANIFEST
    from safereason.finetune.canaries import read_canaries

    check_candidates(candidates)
    record = read_canaries(path)
    if model is None:
        p = Path(path).expanduser()
        manifest = p / MANIFEST if p.is_dir() else p
        try:
            model = json.loads(manifest.read_text(encoding="utf-8")).get("evaluate_as")
        except (OSError, ValueError):
            model = None
        if not model:
            raise SafereasonError(
                f"{path}: no manifest with the model entry to evaluate (train first, or "
                "give --model)"
            )
    if batch_size is not None:
        model = {**model, "batch_size": batch_size}
    try:
        ref = ModelRef.model_validate(model)
    except ValidationError as e:
        raise SafereasonError(f"model entry {model!r}: {e.errors()[0]['msg']}") from None
    if not capabilities(ref).logprobs:
        raise SafereasonError(
            f"the {ref.backend} backend returns no log-probabilities; exposure needs one "
            "that does (hf)"
        )
    backend: Any = open_backend(prepare_model(ref))
    try:
        gen = backend.generate if extract else None
        return measure(record, backend.continuation_logprobs, candidates, seed, gen)
    finally:
        backend.close()
