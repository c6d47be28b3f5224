"""Report sections that appear only for some runs: privacy awareness, published vs ours."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import run_experiment

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "datasets"


def _run(tmp_path: Path, name: str) -> Path:
    spec = {
        "name": name,
        "cache": None,
        "output_dir": str(tmp_path),
        "models": [
            {
                "name": "m",
                "backend": "fake",
                "default": "Rating: 50",
                "rules": [{"match": "step by step", "reply": "Rating: -100"}],
            }
        ],
        "methods": ["direct", "zero_shot_cot"],
        "benchmarks": [
            {"name": "trustllm_privacy", "path": str(FIXTURE / "trustllm_privacy_awareness.json")},
            {"name": "harmful_starter", "n": 3},
        ],
        "judges": {"privacy": ["agreement_rating"], "harmful": ["refusal"]},
    }
    return run_experiment(tmp_path, spec, tmp_path / name, report=True)[1]


def test_privacy_section_and_no_published_table_for_other_runs(tmp_path: Path) -> None:
    run = _run(tmp_path, "privacy-study")
    html = (run / "report.html").read_text()
    assert 'id="privacy"' in html and "Pearson" in html
    assert 'id="published"' not in html
    assert "Privacy awareness" in (run / "report.md").read_text()


def test_paper_runs_get_the_published_table(tmp_path: Path) -> None:
    run = _run(tmp_path, "paper-mini")
    html = (run / "report.html").read_text()
    assert 'id="published"' in html and "Published vs ours" in html
    assert "Published vs ours" in (run / "report.md").read_text()


def test_extractor_vs_answer_match_section(tmp_path: Path) -> None:
    """A run with both final-answer judges reports their agreement, per model."""
    spec = {
        "name": "extract",
        "cache": None,
        "output_dir": str(tmp_path),
        "models": [
            {
                "name": "m",
                "backend": "fake",
                "default": "The answer is 7.",
                "rules": [{"match": "step by step", "reply": "So the answer is 10."}],
            }
        ],
        "methods": ["direct", "zero_shot_cot"],
        "benchmarks": [{"name": "procedural_math", "n": 4, "seed": 1}],
        "judges": {
            "reasoning": [
                "answer_match",
                {
                    "name": "llm_extractor",
                    "label": "llm_extractor",
                    "model": {"name": "ext", "backend": "fake", "default": "NONE"},
                },
            ]
        },
    }
    _, run = run_experiment(tmp_path, spec, tmp_path / "extract", outputs=True, report=True)
    rows = [json.loads(line) for line in (run / "results.jsonl").read_text().splitlines()]
    same = sum(
        (r["verdicts"]["answer_match"]["label"] == "correct")
        == (r["verdicts"]["llm_extractor"]["label"] == "correct")
        for r in rows
    )
    (ext,) = json.loads((run / "report.json").read_text())["answer_extraction"]
    assert ext["model"] == "m" and ext["n"] == len(rows) == 8
    assert ext["agree"] == same / 8
    assert 'id="extraction"' in (run / "report.html").read_text()
    assert "LLM extractor vs answer_match" in (run / "report.md").read_text()
