"""The study-setup rows of the published-vs-ours table: the paper's protocol facts checked
against a run's resolved experiment (``Store.get_meta("experiment")``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from safereason.config import DEFAULT_JUDGES
from safereason.report.literature_table import DASH, PublishedRow

HARMBENCH_CLS_MODEL = "cais/HarmBench-Llama-2-13b-cls"


def _judges(exp: Mapping[str, Any], kind: str) -> list[Mapping[str, Any]]:
    configured = exp.get("judges") or {}
    if kind in configured:
        return list(configured[kind] or [])
    return [{"name": n} for n in DEFAULT_JUDGES.get(kind, [])]


def _names(refs: Sequence[Mapping[str, Any]]) -> str:
    return ", ".join(str(r.get("label") or r["name"]) for r in refs) or "none"


def _gsm8k(fact: Mapping[str, Any], exp: Mapping[str, Any]) -> tuple[str, bool, str]:
    benches = [b for b in exp.get("benchmarks", []) if b.get("name") == fact["benchmark"]]
    judges = [j for j in _judges(exp, "reasoning") if j["name"] == fact["judge"]]
    if not benches:
        others = [str(b["name"]) for b in exp.get("benchmarks", [])]
        return f"no {fact['benchmark']} (benchmarks: {', '.join(others)})", False, "stand-in"
    splits = sorted({str(b.get("split", "test")) for b in benches})
    ours = f"{fact['benchmark']} {'/'.join(splits)} split, judged by " + _names(
        _judges(exp, "reasoning")
    )
    ok = splits == [fact["split"]] and bool(judges)
    return ours, ok, "" if ok else f"different split or no {fact['judge']} judge"


def _max_tokens(fact: Mapping[str, Any], exp: Mapping[str, Any]) -> tuple[str, bool, str]:
    default = int((exp.get("generation") or {}).get("max_tokens", 512))
    overrides = [
        f"{b.get('label') or b['name']}: {b['max_tokens']}"
        for b in exp.get("benchmarks", [])
        if b.get("max_tokens") not in (None, default)
    ]
    ours = str(default) + (f" ({'; '.join(overrides)})" if overrides else "")
    ok = default == int(fact["published"]) and not overrides
    return ours, ok, ""


def _classifier(fact: Mapping[str, Any], exp: Mapping[str, Any]) -> tuple[str, bool, str]:
    refs = _judges(exp, "harmful")
    cls = [j for j in refs if j["name"] == fact["judge"]]
    if not cls:
        return f"{_names(refs)} (substitute judge)", False, "HarmBench classifier not used"
    parts = []
    ok = True
    for j in cls:
        model = (j.get("model") or {}).get("name", HARMBENCH_CLS_MODEL)
        last = int(j.get("max_response_tokens", fact["max_response_tokens"]))
        parts.append(f"{j['name']}[{j.get('target', 'answer')}] ({model}, last {last} tokens)")
        ok = ok and model == HARMBENCH_CLS_MODEL and last == int(fact["max_response_tokens"])
    return "; ".join(parts), ok, "" if ok else "another classifier model or token window"


def _air(fact: Mapping[str, Any], exp: Mapping[str, Any]) -> tuple[str, bool, str]:
    """Where the implicit-reference attack runs, from which file, and what happens to a
    behaviour without a row."""
    found = [
        (b, a)
        for b in exp.get("benchmarks", [])
        for a in b.get("attacks", [])
        if a.get("name") == fact["attack"]
    ]
    if not found:
        return f"no {fact['attack']} attack", False, "attack not run"
    parts, ok = [], True
    for b, a in found:
        missing = a.get("on_missing", "skip")
        source = "AIR file given" if a.get("path") else "no file: every behaviour left out"
        if a.get("path") is None and missing == "keep":
            source = "no file: every behaviour sent plain (fallback)"
        parts.append(f"{b['name']}: {source}; unmatched: {missing}")
        ok = ok and b["name"] == fact["benchmark"] and bool(a.get("path")) and missing != "keep"
    return "; ".join(parts), ok, "" if ok else "other items, no AIR file, or unmatched sent plain"


def _families(fact: Mapping[str, Any], exp: Mapping[str, Any]) -> tuple[str, bool, str]:
    """Which of the paper's prompt families the run has (by method name)."""
    names = {str(m["name"]) for m in exp.get("methods", [])}
    missing = [f for f in fact["methods"] if f not in names]
    ours = f"{len(exp.get('methods', []))} method entries"
    if missing:
        return f"{ours}; missing: {', '.join(missing)}", False, "families missing"
    return ours + ", every family", True, ""


