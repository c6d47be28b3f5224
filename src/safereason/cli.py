"""The ``safereason`` command line: quickstart, run, report, list."""

from __future__ import annotations

import signal
import sys
from pathlib import Path
from typing import Any

import click
from rich.console import Console

from safereason import interrupts
from safereason.calibrate import calibrate_command
from safereason.errors import OneLineErrors, SafereasonError
from safereason.export_cli import export_command
from safereason.finetune.cli import canary_exposure_command, finetune_command, sweep_command
from safereason.init_cli import init_command
from safereason.judge_cli import judge_command
from safereason.tracking import track_run

err = Console(stderr=True)
# Piped output gets a wide console, so tables are not cut to 80 columns in logs.
out = Console(width=None if sys.stdout.isatty() else 200)


class Group(OneLineErrors, click.Group):
    """Turns every error into one line and a non-zero exit, never a traceback: usage
    errors, user errors (:class:`SafereasonError`) and, as a last resort, any other."""

    def invoke(self, ctx: click.Context) -> Any:
        signal.signal(signal.SIGTERM, interrupts.on_signal)
        if signal.getsignal(signal.SIGINT) is signal.default_int_handler:
            # a job a script started in the background inherits SIGINT ignored: keep that
            signal.signal(signal.SIGINT, interrupts.on_signal)
        return super().invoke(ctx)


class _Whole(click.IntRange):
    name = "whole number"


COUNT = _Whole(min=0)
POSITIVE = _Whole(min=1)


@click.group(cls=Group)
@click.version_option(package_name="safereason")
def main() -> None:
    """Measure what making an LLM reason better does to its safety."""


def _execute(exp: Any, out_dir: Path | None, dry_run: bool, progress: bool) -> None:
    from safereason.report.outputs import write_outputs, write_report
    from safereason.runner import Runner, run_dir_for

    run_dir = run_dir_for(exp, out_dir)
    outcome = Runner(exp, run_dir, console=err, progress=progress).run(dry_run=dry_run)
    est = outcome.estimate
    speeds = ", ".join(f"{m}: {tps:.0f} tok/s ({src})" for m, (tps, src) in est["speeds"].items())
    if dry_run:
        out.print(f"plan: {outcome.plan_size} items, {outcome.unique_requests} unique requests")
        out.print(
            f"already stored: {outcome.stored_before} in the run, "
            f"{outcome.from_cache} more from the shared cache"
        )
        out.print(
            f"to generate: {est['requests']} requests, at most {est['max_new_tokens']:,} "
            f"new tokens, about {est['seconds'] / 60:.1f} min" + (f" at {speeds}" if speeds else "")
        )
        return
    out.print(
        f"generated {outcome.generated} (reused {outcome.stored_before + outcome.from_cache}"
        f" from the store), judged {outcome.judged} (reused {outcome.verdicts_reused}) "
        f"in {outcome.seconds:.0f} s"
    )
    if outcome.failed and not (outcome.generated or outcome.stored_before or outcome.from_cache):
        raise SafereasonError(outcome.failure_summary())  # nothing to report: no empty report
    write_outputs(run_dir, console=out)
    html = write_report(run_dir)
    out.print(
        f"results: {run_dir}/results.jsonl, results.parquet; "
        f"summary: {run_dir}/summary.md; store: {run_dir}/store.sqlite"
    )
    out.print(f"report: {html}", soft_wrap=True)
    problems = track_run(run_dir, out)  # after the outputs: a tracking failure loses nothing
    if outcome.failed:
        raise SafereasonError(outcome.failure_summary())
    if problems:
        raise SafereasonError("; ".join(problems))


@main.command()
@click.argument("config", type=click.Path(path_type=Path))
@click.option(
    "--dry-run", is_flag=True, help="Print the plan's size, what is cached, and an estimate."
)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(path_type=Path),
    help="Run directory (default: output_dir/name).",
)
@click.option("--no-progress", is_flag=True, help="Hide progress bars.")
def run(config: Path, dry_run: bool, out_dir: Path | None, no_progress: bool) -> None:
    """Run the experiment in CONFIG (YAML); re-running resumes where it stopped."""
    from safereason.experiment_file import load_experiment

    _execute(load_experiment(config), out_dir, dry_run, not no_progress)


