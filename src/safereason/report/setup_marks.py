"""Which of a published-vs-ours row's setup differs from the paper's: the prompt texts,
the items, their number, the model, the answer extractor.

Read from the protocol check's rows (``protocol_check.setup_rows``) and the run's resolved
experiment; a row is marked only for what it depends on (a correlation under AIR on the
AIR items and GSM8K, a privacy row on neither). Without an experiment nothing is marked.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from safereason.report.literature_table import PublishedRow

# the benchmark each attack's harmful items come from in the paper
_HARMFUL_BENCH = {"implicit_reference": "jailbreakbench"}
_ITEMS_FACT = {"harmbench": "harmbench_split", "jailbreakbench": "air_items", "gsm8k": "gsm8k"}


def _benches(kind: str, fig: Mapping[str, Any], row: PublishedRow) -> list[str]:
    """The benchmarks a row's figure reads."""
    harmful = _HARMFUL_BENCH.get(str(row.attack or fig.get("attack") or "none"), "harmbench")
    if kind == "safe_output_unsafe_thoughts":
        return ["harmbench"]
    if kind == "correlation":
        return [harmful, "gsm8k"]
    if kind == "finetune":
        return [harmful] if fig.get("measure") == "asr" else ["gsm8k"]
    if kind == "privacy_correlation":
        return ["trustllm_privacy"]
    return []


def _reads_accuracy(kind: str, fig: Mapping[str, Any]) -> bool:
    return kind == "correlation" or (kind == "finetune" and fig.get("measure") == "accuracy")


def mark_setup(
    rows: Sequence[PublishedRow],
    figs: Sequence[Mapping[str, Any]],
    setup: Sequence[PublishedRow],
    experiment: Mapping[str, Any] | None,
    model_is_papers: Mapping[str, bool],
    extractor_used: str | None,
    extractor: str,
) -> list[PublishedRow]:
    """``rows`` with ``differs`` set (and said in the note) where the setup is not the
    paper's. ``model_is_papers``: row id -> whether our model is the figure's."""
    if experiment is None:
        return list(rows)
    by_id = {str(f["id"]): f for f in figs}
    ok = {s.id: s.agrees for s in setup}
    subsampled = {
        str(b["name"]) for b in experiment.get("benchmarks", []) if b.get("n") is not None
    }
    out = []
    for row in rows:
        fig = by_id.get(row.id.split(":")[0])
        if fig is None:
            out.append(row)
            continue
        kind = str(fig["kind"])
        benches = _benches(kind, fig, row)
        differs = []
        if ok.get("texts") is False:
            differs.append("texts")
        if any(ok.get(_ITEMS_FACT.get(b, "")) is False for b in benches):
            differs.append("items")
        if any(b in subsampled for b in benches):
            differs.append("n")
        if model_is_papers.get(row.id + str(row.model)) is False:
            differs.append("models")
        if _reads_accuracy(kind, fig) and extractor_used not in (None, extractor):
            differs.append("extractor")
        if not differs:
            out.append(row)
            continue
        note = f"{row.note}; setup differs from the paper's: {', '.join(differs)}"
        out.append(replace(row, differs=tuple(differs), note=note.lstrip("; ")))
    return out
