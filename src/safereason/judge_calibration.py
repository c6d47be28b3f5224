"""An experiment's judges scored against hand labels (the experiment key ``calibration:``).

``calibration: FILE`` (or a shipped set: ``starter``, ``refusal``, ``harm``) calibrates
every configured safety judge on the same labels; ``calibration: {labels: ..., judges:
{LABEL: FILE}, min_kappa: 0.6}`` gives some judges files of their own. The files are read
with ``safereason calibrate``'s reader and scored with its scoring
(:func:`safereason.calibrate.calibration`), per sample kind of the labelled items; the
runner scores them after the run's own judging and records the results in the manifest
(``meta.calibration``), so the report reads them from the run. Verdicts on labelled items
are cached like any other.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, replace
from importlib.resources import as_file, files
from pathlib import Path
from typing import Any

from safereason.calibrate import (
    HARM_LEVEL,
    LabelledItem,
    calibration,
    judge_labels,
    read_labels,
    shipped_set,
)
from safereason.config import DEFAULT_JUDGES, Experiment, PluginRef
from safereason.errors import SafereasonError
from safereason.judge_fields import input_fields
from safereason.meaning import GENERIC, Meaning
from safereason.store import Store
from safereason.types import Verdict


@dataclass(frozen=True)
class CalibrationSet:
    """One judge's labelled items, read and checked."""

    judge: str  # the judge's label in the run
    source: str  # what the experiment names: a file, or a shipped set
    items: list[LabelledItem]
    harm_level: bool
    gold_labels: tuple[str, ...]


def configured_judges(exp: Experiment) -> dict[str, PluginRef]:
    """Every judge of the experiment by its label in the run."""
    return {r.display: r for kind in DEFAULT_JUDGES for r in exp.judges_for(kind)}


def calibratable(plugin: Any) -> bool:
    """Whether hand labels can be compared with a judge's verdicts (it declares labels or
    which of them are safe)."""
    meaning = getattr(type(plugin), "meaning", GENERIC)
    return bool(meaning.labels) or meaning.safe is not None


def _read(source: str, label: str, name: str, plugin: Any) -> CalibrationSet:
    meaning: Meaning = getattr(type(plugin), "meaning", GENERIC)
    vocab = judge_labels(name, plugin)
    fields = input_fields(plugin)
    shipped = shipped_set(source, name)
    if shipped is not None:
        with as_file(files("safereason") / "data" / "calibration" / shipped) as path:
            items, harm = read_labels(path, name, vocab, meaning, fields)
        where = f"{source} (shipped {shipped})"
    else:
        path = Path(source)
        if not path.is_file():
            what = "a directory" if path.is_dir() else "no such file"
            raise SafereasonError(
                f"calibration file {source} for judge {label}: {what} (a labelled JSONL, "
                "or a shipped set: starter, refusal, harm)"
            )
        items, harm = read_labels(path, name, vocab, meaning, fields)
        where = source
    gold = HARM_LEVEL if harm else (vocab or HARM_LEVEL)
    return CalibrationSet(label, where, items, harm, tuple(gold))


def calibration_sets(exp: Experiment, judges: Mapping[str, Any]) -> list[CalibrationSet]:
    """The labelled items of each judge the experiment calibrates (``judges``: the built
    judge plugins by label). Bad files and labels are one line naming file and line."""
    spec = exp.calibration
    if spec is None:
        return []
    refs = configured_judges(exp)
    for label in spec.judges:
        if label not in refs:
            raise SafereasonError(
                f"calibration.judges: {label!r} is not a judge of this experiment; its "
                f"judges: {', '.join(refs) or 'none'}"
            )
    judged = {
        label: {k for k in DEFAULT_JUDGES if label in {r.display for r in exp.judges_for(k)}}
        for label in refs
    }
    out = []
    for label, ref in refs.items():
        source = spec.judges.get(label, spec.labels)
        if source is None:
            continue
        plugin = judges[label]
        if label not in spec.judges:
            # a run-wide label file is for the safety judges (those that declare their
            # safe labels) of the kinds of item it holds; answer_match or a privacy judge
            # gets a file of its own
            meaning = getattr(type(plugin), "meaning", GENERIC)
            if meaning.safe is None or not judged[label] & _file_kinds(source, ref.name):
                continue
        elif not calibratable(plugin):
            raise SafereasonError(
                f"calibration.judges.{label}: judge {ref.name} declares neither its "
                "labels nor which of them are safe; it cannot be compared with hand labels"
            )
        cs = _read(source, label, ref.name, plugin)
        items = [it for it in cs.items if it.sample.kind in judged[label]]
        if not items:
            kinds = ", ".join(sorted({it.sample.kind for it in cs.items}))
            raise SafereasonError(
                f"calibration file {source} for judge {label}: its items are {kinds} items, "
                f"which this experiment does not have {label} judge "
                f"(it judges {', '.join(sorted(judged[label])) or 'no kind'})"
            )
        out.append(replace(cs, items=items))
    return out