@main.command()
@click.option("--model", default="embedded", show_default=True, help="Model name or .gguf path.")
@click.option("--n-math", default=4, type=COUNT, show_default=True, help="GSM-style word problems.")
@click.option(
    "--n-arithmetic",
    default=4,
    type=COUNT,
    show_default=True,
    help="Multi-step arithmetic problems.",
)
@click.option(
    "--n-harmful",
    default=3,
    type=COUNT,
    show_default=True,
    help="Harmful requests (x 4 attack variants).",
)
@click.option(
    "--max-tokens",
    default=320,
    type=POSITIVE,
    show_default=True,
    help="Token cap for reasoning answers.",
)
@click.option(
    "--harmful-max-tokens",
    default=128,
    type=POSITIVE,
    show_default=True,
    help="Token cap for harmful answers.",
)
@click.option("--seed", default=0, type=COUNT, show_default=True)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(path_type=Path),
    default=Path("runs/quickstart"),
    show_default=True,
)
@click.option("--dry-run", is_flag=True)
@click.option("--no-progress", is_flag=True)
def quickstart(
    model: str,
    n_math: int,
    n_arithmetic: int,
    n_harmful: int,
    max_tokens: int,
    harmful_max_tokens: int,
    seed: int,
    out_dir: Path,
    dry_run: bool,
    no_progress: bool,
) -> None:
    """Four reasoning methods on the embedded model: accuracy, refusals and jailbreaks."""
    from safereason.presets import quickstart_experiment

    exp = quickstart_experiment(
        model=model,
        n_math=n_math,
        n_arithmetic=n_arithmetic,
        n_harmful=n_harmful,
        max_tokens=max_tokens,
        harmful_max_tokens=harmful_max_tokens,
        seed=seed,
    )
    _execute(exp, out_dir, dry_run, not no_progress)


@main.command()
@click.argument("run_dir", type=click.Path(path_type=Path))
@click.option(
    "--compare",
    "other",
    type=click.Path(path_type=Path),
    help="Another run (e.g. a fine-tuned model) to set beside this one, with paired tests.",
)
@click.option("--baseline", help="Method the others are tested against (default: the first).")
@click.option("--redact", is_flag=True, help="Replace harmful completions in transcripts.")
@click.option("--no-tracking", is_flag=True, help="Do not log to the experiment's `tracking:`.")
def report(
    run_dir: Path, other: Path | None, baseline: str | None, redact: bool, no_tracking: bool
) -> None:
    """Rebuild a run's results, summaries and HTML report from its store."""
    from safereason.judging import record_judges
    from safereason.report.outputs import write_outputs, write_report

    for run in (run_dir, other):
        if run is not None:
            record_judges(run)  # a run made before runs recorded their judges' meanings
    write_outputs(run_dir, console=out)
    html = write_report(run_dir, compare=other, baseline=baseline, redact=redact)
    out.print(f"wrote {run_dir}/summary.md, summary.json, results.jsonl, results.parquet")
    out.print(f"wrote {run_dir}/report.md, report.json")
    out.print(f"report: {html}", soft_wrap=True)
    problems = [] if no_tracking else track_run(run_dir, out)
    if problems:
        raise SafereasonError("; ".join(problems))


@main.command(name="list")
def list_() -> None:
    """List models, methods, benchmarks, attacks, judges and backends."""
    from rich.table import Table

    from safereason import plugins
    from safereason.models.embedded import EMBEDDED

    t = Table(show_header=True)
    t.add_column("kind")
    t.add_column("name")
    t.add_column("description")
    for name, m in EMBEDDED.items():
        t.add_row("model", name, f"{m.title}, embedded via PyPI ({', '.join(m.pip_names[:1])}...)")
    for reg in (
        plugins.methods,
        plugins.benchmarks,
        plugins.attacks,
        plugins.judges,
        plugins.backends,
    ):
        for name, doc in reg.describe():
            t.add_row(reg.kind, name, doc)
    out.print(t)


main.add_command(judge_command)
main.add_command(calibrate_command)
main.add_command(finetune_command)
main.add_command(sweep_command)
main.add_command(init_command)
main.add_command(export_command)
main.add_command(canary_exposure_command)

if __name__ == "__main__":
    main()
