"""Agreement of the model-backed harm judges (rubric, guard) with hand labels.

    .venv/bin/python bench/harm_judge_accuracy.py [--model embedded|JSON] [--judges rubric,guard]
                                                  [--errors] [--json OUT]

Reads ``tests/fixtures/judges/harm_cases.jsonl`` (30 cases written for safereason: a
harmful request, a response, and whether the response contains harmful content) and asks
each judge through one model pool (``cache: null``: every reply is generated now, nothing
comes from or goes to the shared cache). Prints, per judge: n, accuracy over all cases
(an ``unparsed`` verdict counts as wrong), the undecided count, false-safe (judged safe,
labelled harmful), false-unsafe (judged harmful, labelled not harmful), Cohen's kappa
over the decided cases and the seconds it took. The numbers are in docs/judges.md.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

from safereason.backends.pool import ModelPool
from safereason.judges.guard import GuardJudge
from safereason.judges.harm_classifier import HarmClassifierJudge
from safereason.judges.rubric import RubricJudge
from safereason.types import Completion, Sample, Verdict

CASES = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "judges" / "harm_cases.jsonl"
HARMFUL = "harmful"


def load(all_batches: bool = False) -> list[dict[str, Any]]:
    """The labelled cases: batch 0 (the 30 measured in docs/judges.md), or every batch."""
    lines = CASES.read_text(encoding="utf-8").splitlines()
    rows = [json.loads(line) for line in lines if line.strip()]
    return rows if all_batches else [r for r in rows if r.get("batch", 0) == 0]


def judged_harmful(judge: Any, v: Verdict) -> bool | None:
    """True/False from a decided verdict, None when undecided."""
    if not v.decided:
        return None
    return type(judge).meaning.unsafe(v.label, v.score if v.score is not None else 0.0)


def kappa(pairs: list[tuple[bool, bool]]) -> float | None:
    """Cohen's kappa of (label, prediction) pairs; None when undefined."""
    n = len(pairs)
    if not n:
        return None
    po = sum(a == b for a, b in pairs) / n
    pa = sum(a for a, _ in pairs) / n
    pb = sum(b for _, b in pairs) / n
    pe = pa * pb + (1 - pa) * (1 - pb)
    return None if pe == 1 else (po - pe) / (1 - pe)


def measure(judge: Any, rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Score every case and compare with its label."""
    pairs = [
        (
            Sample.from_prompt(r["id"], "harm_cases", "harmful", r["prompt"]),
            Completion(key=r["id"], text=r["response"]),
        )
        for r in rows
    ]
    t0 = time.perf_counter()
    verdicts = judge.score(pairs)
    seconds = time.perf_counter() - t0
    preds = [judged_harmful(judge, v) for v in verdicts]
    labels = [r["label"] == HARMFUL for r in rows]
    decided = [(a, p) for a, p in zip(labels, preds, strict=True) if p is not None]
    return {
        "n": len(rows),
        "correct": sum(a == p for a, p in decided),
        "undecided": len(rows) - len(decided),
        "false_safe": sum(a and not p for a, p in decided),
        "false_unsafe": sum(p and not a for a, p in decided),
        "kappa": kappa(decided),
        "seconds": seconds,
        "cases": [
            {
                "id": r["id"],
                "label": r["label"],
                "verdict": v.label,
                "right": p is not None and p == a,
                "raw": v.details.get("raw"),
            }
            for r, v, a, p in zip(rows, verdicts, labels, preds, strict=True)
        ],
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument(
        "--model",
        default="embedded",
        help="judge model: a name (default: embedded) or a model entry as JSON, e.g. "
        '\'{"name": "model-id", "backend": "openai", "base_url": "http://host:8000/v1"}\'',
    )
    ap.add_argument("--judges", default="rubric,guard", help="rubric, guard, harm_classifier")
    ap.add_argument("--all", action="store_true", help="every batch, not only batch 0")
    ap.add_argument("--errors", action="store_true", help="list the cases judged wrongly")
    ap.add_argument("--json", type=Path, help="also write every verdict here")
    args = ap.parse_args()
    rows = load(args.all)
    model = json.loads(args.model) if args.model.startswith("{") else {"name": args.model}
    label = str(model.get("name"))
    results: dict[str, Any] = {}
    print(f"{len(rows)} cases, {sum(r['label'] == HARMFUL for r in rows)} labelled harmful")
    print("| judge | model | n | accuracy | undecided | false-safe | false-unsafe | κ | seconds |")
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    with ModelPool(None) as pool:
        for name in args.judges.split(","):
            judge: Any = (
                HarmClassifierJudge()
                if name == "harm_classifier"
                else RubricJudge(model=model)
                if name == "rubric"
                else GuardJudge(model=model)
            )
            if name != "harm_classifier":
                judge.bind(pool)
            s = results[name] = measure(judge, rows)
            k = "—" if s["kappa"] is None else f"{s['kappa']:.2f}"
            print(
                f"| {name} | {label} | {s['n']} | {s['correct'] / s['n']:.3f} | "
                f"{s['undecided']} | {s['false_safe']} | {s['false_unsafe']} | {k} | "
                f"{s['seconds']:.0f} |"
            )
    if args.errors:
        for name, s in results.items():
            for c in s["cases"]:
                if c["right"]:
                    continue
                want = "harmful" if c["label"] == HARMFUL else "safe"
                print(f"\n{name} {c['id']}: label {c['label']}, verdict {c['verdict']} ({want})")
                print("  " + str(c["raw"]).replace("\n", "\n  ")[:300])
    if args.json:
        args.json.write_text(json.dumps(results, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
