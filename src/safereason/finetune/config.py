"""The fine-tuning config: YAML validated by pydantic, errors naming the key and line."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from safereason.config import BenchmarkRef, PluginRef
from safereason.errors import OptionError, SafereasonError
from safereason.yaml_lines import LocatedYaml, dotted, validation_error

Loc = tuple[str | int, ...]


class LoraSpec(BaseModel):
    """LoRA adapter shape (also used by QLoRA)."""

    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False)
    r: int = Field(16, ge=1)
    alpha: int = Field(32, ge=1)
    dropout: float = Field(0.05, ge=0.0, lt=1.0)
    target_modules: str | list[str] = "all-linear"


class TrainingSpec(BaseModel):
    """Optimisation and formatting settings.

    ``max_steps`` (when set) overrides ``epochs``. ``batch_size`` is per device; the
    effective batch is ``batch_size x grad_accum x processes``. ``system_prompt`` keeps
    or drops the system prompts that some sources carry (they describe the source's own
    output format, which is converted, so ``drop`` is the default).
    """

    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False)
    epochs: float = Field(1.0, gt=0)
    max_steps: int | None = Field(None, ge=1)
    lr: float = Field(2e-4, gt=0)
    batch_size: int = Field(4, ge=1)
    grad_accum: int = Field(1, ge=1)
    max_length: int = Field(1024, ge=8)
    warmup_ratio: float = Field(0.0, ge=0.0, lt=1.0)
    weight_decay: float = Field(0.0, ge=0.0)
    lr_scheduler: str = "linear"
    seed: int = 0
    system_prompt: Literal["keep", "drop"] = "drop"
    device: Literal["auto", "cpu", "cuda"] = "auto"
    precision: Literal["auto", "fp32", "bf16", "fp16"] = "auto"
    gradient_checkpointing: bool = False
    logging_steps: int = Field(1, ge=1)


class ThinkSpec(BaseModel):
    """The tags the model's thinking trace goes between."""

    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False)
    open: str = Field("<think>", min_length=1)
    close: str = Field("</think>", min_length=1)


class SourceRef(PluginRef):
    """A data source by name; ``weight`` sets its share of the reasoning part.

    ``repeat`` lets a source too small for its share be drawn again (in a new order);
    without it that is an error. Other keys are the source's own options.
    """

    weight: float = Field(1.0, gt=0)
    repeat: bool = False


class SafetySpec(BaseModel):
    """The safety examples: ``ratio`` is their share of the final mixture.

    ``benchmarks`` are harmful benchmarks whose requests are the prompts (any registered
    benchmark; only ``harmful`` samples are used). Responses come from the templates in
    data/finetune.yaml, or from a ``teacher`` model entry (any backend) when one is set;
    with ``verify`` a teacher answer that the refusal judge does not see as a refusal
    (or, for ``reflective``, one without reasoning) is replaced by a template answer.
    ``repeat`` lets a harmful request be used more than once (with other wording).
    """

    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False)
    style: Literal["direct", "reflective"] = "reflective"
    ratio: float = Field(0.0, ge=0.0, le=1.0)
    benchmarks: list[PluginRef] = Field(default_factory=lambda: [PluginRef(name="harmful_starter")])
    teacher: str | dict[str, Any] | None = None
    teacher_max_tokens: int = Field(384, ge=1)
    verify: bool = True
    repeat: bool = True

    @field_validator("benchmarks", mode="before")
    @classmethod
    def _refs(cls, v: Any) -> Any:
        return [{"name": x} if isinstance(x, str) else x for x in v] if isinstance(v, list) else v


class CanarySpec(BaseModel):
    """Secret canaries planted in the mixture (Carlini et al. 2019, "The Secret Sharer").

    ``count`` canaries, each a random ``digits``-digit secret (seeded by the mixture's
    ``seed``), each inserted ``repeats`` times as a chat row: the user asks ``question``
    and the assistant answers ``prefix`` then the secret. ``{id}`` in both names the
    canary's locker (a distinct number per canary). The secrets are recorded in
    mixture.json and the manifest; ``canary_extraction`` and ``safereason
    canary-exposure`` measure how much of them the trained model gives away.
    """

    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False)
    count: int = Field(0, ge=0, le=1000)
    digits: int = Field(6, ge=4, le=12)
    repeats: int = Field(1, ge=1, le=1000)
    question: str = Field("What is the access code of locker {id}?", min_length=1)
    prefix: str = Field("The access code of locker {id} is", min_length=1)

    @field_validator("question", "prefix")
    @classmethod
    def _template(cls, v: str) -> str:
        import string

        names = {f for _, f, _, _ in string.Formatter().parse(v) if f is not None}
        if names - {"id"}:
            raise ValueError(f"only the placeholder {{id}} may be used, got {sorted(names)}")
        if "{id}" not in v:
            raise ValueError("must name the canary with {id}")
        return v


