"""What the MLflow client costs to install: full ``mlflow`` against ``mlflow-skinny``.

    .venv/bin/python bench/tracking_install.py [--packages mlflow,mlflow-skinny]

Each package goes into a fresh virtual environment (pip upgraded first, not timed); the
table gives the install's wall time, the packages the venv then holds and its size.
Wall times depend on the pip cache and the machine's load; sizes and counts do not.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
import venv
from pathlib import Path


def size_mb(root: Path) -> float:
    """Disk use of every file under ``root``, in MB."""
    return sum(p.stat().st_size for p in root.rglob("*") if p.is_file()) / 1e6


def measure(package: str) -> tuple[float, int, float]:
    """(seconds, packages installed, MB) for ``pip install package`` in a fresh venv."""
    with tempfile.TemporaryDirectory() as tmp:
        env = Path(tmp) / "venv"
        venv.create(env, with_pip=True)
        pip = [str(env / "bin" / "python"), "-m", "pip", "-q"]
        subprocess.run([*pip, "install", "-U", "pip"], check=True, capture_output=True)
        start = time.perf_counter()
        subprocess.run([*pip, "install", package], check=True, capture_output=True)
        seconds = time.perf_counter() - start
        installed = list(env.glob("lib/python*/site-packages/*.dist-info"))
        return seconds, len(installed), size_mb(env)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--packages", default="mlflow,mlflow-skinny")
    args = ap.parse_args()
    print("| package | install s | packages in the venv | venv MB |")
    print("|---|---:|---:|---:|")
    for package in args.packages.split(","):
        seconds, count, mb = measure(package)
        print(f"| {package} | {seconds:.0f} | {count} | {mb:.0f} |")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
