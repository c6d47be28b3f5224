"""Throughput through the Ray backend (llama.cpp actors) vs llama-cpp-python alone.

    .venv/bin/python bench/ray_backend.py [--model embedded-small] [--n 24] [--max-tokens 48]

Starts a local Ray cluster first (its start-up is reported, not counted), then answers
the same harmful starter prompts greedily three ways on this machine's cores: one
llama.cpp engine with 2 threads alone; safereason over Ray with 1 actor x 2 threads (the
harness and Ray's overhead, same hardware); and 2 actors x 1 thread (sharding). Loading
the model counts in every row. Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from overhead import engine_alone  # bench/ is on sys.path when a script here runs
from safereason.config import Experiment
from safereason.runner import Runner


def experiment(
    model: str, n: int, max_tokens: int, actors: int, threads: int, out: Path
) -> Experiment:
    """``n`` harmful starter requests over ``actors`` Ray actors, greedy, no cache."""
    return Experiment.model_validate(
        {
            "name": f"bench-ray-{actors}x{threads}",
            "cache": None,
            "output_dir": str(out),
            "models": [
                {
                    "name": model,
                    "backend": "ray",
                    "engine": "llamacpp",
                    "engine_options": {"n_threads": threads},
                    "actors": actors,
                    "cpus_per_actor": 1,
                }
            ],
            "methods": ["none"],
            "benchmarks": [{"name": "harmful_starter", "n": n}],
            "generation": {"max_tokens": max_tokens, "temperature": 0.0, "seed": 0},
            "judges": {"harmful": []},
        }
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--model", default="embedded-small")
    ap.add_argument("--n", type=int, default=24)
    ap.add_argument("--max-tokens", type=int, default=48)
    args = ap.parse_args()
    import ray

    t0 = time.perf_counter()
    ray.init(include_dashboard=False, log_to_driver=False, num_cpus=2)
    start = time.perf_counter() - t0
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        base = experiment(args.model, args.n, args.max_tokens, 1, 2, out)
        rows.append(("llama.cpp alone, 2 threads", engine_alone(base)))
        for actors, threads in ((1, 2), (2, 1)):
            exp = experiment(args.model, args.n, args.max_tokens, actors, threads, out)
            t0 = time.perf_counter()
            outcome = Runner(exp, out / exp.name, progress=False).run()
            rows.append((f"safereason ray, {actors} x {threads} threads", time.perf_counter() - t0))
            assert outcome.generated == args.n
    ray.shutdown()
    print(f"{args.n} requests, {args.model}, max {args.max_tokens} new tokens; ")
    print(f"Ray start-up {start:.1f} s (not counted)\n")
    print("| path | wall s | req/s | vs alone |")
    print("|---|---:|---:|---:|")
    for name, seconds in rows:
        print(f"| {name} | {seconds:.1f} | {args.n / seconds:.2f} | {seconds / rows[0][1]:.3f}x |")


if __name__ == "__main__":
    main()
