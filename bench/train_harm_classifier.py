"""Train the harm_classifier judge from the shipped labelled set, and evaluate it.

    .venv/bin/python bench/train_harm_classifier.py             # write the shipped weights
    .venv/bin/python bench/train_harm_classifier.py --evaluate  # honest splits, no writing
    .venv/bin/python bench/train_harm_classifier.py --evaluate --c 0.05,0.1,0.2
                                                    # leave-one-batch-out per C, to choose C
    .venv/bin/python bench/train_harm_classifier.py --held-out-file F  # write the held-out
                                                                       # cases for calibrate

Training reads ``tests/fixtures/judges/harm_cases.jsonl``, every batch but the held-out
ones (``--held-out``, default 4: batch 4 was written as a first look, before v2 was
trained, and is never used to choose features or C; batches 0-3 and 5-7 train). Writes
``src/safereason/data/harm_classifier.npz`` (scaler, logistic-regression weights, a JSON
record of how it was trained). ``--evaluate`` prints leave-one-batch-out over the training
batches (one row per C given), and, for a single C, the trained model on itself, the
shipped weights and the trained model on the held-out batches (all, per batch, per
language). Needs scikit-learn (training only; the judge reads the weights with numpy).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

import linear_training  # bench/ is on sys.path when a script here runs
from linear_training import Model, predict
from safereason.judges.harm_classifier import LABELS, WEIGHTS, features, probability

ROOT = Path(__file__).resolve().parents[1]
CASES = ROOT / "tests" / "fixtures" / "judges" / "harm_cases.jsonl"
OUT = ROOT / "src" / "safereason" / "data" / WEIGHTS
HELD_OUT = (4,)  # first-look batch of v2: written before training, never used to choose
C = 0.1  # inverse regularisation, chosen by leave-one-batch-out on batches 0-3, 5-7 (0.005-1)


def fit(x: np.ndarray, y: np.ndarray, c: float = C) -> Model:
    """Standardise, then a logistic regression (deterministic lbfgs)."""
    return linear_training.fit(x, y, c, max_iter=5000)


def row(name: str, y: np.ndarray, p: np.ndarray) -> str:
    """A Markdown row: n, accuracy, false-safe (judged not harmful, labelled harmful), FU."""
    fs = int(((p == 0) & (y == 1)).sum())
    fu = int(((p == 1) & (y == 0)).sum())
    n = len(y)
    acc = float((p == y).mean()) if n else 0.0
    pos, neg = int((y == 1).sum()), int((y == 0).sum())
    return f"| {name} | {n} | {acc:.3f} | {fs} of {pos} | {fu} of {neg} |"


def batches(text: str) -> tuple[int, ...]:
    """``4`` or ``3,4``: batch numbers."""
    return tuple(sorted({int(x) for x in text.split(",") if x.strip()}))


def spans(bs: list[int]) -> str:
    """``0-3, 5-7`` for [0, 1, 2, 3, 5, 6, 7]."""
    out: list[str] = []
    for k in sorted(bs):
        if out and int(out[-1].split("-")[-1]) == k - 1:
            out[-1] = f"{out[-1].split('-')[0]}-{k}"
        else:
            out.append(str(k))
    return ", ".join(out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument(
        "--held-out",
        type=batches,
        default=HELD_OUT,
        help="batches kept out of training, comma-separated (default: 4)",
    )
    ap.add_argument("--evaluate", action="store_true", help="print honest splits, write nothing")
    ap.add_argument(
        "--c", default=str(C), help="inverse regularisation (with --evaluate: a comma list)"
    )
    ap.add_argument("--held-out-file", type=Path, help="write the held-out cases as JSONL")
    ap.add_argument("--cache", type=Path, help="keep the features in this .npy file")
    args = ap.parse_args()
    rows = [json.loads(x) for x in CASES.read_text(encoding="utf-8").splitlines() if x.strip()]
    b = np.array([r["batch"] for r in rows])
    train = ~np.isin(b, args.held_out)
    names = spans(sorted(set(b[train].tolist())))
    if args.held_out_file:
        keep = ("id", "prompt", "response", "label")
        lines = [json.dumps({k: r[k] for k in keep}, ensure_ascii=False) for r in rows]
        held = [line for line, t in zip(lines, train, strict=True) if not t]
        args.held_out_file.write_text("\n".join(held) + "\n", encoding="utf-8")
        print(f"wrote {len(held)} held-out cases to {args.held_out_file}")
        return
    t0 = time.perf_counter()
    if args.cache and args.cache.is_file():
        x = np.load(args.cache)
    else:
        x = features([(r["prompt"], r["response"]) for r in rows])
        if args.cache:
            np.save(args.cache, x)
    print(f"features of {len(rows)} cases in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
    y = np.array([LABELS.index(r["label"]) for r in rows])
    cs = [float(v) for v in args.c.split(",")]
    if args.evaluate:
        print("| split | n | accuracy | false-safe | false-unsafe |")
        print("| --- | ---: | ---: | ---: | ---: |")
        for c in cs:
            lobo = np.zeros(len(y), dtype=int)
            for k in sorted(set(b[train].tolist())):
                fold = train & (b != k)
                lobo[b == k] = predict(fit(x[fold], y[fold], c), x[b == k])
            print(row(f"leave-one-batch-out, batches {names}, C={c}", y[train], lobo[train]))
        if len(cs) > 1 or not (~train).any():
            return  # choosing C: the held-out batches are not looked at
        p = predict(fit(x[train], y[train], cs[0]), x)
        print(row(f"train {names}, itself", y[train], p[train]))
        held = ~train
        shipped = (probability(x) >= 0.5).astype(int)
        print(row("shipped weights, held-out", y[held], shipped[held]))
        print(row(f"train {names}, held-out", y[held], p[held]))
        for k in sorted(set(b[held].tolist())):
            print(row(f"train {names}, batch {k}", y[b == k], p[b == k]))
        langs = np.array([r["lang"] for r in rows])
        for lang in sorted(set(langs[held].tolist())):
            m = held & (langs == lang)
            print(row(f"train {names}, held-out, {lang}", y[m], p[m]))
        return
    model = fit(x[train], y[train], cs[0])
    assert list(model[2].classes_) == [0, 1]
    meta = {
        "labels": list(LABELS),
        "trained_on": f"{CASES.relative_to(ROOT)} batches {names}",
        "n": int(train.sum()),
        "C": cs[0],
    }
    linear_training.save(OUT, ROOT, model, meta)


if __name__ == "__main__":
    main()
