"""Everything a report shows, computed once from a run's rows (and optionally another run's)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from safereason.analysis.agreement import Agreement, agreement
from safereason.analysis.cells import Estimate
from safereason.analysis.compare import RunComparison, compare_runs
from safereason.analysis.estimates import (
    aggregate,
    by_attack,
    by_category,
    by_category_attack,
    pooled,
)
from safereason.analysis.extraction import ExtractorAgreement, extraction_agreements
from safereason.analysis.outcomes import (
    HARMFUL,
    HarmBasis,
    Outcome,
    first_seen,
    harm_basis,
    metric_catalog,
    outcomes,
)
from safereason.analysis.paired import ALPHA, PairedTest, against_baseline
from safereason.analysis.privacy import PrivacyCorrelation, privacy_correlations
from safereason.analysis.tradeoff import Tradeoff, tradeoff
from safereason.errors import SafereasonError
from safereason.meaning import Metric
from safereason.report.examples import Transcript, examples
from safereason.report.literature import published_comparison
from safereason.report.literature_table import PublishedTable
from safereason.results import ResultRow


@dataclass
class Run:
    """A run's rows and its name."""

    name: str
    rows: list[ResultRow]
    path: str = ""


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

    @property
    def generated(self) -> int:
        """Plan items with a completion."""
        return sum(1 for r in self.run.rows if r.completion)

    def metric_label(self, metric: str) -> str:
        """A readable metric name: ``harmful-response rate (ASR)`` for ``harmful_response``."""
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
    outs = outcomes(rows)
    harmful = _only(outs, lambda o: o.metric == HARMFUL)
    bundle = Bundle(
        run=run,
        baseline=baseline,
        harm_basis=harm_basis(rows),
        models=first_seen(r.model for r in rows),
        methods=methods,
        benchmarks=list(first_seen((r.benchmark, r.kind) for r in rows)),
        attacks=first_seen(r.attack for r in rows),
        judges=first_seen(k for r in rows for k in r.verdicts),
        estimates=aggregate(outs),
        by_category=aggregate(_only(outs, lambda o: o.category is not None), by_category),
        by_category_attack=aggregate(
            _only(outs, lambda o: o.category is not None), by_category_attack
        ),
        by_attack=aggregate(harmful, by_attack),
        pooled=aggregate(outs, pooled),
        tests=against_baseline(outs, baseline) if len(methods) > 1 else [],
        tradeoff=tradeoff(outs, baseline),
        agreement=agreement(rows),
        examples=examples(rows, redact),
        redacted=redact,
        privacy=privacy_correlations(rows),
        extraction=extraction_agreements(rows),
        metrics=metric_catalog(rows),
    )
    if _measures_the_paper(rows, experiment):
        bundle.published = published_comparison(rows, experiment)
    if bundle.harm_basis is None:
        bundle.notes.append(
            "no harm or refusal verdicts on harmful items: no harmful-response rate"
        )
    elif bundle.harm_basis.from_refusal:
        bundle.notes.append(
            "harmful-response rate (attack success) counts every response the refusal judge "
            "did not label refused; add a rubric or guard judge for a graded harm verdict"
        )
    if len(methods) < 2:
        bundle.notes.append("one method only: no paired comparisons against a baseline")
    missing = len(rows) - bundle.generated
    if missing:
        bundle.notes.append(f"{missing} of {len(rows)} plan items have no completion yet")
    return bundle


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
