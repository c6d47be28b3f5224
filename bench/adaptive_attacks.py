"""Queries and wall time per item of PAIR and TAP at their default budgets on a CPU.

    .venv/bin/python bench/adaptive_attacks.py [--n 3] [--model embedded-small] [--max-tokens 64]
        [--attacker-max-tokens 256] [--attacks pair,tap]

Target, attacker and evaluator are the same GGUF model (``embedded-small`` by default) on
llama.cpp; each attack runs from an empty run store with no shared cache, so every query
is generated. Per item: target queries, attacker and evaluator calls (from the items'
``meta.attack`` records), and the wall time of the whole run (search, the item's request,
judging) divided by the items. A second run of the same experiment shows what resuming
costs: nothing is generated again. Prints a Markdown table for docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path
from statistics import mean
from typing import Any

from safereason.config import Experiment
from safereason.runner import Runner
from safereason.store import Store


def experiment(
    attack: str, n: int, model: str, max_tokens: int, attacker_tokens: int, out: Path
) -> Experiment:
    """``n`` harmful starter items under one attack at its default budget."""
    entry = {"name": model, "n_ctx": 4096}
    tools = {"attacker": entry, "evaluator": entry, "attacker_max_tokens": attacker_tokens}
    return Experiment.model_validate(
        {
            "name": attack,
            "models": [entry],
            "methods": ["direct"],
            "benchmarks": [
                {
                    "name": "harmful_starter",
                    "n": n,
                    "attacks": [{"name": attack, "label": attack, **tools}],
                }
            ],
            "judges": {"harmful": ["refusal"]},
            "generation": {"max_tokens": max_tokens},
            "cache": None,
            "output_dir": str(out),
        }
    )


def measure(
    attack: str, n: int, model: str, max_tokens: int, attacker_tokens: int, out: Path
) -> dict[str, Any]:
    """One run from an empty store, then a resumed one; per-item costs."""
    exp = experiment(attack, n, model, max_tokens, attacker_tokens, out)
    t0 = time.perf_counter()
    Runner(exp, out / attack, progress=False).run()
    seconds = time.perf_counter() - t0
    t1 = time.perf_counter()
    again = Runner(exp, out / attack, progress=False).run()
    resumed = time.perf_counter() - t1
    store = Store(out / attack / "store.sqlite")
    infos = [r.sample.meta["attack"] for r in store.results()]
    store.close()
    return {
        "attack": attack,
        "items": len(infos),
        "queries": mean(i["queries"] for i in infos),
        "attacker": mean(i["attacker_queries"] for i in infos),
        "evaluator": mean(i["evaluator_queries"] for i in infos),
        "success": sum(bool(i["success"]) for i in infos),
        "s_per_item": seconds / len(infos),
        "rerun_s": resumed,
        "rerun_generated": again.generated,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=3, help="items (harmful_starter)")
    ap.add_argument("--model", default="embedded-small")
    ap.add_argument("--max-tokens", type=int, default=64, help="the target's max_tokens")
    ap.add_argument("--attacker-max-tokens", type=int, default=256, help="the attacker's")
    ap.add_argument("--attacks", default="pair,tap")
    args = ap.parse_args()
    print(
        "| attack (defaults) | items | target queries / item | attacker calls / item | "
        "evaluator calls / item | internal successes | wall s / item | re-run s "
        "(generated) |"
    )
    print("|---|---|---|---|---|---|---|---|", flush=True)
    for a in args.attacks.split(","):
        with tempfile.TemporaryDirectory() as tmp:
            r = measure(
                a, args.n, args.model, args.max_tokens, args.attacker_max_tokens, Path(tmp) / a
            )
        print(
            f"| {r['attack']} | {r['items']} | {r['queries']:.1f} | {r['attacker']:.1f} | "
            f"{r['evaluator']:.1f} | {r['success']} of {r['items']} | {r['s_per_item']:.1f} | "
            f"{r['rerun_s']:.1f} ({r['rerun_generated']}) |",
            flush=True,
        )


if __name__ == "__main__":
    main()
