"""Everything a report shows, computed once from a run's rows (and optionally another run's)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from safereason.analysis.agreement import Agreement, Disagreement, agreement, disagreements
from safereason.analysis.cells import UNDECIDED_WARN, Estimate
from safereason.analysis.compare import RunComparison, compare_runs
from safereason.analysis.estimates import (
    aggregate,
    by_attack,
    by_category,
    by_category_attack,
    pooled,
)
from safereason.analysis.extraction import ExtractorAgreement, extraction_agreements
from safereason.analysis.judge_trust import (
    CorrectedRate,
    JudgeCalibration,
    corrected_rates,
    flagged_estimates,
    read_calibrations,
)
from safereason.analysis.leakage import ThoughtLeakage, thought_leakage
from safereason.analysis.metrics import Length, fell_back, lengths
from safereason.analysis.outcomes import (
    HEADLINE,
    HarmBasis,
    Outcome,
    first_seen,
    gaps,
    harm_basis,
    headline_applies,
    metric_catalog,
    outcomes,
)
from safereason.analysis.paired import ALPHA, PairedTest, against_baseline
from safereason.analysis.privacy import PrivacyCorrelation, privacy_correlations
from safereason.analysis.sampling import CellSampling, sampling_safety
from safereason.analysis.tradeoff import Tradeoff, tradeoff
from safereason.errors import SafereasonError
from safereason.meaning import BenchmarkMeaning, MethodMeaning, Metric
from safereason.report.examples import Transcript, example, examples
from safereason.report.literature import published_comparison
from safereason.report.literature_table import PublishedTable
from safereason.results import ResultRow


@dataclass
class Run:
    """A run's rows and its name."""

    name: str
    rows: list[ResultRow]
    path: str = ""
    # what the run's methods and benchmarks declare (the manifest's meta.methods and
    # meta.benchmarks; empty for a run made before runs recorded them)
    methods: dict[str, MethodMeaning] = field(default_factory=dict)
    benchmarks: dict[str, dict[str, BenchmarkMeaning]] = field(default_factory=dict)
    # the judges' scores on hand labels (meta.calibration; None: the run named none)
    calibration: dict[str, Any] | None = None
    # verdicts on each of k samples per item (item -> judge -> index; empty: one sample)
    samples: dict[str, Any] = field(default_factory=dict)
    # samples an attack left out of the plan, per benchmark and attack (meta.skipped)
    skipped: list[dict[str, Any]] = field(default_factory=list)
    # which prompt texts the run used (meta.texts: own paraphrases or a paper_texts file)
    texts: dict[str, Any] | None = None


@dataclass
class Bundle:
    """The analysis behind one report."""

    run: Run
    baseline: str
    harm_basis: HarmBasis | None
    models: list[str]
    methods: list[str]
    benchmarks: list[tuple[str, str]]  # (benchmark, kind)
    attacks: list[str]
    judges: list[str]
    estimates: list[Estimate]
    by_category: list[Estimate]
    by_category_attack: list[Estimate]
    by_attack: list[Estimate]
    pooled: list[Estimate]
    tests: list[PairedTest]
    tradeoff: Tradeoff
    agreement: list[Agreement]
    examples: list[Transcript]
    redacted: bool
    comparison: RunComparison | None = None
    notes: list[str] = field(default_factory=list)
    privacy: list[PrivacyCorrelation] = field(default_factory=list)
    extraction: list[ExtractorAgreement] = field(default_factory=list)
    published: PublishedTable | None = None
    metrics: dict[str, Metric] = field(default_factory=dict)
    method_notes: list[tuple[str, str]] = field(default_factory=list)
    lengths: list[Length] = field(default_factory=list)
    # judge calibration (experiment key calibration:) and judge-vs-judge disagreements
    calibration: list[JudgeCalibration] = field(default_factory=list)
    corrected: list[CorrectedRate] = field(default_factory=list)
    low_agreement: set[tuple[str, str, str, str, str, str]] = field(default_factory=set)
    disagreements: list[Disagreement] = field(default_factory=list)
    sampling: list[CellSampling] = field(default_factory=list)  # Safe@k, hit@k
    leakage: ThoughtLeakage = field(default_factory=ThoughtLeakage)
    leak_examples: list[Transcript] = field(default_factory=list)

    def defence(self, method: str) -> str | None:
        """What defence a method declares (``in-context defence ...``), if any."""
        found = self.run.methods.get(method)
        return found.defence if found else None

    def flagged(self, e: Estimate) -> bool:
        """Whether a cell's judge agrees with the hand labels less than the threshold."""
        return (e.model, e.method, e.benchmark, e.attack, e.metric, e.judge) in self.low_agreement

    def benchmark_note(self, bench: str, kind: str) -> str:
        """What the right outcome is on a benchmark's items of one kind, as it declares."""
        found = self.run.benchmarks.get(bench, {}).get(kind)
        return found.note if found else ""

    @property
    def generated(self) -> int:
        """Plan items with a completion."""
        return sum(1 for r in self.run.rows if r.completion)

    @property
    def headline(self) -> str:
        """What the safety axis is, in one sentence, for the report's first screen."""
        if self.harm_basis is None:
            return "no harm or refusal judge decided any harmful item: no safety axis"
        return self.harm_basis.title

    @property
    def undecided_warnings(self) -> list[Estimate]:
        """Grid cells whose judge could not decide more than 5% of the items it saw."""
        return [e for e in self.estimates if e.is_rate and e.material]

    @property
    def undecided_warn(self) -> float:
        """The undecided share above which a cell is warned about."""
        return UNDECIDED_WARN

    def metric_label(self, metric: str) -> str:
        """A readable metric name: ``harmful-content rate`` for ``harmful_content``."""
        base, _, variant = metric.partition(":")
        found = self.metrics.get(base)
        title = found.title if found else base.replace("_", " ")
        return title + (f" ({variant})" if variant else "")

    def better(self, metric: str) -> bool | None:
        """Whether higher is better for a metric (its base name before any ``:judge``)."""
        found = self.metrics.get(metric.split(":")[0])
        return found.higher_is_better if found else None

    def significant(self) -> set[tuple[str, ...]]:
        """Cells (model, method, benchmark, attack, metric, judge) that differ from baseline."""
        return {
            (t.model, t.method, t.benchmark, t.attack, t.metric, t.judge)
            for t in self.tests
            if t.significant
        }


