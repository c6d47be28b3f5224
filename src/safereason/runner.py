"""Run an experiment: plan -> generate (cached, resumable) -> judge -> outputs."""

from __future__ import annotations

import contextlib
import os
import re
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeRemainingColumn,
)

from safereason import interrupts, paper_texts
from safereason.backends.factory import ModelHandle, open_backend, prepare_model
from safereason.backends.pool import ModelPool, cache_path
from safereason.batches import completed_batches
from safereason.config import Experiment
from safereason.declarations import benchmarks_manifest, methods_manifest
from safereason.errors import InterruptedRun, SafereasonError
from safereason.estimate import speed_key, tokens_per_s
from safereason.files import write_text
from safereason.judge_calibration import record_calibration
from safereason.judging import JudgeStage
from safereason.plan import (
    PlanItem,
    build_plan,
    check_capabilities,
    check_size,
    load_samples,
    skipped_counts,
)
from safereason.store import Store
from safereason.target_search import Searched, search_targets
from safereason.types import Completion, Request, Sample
from safereason.versions import package_versions


@dataclass
class RunOutcome:
    """What a run did, for the CLI to print."""

    run_dir: Path
    plan_size: int
    unique_requests: int
    stored_before: int
    from_cache: int
    generated: int = 0
    judged: int = 0
    verdicts_reused: int = 0
    failed: int = 0  # requests the engine could not answer (not stored; retried next run)
    seconds: float = 0.0
    estimate: dict[str, Any] = field(default_factory=dict)
    dropped: int = 0  # items of an earlier plan of this run directory, dropped from it
    errors: dict[str, int] = field(default_factory=dict)  # why requests failed -> how many

    def failure_summary(self) -> str:
        """The failed requests in one line: how many, and why (the commonest reasons)."""
        reasons = sorted(self.errors.items(), key=lambda kv: -kv[1])
        shown = "; ".join(f"{n} x {why}" for why, n in reasons[:2])
        more = f"; and {len(reasons) - 2} other reasons" if len(reasons) > 2 else ""
        return (
            f"{self.failed} of {self.unique_requests} requests could not be generated and "
            f"were not stored ({shown}{more}); fix the cause and run the same command again "
            f"to retry them"
        )


def run_dir_for(exp: Experiment, override: Path | None = None) -> Path:
    """Where a run's files go: ``--out`` if given, else ``output_dir/name``."""
    return override if override is not None else Path(exp.output_dir) / exp.name


def ensure_writable(run_dir: Path) -> None:
    """Create the run directory, or fail with one clear line (no probe file left behind)."""
    if run_dir.exists() and not run_dir.is_dir():
        raise SafereasonError(f"cannot write run directory {run_dir}: it is a file")
    probe = run_dir / f".write-test-{os.getpid()}"
    try:
        run_dir.mkdir(parents=True, exist_ok=True)
        probe.write_text("ok")
    except OSError as e:
        raise SafereasonError(f"cannot write run directory {run_dir}: {e.strerror or e}") from None
    finally:
        with contextlib.suppress(OSError):
            probe.unlink(missing_ok=True)


def open_cache(exp: Experiment, run_store: Path) -> Store | None:
    """The shared generation cache, unless disabled or the same file as the run store."""
    path = cache_path(exp.cache, run_store)
    return Store(path) if path is not None else None


