"""The judging stage: score plan items as their completions land, beside generation.

The runner hands over items whose completion is stored (:meth:`JudgeStage.add`). Verdicts
already in the run store or the shared cache are reused; the rest go to one worker thread
per judge, so judges score while generation continues. Only the main thread touches the
SQLite store: it writes verdicts when it collects finished work (:meth:`JudgeStage.poll`).

A judge backed by a model on the same kind of local engine as the model being generated
would compete with it for the same cores or GPU, so by default (``judge_overlap: auto``)
it waits until generation is over; ``true`` always overlaps, ``false`` never does.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, cast

from safereason import plugins
from safereason.config import DEFAULT_JUDGES, Experiment, ModelRef, PluginRef
from safereason.hashing import content_key
from safereason.meaning import GENERIC
from safereason.plan import PlanItem
from safereason.registry import spec_of
from safereason.results import JudgeInfo
from safereason.store import Store
from safereason.types import Completion, Sample, Target, Verdict

Overlap = Literal["auto", True, False]
CHUNK = 64

# verdict key, judge label, item, completion, and which of the item's samples it is (None:
# the item's own completion; an index: one of its k samples, judged for Safe@k)
Row = tuple[str, str, PlanItem, Completion, int | None]
SAMPLED_KINDS = frozenset({"harmful"})  # kinds whose every sample is judged (Safe@k)
Running = tuple["Future[list[tuple[str, Verdict]]]", list[Row]]  # a batch being scored


def verdict_key(judge: Any, sample: Sample, comp: Completion) -> str:
    """The content hash of a judge's spec and everything it reads."""
    return content_key(
        {
            "judge": spec_of(judge),
            "gen": comp.key,
            "prompt": sample.prompt,
            "target": sample.target,
            "kind": sample.kind,
            "category": sample.category,
        }
    )


def judge_info(key: str, judge: Any) -> JudgeInfo:
    """What the manifest records of a configured judge: spec, text read, meaning."""
    reads = cast(Target, getattr(judge, "target", "answer"))
    return JudgeInfo(key, spec_of(judge), reads, getattr(type(judge), "meaning", GENERIC))


def record_judges(run_dir: Path) -> None:
    """Record the judges' meanings in a run's store made before runs recorded them.

    Reads the experiment the store holds, builds its judges (nothing is loaded) and writes
    the manifest entry ``judges``; a store that has one is left as it is.
    """
    path = run_dir / "store.sqlite"
    if not path.is_file():
        return
    store = Store(path)
    try:
        raw = store.get_meta("experiment")
        if store.get_meta("judges") is not None or not raw:
            return
        stage = JudgeStage(Experiment.model_validate(raw), store, None)
        store.set_meta("judges", {k: j.to_dict() for k, j in stage.infos().items()})
    finally:
        store.close()


def _score(judge: Any, todo: Mapping[str, tuple[Sample, Completion]]) -> list[tuple[str, Verdict]]:
    """Run one judge on a batch (in its worker thread); verdicts paired with their keys."""
    keys = list(todo)
    return list(zip(keys, judge.score([todo[k] for k in keys]), strict=True))


def judge_engine(judge: Any) -> str | None:
    """The backend a model-backed judge runs on, or ``None`` for a judge without a model."""
    spec = getattr(judge, "model", None)
    if not isinstance(spec, Mapping) or "name" not in spec:
        return None
    return ModelRef.model_validate(dict(spec)).backend


def remote(engine: str) -> bool:
    """Whether a backend declares it runs off this machine (a server, a cluster)."""
    from safereason.backends.factory import engine as backend_engine

    return backend_engine(engine).capabilities.remote


def may_overlap(judge: Any, generating: str | None, setting: Overlap) -> bool:
    """Whether ``judge`` may score now, while a model on engine ``generating`` runs."""
    return engine_may_overlap(judge_engine(judge), generating, setting)


def engine_may_overlap(engine: str | None, generating: str | None, setting: Overlap) -> bool:
    """:func:`may_overlap` for a judge on ``engine`` (``None``: a judge without a model)."""
    if setting is not True and setting is not False:
        return generating is None or engine is None or engine != generating or remote(engine)
    return bool(setting) or generating is None


