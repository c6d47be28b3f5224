"""``safereason judge``: judge responses made elsewhere, from a JSONL file, resumably."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast, get_args

import click
import yaml

from safereason.errors import SafereasonError
from safereason.hashing import content_key
from safereason.judge_fields import DEFAULT_READS, InputFields, input_fields
from safereason.meaning import GENERIC, Meaning
from safereason.types import Completion, Sample, SampleKind, Verdict

if TYPE_CHECKING:
    from safereason.backends.pool import ModelPool

HELP = """Judge responses made elsewhere: read INPUT (JSONL), append verdicts to OUTPUT (JSONL).

\b
Each input line is a JSON object; a judge needs only the fields it reads (listed per
judge below), and any other field is ignored:
  prompt     the request (what the judge sees as the request)
  response   the model's final answer (the text judged)
  reasoning  its thinking trace (judged instead with --option target=reasoning)
  target     a gold answer (answer_match, llm_extractor)
  kind       harmful | benign | reasoning | privacy (optional, default harmful)
  category   (optional)
  id         (optional; else the line number identifies the item)

\b
The judge: --judge NAME with --option KEY=VALUE for each option (VALUE is read as
YAML, so JSON works too), e.g.
  --judge rubric --option max_tokens=128 \\
      --option 'model={"name": "my-judge.gguf"}'
or --judge FILE.yaml|FILE.json holding a judge entry as in an experiment, e.g.
  {name: guard, model: {name: org/Llama-Guard-3-1B-GGUF}, target: reasoning}