class Runner:
    """Executes one experiment into one run directory."""

    def __init__(
        self, exp: Experiment, run_dir: Path, console: Console | None = None, progress: bool = True
    ) -> None:
        self.exp = exp
        self.run_dir = run_dir
        self.console = console or Console(stderr=True)
        self.show_progress = progress
        self.failed = 0
        self.errors: dict[str, int] = {}

    def run(self, dry_run: bool = False) -> RunOutcome:
        """Plan, then (unless dry-run) generate missing completions and judge them."""
        start = time.perf_counter()
        check_size(self.exp)  # an absurd n is refused before anything is built or loaded
        ensure_writable(self.run_dir)
        check_capabilities(self.exp)  # e.g. a thinking budget on a backend without one
        handles = [prepare_model(m) for m in self.exp.models]
        # the models used as tools (attackers, judges): one pool for the run, closed once
        pool = ModelPool.for_setting(self.exp.cache, self.run_dir / "store.sqlite")
        try:
            with paper_texts.active(self.exp.paper_texts):  # the texts the plugins read
                return self._run(pool, handles, start, dry_run)
        finally:
            pool.close()

    def _run(
        self, pool: ModelPool, handles: list[ModelHandle], start: float, dry_run: bool
    ) -> RunOutcome:
        samples = load_samples(self.exp, pool)  # the attack stage: attackers asked in batches
        # the search stage: attacks that query the models under test (PAIR, TAP, multi-turn);
        # a dry run plans their start points
        searched = {} if dry_run else self._search(samples, handles, pool)
        pool.release()  # free the attackers' engines before the models under test load
        skips = skipped_counts(samples)
        for c in skips:
            self.console.print(
                "[yellow]note:[/] "
                + escape(
                    f"{c['benchmark']} [{c['attack']}]: {c['skipped']} of {c['of']} samples "
                    f"left out ({c['reason']}); counted in the report"
                ),
                highlight=False,
                soft_wrap=True,
            )
        plan = build_plan(self.exp, handles, samples, searched)
        unique = {r.key: r for p in plan for r in p.requests}
        if dry_run:
            return self._dry_run(plan, unique, handles)
        store = Store(self.run_dir / "store.sqlite")
        cache = open_cache(self.exp, store.path)
        try:
            self._write_manifest(store)
            stage = JudgeStage(self.exp, store, cache, models=pool)
            infos = stage.infos()
            # the run's outputs describe exactly this plan: rows of an earlier one go
            dropped = store.set_plan(
                [
                    (p.item_id, p.model, p.method, p.benchmark, p.attack, p.sample, p.gen_key)
                    for p in plan
                ],
                infos,
            )
            if dropped:
                self.console.print(
                    f"[yellow]note:[/] the experiment changed since the last run in "
                    f"{self.run_dir}: {dropped} items of the earlier plan are dropped from "
                    f"its results (their generations stay stored for reuse)",
                    highlight=False,
                    soft_wrap=True,
                )
            store.keep_samples({p.item_id: len(p.requests) for p in plan}, infos)
            store.set_meta("judges", {k: j.to_dict() for k, j in infos.items()})
            store.set_meta("methods", methods_manifest(self.exp))
            kinds = {b: [s.kind for _, s in rows] for b, rows in samples.items()}
            store.set_meta("benchmarks", benchmarks_manifest(self.exp, kinds))
            store.set_meta("skipped", skips)
            store.set_meta("texts", paper_texts.manifest(self.exp.paper_texts))
            stored = store.has_generations(unique)
            from_cache = 0
            if cache is not None:
                from_cache = store.copy_generations_from(cache, set(unique) - stored)
            outcome = RunOutcome(self.run_dir, len(plan), len(unique), len(stored), from_cache)
            outcome.dropped = dropped
            have = store.has_generations(unique)
            todo = [r for k, r in unique.items() if k not in have]
            store.forget_errors({r.key for r in todo})
            outcome.estimate = self._estimate(todo, handles, cache)
            try:
                with self._progress() as bar:
                    stage.on_progress = self._judge_bar(bar)
                    tracker = Readiness(plan, store.has_generations(unique))
                    self._land(tracker.ready(), store, stage)
                    outcome.generated = self._generate(
                        todo, handles, store, cache, bar, tracker, stage
                    )
                    outcome.judged, outcome.verdicts_reused = stage.finish()
                    record_calibration(self.exp, stage, store, cache)
                outcome.failed = self.failed
                outcome.errors = dict(self.errors)
            except KeyboardInterrupt:
                n = store.count("generations")
                raise InterruptedRun(
                    f"interrupted: {n} of {len(unique)} generations are stored in "
                    f"{self.run_dir}; run the same command again to resume"
                ) from None
            finally:
                stage.close()
            outcome.seconds = time.perf_counter() - start
            return outcome
        finally:
            store.close()
            if cache is not None:
                cache.close()

    def _search(
        self,
        samples: dict[str, list[tuple[str, Sample]]],
        handles: list[ModelHandle],
        pool: ModelPool,
    ) -> Searched:
        """Run the attacks that query the target, through the run store (resumable)."""
        ensure_writable(self.run_dir)
        try:
            return search_targets(
                self.exp,
                handles,
                samples,
                pool,
                self.run_dir / "store.sqlite",
                self.console if self.show_progress else None,
            )
        except KeyboardInterrupt:
            raise InterruptedRun(
                f"interrupted during an attack's search: its queries so far are stored in "
                f"{self.run_dir}; run the same command again to resume"
            ) from None

    def _dry_run(
        self, plan: Sequence[PlanItem], unique: dict[str, Request], handles: list[ModelHandle]
    ) -> RunOutcome:
        """What a run would do, read from the run store and the cache; nothing is written."""
        path = self.run_dir / "store.sqlite"
        store = Store(path) if path.is_file() else None
        cache_file = cache_path(self.exp.cache, path)
        cache = Store(cache_file) if cache_file is not None and cache_file.is_file() else None
        try:
            stored = store.has_generations(unique) if store is not None else set()
            cached = cache.has_generations(set(unique) - stored) if cache is not None else set()
            outcome = RunOutcome(self.run_dir, len(plan), len(unique), len(stored), len(cached))
            todo = [r for k, r in unique.items() if k not in stored and k not in cached]
            outcome.estimate = self._estimate(todo, handles, cache)
            return outcome
        finally:
            if store is not None:
                store.close()
            if cache is not None:
                cache.close()

    # ------------------------------------------------------------------------------
    def _write_manifest(self, store: Store) -> None:
        resolved = self.exp.model_dump(mode="json")
        write_text(self.run_dir / "config.resolved.yaml", yaml.safe_dump(resolved, sort_keys=False))
        versions = package_versions()
        write_text(self.run_dir / "versions.yaml", yaml.safe_dump(versions, sort_keys=True))
        store.set_meta("experiment", resolved)
        store.set_meta("versions", versions)

    def _estimate(
        self, todo: Sequence[Request], handles: Sequence[ModelHandle], cache: Store | None
    ) -> dict[str, Any]:
        """An upper bound on new tokens and a time estimate from measured or assumed speed."""
        seconds = 0.0
        tokens = 0
        speeds: dict[str, tuple[float, str]] = {}
        for handle in {h.label: h for h in handles}.values():
            label = handle.label
            reqs = [r for r in todo if r.model == label]
            if not reqs:
                continue
            # measured at this model's parallel, or scaled by the batching benchmark
            tps, src, measured = tokens_per_s(handle, cache.get_meta if cache else None)
            n_tok = sum(r.params.max_tokens for r in reqs)
            if measured.get("max_tokens"):
                # the share of its token budget a request used where this engine ran: a
                # 320-token CoT cap and a 96-token safety cap are filled alike
                fill = min(1.0, measured["tokens"] / measured["max_tokens"])
                expected = n_tok * fill
            else:  # a record from before budgets were kept: the mean length, capped
                mean_tok = measured.get("tokens", 0) / max(1, measured.get("requests", 0))
                expected = sum(
                    min(r.params.max_tokens, mean_tok) if mean_tok else r.params.max_tokens
                    for r in reqs
                )
            tokens += n_tok
            seconds += expected / tps
            speeds[label] = (tps, src)
        return {
            "requests": len(todo),
            "max_new_tokens": tokens,
            "seconds": seconds,
            "speeds": speeds,
        }

    def _progress(self) -> Progress:
        return Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            console=self.console,
            disable=not self.show_progress,
            transient=False,
        )

    @staticmethod
    def _judge_bar(bar: Progress) -> Callable[[str, int, int], None]:
        """A progress callback that keeps one bar per judge, its total growing as work lands."""
        tasks: dict[str, TaskID] = {}

        def update(label: str, done: int, total: int) -> None:
            if label not in tasks:
                tasks[label] = bar.add_task(f"judge {label}", total=total)
            bar.update(tasks[label], completed=done, total=total)

        return update

    def _land(self, items: Sequence[PlanItem], store: Store, stage: JudgeStage) -> None:
        """Items whose generations are all stored: combine multi-sample ones, queue judging."""
        if items:
            aggregate(items, store)
            stage.add(items, store.completions(stage.wanted(items)))

    def _generate(
        self,
        todo: Sequence[Request],
        handles: Sequence[ModelHandle],
        store: Store,
        cache: Store | None,
        bar: Progress,
        tracker: Readiness,
        stage: JudgeStage,
    ) -> int:
        done = 0
        for handle in handles:
            reqs = [r for r in todo if r.model == handle.label]
            if not reqs:
                continue
            stage.dispatch(handle.backend, self.exp.judge_overlap)
            if self.show_progress:
                self.console.print(f"loading {handle.label} ({handle.backend}) ...")
            backend = open_backend(handle)
            t0, toks, made, cap = time.perf_counter(), 0, 0, 0
            try:
                task = bar.add_task(f"generate {handle.label}", total=len(reqs))
                preferred = int(getattr(backend, "preferred_batch", 4))
                step = self.exp.batch_size if self.exp.batch_size else preferred
                for batch in completed_batches(backend, reqs, step):
                    # an engine error is never a generation: not stored (nor cached), so
                    # the next run retries it; the run records it and ends with an error
                    pairs = [(r, c) for r, c in batch if c.error is None]
                    self._record_errors([(r, c) for r, c in batch if c.error is not None], store)
                    store.put_generations(pairs)
                    if cache is not None:
                        cache.put_generations(pairs)
                    toks += sum(c.completion_tokens for _, c in pairs)
                    made += len(pairs)
                    cap += sum(r.params.max_tokens for r, _ in pairs)
                    done += len(pairs)
                    bar.advance(task, len(batch))
                    self._land(tracker.stored(r.key for r, _ in pairs), store, stage)
                    stage.dispatch(handle.backend, self.exp.judge_overlap)
                    stage.poll()
                    interrupts.check()
            finally:
                backend.close()
                if cache is not None and toks:
                    key = speed_key(handle.backend, getattr(backend, "parallel", None))
                    self._record_speed(cache, key, toks, time.perf_counter() - t0, made, cap)
        return done

    def _record_errors(self, failed: list[tuple[Request, Completion]], store: Store) -> None:
        if not failed:
            return
        self.failed += len(failed)
        store.put_errors(failed)
        for _, c in failed:
            why = reason_kind(c.error or c.finish_reason)
            self.errors[why] = self.errors.get(why, 0) + 1

    @staticmethod
    def _record_speed(
        cache: Store, key: str, tokens: int, seconds: float, n: int, cap: int
    ) -> None:
        """Add a generation's tokens, seconds, completions made (not requests sent: an
        interrupted run made fewer) and their ``max_tokens`` sum to the engine's record."""
        prev = cache.get_meta(key) or {"tokens": 0, "seconds": 0.0, "requests": 0}
        cache.set_meta(
            key,
            {
                "tokens": prev["tokens"] + tokens,
                "seconds": prev["seconds"] + seconds,
                "requests": prev.get("requests", 0) + n,
                "max_tokens": prev.get("max_tokens", 0) + cap,
            },
        )


