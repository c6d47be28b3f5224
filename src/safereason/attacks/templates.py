"""Template attacks: deterministic rewrites of the user's request by a prompt template."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Literal

from safereason.attacks._common import fill, record, resolve_template, section
from safereason.plugins import attacks
from safereason.types import Sample


def _around_request(attack: Any, name: str, sample: Sample) -> list[Sample]:
    """The request put into the attack's ``template`` (its one field is ``{request}``)."""
    tid, text = resolve_template(name, attack.template, {"request"})
    out = sample.with_user_text(fill(text, request=sample.user_text))
    return [record(out, attack, template=tid)]


@attacks.register("none")
@dataclass(frozen=True)
class NoAttack:
    """The plain request, unattacked."""

    def apply(self, sample: Sample) -> list[Sample]:
        return [record(replace(sample, attack="none"), self)]  # one query: the request


@attacks.register("refusal_suppression")
@dataclass(frozen=True)
class RefusalSuppression:
    """Forbid apologies, disclaimers and refusal words (Wei et al., 2023).

    ``template``: a template id from attacks.yaml (``rules``, ``short``) or a text with
    ``{request}``.
    """

    template: str = "rules"

    def __post_init__(self) -> None:
        resolve_template("refusal_suppression", self.template, {"request"})

    def apply(self, sample: Sample) -> list[Sample]:
        return _around_request(self, "refusal_suppression", sample)


@attacks.register("prefix_injection")
@dataclass(frozen=True)
class PrefixInjection:
    """Ask the model to open its reply with an eager, compliant sentence (Wei et al., 2023).

    ``prefix``: the opening sentence (attacks.yaml's by default); ``template``: ``opening``,
    ``after`` or a text with ``{request}`` and ``{prefix}``.
    """

    prefix: str = field(default_factory=lambda: str(section("prefix_injection")["prefix"]))
    template: str = "opening"

    def __post_init__(self) -> None:
        resolve_template("prefix_injection", self.template, {"request", "prefix"})

    def apply(self, sample: Sample) -> list[Sample]:
        tid, text = resolve_template("prefix_injection", self.template, {"request", "prefix"})
        out = sample.with_user_text(fill(text, request=sample.user_text, prefix=self.prefix))
        return [record(out, self, template=tid)]


@attacks.register("persona")
@dataclass(frozen=True)
class Persona:
    """A role-play persona with no rules who answers anything (vesper, or old_hand).

    ``placement``: the character sheet goes in the user turn, or replaces the system message.
    """

    persona: str = "vesper"
    placement: Literal["user", "system"] = "user"

    def __post_init__(self) -> None:
        known = section("persona")["templates"]
        if self.persona not in known:
            raise ValueError(f"unknown persona {self.persona!r}; known: {', '.join(known)}")
        if self.placement not in ("user", "system"):
            raise ValueError(f"placement must be 'user' or 'system', not {self.placement!r}")

    def apply(self, sample: Sample) -> list[Sample]:
        entry = section("persona")["templates"][self.persona]
        sheet, user = str(entry["persona"]).strip(), fill(entry["user"], request=sample.user_text)
        if self.placement == "system":
            out = sample.with_system(sheet).with_user_text(user)
        else:
            out = sample.with_user_text(f"{sheet}\n\n{user}")
        return [record(out, self, template=self.persona)]


@attacks.register("hypothetical")
@dataclass(frozen=True)
class Hypothetical:
    """Frame the request as fiction or a thought experiment (story, screenplay, seminar).

    ``template``: ``story``, ``thought_experiment``, ``screenplay`` or a text with
    ``{request}``.
    """

    template: str = "story"

    def __post_init__(self) -> None:
        resolve_template("hypothetical", self.template, {"request"})

    def apply(self, sample: Sample) -> list[Sample]:
        return _around_request(self, "hypothetical", sample)
