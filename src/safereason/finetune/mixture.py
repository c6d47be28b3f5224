"""Build a seeded data mixture with exact counts, disjoint from the evaluation prompts.

Counts. The safety share is ``round_half_up(size * ratio)`` examples; the rest is split
over the sources in proportion to their weights by the largest-remainder method (each
source first gets the floor of its quota, then the leftover examples go one each to
the largest fractional parts, ties to the earlier source). The counts always add up to
``size`` exactly; e.g. size 10, ratio 0.05 -> 1 safety example (0.5 rounds up).

Draws. Each source is read in a seeded random order; records that match a holdout
prompt (exactly or as a near duplicate) are skipped and counted. A source read in full
is filtered as a whole first, so its counts cover every record; a generated source
(procedural) is checked as it is drawn. A source with too few usable records is an
error unless it allows ``repeat`` (drawn again in a new order, ids suffixed ``~2``...).
The final mixture is checked once more and shuffled; any holdout prompt left is an error.

Canaries (``data.canaries``) are rows on top of ``size``: each secret ``repeats`` times,
recorded with its secret under ``canaries`` in mixture.json and the manifest.

Regeneration (``data.regenerate`` with a ``teacher``): the drawn examples of every source
get the teacher's responses under a prompting method (``regenerate.py``), after the draw
and the holdout check, so counts and exclusions are those of the source itself.
"""

from __future__ import annotations

import math
import random
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from safereason.errors import SafereasonError
from safereason.finetune.canaries import canary_rows, make_canaries
from safereason.finetune.config import DataSpec, teacher_ref
from safereason.finetune.examples import Example, Pool, SystemPrompt, ThinkTags
from safereason.finetune.holdout import Holdout
from safereason.finetune.regenerate import Regenerator
from safereason.hashing import content_key

ROUNDING = (
    "safety = floor(size * ratio + 0.5); the rest split over sources by weight with "
    "the largest-remainder method (ties to the earlier source); counts sum to size"
)


def allocate(size: int, ratio: float, weights: Sequence[float]) -> tuple[int, list[int]]:
    """``(safety count, per-source counts)``, adding up to ``size`` exactly."""
    safety = min(size, math.floor(size * ratio + 0.5))
    rest = size - safety
    if not weights:
        if rest:
            raise SafereasonError(f"{rest} reasoning examples are needed but no source is given")
        return safety, []
    total = sum(weights)
    quotas = [rest * w / total for w in weights]
    counts = [math.floor(q) for q in quotas]
    left = rest - sum(counts)
    order = sorted(range(len(quotas)), key=lambda i: (-(quotas[i] - counts[i]), i))
    for i in order[:left]:
        counts[i] += 1
    return safety, counts


@dataclass
class Draw:
    """What drawing from one source took and skipped."""

    examples: list[Example]
    available: int
    examined: int = 0
    excluded: Counter[str] = field(default_factory=Counter)
    repeated: int = 0


def draw(pool: Pool, n: int, seed: str, holdout: Holdout, repeat: bool, what: str) -> Draw:
    """``n`` examples from ``pool`` in a seeded order, none of them in ``holdout``."""
    rng = random.Random(seed)
    order = list(range(pool.size))
    rng.shuffle(order)
    d = Draw([], pool.size)
    usable: list[Example] = []
    if pool.items is not None:  # read in full: filter all of it, then take the first n
        for i in order:
            ex = pool.items[i]
            hit = holdout.match(ex.prompt)
            d.examined += 1
            if hit:
                d.excluded[hit] += 1
            else:
                usable.append(ex)
        picked = usable[:n]
    else:
        picked = []
        for i in order:
            if len(picked) == n:
                break
            got = pool.get(i)
            d.examined += 1
            if got is None:
                d.excluded["malformed"] += 1
                continue
            hit = holdout.match(got.prompt)
            if hit:
                d.excluded[hit] += 1
            else:
                picked.append(got)
        usable = picked
    if len(picked) < n:
        if not repeat or not usable:
            raise SafereasonError(
                f"{what}: {len(usable)} usable examples (of {pool.size}, after the holdout), "
                f"but the mixture needs {n}; lower data.size or its weight, add data, "
                f"or set `repeat: true` on it"
            )
        round_no = 1
        while len(picked) < n:
            round_no += 1
            again = list(usable)
            rng.shuffle(again)
            for ex in again[: n - len(picked)]:
                picked.append(replace(ex, id=f"{ex.id}~{round_no}"))
                d.repeated += 1
    d.examples = picked
    return d


