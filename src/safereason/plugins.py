"""The shapes every plugin kind obeys, and one registry per kind."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol, runtime_checkable

from safereason.registry import Registry
from safereason.types import Completion, GenParams, Message, Request, Sample, Verdict


@runtime_checkable
class Method(Protocol):
    """A prompting strategy: rewrites a sample before it is sent."""

    def apply(self, sample: Sample) -> Sample: ...


@runtime_checkable
class Benchmark(Protocol):
    """A source of samples of one kind."""

    def load(self) -> list[Sample]: ...


@runtime_checkable
class Attack(Protocol):
    """A jailbreak: turns one sample into one or more attacked samples."""

    def apply(self, sample: Sample) -> list[Sample]: ...


class ToolModel(Protocol):
    """A model used as a tool: batches of conversations in, completions out, cached."""

    def chat(
        self,
        conversations: Sequence[Sequence[Message]],
        params: GenParams | Sequence[GenParams],
    ) -> list[Completion]: ...

    def ask(
        self, prompts: Sequence[str], params: GenParams, system: str | None = None
    ) -> list[str]: ...


class ModelSource(Protocol):
    """Where plugins get the models they call: the run's pool (``backends.pool.ModelPool``)."""

    def client(self, spec: Mapping[str, Any] | str) -> ToolModel: ...


@runtime_checkable
class ModelAttack(Attack, Protocol):
    """An attack that calls an attacker model: the runner gives it all samples at once.

    ``apply_batch`` returns one list of attacked samples per input sample, in order, asking
    the attacker in one batch through the run's ``models``. ``apply`` is a one-off that
    opens (and closes) a pool of its own.
    """

    def apply_batch(self, samples: Sequence[Sample], models: ModelSource) -> list[list[Sample]]: ...


class Target(Protocol):
    """The model under test as an attack that adapts queries it (the runner's stored path).

    ``answer`` applies the item's method and sampling parameters to each attacked sample
    and returns the target's completions, read from the run store or the cache when stored
    (a resumed search repeats no stored query).
    """

    def answer(self, samples: Sequence[Sample]) -> list[Completion]: ...


@runtime_checkable
class TargetAttack(Attack, Protocol):
    """An attack that queries the model under test (PAIR, TAP, multi-turn escalation).

    The runner calls ``search(samples, target, models)`` once per model x method x
    benchmark, after the attack stage: it returns one attacked sample per input (the final
    chosen prompt or conversation), whose request is then the plan item's, already stored.
    ``apply`` gives the starting point only (what a dry run plans).
    """

    def search(
        self, samples: Sequence[Sample], target: Target, models: ModelSource
    ) -> list[Sample]: ...


@runtime_checkable
class UsesModels(Protocol):
    """A plugin (a model-backed judge) that calls models: bound to the run's pool before use."""

    def bind(self, models: ModelSource) -> None: ...


@runtime_checkable
class Judge(Protocol):
    """Scores completions; one verdict per (sample, completion) pair, in order."""

    def score(self, pairs: Sequence[tuple[Sample, Completion]]) -> list[Verdict]: ...


@runtime_checkable
class Backend(Protocol):
    """An inference engine: a batch of requests in, one completion per request out."""

    def generate(self, requests: Sequence[Request]) -> list[Completion]: ...

    def close(self) -> None: ...


# Every module in these packages is imported on first use and registers its plugins.
methods: Registry[Method] = Registry("method", "safereason.methods")
benchmarks: Registry[Benchmark] = Registry("benchmark", "safereason.benchmarks")
attacks: Registry[Attack] = Registry("attack", "safereason.attacks")
judges: Registry[Judge] = Registry("judge", "safereason.judges")
# A backend registers its class with an Engine (backends.factory.register_backend).
backends: Registry[Backend] = Registry("backend", "safereason.backends")
