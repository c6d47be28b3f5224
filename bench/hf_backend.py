"""Throughput through the transformers (hf) backend vs transformers alone, same requests.

    .venv/bin/python bench/hf_backend.py [--n 24] [--max-tokens 32] [--batch-size 8] [--repeats 2]

Loads `embedded-small` (SmolLM2-135M GGUF, dequantized to fp32 by transformers) both
ways, answers the same harmful starter prompts greedily in left-padded batches, and
prints requests/s, tokens/s and their ratio as a Markdown table. Model loading is
timed separately and left out of the rates.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path
from typing import Any

from safereason.backends.factory import open_backend, prepare_model
from safereason.config import Experiment
from safereason.plan import build_plan
from safereason.runner import Runner


def experiment(n: int, max_tokens: int, batch: int, out: Path) -> Experiment:
    """``n`` harmful starter requests through the hf backend, greedy, no cache."""
    return Experiment.model_validate(
        {
            "name": "bench-hf",
            "cache": None,
            "output_dir": str(out),
            "models": [
                {"name": "embedded-small", "backend": "hf", "device": "cpu", "batch_size": batch}
            ],
            "methods": ["none"],
            "benchmarks": [{"name": "harmful_starter", "n": n}],
            "generation": {"max_tokens": max_tokens, "temperature": 0.0},
            "judges": {"harmful": []},
        }
    )


def engine_alone(exp: Experiment, batch: int) -> tuple[float, float, int]:
    """transformers by hand: (load s, generate s, new tokens) on the same prompts."""
    import torch
    import transformers

    handle = prepare_model(exp.models[0])
    plan = build_plan(exp, [handle])
    t0 = time.perf_counter()
    path, gguf = str(handle.path), handle.options["gguf_file"]
    tok: Any = transformers.AutoTokenizer.from_pretrained(path, gguf_file=gguf)
    lm: Any = transformers.AutoModelForCausalLM.from_pretrained(
        path, gguf_file=gguf, dtype=torch.float32
    )
    tok.padding_side = "left"
    if tok.pad_token is None:
        tok.pad_token = tok.eos_token
    load = time.perf_counter() - t0
    prompts = [
        tok.apply_chat_template(
            [{"role": m.role, "content": m.content} for m in p.request.messages],
            tokenize=False,
            add_generation_prompt=True,
        )
        for p in plan
    ]
    max_new = plan[0].request.params.max_tokens
    t0, new_tokens = time.perf_counter(), 0
    for i in range(0, len(prompts), batch):
        enc = tok(
            prompts[i : i + batch], return_tensors="pt", padding=True, add_special_tokens=False
        )
        with torch.inference_mode():
            out = lm.generate(
                **enc, max_new_tokens=max_new, do_sample=False, pad_token_id=tok.pad_token_id
            )
        for row in out[:, enc["input_ids"].shape[1] :].tolist():
            ends = [k for k, t in enumerate(row) if t in (tok.eos_token_id, tok.pad_token_id)]
            new_tokens += ends[0] if ends else len(row)
    return load, time.perf_counter() - t0, new_tokens


def through_safereason(exp: Experiment, out: Path) -> tuple[float, float, int]:
    """The same requests as a safereason run: (load s, generate-and-store s, new tokens).

    The run's clock for generation starts when its backend has loaded (a wrapper around
    the runner's ``open_backend`` notes the moment).
    """
    import safereason.runner as runner_mod
    from safereason.store import Store

    loaded: list[float] = []

    def opening(handle: Any) -> Any:
        backend = open_backend(handle)
        loaded.append(time.perf_counter())
        return backend

    runner_mod.open_backend = opening  # type: ignore[assignment]
    t0 = time.perf_counter()
    outcome = Runner(exp, out / exp.name, progress=False).run()
    end = time.perf_counter()
    store = Store(out / exp.name / "store.sqlite")
    toks = sum(r["completion"]["completion_tokens"] for r in store.results())
    store.close()
    assert outcome.generated == outcome.unique_requests
    return loaded[0] - t0, end - loaded[0], toks


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--n", type=int, default=24)
    ap.add_argument("--max-tokens", type=int, default=32)
    ap.add_argument("--batch-size", type=int, default=8)
    ap.add_argument("--repeats", type=int, default=2)
    args = ap.parse_args()
    runs: dict[str, list[tuple[float, float, int]]] = {"alone": [], "ours": []}
    for _ in range(args.repeats):  # alternating, best of each: CPU timings drift
        with tempfile.TemporaryDirectory() as tmp:
            exp = experiment(args.n, args.max_tokens, args.batch_size, Path(tmp))
            runs["alone"].append(engine_alone(exp, args.batch_size))
            runs["ours"].append(through_safereason(exp, Path(tmp)))
    alone, ours = (min(runs[k], key=lambda r: r[1]) for k in ("alone", "ours"))
    print(
        f"{args.n} requests, max {args.max_tokens} new tokens, batch {args.batch_size}, "
        f"best of {args.repeats}\n"
    )
    print("| path | load s | generate s | req/s | new tok/s |")
    print("|---|---:|---:|---:|---:|")
    for name, (load, gen, toks) in (("transformers alone", alone), ("safereason hf", ours)):
        print(f"| {name} | {load:.1f} | {gen:.1f} | {args.n / gen:.2f} | {toks / gen:.1f} |")
    print(f"\nsafereason / alone, generate time: {ours[1] / alone[1]:.3f}x")


if __name__ == "__main__":
    main()
