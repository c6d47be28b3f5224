"""The experiment spec: YAML validated by pydantic, with errors that name the key and line."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

from safereason.tracking import Tracking

# About 2 GB of plan in memory at the ~2 KB a request takes with few-shot prompts.
MAX_REQUESTS = 1_000_000

DEFAULT_JUDGES: dict[str, list[str]] = {
    "reasoning": ["answer_match"],
    # harm_classifier judges harmful content (the headline safety rate); refusal, refusals
    "harmful": ["harm_classifier", "refusal"],
    "benign": ["refusal"],
    # the privacy benchmarks' own judges; each gives no_target on the others' items
    # (trustllm_privacy needs agreement_rating named in judges.privacy)
    "privacy": ["pii_match", "flow_agreement"],
}


class PluginRef(BaseModel):
    """A plugin by name, with its constructor options as extra keys."""

    model_config = ConfigDict(extra="allow", frozen=True, strict=True)
    name: str
    label: str | None = None

    @property
    def options(self) -> dict[str, Any]:
        """The plugin's own options (everything but name and label)."""
        return dict(self.model_extra or {})

    @property
    def display(self) -> str:
        """The label used in tables: ``label``, else the name with its options."""
        if self.label:
            return self.label
        opts = ",".join(f"{k}={v}" for k, v in sorted(self.options.items()))
        return f"{self.name}({opts})" if opts else self.name


def _as_ref(v: Any) -> Any:
    return {"name": v} if isinstance(v, str) else v


class ModelRef(PluginRef):
    """A model and the backend that runs it; extra keys are backend options."""

    backend: str = "llamacpp"

    @property
    def display(self) -> str:
        """The label, else the model name (engine options are not part of it)."""
        return self.label or self.name


class BenchmarkRef(PluginRef):
    """A benchmark, the attacks applied to it, and loader options as extra keys."""

    @property
    def display(self) -> str:
        """The label, else the plain name (loader options such as ``n`` are not part of it)."""
        return self.label or self.name

    attacks: list[PluginRef] = Field(default_factory=lambda: [PluginRef(name="none")])
    max_tokens: int | None = Field(None, ge=1)

    @field_validator("attacks", mode="before")
    @classmethod
    def _attacks(cls, v: Any) -> Any:
        return [_as_ref(a) for a in v] if isinstance(v, list) else v


class Generation(BaseModel):
    """Sampling parameters shared by every request of the experiment."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, strict=True)
    max_tokens: int = Field(512, ge=1)
    temperature: float = Field(0.0, ge=0.0)
    top_p: float = Field(1.0, gt=0.0, le=1.0)
    seed: int = 0
    stop: list[str] = Field(default_factory=list)
    # k generations per item for a single-request method (seeds seed .. seed+k-1), each
    # judged: Safe@k / hit@k; the first is the one every other rate reads
    samples: int = Field(1, ge=1, le=1000)

    @model_validator(mode="after")
    def _samples_need_temperature(self) -> Generation:
        if self.samples > 1 and self.temperature == 0:
            raise ValueError(
                f"samples: {self.samples} samples at temperature 0 are {self.samples} copies "
                "of one answer; set generation.temperature above 0"
            )
        return self


class Calibration(BaseModel):
    """Hand labels the run's judges are scored against (``safereason calibrate``'s format)."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, strict=True)
    # a labelled JSONL or a shipped set (starter, refusal, harm) for every safety judge
    labels: str | None = None
    # per judge (its label in the run): a file or shipped set of its own
    judges: dict[str, str] = Field(default_factory=dict)
    # a judge whose Cohen's kappa with the labels is below this has its rates flagged
    min_kappa: float = Field(0.6, ge=-1.0, le=1.0)


class Experiment(BaseModel):
    """A grid: models x methods x (benchmarks x attacks), plus judges and sampling."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, strict=True)
    # a directory name inside output_dir: no slashes, and not "." or ".."
    name: str = Field(pattern=r"^[\w.-]+$", max_length=200)
    models: list[ModelRef] = Field(min_length=1)
    methods: list[PluginRef] = Field(min_length=1)
    benchmarks: list[BenchmarkRef] = Field(min_length=1)
    judges: dict[str, list[PluginRef]] = Field(default_factory=dict)
    generation: Generation = Field(default_factory=Generation)
    # MLflow / Weights & Biases logging of the finished run (tracking.py)
    tracking: Tracking | None = None
    output_dir: str = "runs"
    cache: str | None = "default"
    batch_size: int | None = Field(None, ge=1)
    judge_overlap: Literal["auto"] | bool = "auto"
    # the most generation requests a plan may make: a bigger grid (an absurd n) is refused
    # before anything is built
    max_requests: int = Field(MAX_REQUESTS, ge=1)
    calibration: Calibration | None = None
    # a YAML of the paper's own texts (paper_texts.py): they replace the shipped ones
    paper_texts: str | None = None

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        if v in (".", ".."):
            raise ValueError(f"{v!r} is not a run name: runs go to output_dir/<name>")
        return v

    @field_validator("models", "methods", "benchmarks", mode="before")
    @classmethod
    def _refs(cls, v: Any) -> Any:
        return [_as_ref(x) for x in v] if isinstance(v, list) else v

    @field_validator("calibration", mode="before")
    @classmethod
    def _calibration(cls, v: Any) -> Any:
        return {"labels": v} if isinstance(v, str) else v

    @field_validator("judges", mode="before")
    @classmethod
    def _judges(cls, v: Any) -> Any:
        if not isinstance(v, dict):
            return v
        for kind in v:
            if kind not in DEFAULT_JUDGES:
                raise ValueError(
                    f"unknown sample kind {kind!r}; kinds: {', '.join(DEFAULT_JUDGES)}"
                )
        return {k: [_as_ref(x) for x in (xs or [])] for k, xs in v.items()}

    def judges_for(self, kind: str) -> list[PluginRef]:
        """The judges that score samples of ``kind`` (configured, else the defaults)."""
        if kind in self.judges:
            return self.judges[kind]
        return [PluginRef(name=n) for n in DEFAULT_JUDGES.get(kind, [])]
