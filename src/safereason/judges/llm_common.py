"""What the model-based judges share: the judged text, the judge model, the prompts."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from safereason.errors import SafereasonError
from safereason.judge_fields import DEFAULT_READS
from safereason.resources import data_yaml
from safereason.types import Completion, GenParams, Message, Sample, Verdict

if TYPE_CHECKING:
    from safereason.plugins import ModelSource, ToolModel

Target = Literal["answer", "reasoning"]
DEFAULT_MODEL: dict[str, Any] = {"name": "embedded"}
_MARKDOWN = re.compile(r"[*_`]+")


def default_model() -> dict[str, Any]:
    """A fresh copy of the default judge model spec."""
    return dict(DEFAULT_MODEL)


def check_model_spec(spec: Mapping[str, Any]) -> None:
    """Fail on a malformed model spec, an unknown backend or option; nothing is loaded."""
    from safereason.backends.factory import check_model
    from safereason.config import ModelRef

    if not isinstance(spec, Mapping) or "name" not in spec:
        raise ValueError(
            "model must be a mapping with a 'name', like an experiment's models entry; "
            f"got {spec!r}"
        )
    try:
        check_model(ModelRef.model_validate(dict(spec)))
    except SafereasonError as e:
        raise ValueError(f"model: {e}") from None


def prompts(judge: str) -> dict[str, Any]:
    """The judge's entry in ``data/judges.yaml``."""
    entry: dict[str, Any] = data_yaml("judges.yaml")[judge]
    return entry


def judged_text(comp: Completion, target: Target) -> str | None:
    """The text a judge reads: the answer, or the reasoning (``None`` when there is none)."""
    if target == "answer":
        return comp.text
    if comp.reasoning is None or not comp.reasoning.strip():
        return None
    return comp.reasoning


def truncate(text: str, max_chars: int) -> str:
    """At most ``max_chars`` characters, marking a cut."""
    if max_chars <= 0 or len(text) <= max_chars:
        return text
    return text[:max_chars] + "\n[... truncated]"


def reply_text(comp: Completion) -> str:
    """The judge model's verdict text: its answer, else (a thinking model cut off) its trace."""
    return comp.text if comp.text.strip() else (comp.reasoning or "")


def plain(text: str) -> str:
    """Text without markdown emphasis and code marks, and with straight quotes."""
    text = text.replace("\u2019", "'").replace("\u2018", "'")
    return _MARKDOWN.sub("", text)


def score_with_model(
    name: str,
    client: ToolModel,
    pairs: Sequence[tuple[Sample, Completion]],
    target: Target,
    max_tokens: int,
    render: Callable[[Sample, str], str],
    parse: Callable[[str], Verdict],
) -> list[Verdict]:
    """One verdict per pair: ask the judge model about each judged text, parse its reply.

    A pair whose judged text is missing (``target="reasoning"`` and no reasoning) gets
    ``no_reasoning`` without a model call; replies are generated in one batch.
    """
    texts = [judged_text(comp, target) for _, comp in pairs]
    todo = [(i, render(pairs[i][0], t)) for i, t in enumerate(texts) if t is not None]
    replies: dict[int, Completion] = {}
    if todo:
        params = GenParams(max_tokens=max_tokens, temperature=0.0)
        comps = client.chat([(Message("user", p),) for _, p in todo], params)
        replies = {i: c for (i, _), c in zip(todo, comps, strict=True)}
    out = []
    for i in range(len(pairs)):
        if i not in replies:
            out.append(Verdict(name, "no_reasoning", None, {"target": target}))
            continue
        raw = reply_text(replies[i])
        v = parse(raw)
        details = {**v.details, "target": target, "raw": raw[:2000]}
        if replies[i].finish_reason not in ("stop", "length"):
            details["finish_reason"] = replies[i].finish_reason
        out.append(Verdict(name, v.label, v.score, details))
    return out


class ModelBackedJudge:
    """Mixin for judges whose ``model`` field names a judge model.

    Checks the spec when the judge is built (nothing is loaded). The model's client comes
    from the pool the judge is bound to (:meth:`bind`: the run's, or a command's), which
    starts its engine on first use and stops it when its owner closes the pool. A judge
    used on its own (a test, a notebook) opens a pool of its own over the shared cache,
    which :meth:`close` closes.
    """

    # the item fields the judge needs (safereason.judge_fields): the request and the response
    reads: ClassVar[tuple[str, ...]] = DEFAULT_READS
    model: dict[str, Any]

    def __post_init__(self) -> None:
        check_model_spec(self.model)

    def bind(self, models: ModelSource) -> None:
        """Take the judge model from ``models`` (not part of the judge's config or identity)."""
        self.close()
        self.__dict__["_models"] = models  # a frozen dataclass: its fields stay untouched

    @property
    def _client(self) -> ToolModel:
        models: ModelSource | None = self.__dict__.get("_models")
        if models is None:
            from safereason.backends.pool import ModelPool

            models = self.__dict__["_models"] = ModelPool.for_setting("default")
            self.__dict__["_own_pool"] = True
        return models.client(self.model)

    def close(self) -> None:
        """Close the pool the judge opened for itself, if it did (a bound one is its owner's)."""
        if self.__dict__.pop("_own_pool", False):
            self.__dict__.pop("_models").close()
