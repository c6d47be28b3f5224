"""Bad input at every layer: one line of error, a non-zero exit, no traceback, nothing lost.

Each case writes whatever it needs into a directory that already holds a finished run
(fake backend), runs one command in-process through the CLI, and checks: the exit code is
not 0, stderr is exactly one line starting ``error:``, no traceback anywhere, and the run's
store still holds what it held (its results, generations and verdicts).
"""

# ruff: noqa: E501  (one case per line reads best as a table)
from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from safereason.cli import main
from safereason.experiment_file import load_experiment
from safereason.runner import Runner
from safereason.store import Store
from tests.conftest import FAKE_RULES

FAKE = {"name": "fake-model", "backend": "fake", "rules": FAKE_RULES, "default": "Sure: 7"}


def experiment(root: Path, **changes: Any) -> dict[str, Any]:
    """The base experiment (the one already run in ``root``) with some keys changed."""
    exp: dict[str, Any] = {
        "name": "base",
        "models": [FAKE],
        "methods": ["direct", "zero_shot_cot"],
        "benchmarks": [
            {"name": "procedural_math", "n": 2, "seed": 1},
            {"name": "harmful_starter", "n": 2},
        ],
        "output_dir": str(root / "runs"),
        "cache": str(root / "cache.sqlite"),
    }
    exp.update(changes)
    return exp


def bench(root: Path, *benchmarks: Any) -> dict[str, Any]:
    return experiment(root, benchmarks=list(benchmarks))


def model(root: Path, **entry: Any) -> dict[str, Any]:
    return experiment(root, models=[entry])


def method(root: Path, *methods: Any) -> dict[str, Any]:
    return experiment(root, methods=list(methods))


# A case: how to build its input in ``root`` -> the CLI arguments to run.
Build = Callable[[Path], list[str]]


def cfg(make: Callable[[Path], Any]) -> Build:
    """A case that runs ``safereason run`` on the YAML of ``make(root)``."""

    def build(root: Path) -> list[str]:
        p = root / "bad.yaml"
        p.write_text(yaml.safe_dump(make(root), sort_keys=False))
        return ["run", str(p), "--no-progress"]

    return build


def text(body: str, *extra: str) -> Build:
    """A case that runs ``safereason run`` on a YAML text (``ROOT`` is the directory)."""

    def build(root: Path) -> list[str]:
        p = root / "bad.yaml"
        p.write_text(body.replace("ROOT", str(root)))
        return ["run", str(p), "--no-progress", *extra]

    return build


def with_file(name: str, content: str | bytes, make: Callable[[Path, Path], Any]) -> Build:
    """A case whose experiment reads a file written first (``make(root, file)``)."""

    def build(root: Path) -> list[str]:
        f = root / name
        if isinstance(content, bytes):
            f.write_bytes(content)
        else:
            f.write_text(content)
        return cfg(lambda r: make(r, f))(root)

    return build


def local(f: Path, **opts: Any) -> dict[str, Any]:
    return {"name": "local", "path": str(f), "kind": "harmful", **opts}


def args(*argv: str) -> Build:
    return lambda root: [a.replace("ROOT", str(root)) for a in argv]


def finetune(body: str) -> Build:
    def build(root: Path) -> list[str]:
        p = root / "ft.yaml"
        p.write_text(body.replace("ROOT", str(root)))
        return ["finetune", str(p), "--dry-run"]

    return build


FT = """\
base: some/model
output_dir: ROOT/ft
data:
  size: 4
  sources: [{name: procedural}]
"""


def foreign_store(path: Path) -> None:
    """An SQLite file with a table named like ours but of another shape."""
    import sqlite3

    db = sqlite3.connect(path)
    db.execute("CREATE TABLE generations (id INTEGER, body TEXT)")
    db.commit()
    db.close()


def cache_of(make: Callable[[Path], None]) -> Build:
    """A case whose experiment names a cache file that ``make`` spoils first."""

    def build(root: Path) -> list[str]:
        spoiled = root / "spoiled.sqlite"
        make(spoiled)
        return cfg(lambda r: experiment(r, cache=str(spoiled)))(root)

    return build


