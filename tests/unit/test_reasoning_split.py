"""The one trace splitter: every reasoning format it reads, and what it leaves alone."""

from __future__ import annotations

import pytest

from safereason.reasoning_split import split_reasoning, trace_closed

CASES = [
    pytest.param("Just an answer.", "Just an answer.", None, id="no-trace"),
    pytest.param("<think>plan</think>\n\nAnswer.", "Answer.", "plan", id="think"),
    pytest.param("<thought>plan</thought> Answer.", "Answer.", "plan", id="thought-tag"),
    pytest.param(
        "plan, opened by the template</think>Answer.",
        "Answer.",
        "plan, opened by the template",
        id="lone-closing-tag",
    ),
    pytest.param(
        "<think>still thinking when the tokens ran out",
        "",
        "still thinking when the tokens ran out",
        id="unclosed",
    ),
    pytest.param(
        "<|begin_of_thought|>\nweigh it\n<|end_of_thought|>\n\n<|begin_of_solution|>\n"
        "Final.\n<|end_of_solution|>",
        "Final.",
        "weigh it",
        id="sky-t1-markers",
    ),
    pytest.param("<|begin_of_thought|>\ncut off here", "", "cut off here", id="sky-t1-unclosed"),
    pytest.param(
        "Thought for 9 seconds\n> Checking the request.\n> Deciding.\n\nThe answer.",
        "The answer.",
        "Checking the request.\nDeciding.",
        id="o1-summary",
    ),
    pytest.param(
        "I thought for 9 seconds about it.",
        "I thought for 9 seconds about it.",
        None,
        id="thought-for-in-a-sentence",
    ),
]


@pytest.mark.parametrize(("text", "answer", "reasoning"), CASES)
def test_split(text: str, answer: str, reasoning: str | None) -> None:
    assert split_reasoning(text) == (answer, reasoning)


def test_trace_closed_tells_an_empty_answer_from_a_cut_off_trace() -> None:
    assert trace_closed("<think>done</think>")
    assert trace_closed("<|begin_of_thought|>done<|end_of_thought|>")
    assert not trace_closed("<think>cut off")
    assert not trace_closed("plain text")
