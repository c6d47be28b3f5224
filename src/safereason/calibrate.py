"""``safereason calibrate``: how far a judge agrees with hand labels.

A label file is JSONL in the shape ``safereason judge`` reads (the fields the judge reads,
its ``reads``; optional ``id``, ``kind``, ``reasoning``, ``category``) plus a ``label``
per line. The labels are either labels the judge gives itself
(``refused``/``partial``/``complied`` for ``refusal``) or harm-level labels
``safe``/``unsafe``, which any judge that declares its safe labels (``meaning.safe``) is
compared through: a decided verdict with a label in ``meaning.safe`` counts as ``safe``,
any other decided label as ``unsafe``.

False-safe rate: of the items labelled not safe on which the judge decided, the share it
judged safe; false-unsafe rate: of the items labelled safe on which it decided, the share
it judged unsafe. An undecided verdict (``unparsed``, ``no_reasoning``) is its own column
of the confusion matrix, counts as a miss in accuracy and kappa, and is left out of the
two rates (their n says so).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from importlib.resources import as_file, files
from pathlib import Path
from typing import Any

import click

from safereason.errors import SafereasonError, one_line
from safereason.judge_fields import InputFields, input_fields
from safereason.meaning import Meaning
from safereason.types import Completion, Sample

HARM_LEVEL = ("safe", "unsafe")
# The labelled sets shipped in safereason/data/calibration; ``starter`` picks the one that
# fits the judge (refusal for the refusal judge, harm for the others).
SHIPPED = {"refusal": "refusal.jsonl", "harm": "harm.jsonl"}
RESPONSE_CHARS = 80

HELP = """Score a judge against hand labels: accuracy, Cohen's kappa, the confusion matrix,
false-safe and false-unsafe rates with 95% Wilson intervals, and the disagreements.

\b
--labels FILE is JSONL, one labelled item a line:
  prompt     the request (required by rubric, guard, harmbench_cls; read by refusal)
  response   the model's final answer (required)
  label      the hand label (required)
  id, kind (default harmful), reasoning, category   (optional)
or the name of a set shipped with safereason: refusal (1835 refusal cases, labels
refused/partial/complied), harm (80 cases, labels safe/unsafe), or starter (refusal for
the refusal judge, harm for any other); a file of that name, if one exists, wins.

\b
A label is one the judge gives (refusal: refused/partial/complied; rubric:
refused/harmless/harmful; guard and harmbench_cls: safe/unsafe), or, for the whole file,
the harm-level safe/unsafe: the judge's verdicts are then read through the labels it
declares safe (refusal: refused; rubric: refused, harmless; guard, harmbench_cls: safe).

\b
False-safe: labelled not safe, judged safe (of the items labelled not safe that the judge
decided); false-unsafe the reverse. An undecided verdict (unparsed) counts as a miss in
accuracy and kappa and is left out of the two rates.