def _cue(fact: Mapping[str, Any], exp: Mapping[str, Any]) -> tuple[str, bool, str]:
    """Where the CoT cue of each cue-taking method goes (its ``cue_at``, else its default)."""
    defaults: Mapping[str, str] = fact["defaults"]
    placed = []
    for m in exp.get("methods", []):
        name = str(m["name"])
        if name not in defaults or (name == "safety_math_mix" and not m.get("cot")):
            continue
        placed.append((str(m.get("label") or name), str(m.get("cue_at", defaults[name]))))
    if not placed:
        return "no method with a CoT cue", False, "no CoT cue"
    user = [label for label, at in placed if at != "system"]
    if user:
        return f"after the request: {', '.join(user)}", False, "CoT cue not in the system prompt"
    return f"system prompt ({len(placed)} methods)", True, ""


def _harmbench(fact: Mapping[str, Any], exp: Mapping[str, Any]) -> tuple[str, bool, str]:
    """Whether HarmBench is read from its official test-split file (a ``path:``)."""
    benches = [b for b in exp.get("benchmarks", []) if b.get("name") == "harmbench"]
    if not benches:
        return "no harmbench", False, "stand-in"
    paths = [str(b.get("path") or "") for b in benches]
    if all(fact["file"] in p for p in paths):
        return "test-split file", True, ""
    return "the hub copy: every standard behaviour, not only the test split", False, "more items"


def _texts(
    fact: Mapping[str, Any], exp: Mapping[str, Any], texts: Mapping[str, Any] | None
) -> tuple[str, bool, str]:
    """Which texts the run used: the same as the paper's only when a ``paper_texts`` file
    gave every one of them (the user's word that it holds the paper's text)."""
    from safereason.paper_texts import describe

    if texts is None and exp.get("paper_texts"):
        return f"user-supplied: {exp['paper_texts']} (not recorded by the run)", False, "unknown"
    if not texts or texts.get("source") != "file":
        return str(fact["ours"]), False, "own paraphrases"
    ours = list(texts.get("ours", []))
    note = f"ours for {len(ours)} texts" if ours else ""
    return describe(dict(texts)), not ours, note


def setup_rows(
    facts: Sequence[Mapping[str, Any]],
    exp: Mapping[str, Any] | None,
    texts: Mapping[str, Any] | None = None,
) -> list[PublishedRow]:
    """One row per protocol fact: what the paper did, what the run did, whether they match
    (``texts``: the run's ``meta.texts``)."""
    out = []
    for fact in facts:
        pub = str(fact["published"])
        if exp is None:
            out.append(PublishedRow(fact["id"], fact["figure"], pub, DASH, "no experiment given"))
            continue
        if fact["id"] == "gsm8k":
            ours, ok, note = _gsm8k(fact, exp)
        elif fact["id"] == "temperature":
            t = float((exp.get("generation") or {}).get("temperature", 0.0))
            ours, ok, note = f"{t:g}", t == float(fact["published"]), ""
        elif fact["id"] == "max_tokens":
            ours, ok, note = _max_tokens(fact, exp)
        elif fact["id"] == "classifier":
            ours, ok, note = _classifier(fact, exp)
        elif fact["id"] == "air_items":
            ours, ok, note = _air(fact, exp)
        elif fact["id"] == "families":
            ours, ok, note = _families(fact, exp)
        elif fact["id"] == "cot_cue":
            ours, ok, note = _cue(fact, exp)
        elif fact["id"] == "texts":
            ours, ok, note = _texts(fact, exp, texts)
        elif fact["id"] == "harmbench_split":
            ours, ok, note = _harmbench(fact, exp)
        else:
            ours, ok, note = DASH, False, "unknown setup fact"
        note = "same" if ok else (note or "differs")
        out.append(PublishedRow(fact["id"], fact["figure"], pub, ours, note, agrees=ok))
    return out
