"""Wall time of a run with judges overlapping generation vs judging after it.

    .venv/bin/python bench/judge_overlap.py [--n 40] [--gen-ms 100] [--judge-ms 60]

Generator and judge model are the scripted fake backend with a fixed latency per request,
standing in for two remote endpoints (an OpenAI-compatible server and a judge server):
the harness's scheduling is what is measured, not an engine. Judging after generation
costs about gen + judge; overlapped, about max(gen, judge) plus one batch.
Prints a Markdown table; paste it into docs/benchmarks.md with the command line.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

from safereason.config import Experiment
from safereason.runner import Runner


def experiment(n: int, gen_s: float, judge_s: float, overlap: bool, out: Path) -> Experiment:
    """``n`` harmful starter requests; a refusal judge and a guard judge on a slow model."""
    return Experiment.model_validate(
        {
            "name": f"overlap-{overlap}",
            "models": [{"name": "gen", "backend": "fake", "delay_s": gen_s}],
            "methods": ["none"],
            "benchmarks": [{"name": "harmful_starter", "n": n}],
            "judges": {
                "harmful": [
                    "refusal",
                    {
                        "name": "guard",
                        "model": {
                            "name": "judge",
                            "backend": "fake",
                            "default": "safe",
                            "delay_s": judge_s,
                        },
                    },
                ]
            },
            "judge_overlap": overlap,
            "cache": None,
            "output_dir": str(out),
            "batch_size": 4,
        }
    )


def timed_run(exp: Experiment, out: Path) -> float:
    """Seconds for one run from an empty store and an empty judge-reply cache."""
    os.environ["SAFEREASON_CACHE"] = str(out / "cache")
    t0 = time.perf_counter()
    outcome = Runner(exp, out / exp.name, progress=False).run()
    seconds = time.perf_counter() - t0
    assert outcome.generated == outcome.unique_requests and outcome.judged > 0
    return seconds


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--n", type=int, default=40)
    ap.add_argument("--gen-ms", type=float, default=100.0)
    ap.add_argument("--judge-ms", type=float, default=60.0)
    args = ap.parse_args()
    gen_s, judge_s = args.gen_ms / 1000, args.judge_ms / 1000
    rows = []
    for overlap in (False, True):
        with tempfile.TemporaryDirectory() as tmp:
            exp = experiment(args.n, gen_s, judge_s, overlap, Path(tmp))
            rows.append((overlap, timed_run(exp, Path(tmp))))
    serial, both = args.n * (gen_s + judge_s), args.n * max(gen_s, judge_s)
    print(f"{args.n} requests, generation {args.gen_ms:.0f} ms and judge {args.judge_ms:.0f} ms")
    print(f"each; lower bounds: {serial:.2f} s judged after, {both:.2f} s overlapped\n")
    print("| judge_overlap | wall s | vs judged after |")
    print("|---|---:|---:|")
    for overlap, seconds in rows:
        print(f"| {str(overlap).lower()} | {seconds:.2f} | {seconds / rows[0][1]:.2f}x |")


if __name__ == "__main__":
    main()