def _file_kinds(source: str, judge: str) -> set[str]:
    """The kinds of item a label file holds (``harmful`` where a line gives none); lines
    that do not parse are left to the reader, which names them."""
    shipped = shipped_set(source, judge)
    res = files("safereason") / "data" / "calibration" / shipped if shipped else None
    try:
        text = res.read_text(encoding="utf-8") if res is not None else Path(source).read_text()
    except (OSError, UnicodeDecodeError):
        return {"harmful"}  # the reader gives the one-line error
    kinds = set()
    for line in text.splitlines():
        try:
            d = json.loads(line) if line.strip() else None
        except json.JSONDecodeError:
            continue
        if isinstance(d, dict):
            kinds.add(str(d.get("kind") or "harmful"))
    return kinds or {"harmful"}


def check_calibration(exp: Experiment) -> None:
    """Read every calibration file of an experiment (no judge runs), for the config check."""
    from safereason import plugins

    refs = configured_judges(exp)
    built = {label: plugins.judges.build(r.name, r.options) for label, r in refs.items()}
    calibration_sets(exp, built)


def score_sets(
    sets: list[CalibrationSet], judges: Mapping[str, Any], store: Store, cache: Store | None
) -> dict[str, Any]:
    """Score each judge on its labelled items (verdicts cached as in a run); the manifest's
    ``meta.calibration`` entry."""
    from safereason.judging import verdict_key

    out: dict[str, Any] = {}
    for cs in sets:
        judge = judges[cs.judge]
        meaning: Meaning = getattr(type(judge), "meaning", GENERIC)
        keys = [verdict_key(judge, it.sample, it.completion) for it in cs.items]
        have = store.verdicts(keys)
        if cache is not None:
            missing = set(keys) - set(have)
            if missing:
                store.copy_verdicts_from(cache, missing)
                have = store.verdicts(keys)
        todo = {k: it for k, it in zip(keys, cs.items, strict=True) if k not in have}
        if todo:
            scored: list[Verdict] = judge.score(
                [(it.sample, it.completion) for it in todo.values()]
            )
            rows = [
                (k, it.completion.key, v) for (k, it), v in zip(todo.items(), scored, strict=True)
            ]
            store.put_verdicts(rows)
            if cache is not None:
                cache.put_verdicts(rows)
            have.update({k: v for k, _, v in rows})
        kinds: dict[str, Any] = {}
        for kind in dict.fromkeys(it.sample.kind for it in cs.items):
            idx = [i for i, it in enumerate(cs.items) if it.sample.kind == kind]
            vs = [have[keys[i]] for i in idx]
            kinds[kind] = calibration(
                [cs.items[i] for i in idx],
                cs.gold_labels,
                cs.harm_level,
                meaning,
                [v.label for v in vs],
                [v.decided for v in vs],
            )
        out[cs.judge] = {"source": cs.source, "harm_level": cs.harm_level, "kinds": kinds}
    return out


def record_calibration(exp: Experiment, stage: Any, store: Store, cache: Store | None) -> None:
    """Score the experiment's calibration sets with the run's judges (``stage``: its
    :class:`~safereason.judging.JudgeStage`) into ``meta.calibration`` (cleared when the
    experiment names none, so the report never shows an earlier experiment's)."""
    if exp.calibration is None:
        if store.get_meta("calibration") is not None:
            store.set_meta("calibration", None)
        return
    judges = {label: stage.judge(ref) for label, ref in configured_judges(exp).items()}
    sets = calibration_sets(exp, judges)
    store.set_meta(
        "calibration",
        {"min_kappa": exp.calibration.min_kappa, "judges": score_sets(sets, judges, store, cache)},
    )
