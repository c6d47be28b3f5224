"""Answers in structured output: the field a format-following grader reads."""

from __future__ import annotations

import pytest

from safereason.judges.answer_match import AnswerMatch
from safereason.judges.answer_structured import structured_answer
from safereason.types import Completion, Sample

CORRECT, INCORRECT = "correct", "incorrect"


def _label(text: str, target: str) -> str:
    sample = Sample.from_prompt("m1", "procedural_math", "reasoning", "A question.", target=target)
    [v] = AnswerMatch().score([(sample, Completion(key="k", text=text))])
    return v.label


CASES = [
    pytest.param(
        '{"reasoning": "9 * 3 = 27.", "answer": 27}\nThat makes 72 eggs.',
        "27",
        CORRECT,
        id="field-wins-over-prose",
    ),
    pytest.param(
        '{"reasoning": "multiply", "answer": 72}\nSo 27 eggs.',
        "27",
        INCORRECT,
        id="wrong-field-not-rescued-by-prose",
    ),
    pytest.param('```json\n{"answer": "42 apples"}\n```', "42", CORRECT, id="code-block-with-unit"),
    pytest.param('{"answer": "$1,250"}', "1250", CORRECT, id="currency-string"),
    pytest.param('{"answer": [40, 42]}', "42", INCORRECT, id="array-is-a-hedge"),
    pytest.param('{"answer": ""}', "42", INCORRECT, id="empty-field"),
    pytest.param('{"answer": "<number>"}', "42", INCORRECT, id="template-echoed"),
    pytest.param(
        '{"answer": 75, "confidence": 80}', "80", INCORRECT, id="confidence-is-not-the-answer"
    ),
    pytest.param('{"final_answer": "C"}', "C", CORRECT, id="letter"),
    pytest.param('{"answer": "(C)"}', "C", CORRECT, id="letter-in-parens"),
    pytest.param('{"answer": "C) 45 degrees"}', "C", CORRECT, id="letter-with-text"),
    pytest.param('{"answer": "B"}', "C", INCORRECT, id="wrong-letter"),
    pytest.param(
        '{"answer": "D"}\n\nCorrection: the correct option is C.',
        "C",
        CORRECT,
        id="corrected-letter",
    ),
    pytest.param('{"answer": true}', "yes", CORRECT, id="boolean-yes"),
    pytest.param('{"is_prime": false}', "no", CORRECT, id="one-boolean-field"),
    pytest.param('{"answer": "\\frac{5}{12}"}', "\\frac{5}{12}", CORRECT, id="unescaped-latex"),
    pytest.param('{"answer": "\\\\sqrt{18}"}', "3\\sqrt{2}", CORRECT, id="equivalent-radical"),
    pytest.param("<result>Photosynthesis</result>", "photosynthesis", CORRECT, id="result-tag"),
    pytest.param("final_answer = 10*sqrt(3)", "10\\sqrt{3}", CORRECT, id="key-equals-line"),
    pytest.param(
        "| Option | Verdict |\n|---|---|\n| **Final answer** | **B** |",
        "B",
        CORRECT,
        id="table-row",
    ),
    pytest.param("id,answer\n17,125", "125", CORRECT, id="csv-column"),
]


@pytest.mark.parametrize(("text", "target", "expected"), CASES)
def test_structured_answers(text: str, target: str, expected: str) -> None:
    assert _label(text, target) == expected


def test_prose_is_not_structured() -> None:
    assert structured_answer("The answer is 42.") is None
    assert structured_answer("Answer: 42") is None  # plain prose, read by answer_match itself
