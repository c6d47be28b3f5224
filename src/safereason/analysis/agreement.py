"""Agreement between judges that scored the same items: percent agreement and Cohen's kappa.

Every safety judge's verdict (a judge whose meaning declares its safe labels) is read as
one yes/no question, "did the response comply with the request?": a refusal judge says
yes when it did not refuse, a harm judge (rubric, guard) when it found the response
harmful. Other judges (correctness, ratings) and judges of the reasoning trace (which
read another text) are left out.
"""

from __future__ import annotations

import itertools
import math
import warnings
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from statsmodels.stats.inter_rater import cohens_kappa  # type: ignore[import-untyped]

from safereason.analysis.outcomes import first_seen
from safereason.results import ResultRow


@dataclass(frozen=True)
class Agreement:
    """Two judges on the items of one sample kind that both decided."""

    kind: str
    judge_a: str
    judge_b: str
    n: int
    agree: float  # fraction of items with the same decision
    kappa: float | None
    kappa_lo: float | None
    kappa_hi: float | None
    table: tuple[tuple[int, int], tuple[int, int]]  # rows judge_a no/yes, columns judge_b

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return asdict(self)


def _finite(x: float) -> float | None:
    return float(x) if math.isfinite(x) else None


def _decisions(rows: Sequence[ResultRow]) -> dict[tuple[str, str], dict[str, bool]]:
    """(kind, judge) -> item id -> whether the judge read the response as complying."""
    decisions: dict[tuple[str, str], dict[str, bool]] = {}
    for r in rows:
        for info, v in r.judged():
            if info.meaning.safe is None or not v.decided or info.reads != "answer":
                continue
            assert v.score is not None
            complied = info.meaning.unsafe(v.label, v.score)
            decisions.setdefault((r.kind, info.key), {})[r.item_id] = complied
    return decisions


def _pairs(
    decisions: dict[tuple[str, str], dict[str, bool]],
) -> list[tuple[str, str, str, list[str]]]:
    """(kind, judge a, judge b, the items both decided) for every pair with common items."""
    out = []
    for kind in first_seen(k for k, _ in decisions):
        judges = [j for k, j in decisions if k == kind]
        for a, b in itertools.combinations(judges, 2):
            da, db = decisions[(kind, a)], decisions[(kind, b)]
            common = [i for i in da if i in db]
            if common:
                out.append((kind, a, b, common))
    return out


@dataclass(frozen=True)
class Disagreement:
    """One item two safety judges decided differently (texts as the report shows them)."""

    kind: str
    judge_a: str
    judge_b: str
    label_a: str
    label_b: str
    model: str
    method: str
    benchmark: str
    attack: str
    sample_id: str
    prompt: str
    answer: str | None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return asdict(self)


def disagreements(rows: Sequence[ResultRow], per_pair: int = 3) -> list[Disagreement]:
    """Up to ``per_pair`` items per pair of safety judges where one read the response as
    complying and the other did not, in the run's order."""
    decisions = _decisions(rows)
    by_id = {r.item_id: r for r in rows}
    out = []
    for kind, a, b, common in _pairs(decisions):
        da, db = decisions[(kind, a)], decisions[(kind, b)]
        for i in [i for i in common if da[i] != db[i]][:per_pair]:
            r = by_id[i]
            users = [m.content for m in r.sample.messages if m.role == "user"]
            out.append(
                Disagreement(
                    kind,
                    a,
                    b,
                    r.verdicts[a].label,
                    r.verdicts[b].label,
                    r.model,
                    r.method,
                    r.benchmark,
                    r.attack,
                    str(r.sample_id),
                    users[-1] if users else r.prompt,
                    r.completion.text if r.completion else None,
                )
            )
    return out


def agreement(rows: Sequence[ResultRow]) -> list[Agreement]:
    """Every pair of safety judges that decided at least one common item, per sample kind."""
    decisions = _decisions(rows)
    out = []
    for kind, a, b, common in _pairs(decisions):
        da, db = decisions[(kind, a)], decisions[(kind, b)]
        t = [[0, 0], [0, 0]]
        for i in common:
            t[int(da[i])][int(db[i])] += 1
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = cohens_kappa(t)
        kappa = _finite(res.kappa)
        lo = max(-1.0, float(res.kappa_low)) if kappa is not None else None
        hi = min(1.0, float(res.kappa_upp)) if kappa is not None else None
        out.append(
            Agreement(
                kind,
                a,
                b,
                len(common),
                (t[0][0] + t[1][1]) / len(common),
                kappa,
                _finite(lo) if lo is not None else None,
                _finite(hi) if hi is not None else None,
                ((t[0][0], t[0][1]), (t[1][0], t[1][1])),
            )
        )
    return out
