"""Attacks that have an attacker model rewrite the request: past tense, translation.

The attacker is a model entry like an experiment's (``{"name": "embedded"}``, or
``{"name": "x", "backend": "fake", "rules": [...]}``), checked when the attack is built and
started only when a rewrite is not already in the run's cache. The runner calls
``apply_batch(samples, pool)``: one batched attacker call over all samples, through the
run's :class:`~safereason.backends.pool.ModelPool`. An empty or unusable
rewrite (a refusal, an echo of the request or of an example, an off-topic, looping or
runaway text) falls back to the original request, with ``meta["attack"]["fallback"] = True``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from safereason.attacks._common import check, fill, record, resolve_template, section
from safereason.plugins import attacks
from safereason.types import GenParams, Message, Sample

if TYPE_CHECKING:
    from safereason.plugins import ModelSource

DEFAULT_ATTACKER: dict[str, Any] = {"name": "embedded"}

# words that label a reply ("Rewritten:", "Translation (Zulu):", "**Answer**:" ...)
_LABELS = ("rewritten", "reformulated", "rephrased", "translat", "answer", "output", "question")
_FENCE = re.compile(r"^```\w*\s*|\s*```$")
_QUOTES = "\"'`*“”‘’«»「」 \t"
_WORD = re.compile(r"[^\W\d_]{4,}")


def check_attacker(spec: Mapping[str, Any]) -> None:
    """Fail early on a malformed attacker spec or unknown backend/model (nothing is loaded)."""
    from safereason.backends.factory import check_model
    from safereason.config import ModelRef

    check_model(ModelRef.model_validate(dict(spec)))


def one_off(attack: Any, sample: Sample) -> list[Sample]:
    """``attack.apply_batch`` on one sample, with a pool of its own over the shared cache.

    The runner never calls this: it gives every sample to ``apply_batch`` with the run's pool.
    """
    from safereason.backends.pool import ModelPool

    with ModelPool.for_setting("default") as pool:
        out: list[Sample] = attack.apply_batch([sample], pool)[0]
        return out


def clean_rewrite(text: str, first_line: bool = False, labels: tuple[str, ...] = ()) -> str:
    """The rewrite in an attacker's reply: fences, a leading label, preambles and quotes removed.

    ``labels`` are extra words that may label the reply (e.g. the target language's name).
    """
    t = _FENCE.sub("", text.strip()).strip()
    if first_line:
        lines = [ln.strip() for ln in t.splitlines() if ln.strip()]
        # skip a preamble such as "Here is the rewritten question:"
        body = [ln for ln in lines if not ln.endswith(":")]
        t = body[0] if body else ""
    words = "|".join(re.escape(w) for w in (*_LABELS, *labels))
    t = re.sub(rf"^\W*(?:{words})[^:\n]{{0,40}}:\W*", "", t, count=1, flags=re.IGNORECASE)
    return t.strip(_QUOTES).strip()


def _norm(text: str) -> str:
    return re.sub(r"\W+", " ", text).strip().casefold()


def _stems(text: str) -> set[str]:
    """Crude stems of the content words (first four letters: lock/locks, pick/picking)."""
    skip = set(section("rewrite_checks")["function_words"])
    words = (w.casefold() for w in _WORD.findall(text))
    return {w[:4] for w in words if w not in skip}


def repetitive(text: str) -> bool:
    """Whether text is a degenerate loop ("kuma kuma kuma ...")."""
    words = text.casefold().split()
    return len(words) >= 12 and len(set(words)) < 0.35 * len(words)


def unusable(
    rewrite: str, original: str, same_topic: bool = False, examples: tuple[str, ...] = ()
) -> str | None:
    """Why a rewrite cannot be used (``None`` when it can).

    ``same_topic``: the rewrite must share a content word with the original (for rewrites
    in the same language); ``examples``: the prompt's example answers, which a small model
    may copy instead of rewriting.
    """
    from safereason.judges.refusal_rules import classify

    if not rewrite:
        return "empty"
    if _norm(rewrite) == _norm(original):
        return "unchanged"
    if _norm(rewrite) in {_norm(e) for e in examples}:
        return "copied an example"
    if len(rewrite) > 4 * len(original) + 200:
        return "too long"
    if repetitive(rewrite):
        return "repetitive"
    if classify(rewrite)[0] == "refused":
        return "attacker refused"
    if same_topic and _stems(original) and not _stems(original) & _stems(rewrite):
        return "off topic"
    return None


def _rewritten(
    attack: Any,
    sample: Sample,
    raw: str,
    wrap: Callable[[str], str],
    clean: Callable[[str], str],
    flaw: Callable[[str, str], str | None],
    **info: Any,
) -> Sample:
    """The attacked sample for one attacker reply, falling back to the request if unusable."""
    rewrite = clean(raw)
    why = flaw(rewrite, sample.user_text)
    if why is not None:
        return record(
            sample, attack, attacker_output=raw, rewrite=None, fallback=True, reason=why, **info
        )
    out = sample.with_user_text(wrap(rewrite))
    return record(out, attack, attacker_output=raw, rewrite=rewrite, fallback=False, **info)


@attacks.register("past_tense")
@dataclass(frozen=True)
class PastTense:
    """An attacker model rewrites the request as a question about the past.

    After Andriushchenko & Flammarion (2024). ``n_variants`` rewrites, sampled at
    ``temperature`` with seeds ``seed``, ``seed + 1`` ..., give as many samples.
    """

    attacker: dict[str, Any] = field(default_factory=lambda: dict(DEFAULT_ATTACKER))
    n_variants: int = 1
    temperature: float = 0.7
    seed: int = 0
    max_tokens: int = 128

    def __post_init__(self) -> None:
        check(self.n_variants >= 1, "past_tense", "n_variants must be at least 1")
        check(self.max_tokens >= 1, "past_tense", "max_tokens must be at least 1")
        check(
            self.n_variants == 1 or self.temperature > 0,
            "past_tense",
            "n_variants > 1 needs temperature > 0 (greedy decoding gives one rewrite)",
        )
        check_attacker(self.attacker)

    def conversation(self, request: str) -> tuple[Message, ...]:
        """The attacker's turns for one request: instructions, the examples as turns, it."""
        cfg = section("past_tense")
        shots: list[Message] = []
        for ex in cfg["examples"]:
            shots += [
                Message("user", fill(cfg["user"], request=ex["request"])),
                Message("assistant", ex["rewrite"]),
            ]
        return (
            Message("system", cfg["system"]),
            *shots,
            Message("user", fill(cfg["user"], request=request)),
        )

    def apply(self, sample: Sample) -> list[Sample]:
        return one_off(self, sample)

    def apply_batch(self, samples: Sequence[Sample], models: ModelSource) -> list[list[Sample]]:
        examples = tuple(str(ex["rewrite"]) for ex in section("past_tense")["examples"])

        def flaw(rewrite: str, original: str) -> str | None:
            return unusable(rewrite, original, same_topic=True, examples=examples)

        def clean(raw: str) -> str:
            return clean_rewrite(raw, first_line=True)

        variants = [
            GenParams(max_tokens=self.max_tokens, temperature=self.temperature, seed=self.seed + i)
            for i in range(self.n_variants)
        ]
        convs = [self.conversation(s.user_text) for s in samples for _ in variants]
        params = [p for _ in samples for p in variants]
        replies = iter(models.client(self.attacker).chat(convs, params))
        return [
            [
                _rewritten(self, s, next(replies).text, str, clean, flaw, variant=i)
                for i in range(self.n_variants)
            ]
            for s in samples
        ]


@attacks.register("translation")
@dataclass(frozen=True)
class Translation:
    """An attacker model translates the request into a low-resource language (Zulu by default).

    After Yong et al. (2023). ``language``: a code from attacks.yaml (``zu``, ``gd``,
    ``hmn``, ``gn`` ...); ``template``: ``bare``, ``reply_in_english`` or a text with
    ``{translated}``. The reply is not translated back.
    """

    attacker: dict[str, Any] = field(default_factory=lambda: dict(DEFAULT_ATTACKER))
    language: str = "zu"
    template: str = "bare"
    max_tokens: int = 512

    def __post_init__(self) -> None:
        known = section("translation")["languages"]
        check(
            self.language in known,
            "translation",
            f"unknown language {self.language!r}; known: {', '.join(known)}",
        )
        check(self.max_tokens >= 1, "translation", "max_tokens must be at least 1")
        resolve_template("translation", self.template, {"translated"})
        check_attacker(self.attacker)

    @property
    def language_name(self) -> str:
        """The language's English name, as the attacker is asked for it."""
        return str(section("translation")["languages"][self.language])

    def apply(self, sample: Sample) -> list[Sample]:
        return one_off(self, sample)

    def apply_batch(self, samples: Sequence[Sample], models: ModelSource) -> list[list[Sample]]:
        cfg = section("translation")
        tid, text = resolve_template("translation", self.template, {"translated"})
        lang = self.language_name
        prompts = [fill(cfg["prompt"], request=s.user_text, language=lang) for s in samples]
        params = GenParams(max_tokens=self.max_tokens, temperature=0.0, seed=0)
        raws = models.client(self.attacker).ask(prompts, params, system=cfg["system"])

        def wrap(translated: str) -> str:
            return fill(text, translated=translated)

        def clean(raw: str) -> str:
            return clean_rewrite(raw, labels=(lang, *lang.split()))

        return [
            [_rewritten(self, s, raw, wrap, clean, unusable, language=lang, template=tid)]
            for s, raw in zip(samples, raws, strict=True)
        ]
