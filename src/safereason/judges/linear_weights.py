"""Weights of a shipped linear classifier (scaler, coefficients, meta), read with numpy."""

from __future__ import annotations

import json
from importlib.resources import files
from typing import Any

import numpy as np

from safereason.errors import SafereasonError


def load_weights(name: str, judge: str, script: str) -> dict[str, Any]:
    """``mean``, ``scale``, ``coef``, ``intercept`` and the training ``meta`` of ``data/<name>``."""
    path = files("safereason") / "data" / name
    if not path.is_file():
        raise SafereasonError(f"judge {judge}: data/{name} is missing; run bench/{script}")
    with path.open("rb") as fh:
        z = dict(np.load(fh, allow_pickle=False))
    return {
        "mean": z["mean"],
        "scale": z["scale"],
        "coef": z["coef"],
        "intercept": z["intercept"],
        "meta": json.loads(str(z["meta"])),
    }