@dataclass
class Mixture:
    """The training rows (chat prompt/completion) and what went into them."""

    rows: list[dict[str, Any]]
    stats: dict[str, Any]


def load_holdout(spec: DataSpec) -> tuple[Holdout, list[dict[str, Any]]]:
    """The evaluation prompts to keep out, with a summary per benchmark."""
    from safereason import plugins

    prompts: list[str] = []
    summary = []
    for ref in spec.holdout:
        samples = plugins.benchmarks.build(ref.name, ref.options).load()
        prompts.extend(s.prompt for s in samples)
        summary.append({"benchmark": ref.name, **ref.options, "prompts": len(samples)})
    return Holdout(prompts, spec.near_duplicate), summary


def build_mixture(
    spec: DataSpec,
    system_prompt: SystemPrompt = "drop",
    log: Callable[[str], None] = lambda s: None,
) -> Mixture:
    """Read the sources, draw the counts, write the safety responses, check, shuffle."""
    tags = ThinkTags(spec.think.open, spec.think.close)
    holdout, holdout_summary = load_holdout(spec)
    n_safety, counts = allocate(spec.size, spec.safety.ratio, [s.weight for s in spec.sources])
    rows: list[dict[str, Any]] = []
    source_stats = []
    regen = _regenerator(spec)
    try:
        for k, n in enumerate(counts):
            src_rows, stats = _source_rows(spec, k, n, holdout, tags, system_prompt, log, regen)
            rows.extend(src_rows)
            source_stats.append(stats)
    finally:
        if regen is not None:  # the teacher is freed before anything else loads
            regen.models.close()
    safety_rows, safety = _safety_rows(spec, n_safety, holdout, tags, system_prompt, log)
    rows.extend(safety_rows)
    canaries = make_canaries(spec.canaries, spec.seed) if spec.canaries.count else None
    planted = canary_rows(canaries) if canaries else []
    rows.extend(planted)
    holdout_stats = _check_holdout(rows, holdout, holdout_summary, [*source_stats, safety], spec)
    random.Random(f"{spec.seed}:shuffle").shuffle(rows)
    if len(rows) != spec.size + len(planted):  # pragma: no cover - allocate() and draw() do
        raise AssertionError(f"mixture has {len(rows)} rows, expected {spec.size}")
    stats = {
        "size": spec.size,
        "seed": spec.seed,
        "rounding": ROUNDING,
        "think_tags": {"open": tags.open, "close": tags.close},
        "system_prompt": system_prompt,
        "sources": source_stats,
        "safety": safety,
        "holdout": holdout_stats,
        "sha256": content_key(rows),
    }
    if regen is not None:
        stats["regenerate"] = regen.describe()
    if canaries:  # the secrets, for canary_extraction and canary-exposure
        stats["canaries"] = {**canaries, "rows": len(planted)}
    return Mixture(rows, stats)


