"""Expand an experiment into plan items: one per model x method x benchmark sample x attack."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from safereason import plugins
from safereason.backends.factory import ModelHandle
from safereason.backends.factory import engine as backend_engine
from safereason.config import Experiment
from safereason.errors import SafereasonError
from safereason.hashing import content_key, generation_key
from safereason.plugins import Attack, ModelAttack, ModelSource
from safereason.registry import spec_of
from safereason.types import GenParams, Request, Sample


@dataclass(frozen=True)
class PlanItem:
    """One cell of the grid for one sample, and the request that answers it."""

    item_id: str
    model: str
    method: str
    benchmark: str
    attack: str
    sample: Sample
    requests: tuple[Request, ...]
    gen_key: str
    method_impl: Any = None

    @property
    def request(self) -> Request:
        """The first (usually only) request."""
        return self.requests[0]


def load_samples(exp: Experiment, models: ModelSource) -> dict[str, list[tuple[str, Sample]]]:
    """Every benchmark's samples after its attacks: {benchmark label: [(attack, sample)]}.

    The size of the plan is checked (:func:`check_size`) before any benchmark is loaded,
    again with the samples' real numbers before any attack runs, and the benchmarks'
    samples must not be empty. This is the attack stage: an attack that calls a model gets
    all of a benchmark's samples at once and asks its attacker in one batch through
    ``models`` (the run's pool, whose owner releases the attackers' engines before the
    models under test load).
    """
    check_size(exp)
    base: dict[str, list[Sample]] = {}
    for ref in exp.benchmarks:
        bench = plugins.benchmarks.build(ref.name, ref.options)
        samples = bench.load()
        if not samples:
            raise SafereasonError(
                f"benchmark {ref.display!r} has no samples{_why_empty(ref.options)}; "
                f"a benchmark must give at least one"
            )
        base[ref.display] = samples
    check_size(exp, {k: len(v) for k, v in base.items()})
    out: dict[str, list[tuple[str, Sample]]] = {}
    for ref in exp.benchmarks:
        rows: list[tuple[str, Sample]] = []
        for aref in ref.attacks:
            attack = plugins.attacks.build(aref.name, aref.options)
            samples = base[ref.display]
            for s, variants in zip(samples, attacked(attack, samples, models), strict=True):
                for k, v in enumerate(variants):
                    sid = s.id if len(variants) == 1 else f"{s.id}#{k}"
                    rows.append((aref.display, replace(v, id=sid, attack=aref.display)))
        out[ref.display] = rows
    return out


def skipped(sample: Sample) -> bool:
    """Whether the sample's attack left it out of the plan (e.g. no pre-generated
    jailbreak for it, under ``on_missing: skip``): counted, never sent."""
    info = sample.meta.get("attack")
    return isinstance(info, dict) and bool(info.get("skipped"))


def skipped_counts(samples: dict[str, list[tuple[str, Sample]]]) -> list[dict[str, Any]]:
    """Per benchmark and attack, the samples the attack left out of the plan: how many of
    how many, why, and their ids (what the run manifest records as ``meta.skipped``)."""
    cells: dict[tuple[str, str], list[Sample]] = {}
    totals: dict[tuple[str, str], int] = {}
    for bench, rows in samples.items():
        for attack, s in rows:
            totals[(bench, attack)] = totals.get((bench, attack), 0) + 1
            if skipped(s):
                cells.setdefault((bench, attack), []).append(s)
    return [
        {
            "benchmark": bench,
            "attack": attack,
            "skipped": len(left),
            "of": totals[(bench, attack)],
            "reason": str(left[0].meta["attack"].get("reason", "")),
            "sample_ids": [s.id for s in left],
        }
        for (bench, attack), left in cells.items()
    ]


def _why_empty(options: dict[str, Any]) -> str:
    if options.get("n") == 0:
        return " (n: 0)"
    filters = {k: v for k, v in options.items() if k not in ("n", "seed", "path", "split")}
    return f" (after its filters {filters})" if filters else ""


def size_bound(bench: Any) -> int | None:
    """At most how many samples a benchmark gives, known before loading it (``None``: not
    known until it is read). A benchmark that generates its samples (whose ``n`` is not
    capped by a file) says so with ``size_bound()``; a file-backed one is counted once
    read (a large ``n`` there takes every row, it builds nothing more)."""
    hook = getattr(bench, "size_bound", None)
    if callable(hook):
        value = hook()
        return None if value is None else int(value)
    return None


def plan_size(exp: Experiment, samples: dict[str, int] | None = None) -> tuple[int, str]:
    """The number of generation requests the grid makes (a lower bound where a benchmark's
    size is not known yet) and how it is made up, in words.

    ``samples``: each benchmark's real number of samples (by label), once loaded.
    """
    per_model = 0
    parts = []
    methods = [plugins.methods.build(m.name, m.options) for m in exp.methods]
    n_samples = sum(
        own if (own := int(getattr(m, "n_samples", 1))) > 1 else exp.generation.samples
        for m in methods
    )
    for ref in exp.benchmarks:
        if samples is not None:
            n: int | None = samples[ref.display]
        else:
            n = size_bound(plugins.benchmarks.build(ref.name, ref.options))
        if n is None:
            continue
        variants = sum(requests_per_sample(a.name, a.options) for a in ref.attacks)
        per_model += n * variants
        parts.append(f"{ref.display}: {n:,} samples x {variants} attack variants")
    total = len(exp.models) * n_samples * per_model
    how = (
        f"{len(exp.models)} models x {n_samples:,} requests per sample over "
        f"{len(exp.methods)} methods x ({'; '.join(parts) or 'no sizes known yet'})"
    )
    return total, how


def requests_per_sample(name: str, options: dict[str, Any]) -> int:
    """How many requests an attack makes of each sample: its variants, or for an attack
    that queries the target, the most queries its search may make (``query_bound()``)."""
    attack = plugins.attacks.build(name, options)
    bound = getattr(attack, "query_bound", None)
    if callable(bound):
        return max(1, int(bound()))
    return max(1, int(getattr(attack, "n_variants", 1)))


def check_size(exp: Experiment, samples: dict[str, int] | None = None) -> int:
    """Refuse, in one line and before it is built, a plan of more than ``max_requests``
    generation requests (e.g. an absurd ``n``); returns the size known so far."""
    total, how = plan_size(exp, samples)
    if total > exp.max_requests:
        raise SafereasonError(
            f"the plan is too big: {total:,} generation requests ({how}), more than "
            f"max_requests={exp.max_requests:,}; lower n (or the grid), or raise max_requests "
            f"if this machine can hold it"
        )
    return total


def attacked(attack: Attack, samples: Sequence[Sample], models: ModelSource) -> list[list[Sample]]:
    """The attacked variants of each sample: batched through ``models`` for a model attack."""
    if isinstance(attack, ModelAttack):
        return attack.apply_batch(samples, models)
    return [attack.apply(s) for s in samples]


def build_plan(
    exp: Experiment,
    models: Sequence[ModelHandle],
    samples: dict[str, list[tuple[str, Sample]]] | None = None,
    searched: Mapping[tuple[str, str, str, str, str], Sample] | None = None,
) -> list[PlanItem]:
    """The full grid, in a stable order (model, method, benchmark, attack, sample).

    Without ``samples`` they are loaded with a model pool of their own over the
    experiment's cache (the runner passes the attack stage's). ``searched``: the samples
    the search stage found per (model, method, benchmark, attack, sample id), for the
    attacks that query the target (``target_search.py``); they replace the start point.
    """
    if samples is None:
        from safereason.backends.pool import ModelPool

        with ModelPool.for_setting(exp.cache) as pool:
            samples = load_samples(exp, pool)
    per_bench = generation_params(exp)
    found = searched or {}
    items: list[PlanItem] = []
    for model in models:
        for mref in exp.methods:
            method = plugins.methods.build(mref.name, mref.options)
            for bench_label, rows in samples.items():
                for attack_label, s in rows:
                    if skipped(s):
                        continue
                    s = found.get((model.label, mref.display, bench_label, attack_label, s.id), s)
                    applied = replace(method.apply(s), method=mref.display)
                    reqs = tuple(
                        Request(
                            key=generation_key(model.identity, applied, p),
                            model=model.label,
                            messages=applied.messages,
                            params=p,
                        )
                        for p in request_params(method, per_bench[bench_label], s)
                    )
                    voted = len(reqs) > 1  # a method's own k samples, aggregated (a vote)
                    if not voted and exp.generation.samples > 1:
                        reqs = resampled(reqs[0], exp.generation.samples, model.identity, applied)
                    gen_key = aggregate_key(method, reqs) if voted else reqs[0].key
                    item_id = content_key(
                        [model.label, mref.display, bench_label, attack_label, s.id]
                    )
                    items.append(
                        PlanItem(
                            item_id,
                            model.label,
                            mref.display,
                            bench_label,
                            attack_label,
                            applied,
                            reqs,
                            gen_key,
                            method if voted else None,
                        )
                    )
    return items


def method_params(method: Any, base: GenParams) -> list[GenParams]:
    """The sampling parameters of each request a method makes per sample (usually one)."""
    n = int(getattr(method, "n_samples", 1))
    hook = getattr(method, "params", None)
    return [hook(base, i) if hook else base for i in range(n)]


def request_params(method: Any, base: GenParams, sample: Sample) -> list[GenParams]:
    """:func:`method_params` for an attacked sample: an attack that sets a thinking budget
    (``meta["attack"]["thinking_budget"]``, e.g. ``thinking_pressure``) sets it on each."""
    info = sample.meta.get("attack")
    budget = info.get("thinking_budget") if isinstance(info, dict) else None
    params = method_params(method, base)
    return [replace(p, thinking_budget=int(budget)) for p in params] if budget else params


def generation_params(exp: Experiment) -> dict[str, GenParams]:
    """Each benchmark's sampling parameters (the experiment's, its own ``max_tokens``)."""
    base = GenParams(
        max_tokens=exp.generation.max_tokens,
        temperature=exp.generation.temperature,
        top_p=exp.generation.top_p,
        seed=exp.generation.seed,
        stop=tuple(exp.generation.stop),
    )
    return {
        b.display: replace(base, max_tokens=b.max_tokens) if b.max_tokens else base
        for b in exp.benchmarks
    }


def resampled(first: Request, k: int, identity: Any, sample: Sample) -> tuple[Request, ...]:
    """``first`` and k - 1 more draws of it (the experiment's ``samples: k``): draw i carries
    its index in the key and seed + i, so each is a generation of its own, stored, cached
    and resumed under its own key."""
    out = [first]
    for i in range(1, k):
        p = replace(first.params, seed=first.params.seed + i, sample=i)
        out.append(replace(first, key=generation_key(identity, sample, p), params=p))
    return tuple(out)


def aggregate_key(method: Any, reqs: tuple[Request, ...]) -> str:
    """The key of a multi-sample method's aggregated completion (e.g. a majority vote)."""
    return content_key({"aggregate": spec_of(method), "of": [r.key for r in reqs]})


def check_capabilities(exp: Experiment) -> None:
    """Refuse, before any work, a method that a model's backend cannot honour (one line)."""
    from safereason.backends.factory import capabilities

    probe = Sample.from_prompt("probe", "probe", "benign", "probe")
    base = GenParams(max_tokens=exp.generation.max_tokens)
    checks: list[tuple[str, list[str]]] = []
    for mref in exp.methods:
        method = plugins.methods.build(mref.name, mref.options)
        needs = []
        if any(p.thinking_budget is not None for p in method_params(method, base)):
            needs.append("thinking_budget")
        if method.apply(probe).messages[-1].role == "assistant":
            needs.append("prefill")
        checks.append((f"method {mref.display!r}", needs))
    for bref in exp.benchmarks:
        for aref in bref.attacks:
            attack = plugins.attacks.build(aref.name, aref.options)
            if isinstance(attack, ModelAttack):
                continue  # its rewrite is a user turn
            out = attack.apply(probe)
            budget = any(request_params(None, base, s)[0].thinking_budget for s in out)
            prefill = any(s.messages[-1].role == "assistant" for s in out)
            needs = ["thinking_budget"] * budget + ["prefill"] * prefill
            checks.append((f"attack {aref.display!r}", needs))
    for what, needs in checks:
        for ref in exp.models:
            missing = [n for n in needs if not getattr(capabilities(ref), n)]
            if missing:
                able = [
                    b
                    for b in plugins.backends.names()
                    if all(getattr(backend_engine(b).capabilities, n) for n in missing)
                ]
                raise SafereasonError(
                    f"model {ref.display!r}: backend {ref.backend!r} cannot honour "
                    f"{' and '.join(missing)} ({what}); backends that can: "
                    f"{', '.join(able) or 'none'}"
                )
