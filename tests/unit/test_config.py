"""Experiment files: valid ones load, bad ones fail with the key and the line."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from safereason.errors import SafereasonError
from safereason.experiment_file import load_experiment
from tests.conftest import fake_experiment


def test_valid_experiment_loads(tmp_path: Path, write_yaml: Callable[[str], Path]) -> None:
    exp = load_experiment(write_yaml(fake_experiment(tmp_path)))
    assert [m.display for m in exp.methods] == ["direct", "zero_shot_cot"]
    assert exp.judges_for("reasoning")[0].name == "answer_match"
    assert exp.benchmarks[0].options == {"n": 3, "seed": 1}


def test_malformed_yaml_names_the_line(write_yaml: Callable[[str], Path]) -> None:
    p = write_yaml("name: x\nmodels: [embedded\nmethods: [direct]\n")
    with pytest.raises(SafereasonError, match=r"exp\.yaml:\d+: malformed YAML"):
        load_experiment(p)


def test_unknown_key_names_key_and_line(tmp_path: Path, write_yaml: Callable[[str], Path]) -> None:
    text = fake_experiment(tmp_path) + "temprature: 0.5\n"
    lines = text.splitlines()
    with pytest.raises(SafereasonError) as e:
        load_experiment(write_yaml(text))
    assert f"exp.yaml:{len(lines)}: temprature: unknown key" in str(e.value)


def test_a_misspelt_required_key_is_named_at_its_line(write_yaml: Callable[[str], Path]) -> None:
    # "method" for "methods": the unknown key explains the missing one, so it is named
    p = write_yaml("name: x\nmodels: [embedded-small]\nmethod: [direct]\nbenchmarks: [x]\n")
    with pytest.raises(SafereasonError) as e:
        load_experiment(p)
    assert "exp.yaml:3: method: unknown key" in str(e.value)
    assert "did you mean 'methods'" in str(e.value)


def test_wrong_type_in_nested_key(tmp_path: Path, write_yaml: Callable[[str], Path]) -> None:
    text = fake_experiment(tmp_path) + "generation:\n  max_tokens: lots\n"
    with pytest.raises(SafereasonError, match=r"exp\.yaml:\d+: generation\.max_tokens: "):
        load_experiment(write_yaml(text))


def test_unknown_method_suggests_nearest(tmp_path: Path, write_yaml: Callable[[str], Path]) -> None:
    text = fake_experiment(tmp_path, methods=["direct", "zero_shot_cott"])
    line = text.splitlines().index("- zero_shot_cott") + 1
    with pytest.raises(SafereasonError) as e:
        load_experiment(write_yaml(text))
    msg = str(e.value)
    assert f"exp.yaml:{line}:" in msg
    assert "unknown method 'zero_shot_cott'" in msg and "did you mean 'zero_shot_cot'" in msg


def test_unknown_benchmark_and_option(tmp_path: Path, write_yaml: Callable[[str], Path]) -> None:
    text = fake_experiment(tmp_path).replace("harmful_starter", "harmfull_starter")
    with pytest.raises(SafereasonError, match="did you mean 'harmful_starter'"):
        load_experiment(write_yaml(text))
    text = fake_experiment(tmp_path).replace("seed: 1", "sede: 1")
    with pytest.raises(SafereasonError, match=r"has no option 'sede'.*did you mean 'seed'"):
        load_experiment(write_yaml(text, "b.yaml"))


def test_unknown_model_and_backend(tmp_path: Path, write_yaml: Callable[[str], Path]) -> None:
    text = "name: x\nmodels: [embeded]\nmethods: [direct]\nbenchmarks: [harmful_starter]\n"
    with pytest.raises(SafereasonError, match=r"unknown model 'embeded'.*did you mean 'embedded'"):
        load_experiment(write_yaml(text))
    text = fake_experiment(tmp_path).replace("backend: fake", "backend: llamacp")
    with pytest.raises(SafereasonError, match="unknown backend 'llamacp'"):
        load_experiment(write_yaml(text, "c.yaml"))


def test_missing_required_key(write_yaml: Callable[[str], Path]) -> None:
    with pytest.raises(SafereasonError, match="models: required key is missing"):
        load_experiment(write_yaml("name: x\nmethods: [direct]\nbenchmarks: [harmful_starter]\n"))


def test_missing_file() -> None:
    with pytest.raises(SafereasonError, match="config file not found"):
        load_experiment(Path("/nonexistent/exp.yaml"))


def test_duplicate_labels_rejected(tmp_path: Path, write_yaml: Callable[[str], Path]) -> None:
    with pytest.raises(SafereasonError, match="methods listed twice: direct"):
        load_experiment(write_yaml(fake_experiment(tmp_path, methods=["direct", "direct"])))
