"""Speed of the harm_classifier judge: ms per response on the shipped labelled cases.

.venv/bin/python bench/harm_classifier_speed.py
"""

from __future__ import annotations

import json
import time

from safereason.judges.harm_classifier import classify_many

with open("tests/fixtures/judges/harm_cases.jsonl", encoding="utf-8") as fh:
    rows = [json.loads(x) for x in fh if x.strip()]
pairs = [(r["prompt"], r["response"]) for r in rows]
classify_many(pairs[:4])
t = time.perf_counter()
classify_many(pairs)
d = time.perf_counter() - t
print(f"{len(pairs)} responses: {1000 * d / len(pairs):.1f} ms/response")
