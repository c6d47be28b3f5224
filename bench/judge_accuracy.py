"""Accuracy of the refusal and answer_match judges on safereason's labelled sets.

    .venv/bin/python bench/judge_accuracy.py
        [--split tune|holdout|holdout2|...|holdout18|all]
        [--batch N] [--errors] [--method classifier|rules|both]

Prints a Markdown table per judge and split: accuracy, false-safe (judged ``refused``
while the label is ``complied`` or ``partial``; for answers: judged correct while the
label is incorrect) and false-unsafe (judged not refused while the label is ``refused``;
for answers: judged incorrect while the label is correct). ``--errors`` lists the misses.
``--batch N`` scores only the refusal cases of holdout batch N (each batch was written
before the judge was next changed: its first measurement is the honest unseen-text one);
``--by-batch`` prints one refusal row per holdout batch (and answer rows per answer
batch). ``--method`` picks the refusal judge's method (default: the judge's default,
``rules``). ``holdout2`` to ``holdout18`` are answer-only splits. Each table
ends with the judge's speed (items per second, wall clock).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

from safereason.judges.answer_match import AnswerMatch
from safereason.judges.refusal import RefusalJudge
from safereason.types import Completion, Sample

FIXTURES = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "judges"


def load(name: str) -> list[dict[str, Any]]:
    """The rows of a fixture JSONL file."""
    lines = (FIXTURES / name).read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


METHOD: dict[str, str] = {}
SPEED: dict[str, tuple[int, float]] = {}


def _timed(judge: str, n: int, seconds: float) -> None:
    done, total = SPEED.get(judge, (0, 0.0))
    SPEED[judge] = (done + n, total + seconds)


def refusal_predictions(rows: list[dict[str, Any]]) -> list[str]:
    """The refusal judge's label for each case."""
    pairs = [
        (
            Sample.from_prompt(r["id"], "cases", "harmful", r["prompt"]),
            Completion(key=r["id"], text=r["response"]),
        )
        for r in rows
    ]
    judge = RefusalJudge(**METHOD)  # type: ignore[arg-type]
    t0 = time.perf_counter()
    labels = [v.label for v in judge.score(pairs)]
    _timed(f"refusal ({judge.method})", len(pairs), time.perf_counter() - t0)
    return labels


def answer_predictions(rows: list[dict[str, Any]]) -> list[str]:
    """The answer_match judge's label for each case (``unparsed`` counts as incorrect)."""
    pairs = [
        (
            Sample.from_prompt(r["id"], "cases", "reasoning", "", target=r["target"]),
            Completion(key=r["id"], text=r["response"]),
        )
        for r in rows
    ]
    t0 = time.perf_counter()
    verdicts = AnswerMatch().score(pairs)
    _timed("answer_match", len(pairs), time.perf_counter() - t0)
    return ["correct" if v.label == "correct" else "incorrect" for v in verdicts]


def scores(judge: str, rows: list[dict[str, Any]], preds: list[str]) -> dict[str, float]:
    """n, accuracy, false-safe and false-unsafe counts (and false-safe as a share of n)."""
    safe = "refused" if judge == "refusal" else "correct"
    n = len(rows)
    right = sum(p == r["label"] for r, p in zip(rows, preds, strict=True))
    false_safe = sum(p == safe and r["label"] != safe for r, p in zip(rows, preds, strict=True))
    false_unsafe = sum(p != safe and r["label"] == safe for r, p in zip(rows, preds, strict=True))
    return {
        "n": n,
        "accuracy": right / n if n else 0.0,
        "false_safe": false_safe,
        "false_unsafe": false_unsafe,
        "false_safe_rate": false_safe / n if n else 0.0,
    }


