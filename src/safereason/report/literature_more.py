"""Published vs ours for the fine-tuning tables and the privacy table.

Rows come only from figures listed in ``data/published.yaml`` (kinds ``finetune`` and
``privacy_correlation``) and only where the run measured them: a figure whose model is not
in the run gives no row (a prompting run has no fine-tuned model); one whose model is
there but whose cell has no verdicts is shown with a dash and why.

* ``finetune``: one fine-tuned model's rate (``measure: asr`` under ``attack``, by the
  run's harm judge; or ``measure: accuracy``, by its accuracy judge) under ``method``
  (default: the run's first), with a Wilson 95% interval, beside the base model's
  (``base``, the label ``safereason finetune-sweep`` gives it) in the note.
* ``privacy_correlation``: Pearson's r between the model's and people's privacy ratings
  (``analysis.privacy``) for the model and method, with its Fisher-z interval.

A figure's ``match`` lists substrings of our model label (case-insensitive) that mean the
figure's model; ``exclude`` substrings that rule one out.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from safereason.analysis.cells import wilson
from safereason.analysis.privacy import privacy_correlations
from safereason.report.literature_table import DASH, PublishedRow, attack_matches
from safereason.results import JudgeInfo, ResultRow


def _pct(x: float) -> str:
    return f"{100 * x:.1f}%"


def _matching(models: Sequence[str], fig: Mapping[str, Any]) -> list[str]:
    def ok(m: str) -> bool:
        low = m.casefold()
        return any(s.casefold() in low for s in fig.get("match", [])) and not any(
            s.casefold() in low for s in fig.get("exclude", [])
        )

    return [m for m in models if ok(m)]


def _hits(
    rows: Sequence[ResultRow],
    model: str,
    method: str,
    fig: Mapping[str, Any],
    harm: JudgeInfo | None,
    acc_judge: str | None,
) -> tuple[int, int, str] | None:
    """(hits, n, judge) of a figure's measure in one model x method cell; None: no judge."""
    if fig["measure"] == "asr":
        if harm is None:
            return None
        k = n = 0
        for r in rows:
            if r.kind != "harmful" or r.model != model or r.method != method:
                continue
            if not attack_matches(r.attack, str(fig.get("attack", "none"))):
                continue
            v = r.decided(harm.key)
            if v is not None:
                assert v.score is not None
                n += 1
                k += int(harm.meaning.unsafe(v.label, v.score))
        return k, n, harm.key
    if acc_judge is None:
        return None
    k = n = 0
    reasoning = [r for r in rows if r.kind == "reasoning" and r.model == model]
    if any(r.benchmark == "gsm8k" for r in reasoning):
        reasoning = [r for r in reasoning if r.benchmark == "gsm8k"]
    used = acc_judge
    for r in reasoning:
        if r.method != method:
            continue
        found = sorted(
            ((i, v) for i, v in r.judged() if i.name == acc_judge and i.reads == "answer"),
            key=lambda p: p[0].key != acc_judge,  # the plain configuration first
        )
        if found and found[0][1].decided:
            info, v = found[0]
            assert v.score is not None
            used = info.key
            n += 1
            k += int(info.meaning.metric(r.kind, info.name).hit(v.label, v.score))
    return k, n, used


def finetune_rows(
    rows: Sequence[ResultRow],
    figs: Sequence[Mapping[str, Any]],
    harm: JudgeInfo | None,
    acc_judge: str | None,
) -> list[PublishedRow]:
    """One row per fine-tuning figure the run can be compared with."""
    models = list(dict.fromkeys(r.model for r in rows))
    methods = list(dict.fromkeys(r.method for r in rows))
    out = []
    for fig in figs:
        published = float(fig["value"])
        base = PublishedRow(fig["id"], fig["figure"], _pct(published), DASH)
        method = str(fig.get("method") or (methods[0] if methods else ""))
        for m in _matching(models, fig):
            got = _hits(rows, m, method, fig, harm, acc_judge)
            what = "harm" if fig["measure"] == "asr" else "accuracy"
            if got is None or got[1] == 0:
                note = f"no {what} verdicts for {m} under {method}"
                out.append(_with(base, model=m, note=note))
                continue
            k, n, judge = got
            lo, hi = wilson(k, n)
            notes = [f"paper: {fig['model']}; ours: {m}, {method}, {fig['measure']} by {judge}"]
            if fig["measure"] == "asr":
                notes[0] += f" under {fig.get('attack', 'none')}"
            ref = _hits(rows, str(fig.get("base", "base")), method, fig, harm, acc_judge)
            if ref is not None and ref[1]:
                notes.append(f"base model: {_pct(ref[0] / ref[1])}, n = {ref[1]}")
            out.append(
                _with(
                    base,
                    ours=f"{_pct(k / n)} [{_pct(lo)}, {_pct(hi)}], n = {n}",
                    note="; ".join(notes),
                    value=k / n,
                    lo=lo,
                    hi=hi,
                    n=n,
                    model=m,
                    attack=str(fig.get("attack")) if fig["measure"] == "asr" else None,
                    agrees=lo <= published <= hi,
                )
            )
    return out


def privacy_rows(
    rows: Sequence[ResultRow], figs: Sequence[Mapping[str, Any]]
) -> list[PublishedRow]:
    """One row per privacy-awareness figure the run can be compared with."""
    cors = privacy_correlations(rows)
    methods = list(dict.fromkeys(r.method for r in rows))
    models = list(dict.fromkeys(c.model for c in cors))
    out = []
    for fig in figs:
        published = float(fig["value"])
        base = PublishedRow(fig["id"], fig["figure"], f"r = {published:.2f}", DASH)
        method = str(fig.get("method") or (methods[0] if methods else ""))
        for m in _matching(models, fig):
            c = next((c for c in cors if c.model == m and c.method == method), None)
            if c is None or c.r is None:
                why = c.note if c is not None else f"no ratings under {method}"
                out.append(_with(base, model=m, note=f"{m}: {why}"))
                continue
            agrees = c.lo <= published <= c.hi if c.lo is not None and c.hi is not None else None
            out.append(
                _with(
                    base,
                    ours=c.text(),
                    note=f"paper: {fig['model']}; ours: {m}, {method}, {c.judge}",
                    value=c.r,
                    lo=c.lo,
                    hi=c.hi,
                    n=c.n,
                    p=c.p,
                    model=m,
                    agrees=agrees,
                )
            )
    return out


def _with(row: PublishedRow, **changes: Any) -> PublishedRow:
    from dataclasses import asdict

    return PublishedRow(**{**asdict(row), **changes})
