"""``safereason export``: a run's results in formats other tools open (a Hugging Face
dataset on disk, Inspect AI eval logs)."""

from __future__ import annotations

import importlib.util
import shutil
from datetime import UTC, datetime
from pathlib import Path

import click

from safereason.errors import SafereasonError

# format -> (the package it needs, the extra that installs it)
NEEDS = {"hf-dataset": ("datasets", "export"), "inspect": ("inspect_ai", "export")}


def _require(fmt: str) -> None:
    package, extra = NEEDS[fmt]
    if importlib.util.find_spec(package) is None:
        raise SafereasonError(
            f"--format {fmt} needs the {package} package: pip install 'safereason[{extra}]'"
        )


def _clear(output: Path, fmt: str, force: bool) -> None:
    """Refuse an existing ``output`` unless ``--force`` and it holds an earlier export."""
    if not output.exists():
        return
    if not force:
        raise SafereasonError(f"--output {output} exists; pass --force to replace it")
    if not output.is_dir():
        raise SafereasonError(f"--output {output} is a file, not a folder")
    if fmt == "hf-dataset":
        if not (output / "dataset_info.json").is_file():
            raise SafereasonError(
                f"--output {output} is not a saved dataset; --force replaces only an earlier export"
            )
        shutil.rmtree(output)
        return
    stray = [p.name for p in output.iterdir() if p.suffix != ".eval"]
    if stray:
        raise SafereasonError(
            f"--output {output} holds other files than .eval logs ({stray[0]}, ...); "
            "--force replaces only an earlier export"
        )
    for p in output.iterdir():
        p.unlink()


@click.command("export")
@click.argument("run_dir", type=click.Path(path_type=Path))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(list(NEEDS)),
    required=True,
    help="hf-dataset: a `datasets` dataset (save_to_disk); inspect: Inspect AI .eval "
    "logs, one per grid cell.",
)
@click.option(
    "--output", type=click.Path(path_type=Path), required=True, help="The folder to write."
)
@click.option("--force", is_flag=True, help="Replace an earlier export at --output.")
def export_command(run_dir: Path, fmt: str, output: Path, force: bool) -> None:
    """Export a run's results (one row per plan item, with verdicts) from its store."""
    from safereason.analysis.metrics import rates
    from safereason.report.outputs import load_run

    rows, exp = load_run(run_dir)
    if not rows:
        raise SafereasonError(f"{run_dir}: the run has no results to export")
    _require(fmt)
    _clear(output, fmt, force)
    name = str(exp.get("name") or run_dir.name)
    if fmt == "hf-dataset":
        from safereason.export_hf import write_hf_dataset

        n = write_hf_dataset(rows, name, output)
        click.echo(f"wrote {n} rows to {output} (datasets.load_from_disk reads it)")
        return
    from safereason.export_inspect import write_inspect_logs

    created = datetime.fromtimestamp((run_dir / "store.sqlite").stat().st_mtime, UTC)
    logs = write_inspect_logs(rows, rates(rows), exp, created, output)
    click.echo(f"wrote {len(logs)} Inspect logs (one per grid cell) to {output}")
    click.echo(f"view them: inspect view --log-dir {output}")
