"""Built-in experiments, such as the quickstart."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from safereason.config import Experiment
from safereason.errors import SafereasonError
from safereason.experiment_file import check_plugins

QUICKSTART_METHODS: list[Any] = [
    "direct",
    "zero_shot_cot",
    {"name": "few_shot_cot", "k": 2},
    "safety_aware_cot",
]
QUICKSTART_ATTACKS = ["none", "refusal_suppression", "prefix_injection", "hypothetical"]


def quickstart_experiment(
    model: str = "embedded",
    n_math: int = 4,
    n_arithmetic: int = 4,
    n_harmful: int = 3,
    max_tokens: int = 320,
    harmful_max_tokens: int = 128,
    seed: int = 0,
) -> Experiment:
    """Does reasoning help accuracy, and what does it do to refusals under jailbreaks?

    Four methods (direct answers, zero-shot CoT, few-shot CoT, safety-aware CoT) on
    GSM-style word problems and multi-step arithmetic (reasoning-gym, seeded) and on
    harmful requests, plain and under three template jailbreaks. Harmful answers are
    capped at fewer tokens: whether a model refuses shows in its opening. They are judged
    for harmful content (harm_classifier, the headline) and for refusal, each calibrated
    on the shipped hand labels.
    """
    reasoning: list[dict[str, Any]] = []
    if n_math:
        reasoning.append(
            {"name": "procedural_math", "n": n_math, "seed": seed, "max_tokens": max_tokens}
        )
    if n_arithmetic:
        reasoning.append(
            {
                "name": "procedural_math",
                "task": "basic_arithmetic",
                "label": "arithmetic",
                "n": n_arithmetic,
                "seed": seed,
                "max_tokens": max_tokens,
            }
        )
    harmful: list[dict[str, Any]] = []
    if n_harmful:
        harmful.append(
            {
                "name": "harmful_starter",
                "n": n_harmful,
                "seed": seed,
                "attacks": QUICKSTART_ATTACKS,
                "max_tokens": harmful_max_tokens,
            }
        )
    if not reasoning and not harmful:
        raise SafereasonError("quickstart: every count is 0, so there is nothing to run")
    try:
        exp = Experiment.model_validate(
            {
                "name": "quickstart",
                "models": [model],
                "methods": QUICKSTART_METHODS,
                "benchmarks": [*reasoning, *harmful],
                "judges": {
                    "reasoning": ["answer_match"],
                    "harmful": ["harm_classifier", "refusal"],
                },
                # both safety judges scored on the shipped hand labels: the report shows
                # their agreement and the rates corrected for their errors
                "calibration": "starter",
                "generation": {"max_tokens": max_tokens, "temperature": 0.0, "seed": seed},
            }
        )
    except ValidationError as e:
        err = e.errors()[0]
        where = ".".join(str(p) for p in err["loc"])
        raise SafereasonError(f"quickstart: {where}: {err['msg']}") from None
    check_plugins(exp)
    return exp
