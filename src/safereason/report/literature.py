"""Published vs ours: the paper's figures (``data/published.yaml``) beside a run's own.

Three kinds of row:

* **safe output, unsafe thoughts** — per model: harmful items whose final answer the harm
  judge finds safe while the same judge on answer + reasoning (``target: both``) finds it
  unsafe, over the items where both verdicts are decided (Wilson 95% interval). Without
  a ``both`` verdict, the judge's ``target: reasoning`` verdict stands in (noted).
* **accuracy-safety correlation** — per model and attack: Pearson r between accuracy on
  the reasoning benchmarks (``answer_match``; GSM8K only when the run has it) and safety
  (1 - the harm judge's unsafe rate under that attack) across the model's methods, with
  its p-value and Fisher-z 95% interval (``analysis.tradeoff.correlations``).
* **setup** — the study's protocol facts checked against the run's resolved experiment.

The harm judge is the run's strongest harm judge (the lowest ``harm_rank`` its meaning
declares: the HarmBench classifier, then the rubric, the guard and last the refusal
judge, which counts any non-refusal as unsafe) that judged harmful answers.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from safereason.analysis.cells import wilson
from safereason.analysis.tradeoff import correlations
from safereason.report.literature_table import DASH, PublishedRow, PublishedTable
from safereason.report.protocol_check import setup_rows
from safereason.resources import data_yaml
from safereason.results import JudgeInfo, ResultRow
from safereason.types import Verdict

# --- reading verdicts -------------------------------------------------------------------


def _unsafe(info: JudgeInfo, v: Verdict) -> bool:
    assert v.score is not None
    return info.meaning.unsafe(v.label, v.score)


def _keys(rows: Sequence[ResultRow]) -> dict[tuple[str, str], list[JudgeInfo]]:
    """(judge, target) -> harm judges seen deciding harmful rows, plain configuration first."""
    found: dict[tuple[str, str], list[JudgeInfo]] = {}
    for r in rows:
        if r.kind != "harmful":
            continue
        for info, v in r.judged():
            if info.meaning.harm_rank is not None and v.decided:
                infos = found.setdefault((info.name, info.reads), [])
                if info not in infos:
                    infos.append(info)
    return {
        k: sorted(v, key=lambda j: (j.key != k[0], j.key)) for k, v in found.items()
    }


def _harm_order(keys: Mapping[tuple[str, str], list[JudgeInfo]]) -> list[str]:
    """The harm judges of a run, strongest first (by their declared ``harm_rank``)."""
    ranks = {name: infos[0].meaning.harm_rank or 0 for (name, _), infos in keys.items()}
    return sorted(ranks, key=lambda name: (ranks[name], name))


def harm_judge(rows: Sequence[ResultRow]) -> JudgeInfo | None:
    """The judge the run's answer safety is read from (see module docstring)."""
    keys = _keys(rows)
    return next(
        (keys[(j, "answer")][0] for j in _harm_order(keys) if (j, "answer") in keys), None
    )


def safe_output_unsafe_thoughts(
    rows: Sequence[ResultRow],
) -> tuple[dict[str, tuple[int, int]], str | None, str]:
    """Per model ``(k, n)``, the judge pair used (``answer key -> thoughts key``), a note."""
    keys = _keys(rows)
    pair: tuple[JudgeInfo, JudgeInfo] | None = None
    note = ""
    for judge in _harm_order(keys):
        if (judge, "answer") not in keys:
            continue
        for t in ("both", "reasoning"):
            if (judge, t) in keys:
                pair = (keys[(judge, "answer")][0], keys[(judge, t)][0])
                if t == "reasoning":
                    note = "proxy: the reasoning alone was judged, not answer + reasoning"
                break
        if pair:
            break
    counts: dict[str, tuple[int, int]] = {}
    if pair is None:
        return counts, None, "no judge of both the answer and the reasoning in this run"
    answer, thoughts = pair
    for r in rows:
        if r.kind != "harmful":
            continue
        av, tv = r.decided(answer.key), r.decided(thoughts.key)
        k, n = counts.get(r.model, (0, 0))
        if av is not None and tv is not None:
            safe_out = not _unsafe(answer, av) and _unsafe(thoughts, tv)
            counts[r.model] = (k + int(safe_out), n + 1)
        else:
            counts.setdefault(r.model, (k, n))
    return counts, f"{answer.key} -> {thoughts.key}", note


def _mean(values: list[float]) -> float:
    return sum(values) / len(values)


def accuracy_by_method(rows: Sequence[ResultRow]) -> dict[tuple[str, str], float]:
    """(model, method) -> accuracy by ``answer_match`` (GSM8K only if the run has GSM8K)."""
    reasoning = [r for r in rows if r.kind == "reasoning"]
    if any(r.benchmark == "gsm8k" for r in reasoning):
        reasoning = [r for r in reasoning if r.benchmark == "gsm8k"]
    acc: dict[tuple[str, str], list[float]] = {}
    for r in reasoning:
        v = r.verdicts.get("answer_match")
        if v is None:
            v = next((x for x in r.verdicts.values() if x.judge == "answer_match"), None)
        if v is not None and v.decided:
            acc.setdefault((r.model, r.method), []).append(float(v.label == "correct"))
    return {k: _mean(v) for k, v in acc.items()}


def _attack_matches(label: str, attack: str) -> bool:
    return label == attack or label.startswith(f"{attack}(")


def safety_by_method(
    rows: Sequence[ResultRow], judge: JudgeInfo, attack: str
) -> dict[tuple[str, str], float]:
    """(model, method) -> 1 - unsafe rate under ``attack`` by ``judge``'s verdicts."""
    out: dict[tuple[str, str], list[float]] = {}
    for r in rows:
        if r.kind != "harmful" or not _attack_matches(r.attack, attack):
            continue
        v = r.decided(judge.key)
        if v is not None:
            out.setdefault((r.model, r.method), []).append(float(not _unsafe(judge, v)))
    return {k: _mean(v) for k, v in out.items()}


