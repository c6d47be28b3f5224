"""A run's results as a Hugging Face ``datasets`` dataset saved on disk, one row per item."""

from __future__ import annotations

import importlib
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from safereason.results import ResultRow


def dataset_row(row: ResultRow) -> dict[str, Any]:
    """One result: its grid cell, sample, the model's response and reasoning, verdicts."""
    c = row.completion
    return {
        "item_id": row.item_id,
        "model": row.model,
        "method": row.method,
        "benchmark": row.benchmark,
        "attack": row.attack,
        "sample_id": row.sample_id,
        "kind": row.kind,
        "category": row.category,
        "prompt": row.prompt,
        "target": row.target,
        "messages": [{"role": m.role, "content": m.content} for m in row.sample.messages],
        "response": c.text if c else None,
        "reasoning": c.reasoning if c else None,
        "finish_reason": c.finish_reason if c else None,
        "prompt_tokens": c.prompt_tokens if c else None,
        "completion_tokens": c.completion_tokens if c else None,
        "gen_key": row.gen_key,
        "verdicts": [
            {
                "judge": info.key,
                "name": info.name,
                "label": v.label,
                "score": v.score,
                "decided": v.decided,
                "details": json.dumps(v.details, ensure_ascii=False, sort_keys=True),
            }
            for info, v in row.judged()
        ],
    }


def _datasets() -> Any:
    return importlib.import_module("datasets")  # untyped, imported only when used


def features() -> Any:
    """The dataset's column types (fixed, so a run with no reasoning still has the column)."""
    datasets = _datasets()
    Value = datasets.Value
    text = Value("string")
    return datasets.Features(
        {
            **{
                k: text
                for k in (
                    "item_id",
                    "model",
                    "method",
                    "benchmark",
                    "attack",
                    "sample_id",
                    "kind",
                    "category",
                    "prompt",
                    "target",
                )
            },
            "messages": [{"role": text, "content": text}],
            "response": text,
            "reasoning": text,
            "finish_reason": text,
            "prompt_tokens": Value("int64"),
            "completion_tokens": Value("int64"),
            "gen_key": text,
            "verdicts": [
                {
                    "judge": text,
                    "name": text,
                    "label": text,
                    "score": Value("float64"),
                    "decided": Value("bool"),
                    "details": text,
                }
            ],
        }
    )


def write_hf_dataset(rows: Sequence[ResultRow], name: str, output: Path) -> int:
    """Save the rows with ``save_to_disk`` at ``output``; returns how many were written."""
    datasets = _datasets()
    datasets.disable_progress_bars()
    info = datasets.DatasetInfo(
        features=features(),
        description=f"safereason run {name!r}: one row per plan item (prompt, response, "
        "reasoning, verdicts by judge)",
    )
    ds = datasets.Dataset.from_list([dataset_row(r) for r in rows], info=info)
    ds.save_to_disk(str(output))
    return len(ds)
