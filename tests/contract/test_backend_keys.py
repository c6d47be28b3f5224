"""Every backend says which of its options can change an output: those are in the key."""

from __future__ import annotations

import pytest

from safereason import plugins
from safereason.backends.factory import engine, keyed_options, option_types


@pytest.mark.parametrize("name", plugins.backends.names())
def test_neutral_and_covered_options_are_real_options(name: str) -> None:
    eng = engine(name)
    options = eng.options()
    assert eng.neutral <= options, eng.neutral - options
    assert eng.covered <= options, eng.covered - options
    assert not eng.neutral & eng.covered
    assert set(option_types(name)) == options  # every option has a (checked) annotation


def test_output_changing_options_are_keyed() -> None:
    assert {"n_ctx", "n_batch", "reuse_prefix"} <= set(keyed_options("llamacpp", {}))
    assert keyed_options("llamacpp", {"n_ctx": 64})["n_ctx"] == 64
    assert "n_threads" not in keyed_options("llamacpp", {"n_threads": 2})
    assert {"tensor_parallel_size", "seed"} <= set(keyed_options("vllm", {}))
    assert "continue_final_message" in keyed_options("openai", {})
    assert keyed_options("ray", {"actors": 4}) == {}  # its identity is the inner engine's
    assert keyed_options("fake", {"fail": "x", "delay_s": 1.0}) == {}