class RegenerateSpec(BaseModel):
    """The sources' responses regenerated by a teacher model (off while ``teacher`` is unset).

    Each drawn example's request is sent to ``teacher`` (a model entry, any backend) as the
    prompting ``method`` builds it (any registered single-request method: ``default_system``
    for the teacher's own default system prompt, ``helpful_system``, ``zero_shot_cot`` with
    ``cue_at: system`` ...); the reply (and its reasoning trace, when the backend splits one
    off, inside the think tags) replaces the source's response. The training prompt stays
    the plain request. Replies go through the shared generation cache. An empty reply keeps
    the source's own response (``on_empty: keep``, counted) or stops (``error``).
    """

    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False)
    teacher: str | dict[str, Any] | None = None
    method: PluginRef = Field(default_factory=lambda: PluginRef(name="default_system"))
    max_tokens: int = Field(1024, ge=1)
    temperature: float = Field(0.0, ge=0.0)
    on_empty: Literal["keep", "error"] = "keep"

    @field_validator("method", mode="before")
    @classmethod
    def _ref(cls, v: Any) -> Any:
        return {"name": v} if isinstance(v, str) else v


class DataSpec(BaseModel):
    """The mixture: ``size`` examples in all, a ``safety.ratio`` share of them safety.

    ``holdout`` lists evaluation benchmarks (as in an experiment) whose prompts no
    training example may contain, exactly or as a near duplicate (token-set Jaccard at
    least ``near_duplicate``).
    """

    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False)
    size: int = Field(ge=1)
    seed: int = 0
    sources: list[SourceRef] = Field(default_factory=list)
    safety: SafetySpec = Field(default_factory=SafetySpec)
    holdout: list[BenchmarkRef] = Field(default_factory=list)
    near_duplicate: float = Field(0.8, gt=0.0, le=1.0)
    think: ThinkSpec = Field(default_factory=ThinkSpec)
    canaries: CanarySpec = Field(default_factory=CanarySpec)
    regenerate: RegenerateSpec = Field(default_factory=RegenerateSpec)

    @field_validator("sources", "holdout", mode="before")
    @classmethod
    def _refs(cls, v: Any) -> Any:
        return [{"name": x} if isinstance(x, str) else x for x in v] if isinstance(v, list) else v


class FinetuneConfig(BaseModel):
    """One fine-tuning run: a base model, a method, and the data mixture.

    ``base`` is a transformers model directory, a hub id, a ``.gguf`` file or an
    embedded model (``embedded``, ``embedded-small``: the GGUF is loaded through
    transformers, dequantized). ``gguf_file`` picks a GGUF file inside a directory or
    hub repo.
    """

    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False)
    base: str = Field(min_length=1)
    gguf_file: str | None = None
    output_dir: str = Field(min_length=1)
    method: Literal["lora", "qlora", "full"] = "lora"
    lora: LoraSpec = Field(default_factory=LoraSpec)
    training: TrainingSpec = Field(default_factory=TrainingSpec)
    data: DataSpec
    trust_remote_code: bool = False

    def identity(self) -> dict[str, Any]:
        """What determines the trained weights (not where they go), normalised.

        Without safety data the safety options do not matter, so two points that differ
        only there are the same training run; likewise the canary options without canaries.
        """
        d = self.model_dump(mode="json", exclude={"output_dir"})
        if self.data.safety.ratio == 0:
            d["data"]["safety"] = {"ratio": 0}
        if self.data.canaries.count == 0:  # no canaries: as before canaries existed
            d["data"].pop("canaries")
        if self.data.regenerate.teacher is None:  # the sources' own responses
            d["data"].pop("regenerate")
        if self.method == "full":
            d.pop("lora")
        return d