@dataclass
class JudgeStage:
    """Judges for one run: `add` and `poll` as work lands, then `finish`, then `close`."""

    exp: Experiment
    store: Store
    cache: Store | None
    models: plugins.ModelSource | None = None  # the run's pool, bound to model-backed judges
    on_progress: Callable[[str, int, int], None] = lambda label, done, total: None
    judged: int = 0
    reused: int = 0
    _judges: dict[str, Any] = field(default_factory=dict)
    _engines: dict[str, str | None] = field(default_factory=dict)  # label -> judge engine
    _pools: dict[str, ThreadPoolExecutor] = field(default_factory=dict)
    _pending: dict[str, list[Row]] = field(default_factory=dict)
    _running: list[Running] = field(default_factory=list)
    _queued: set[str] = field(default_factory=set)
    _followers: dict[str, list[Row]] = field(default_factory=dict)
    _totals: dict[str, int] = field(default_factory=dict)
    _done: dict[str, int] = field(default_factory=dict)

    def judge(self, ref: PluginRef) -> Any:
        """The judge a reference names, built once per run."""
        if ref.display not in self._judges:
            judge = plugins.judges.build(ref.name, ref.options)
            if self.models is not None and isinstance(judge, plugins.UsesModels):
                judge.bind(self.models)
            self._judges[ref.display] = judge
            self._engines[ref.display] = judge_engine(judge)
        return self._judges[ref.display]

    def infos(self) -> dict[str, JudgeInfo]:
        """Every configured judge of the experiment, by label, for the run manifest."""
        refs = {r.display: r for kind in DEFAULT_JUDGES for r in self.exp.judges_for(kind)}
        return {label: judge_info(label, self.judge(ref)) for label, ref in refs.items()}

    @staticmethod
    def wanted(items: Iterable[PlanItem]) -> set[str]:
        """The generation keys :meth:`add` reads for ``items``: each item's completion and,
        on a harmful item with k samples, each sample."""
        keys = set()
        for p in items:
            keys.add(p.gen_key)
            if len(p.requests) > 1 and p.sample.kind in SAMPLED_KINDS:
                keys |= {r.key for r in p.requests}
        return keys

    def add(self, items: Iterable[PlanItem], comps: Mapping[str, Completion]) -> None:
        """Queue the judging of items whose completion is in ``comps``, and of each sample
        of a harmful item with k of them (:meth:`wanted`); link reused verdicts."""
        rows: list[Row] = []
        for p in items:
            comp = comps.get(p.gen_key)
            if comp is None:
                continue
            sampled = len(p.requests) > 1 and p.sample.kind in SAMPLED_KINDS
            drawn = [comps.get(r.key) for r in p.requests] if sampled else []
            for ref in self.exp.judges_for(p.sample.kind):
                judge = self.judge(ref)
                rows.append((verdict_key(judge, p.sample, comp), ref.display, p, comp, None))
                for i, c in enumerate(drawn):
                    if c is not None:
                        rows.append((verdict_key(judge, p.sample, c), ref.display, p, c, i))
        have = self.store.has_verdicts(k for k, *_ in rows)
        if self.cache is not None:
            have |= self.store.copy_verdicts_from(self.cache, {k for k, *_ in rows} - have)
        self._link([r for r in rows if r[0] in have])
        self.reused += sum(1 for k, *_ in rows if k in have)
        for row in rows:
            key, label = row[0], row[1]
            if key in have:
                continue
            if key in self._queued:  # the same verdict for another item: link it when it lands
                self._followers.setdefault(key, []).append(row)
                continue
            self._queued.add(key)
            self._pending.setdefault(label, []).append(row)
            self._totals[label] = self._totals.get(label, 0) + 1
            self.on_progress(label, self._done.get(label, 0), self._totals[label])

    def dispatch(self, generating: str | None, setting: Overlap) -> None:
        """Start scoring what is pending for every judge allowed to run now."""
        for label, rows in list(self._pending.items()):
            if not rows or not engine_may_overlap(self._engines[label], generating, setting):
                continue
            self._pending[label] = []
            for i in range(0, len(rows), CHUNK):
                self._submit(label, rows[i : i + CHUNK])

    def _submit(self, label: str, rows: list[Row]) -> None:
        pool = self._pools.setdefault(
            label, ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"judge-{label}")
        )
        todo: dict[str, tuple[Sample, Completion]] = {}
        for key, _, p, comp, _i in rows:
            todo.setdefault(key, (p.sample, comp))
        fut = pool.submit(_score, self._judges[label], todo)
        self._running.append((fut, rows))

    def poll(self, wait: bool = False) -> None:
        """Store the verdicts of finished work (all of it, waiting, when ``wait``)."""
        still: list[Running] = []
        for fut, rows in self._running:
            if not wait and not fut.done():
                still.append((fut, rows))
                continue
            scored: dict[str, Verdict] = dict(fut.result())
            gen_of = {k: comp.key for k, _, _, comp, _i in rows}
            out = [(k, gen_of[k], v) for k, v in scored.items()]
            self.store.put_verdicts(out)
            if self.cache is not None:
                self.cache.put_verdicts(out)
            linked = rows + [r for k in scored for r in self._followers.pop(k, [])]
            self._link(linked)
            label = rows[0][1]
            self.judged += len(scored)
            self._done[label] = self._done.get(label, 0) + len(scored)
            self.on_progress(label, self._done[label], self._totals.get(label, 0))
        self._running = still

    def _link(self, rows: Iterable[Row]) -> None:
        """Point items (or one of their samples) at the verdicts of ``rows``."""
        rows = list(rows)
        self.store.link_verdicts([(p.item_id, lab, k) for k, lab, p, _, i in rows if i is None])
        samples = [(p.item_id, lab, i, k) for k, lab, p, _, i in rows if i is not None]
        if samples:
            self.store.link_sample_verdicts(samples)

    def finish(self) -> tuple[int, int]:
        """Score everything left and wait for it; returns (judged, reused). Then :meth:`close`."""
        self.dispatch(None, True)
        self.poll(wait=True)
        return self.judged, self.reused

    def close(self) -> None:
        """Stop the worker threads (dropping queued work) and free judges' models."""
        for pool in self._pools.values():
            pool.shutdown(wait=True, cancel_futures=True)
        self._pools.clear()
        for judge in self._judges.values():
            close = getattr(judge, "close", None)
            if close is not None:
                close()