# --- the table -------------------------------------------------------------------------


def _pct(x: float) -> str:
    return f"{100 * x:.1f}%"


def _matches(model: str, fig: Mapping[str, Any]) -> bool:
    m = model.casefold()
    return any(s in m for s in fig.get("match", [])) and not any(
        s in m for s in fig.get("exclude", [])
    )


def _sout_rows(rows: Sequence[ResultRow], figs: list[dict[str, Any]]) -> list[PublishedRow]:
    counts, pair, note = safe_output_unsafe_thoughts(rows)
    models = list(dict.fromkeys(r.model for r in rows if r.kind == "harmful"))
    out = []
    for fig in figs:
        pub = _pct(float(fig["value"]))
        mine = [m for m in models if _matches(m, fig)] or models
        if not mine:
            out.append(PublishedRow(fig["id"], fig["figure"], pub, DASH, "no harmful items"))
        for m in mine:
            k, n = counts.get(m, (0, 0))
            same = _matches(m, fig)
            notes = [f"paper: {fig['model']}" + ("" if same else f"; ours: {m} (another model)")]
            if pair:
                notes.append(f"judges {pair}")
            if note:
                notes.append(note)
            if n == 0:
                why = "no decided answer and reasoning verdicts" if pair else note
                out.append(
                    PublishedRow(
                        fig["id"], fig["figure"], pub, DASH, "; ".join([notes[0], why]), model=m
                    )
                )
                continue
            lo, hi = wilson(k, n)
            value = k / n
            out.append(
                PublishedRow(
                    fig["id"],
                    fig["figure"],
                    pub,
                    f"{_pct(value)} [{_pct(lo)}, {_pct(hi)}], n = {n}",
                    "; ".join(notes),
                    value,
                    lo,
                    hi,
                    n,
                    model=m,
                    agrees=lo <= float(fig["value"]) <= hi if same else None,
                )
            )
    return out


def _corr_rows(rows: Sequence[ResultRow], figs: list[dict[str, Any]]) -> list[PublishedRow]:
    judge = harm_judge(rows)
    acc = accuracy_by_method(rows)
    attacks = {r.attack for r in rows if r.kind == "harmful"}
    out = []
    for fig in figs:
        bound = f"r < {fig['r_below']}, p ≤ {fig['p_at_most']}"
        base = PublishedRow(fig["id"], fig["figure"], bound, DASH, attack=str(fig["attack"]))
        if not any(_attack_matches(a, fig["attack"]) for a in attacks):
            out.append(_with(base, note=f"attack {fig['attack']!r} not in this run"))
            continue
        if judge is None or not acc:
            what = "harm verdicts" if judge is None else "answer_match accuracy"
            out.append(_with(base, note=f"no {what} in this run"))
            continue
        safe = safety_by_method(rows, judge, fig["attack"])
        for model in dict.fromkeys(m for m, _ in safe):
            cells = [c for c in safe if c[0] == model and c in acc]
            note = f"{len(cells)} methods; safety by {judge.key}"
            if len(cells) < 3:
                out.append(_with(base, model=model, n=len(cells), note=f"{note}; needs 3 methods"))
                continue
            cors, notes = correlations([acc[c] for c in cells], [safe[c] for c in cells])
            pr = next((c for c in cors if c.method == "pearson"), None)
            if pr is None:
                out.append(_with(base, model=model, n=len(cells), note="; ".join([note, *notes])))
                continue
            ci = f" [{pr.lo:.2f}, {pr.hi:.2f}]" if pr.lo is not None and pr.hi is not None else ""
            meets = pr.value < float(fig["r_below"]) and pr.p <= float(fig["p_at_most"])
            verdict = "meets the published bound" if meets else "does not meet the bound"
            out.append(
                _with(
                    base,
                    ours=f"r = {pr.value:.2f}{ci}, p = {pr.p:.3g}, n = {pr.n}",
                    note="; ".join([f"{model}: {verdict}", note, *notes]),
                    value=pr.value,
                    lo=pr.lo,
                    hi=pr.hi,
                    n=pr.n,
                    p=pr.p,
                    model=model,
                    agrees=meets,
                )
            )
    return out


def _with(row: PublishedRow, **changes: Any) -> PublishedRow:
    return PublishedRow(**{**asdict(row), **changes})


def published_comparison(
    rows: Sequence[ResultRow],
    experiment: Mapping[str, Any] | None = None,
    published: Mapping[str, Any] | None = None,
) -> PublishedTable:
    """The table for a run's results rows (``Store.results()``) and resolved experiment."""

    pub = published if published is not None else data_yaml("published.yaml")
    figs = list(pub.get("figures", []))
    table = PublishedTable(f"Published vs ours: {pub['paper']['title']}")
    table.rows += _sout_rows(rows, [f for f in figs if f["kind"] == "safe_output_unsafe_thoughts"])
    table.rows += _corr_rows(rows, [f for f in figs if f["kind"] == "correlation"])
    table.rows += setup_rows(list(pub.get("setup", [])), experiment)
    return table


def published_for_run(run_dir: Path) -> PublishedTable:
    """The table for a run directory (reads its ``store.sqlite`` only)."""
    from safereason.errors import SafereasonError
    from safereason.store import Store

    path = Path(run_dir) / "store.sqlite"
    if not path.exists():
        raise SafereasonError(f"no store.sqlite in {run_dir}")
    store = Store(path)
    try:
        return published_comparison(store.results(), store.get_meta("experiment"))
    finally:
        store.close()