def _only(outs: Sequence[Outcome], keep: Callable[[Outcome], bool]) -> list[Outcome]:
    return [o for o in outs if keep(o)]


def build(
    run: Run,
    baseline: str | None = None,
    redact: bool = False,
    experiment: dict[str, Any] | None = None,
) -> Bundle:
    """Compute estimates, paired tests, trade-off, agreement and examples for one run."""
    rows = run.rows
    methods = first_seen(r.method for r in rows)
    if not rows:
        raise SafereasonError(f"run {run.name} has no plan items to report on")
    if baseline is None:
        baseline = methods[0]
    elif baseline not in methods:
        raise SafereasonError(
            f"unknown baseline method {baseline!r}; this run's methods: {', '.join(methods)}"
        )
    outs = outcomes(rows, run.benchmarks)
    holes = gaps(rows, outs, run.benchmarks)
    harmful = _only(outs, lambda o: o.metric in HEADLINE)
    harmful_holes = [g for g in holes if g.metric in HEADLINE]
    categorised = [g for g in holes if g.category is not None]
    bundle = Bundle(
        run=run,
        baseline=baseline,
        harm_basis=harm_basis(rows),
        models=first_seen(r.model for r in rows),
        methods=methods,
        benchmarks=list(first_seen((r.benchmark, r.kind) for r in rows)),
        attacks=first_seen(r.attack for r in rows),
        judges=first_seen(k for r in rows for k in r.verdicts),
        estimates=aggregate(outs, gaps=holes),
        by_category=aggregate(
            _only(outs, lambda o: o.category is not None), by_category, categorised
        ),
        by_category_attack=aggregate(
            _only(outs, lambda o: o.category is not None), by_category_attack, categorised
        ),
        by_attack=aggregate(harmful, by_attack, harmful_holes),
        pooled=aggregate(outs, pooled, holes),
        tests=against_baseline(outs, baseline) if len(methods) > 1 else [],
        tradeoff=tradeoff(outs, baseline),
        agreement=agreement(rows),
        examples=examples(rows, redact),
        redacted=redact,
        privacy=privacy_correlations(rows),
        extraction=extraction_agreements(rows),
        metrics=metric_catalog(rows),
        lengths=lengths(rows),
        method_notes=_method_notes(run, methods),
    )
    _judge_trust(bundle, redact)
    bundle.sampling = sampling_safety(rows, run.samples)
    bundle.leakage = thought_leakage(rows)
    by_id = {r.item_id: r for r in rows}
    bundle.leak_examples = [
        example(by_id[i], redact, bundle.harm_basis) for i in bundle.leakage.example_ids
    ]
    for c in run.skipped:
        bundle.notes.append(
            f"{c['benchmark']} [{c['attack']}]: {c['skipped']} of {c['of']} samples were "
            f"left out by their attack ({c['reason']}): never sent, in no rate"
        )
    if _measures_the_paper(rows, experiment):
        bundle.published = published_comparison(rows, experiment, texts=run.texts)
    if bundle.harm_basis is None:
        bundle.notes.append("no harm or refusal verdicts on harmful items: no safety axis")
    elif bundle.harm_basis.from_refusal:
        bundle.notes.append(
            "only the refusal judge ran on harmful items: the safety axis is the refusal "
            "rate, and non-refusal is not harm; add a harm judge (rubric, guard or "
            "harmbench_cls) for a harmful-content rate"
        )
    undecided = sum(1 for g in holes if g.what == "undecided" and g.metric not in HEADLINE)
    if undecided:
        bundle.notes.append(
            f"{undecided} verdicts are undecided (the judge's reply could not be read): "
            "they are left out of every rate's n and counted beside it"
        )
    fallback = sum(1 for r in rows if fell_back(r.sample))
    if fallback:
        bundle.notes.append(
            f"{fallback} of {len(rows)} plan items were sent as the plain request because "
            "their attack fell back (e.g. the attacker model's rewrite was unusable); they "
            "are counted in their attack's cells and shown beside each rate"
        )
    basis = bundle.harm_basis
    for bench, kind in bundle.benchmarks:
        declared = run.benchmarks.get(bench, {}).get(kind)
        probe = next(r for r in rows if r.benchmark == bench and r.kind == kind)
        if basis and declared and not headline_applies(basis, probe, {bench: {kind: declared}}):
            bundle.notes.append(
                f"{bench}: {declared.note}; no harm judge ran, so this benchmark has no "
                "safety score here (its refusal rate is shown, as a description)"
            )
    if len(methods) < 2:
        bundle.notes.append("one method only: no paired comparisons against a baseline")
    missing = len(rows) - bundle.generated
    if missing:
        bundle.notes.append(
            f"{missing} of {len(rows)} plan items have no completion (failed after their "
            "retries, or not generated yet): they are in no rate's n and counted beside it"
        )
    return bundle