The judge is given as for `safereason judge`: --judge NAME (or a YAML/JSON spec file)
and --option KEY=VALUE. --output FILE writes the same results as JSON.
"""


@dataclass(frozen=True)
class LabelledItem:
    """One line of a label file."""

    line: int
    id: str
    sample: Sample
    completion: Completion
    gold: str


def judge_labels(name: str, plugin: Any) -> tuple[str, ...] | None:
    """The labels a judge gives when it decides, as its meaning declares (``None``: none)."""
    meaning = getattr(type(plugin), "meaning", None)
    labels = meaning.labels if isinstance(meaning, Meaning) else ()
    return tuple(labels) or None


def shipped_set(value: str, judge: str) -> str | None:
    """The shipped file ``--labels VALUE`` names, or ``None`` when it names a file."""
    if Path(value).exists():
        return None
    if value == "starter":
        return SHIPPED["refusal"] if judge == "refusal" else SHIPPED["harm"]
    return SHIPPED.get(value)


def read_labels(
    path: Path,
    judge: str,
    vocab: tuple[str, ...] | None,
    meaning: Meaning | None,
    fields: InputFields | None = None,
) -> tuple[list[LabelledItem], bool]:
    """The items of a label file and whether its labels are harm-level (safe/unsafe).

    ``fields`` are what the judge reads (:func:`safereason.judge_fields.input_fields`;
    default: a request and a response). Every problem is a one-line
    :class:`SafereasonError` naming the file and line.
    """
    from safereason.judge_cli import ALL_FIELDS, read_items

    harm_ok = meaning is not None and meaning.safe is not None
    own = set(vocab or ())
    items: list[LabelledItem] = []
    level: tuple[int, bool] | None = None  # (first line, harm-level?) of the first label
    for lineno, _, sample, comp, raw in read_items(path, fields or ALL_FIELDS):
        label = raw.get("label")
        if not isinstance(label, str) or not label.strip():
            raise SafereasonError(f"{path}:{lineno}: 'label' is required and must be a string")
        label = label.strip()
        if label not in own and not (harm_ok and label in HARM_LEVEL):
            known = ", ".join(vocab) if vocab else f"{judge} declares no labels of its own"
            harm = " or the harm-level safe/unsafe" if harm_ok else ""
            raise SafereasonError(
                f"{path}:{lineno}: label {label!r} is not one {judge} gives ({known}){harm}"
            )
        if label not in own or label not in HARM_LEVEL:  # says which kind of file this is
            harm_level = label not in own
            if level is None:
                level = (lineno, harm_level)
            elif level[1] != harm_level:
                raise SafereasonError(
                    f"{path}:{lineno}: label {label!r} mixes {judge}'s own labels with the "
                    f"harm-level safe/unsafe (line {level[0]}); use one or the other"
                )
        items.append(LabelledItem(lineno, sample.id, sample, comp, label))
    if not items:
        raise SafereasonError(f"{path}:1: no labelled rows (the file is empty)")
    return items, level is not None and level[1]


def _kappa(gold: Sequence[str], pred: Sequence[str], cats: Sequence[str]) -> float | None:
    """Cohen's kappa (statsmodels) over ``cats``; ``None`` where it is undefined."""
    from statsmodels.stats.inter_rater import cohens_kappa  # type: ignore[import-untyped]

    index = {c: i for i, c in enumerate(cats)}
    table = [[0] * len(cats) for _ in cats]
    for g, p in zip(gold, pred, strict=True):
        table[index[g]][index[p]] += 1
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        k = float(cohens_kappa(table).kappa)
    return k if math.isfinite(k) else None


def _rate(k: int, n: int) -> dict[str, Any]:
    from safereason.analysis.cells import wilson

    if n == 0:
        return {"k": 0, "n": 0, "rate": None, "lo": None, "hi": None}
    lo, hi = wilson(k, n)
    return {"k": k, "n": n, "rate": k / n, "lo": lo, "hi": hi}


def calibration(
    items: Sequence[LabelledItem],
    labels: Sequence[str],
    harm_level: bool,
    meaning: Meaning,
    verdict_labels: Sequence[str],
    decided: Sequence[bool],
) -> dict[str, Any]:
    """The scores of a judge's verdicts against the items' hand labels.

    ``labels``: the gold label set (the judge's own, or safe/unsafe); ``verdict_labels``
    and ``decided``: the judge's label for each item and whether it decided.
    """
    safe = meaning.safe
    pred: list[str] = []
    for lab, dec in zip(verdict_labels, decided, strict=True):
        if harm_level and dec:
            pred.append("safe" if safe is not None and lab in safe else "unsafe")
        else:
            pred.append(lab)
    gold = [it.gold for it in items]
    columns = list(labels) + sorted({p for p in pred if p not in labels})
    n = len(items)
    pairs = list(zip(gold, pred, strict=True))
    right = sum(g == p for g, p in pairs)

    def is_safe(label: str) -> bool:
        return label == "safe" if harm_level else safe is not None and label in safe

    fs_k = fs_n = fu_k = fu_n = 0
    if safe is not None or harm_level:
        for g, p, dec in zip(gold, pred, decided, strict=True):
            if not dec:
                continue
            if is_safe(g):
                fu_n += 1
                fu_k += not is_safe(p)
            else:
                fs_n += 1
                fs_k += is_safe(p)
    return {
        "n": n,
        "accuracy": right / n,
        "correct": right,
        "kappa": _kappa(gold, pred, columns),
        "undecided": sum(not d for d in decided),
        "harm_level": harm_level,
        "judge_safe_labels": sorted(safe) if safe is not None else None,
        "labels": list(labels),
        "columns": columns,
        "confusion": {g: {p: pairs.count((g, p)) for p in columns} for g in labels},
        "false_safe": _rate(fs_k, fs_n),
        "false_unsafe": _rate(fu_k, fu_n),
        "disagreements": [
            {
                "id": it.id,
                "line": it.line,
                "gold": g,
                "predicted": p,
                "response": one_line(it.completion.text)[:RESPONSE_CHARS],
            }
            for it, g, p in zip(items, gold, pred, strict=True)
            if g != p
        ],
    }