(--option values then override the file's).

\b
OUTPUT gets one line per judged item, written as it goes: the item's id (or line),
the judge's spec and its verdict (label, score, details). Running again with the same
OUTPUT skips the items already there, so an interrupted run resumes; an OUTPUT made by a
different judge spec is refused. A malformed input line stops the run with its line
number, after the lines before it are judged and written. The summary counts the labels
and gives the judge's rate with a 95% Wilson interval (undecided verdicts excluded).
"""


def _judge_spec(judge: str, options: tuple[str, ...]) -> dict[str, Any]:
    """The judge's name and options from --judge (a name or a spec file) and --option."""
    spec: dict[str, Any]
    path = Path(judge)
    if path.suffix.lower() in (".yaml", ".yml", ".json"):
        try:
            loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
        except OSError as e:
            raise SafereasonError(f"cannot read judge spec {path}: {e.strerror or e}") from None
        except yaml.YAMLError as e:
            raise SafereasonError(f"{path}: not valid YAML/JSON: {e}".splitlines()[0]) from None
        if isinstance(loaded, str):
            loaded = {"name": loaded}
        if not isinstance(loaded, dict) or not isinstance(loaded.get("name"), str):
            raise SafereasonError(f"{path}: a judge spec is a mapping with a 'name'")
        spec = dict(loaded)
    else:
        spec = {"name": judge}
    spec.pop("label", None)
    for opt in options:
        key, eq, raw = opt.partition("=")
        if not eq or not key.strip():
            raise SafereasonError(f"--option {opt!r}: expected KEY=VALUE")
        try:
            spec[key.strip()] = yaml.safe_load(raw) if raw.strip() else ""
        except yaml.YAMLError:
            raise SafereasonError(f"--option {key}: value is not valid YAML/JSON: {raw}") from None
    return spec


ALL_FIELDS = InputFields(DEFAULT_READS, ())


def _item(
    lineno: int, line: str, where: str, fields: InputFields = ALL_FIELDS
) -> tuple[str, Sample, Completion]:
    """An input line as (identity, sample, completion); a clear error if it is malformed.

    The ``fields.required`` must be strings; every other text field may be absent or null.
    """

    def bad(msg: str) -> SafereasonError:
        return SafereasonError(f"{where}:{lineno}: {msg}")

    try:
        d = json.loads(line)
    except json.JSONDecodeError as e:
        raise bad(f"not valid JSON ({e.msg} at column {e.colno})") from None
    if not isinstance(d, dict):
        raise bad("expected a JSON object")
    for key in fields.required:
        if not isinstance(d.get(key), str):
            raise bad(f"{key!r} is required and must be a string")
    for key in ("prompt", "response", "reasoning", "target", "category"):
        if d.get(key) is not None and not isinstance(d[key], str):
            raise bad(f"{key!r} must be a string or null")
    kind = d.get("kind") or "harmful"
    if kind not in get_args(SampleKind):
        raise bad(f"kind {kind!r} is not one of {', '.join(get_args(SampleKind))}")
    raw_id = d.get("id")
    if raw_id is not None and not isinstance(raw_id, (str, int)):
        raise bad("'id' must be a string or a number")
    ident = f"id:{raw_id}" if raw_id is not None else f"line:{lineno}"
    sample = Sample.from_prompt(
        str(raw_id) if raw_id is not None else f"line-{lineno}",
        "input",
        cast(SampleKind, kind),
        d.get("prompt") or "",
        target=d.get("target"),
        category=d.get("category"),
    )
    response = d.get("response") or ""
    comp = Completion(
        key=content_key({"response": response, "reasoning": d.get("reasoning")}),
        text=response,
        reasoning=d.get("reasoning"),
    )
    return ident, sample, comp


def _read_done(output: Path, spec: dict[str, Any]) -> list[dict[str, Any]]:
    """Records already in OUTPUT (dropping a partly written last line)."""
    if not output.exists():
        return []
    text = output.read_text(encoding="utf-8")
    if text and not text.endswith("\n"):  # killed mid-write: the last line is partial
        text = text[: text.rfind("\n") + 1]
        output.write_text(text, encoding="utf-8")
    records = []
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            rec = json.loads(line)
        except json.JSONDecodeError:
            raise SafereasonError(f"{output}:{n}: not a line this command wrote") from None
        if not isinstance(rec, dict) or "item" not in rec or "verdict" not in rec:
            raise SafereasonError(f"{output}:{n}: not a line this command wrote")
        if rec.get("judge") != spec:
            raise SafereasonError(
                f"{output} holds verdicts of another judge spec ({rec.get('judge')}); "
                f"use another --output"
            )
        records.append(rec)
    return records


def read_items(
    path: Path, fields: InputFields = ALL_FIELDS
) -> Iterator[tuple[int, str, Sample, Completion, dict[str, Any]]]:
    """Each item of a JSONL file as (line, identity, sample, completion, the parsed object).

    Lines are checked one at a time as they are read (a malformed line, one without a
    field in ``fields.required`` — what the judge reads, :func:`input_fields` — or a
    duplicate id raises a one-line :class:`SafereasonError` naming the file and line);
    ``safereason judge`` and ``safereason calibrate`` read their input through this.
    """
    first_line: dict[str, int] = {}
    for lineno, line in _lines(path):
        ident, sample, comp = _item(lineno, line, str(path), fields)
        if ident in first_line:
            raise SafereasonError(
                f"{path}:{lineno}: duplicate {ident} (first on line {first_line[ident]})"
            )
        first_line[ident] = lineno
        yield lineno, ident, sample, comp, json.loads(line)


def build_judge(judge: str, options: tuple[str, ...]) -> tuple[str, Any, ModelPool]:
    """The judge named by --judge and --option: (name, plugin, model pool, to be closed).

    A model-backed judge is bound to a pool whose replies go through the shared cache, as
    in a run.
    """
    from safereason import plugins
    from safereason.backends.pool import ModelPool

    spec = _judge_spec(judge, options)
    name = spec.pop("name")
    stated = spec.pop("depends_on", None)  # as a manifest records it: not an option
    plugin = plugins.judges.build(name, spec)
    have = getattr(type(plugin), "depends_on", None)
    if stated is not None and stated != have:
        raise SafereasonError(
            f"judge {name}: the spec depends_on {stated}, but this safereason's judge "
            f"depends on {have}; leave depends_on out to use this one"
        )
    pool = ModelPool.for_setting("default")
    if isinstance(plugin, plugins.UsesModels):
        plugin.bind(pool)
    return name, plugin, pool


def _lines(path: Path) -> Iterator[tuple[int, str]]:
    try:
        with path.open(encoding="utf-8") as f:
            for n, line in enumerate(f, 1):
                if line.strip():
                    yield n, line
    except OSError as e:
        raise SafereasonError(f"cannot read {path}: {e.strerror or e}") from None
    except UnicodeDecodeError:
        raise SafereasonError(f"{path}: not UTF-8 text") from None


def summarise(records: list[dict[str, Any]], judge: str, meaning: Meaning = GENERIC) -> list[str]:
    """Label counts, and the judge's rate per sample kind with a 95% Wilson interval."""
    from safereason.analysis.cells import wilson

    lines = []
    labels = Counter(r["verdict"]["label"] for r in records)
    lines.append(
        f"judged {len(records)} items with {judge}: "
        + ", ".join(f"{lab} {n}" for lab, n in sorted(labels.items()))
    )
    for kind in sorted({r["kind"] for r in records}):
        m = meaning.metric(kind, judge)
        metric = m.name
        decided = [
            r["verdict"]
            for r in records
            if r["kind"] == kind and Verdict.from_dict(r["verdict"]).decided
        ]
        undecided = sum(1 for r in records if r["kind"] == kind) - len(decided)
        if not decided:
            lines.append(f"{kind}: {metric}: no decided verdicts ({undecided} undecided)")
            continue
        k = sum(m.hit(v["label"], float(v["score"])) for v in decided)
        n = len(decided)
        lo, hi = wilson(k, n)
        line = f"{kind}: {metric} = {k / n:.3f} [{lo:.3f}, {hi:.3f}] (k={k}, n={n}"
        line += f"; {undecided} undecided, excluded)" if undecided else ")"
        scores = [float(v["score"]) for v in decided]
        if meaning.mean is not None or any(0.0 < x < 1.0 for x in scores):  # a graded score
            line += f"; mean score {sum(scores) / n:.3f}"
        lines.append(line)
    return lines


def fields_by_judge() -> list[tuple[str, str]]:
    """(judge name, the fields it reads) for every registered judge, as ``--help`` lists them."""
    from safereason import plugins

    return [(n, input_fields(plugins.judges.get(n)).describe()) for n in plugins.judges.names()]


class JudgeCommand(click.Command):
    """``safereason judge``, whose help ends with the fields each registered judge reads."""

    def format_epilog(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        with formatter.section("Fields each judge reads (with target=reasoning: the trace)"):
            formatter.write_dl(fields_by_judge())
        super().format_epilog(ctx, formatter)


@click.command(name="judge", help=HELP, cls=JudgeCommand)
@click.option("--judge", "judge", required=True, help="Judge name, or a YAML/JSON spec file.")
@click.option(
    "--option", "options", multiple=True, metavar="KEY=VALUE", help="A judge option (repeat)."
)
@click.option(
    "--input", "input_path", required=True, type=click.Path(path_type=Path), help="JSONL in."
)
@click.option(
    "--output", "output", required=True, type=click.Path(path_type=Path), help="JSONL out."
)
@click.option("--batch-size", default=16, show_default=True, type=click.IntRange(1))
def judge_command(
    judge: str, options: tuple[str, ...], input_path: Path, output: Path, batch_size: int
) -> None:
    from safereason.registry import spec_of

    name, plugin, pool = build_judge(judge, options)
    full_spec = spec_of(plugin)
    done = _read_done(output, full_spec)
    seen = {r["item"] for r in done}
    records = list(done)
    pending: list[tuple[str, int, Sample, Completion]] = []
    output.parent.mkdir(parents=True, exist_ok=True)

    try:
        with output.open("a", encoding="utf-8") as out_f:

            def flush() -> None:
                if not pending:
                    return
                verdicts = plugin.score([(s, c) for _, _, s, c in pending])
                for (ident, lineno, s, _), v in zip(pending, verdicts, strict=True):
                    rec = {
                        "item": ident,
                        "line": lineno,
                        "id": s.id,
                        "kind": s.kind,
                        "category": s.category,
                        "judge": full_spec,
                        "verdict": v.to_dict(),
                    }
                    out_f.write(json.dumps(rec, ensure_ascii=False) + "\n")
                    records.append(rec)
                out_f.flush()
                pending.clear()

            try:
                for lineno, ident, sample, comp, _ in read_items(input_path, input_fields(plugin)):
                    if ident in seen:
                        continue
                    pending.append((ident, lineno, sample, comp))
                    if len(pending) >= batch_size:
                        flush()
            except SafereasonError:
                flush()  # what came before the bad line is judged and kept
                raise
            flush()
    finally:
        pool.close()
    skipped = len(done)
    for line_out in summarise(records, name, getattr(type(plugin), "meaning", GENERIC)):
        click.echo(line_out)
    if skipped:
        click.echo(f"({skipped} items were already in {output} and were not judged again)")
