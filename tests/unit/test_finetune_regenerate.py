"""Regenerating the sources' responses with a teacher model (data.regenerate), on the fake
backend: the method's prompt reaches the teacher, its replies replace the responses, the
generation cache answers a second build, and bad settings are one line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from safereason.errors import SafereasonError
from safereason.finetune.config import DataSpec, FinetuneConfig, parse_finetune
from safereason.finetune.mixture import build_mixture
from safereason.resources import data_yaml
from safereason.yaml_lines import LocatedYaml
from tests.conftest import FakeCalls

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "finetune"
HELPFUL = str(data_yaml("prompt_families.yaml")["helpful_system"]["system"])

TEACHER = {
    "backend": "fake",
    "rules": [
        # under the helpful system prompt: a reply with a thinking trace
        {"match": "helpful", "reply": "<think>Work it out first.</think>REGEN-HELPFUL"},
    ],
    "default": "REGEN-DEFAULT",
}


def spec(regenerate: dict[str, Any] | None = None, size: int = 6) -> DataSpec:
    data: dict[str, Any] = {
        "size": size,
        "sources": [{"name": "alpaca", "path": str(FIX / "alpaca.jsonl"), "repeat": True}],
    }
    if regenerate is not None:
        data["regenerate"] = regenerate
    return DataSpec.model_validate(data)


def user(row: dict[str, Any]) -> str:
    return str(row["prompt"][-1]["content"])


def assistant(row: dict[str, Any]) -> str:
    return str(row["completion"][0]["content"])


def test_teacher_rewrites_every_response_under_the_default_prompt(fake_calls: FakeCalls) -> None:
    plain = build_mixture(spec())
    m = build_mixture(spec({"teacher": TEACHER}))
    assert [r["prompt"] for r in m.rows] == [r["prompt"] for r in plain.rows]  # same draw
    assert {assistant(r) for r in m.rows} == {"REGEN-DEFAULT"}
    assert {assistant(r) for r in plain.rows} != {"REGEN-DEFAULT"}
    # default_system: the request alone, no system message, and no system row trained on
    # 6 rows drawn from 4 records (repeated): each distinct request is asked once
    assert len(fake_calls.requests) == len({user(r) for r in m.rows}) == 4
    assert all(len(r.messages) == 1 for r in fake_calls.requests)
    assert all(len(r["prompt"]) == 1 and r["prompt"][0]["role"] == "user" for r in m.rows)
    regen = m.stats["regenerate"]
    assert regen["method"] == {"name": "default_system"}
    assert regen["teacher"]["name"] == "teacher" and regen["teacher"]["backend"] == "fake"
    assert regen["responses"] == {"regenerated": 6}
    assert m.stats["sources"][0]["regenerated"] == 6
    assert m.stats["sha256"] != plain.stats["sha256"]


def test_the_method_builds_the_teacher_prompt_and_the_trace_goes_in_think_tags(
    fake_calls: FakeCalls,
) -> None:
    m = build_mixture(spec({"teacher": TEACHER, "method": "helpful_system"}))
    sent = fake_calls.requests
    assert len(sent) == len({user(r) for r in m.rows}) == 4 and len(m.rows) == 6
    assert {r.messages[-1].content for r in sent} == {user(r) for r in m.rows}
    assert all(r.messages[0].role == "system" and r.messages[0].content == HELPFUL for r in sent)
    assert {assistant(r) for r in m.rows} == {
        "<think>\nWork it out first.\n</think>\n\nREGEN-HELPFUL"
    }
    assert all(r["prompt"][0]["role"] == "user" for r in m.rows)  # the system prompt is not kept
    # the same mixture again: every reply comes from the shared cache, the teacher is not asked
    again = build_mixture(spec({"teacher": TEACHER, "method": "helpful_system"}))
    assert len(fake_calls.requests) == 4 and again.rows == m.rows


def test_a_cot_method_with_its_options(fake_calls: FakeCalls) -> None:
    method = {"name": "zero_shot_cot", "cue_at": "system"}
    m = build_mixture(spec({"teacher": TEACHER, "method": method}, size=2))
    assert m.stats["regenerate"]["method"] == method
    assert all(r.messages[0].role == "system" for r in fake_calls.requests)


def test_empty_replies_keep_the_source_response_or_stop() -> None:
    empty = {"backend": "fake", "default": ""}
    plain = build_mixture(spec(size=3))
    m = build_mixture(spec({"teacher": empty}, size=3))
    assert m.rows == plain.rows
    assert m.stats["regenerate"]["responses"] == {"kept_original_empty": 3}
    with pytest.raises(SafereasonError, match=r"data.sources\[0\] \(alpaca\): the teacher gave"):
        build_mixture(spec({"teacher": empty, "on_empty": "error"}, size=3))


def _parse(tmp_path: Path, regenerate: Any) -> FinetuneConfig:
    doc = {
        "base": "embedded-small",
        "output_dir": str(tmp_path / "out"),
        "data": {
            "size": 4,
            "sources": [{"name": "alpaca", "path": str(FIX / "alpaca.jsonl")}],
            "regenerate": regenerate,
        },
    }
    text = json.dumps(doc)
    return parse_finetune(doc, LocatedYaml(text, "ft.yaml"))


def test_config_checks_the_teacher_and_the_method(tmp_path: Path) -> None:
    cfg = _parse(tmp_path, {"teacher": TEACHER, "method": "helpful_system"})
    assert "regenerate" in cfg.identity()["data"]
    with pytest.raises(SafereasonError, match=r"data\.regenerate\.method.*several requests"):
        _parse(tmp_path, {"teacher": TEACHER, "method": {"name": "self_consistency", "k": 3}})
    with pytest.raises(SafereasonError, match="unknown method 'helpfull'"):
        _parse(tmp_path, {"teacher": TEACHER, "method": "helpfull"})
    with pytest.raises(SafereasonError, match=r"data\.regenerate: set `teacher:`"):
        _parse(tmp_path, {"method": "helpful_system"})
    with pytest.raises(SafereasonError, match=r"regenerate\.max_tokens"):
        _parse(tmp_path, {"teacher": TEACHER, "max_tokens": 0})
    with pytest.raises(SafereasonError, match="unknown backend 'nonsense'"):
        _parse(tmp_path, {"teacher": {"backend": "nonsense"}})


def test_without_a_teacher_the_identity_is_unchanged(tmp_path: Path) -> None:
    cfg = _parse(tmp_path, {})
    assert "regenerate" not in cfg.identity()["data"]
