"""Aggregate tokens/s of batched llama.cpp decoding vs llama-cpp-python single-stream.

    .venv/bin/python bench/llamacpp_parallel.py [--models embedded,embedded-small]
        [--n 16] [--max-tokens 32] [--parallel 1,2,4,8,16] [--repeats 2] [--threads 2]
        [--json FILE]

For each model: one engine is loaded (``--threads`` threads, n_ctx 512), then the same ``n`` harmful
starter prompts are answered greedily by llama-cpp-python's own ``create_chat_completion``
one at a time (KV cache reset before each, the baseline) and by the safereason backend at
each ``parallel``, in a rotated order each repeat so that a drift in the machine's speed
falls on every configuration alike. Aggregate tokens/s = generated tokens / wall seconds
of the whole batch (prompts included). The ratio to the baseline is taken within each
repeat and the median is reported. Also: the process's RSS after each configuration
(its batch context held) and peak RSS, and whether each configuration's texts equal the
baseline's and parallel 1's token for token. Prints a Markdown table per model.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from safereason import plugins
from safereason.backends.llamacpp import LlamaCppBackend
from safereason.models.embedded import EMBEDDED
from safereason.models.resolve import resolve_gguf
from safereason.types import GenParams, Request


def rss_mib(field: str = "VmRSS") -> float:
    """This process's resident memory (``VmHWM``: its peak) in MiB, from /proc."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


def requests(n: int, max_tokens: int) -> list[Request]:
    """``n`` harmful starter prompts as greedy chat requests."""
    samples = plugins.benchmarks.build("harmful_starter", {"n": n}).load()
    params = GenParams(max_tokens=max_tokens, temperature=0.0, seed=0)
    return [Request(f"r{i}", "bench", s.messages, params) for i, s in enumerate(samples)]


def single_stream(backend: LlamaCppBackend, reqs: list[Request]) -> tuple[list[str], int]:
    """llama-cpp-python alone: create_chat_completion per request from an empty cache."""
    llm = backend._llm
    texts, tokens = [], 0
    for r in reqs:
        llm.reset()
        res: Any = llm.create_chat_completion(
            messages=[{"role": m.role, "content": m.content} for m in r.messages],  # type: ignore[misc]
            max_tokens=r.params.max_tokens,
            temperature=r.params.temperature,
            top_p=r.params.top_p,
            seed=r.params.seed,
        )
        texts.append(res["choices"][0]["message"]["content"] or "")
        tokens += int(res["usage"]["completion_tokens"])
    return texts, tokens


def batched(backend: LlamaCppBackend, reqs: list[Request], p: int) -> tuple[list[str], int]:
    """The safereason backend at ``parallel`` p."""
    backend.set_parallel(p)
    out = backend.generate(reqs)
    return [c.text for c in out], sum(c.completion_tokens for c in out)


def bench_model(model: str, args: argparse.Namespace) -> dict[str, Any]:
    path = resolve_gguf(model).path
    backend = LlamaCppBackend(path, n_ctx=512, n_threads=args.threads, parallel=1)
    reqs = requests(args.n, args.max_tokens)
    configs: list[str | int] = ["single", *args.parallel]
    runs: dict[str, list[dict[str, Any]]] = {str(c): [] for c in configs}
    for rep in range(args.repeats):
        order = configs[rep % len(configs) :] + configs[: rep % len(configs)]
        for c in order:
            t0 = time.perf_counter()
            texts, toks = (
                single_stream(backend, reqs) if c == "single" else batched(backend, reqs, int(c))
            )
            wall = time.perf_counter() - t0
            runs[str(c)].append(
                {
                    "wall_s": wall,
                    "tokens": toks,
                    "tok_s": toks / wall,
                    "rss_mib": rss_mib(),
                    "texts": texts,
                    "repeat": rep,
                }
            )
            print(f"{model} repeat {rep} {c}: {toks} tokens in {wall:.1f} s", flush=True)
    base_texts = runs["single"][0]["texts"]
    p1_texts = runs[str(args.parallel[0])][0]["texts"]
    rows = []
    for c in configs:
        rs = runs[str(c)]
        ratios = [r["tok_s"] / b["tok_s"] for r, b in zip(rs, runs["single"], strict=True)]
        rows.append(
            {
                "config": str(c),
                "tok_s": statistics.median(r["tok_s"] for r in rs),
                "ratio": statistics.median(ratios),
                "ratios": ratios,
                "rss_mib": max(r["rss_mib"] for r in rs),
                "same_as_single": sum(
                    a == b for a, b in zip(rs[0]["texts"], base_texts, strict=True)
                ),
                "same_as_p1": sum(a == b for a, b in zip(rs[0]["texts"], p1_texts, strict=True)),
                "stable": all(r["texts"] == rs[0]["texts"] for r in rs),
            }
        )
    backend.close()
    return {"model": model, "n": len(reqs), "rows": rows, "peak_rss_mib": rss_mib("VmHWM")}


def table(result: dict[str, Any]) -> str:
    n = result["n"]
    lines = [
        f"{result['model']} ({n} requests; process peak RSS {result['peak_rss_mib']:.0f} MiB)",
        "",
        "| decoding | tokens/s | vs single-stream | RSS MiB | texts = single-stream | "
        "texts = parallel 1 |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for r in result["rows"]:
        name = (
            "llama-cpp-python single-stream"
            if r["config"] == "single"
            else (f"parallel {r['config']}")
        )
        lines.append(
            f"| {name} | {r['tok_s']:.1f} | {r['ratio']:.2f}x | {r['rss_mib']:.0f} | "
            f"{r['same_as_single']}/{n} | {r['same_as_p1']}/{n} |"
        )
    return "\n".join(lines)


def write_data(path: Path, result: dict[str, Any], threads: int, command: str) -> None:
    """Merge a model's ratios into the figures the ``--dry-run`` estimate ships with."""
    data = json.loads(path.read_text()) if path.exists() else {"models": {}}
    data["command"] = command
    data["models"][result["model"]] = {
        "sha256": EMBEDDED[result["model"]].sha256,
        "ratio": {
            r["config"]: round(r["ratio"], 3) for r in result["rows"] if r["config"] != "single"
        },
        "single_stream_tok_s": round(result["rows"][0]["tok_s"], 2),
        "threads": threads,
        "measured": time.strftime("%Y-%m-%d"),
    }
    path.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", default="embedded,embedded-small")
    ap.add_argument("--n", type=int, default=16)
    ap.add_argument("--max-tokens", type=int, default=32)
    ap.add_argument("--parallel", default="1,2,4,8,16")
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--json", type=Path, default=None)
    ap.add_argument(
        "--write-data",
        type=Path,
        default=None,
        help="merge the ratios into this file (src/safereason/data/llamacpp_parallel.json)",
    )
    args = ap.parse_args()
    args.parallel = [int(x) for x in args.parallel.split(",")]
    results = []
    for m in args.models.split(","):  # each model's table as soon as it is measured
        results.append(bench_model(m, args))
        print("\n" + table(results[-1]) + "\n", flush=True)
        if args.json is not None:
            args.json.write_text(json.dumps(results, indent=1))
        if args.write_data is not None:
            command = "python bench/llamacpp_parallel.py " + " ".join(sys.argv[1:])
            write_data(args.write_data, results[-1], args.threads, command)


if __name__ == "__main__":
    main()
