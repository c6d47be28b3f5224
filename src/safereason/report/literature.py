"""Published vs ours: the paper's figures (``data/published.yaml``) beside a run's own.

Three kinds of row:

* **safe output, unsafe thoughts** — per model, as the paper reports it: on direct
  (un-attacked) queries under the run's first method (the paper preset's default
  system prompt), output-only safety minus complete-response safety over the same items
  (``analysis.leakage``: the harm judge on the answer and its twin with ``target:
  both``; Tango's 95% interval). With only a ``target: reasoning`` twin the complete
  response counts unsafe when the answer or the reasoning is (noted as a proxy).
* **accuracy-safety correlation** — per attack, first as the paper computes it: each
  method's (prompt family's) accuracy and safety averaged over the models, correlated
  across methods; then per model. Pearson r with a Fisher-z 95% interval decides the
  published bound; Spearman's rho with a percentile-bootstrap interval is noted beside
  it; both p-values from scipy (``analysis.tradeoff.correlations``). Accuracy is read
  from the first judge of ``accuracy_judges`` in published.yaml the run has (the
  paper's LLM answer extractor, then ``answer_match``), on GSM8K when the run has it;
  safety is 1 - the harm judge's unsafe rate under that attack.
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

from safereason.analysis.leakage import DIRECT_ATTACK, thought_leakage
from safereason.analysis.tradeoff import Correlation, correlations
from safereason.report.literature_more import finetune_rows, privacy_rows
from safereason.report.literature_table import DASH, PublishedRow, PublishedTable, attack_matches
from safereason.report.protocol_check import setup_rows
from safereason.report.setup_marks import mark_setup
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
    return {k: sorted(v, key=lambda j: (j.key != k[0], j.key)) for k, v in found.items()}


def _harm_order(keys: Mapping[tuple[str, str], list[JudgeInfo]]) -> list[str]:
    """The harm judges of a run, strongest first (by their declared ``harm_rank``)."""
    ranks = {name: infos[0].meaning.harm_rank or 0 for (name, _), infos in keys.items()}
    return sorted(ranks, key=lambda name: (ranks[name], name))


def harm_judge(rows: Sequence[ResultRow]) -> JudgeInfo | None:
    """The judge the run's answer safety is read from (see module docstring)."""
    keys = _keys(rows)
    return next((keys[(j, "answer")][0] for j in _harm_order(keys) if (j, "answer") in keys), None)


def _mean(values: list[float]) -> float:
    return sum(values) / len(values)


def accuracy_judge(rows: Sequence[ResultRow], preferred: Sequence[str]) -> str | None:
    """The first judge in ``preferred`` (registry names, the paper's first) that decided a
    reasoning item's final answer in this run."""
    seen = {
        info.name
        for r in rows
        if r.kind == "reasoning"
        for info, v in r.judged()
        if v.decided and info.reads == "answer"
    }
    return next((j for j in preferred if j in seen), None)


def accuracy_by_method(
    rows: Sequence[ResultRow], judge: str = "answer_match"
) -> dict[tuple[str, str], float]:
    """(model, method) -> accuracy by ``judge`` (GSM8K only if the run has GSM8K)."""
    reasoning = [r for r in rows if r.kind == "reasoning"]
    if any(r.benchmark == "gsm8k" for r in reasoning):
        reasoning = [r for r in reasoning if r.benchmark == "gsm8k"]
    acc: dict[tuple[str, str], list[float]] = {}
    for r in reasoning:
        found = sorted(
            ((info, v) for info, v in r.judged() if info.name == judge and info.reads == "answer"),
            key=lambda p: p[0].key != judge,  # the plain configuration first
        )
        if found and found[0][1].decided:
            info, v = found[0]
            assert v.score is not None
            acc.setdefault((r.model, r.method), []).append(
                float(info.meaning.metric(r.kind, info.name).hit(v.label, v.score))
            )
    return {k: _mean(v) for k, v in acc.items()}


def family_means(
    acc: Mapping[tuple[str, str], float], safe: Mapping[tuple[str, str], float]
) -> tuple[list[str], list[float], list[float], int]:
    """The paper's points: per method (prompt family), accuracy and safety averaged over the
    models that have both; returns methods, accuracies, safeties and the model count."""
    cells = [c for c in safe if c in acc]
    methods = list(dict.fromkeys(me for _, me in cells))
    models = {m for m, _ in cells}
    xs = [_mean([acc[c] for c in cells if c[1] == me]) for me in methods]
    ys = [_mean([safe[c] for c in cells if c[1] == me]) for me in methods]
    return methods, xs, ys, len(models)


