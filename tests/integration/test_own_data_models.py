"""docs/own-data.md, its model section: a GGUF path, a transformers folder, a server entry."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.own_data_doc import MODEL_SECTION, run_page

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def test_the_model_examples_run_as_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    ran = run_page(tmp_path, monkeypatch, capsys, lambda section: section == MODEL_SECTION)
    assert ran.commands >= 4
    # the GGUF run generated and judged for real: its results are on disk
    rows = [json.loads(x) for x in (tmp_path / "runs" / "gguf" / "results.jsonl").open()]
    assert len(rows) == 2 and all(r["model"] == "my-model" for r in rows)
    assert all(r["verdicts"]["refusal"]["label"] for r in rows)