ANSWER_ONLY_SPLITS = tuple(f"holdout{i}" for i in range(2, 19))  # holdout2 ... holdout18


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument(
        "--split",
        choices=["tune", "holdout", *ANSWER_ONLY_SPLITS, "all"],
        default="all",
    )
    ap.add_argument("--errors", action="store_true", help="list the cases judged wrongly")
    ap.add_argument("--batch", type=int, help="only the refusal cases of this holdout batch")
    ap.add_argument("--by-batch", action="store_true", help="one refusal row per batch")
    ap.add_argument("--method", choices=["classifier", "rules", "both"], help="refusal method")
    args = ap.parse_args()
    if args.method:
        METHOD["method"] = args.method
    if args.batch is not None or args.by_batch:
        by_batch(args.batch, args.errors)
        speed()
        return
    splits = ["tune", "holdout"] if args.split == "all" else [args.split]
    judges_run = [
        ("refusal", "refusal_cases.jsonl", refusal_predictions),
        ("answer_match", "answer_cases.jsonl", answer_predictions),
    ]
    if args.split in ANSWER_ONLY_SPLITS:
        judges_run = judges_run[1:]
    print("| judge | split | n | accuracy | false-safe | false-unsafe |")
    print("| --- | --- | ---: | ---: | ---: | ---: |")
    misses = []
    for judge, name, predict in judges_run:
        all_rows = load(name)
        for split in splits:
            rows = [r for r in all_rows if r["split"] == split]
            preds = predict(rows)
            s = scores(judge, rows, preds)
            print(
                f"| {judge} | {split} | {s['n']} | {s['accuracy']:.3f} | "
                f"{s['false_safe']} ({s['false_safe_rate']:.1%}) | {s['false_unsafe']} |"
            )
            misses += [(judge, r, p) for r, p in zip(rows, preds, strict=True) if p != r["label"]]
    if args.errors:
        for judge, r, p in misses:
            print(f"\n{judge} {r['id']} ({r['kind']}): label {r['label']}, judged {p}")
            print("  " + r["response"].replace("\n", "\n  ")[:400])
            if judge == "answer_match":
                print(f"  target: {r['target']}")
    speed()


def speed() -> None:
    """Items per second of each judge over the cases it scored (wall clock, one process)."""
    print()
    for judge, (n, seconds) in SPEED.items():
        print(f"{judge}: {n} items in {seconds:.1f} s, {n / max(seconds, 1e-9):.1f} items/s")


def by_batch(only: int | None, errors: bool) -> None:
    """The refusal judge per holdout batch (``batch`` field), or on one batch."""
    rows = [r for r in load("refusal_cases.jsonl") if r["split"] == "holdout"]
    batches = sorted({r["batch"] for r in rows}) if only is None else [only]
    print("| batch | n | accuracy | false-safe | false-unsafe |")
    print("| --- | ---: | ---: | ---: | ---: |")
    misses = []
    for b in batches:
        sub = [r for r in rows if r["batch"] == b]
        if not sub:
            raise SystemExit(f"no holdout batch {b}")
        preds = refusal_predictions(sub)
        s = scores("refusal", sub, preds)
        print(
            f"| {b} | {s['n']} | {s['accuracy']:.3f} | "
            f"{s['false_safe']} ({s['false_safe_rate']:.1%}) | {s['false_unsafe']} |"
        )
        misses += [(r, p) for r, p in zip(sub, preds, strict=True) if p != r["label"]]
    answers = [r for r in load("answer_cases.jsonl") if r.get("batch") is not None]
    for b in sorted({r["batch"] for r in answers}) if only is None else []:
        sub = [r for r in answers if r["batch"] == b]
        preds = answer_predictions(sub)
        s = scores("answer_match", sub, preds)
        print(
            f"| answer batch {b} | {s['n']} | {s['accuracy']:.3f} | "
            f"{s['false_safe']} ({s['false_safe_rate']:.1%}) | {s['false_unsafe']} |"
        )
    if errors:
        for r, p in misses:
            print(f"\n{r['id']} ({r['kind']}, {r['lang']}): label {r['label']}, judged {p}")
            print("  " + r["response"].replace("\n", "\n  ")[:400])


if __name__ == "__main__":
    main()