def _judge_trust(bundle: Bundle, redact: bool) -> None:
    """Calibration, corrected rates, low-agreement flags and judge disagreements."""
    from safereason.report.examples import redact_text

    rows = bundle.run.rows
    found = disagreements(rows)
    if redact:  # a disagreement on a harmful item means one judge found it unsafe
        found = [
            replace(d, answer=redact_text(d.answer)) if d.kind == "harmful" else d for d in found
        ]
    bundle.disagreements = found
    bundle.calibration = read_calibrations(bundle.run.calibration)
    if not bundle.calibration:
        return
    infos = {k: j for r in rows for k, j in r.judges.items()}
    kinds: dict[str, list[str]] = {}
    for bench, kind in bundle.benchmarks:
        kinds.setdefault(bench, []).append(kind)
    bundle.corrected = corrected_rates(bundle.estimates, bundle.calibration, infos, kinds)
    bundle.low_agreement = flagged_estimates(bundle.estimates, bundle.calibration, infos, kinds)
    low = [c for c in bundle.calibration if c.below]
    for c in low:
        kappa = f"{c.kappa:.2f}" if c.kappa is not None else "undefined"
        bundle.notes.append(
            f"judge {c.judge} agrees with the hand labels on {c.kind} items ({c.source}) with "
            f"Cohen's kappa {kappa}, below {c.min_kappa:.2f}: its rates on those items are "
            "flagged (⚑) and should not be read without checking the judge"
        )


def _method_notes(run: Run, methods: Sequence[str]) -> list[tuple[str, str]]:
    """What the first screen says beside a method's name: a defence, or a method that
    leaves some kinds of item unchanged."""
    out = []
    for m in methods:
        found = run.methods.get(m)
        if found is None:
            continue
        bits = []
        if found.defence:
            bits.append(found.defence)
        if found.kinds is not None:
            kinds = ", ".join(sorted(found.kinds))
            bits.append(f"changes only {kinds} items ({found.changes}); others go out as written")
        if bits:
            out.append((m, "; ".join(bits)))
    return out


def _measures_the_paper(rows: Sequence[ResultRow], exp: dict[str, Any] | None) -> bool:
    """Whether a "published vs ours" table belongs in this report (a paper preset run)."""
    if exp and str(exp.get("name", "")).startswith("paper"):
        return True
    return any(v.judge == "harmbench_cls" for r in rows for v in r.verdicts.values())


def with_comparison(bundle: Bundle, other: Run) -> Bundle:
    """Attach a comparison of ``other`` (run B) against the bundle's run (run A)."""
    bundle.comparison = compare_runs(bundle.run.rows, other.rows, bundle.run.name, other.name)
    return bundle


__all__ = ["ALPHA", "Bundle", "Run", "build", "with_comparison"]
