"""TrustLLM's privacy-awareness task (ConfAIde tier 2): rate how acceptable an information
flow is, compared with people's ratings of the same scenario."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

from safereason.benchmarks._datasets import PATH_HINT, Row, hub_error, pick, read_path
from safereason.errors import SafereasonError
from safereason.plugins import benchmarks
from safereason.types import Sample

TRUSTLLM_FILE = "privacy/privacy_awareness_confAIde.json"


def human_rating(row: Row) -> float:
    """The row's ``label``: the people's mean rating, a number from -100 to 100."""
    raw = row.value("label")
    try:
        value = float(str(raw).strip()) if not isinstance(raw, (int, float)) else float(raw)
    except ValueError:
        raise SafereasonError(f"{row.where}: label {raw!r} is not a number") from None
    if not math.isfinite(value) or not -100.0 <= value <= 100.0:
        raise SafereasonError(f"{row.where}: label {raw!r} is outside -100..100")
    return value


def _fetch(hub_id: str, filename: str, revision: str | None) -> str:
    """Download one file of a hub dataset repository (through huggingface_hub's cache)."""
    try:
        from huggingface_hub import hf_hub_download
    except ImportError:
        raise SafereasonError(
            f"loading {hub_id!r} needs huggingface_hub (pip install huggingface_hub); "
            f"or {PATH_HINT}"
        ) from None
    try:
        return str(hf_hub_download(hub_id, filename, repo_type="dataset", revision=revision))
    except Exception as e:  # offline, gated, missing file: one message for the user
        action = f"could not fetch {filename!r} from Hugging Face dataset {hub_id!r}"
        raise hub_error(action, e, ("gated", "401")) from None


@benchmarks.register("trustllm_privacy")
@dataclass(frozen=True)
class TrustLLMPrivacy:
    """TrustLLM privacy awareness (ConfAIde): rate a scenario -100..100; target = people's rating.

    Layout: TrustLLM's ``privacy/privacy_awareness_confAIde.json``, a JSON list of objects
    with ``prompt`` (the rating instruction and the scenario) and ``label`` (the people's
    rating, a number or numeric string from -100 to 100). ``path:`` reads a local copy;
    otherwise ``file`` is fetched from the gated hub dataset ``TrustLLM/TrustLLM-dataset``
    (accept its terms and log in first). Samples are of kind privacy, with the rating as
    their target (``meta["label"]`` keeps it as a number). ``n`` takes a seeded random
    sample kept in file order. Ids are ``trustllm_privacy-<row>``.
    """

    n: int | None = None
    seed: int = 0
    path: str | None = None
    hub_id: str = "TrustLLM/TrustLLM-dataset"
    file: str = TRUSTLLM_FILE
    revision: str | None = None

    def load(self) -> list[Sample]:
        path = self.path or _fetch(self.hub_id, self.file, self.revision)
        rows = read_path(str(Path(path).expanduser()))
        samples = [self._sample(r) for r in rows]
        return pick(samples, self.n, self.seed)

    def _sample(self, row: Row) -> Sample:
        label = human_rating(row)
        return Sample.from_prompt(
            id=f"trustllm_privacy-{row.index:04d}",
            benchmark="trustllm_privacy",
            kind="privacy",
            prompt=row.text("prompt"),
            target=f"{label:g}",
            category="privacy_awareness",
            meta={"label": label},
        )
