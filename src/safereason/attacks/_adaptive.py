"""What the attacks that query the target share: their texts, budgets, the attacker's
prompts parsed, the evaluator's scores, and the record each search leaves."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from safereason.attacks._common import fill, record
from safereason.attacks.rewrite import check_attacker, clean_rewrite, repetitive
from safereason.resources import data_yaml
from safereason.types import Completion, GenParams, Message, Sample

_PROMPT = re.compile(r"<prompt>\s*(.*?)\s*(?:</prompt>|$)", re.DOTALL | re.IGNORECASE)
_RATING = re.compile(r"rating\W{0,5}(\d{1,2})", re.IGNORECASE)
_NUMBER = re.compile(r"\b(10|[1-9])\b")
HISTORY_CHARS = 600  # how much of each prompt and reply the item's record keeps


def texts(section: str) -> dict[str, Any]:
    """An entry of ``data/adaptive_attacks.yaml``."""
    out: dict[str, Any] = data_yaml("adaptive_attacks.yaml")[section]
    return out


def positive(attack: str, **values: int) -> None:
    """Refuse a budget of 0 or less, naming the option (reported as a bad option)."""
    for name, value in values.items():
        if value <= 0:
            raise ValueError(f"{attack}: {name} must be at least 1, got {value}")


def check_models(attack: str, **specs: Mapping[str, Any]) -> None:
    """A missing or malformed attacker/evaluator model entry fails when the attack is built."""
    from safereason.errors import SafereasonError

    for role, spec in specs.items():
        try:
            check_attacker(spec)
        except (SafereasonError, ValueError) as e:
            raise ValueError(f"{attack}: {role} model: {e}") from None


def attacker_prompt(raw: str, goal: str) -> tuple[str, str | None]:
    """``(prompt, why it fell back)`` from an attacker reply: the text between <prompt>
    tags, else the cleaned reply; an unusable one (empty, a refusal, a loop) is the goal."""
    from safereason.judges.refusal_rules import classify

    m = _PROMPT.search(raw)
    text = m.group(1).strip() if m else clean_rewrite(raw)
    why = (
        "empty"
        if not text
        else "repetitive"
        if repetitive(text)
        else "attacker refused"
        if classify(text)[1].get("reason") == "refusal phrase"  # not a prompt that redirects
        else None
    )
    return (goal, why) if why is not None else (text, None)


def parse_score(text: str) -> int:
    """The evaluator's 1..10 rating (``Rating: N``, else the first number 1..10; else 1)."""
    m = _RATING.search(text)
    if m and 1 <= int(m.group(1)) <= 10:
        return int(m.group(1))
    m = _NUMBER.search(text)
    return int(m.group(1)) if m else 1


def clip(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters, marked when cut."""
    return text if len(text) <= limit else text[:limit] + " …"


def reply_text(c: Completion) -> str:
    """What the attacker and evaluator read of a target reply (an engine error as such)."""
    return f"(no reply: {c.error})" if c.error else c.text


@dataclass
class Search:
    """One item's search: its queries, the best try so far, and the history it records."""

    sample: Sample
    max_queries: int
    queries: int = 0
    attacker_queries: int = 0
    evaluator_queries: int = 0
    fallbacks: int = 0
    best: tuple[int, str] | None = None  # (score, prompt)
    best_sample: Sample | None = None
    success: bool = False
    stop: str = ""
    history: list[dict[str, Any]] = field(default_factory=list)

    @property
    def goal(self) -> str:
        """The request the search tries to get answered."""
        return self.sample.user_text

    @property
    def left(self) -> int:
        """Target queries left in the budget."""
        return self.max_queries - self.queries

    def tried(
        self, step: dict[str, Any], candidate: Sample, prompt: str, reply: Completion, score: int
    ) -> None:
        """Record one target query and its score; the best is the first highest."""
        self.history.append(
            {
                **step,
                "prompt": clip(prompt, HISTORY_CHARS),
                "reply": clip(reply_text(reply), HISTORY_CHARS),
                "score": score,
            }
        )
        if self.best is None or score > self.best[0]:
            self.best, self.best_sample = (score, prompt), candidate


def evaluator_scores(
    models: Any,
    evaluator: Mapping[str, Any],
    jobs: Sequence[tuple[Search, str, Completion]],
    max_tokens: int,
) -> list[int]:
    """The evaluator's 1..10 score of each (search, prompt, reply), in one batch."""
    if not jobs:
        return []
    cfg = texts("evaluator")
    convs = [
        (
            Message("system", cfg["system"]),
            Message("user", fill(cfg["user"], goal=s.goal, prompt=p, reply=reply_text(c))),
        )
        for s, p, c in jobs
    ]
    for s, _, _ in jobs:
        s.evaluator_queries += 1
    params = GenParams(max_tokens=max_tokens, temperature=0.0, seed=0)
    out = models.client(evaluator).chat(convs, params)
    # an engine error is no reply: it scores 1 without asking
    return [1 if c.error else parse_score(r.text) for (_, _, c), r in zip(jobs, out, strict=True)]


def on_topic(
    models: Any,
    evaluator: Mapping[str, Any],
    jobs: Sequence[tuple[Search, str]],
    max_tokens: int,
) -> list[bool]:
    """Whether each attack prompt still asks for its search's goal (TAP's first pruning)."""
    if not jobs:
        return []
    cfg = texts("evaluator")
    convs = [
        (
            Message("system", cfg["on_topic_system"]),
            Message("user", fill(cfg["on_topic_user"], goal=s.goal, prompt=p)),
        )
        for s, p in jobs
    ]
    for s, _ in jobs:
        s.evaluator_queries += 1
    params = GenParams(max_tokens=max_tokens, temperature=0.0, seed=0)
    replies = models.client(evaluator).chat(convs, params)
    return [not r.text.strip().upper().startswith("NO") for r in replies]


def first_turns(goal: str) -> list[Message]:
    """The attacker's conversation before its first try."""
    cfg = texts("attacker")
    return [
        Message("system", fill(cfg["system"], goal=goal)),
        Message("user", fill(cfg["first"], goal=goal)),
    ]


def feedback(goal: str, reply: Completion, score: int) -> Message:
    """The attacker's next turn after a try: the reply it got and its score."""
    cfg = texts("attacker")
    shown = clip(reply_text(reply), int(cfg["reply_chars"]))
    return Message("user", fill(cfg["feedback"], reply=shown, score=str(score), goal=goal))


def finish(attack: Any, s: Search, success_score: int, **info: Any) -> Sample:
    """The item's attacked sample: its best prompt (the goal if nothing was tried), with
    the record of the search in ``meta["attack"]``."""
    chosen = s.best_sample if s.best_sample is not None else s.sample
    return record(
        chosen,
        attack,
        queries=s.queries,
        attacker_queries=s.attacker_queries,
        evaluator_queries=s.evaluator_queries,
        best_score=s.best[0] if s.best else None,
        success=s.success,
        success_score=success_score,
        stop=s.stop,
        attacker_fallbacks=s.fallbacks,
        final_prompt=chosen.user_text,
        history=s.history,
        **info,
    )


def start(attack: Any, sample: Sample) -> list[Sample]:
    """What ``apply`` gives an attack that queries the target: the plain request, marked
    as not searched (the runner's search replaces it; a dry run plans it)."""
    return [record(sample, attack, searched=False, queries=0)]
