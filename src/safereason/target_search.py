"""The search stage: attacks that query the model under test (PAIR, TAP, multi-turn).

It runs after the attack stage and before the plan is built, once per model x method x
benchmark x such attack, over all of that cell's samples. The target is asked through
:class:`StoredTarget`: each request is keyed as the plan keys it (model identity, the
method applied, the benchmark's sampling parameters), read from the run store, then the
shared cache, and generated only when missing, then stored in both, so an interrupted
search resumes without asking any stored query again and the final chosen request is
already stored when the plan lists it. Attacker and evaluator calls go through the run's
model pool, cached in the shared cache (``cache: null``: in the run store).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from rich.console import Console

from safereason import interrupts, plugins
from safereason.backends.factory import ModelHandle, open_backend
from safereason.backends.pool import ModelPool, cache_path
from safereason.config import Experiment
from safereason.errors import SafereasonError
from safereason.hashing import generation_key
from safereason.plan import generation_params, request_params
from safereason.plugins import Backend, TargetAttack
from safereason.store import Store
from safereason.types import Completion, GenParams, Request, Sample

# (model label, method label, benchmark label, attack label, sample id) -> searched sample
Searched = dict[tuple[str, str, str, str, str], Sample]


@dataclass
class _Engine:
    """The model under test, started on its first missing query and stopped after its cells."""

    handle: ModelHandle
    backend: Backend | None = None

    def generate(self, reqs: Sequence[Request]) -> list[Completion]:
        if self.backend is None:
            self.backend = open_backend(self.handle)
        return self.backend.generate(reqs)

    def close(self) -> None:
        if self.backend is not None:
            self.backend.close()
            self.backend = None


@dataclass
class StoredTarget:
    """The model under test for one method and benchmark, asked through the stored path."""

    engine: _Engine
    method: Any
    method_label: str
    base: GenParams
    store: Store
    cache: Store | None
    queries: int = 0
    generated: int = 0
    errors: list[tuple[Request, Completion]] = field(default_factory=list)

    def request(self, sample: Sample) -> Request:
        """The request the plan makes for ``sample`` (its first, for a multi-sample method)."""
        applied = replace(self.method.apply(sample), method=self.method_label)
        params = request_params(self.method, self.base, sample)[0]
        key = generation_key(self.engine.handle.identity, applied, params)
        return Request(key, self.engine.handle.label, applied.messages, params)

    def answer(self, samples: Sequence[Sample]) -> list[Completion]:
        """The target's completion of each sample: stored, cached, or generated now."""
        reqs = [self.request(s) for s in samples]
        self.queries += len(reqs)
        keys = {r.key for r in reqs}
        have = self.store.completions(keys)
        if self.cache is not None and keys - set(have):
            cached = self.cache.completions(keys - set(have))
            by_key = {r.key: r for r in reqs}
            self.store.put_generations([(by_key[k], c) for k, c in cached.items()])
            have.update(cached)
        todo = list({r.key: r for r in reqs if r.key not in have}.values())
        if todo:
            comps = self.engine.generate(todo)
            good = [(r, c) for r, c in zip(todo, comps, strict=True) if c.error is None]
            bad = [(r, c) for r, c in zip(todo, comps, strict=True) if c.error is not None]
            # an engine error is never a generation: the search reads it as no reply
            self.store.put_generations(good)
            if self.cache is not None:
                self.cache.put_generations(good)
            if bad:
                self.store.put_errors(bad)
                self.errors += bad
            self.generated += len(good)
            have.update({c.key: c for c in comps})
        interrupts.check()
        return [have[r.key] for r in reqs]


def target_attacks(exp: Experiment) -> list[tuple[str, str, TargetAttack]]:
    """(benchmark label, attack label, attack) of every attack that queries the target."""
    out = []
    for ref in exp.benchmarks:
        for aref in ref.attacks:
            attack = plugins.attacks.build(aref.name, aref.options)
            if isinstance(attack, TargetAttack):
                out.append((ref.display, aref.display, attack))
    return out


def check_tools(found: Sequence[tuple[str, str, TargetAttack]], models: ModelPool) -> None:
    """Resolve every attacker and evaluator model (weights located, nothing loaded) before
    any target is asked: a missing one is one line naming the attack and its role."""
    for _, label, attack in found:
        for role in ("attacker", "evaluator"):
            spec = getattr(attack, role, None)
            if spec is None or (
                role == "attacker" and getattr(attack, "planner", "") == "schedule"
            ):
                continue
            try:
                _ = models.client(spec).handle
            except SafereasonError as e:
                raise SafereasonError(f"attack {label!r}: its {role} model: {e}") from None


def search_targets(
    exp: Experiment,
    handles: Sequence[ModelHandle],
    samples: dict[str, list[tuple[str, Sample]]],
    pool: ModelPool,
    run_store: Path,
    console: Console | None = None,
) -> Searched:
    """Run every target-querying attack on every model x method; the searched samples."""
    found = target_attacks(exp)
    if not found:
        return {}
    store = Store(run_store)
    cache_file = cache_path(exp.cache, store.path)
    cache = Store(cache_file) if cache_file is not None else None
    # attacker and evaluator calls must be resumable too: without a shared cache, the run
    # store is theirs
    models = pool if pool.cache_path is not None else ModelPool(run_store)
    per_bench = generation_params(exp)
    out: Searched = {}
    try:
        check_tools(found, models)
        for handle in handles:
            engine = _Engine(handle)
            try:
                for mref in exp.methods:
                    method = plugins.methods.build(mref.name, mref.options)
                    for bench, label, attack in found:
                        rows = [s for a, s in samples[bench] if a == label]
                        if not rows:
                            continue
                        if console is not None:
                            console.print(
                                f"search {label} on {handle.label} ({mref.display}, {bench}): "
                                f"{len(rows)} items ...",
                                highlight=False,
                            )
                        target = StoredTarget(
                            engine, method, mref.display, per_bench[bench], store, cache
                        )
                        result = attack.search(rows, target, models)
                        for s0, s1 in zip(rows, result, strict=True):
                            key = (handle.label, mref.display, bench, label, s0.id)
                            out[key] = replace(s1, id=s0.id, attack=label)
            finally:
                engine.close()
    finally:
        if models is not pool:
            models.close()
        store.close()
        if cache is not None:
            cache.close()
    return out
