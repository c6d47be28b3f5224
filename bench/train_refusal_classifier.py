"""Train the refusal judge's classifier from the shipped labelled set, and evaluate it.

    .venv/bin/python bench/train_refusal_classifier.py            # write the shipped weights
    .venv/bin/python bench/train_refusal_classifier.py --evaluate # honest splits, no writing

Training reads ``tests/fixtures/judges/refusal_cases.jsonl``, the cases of batches
``0..--max-batch`` (default 23: the shipped weights of refusal version 17; 17 gave the
weights of versions 10-16), and writes
``src/safereason/data/refusal_classifier.npz`` (scaler, logistic-regression weights, and a
JSON record of how it was trained).
``--evaluate`` prints: leave-one-batch-out over batches 0..max-batch, training on batches
0-8 and testing on 9..max-batch (the last third), and the model trained on 0..max-batch on
the later batches. Needs scikit-learn (training only; the judge reads the weights with numpy).
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
from safereason.judges.refusal_classifier import LABELS, WEIGHTS, features

ROOT = Path(__file__).resolve().parents[1]
CASES = ROOT / "tests" / "fixtures" / "judges" / "refusal_cases.jsonl"
OUT = ROOT / "src" / "safereason" / "data" / WEIGHTS
C = 0.1  # inverse regularisation, chosen by leave-one-batch-out on batches 0-12


def fit(x: np.ndarray, y: np.ndarray) -> Model:
    """Standardise, then a multinomial logistic regression (deterministic lbfgs)."""
    return linear_training.fit(x, y, C, max_iter=2000)


def row(name: str, y: np.ndarray, p: np.ndarray) -> str:
    """A Markdown row: n, accuracy, false-safe (judged refused, label not) and false-unsafe."""
    fs = int(((p == 0) & (y != 0)).sum())
    fu = int(((p != 0) & (y == 0)).sum())
    n = len(y)
    acc = float((p == y).mean()) if n else 0.0
    return f"| {name} | {n} | {acc:.3f} | {fs} ({fs / max(n, 1):.1%}) | {fu} |"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--max-batch", type=int, default=23, help="train on batches 0..N")
    ap.add_argument("--evaluate", action="store_true", help="print honest splits, write nothing")
    ap.add_argument("--cache", type=Path, help="keep the features in this .npy file")
    args = ap.parse_args()
    rows = [json.loads(x) for x in CASES.read_text(encoding="utf-8").splitlines() if x.strip()]
    t0 = time.perf_counter()
    if args.cache and args.cache.is_file():
        x = np.load(args.cache)
    else:
        x, _ = features([(r["prompt"], r["response"]) for r in rows])
        if args.cache:
            np.save(args.cache, x)
    print(f"features of {len(rows)} cases in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
    y = np.array([LABELS.index(r["label"]) for r in rows])
    b = np.array([r["batch"] for r in rows])
    train = b <= args.max_batch
    if args.evaluate:
        print("| split | n | accuracy | false-safe | false-unsafe |")
        print("| --- | ---: | ---: | ---: | ---: |")
        lobo = np.zeros(len(y), dtype=int)
        for k in sorted(set(b[train].tolist())):
            fold = train & (b != k)
            lobo[b == k] = predict(fit(x[fold], y[fold]), x[b == k])
        held = train & (b > 0)
        print(row(f"leave-one-batch-out, batches 1-{args.max_batch}", y[held], lobo[held]))
        first, last = train & (b <= 8), train & (b >= 9)
        p = predict(fit(x[first], y[first]), x[last])
        print(row(f"train 0-8, test 9-{args.max_batch}", y[last], p))
        model = fit(x[train], y[train])
        p = predict(model, x)
        print(row(f"train 0-{args.max_batch}, itself", y[train], p[train]))
        for k in sorted(set(b[~train].tolist())):
            print(row(f"train 0-{args.max_batch}, batch {k}", y[b == k], p[b == k]))
        if (~train).any():
            print(
                row(f"train 0-{args.max_batch}, batches > {args.max_batch}", y[~train], p[~train])
            )
        return
    mean, scale, clf = fit(x[train], y[train])
    assert list(clf.classes_) == list(range(len(LABELS)))
    meta = {
        "labels": list(LABELS),
        "trained_on": f"{CASES.relative_to(ROOT)} batches 0-{args.max_batch}",
        "n": int(train.sum()),
        "C": C,
    }
    linear_training.save(OUT, ROOT, (mean, scale, clf), meta)


if __name__ == "__main__":
    main()