def _fmt_rate(r: dict[str, Any], what: str) -> str:
    if r["n"] == 0:
        return f"— (no decided items labelled {what})"
    interval = f"{r['rate']:.3f} [{r['lo']:.3f}, {r['hi']:.3f}]"
    return f"{interval} (k={r['k']}, n={r['n']} labelled {what})"


def render(result: dict[str, Any]) -> list[str]:
    """The lines ``safereason calibrate`` prints."""
    kappa = result["kappa"]
    safe = ", ".join(result["judge_safe_labels"] or ["(none declared)"])
    lines = [
        f"calibrated {result['judge']} on {result['labels_file']}: n={result['n']}"
        + (f", {result['undecided']} undecided" if result["undecided"] else "")
        + (" (harm-level labels: verdicts read as safe/unsafe)" if result["harm_level"] else ""),
        f"accuracy: {result['accuracy']:.3f} ({result['correct']} of {result['n']})",
        "Cohen's kappa: " + (f"{kappa:.3f}" if kappa is not None else "undefined (one category)"),
        f"false-safe: {_fmt_rate(result['false_safe'], 'not safe')}"
        f"; the judge's safe labels: {safe}",
        f"false-unsafe: {_fmt_rate(result['false_unsafe'], 'safe')}",
        "confusion matrix (rows: gold label, columns: the judge's label):",
    ]
    cols = result["columns"]
    width = max(len(c) for c in [*cols, *result["labels"], "gold"]) + 2
    lines.append("  " + "gold".ljust(width) + "".join(c.rjust(width) for c in cols))
    for g in result["labels"]:
        row = result["confusion"][g]
        lines.append("  " + g.ljust(width) + "".join(str(row[c]).rjust(width) for c in cols))
    dis = result["disagreements"]
    lines.append(f"disagreements: {len(dis)}")
    for d in dis:
        lines.append(f"  {d['id']}: gold {d['gold']}, judged {d['predicted']}: {d['response']}")
    return lines


@click.command(name="calibrate", help=HELP)
@click.option("--judge", "judge", required=True, help="Judge name, or a YAML/JSON spec file.")
@click.option(
    "--option", "options", multiple=True, metavar="KEY=VALUE", help="A judge option (repeat)."
)
@click.option(
    "--labels",
    "labels",
    required=True,
    help="Labelled JSONL, or a shipped set: starter, refusal, harm.",
)
@click.option(
    "--output", "output", type=click.Path(path_type=Path), help="Also write the results as JSON."
)
def calibrate_command(
    judge: str, options: tuple[str, ...], labels: str, output: Path | None
) -> None:
    import json

    from safereason.judge_cli import build_judge
    from safereason.meaning import GENERIC
    from safereason.types import Verdict

    name, plugin, pool = build_judge(judge, options)
    try:
        meaning: Meaning = getattr(type(plugin), "meaning", GENERIC)
        vocab = judge_labels(name, plugin)
        if vocab is None and meaning.safe is None:
            raise SafereasonError(
                f"judge {name} declares neither its labels nor which of them are safe; "
                "calibrate cannot compare it with hand labels"
            )
        fields = input_fields(plugin)
        shipped = shipped_set(labels, name)
        if shipped is not None:
            with as_file(files("safereason") / "data" / "calibration" / shipped) as path:
                items, harm_level = read_labels(path, name, vocab, meaning, fields)
            where = f"{labels} (shipped {shipped})"
        else:
            items, harm_level = read_labels(Path(labels), name, vocab, meaning, fields)
            where = labels
        verdicts: list[Verdict] = plugin.score([(it.sample, it.completion) for it in items])
    finally:
        pool.close()
    gold_labels = HARM_LEVEL if harm_level else (vocab or HARM_LEVEL)
    result = {
        "judge": name,
        "labels_file": where,
        **calibration(
            items,
            gold_labels,
            harm_level,
            meaning,
            [v.label for v in verdicts],
            [v.decided for v in verdicts],
        ),
    }
    for line in render(result):
        click.echo(line)
    if output is not None:
        try:
            output.parent.mkdir(parents=True, exist_ok=True)
            output.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
        except OSError as e:
            raise SafereasonError(f"cannot write {output}: {e.strerror or e}") from None
        click.echo(f"wrote {output}")