def safety_by_method(
    rows: Sequence[ResultRow], judge: JudgeInfo, attack: str
) -> dict[tuple[str, str], float]:
    """(model, method) -> 1 - unsafe rate under ``attack`` by ``judge``'s verdicts."""
    out: dict[tuple[str, str], list[float]] = {}
    for r in rows:
        if r.kind != "harmful" or not attack_matches(r.attack, attack):
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
    """The paper's figure: on direct queries under the baseline (the run's first method),
    output-only safety minus complete-response safety, per model (``analysis.leakage``)."""
    leaks = thought_leakage(rows)
    methods = list(dict.fromkeys(r.method for r in rows))
    baseline = methods[0] if methods else ""
    direct = {d.model: d for d in leaks.direct if d.method == baseline}
    models = list(dict.fromkeys(r.model for r in rows if r.kind == "harmful"))
    out = []
    for fig in figs:
        published = float(fig["value"])
        pub = _pct(published)
        mine = [m for m in models if _matches(m, fig)] or models
        if not mine:
            out.append(PublishedRow(fig["id"], fig["figure"], pub, DASH, "no harmful items"))
        for m in mine:
            d = direct.get(m)
            same = _matches(m, fig)
            notes = [f"paper: {fig['model']}" + ("" if same else f"; ours: {m} (another model)")]
            if d is None or d.value is None:
                why = leaks.notes or [
                    f"no un-attacked ({DIRECT_ATTACK}) item under {baseline} with an answer "
                    "and a reasoning or complete-response verdict"
                ]
                out.append(
                    PublishedRow(
                        fig["id"], fig["figure"], pub, DASH, "; ".join([*notes, *why]), model=m
                    )
                )
                continue
            notes.append(
                f"{baseline}, direct queries: output-only safety {_pct(d.output_safety or 0)} "
                f"minus complete-response safety {_pct(d.complete_safety or 0)} "
                f"({d.answer_judge} -> {d.thoughts_judge}; {d.traced} of {d.n} with a trace)"
            )
            if d.proxy:
                notes.append(
                    "proxy: the reasoning alone was judged, not the complete response "
                    "(complete response unsafe when answer or reasoning is)"
                )
            ci = ""
            if d.lo is not None and d.hi is not None:
                ci = f" [{_pct(d.lo)}, {_pct(d.hi)}]"
            out.append(
                PublishedRow(
                    fig["id"],
                    fig["figure"],
                    pub,
                    f"{_pct(d.value)}{ci}, n = {d.n}",
                    "; ".join(notes),
                    d.value,
                    d.lo,
                    d.hi,
                    d.n,
                    model=m,
                    agrees=(d.lo <= published <= d.hi)
                    if same and d.lo is not None and d.hi is not None
                    else None,
                )
            )
    return out


def _corr_text(c: Correlation) -> str:
    ci = (
        f" [{c.lo:.2f}, {c.hi:.2f}] ({c.ci_method})"
        if c.lo is not None and c.hi is not None
        else ""
    )
    symbol = "r" if c.method == "pearson" else "ρ"
    return f"{symbol} = {c.value:.2f}{ci}, p = {c.p:.3g}"


def _corr_row(
    base: PublishedRow,
    fig: Mapping[str, Any],
    xs: list[float],
    ys: list[float],
    what: str,
    model: str,
) -> PublishedRow:
    """One correlation row: Pearson (Fisher z) decides the bound; Spearman (bootstrap) noted."""
    if len(xs) < 3:
        return _with(base, model=model, n=len(xs), note=f"{what}; needs 3 methods")
    cors, notes = correlations(xs, ys)
    pr = next((c for c in cors if c.method == "pearson"), None)
    if pr is None:
        return _with(base, model=model, n=len(xs), note="; ".join([what, *notes]))
    sp = next((c for c in cors if c.method == "spearman"), None)
    meets = pr.value < float(fig["r_below"]) and pr.p <= float(fig["p_at_most"])
    verdict = "meets the published bound" if meets else "does not meet the bound"
    extra = [f"Spearman {_corr_text(sp)}"] if sp else []
    return _with(
        base,
        ours=f"{_corr_text(pr)}, n = {pr.n}",
        note="; ".join([f"{model}: {verdict}", what, *extra, *notes]),
        value=pr.value,
        lo=pr.lo,
        hi=pr.hi,
        n=pr.n,
        p=pr.p,
        model=model,
        agrees=meets,
    )


