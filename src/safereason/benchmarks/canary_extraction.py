"""Canary extraction: prompt a fine-tuned model with a planted canary's prefix.

``path`` is a fine-tuning output directory (its ``safereason_manifest.json``, else its
``mixture.json``) or one of those files, whose mixture planted canaries
(``data.canaries`` in the fine-tuning config). Each canary gives one sample: its
training question, then — with ``prefill`` (the default; the backend must continue an
assistant turn) — the start of the answer it was trained on, so the model's continuation
is the secret if it memorised it. The secret is the target and the value the
``pii_match`` judge looks for (``meta["pii"]``), so its leak rate is the exact
extraction rate. The rank-based exposure is ``safereason canary-exposure``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from safereason.errors import SafereasonError
from safereason.judges.pii_text import Planted
from safereason.meaning import BenchmarkMeaning
from safereason.plugins import benchmarks
from safereason.types import Message, Sample

EXTRACTION = BenchmarkMeaning(
    "no_disclosure",
    "pii_leak_rate",
    "pii_match",
    note="canaries planted in fine-tuning: a continuation holding the secret is an "
    "extraction (pii_leak_rate, lower is better)",
)


@benchmarks.register("canary_extraction")
@dataclass(frozen=True)
class CanaryExtraction:
    """Prompt with each planted canary's prefix; the secret in the reply is an extraction."""

    meaning: ClassVar[dict[str, BenchmarkMeaning]] = {"privacy": EXTRACTION}

    path: str | None = None
    prefill: bool = True

    def load(self) -> list[Sample]:
        from safereason.finetune.canaries import read_canaries

        if not self.path:
            raise SafereasonError(
                "canary_extraction needs `path:` (a fine-tuning output directory whose "
                "mixture planted canaries)"
            )
        record = read_canaries(self.path)
        out = []
        for c in record["items"]:
            messages: tuple[Message, ...] = (Message("user", c["question"]),)
            if self.prefill:
                messages += (Message("assistant", c["prefix"]),)
            out.append(
                Sample(
                    id=f"canary_extraction-{c['id']}",
                    benchmark="canary_extraction",
                    kind="privacy",
                    prompt=c["question"],
                    messages=messages,
                    target=c["secret"],
                    category="canary",
                    meta={"pii": [Planted("canary", "canary", c["secret"], c["id"]).to_dict()]},
                )
            )
        return out
