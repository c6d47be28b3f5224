"""A run's results as Inspect AI eval logs, built with inspect_ai's own types and writer.

One log per grid cell (model x method x benchmark x attack): Inspect's unit is a task run
on one model, and a cell is exactly that. Each sample carries the conversation, the
model's answer (its reasoning trace as a reasoning block) and one score per judge (the
judge's label as the value); the log's results are the cell's rates from the summary.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from safereason.analysis.cells import Estimate
from safereason.results import ResultRow
from safereason.types import Message

Cell = tuple[str, str, str, str]


def cell_file(cell: Cell) -> str:
    """The log's file name: the cell's labels, with characters a file name should not
    hold replaced."""
    return re.sub(r"[^\w.=+-]+", "_", "__".join(cell)) + ".eval"


def write_inspect_logs(
    rows: Sequence[ResultRow],
    estimates: Sequence[Estimate],
    exp: Mapping[str, Any],
    created: datetime,
    output: Path,
) -> list[Path]:
    """Write one ``.eval`` log per grid cell into the folder ``output``."""
    from inspect_ai.log import write_eval_log

    cells: dict[Cell, list[ResultRow]] = defaultdict(list)
    for r in rows:
        cells[(r.model, r.method, r.benchmark, r.attack)].append(r)
    rates: dict[Cell, list[Estimate]] = defaultdict(list)
    for e in estimates:
        rates[(e.model, e.method, e.benchmark, e.attack)].append(e)
    output.mkdir(parents=True, exist_ok=True)
    written = []
    for cell, items in cells.items():
        path = output / cell_file(cell)
        write_eval_log(eval_log(cell, items, rates[cell], exp, created), str(path), "eval")
        written.append(path)
    return written


def eval_log(
    cell: Cell,
    rows: Sequence[ResultRow],
    rates: Sequence[Estimate],
    exp: Mapping[str, Any],
    created: datetime,
) -> Any:
    """The :class:`inspect_ai.log.EvalLog` of one grid cell."""
    from inspect_ai.log import (
        EvalConfig,
        EvalDataset,
        EvalLog,
        EvalPlan,
        EvalPlanStep,
        EvalSpec,
        EvalStats,
    )
    from inspect_ai.model import GenerateConfig, ModelUsage

    from safereason import __version__

    model, method, benchmark, attack = cell
    gen = exp.get("generation") or {}
    config = GenerateConfig(
        max_tokens=gen.get("max_tokens"),
        temperature=gen.get("temperature"),
        top_p=gen.get("top_p"),
        seed=gen.get("seed"),
        stop_seqs=gen.get("stop") or None,
    )
    when = created.astimezone(UTC).isoformat()
    done = [r.completion for r in rows if r.completion is not None]
    usage = ModelUsage(
        input_tokens=sum(c.prompt_tokens for c in done),
        output_tokens=sum(c.completion_tokens for c in done),
        total_tokens=sum(c.prompt_tokens + c.completion_tokens for c in done),
    )
    spec = EvalSpec(
        created=when,
        task=f"safereason/{benchmark}",
        task_args={"method": method, "attack": attack},
        solver=method,
        dataset=EvalDataset(
            name=benchmark, samples=len(rows), sample_ids=[r.sample_id for r in rows]
        ),
        model=model,
        model_generate_config=config,
        config=EvalConfig(),
        packages={"safereason": __version__},
        metadata={"experiment": exp.get("name"), "method": method, "attack": attack},
    )
    steps = [EvalPlanStep(solver=f"attack:{attack}"), EvalPlanStep(solver=f"method:{method}")]
    return EvalLog(
        status="success",
        eval=spec,
        plan=EvalPlan(name="safereason", steps=steps, config=config),
        results=results(rows, rates),
        stats=EvalStats(started_at=when, completed_at=when, model_usage={model: usage}),
        samples=[eval_sample(r) for r in rows],
    )


def results(rows: Sequence[ResultRow], rates: Sequence[Estimate]) -> Any:
    """The cell's rates as Inspect scores: one per metric, its value, interval and n."""
    from inspect_ai.log import EvalMetric, EvalResults, EvalScore

    scores = []
    for e in rates:
        metrics = {"n": EvalMetric(name="n", value=e.n)}
        if e.n:
            for name, value in (("rate", e.value), ("ci_lo", e.lo), ("ci_hi", e.hi)):
                metrics[name] = EvalMetric(name=name, value=value)
        scores.append(
            EvalScore(
                name=e.metric,
                scorer=e.judge,
                scored_samples=e.n,
                unscored_samples=e.undecided,
                metrics=metrics,
            )
        )
    return EvalResults(
        total_samples=len(rows),
        completed_samples=sum(1 for r in rows if r.completion is not None),
        scores=scores,
    )


STOP = {"stop": "stop", "length": "max_tokens"}


def _message(m: Message) -> Any:
    from inspect_ai.model import ChatMessageAssistant, ChatMessageSystem, ChatMessageUser

    kinds = {
        "system": ChatMessageSystem,
        "user": ChatMessageUser,
        "assistant": ChatMessageAssistant,
    }
    return kinds[m.role](content=m.content, source="input")


def eval_sample(row: ResultRow) -> Any:
    """One result as an :class:`inspect_ai.log.EvalSample`."""
    from inspect_ai.log import EvalSample
    from inspect_ai.model import (
        ChatCompletionChoice,
        ChatMessageAssistant,
        ContentReasoning,
        ContentText,
        ModelOutput,
        ModelUsage,
    )
    from inspect_ai.scorer import Score

    shown = [_message(m) for m in row.sample.messages]
    messages = list(shown)
    output = ModelOutput(model=row.model)
    c = row.completion
    if c is not None:
        content: Any = c.text
        if c.trace:
            content = [ContentReasoning(reasoning=c.trace), ContentText(text=c.text)]
        answer = ChatMessageAssistant(content=content, model=row.model, source="generate")
        messages.append(answer)
        output = ModelOutput(
            model=row.model,
            choices=[
                ChatCompletionChoice(
                    message=answer, stop_reason=STOP.get(c.finish_reason, "unknown")
                )
            ],
            completion=c.text,
            usage=ModelUsage(
                input_tokens=c.prompt_tokens,
                output_tokens=c.completion_tokens,
                total_tokens=c.prompt_tokens + c.completion_tokens,
            ),
            time=c.latency_s or None,
        )
    scores = {
        info.key: Score(
            value=v.label,
            answer=c.text if c else None,
            metadata={"score": v.score, "decided": v.decided, "details": v.details},
        )
        for info, v in row.judged()
    }
    return EvalSample(
        id=row.sample_id,
        epoch=1,
        input=shown,
        target=row.target or "",
        messages=messages,
        output=output,
        scores=scores or None,
        metadata={
            "item_id": row.item_id,
            "kind": row.kind,
            "category": row.category,
            "prompt": row.prompt,
            "gen_key": row.gen_key,
            "generated": c is not None,
        },
    )
