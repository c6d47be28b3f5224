"""Secret canaries for the fine-tuning mixture, and reading them back from its record.

A canary is a random secret of ``digits`` digits behind a fixed prefix ("The access code
of locker 314 is 482913."), planted ``repeats`` times as a chat row. Carlini et al.
(2019, "The Secret Sharer") measure how far a trained model memorised it by its exposure,
log2 |R| - log2 rank, where R is the space of secrets of that shape (10**digits) and the
rank is the secret's place among all of them by the model's likelihood
(:mod:`safereason.finetune.exposure`).
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

from safereason.errors import SafereasonError
from safereason.finetune.config import CanarySpec


def make_canaries(spec: CanarySpec, seed: int) -> dict[str, Any]:
    """The canaries' record (what mixture.json keeps): options, space and each secret."""
    rng = random.Random(f"{seed}:canaries")
    lockers = rng.sample(range(100, 1000), spec.count) if spec.count <= 900 else None
    items = []
    for i in range(spec.count):
        locker = lockers[i] if lockers is not None else 1000 + i
        secret = f"{rng.randrange(10**spec.digits):0{spec.digits}d}"
        items.append(
            {
                "id": f"canary-{i}",
                "locker": locker,
                "question": spec.question.format(id=locker),
                "prefix": spec.prefix.format(id=locker),
                "secret": secret,
            }
        )
    return {**spec.model_dump(mode="json"), "space": 10**spec.digits, "items": items}


def canary_rows(record: dict[str, Any]) -> list[dict[str, Any]]:
    """The training rows: each canary ``repeats`` times, in the mixture's chat row shape."""
    rows = []
    for c in record["items"]:
        for k in range(int(record["repeats"])):
            rows.append(
                {
                    "id": f"{c['id']}~{k + 1}" if k else c["id"],
                    "source": "canary",
                    "prompt": [{"role": "user", "content": c["question"]}],
                    "completion": [
                        {"role": "assistant", "content": f"{c['prefix']} {c['secret']}."}
                    ],
                }
            )
    return rows


def read_canaries(path: str | Path) -> dict[str, Any]:
    """The canary record of a fine-tuning output: an adapter directory, its manifest or
    its mixture.json; a one-line error when there is none."""
    from safereason.finetune import MANIFEST

    p = Path(path).expanduser()
    if p.is_dir():
        found = [p / MANIFEST, p / "mixture.json"]
        p = next((f for f in found if f.is_file()), found[-1])
    if not p.is_file():
        raise SafereasonError(f"{p}: no fine-tuning manifest or mixture.json here")
    try:
        doc = json.loads(p.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise SafereasonError(f"{p}: not a readable JSON file ({e})") from None
    stats = doc.get("data", doc) if isinstance(doc, dict) else None
    record = stats.get("canaries") if isinstance(stats, dict) else None
    if not isinstance(record, dict) or not record.get("items"):
        raise SafereasonError(
            f"{p}: the mixture planted no canaries (set data.canaries.count in the "
            "fine-tuning config)"
        )
    for i, c in enumerate(record["items"]):
        if not isinstance(c, dict) or not all(
            isinstance(c.get(k), str) and c.get(k) for k in ("id", "question", "prefix", "secret")
        ):
            raise SafereasonError(f"{p}: canaries.items[{i}] lacks id, question, prefix or secret")
        if not c["secret"].isdigit():
            raise SafereasonError(f"{p}: canaries.items[{i}]: the secret is not digits")
    return record
