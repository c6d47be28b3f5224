"""Multi-turn escalation (Crescendo-style): a conversation led from harmless to the request.

The item's request is the whole conversation (a list of messages ending with the last
user turn), with the target's own replies to the earlier turns; the experiment's judges
judge its reply to the last turn. The user turns come from a written schedule or from an
attacker model that writes each next turn from the conversation so far. It queries the
model under test, so the runner runs it after the attack stage (``plugins.TargetAttack``),
batched over the items, one turn at a time, through the cached, stored request path.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Literal

from safereason.attacks._adaptive import (
    HISTORY_CHARS,
    attacker_prompt,
    check_models,
    clip,
    positive,
    reply_text,
    start,
    texts,
)
from safereason.attacks._common import check, fill, record
from safereason.plugins import attacks
from safereason.types import GenParams, Message, Sample

if TYPE_CHECKING:
    from safereason.plugins import ModelSource, Target


def topic(goal: str, words: int = 12) -> str:
    """The request's first sentence, at most ``words`` words, as a subject to talk about."""
    first = goal.strip().split("\n")[0].split(". ")[0].rstrip(".?!")
    parts = first.split()
    return " ".join(parts[:words]) + (" ..." if len(parts) > words else "")


@attacks.register("multi_turn")
@dataclass(frozen=True)
class MultiTurn:
    """A conversation that escalates over ``turns`` user turns to the request.

    ``planner``: ``schedule`` (the turns of ``schedule``: ``crescendo``, ``gradual``, or a
    list of texts with ``{goal}``/``{topic}``, the last asking for ``{goal}``) or
    ``attacker`` (the ``attacker`` model writes each next turn; ``turns`` of them).
    """

    planner: Literal["schedule", "attacker"] = "schedule"
    schedule: str | list[str] = "crescendo"
    turns: int = 3
    attacker: dict[str, Any] | None = None
    temperature: float = 0.7
    seed: int = 0
    attacker_max_tokens: int = 160

    def __post_init__(self) -> None:
        positive("multi_turn", turns=self.turns, attacker_max_tokens=self.attacker_max_tokens)
        if self.planner == "attacker":
            check(
                self.attacker is not None, "multi_turn", "planner: attacker needs an attacker model"
            )
            assert self.attacker is not None
            check_models("multi_turn", attacker=self.attacker)
        else:
            turns = self.scheduled()
            check(bool(turns), "multi_turn", "the schedule has no turns")
            check(
                "{goal}" in turns[-1],
                "multi_turn",
                "the schedule's last turn must ask for {goal}",
            )

    def scheduled(self) -> list[str]:
        """The schedule's turn templates."""
        if isinstance(self.schedule, list):
            return [str(t) for t in self.schedule]
        known = texts("multi_turn")["schedules"]
        check(
            self.schedule in known,
            "multi_turn",
            f"unknown schedule {self.schedule!r}; known: {', '.join(known)} (or a list of turns)",
        )
        return [str(t) for t in known[self.schedule]]

    @property
    def n_turns(self) -> int:
        """How many user turns the conversation has."""
        return len(self.scheduled()) if self.planner == "schedule" else self.turns

    def query_bound(self) -> int:
        """The target queries one item's conversation makes (one per turn)."""
        return self.n_turns

    def apply(self, sample: Sample) -> list[Sample]:
        return start(self, sample)

    def _next_turns(
        self, models: ModelSource, convs: Sequence[list[Message]], goals: Sequence[str], t: int
    ) -> tuple[list[str], list[bool]]:
        """Each conversation's user turn ``t`` (1-based), and whether it fell back to the goal."""
        if self.planner == "schedule":
            tpl = self.scheduled()[t - 1]
            return [fill(tpl, goal=g, topic=topic(g)) for g in goals], [False] * len(goals)
        cfg = texts("multi_turn")
        assert self.attacker is not None
        asks = []
        for conv, g in zip(convs, goals, strict=True):
            shown = [m for m in conv if m.role != "system"]
            transcript = "\n".join(f"{m.role.upper()}: {clip(m.content, 800)}" for m in shown)
            user = fill(
                cfg["user"],
                transcript=transcript or cfg["no_transcript"],
                turn=str(t),
                turns=str(self.turns),
            )
            asks.append((Message("system", fill(cfg["system"], goal=g)), Message("user", user)))
        params = GenParams(
            max_tokens=self.attacker_max_tokens, temperature=self.temperature, seed=self.seed + t
        )
        raws = models.client(self.attacker).chat(asks, params)
        picked = [attacker_prompt(raw.text, g) for raw, g in zip(raws, goals, strict=True)]
        return [text for text, _ in picked], [why is not None for _, why in picked]

    def search(
        self, samples: Sequence[Sample], target: Target, models: ModelSource
    ) -> list[Sample]:
        goals = [s.user_text for s in samples]
        # the sample's own turns before its request (a system message, earlier turns) stay
        convs: list[list[Message]] = []
        for s in samples:
            last = max(i for i, m in enumerate(s.messages) if m.role == "user")
            convs.append(list(s.messages[:last]))
        history: list[list[dict[str, Any]]] = [[] for _ in samples]
        fallbacks = [0] * len(samples)
        n = self.n_turns
        for t in range(1, n + 1):
            turns, fb = self._next_turns(models, convs, goals, t)
            for i, text in enumerate(turns):
                convs[i].append(Message("user", text))
            fallbacks = [f + int(b) for f, b in zip(fallbacks, fb, strict=True)]
            current = [replace(s, messages=tuple(c)) for s, c in zip(samples, convs, strict=True)]
            replies = target.answer(current)  # the last turn's reply is the item's generation
            for i, c in enumerate(replies):
                history[i].append(
                    {
                        "turn": t,
                        "user": clip(turns[i], HISTORY_CHARS),
                        "reply": clip(reply_text(c), HISTORY_CHARS),
                    }
                )
                if t < n:
                    convs[i].append(Message("assistant", c.text))
        out = []
        for s, conv, h, n_fb in zip(samples, convs, history, fallbacks, strict=True):
            done = replace(s, messages=tuple(conv))
            out.append(
                record(
                    done,
                    self,
                    queries=n,
                    attacker_queries=n if self.planner == "attacker" else 0,
                    turns=n,
                    attacker_fallbacks=n_fb,
                    history=h,
                )
            )
        return out