def _source_rows(
    spec: DataSpec,
    k: int,
    n: int,
    holdout: Holdout,
    tags: ThinkTags,
    system_prompt: SystemPrompt,
    log: Callable[[str], None],
    regen: Regenerator | None = None,
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The rows ``n`` draws from source ``k`` give, and what the draw took and skipped."""
    from safereason.finetune.sources import sources

    ref = spec.sources[k]
    label = ref.label or ref.name
    stats: dict[str, Any] = {
        "name": ref.name,
        "label": label,
        "options": ref.options,
        "weight": ref.weight,
        "count": 0,
    }
    if n == 0:
        return [], stats
    log(f"reading source {label} ({n} examples)")
    pool = sources.build(ref.name, ref.options).load()
    d = draw(
        pool,
        n,
        f"{spec.seed}:{k}:{ref.name}",
        holdout,
        ref.repeat,
        f"data.sources[{k}] ({label})",
    )
    examples = d.examples
    if regen is not None:
        log(f"regenerating {len(examples)} responses of {label} with the teacher")
        before = regen.stats["regenerated"]
        examples = regen.regenerate(examples, f"data.sources[{k}] ({label})")
        stats["regenerated"] = regen.stats["regenerated"] - before
    rows = [replace(ex, source=label).row(tags, system_prompt) for ex in examples]
    stats.update(
        {
            "count": len(rows),
            "available": d.available,
            "examined": d.examined,
            "skipped_malformed": pool.skipped + d.excluded["malformed"],
            "excluded_exact": d.excluded["exact"],
            "excluded_near": d.excluded["near"],
            "repeated": d.repeated,
            "with_reasoning": sum(1 for ex in examples if ex.reasoning),
            "sha256": content_key(rows),
        }
    )
    return rows, stats


def _regenerator(spec: DataSpec) -> Regenerator | None:
    """The teacher that rewrites the sources' responses, over the shared cache (or none)."""
    if spec.regenerate.teacher is None:
        return None
    from safereason.backends.pool import ModelPool

    return Regenerator(spec.regenerate, spec.seed, ModelPool.for_setting("default"))


def _safety_rows(
    spec: DataSpec,
    n_safety: int,
    holdout: Holdout,
    tags: ThinkTags,
    system_prompt: SystemPrompt,
    log: Callable[[str], None],
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """``n_safety`` safety rows (harmful prompts with their responses) and their summary."""
    from safereason.finetune.safety import Responder, harmful_pool

    safety: dict[str, Any] = {"style": spec.safety.style, "ratio": spec.safety.ratio, "count": 0}
    if not n_safety:
        return [], safety
    s = spec.safety
    log(f"building {n_safety} {s.style} safety examples")
    pool = harmful_pool(s.benchmarks)
    d = draw(pool, n_safety, f"{spec.seed}:safety", holdout, s.repeat, "data.safety")
    teacher = teacher_ref(s.teacher) if s.teacher is not None else None
    responder = Responder(s.style, spec.seed, teacher, s.teacher_max_tokens, s.verify)
    examples = responder.respond(d.examples)
    rows = [ex.row(tags, system_prompt) for ex in examples]
    safety.update(
        {
            "count": len(rows),
            "benchmarks": [{"name": b.name, **b.options} for b in s.benchmarks],
            "pool": d.available,
            "excluded_exact": d.excluded["exact"],
            "excluded_near": d.excluded["near"],
            "unique_prompts": len({ex.prompt for ex in examples}),
            "repeated": d.repeated,
            "by_category": dict(sorted(Counter(str(ex.category) for ex in examples).items())),
            "teacher": teacher,
            "responses": dict(responder.stats),
            "sha256": content_key(rows),
        }
    )
    return rows, safety


def _check_holdout(
    rows: list[dict[str, Any]],
    holdout: Holdout,
    summary: list[dict[str, Any]],
    parts: list[dict[str, Any]],
    spec: DataSpec,
) -> dict[str, Any]:
    """The holdout summary; an error if any training prompt still matches a holdout prompt."""
    remaining = Counter(
        hit for r in rows if (hit := holdout.match(r["prompt"][-1]["content"])) is not None
    )
    holdout_stats = {
        "benchmarks": summary,
        "prompts": len(holdout),
        "near_duplicate": spec.near_duplicate,
        "excluded_exact": sum(p.get("excluded_exact", 0) for p in parts),
        "excluded_near": sum(p.get("excluded_near", 0) for p in parts),
        "remaining": sum(remaining.values()),
    }
    if remaining:
        raise SafereasonError(
            f"{sum(remaining.values())} training prompts still overlap the holdout "
            f"({dict(remaining)}); the mixture was not written"
        )
    return holdout_stats
