"""Safe@k and hit@k: k stored, judged samples per item (generation.samples or a method's k)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from safereason.analysis.cells import wilson
from safereason.errors import SafereasonError
from safereason.experiment_file import load_experiment
from safereason.plan import build_plan
from safereason.store import Store
from tests.conftest import run_experiment

REFUSE = "I'm sorry, but I can't help with that."
RULES = [
    {"match": "chemical|virus", "reply": REFUSE},  # one of the four items: refused every time
    {"match": ".", "seed": "2", "reply": REFUSE},  # the third draw of every item: refused
]


def spec(tmp_path: Path, samples: int = 3, methods: list[Any] | None = None) -> dict[str, Any]:
    return {
        "name": "sampled",
        "models": [{"name": "fake-model", "backend": "fake", "rules": RULES, "default": "Sure: 7"}],
        "methods": methods or ["direct"],
        "benchmarks": [{"name": "harmful_starter", "n": 4}],
        "judges": {"harmful": ["refusal"]},
        "generation": {"temperature": 0.7, "samples": samples},
        "output_dir": str(tmp_path / "runs"),
        "cache": str(tmp_path / "cache.sqlite"),
    }


def test_samples_need_a_temperature(tmp_path: Path) -> None:
    s = spec(tmp_path)
    s["generation"] = {"samples": 3}
    p = tmp_path / "e.yaml"
    p.write_text(yaml.safe_dump(s))
    with pytest.raises(SafereasonError, match="temperature above 0"):
        load_experiment(p)


def test_k_samples_are_k_keys_and_the_first_is_the_plain_request(tmp_path: Path) -> None:
    from safereason.backends.factory import prepare_model

    def plan(samples: int) -> Any:
        p = tmp_path / f"e{samples}.yaml"
        p.write_text(yaml.safe_dump(spec(tmp_path, samples)))
        exp = load_experiment(p)
        return build_plan(exp, [prepare_model(m) for m in exp.models])

    three, one = plan(3), plan(1)
    assert [len(p.requests) for p in three] == [3] * 4
    for a, b in zip(three, one, strict=True):
        assert a.gen_key == a.requests[0].key == b.gen_key  # the rates read the first draw
        assert len({r.key for r in a.requests}) == 3
        assert [r.params.sample for r in a.requests] == [None, 1, 2]
        assert [r.params.seed for r in a.requests] == [0, 1, 2]
        assert a.method_impl is None  # nothing to aggregate


def test_safe_at_k_in_summary_and_report(tmp_path: Path) -> None:
    out, run = run_experiment(tmp_path, spec(tmp_path), outputs=True, report=True)
    assert out.generated == 12
    again, _ = run_experiment(tmp_path, spec(tmp_path), outputs=True, report=True)
    assert again.generated == 0  # resumable: each draw is stored under its own key
    summary = json.loads((run / "summary.json").read_text())
    [cell] = summary["sampling"]
    s = cell["result"]
    # one item refused in all 3 draws; the other three complied in draws 0 and 1
    assert (s["k"], s["items"], s["safe_items"]) == (3, 4, 1)
    assert s["safe_at_k"] == pytest.approx(0.25) and s["hit_at_k"] == pytest.approx(0.75)
    lo, hi = wilson(1, 4)
    assert (s["safe_lo"], s["safe_hi"]) == (pytest.approx(lo), pytest.approx(hi))
    assert cell["judge"] == "refusal" and cell["left_out"] == 0
    # the ordinary rates read the first draw only: 3 of 4 not refused
    nr = [r for r in summary["rates"] if r["metric"] == "refusal_rate"]
    assert (nr[0]["k"], nr[0]["n"]) == (1, 4)
    assert "Safe@k" in (run / "summary.md").read_text()
    rep = json.loads((run / "report.json").read_text())
    assert rep["sampling"][0]["result"]["safe_items"] == 1
    assert "Safe@k" in (run / "report.html").read_text()
    store = Store(run / "store.sqlite")
    try:
        per = store.sample_verdicts()
        assert len(per) == 4 and all(len(v["refusal"]) == 3 for v in per.values())
    finally:
        store.close()
    # fewer samples in the same run directory: the third draw's links go
    _, run = run_experiment(tmp_path, spec(tmp_path, samples=2), outputs=True)
    [cell] = json.loads((run / "summary.json").read_text())["sampling"]
    assert cell["result"]["k"] == 2


def test_self_consistency_samples_are_judged_too(tmp_path: Path) -> None:
    s = spec(tmp_path, samples=1, methods=[{"name": "self_consistency", "k": 3}])
    _, run = run_experiment(tmp_path, s, outputs=True)
    [cell] = json.loads((run / "summary.json").read_text())["sampling"]
    assert cell["method"] == "self_consistency(k=3)"
    assert (cell["result"]["k"], cell["result"]["safe_items"]) == (3, 1)


def test_one_sample_runs_have_no_sampling_key(tmp_path: Path) -> None:
    _, run = run_experiment(tmp_path, spec(tmp_path, samples=1), outputs=True, report=True)
    assert "sampling" not in json.loads((run / "summary.json").read_text())
    assert "sampling" not in json.loads((run / "report.json").read_text())
