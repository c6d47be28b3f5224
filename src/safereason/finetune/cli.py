"""The ``finetune`` and ``finetune-sweep`` commands (also ``python -m safereason.finetune``)."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.table import Table

from safereason.errors import SafereasonError

err = Console(stderr=True)
out = Console()


def _is_main() -> bool:
    """Whether this is the main process of a distributed launch (or not launched so)."""
    return os.environ.get("RANK", "0") == "0"


def _log(message: str) -> None:
    if _is_main():
        err.print(f"[dim]finetune:[/] {message}", highlight=False, soft_wrap=True)


class Command(click.Command):
    """Turns user errors into one line and a non-zero exit, also when run standalone."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except SafereasonError as e:
            err.print(f"[bold red]error:[/] {e}", highlight=False, soft_wrap=True)
            sys.exit(e.exit_code)


def _mixture_table(stats: dict[str, Any]) -> Table:
    t = Table(title=f"mixture: {stats['size']} examples (sha256 {stats['sha256'][:12]})")
    for col in ("part", "count", "available", "held out =/~", "malformed", "repeated"):
        t.add_column(col)
    for s in stats["sources"]:
        t.add_row(
            s["label"],
            str(s["count"]),
            str(s.get("available", "-")),
            f"{s.get('excluded_exact', 0)}/{s.get('excluded_near', 0)}",
            str(s.get("skipped_malformed", 0)),
            str(s.get("repeated", 0)),
        )
    sf = stats["safety"]
    if sf["count"]:
        t.add_row(
            f"safety ({sf['style']})",
            str(sf["count"]),
            str(sf["pool"]),
            f"{sf['excluded_exact']}/{sf['excluded_near']}",
            "-",
            str(sf["repeated"]),
        )
    return t


@click.command("finetune", cls=Command)
@click.argument("config", type=click.Path(path_type=Path))
@click.option(
    "--output-dir", type=click.Path(path_type=Path), help="Override the config's output_dir."
)
@click.option(
    "--dry-run",
    is_flag=True,
    help="Build and check the data mixture, write train.jsonl and mixture.json; train nothing.",
)
def finetune_command(config: Path, output_dir: Path | None, dry_run: bool) -> None:
    """Fine-tune a model on the data mixture in CONFIG (YAML): LoRA, QLoRA or full."""
    from safereason.finetune.config import load_finetune

    cfg = load_finetune(config)
    if output_dir is not None:
        cfg = cfg.model_copy(update={"output_dir": str(output_dir)})
    if dry_run:
        from safereason.finetune.mixture import build_mixture
        from safereason.finetune.train import MIXTURE_FILE, TRAIN_FILE, write_mixture

        mixture = build_mixture(cfg.data, cfg.training.system_prompt, _log)
        write_mixture(Path(cfg.output_dir), mixture)
        out.print(_mixture_table(mixture.stats))
        h = mixture.stats["holdout"]
        out.print(
            f"holdout: {h['prompts']} evaluation prompts; excluded {h['excluded_exact']} exact "
            f"and {h['excluded_near']} near duplicates; {h['remaining']} left"
        )
        out.print(f"wrote {cfg.output_dir}/{TRAIN_FILE} and {MIXTURE_FILE}", soft_wrap=True)
        return
    from safereason.finetune import MANIFEST
    from safereason.finetune.train import train

    where = train(cfg, str(config), _log)
    if _is_main():
        out.print(f"fine-tuned: {where} (manifest: {where / MANIFEST})", soft_wrap=True)


@click.command("finetune-sweep", cls=Command)
@click.argument("sweep_file", type=click.Path(path_type=Path))
@click.option("--force", is_flag=True, help="Retrain points that are already trained.")
@click.option(
    "--dry-run", is_flag=True, help="List the points and write the experiment; train nothing."
)
@click.option(
    "--experiment",
    "experiment_path",
    type=click.Path(path_type=Path),
    help="Where to write the evaluation experiment (default: experiment.path).",
)
def sweep_command(
    sweep_file: Path, force: bool, dry_run: bool, experiment_path: Path | None
) -> None:
    """Train one model per grid point in SWEEP_FILE; write an experiment evaluating them."""
    from safereason.finetune.sweep import load_sweep, run_sweep, write_experiment

    sweep = load_sweep(sweep_file)
    if experiment_path is not None:
        sweep.experiment_path = experiment_path
    for p in sweep.points:
        _log(f"point {p.label}: {p.values} -> {p.config.output_dir}")
    if dry_run:
        path = write_experiment(sweep) if _is_main() else sweep.experiment_path
    else:
        from safereason.finetune.train import train

        def one(cfg: Any) -> Any:
            return train(cfg, str(sweep_file), _log)

        path = run_sweep(sweep, one, force=force, log=_log, write=_is_main())
    if _is_main():
        out.print(f"experiment: {path}  (run it: safereason run {path})", soft_wrap=True)


@click.command("canary-exposure", cls=Command)
@click.argument("path", type=click.Path(path_type=Path))
@click.option(
    "--candidates",
    type=int,
    default=10_000,
    show_default=True,
    help="Other secrets scored per canary (the whole space when it is that small).",
)
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the candidates.")
@click.option(
    "--model",
    "model_json",
    help="The model entry as JSON (default: the manifest's evaluate_as; backend hf).",
)
@click.option("--no-extract", is_flag=True, help="Skip the greedy extraction test.")
@click.option(
    "--output", type=click.Path(path_type=Path), help="Also write the results as JSON here."
)
def canary_exposure_command(
    path: Path,
    candidates: int,
    seed: int,
    model_json: str | None,
    no_extract: bool,
    output: Path | None,
) -> None:
    """Exposure of the canaries a fine-tuning mixture planted (PATH: its output directory)."""
    import json

    from safereason.files import atomic_write
    from safereason.finetune.exposure import markdown, run_exposure

    model = None
    if model_json is not None:
        try:
            model = json.loads(model_json)
        except ValueError as e:
            raise SafereasonError(f"--model: not JSON ({e})") from None
        if not isinstance(model, dict):
            raise SafereasonError("--model: expected a JSON object (a model entry)")
    rows = run_exposure(str(path), candidates, seed, model, extract=not no_extract)
    out.print(markdown(rows), highlight=False, soft_wrap=True)
    if output is not None:
        text = json.dumps([r.to_dict() for r in rows], indent=2) + "\n"
        atomic_write(output, lambda tmp: tmp.write_text(text, encoding="utf-8"))
        out.print(f"wrote {output}", soft_wrap=True)