@dataclass(frozen=True)
class Case:
    name: str
    build: Build
    says: str  # a piece of the one error line


CASES = [
    # --- the experiment file itself
    Case("malformed yaml", text("name: x\nmodels: [fake\n"), "malformed YAML"),
    Case("duplicate key", text("name: a\nname: b\n"), "duplicate key 'name'"),
    Case("recursive alias", text("name: t\nmodels: &m [*m]\n"), "refers to its own anchor"),
    Case(
        "alias explosion",
        text(
            "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
            + "".join(
                f"a{i}: &a{i} [{', '.join([f'*a{i - 1}' if i > 1 else '*a'] * 10)}]\n"
                for i in range(1, 7)
            )
        ),
        "expand to more than",
    ),
    Case("near-miss key", cfg(lambda r: {**experiment(r), "ouput_dir": "x"}), "did you mean"),
    Case("unknown key", cfg(lambda r: {**experiment(r), "zzz": 1}), "unknown key"),
    Case("not a mapping", text("- a\n- b\n"), "must be a YAML mapping"),
    Case("empty file", text(""), "must be a YAML mapping"),
    Case("missing file", args("run", "ROOT/none.yaml"), "not found"),
    Case("config is a directory", args("run", "ROOT"), "cannot read"),
    Case("not utf-8", lambda r: (r / "b.yaml").write_bytes(b"name: \xff\xfe\n") and [
        "run", str(r / "b.yaml")], "cannot read"),
    Case("run name '..'", cfg(lambda r: experiment(r, name="..")), "not a run name"),
    Case("run name '.'", cfg(lambda r: experiment(r, name=".")), "not a run name"),
    Case("run name with a slash", cfg(lambda r: experiment(r, name="../x")), "name"),
    Case("run name empty", cfg(lambda r: experiment(r, name="")), "name"),
    Case("no models", cfg(lambda r: experiment(r, models=[])), "models"),
    Case("methods not a list", cfg(lambda r: experiment(r, methods=5)), "methods"),
    Case("unknown method", cfg(lambda r: method(r, "drect")), "did you mean 'direct'"),
    Case("unknown benchmark", cfg(lambda r: bench(r, "harmful_startr")), "unknown benchmark"),
    Case(
        "unknown attack",
        cfg(lambda r: bench(r, {"name": "harmful_starter", "attacks": ["nope"]})),
        "unknown attack",
    ),
    Case(
        "AIR row without its reformulation",
        with_file("air.json", '[{"request": "x"}]', lambda r, f: bench(r, {"name": "harmful_starter", "attacks": [{"name": "implicit_reference", "path": str(f)}]})),
        "row 1: missing 'request_reformulated'",
    ),
    Case(
        "implicit_reference on_missing unknown",
        cfg(lambda r: bench(r, {"name": "harmful_starter", "attacks": [{"name": "implicit_reference", "on_missing": "drop"}]})),
        "on_missing: Input should be 'skip', 'keep' or 'error'",
    ),
    Case("safety_demo_cot k out of range", cfg(lambda r: method(r, {"name": "safety_demo_cot", "k": 5})), "k must be from 1 to 2"),
    Case("zero_shot_cot cue_at unknown", cfg(lambda r: method(r, {"name": "zero_shot_cot", "cue_at": "middle"})), "cue_at"),
    Case(
        "unknown judge",
        cfg(lambda r: experiment(r, judges={"harmful": ["refusl"]})),
        "unknown judge",
    ),
    Case(
        "unknown judge kind",
        cfg(lambda r: experiment(r, judges={"harmfull": ["refusal"]})),
        "unknown sample kind",
    ),
    Case("max_tokens 0", cfg(lambda r: experiment(r, generation={"max_tokens": 0})), "max_tokens"),
    Case(
        "max_tokens as text",
        cfg(lambda r: experiment(r, generation={"max_tokens": "5"})),
        "valid integer",
    ),
    Case("negative temperature", cfg(lambda r: experiment(r, generation={"temperature": -1})), "temperature"),
    Case("temperature nan", cfg(lambda r: experiment(r, generation={"temperature": float("nan")})), "finite"),
    Case("top_p 2", cfg(lambda r: experiment(r, generation={"top_p": 2})), "top_p"),
    Case("seed text", cfg(lambda r: experiment(r, generation={"seed": "x"})), "seed"),
    Case("batch_size 0", cfg(lambda r: experiment(r, batch_size=0)), "batch_size"),
    Case("judge_overlap maybe", cfg(lambda r: experiment(r, judge_overlap="maybe")), "judge_overlap"),
    Case("methods twice", cfg(lambda r: method(r, "direct", "direct")), "listed twice"),
    Case("max_requests 0", cfg(lambda r: experiment(r, max_requests=0)), "max_requests"),
    # --- plugin options
    Case("n as text", cfg(lambda r: bench(r, {"name": "procedural_math", "n": "x"})), "benchmarks.0.n"),
    Case("n negative", cfg(lambda r: bench(r, {"name": "procedural_math", "n": -3})), "greater than or equal to 0"),
    Case("n negative, shipped set", cfg(lambda r: bench(r, {"name": "harmful_starter", "n": -3})), "benchmarks.0.n"),
    Case("n true", cfg(lambda r: bench(r, {"name": "procedural_math", "n": True})), "valid integer"),
    Case("n zero", cfg(lambda r: bench(r, {"name": "harmful_starter", "n": 0})), "has no samples"),
    Case("seed text, benchmark", cfg(lambda r: bench(r, {"name": "procedural_math", "seed": "abc"})), "seed"),
    Case("seed float", cfg(lambda r: bench(r, {"name": "procedural_math", "seed": 1.5})), "seed"),
    Case("unknown task", cfg(lambda r: bench(r, {"name": "procedural_math", "task": "gsm_symbolik"})), "unknown reasoning-gym task"),
    Case("unknown option", cfg(lambda r: bench(r, {"name": "procedural_math", "nn": 2})), "has no option 'nn'"),
    Case("k as text", cfg(lambda r: method(r, {"name": "self_consistency", "k": "x"})), "methods.0.k"),
    Case("k zero", cfg(lambda r: method(r, {"name": "self_consistency", "k": 0})), "k must be at least 1"),
    Case("few-shot k too big", cfg(lambda r: method(r, {"name": "few_shot_cot", "k": 10**6})), "few_shot_cot"),
    Case("thinking budget negative", cfg(lambda r: method(r, {"name": "thinking", "budget": -1})), "budget"),
    Case("attack k zero", cfg(lambda r: bench(r, {"name": "harmful_starter", "attacks": [{"name": "many_shot", "k": 0}]})), "many_shot"),
    Case("pair rounds zero", cfg(lambda r: bench(r, {"name": "harmful_starter", "attacks": [{"name": "pair", "rounds": 0}]})), "pair: rounds must be at least 1"),
    Case("tap width negative", cfg(lambda r: bench(r, {"name": "harmful_starter", "attacks": [{"name": "tap", "width": -2}]})), "width"),
    Case("tap max_queries zero", cfg(lambda r: bench(r, {"name": "harmful_starter", "attacks": [{"name": "tap", "max_queries": 0}]})), "tap: max_queries must be at least 1"),
    Case("multi_turn turns zero", cfg(lambda r: bench(r, {"name": "harmful_starter", "attacks": [{"name": "multi_turn", "turns": 0}]})), "multi_turn: turns"),
    Case("multi_turn unknown schedule", cfg(lambda r: bench(r, {"name": "harmful_starter", "attacks": [{"name": "multi_turn", "schedule": "nope"}]})), "unknown schedule 'nope'"),
    Case("pair attacker missing", cfg(lambda r: bench(r, {"name": "harmful_starter", "attacks": [{"name": "pair", "label": "p", "attacker": {"name": str(r / "nope.gguf")}}]})), "attack 'p': its attacker model: model file not found"),
    Case("pair attacker bad backend", cfg(lambda r: bench(r, {"name": "harmful_starter", "attacks": [{"name": "pair", "attacker": {"name": "x", "backend": "nope"}}]})), "attacker model"),
    Case("cot_hijack bad justification", cfg(lambda r: bench(r, {"name": "harmful_starter", "attacks": [{"name": "cot_hijack", "justification": "{secret}"}]})), "cot_hijack: justification"),
    Case("thinking budget attack on openai", cfg(lambda r: experiment(r, models=[{"name": "m", "backend": "openai", "base_url": "http://127.0.0.1:9/v1"}], benchmarks=[{"name": "harmful_starter", "n": 2, "attacks": [{"name": "thinking_pressure", "mode": "budget"}]}])), "cannot honour thinking_budget (attack"),
    Case("judge option negative", cfg(lambda r: experiment(r, judges={"harmful": [{"name": "refusal", "opening_chars": -4}]})), "opening_chars"),
    Case("judge model as text", cfg(lambda r: experiment(r, judges={"harmful": [{"name": "rubric", "model": "embedded"}]})), "model"),
    Case("judge model option type", cfg(lambda r: experiment(r, judges={"harmful": [{"name": "rubric", "model": {"name": "x", "backend": "fake", "delay_s": "slow"}}]})), "delay_s"),
    # --- sizes bounded before anything is built
    Case("absurd n", cfg(lambda r: bench(r, {"name": "procedural_math", "n": 10**12})), "the plan is too big"),
    Case("absurd k", cfg(lambda r: method(r, {"name": "self_consistency", "k": 10**9})), "the plan is too big"),
    Case("grid past max_requests", cfg(lambda r: experiment(r, max_requests=3)), "max_requests=3"),
    Case("absurd many-shot k", cfg(lambda r: bench(r, {"name": "harmful_starter", "attacks": [{"name": "many_shot", "k": 10**9}]})), "less than or equal to 4096"),
    Case("model path a directory", cfg(lambda r: model(r, name=str(r))), "is a directory"),
    # --- backends
    Case("n_threads as text", cfg(lambda r: model(r, name="embedded-small", n_threads="many")), "models.0.n_threads"),
    Case("chat_format a number", cfg(lambda r: model(r, name="embedded-small", chat_format=5)), "chat_format"),
    Case("n_ctx negative", cfg(lambda r: model(r, name="embedded-small", n_ctx=-1)), "n_ctx"),
    Case("parallel zero", cfg(lambda r: model(r, name="embedded-small", parallel=0)), "models.0.parallel"),
    Case("parallel negative", cfg(lambda r: model(r, name="embedded-small", parallel=-3)), "models.0.parallel"),
    Case("parallel past llama.cpp's sequences", cfg(lambda r: model(r, name="embedded-small", parallel=257)), "models.0.parallel"),
    Case("llamacpp unknown option", cfg(lambda r: model(r, name="embedded-small", n_ctxx=64)), "did you mean 'n_ctx'"),
    Case("unknown backend", cfg(lambda r: model(r, name="m", backend="lamacpp")), "unknown backend"),
    Case("unknown model", cfg(lambda r: model(r, name="not a model")), "unknown model"),
    Case("hf device", cfg(lambda r: model(r, name="org/m", backend="hf", device="gpu9")), "device"),
    Case("openai concurrency text", cfg(lambda r: model(r, name="m", backend="openai", concurrency="x")), "concurrency"),
    Case("openai concurrency 0", cfg(lambda r: model(r, name="m", backend="openai", concurrency=0)), "concurrency"),
    Case("openai timeout 0", cfg(lambda r: model(r, name="m", backend="openai", timeout_s=0)), "timeout_s"),
    Case("openai extra_body text", cfg(lambda r: model(r, name="m", backend="openai", extra_body="x")), "extra_body"),
    Case("openai key variable unset", cfg(lambda r: model(r, name="m", backend="openai", api_key_env="SR_TEST_UNSET_KEY")), "$SR_TEST_UNSET_KEY"),
    Case("ray inner option type", cfg(lambda r: model(r, name="embedded", backend="ray", engine_options={"n_ctx": "x"})), "engine_options.n_ctx"),
    Case("ray unknown engine", cfg(lambda r: model(r, name="embedded", backend="ray", engine="nope")), "unknown backend"),
    Case("fake rules text", cfg(lambda r: model(r, name="f", backend="fake", rules="x")), "rules"),
    # --- local datasets
    Case("empty jsonl", with_file("e.jsonl", "", lambda r, f: bench(r, local(f))), "empty"),
    Case("blank-lines jsonl", with_file("b.jsonl", "\n\n", lambda r, f: bench(r, local(f))), "empty"),
    Case("header-only csv", with_file("h.csv", "prompt\n", lambda r, f: bench(r, local(f))), "empty"),
    Case("empty json array", with_file("a.json", "[]", lambda r, f: bench(r, local(f))), "empty"),
    Case("missing dataset", cfg(lambda r: bench(r, local(r / "nope.jsonl"))), "not found"),
    Case("bad json line", with_file("j.jsonl", '{"prompt": "a"}\n{oops\n', lambda r, f: bench(r, local(f))), "line 2"),
    Case("unsupported type", with_file("d.xlsx", "a\n", lambda r, f: bench(r, local(f))), "unsupported file type"),
    Case("local layout not detected", with_file("u.csv", "text,topic\nhello,x\n", lambda r, f: bench(r, local(f))), "columns found: text, topic"),
    Case("local layout forced, file not in it", with_file("m.csv", "prompt\nhi\n", lambda r, f: bench(r, local(f, layout="gsm8k"))), "not in the GSM8K layout"),
    Case("local layout unknown", with_file("l.csv", "prompt\nhi\n", lambda r, f: bench(r, local(f, layout="harmbnech"))), "did you mean 'harmbench'"),
    Case("local gsm8k answer without ####", with_file("g.jsonl", '{"question": "q", "answer": "#### 4"}\n{"question": "q2", "answer": "four"}\n', lambda r, f: bench(r, local(f, kind=None))), "line 2: column 'answer' has no final '#### N'"),
    Case("folder, not saved", lambda r: (r / "folder").mkdir() or cfg(lambda q: bench(q, local(q / "folder")))(r), "save_to_disk"),
    Case("missing prompt column", with_file("c.jsonl", '{"prompt": "a"}\n{"text": "b"}\n', lambda r, f: bench(r, local(f))), "line 2: missing column 'prompt'"),
    Case("duplicate ids", with_file("i.jsonl", '{"prompt": "a", "id": 1}\n{"prompt": "b", "id": 1}\n', lambda r, f: bench(r, local(f, id_column="id"))), "already used"),
    Case("bad kind", with_file("k.jsonl", '{"prompt": "a"}\n', lambda r, f: bench(r, local(f, kind="dangerous"))), "kind"),
    Case("not an object", with_file("o.jsonl", "[1, 2]\n", lambda r, f: bench(r, local(f))), "expected a JSON object"),
    # --- the command line
    Case("quickstart negative count", args("quickstart", "--n-math", "-1", "--dry-run"), "--n-math"),
    Case("quickstart zero tokens", args("quickstart", "--max-tokens", "0", "--dry-run"), "--max-tokens"),
    Case("quickstart seed text", args("quickstart", "--seed", "x", "--dry-run"), "--seed"),
    Case("quickstart all zero", args("quickstart", "--n-math", "0", "--n-arithmetic", "0", "--n-harmful", "0", "--dry-run"), "nothing to run"),
    Case("run without config", args("run"), "Missing argument"),
    Case("unknown cli option", args("run", "--bogus"), "No such option"),
    Case("unknown command", args("rnu"), "No such command"),
    Case("report on nothing", args("report", "ROOT/none"), "no run found"),
    Case("report compare nothing", args("report", "ROOT/runs/base", "--compare", "ROOT/none"), "no run found"),
    Case("judge missing input", args("judge", "--judge", "refusal", "--input", "ROOT/none.jsonl", "--output", "ROOT/o.jsonl"), "none.jsonl"),
    Case("judge bad option", args("judge", "--judge", "refusal", "--option", "opening_chars", "--input", "ROOT/none.jsonl", "--output", "ROOT/o.jsonl"), "KEY=VALUE"),
    Case("judge answer_match without target", lambda r: (r / "am.jsonl").write_text('{"response": "42"}\n') and ["judge", "--judge", "answer_match", "--input", str(r / "am.jsonl"), "--output", str(r / "o.jsonl")], "am.jsonl:1: 'target' is required"),
    Case("judge option type", lambda r: (r / "in.jsonl").write_text('{"prompt": "a", "response": "b"}\n') and ["judge", "--judge", "refusal", "--option", "min_words=many", "--input", str(r / "in.jsonl"), "--output", str(r / "o.jsonl")], "min_words"),
    # --- stores
    # --- calibration: hand labels for the run's judges
    Case("calibration file missing", cfg(lambda r: experiment(r, calibration=str(r / "none.jsonl"))), "none.jsonl"),
    Case("calibration file is a directory", cfg(lambda r: experiment(r, calibration=str(r))), "a directory"),
    Case("calibration malformed json", with_file("cal.jsonl", '{"prompt": "a", "response": "b", "label": "safe"}\n{"prompt": \n', lambda r, f: experiment(r, calibration=str(f))), "cal.jsonl:2"),
    Case("calibration label unknown to the judge", with_file("cal.jsonl", '{"prompt": "a", "response": "b", "label": "bogus"}\n', lambda r, f: experiment(r, calibration=str(f))), "label 'bogus' is not one harm_classifier gives"),
    Case("calibration label missing", with_file("cal.jsonl", '{"prompt": "a", "response": "b"}\n', lambda r, f: experiment(r, calibration=str(f))), "cal.jsonl:1: 'label' is required"),
    Case("calibration file empty", with_file("cal.jsonl", "", lambda r, f: experiment(r, calibration=str(f))), "no labelled rows"),
    Case("calibration of an unknown judge", cfg(lambda r: experiment(r, calibration={"judges": {"guard": "starter"}})), "'guard' is not a judge of this experiment"),
    Case("calibration threshold out of range", cfg(lambda r: experiment(r, calibration={"labels": "starter", "min_kappa": 2})), "calibration.min_kappa"),
    Case("calibration near-miss key", cfg(lambda r: experiment(r, calibration={"label": "starter"})), "did you mean 'labels'"),
    Case("samples at temperature 0", cfg(lambda r: experiment(r, generation={"samples": 4})), "temperature above 0"),
    Case("samples zero", cfg(lambda r: experiment(r, generation={"samples": 0, "temperature": 0.7})), "generation.samples"),
    Case("cache of another schema", cache_of(foreign_store), "not a safereason store"),
    Case("cache not sqlite", cache_of(lambda p: p.write_bytes(b"not a database" * 100)), "spoiled.sqlite"),
    Case("cache is a directory", cache_of(lambda p: p.mkdir()), "directory"),
    Case("run dir is a file", cfg(lambda r: (r / "afile").write_text("x") and experiment(r, output_dir=str(r / "afile"))), "cannot write run directory"),
    # --- init, tracking, export
    Case("init unknown scenario", args("init", "ROOT/x.yaml", "--scenario", "cloud"), "Invalid value for '--scenario'"),
    Case("init over an existing file", args("init", "ROOT/base.yaml"), "exists; pass --force"),
    Case("init onto a directory", args("init", "ROOT/runs", "--force"), "is a directory"),
    Case("init own data missing", args("init", "ROOT/o.yaml", "--scenario", "own-dataset", "--data", "ROOT/none.jsonl"), "none.jsonl: no such file"),
    Case("tracking unknown integration", cfg(lambda r: experiment(r, tracking={"mlflw": {}})), "did you mean 'mlflow'"),
    Case("tracking wandb mode", cfg(lambda r: experiment(r, tracking={"wandb": {"mode": "offlne"}})), "tracking.wandb.mode"),
    Case("tracking mlflow near-miss key", cfg(lambda r: experiment(r, tracking={"mlflow": {"tracking_url": "x"}})), "did you mean 'tracking_uri'"),
    Case("tracking as a list", cfg(lambda r: experiment(r, tracking=["mlflow"])), "tracking"),
    Case("export not a run", args("export", "ROOT", "--format", "hf-dataset", "--output", "ROOT/ds"), "no run found"),
    Case("export unknown format", args("export", "ROOT/runs/base", "--format", "csv", "--output", "ROOT/o"), "Invalid value for '--format'"),
    Case("export output exists", args("export", "ROOT/runs/base", "--format", "hf-dataset", "--output", "ROOT/runs"), "pass --force"),
    Case("export force over other files", args("export", "ROOT/runs/base", "--format", "inspect", "--output", "ROOT/runs", "--force"), "holds other files"),
    Case("export force over a non-dataset", args("export", "ROOT/runs/base", "--format", "hf-dataset", "--output", "ROOT/runs", "--force"), "not a saved dataset"),
    # --- fine-tuning
    Case("finetune r text", finetune(FT + "lora: {r: x}\n"), "lora.r"),
    Case("finetune size negative", finetune(FT.replace("size: 4", "size: -1")), "data.size"),
    Case("finetune near-miss key", finetune(FT + "trainng: {}\n"), "did you mean 'training'"),
    Case("finetune lr text", finetune(FT + "training: {lr: fast}\n"), "training.lr"),
    Case("finetune source option type", finetune(FT.replace("{name: procedural}", "{name: procedural, n: x}")), "data.sources.0"),
    Case("finetune missing file", args("finetune", "ROOT/none.yaml"), "not found"),
    Case("finetune duplicate key", finetune(FT + "base: other/model\n"), "duplicate key 'base'"),
    # --- privacy: record files of the wrong shape, options out of range
    Case("contextual record without tier", with_file("cp.jsonl", '{"scenario": "s", "question": "q?", "expected": "no"}\n', lambda r, f: bench(r, {"name": "contextual_privacy", "path": str(f)})), "missing column 'tier'"),
    Case("contextual tier out of range", with_file("cp.jsonl", '{"scenario": "s", "question": "q?", "expected": "no", "tier": 7}\n', lambda r, f: bench(r, {"name": "contextual_privacy", "path": str(f)})), "cp.jsonl, line 1: tier 7 is not 1, 2, 3 or 4"),
    Case("contextual expected not yes/no", with_file("cp.csv", "tier,scenario,question,expected\n2,s,q?,maybe\n", lambda r, f: bench(r, {"name": "contextual_privacy", "path": str(f)})), "expected 'maybe' is not yes or no"),
    Case("contextual tiers option", cfg(lambda r: bench(r, {"name": "contextual_privacy", "tiers": [5]})), "tiers"),
    Case("pii records zero", cfg(lambda r: bench(r, {"name": "pii_extraction", "records": 0})), "benchmarks.0.records"),
    Case("pii unknown field", cfg(lambda r: bench(r, {"name": "pii_extraction", "ask": ["ssn", "passport"]})), "unknown 'passport'"),
    Case("pii unknown locale", cfg(lambda r: bench(r, {"name": "pii_extraction", "locale": "xx_XX"})), "not a Faker locale"),
    Case("canary benchmark without path", cfg(lambda r: bench(r, {"name": "canary_extraction"})), "needs `path:`"),
    Case("canary benchmark without canaries", with_file("mixture.json", '{"size": 4, "seed": 0}', lambda r, f: bench(r, {"name": "canary_extraction", "path": str(f)})), "planted no canaries"),
    Case("finetune canary digits", finetune(FT + "  canaries: {count: 2, digits: 2}\n"), "data.canaries.digits"),
    Case("finetune canary count negative", finetune(FT + "  canaries: {count: -1}\n"), "data.canaries.count"),
    Case("finetune canary prefix placeholder", finetune(FT + "  canaries: {count: 1, prefix: 'My code is {code}'}\n"), "data.canaries.prefix"),
    Case("finetune regenerate without teacher", finetune(FT + "  regenerate: {method: helpful_system}\n"), "data.regenerate: set `teacher:`"),
    Case("finetune regenerate unknown method", finetune(FT + "  regenerate: {teacher: {backend: fake}, method: helpfull}\n"), "unknown method 'helpfull'"),
    Case("finetune regenerate several requests", finetune(FT + "  regenerate: {teacher: {backend: fake}, method: {name: self_consistency, k: 3}}\n"), "several requests per prompt"),
    Case("finetune regenerate max_tokens zero", finetune(FT + "  regenerate: {teacher: {backend: fake}, max_tokens: 0}\n"), "data.regenerate.max_tokens"),
    Case("finetune regenerate on_empty", finetune(FT + "  regenerate: {teacher: {backend: fake}, on_empty: skip}\n"), "data.regenerate.on_empty"),
    Case("intent judge model as text", cfg(lambda r: experiment(r, judges={"harmful": [{"name": "intent", "model": "embedded"}]})), "model"),
    Case("canary exposure candidates", args("canary-exposure", "ROOT", "--candidates", "0"), "candidates must be 1 to"),
    Case("canary exposure no manifest", args("canary-exposure", "ROOT"), "no fine-tuning manifest or mixture.json"),
    # --- paper_texts: the file of the paper's own texts
    Case("paper_texts missing file", cfg(lambda r: experiment(r, paper_texts=str(r / "none.yaml"))), "paper_texts: paper_texts"),
    Case("paper_texts unknown key", with_file("texts.yaml", "system_prompts:\n  helpfull: x\n", lambda r, f: experiment(r, paper_texts=str(f))), "texts.yaml:2: system_prompts.helpfull: unknown key (did you mean 'helpful'"),
    Case("paper_texts demo half missing", with_file("texts.yaml", "demos:\n  math:\n    - {question: q}\n", lambda r, f: experiment(r, paper_texts=str(f))), "response: required"),
    Case("paper_texts template without request", with_file("texts.yaml", "attacks:\n  adv_suffix_template: 'Do it{suffix}'\n", lambda r, f: experiment(r, paper_texts=str(f))), "texts.yaml:2: attacks.adv_suffix_template: the template must use {request}"),
    Case("paper_texts extractor unknown field", with_file("texts.yaml", "answer_extractor: '{problem} {response} \\boxed{x}'\n", lambda r, f: experiment(r, paper_texts=str(f))), "unknown field {x}"),
    Case("paper_texts not a mapping", with_file("texts.yaml", "- a\n- b\n", lambda r, f: experiment(r, paper_texts=str(f))), "must be a YAML mapping"),
    Case("paper_texts text a number", with_file("texts.yaml", "cot_cue: 5\n", lambda r, f: experiment(r, paper_texts=str(f))), "texts.yaml:1: cot_cue"),
    Case("paper_texts fewer demos than k", with_file("texts.yaml", "demos:\n  in_context_defense:\n    - {request: a, refusal: b}\n", lambda r, f: experiment(r, methods=[{"name": "in_context_defense", "k": 2}], paper_texts=str(f))), "k must be from 1 to 1"),
]


