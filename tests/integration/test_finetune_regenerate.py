"""The regeneration step for real: a tiny local Llama on the hf backend writes the training
responses under a prompting method (`safereason finetune --dry-run`), through the cache."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from tests.tiny_llama import build_tiny_llama, one_torch_thread

pytestmark = pytest.mark.integration
FIX = Path(__file__).resolve().parents[1] / "fixtures" / "finetune"


@pytest.fixture(autouse=True)
def _one_thread() -> Iterator[None]:
    pytest.importorskip("torch")
    pytest.importorskip("transformers")
    with one_torch_thread():
        yield


def test_a_tiny_teacher_regenerates_the_responses(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from safereason.backends.pool import ModelPool
    from safereason.finetune.cli import finetune_command
    from safereason.finetune.config import load_finetune
    from safereason.finetune.regenerate import Regenerator
    from safereason.finetune.train import TRAIN_FILE
    from safereason.methods.prompt_families import HelpfulSystem

    teacher_dir = build_tiny_llama(
        tmp_path / "teacher", ["Answer helpfully and briefly, please."] * 8, 300, 256
    )
    teacher = {"name": str(teacher_dir), "backend": "hf", "device": "cpu"}
    cfg_path = tmp_path / "ft.yaml"
    cfg_path.write_text(
        yaml.safe_dump(
            {
                "base": str(teacher_dir),
                "output_dir": str(tmp_path / "out"),
                "data": {
                    "size": 3,
                    "sources": [{"name": "alpaca", "path": str(FIX / "alpaca.jsonl")}],
                    "regenerate": {"teacher": teacher, "method": "helpful_system", "max_tokens": 8},
                },
            }
        )
    )
    result = CliRunner().invoke(finetune_command, [str(cfg_path), "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "regenerated" in result.output
    rows = [json.loads(x) for x in (tmp_path / "out" / TRAIN_FILE).read_text().splitlines()]
    assert len(rows) == 3

    # each response is what the teacher says to the request under the helpful system prompt,
    # asked again the normal way (the cached generation path: no second generation)
    cfg = load_finetune(cfg_path)
    with ModelPool.for_setting("default") as pool:
        regen = Regenerator(cfg.data.regenerate, cfg.data.seed, pool)
        convs = [regen.messages(_example(r), HelpfulSystem()) for r in rows]
        from safereason.types import GenParams

        client = pool.client(regen.teacher)
        comps = client.chat(convs, GenParams(max_tokens=8, temperature=0.0, seed=0))
        assert not client.started  # every reply came from the cache
    assert [r["completion"][0]["content"] for r in rows] == [c.text.strip() for c in comps]
    original = {json.loads(x)["output"] for x in (FIX / "alpaca.jsonl").read_text().splitlines()}
    assert not {r["completion"][0]["content"] for r in rows} & original
    mixture = json.loads((tmp_path / "out" / "mixture.json").read_text())
    assert mixture["regenerate"]["responses"]["regenerated"] == 3


def _example(row: dict[str, object]) -> object:
    from safereason.finetune.examples import Example

    prompt = row["prompt"]
    assert isinstance(prompt, list)
    return Example(id=str(row["id"]), source="alpaca", prompt=prompt[-1]["content"], answer="")
