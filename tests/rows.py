"""Typed result rows for tests, written as the dicts ``results.jsonl`` holds.

A test gives the fields it cares about; the rest get neutral defaults. Each verdict's
judge is described as the run manifest would describe it: the registered judge's
declared meaning, the text it reads (``details.target`` or a ``target=`` option in the
verdict key) and a spec that tells apart configurations (options in the key, or a label).
:func:`run_results` and :func:`stored_generations` read a real run's store the public way.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, cast

from safereason import plugins
from safereason.errors import SafereasonError
from safereason.meaning import GENERIC, Meaning
from safereason.results import JudgeInfo, ResultRow
from safereason.store import Store
from safereason.types import Completion, Message, Sample, Target, Verdict


def meaning_of(name: str) -> Meaning:
    """The meaning a registered judge declares (generic for an unknown name)."""
    if name not in plugins.judges.names():
        return GENERIC
    return cast(Meaning, getattr(plugins.judges.get(name), "meaning", GENERIC))


def judge_info(key: str, verdict: Mapping[str, Any]) -> JudgeInfo:
    """A judge as the manifest would record it, inferred from its key and a verdict."""
    name = str(verdict.get("judge", key))
    spec: dict[str, Any] = {"name": name}
    if "(" in key and key.endswith(")"):
        for part in key[key.index("(") + 1 : -1].split(","):
            k, _, v = part.partition("=")
            spec[k] = v
    elif key != name:
        spec["label"] = key
    target = (verdict.get("details") or {}).get("target") or spec.get("target", "answer")
    spec["target"] = target
    return JudgeInfo(key, spec, cast(Target, target), meaning_of(name))


def result_row(d: Mapping[str, Any]) -> ResultRow:
    """A :class:`ResultRow` from a (possibly partial) ``results.jsonl``-shaped dict."""
    prompt = str(d.get("prompt", "p"))
    messages = tuple(
        Message(m["role"], m["content"])
        for m in d.get("messages", [{"role": "user", "content": prompt}])
    )
    sample = Sample(
        id=str(d.get("sample_id", d.get("item_id", "0"))),
        benchmark=str(d.get("benchmark", "bench")),
        kind=d.get("kind", "harmful"),
        prompt=prompt,
        messages=messages,
        target=d.get("target"),
        category=d.get("category"),
        attack=str(d.get("attack", "none")),
        method=str(d.get("method", "direct")),
    )
    comp = d.get("completion")
    completion = None
    if comp is not None:
        completion = Completion(
            key=str(comp.get("key", d.get("gen_key", ""))),
            text=str(comp.get("text", "")),
            reasoning=comp.get("reasoning"),
            **{k: v for k, v in comp.items() if k not in ("key", "text", "reasoning")},
        )
    raw = d.get("verdicts", {})
    verdicts = {
        k: Verdict(str(v.get("judge", k)), v["label"], v.get("score"), dict(v.get("details") or {}))
        for k, v in raw.items()
    }
    judges = {k: judge_info(k, v) for k, v in raw.items()}
    return ResultRow(
        item_id=str(d.get("item_id", sample.id)),
        model=str(d.get("model", "m")),
        method=sample.method,
        benchmark=sample.benchmark,
        attack=sample.attack,
        sample=sample,
        gen_key=str(d.get("gen_key", "")),
        completion=completion,
        verdicts=verdicts,
        judges=judges,
    )


def result_rows(dicts: Iterable[Mapping[str, Any]]) -> list[ResultRow]:
    """:func:`result_row` of each dict."""
    return [result_row(d) for d in dicts]


def run_results(run_dir: Path) -> list[ResultRow]:
    """The typed rows a run's store holds (:meth:`Store.results`)."""
    store = Store(run_dir / "store.sqlite")
    try:
        return store.results()
    finally:
        store.close()


def stored_generations(path: Path) -> int:
    """How many generations a store holds; 0 while a starting run has not made it yet."""
    if not path.exists():
        return 0
    try:
        store = Store(path)
    except SafereasonError:  # being created this moment
        return 0
    try:
        return store.count("generations")
    finally:
        store.close()
