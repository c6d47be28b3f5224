"""docs/own-data.md, its data and judge sections: every file written, every command run."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.own_data_doc import MODEL_SECTION, run_page


def test_the_data_and_judge_examples_run_as_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    ran = run_page(tmp_path, monkeypatch, capsys, lambda section: section != MODEL_SECTION)
    # every format's entry is in the experiment the page runs, as shown
    together = (tmp_path / "own-data.yaml").read_text()
    assert len(ran.benchmarks) >= 12, ran.benchmarks
    assert all(f"  - {b}\n" in together for b in ran.benchmarks), ran.benchmarks
    assert ran.commands >= 4
    judged = (tmp_path / "answers.judged.jsonl").read_text().splitlines()
    assert ['"correct"' in x for x in judged] == [True, False]
