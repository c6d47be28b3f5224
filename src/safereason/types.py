"""The data that flows through a run: samples, requests, completions and verdicts."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from typing import Any, Literal

SampleKind = Literal["reasoning", "harmful", "benign", "privacy"]
Role = Literal["system", "user", "assistant"]
Target = Literal["answer", "reasoning", "both"]
# Labels a judge gives when it had nothing to judge: no gold answer, no reasoning trace.
UNDECIDED_LABELS = frozenset({"no_target", "no_reasoning"})


@dataclass(frozen=True)
class Message:
    """One chat turn."""

    role: Role
    content: str


@dataclass(frozen=True)
class Sample:
    """One benchmark item, possibly rewritten by an attack and a method.

    ``prompt`` is the original request as the benchmark wrote it; ``messages`` is what
    the model is shown. Judges that need the un-attacked request read ``prompt``.
    """

    id: str
    benchmark: str
    kind: SampleKind
    prompt: str
    messages: tuple[Message, ...]
    target: str | None = None
    category: str | None = None
    attack: str = "none"
    method: str = "none"
    meta: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)

    @classmethod
    def from_prompt(
        cls, id: str, benchmark: str, kind: SampleKind, prompt: str, **kw: Any
    ) -> Sample:
        """Build a single-turn sample whose only message is the prompt."""
        return cls(
            id=id,
            benchmark=benchmark,
            kind=kind,
            prompt=prompt,
            messages=(Message("user", prompt),),
            **kw,
        )

    @property
    def user_text(self) -> str:
        """The content of the last user message."""
        for m in reversed(self.messages):
            if m.role == "user":
                return m.content
        raise ValueError(f"sample {self.id} has no user message")

    def with_user_text(self, text: str) -> Sample:
        """Replace the content of the last user message."""
        msgs = list(self.messages)
        for i in range(len(msgs) - 1, -1, -1):
            if msgs[i].role == "user":
                msgs[i] = Message("user", text)
                return replace(self, messages=tuple(msgs))
        raise ValueError(f"sample {self.id} has no user message")

    def with_user_suffix(self, suffix: str, sep: str = "\n\n") -> Sample:
        """Append text to the last user message."""
        return self.with_user_text(self.user_text + sep + suffix)

    def with_system(self, text: str) -> Sample:
        """Set (or replace) the system message."""
        rest = tuple(m for m in self.messages if m.role != "system")
        return replace(self, messages=(Message("system", text), *rest))

    def with_prefix_turns(self, turns: tuple[Message, ...]) -> Sample:
        """Insert turns (few-shot exemplars) after the system message, before the rest."""
        sys = tuple(m for m in self.messages if m.role == "system")
        rest = tuple(m for m in self.messages if m.role != "system")
        return replace(self, messages=(*sys, *turns, *rest))

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Sample:
        """Inverse of :meth:`to_dict`."""
        d = dict(d)
        d["messages"] = tuple(Message(**m) for m in d["messages"])
        return cls(**d)


@dataclass(frozen=True)
class GenParams:
    """Sampling parameters; part of every generation's cache key."""

    max_tokens: int = 512
    temperature: float = 0.0
    top_p: float = 1.0
    seed: int = 0
    stop: tuple[str, ...] = ()
    thinking_budget: int | None = None
    # which of k draws of one request this is (the experiment's generation.samples); None
    # for the first, so a one-sample run's keys stay as they were
    sample: int | None = None


@dataclass(frozen=True)
class Request:
    """One generation to perform: a model identity, messages and sampling parameters."""

    key: str
    model: str
    messages: tuple[Message, ...]
    params: GenParams


@dataclass(frozen=True)
class Completion:
    """What a backend returned for one request.

    ``text`` is the final answer; ``reasoning`` holds a thinking trace when the model or
    server gives one separately (or it was split off ``<think>`` tags), else ``None``.
    """

    key: str
    text: str
    reasoning: str | None = None
    prompt_tokens: int = 0
    completion_tokens: int = 0
    finish_reason: str = "stop"
    latency_s: float = 0.0
    engine: str = ""
    meta: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return asdict(self)

    @property
    def error(self) -> str | None:
        """Why the engine gave no answer (``failed``: a transient failure after retries;
        ``error: ...``: the request itself, e.g. a prompt longer than the context), or
        ``None``. Such a completion is never stored as a generation."""
        reason = self.finish_reason
        if reason == "failed" or reason.startswith("error"):
            detail = self.meta.get("error") if self.meta else None
            return f"{reason}: {detail}" if reason == "failed" and detail else reason
        return None

    @property
    def trace(self) -> str | None:
        """The reasoning trace, or ``None`` when there is none (or it is blank)."""
        return self.reasoning if self.reasoning and self.reasoning.strip() else None

    def text_for(self, target: Target, trace_if_empty: bool = False) -> str | None:
        """The text a judge reads for ``target``: the answer, the trace, or trace then answer.

        ``None`` when the target is the reasoning and there is no trace. With
        ``trace_if_empty`` an empty answer is replaced by the trace (a thinking model that
        never closed its trace put everything there).
        """
        if target == "reasoning":
            return self.trace
        if target == "both":
            return f"{self.trace}\n\n{self.text}" if self.trace else self.text
        if trace_if_empty and not self.text.strip() and self.trace:
            return self.trace
        return self.text


@dataclass(frozen=True)
class Verdict:
    """One judge's decision on one completion.

    ``label`` is the judge's categorical answer (``refused``/``complied``,
    ``correct``/``incorrect``, ``unparsed`` ...); ``score`` is 1.0 for the positive class
    of a binary judge or a graded score; ``None`` when the judge could not decide.
    """

    judge: str
    label: str
    score: float | None
    details: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)

    @property
    def decided(self) -> bool:
        """Whether the judge reached a decision (it had something to judge and a score)."""
        return self.label not in UNDECIDED_LABELS and self.score is not None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Verdict:
        """Inverse of :meth:`to_dict` (``details`` may be missing)."""
        return cls(d["judge"], d["label"], d.get("score"), dict(d.get("details") or {}))