def reason_kind(reason: str) -> str:
    """A failure's reason with its numbers masked, so that equal causes are counted together
    (``the prompt (812 tokens) ...`` and ``the prompt (90 tokens) ...`` are one)."""
    text = reason.removeprefix("error: ")
    return re.sub(r"\d+(\.\d+)?", "N", text)[:160]


class Readiness:
    """Which plan items have all their generations stored, updated as generations land."""

    def __init__(self, plan: Sequence[PlanItem], stored: set[str]) -> None:
        self._missing: dict[str, set[str]] = {}
        self._waiting: dict[str, list[PlanItem]] = {}
        self._ready: list[PlanItem] = []
        for p in plan:
            missing = {r.key for r in p.requests} - stored
            if not missing:
                self._ready.append(p)
                continue
            self._missing[p.item_id] = missing
            for key in missing:
                self._waiting.setdefault(key, []).append(p)

    def ready(self) -> list[PlanItem]:
        """The items complete before any generation (and not yet handed out)."""
        out, self._ready = self._ready, []
        return out

    def stored(self, keys: Iterable[str]) -> list[PlanItem]:
        """Mark generations stored; returns the items this completes."""
        out = []
        for key in keys:
            for p in self._waiting.pop(key, []):
                missing = self._missing[p.item_id]
                missing.discard(key)
                if not missing:
                    del self._missing[p.item_id]
                    out.append(p)
        return out


def aggregate(plan: Sequence[PlanItem], store: Store) -> int:
    """Combine multi-sample items (e.g. self-consistency votes) into one stored completion."""
    multi = [p for p in plan if p.method_impl is not None]
    done = store.has_generations({p.gen_key for p in multi})
    rows = []
    for p in multi:
        if p.gen_key in done:
            continue
        comps = store.completions({r.key for r in p.requests})
        if len(comps) < len(p.requests):
            continue  # not all samples generated (interrupted): aggregate on the next run
        agg = p.method_impl.aggregate(p.sample, [comps[r.key] for r in p.requests])
        agg = replace(agg, key=p.gen_key)
        rows.append((replace(p.request, key=p.gen_key), agg))
        done.add(p.gen_key)
    if rows:
        store.put_generations(rows)
    return len(rows)