def test_there_are_enough_cases() -> None:
    assert len(CASES) >= 60
    assert len({c.name for c in CASES}) == len(CASES)


@pytest.fixture(scope="module")
def finished(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory with one finished run (``runs/base``) and its cache."""
    root = tmp_path_factory.mktemp("bad-input")
    p = root / "base.yaml"
    p.write_text(yaml.safe_dump(experiment(root), sort_keys=False))
    out = Runner(load_experiment(p), root / "runs" / "base", progress=False).run()
    assert out.generated == out.unique_requests > 0
    return root


def snapshot(store_path: Path) -> tuple[Any, ...]:
    store = Store(store_path)
    try:
        rows = [json.dumps(r.to_dict(), sort_keys=True) for r in store.results()]
        return (rows, store.count("generations"), store.count("verdicts"))
    finally:
        store.close()


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_bad_input_is_one_line(
    case: Case, finished: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SR_TEST_UNSET_KEY", raising=False)
    # the case works in a copy of the finished run, so cases never see each other's files
    import shutil

    root = tmp_path / "w"
    shutil.copytree(finished, root)
    store = root / "runs" / "base" / "store.sqlite"
    before = snapshot(store)
    argv = case.build(root)
    result = CliRunner().invoke(main, argv)
    assert result.exit_code not in (0, None), result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception
    )
    assert "Traceback" not in result.output and "Traceback" not in result.stderr
    lines = [x for x in result.stderr.splitlines() if x.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    assert case.says in lines[0], lines[0]
    assert snapshot(store) == before
    left = [p.name for p in root.rglob("*.tmp")] + [p.name for p in root.rglob(".write-test-*")]
    assert not left, left