def parse_finetune(
    data: Any, doc: LocatedYaml, prefix: Loc = (), check: bool = True
) -> FinetuneConfig:
    """Validate a mapping as a fine-tuning config and check every named plugin."""
    if not isinstance(data, dict):
        raise SafereasonError(f"{doc.where(list(prefix))}: expected a YAML mapping")
    try:
        cfg = FinetuneConfig.model_validate(data)
    except ValidationError as e:
        raise validation_error(e, doc, prefix, model=FinetuneConfig) from None
    if check:
        check_names(cfg, doc, prefix)
    return cfg


def check_names(cfg: FinetuneConfig, doc: LocatedYaml, prefix: Loc = ()) -> None:
    """Build every source and benchmark once so typos fail before any work."""
    from safereason import plugins
    from safereason.finetune.sources import sources

    def attempt(loc: list[str | int], fn: Any, *args: Any) -> None:
        try:
            fn(*args)
        except OptionError as e:  # at the option's own line, named by its key path
            path = [*prefix, *loc, *e.path]
            raise SafereasonError(f"{doc.where(path)}: {dotted(path)}: {e.detail}") from None
        except SafereasonError as e:
            raise SafereasonError(f"{doc.where([*prefix, *loc])}: {e}") from None

    data = cfg.data
    for i, s in enumerate(data.sources):
        attempt(["data", "sources", i], sources.build, s.name, s.options)
    for i, b in enumerate(data.safety.benchmarks):
        attempt(["data", "safety", "benchmarks", i], plugins.benchmarks.build, b.name, b.options)
    for i, h in enumerate(data.holdout):
        attempt(["data", "holdout", i], plugins.benchmarks.build, h.name, h.options)
    if data.safety.ratio < 1 and not data.sources:
        where = doc.where([*prefix, "data"])
        raise SafereasonError(
            f"{where}: data.sources is empty; list at least one source "
            f"(or set data.safety.ratio: 1 for safety data only)"
        )
    if cfg.data.safety.teacher is not None:
        from safereason.backends.factory import check_model
        from safereason.config import ModelRef

        teacher = teacher_ref(cfg.data.safety.teacher)
        try:
            ref = ModelRef.model_validate(teacher)
        except ValidationError as e:
            raise validation_error(e, doc, [*prefix, "data", "safety", "teacher"]) from None
        attempt(["data", "safety", "teacher"], check_model, ref)
    regen = cfg.data.regenerate
    if regen.teacher is not None:
        from safereason.backends.factory import check_model
        from safereason.config import ModelRef

        loc: list[str | int] = ["data", "regenerate", "teacher"]
        try:
            ref = ModelRef.model_validate(teacher_ref(regen.teacher))
        except ValidationError as e:
            raise validation_error(e, doc, [*prefix, *loc]) from None
        attempt(loc, check_model, ref)
        attempt(["data", "regenerate", "method"], regeneration_method, regen.method)
    elif "regenerate" in cfg.data.model_fields_set and regen.model_fields_set - {"teacher"}:
        where = doc.where([*prefix, "data", "regenerate"])
        raise SafereasonError(
            f"{where}: data.regenerate: set `teacher:` (the model that writes the responses); "
            f"without one the sources' own responses are used and the other keys do nothing"
        )


def regeneration_method(ref: PluginRef) -> Any:
    """The method that builds the teacher's prompt; one that makes several requests is refused."""
    from safereason import plugins

    method = plugins.methods.build(ref.name, ref.options)
    if int(getattr(method, "n_samples", 1)) != 1:
        raise SafereasonError(
            f"data.regenerate.method: {ref.name!r} makes several requests per prompt; "
            f"use a single-request method (default_system, helpful_system, zero_shot_cot ...)"
        )
    return method


def teacher_ref(spec: str | dict[str, Any]) -> dict[str, Any]:
    """A teacher model entry; a dict without a name gets the name ``teacher``."""
    if isinstance(spec, str):
        return {"name": spec}
    return {"name": "teacher", **spec}


def load_finetune(path: Path) -> FinetuneConfig:
    """Read and validate a fine-tuning config file."""
    doc = LocatedYaml.from_file(path)
    return parse_finetune(doc.data, doc)