def _corr_rows(
    rows: Sequence[ResultRow], figs: list[dict[str, Any]], accuracy_judges: Sequence[str]
) -> list[PublishedRow]:
    """Per attack: the paper's computation (each method's accuracy and safety averaged
    over the models, correlated across methods), then the per-model view."""
    judge = harm_judge(rows)
    acc_judge = accuracy_judge(rows, accuracy_judges)
    acc = accuracy_by_method(rows, acc_judge) if acc_judge else {}
    attacks = {r.attack for r in rows if r.kind == "harmful"}
    out = []
    for fig in figs:
        bound = f"r < {fig['r_below']}, p ≤ {fig['p_at_most']}"
        base = PublishedRow(fig["id"], fig["figure"], bound, DASH, attack=str(fig["attack"]))
        if not any(attack_matches(a, fig["attack"]) for a in attacks):
            out.append(_with(base, note=f"attack {fig['attack']!r} not in this run"))
            continue
        if judge is None or not acc:
            what = "harm verdicts" if judge is None else "accuracy verdicts"
            out.append(_with(base, note=f"no {what} in this run"))
            continue
        safe = safety_by_method(rows, judge, fig["attack"])
        source = f"accuracy by {acc_judge}; safety by {judge.key}"
        if acc_judge != accuracy_judges[0]:
            source += f" (the paper's answer extractor is {accuracy_judges[0]})"
        methods, xs, ys, n_models = family_means(acc, safe)
        out.append(
            _corr_row(
                base,
                fig,
                xs,
                ys,
                f"the paper's computation: {len(methods)} methods, each averaged over "
                f"{n_models} model{'s' if n_models != 1 else ''}; {source}",
                f"mean of {n_models} model{'s' if n_models != 1 else ''}",
            )
        )
        for model in dict.fromkeys(m for m, _ in safe):
            cells = [c for c in safe if c[0] == model and c in acc]
            out.append(
                _corr_row(
                    _with(base, id=f"{fig['id']}:per_model"),
                    fig,
                    [acc[c] for c in cells],
                    [safe[c] for c in cells],
                    f"per model: {len(cells)} methods; {source}",
                    model,
                )
            )
    return out


def _with(row: PublishedRow, **changes: Any) -> PublishedRow:
    return PublishedRow(**{**asdict(row), **changes})


def published_comparison(
    rows: Sequence[ResultRow],
    experiment: Mapping[str, Any] | None = None,
    published: Mapping[str, Any] | None = None,
    texts: Mapping[str, Any] | None = None,
) -> PublishedTable:
    """The table for a run's results rows (``Store.results()``) and resolved experiment
    (``texts``: the run's ``meta.texts``, which prompt texts it used)."""

    pub = published if published is not None else data_yaml("published.yaml")
    figs = list(pub.get("figures", []))
    table = PublishedTable(f"Published vs ours: {pub['paper']['title']}")
    table.rows += _sout_rows(rows, [f for f in figs if f["kind"] == "safe_output_unsafe_thoughts"])
    table.rows += _corr_rows(
        rows,
        [f for f in figs if f["kind"] == "correlation"],
        list(pub.get("accuracy_judges", ["answer_match"])),
    )
    accuracy_judges = list(pub.get("accuracy_judges", ["answer_match"]))
    table.rows += finetune_rows(
        rows,
        [f for f in figs if f["kind"] == "finetune"],
        harm_judge(rows),
        accuracy_judge(rows, accuracy_judges),
    )
    table.rows += privacy_rows(rows, [f for f in figs if f["kind"] == "privacy_correlation"])
    setup = setup_rows(list(pub.get("setup", [])), experiment, texts)
    papers = {
        r.id + str(r.model): _matches(str(r.model), f)
        for f in figs
        if f["kind"] == "safe_output_unsafe_thoughts"
        for r in table.rows
        if r.id == f["id"] and r.model is not None
    }
    table.rows = mark_setup(
        table.rows,
        figs,
        setup,
        experiment,
        papers,
        accuracy_judge(rows, accuracy_judges),
        accuracy_judges[0],
    )
    table.rows += setup
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
        return published_comparison(
            store.results(), store.get_meta("experiment"), texts=store.get_meta("texts")
        )
    finally:
        store.close()
