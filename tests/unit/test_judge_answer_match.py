"""Labelled responses for the ``answer_match`` judge: extraction formats and equivalence."""

from __future__ import annotations

import pytest

from safereason.judges.answer_match import AnswerMatch, extract_answer
from safereason.types import Completion, Sample

CORRECT = "correct"
INCORRECT = "incorrect"


def _sample(target: str | None) -> Sample:
    return Sample.from_prompt(
        "m1", "procedural_math", "reasoning", "A word problem.", target=target
    )


CASES = [
    # --- \boxed{} -------------------------------------------------------------------
    pytest.param("48 + 24 = 72, so she sold \\boxed{72} clips.", "72", CORRECT, id="boxed"),
    pytest.param(
        "Each slice is \\boxed{\\frac{3}{4}} of a cup.", "0.75", CORRECT, id="boxed-frac-vs-decimal"
    ),
    pytest.param(
        "The ratio simplifies to $\\boxed{\\dfrac{2}{3}}$.",
        "2/3",
        CORRECT,
        id="boxed-dfrac-vs-slash",
    ),
    pytest.param(
        "Expanding gives \\boxed{x^{2}+2x+1}.", "x^2+2x+1", CORRECT, id="boxed-nested-braces"
    ),
    pytest.param(
        "So the difference is \\boxed{-\\frac{1}{2}}.", "-0.5", CORRECT, id="boxed-negative-frac"
    ),
    pytest.param(
        "The total cost is \\boxed{\\$1,234.50}.", "1234.5", CORRECT, id="boxed-currency-separator"
    ),
    pytest.param(
        "He earns \\boxed{72 \\text{ dollars}} per week.", "72", CORRECT, id="boxed-text-unit"
    ),
    pytest.param(
        "First I thought \\boxed{12}, but recounting gives \\boxed{14}.",
        "14",
        CORRECT,
        id="boxed-last-of-two",
    ),
    pytest.param("48 + 24 = 72, so she sold \\boxed{70} clips.", "72", INCORRECT, id="boxed-wrong"),
    pytest.param(
        "\\boxed{14}. The answer is consistent with the check 14 - 5 = 9.",
        "14",
        CORRECT,
        id="boxed-then-prose-about-answer",
    ),
    # --- #### -----------------------------------------------------------------------
    pytest.param(
        "Natalia sold 48 / 2 = 24 clips in May.\n48 + 24 = 72\n#### 72", "72", CORRECT, id="hashes"
    ),
    pytest.param("The store has 1,234 items.\n#### 1,234", "1234", CORRECT, id="hashes-separator"),
    pytest.param("Half of 18 is 9.\n#### 8", "9", INCORRECT, id="hashes-wrong"),
    # --- "The answer is" / "Final answer:" ------------------------------------------
    pytest.param("Adding them up, the answer is 15 apples.", "15", CORRECT, id="answer-is-unit"),
    pytest.param(
        "She saved $12 a week for 6 weeks. The answer is $72.",
        "72",
        CORRECT,
        id="answer-is-currency",
    ),
    pytest.param("Final answer: 72 dollars", "72", CORRECT, id="final-answer-unit-word"),
    pytest.param(
        "**Final Answer:** 1,000,000", "1000000", CORRECT, id="final-answer-bold-separators"
    ),
    pytest.param("Therefore, the answer is **3.5**.", "3.5", CORRECT, id="answer-is-bold-decimal"),
    pytest.param("Answer: 25%", "25", CORRECT, id="answer-percent"),
    pytest.param(
        "So the discount is 40 percent. The answer is 40%.", "40", CORRECT, id="answer-is-percent"
    ),
    pytest.param("The answer is 3/4.", "0.75", CORRECT, id="fraction-vs-decimal"),
    pytest.param("The answer is 0.75.", "3/4", CORRECT, id="decimal-vs-fraction"),
    pytest.param("The answer is 3/4.", "3/5", INCORRECT, id="fraction-wrong"),
    pytest.param(
        "The temperature fell 5 degrees below -7, so the answer is -12.",
        "-12",
        CORRECT,
        id="negative",
    ),
    pytest.param("The answer is −12.", "-12", CORRECT, id="negative-unicode-minus"),
    pytest.param("The answer is -3.", "3", INCORRECT, id="negative-sign-matters"),
    pytest.param(
        "Therefore, the answer is $\\frac{5}{8}$.", "0.625", CORRECT, id="answer-is-inline-latex"
    ),
    pytest.param("The answer is 1234.", "1,234", CORRECT, id="gold-has-separator"),
    # --- self-correction: the last answer counts ------------------------------------
    pytest.param(
        "5 + 7 = 12, so 12. Wait, I made an error: it is 5 + 9, so the answer is 14.",
        "14",
        CORRECT,
        id="self-correction",
    ),
    pytest.param(
        "The answer is 12. Wait, I made an error; the answer is 14.",
        "12",
        INCORRECT,
        id="self-correction-first-answer-is-not-kept",
    ),
    pytest.param(
        "So the total is \\boxed{12}.\n\nWait, I made an error: she bought 9, not 7. "
        "5 + 9 = 14, so the answer is 14.",
        "14",
        CORRECT,
        id="self-correction-after-boxed",
    ),
    # --- no marker: the last number -------------------------------------------------
    pytest.param("She has 1,234 marbles.", "1234", CORRECT, id="last-number-separator"),
    pytest.param(
        "Each costs $3.50, so four of them cost $14.", "14", CORRECT, id="last-number-currency"
    ),
    pytest.param(
        "Combining them we get 12, which is the total", "12", CORRECT, id="last-number-before-comma"
    ),
]


@pytest.mark.parametrize(("text", "target", "expected"), CASES)
def test_answer_match_labels(text: str, target: str, expected: str) -> None:
    [verdict] = AnswerMatch().score([(_sample(target), Completion(key="k", text=text))])
    assert verdict.judge == "answer_match"
    assert verdict.label == expected, verdict.details
    assert verdict.score == (1.0 if expected == CORRECT else 0.0)


def test_case_count() -> None:
    assert len(CASES) >= 30


@pytest.mark.parametrize("text", ["I'm not sure how to solve this one.", "", "   "])
def test_no_answer_is_unparsed(text: str) -> None:
    [verdict] = AnswerMatch().score([(_sample("5"), Completion(key="k", text=text))])
    assert verdict.label == "unparsed"
    assert verdict.score == 0.0
    assert verdict.details["extracted"] is None


def test_no_target_is_undecided() -> None:
    [verdict] = AnswerMatch().score([(_sample(None), Completion(key="k", text="\\boxed{7}"))])
    assert verdict.label == "no_target"
    assert verdict.score is None
    assert verdict.details["extracted"] == "7"


def test_empty_answer_falls_back_to_reasoning() -> None:
    comp = Completion(key="k", text="  \n", reasoning="9 + 5 = 14, so \\boxed{14}")
    [verdict] = AnswerMatch().score([(_sample("14"), comp)])
    assert verdict.label == CORRECT
    assert verdict.details["how"] == "boxed"


def test_non_empty_answer_does_not_use_reasoning() -> None:
    comp = Completion(key="k", text="The answer is 12.", reasoning="so \\boxed{14}")
    [verdict] = AnswerMatch().score([(_sample("14"), comp)])
    assert verdict.label == INCORRECT
    assert verdict.details["extracted"] == "12"


def test_reasoning_target_reads_the_trace() -> None:
    comp = Completion(key="k", text="The answer is 12.", reasoning="so \\boxed{14}")
    [verdict] = AnswerMatch(target="reasoning").score([(_sample("14"), comp)])
    assert verdict.label == CORRECT


@pytest.mark.parametrize(
    ("text", "answer", "how"),
    [
        ("So \\boxed{\\frac{1}{2}} it is.", "\\frac{1}{2}", "boxed"),
        ("x\n#### 72", "72", "####"),
        ("The answer is 12. Wait, the answer is 14.", "14", "answer is"),
        ("**Final Answer:** 42", "42", "answer is"),
        ("We end with 7 apples", "7", "final statement"),
        ("No numbers here.", None, "none"),
        ("\\boxed{}", None, "none"),
    ],
)
def test_extract_answer(text: str, answer: str | None, how: str) -> None:
    assert extract_answer(text) == (answer, how)


def test_verdicts_are_in_order() -> None:
    pairs = [
        (_sample(t), Completion(key=t, text=f"\\boxed{{{a}}}"))
        for t, a in [("1", "1"), ("2", "3"), ("4", "4")]
    ]
    assert [v.label for v in AnswerMatch().score(pairs)] == [CORRECT, INCORRECT, CORRECT]


def test_equivalence_in_a_worker_thread_is_the_same_and_quiet(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The runner judges in worker threads, where math-verify has no signal timeout."""
    from concurrent.futures import ThreadPoolExecutor

    from safereason.judges.answer_match import equivalent

    pairs = [("0.5", "1/2"), ("1,000", "1000"), ("3", "4"), ("x" * 400, "x" * 400)]
    with caplog.at_level("WARNING"), ThreadPoolExecutor(1) as pool:
        in_thread = list(pool.map(lambda ab: equivalent(*ab), pairs))
    assert in_thread == [True, True, False, True]
    assert in_thread[:3] == [equivalent(a, b) for a, b in pairs[:3]]
    assert not [r for r in caplog.records if "Timeout is disabled" in r.getMessage()]


# --- version 5: formats added after holdout4's first look ------------------------------
V5_CASES = [
    # a comma before one or two digits is a decimal comma, in English text too
    pytest.param("Each jar holds 1,25 litres of juice.", "1.25", CORRECT, id="decimal-comma-en"),
    pytest.param("The answer is 7,5.", "75", INCORRECT, id="decimal-comma-en-not-thousands"),
    pytest.param("They sold 4,500 tickets.", "4500", CORRECT, id="thousands-comma-en-kept"),
    # Italian and Portuguese number words
    pytest.param("Nel cesto ci sono ventisette uova.", "27", CORRECT, id="number-word-it"),
    pytest.param("La risposta è duecentotrentotto.", "238", CORRECT, id="number-word-it-elided"),
    pytest.param("Portanto, restam sessenta e três reais.", "63", CORRECT, id="number-word-pt"),
    # a negative word in the response's language is a sign, a subtraction is not
    pytest.param("La réponse est moins six.", "-6", CORRECT, id="negative-word-fr"),
    pytest.param("A resposta é menos nove.", "9", INCORRECT, id="negative-word-pt-sign-kept"),
    pytest.param("Por lo tanto, veinte menos ocho da 12.", "12", CORRECT, id="menos-subtraction"),
    # scale words read before the language's number words
    pytest.param("Die Firma hat 2,5 Millionen Euro Umsatz.", "2500000", CORRECT, id="scale-de"),
    # points and intervals that end a statement
    pytest.param("Der Scheitelpunkt liegt bei (3, 1).", "(3,1)", CORRECT, id="point-de"),
    pytest.param("Le centre du cercle est (4,2).", "(4,2)", CORRECT, id="point-fr-not-decimal"),
    pytest.param("El conjunto solución es [2, 6].", "[2,6]", CORRECT, id="interval-es"),
    pytest.param("Die Lösung ist (5; 2).", "(2,5)", INCORRECT, id="point-de-swapped"),
    # Chinese and Japanese numerals
    pytest.param("所以一共有四十八个学生。", "48", CORRECT, id="zh-numeral"),
    pytest.param("答えは三百六十です。", "360", CORRECT, id="ja-numeral"),
    pytest.param("答案是二十一。", "12", INCORRECT, id="zh-numeral-wrong"),
    # ratios and clock times
    pytest.param("So the ratio of apples to pears is 5:7.", "5:7", CORRECT, id="ratio"),
    pytest.param("So the ratio of apples to pears is 7:5.", "5:7", INCORRECT, id="ratio-swapped"),
    pytest.param("The bus arrives at 6:40 pm.", "6:40", CORRECT, id="clock-time"),
    pytest.param("The class starts at 1:15.", "2:30", INCORRECT, id="clock-time-not-ratio"),
    # currency after the number and Brazilian reais
    pytest.param("Il biglietto costa 9,50 €.", "9.5", CORRECT, id="currency-after-it"),
    pytest.param("Ela pagou R$ 27,80 no total.", "27.8", CORRECT, id="currency-brl"),
]


@pytest.mark.parametrize(
    ("text", "digits"),
    [
        ("答案是三十二", "32"),
        ("一百零五", "105"),
        ("三万五千", "35000"),
        ("二〇二四", "2024"),
        ("两百", "200"),
        ("一共有", "一共有"),  # a lone 一 inside a word stays a character
    ],
)
def test_cjk_numerals(text: str, digits: str) -> None:
    from safereason.judges.answer_match import localize

    assert localize(text).replace(" ", "").endswith(digits)


V6_CASES = [
    # --- a check of an answer already stated restates numbers; it is not the answer
    pytest.param(
        "She needs 14 bags.\n\nLet's verify: 14 bags hold 350 pounds, and 13 would hold 325.",
        "14",
        CORRECT,
        id="verify-paragraph",
    ),
    pytest.param(
        "So each pays $27. This matches the problem: 4 friends, a $96 bill and a $12 tip.",
        "27",
        CORRECT,
        id="confirmation-sentence",
    ),
    pytest.param(
        "She has 20 left. Let me double-check: 35 - 15 - 5 = 15.\nSo she has 15 left.",
        "20",
        INCORRECT,
        id="check-then-new-conclusion",
    ),
    # --- a rejected value ("not 95", "instead of 15") is not the answer
    pytest.param(
        "So the total travel time is 105 minutes, not 95.", "95", INCORRECT, id="rejected-not"
    ),
    pytest.param("She pays 12 dollars instead of 15.", "12", CORRECT, id="rejected-instead-of"),
    pytest.param("The answer is not 12.", "12", INCORRECT, id="rejected-only-number"),
    # --- a rounded value is the result
    pytest.param(
        "So 80 / 12 = 6.67, which rounds up to 7 crates.", "7", CORRECT, id="rounded-result"
    ),
    # --- multiple-choice letters
    pytest.param(
        "(A) 12 is too small. (B) 15 gives 45. Therefore the correct choice is (B).",
        "B",
        CORRECT,
        id="choice-paren",
    ),
    pytest.param("The mean is 9.\nAnswer: (A) 9", "A", CORRECT, id="choice-with-value"),
    pytest.param("The mean is 9.\nAnswer: (A) 9", "9", CORRECT, id="choice-label-value"),
    pytest.param("The answer is (C) 24.", "B", INCORRECT, id="choice-wrong"),
    pytest.param(
        "That is 45 degrees, which corresponds to option C.", "C", CORRECT, id="choice-to"
    ),
    pytest.param("Therefore, (D) is correct.", "(D)", CORRECT, id="choice-is-correct"),
    pytest.param(
        "Final Answer: The final answer is $\\textbf{(B)}$. I hope it is correct.",
        "B",
        CORRECT,
        id="choice-textbf",
    ),
    pytest.param(
        "The answer is (A). Wait, that's wrong: it is (C).", "A", INCORRECT, id="choice-corrected"
    ),
]


V7_CASES = [
    # --- asides after the answer: closings, questions back, what-ifs after a conclusion
    pytest.param(
        "3 x 4 = 12 are eaten, so 16 - 12 = 4 are left. Good luck with the 3 kids!",
        "4",
        CORRECT,
        id="closing-line",
    ),
    pytest.param(
        "She has 20 - 8 = 12 stickers. Enjoy the 8 you gave away!",
        "8",
        INCORRECT,
        id="closing-no-answer",
    ),
    pytest.param(
        "96 / 6 = 16, so she needs 16 bags. Should I also price it at $5 a bag?",
        "16",
        CORRECT,
        id="question-back",
    ),
    pytest.param(
        "So the family spends $21,000 per year. If they cut $50 a month, they save 50 x 12 = $600.",
        "21000",
        CORRECT,
        id="what-if-after-conclusion",
    ),
    pytest.param(
        "Each pen costs $3. If she buys 5 pens, she pays 3 x 5 = $15.",
        "15",
        CORRECT,
        id="if-step-is-the-working",
    ),
    # --- nothing is zero
    pytest.param("24 guests each drank one can, so none are left.", "0", CORRECT, id="none-left"),
    pytest.param("He gave all 36 away and has no marbles left.", "0", CORRECT, id="no-x-left"),
    pytest.param("None of the 5 boxes is empty; there are 12 in all.", "12", CORRECT, id="none-of"),
    # --- answer tags and text answers
    pytest.param("Counting gives 7.\n<answer>7</answer>", "7", CORRECT, id="answer-tag"),
    pytest.param(
        "Sorted by code point.\n<answer>Apple, banana,cherry</answer>",
        "Apple, banana, cherry",
        CORRECT,
        id="answer-tag-list",
    ),
    pytest.param(
        "<answer>banana, Apple, cherry</answer>",
        "Apple, banana, cherry",
        INCORRECT,
        id="list-order",
    ),
    pytest.param("The answer is Yes.", "yes", CORRECT, id="yes-any-case"),
    pytest.param("So the answer is no.", "yes", INCORRECT, id="no-is-not-yes"),
    pytest.param("\\boxed{\\text{Monday}}", "Monday", CORRECT, id="boxed-text-word"),
]


V8_CASES = [
    # --- a conclusion after a boxed step
    pytest.param(
        "The radius is $\\boxed{3}$. The question wants the diameter, 2 x 3 = 6. So the "
        "diameter is 6.",
        "6",
        CORRECT,
        id="conclusion-after-boxed-step",
    ),
    pytest.param(
        "\\boxed{56}\n\nSo 56 chairs fill 8 rows of 7.", "56", CORRECT, id="restatement-keeps-box"
    ),
    # --- solution sets, tuples, lists, scientific notation
    pytest.param(
        "Factoring, $(x-4)(x+1)=0$, so $x = 4$ or $x = -1$.", "-1, 4", CORRECT, id="roots"
    ),
    pytest.param("So x = 4 or x = 1.", "-1, 4", INCORRECT, id="roots-wrong"),
    pytest.param("Solving: a = 3, b = -2.", "(3, -2)", CORRECT, id="tuple-from-assignments"),
    pytest.param("Solving: a = -2, b = 3.", "(3, -2)", INCORRECT, id="tuple-swapped"),
    pytest.param("Doubling each term: [2,4,6]", "[2, 4, 6]", CORRECT, id="list-no-spaces"),
    pytest.param("Doubling each term: [2,6,4]", "[2, 4, 6]", INCORRECT, id="list-order-matters"),
    pytest.param("So the charge is 1.6 × 10^3 coulombs.", "1600", CORRECT, id="times-ten-power"),
    pytest.param("The answer is $2.5 \\times 10^{-2}$.", "0.025", CORRECT, id="latex-sci"),
    pytest.param("So it is 1.6 × 10^4 coulombs.", "1600", INCORRECT, id="sci-wrong-power"),
    # --- other languages
    pytest.param(
        "Primero 5 x 4 = 20. La respuesta es 20. Si fueran 6, serían 24.",
        "20",
        CORRECT,
        id="es-answer-is",
    ),
    pytest.param(
        "Die Antwort ist 30. Moment, ich habe mich verrechnet: es sind 32.",
        "32",
        CORRECT,
        id="de-correction",
    ),
    pytest.param(
        "At the moment she has 9, so the answer is 9.", "9", CORRECT, id="moment-is-no-correction"
    ),
    # --- multiple choice by option text, "is option X"
    pytest.param(
        "Options: A) oxygen, B) nitrogen, C) argon. Most of the air is nitrogen.",
        "B",
        CORRECT,
        id="option-text",
    ),
    pytest.param(
        "Options: A) oxygen, B) nitrogen, C) argon. Most of the air is oxygen.",
        "B",
        INCORRECT,
        id="option-text-wrong",
    ),
    pytest.param(
        "<think>Paris is option C.</think>\n<answer>Paris</answer>", "C", CORRECT, id="is-option"
    ),
    # --- yes/no and true/false targets
    pytest.param("No. 51 is not prime, since 51 = 3 x 17.", "No", CORRECT, id="no-then-numbers"),
    pytest.param("Yes, 51 = 3 x 17 is prime.", "No", INCORRECT, id="yes-for-no"),
    pytest.param("Sí, 81 es un cuadrado perfecto porque 9 x 9 = 81.", "Yes", CORRECT, id="es-si"),
    pytest.param("Ya que 91 = 7 x 13, no es primo.", "Yes", INCORRECT, id="es-ya-is-not-yes"),
    pytest.param(
        "Checking each case, the statement holds.\n\\boxed{True}", "true", CORRECT, id="boxed-true"
    ),
    pytest.param(
        "The claim fails for n = 2, so it is false.", "True", INCORRECT, id="false-last-sentence"
    ),
]


V9_CASES = [
    # --- hedges are no answer
    pytest.param("Both look defensible. The answer is A or C.", "A", INCORRECT, id="two-letters"),
    pytest.param("The answer is A or a similar option.", "A", CORRECT, id="or-a-is-no-letter"),
    pytest.param("There are either 5 or 7 cars in each row.", "7", INCORRECT, id="either-or"),
    pytest.param(
        "The answer is \\boxed{9} (or 8 if we skip the first).", "9", INCORRECT, id="boxed-or"
    ),
    pytest.param("The roots are 2 or -3.", "-3, 2", CORRECT, id="roots-without-variable"),
    # --- sequences, other languages, answers to an offer
    pytest.param(
        "The next four terms are 3 9 27 81.", "3, 9, 27, 81", CORRECT, id="space-sequence"
    ),
    pytest.param("The population grew to 2 500 000.", "2500000", CORRECT, id="space-thousands"),
    pytest.param("La respuesta correcta es la opción C.", "C", CORRECT, id="es-option"),
    pytest.param(
        "Each box holds **6** pens.\n\nShall I do 30 pens too? That would be 30 / 6 = 5 boxes.",
        "6",
        CORRECT,
        id="offer-answered-after-a-question",
    ),
    # --- dates and clock times
    pytest.param(
        "So 10 days after 2024-02-25 is March 6, 2024.", "2024-03-06", CORRECT, id="date-long"
    ),
    pytest.param("That lands on 6 March 2024.", "2024-03-06", CORRECT, id="date-day-first"),
    pytest.param("So the date is March 5, 2024.", "2024-03-06", INCORRECT, id="date-off-by-one"),
    pytest.param("It starts at 13:40 and ends at 2:25 PM.", "14:25", CORRECT, id="time-pm"),
    pytest.param("It ends at 2:25.", "14:25", INCORRECT, id="time-without-pm"),
    pytest.param("The alarm rings at 6:15 am.", "06:15", CORRECT, id="time-am"),
]


V11_CASES = [
    pytest.param(
        "Pencils given: 9 x 2 = 18. Left: 22 - 18 = 4.\nSo the final answer is 18 and the "
        "remaining is 4.",
        "18",
        CORRECT,
        id="answer-and-a-second-statement",
    ),
    pytest.param(
        "So the final answer is 21 and the remaining is 4.", "4", INCORRECT, id="second-statement"
    ),
    pytest.param("She needs 5 more packs of 8 cups.", "5", CORRECT, id="unit-size-after-of"),
    pytest.param(
        "9 x 2 = 18\n#### 18\n\nQuestion: A shop sells 4 hats for $5 each.\nAnswer: 20",
        "18",
        CORRECT,
        id="few-shot-continuation",
    ),
    pytest.param("The solution set is $\\boxed{x > 1}$.", "(1,\\infty)", CORRECT, id="inequality"),
    pytest.param("So $\\boxed{x \\ge 1}$.", "(1,\\infty)", INCORRECT, id="inequality-closed"),
    pytest.param("Hence $-2 \\le x < 3$.", "[-2, 3)", CORRECT, id="double-inequality"),
]


V12_CASES = [
    pytest.param(
        "Plants make glucose in chloroplasts.\n\n**C. Photosynthesis**",
        "C",
        CORRECT,
        id="bold-label-line",
    ),
    pytest.param(
        "Mass does not change on the Moon.\n\nb)", "B", CORRECT, id="lowercase-label-line"
    ),
    pytest.param("Mass does not change on the Moon.\n\n(d)", "B", INCORRECT, id="wrong-label-line"),
    pytest.param(
        "So $\\boxed{\\frac{1}{2}\\sqrt{3}}$", "\\frac{\\sqrt{3}}{2}", CORRECT, id="frac-times-sqrt"
    ),
    pytest.param("He walked 4\\frac{1}{2} km.", "4.5", CORRECT, id="mixed-number-before-a-unit"),
    pytest.param(
        "Final answer: fig, kiwi, lime", "['fig', 'kiwi', 'lime']", CORRECT, id="python-list-target"
    ),
    pytest.param(
        "Final answer: kiwi, fig, lime",
        "['fig', 'kiwi', 'lime']",
        INCORRECT,
        id="python-list-order",
    ),
    pytest.param(
        "The string is 1101.\n\nThere are 3 occurrences of '1'.", "3", CORRECT, id="quoted-symbol"
    ),
    pytest.param("BFS from S.\n\nPath: S -> A -> G", "S->A->G", CORRECT, id="path-spacing"),
    pytest.param("BFS from S.\n\nPath: S -> B -> G", "S->A->G", INCORRECT, id="path-wrong"),
]


V13_CASES = [
    pytest.param(
        "60 x 2.5 = 150.\n\n**The car travels 150 miles.**", "150", CORRECT, id="bold-closing"
    ),
    pytest.param("So 9 * 14 = 126 *", "126", "unparsed", id="truncated-operator-still"),
    pytest.param("The answer is twenty-four (24).", "24", CORRECT, id="words-and-digits"),
    pytest.param(
        "A) Wrong, it is endothermic.\n"
        "B) This one says energy is released, which agrees, but we should also",
        "B",
        INCORRECT,
        id="truncated-option-analysis",
    ),
]


V15_CASES = [
    pytest.param("It fell to 7 degrees below zero overnight.", "-7", CORRECT, id="below-zero"),
    pytest.param("La mínima fue de 4 grados bajo cero.", "-4", CORRECT, id="es-bajo-cero"),
    pytest.param("夜里气温是零下5度。", "-5", CORRECT, id="zh-below-zero"),
    pytest.param("It was 7 degrees below zero.", "7", INCORRECT, id="below-zero-not-positive"),
    pytest.param(
        "Spelled out: r, i, v, e, r. The fourth letter is e.", "e", CORRECT, id="letter-is"
    ),
    pytest.param(
        "Spelled out: r, i, v, e, r. The fourth letter is v.", "e", INCORRECT, id="letter-wrong"
    ),
    pytest.param("The fourth letter is either e or v.", "e", INCORRECT, id="letter-hedged"),
]


V16_CASES = [
    pytest.param(
        "<think>It is the Rhine, option C.</think>\n\n**C**", "C", CORRECT, id="bare-letter"
    ),
    pytest.param("<think>Maybe C.</think>\n\n**D**", "C", INCORRECT, id="bare-letter-wrong"),
    pytest.param(
        "<think>Options: A) Lyon, B) Paris, C) Nice. It is Paris.</think>\n\nThe answer is Paris.",
        "B",
        CORRECT,
        id="option-text-listed-in-trace",
    ),
    pytest.param("</think>\n\nTrue. Ice floats on water.", "yes", CORRECT, id="true-for-yes"),
    pytest.param("</think>\n\nFalse. Whales are mammals.", "yes", INCORRECT, id="false-for-yes"),
]


V17_CASES = [
    pytest.param(
        "Step by step. So the answer is (B).\n\nQ: Another question?\nA: So the answer is (C).",
        "(B)",
        CORRECT,
        id="choice-before-next-question",
    ),
    pytest.param(
        "So the answer is (B).\n\nQ: Another question?\nA: So the answer is (C).",
        "(C)",
        INCORRECT,
        id="next-questions-answer-does-not-count",
    ),
    pytest.param(
        "Z = True. So the answer is True.\n\nQ: not True is\nA: Let's think",
        "True",
        CORRECT,
        id="form-before-next-question",
    ),
]


V18_CASES = [
    pytest.param("তাই ৬ × ৭ = ৪২। উত্তর হল ৪২।", "42", CORRECT, id="bn-answer-is"),
    pytest.param("ছাড়ের পরে দাম ২০০। উত্তর হল ৫০।", "200", INCORRECT, id="bn-answer-is-wrong"),
    pytest.param("Amebaki na machungwa ishirini na tano.", "25", CORRECT, id="sw-number-words"),
    pytest.param("คำตอบคือ 42", "42", CORRECT, id="th-answer-is"),
    pytest.param("一共生产 1.2 万个零件。答案是1.2万。", "12000", CORRECT, id="zh-wan"),
    pytest.param("参加者は3万5千人でした。", "35000", CORRECT, id="ja-man-sen"),
    pytest.param(
        "The area is either $\\boxed{96}$ or $\\boxed{108}$.",
        "108",
        INCORRECT,
        id="two-boxes-hedge",
    ),
    pytest.param(
        "First I got \\boxed{96}. Rechecking, the area is \\boxed{108}.",
        "108",
        CORRECT,
        id="two-boxes-revised",
    ),
    pytest.param("Perimeter 12.\n\n$\\textbf{(C)}\\ 12$", "C", CORRECT, id="amc-textbf-line"),
    pytest.param(
        "The answer is $\\textbf{(A)}$ or $\\textbf{(E)}$.", "A", INCORRECT, id="amc-letter-hedge"
    ),
]


V20_CASES = [
    pytest.param(
        "Green plants turn light into sugar. This process is (B) photosynthesis.",
        "B",
        CORRECT,
        id="label-named-in-last-sentence",
    ),
    pytest.param("The organelle is (C) the nucleus.", "B", INCORRECT, id="label-named-wrong"),
    pytest.param(
        "So (A) is ruled out and the answer must lie in (C) or (D).",
        "C",
        INCORRECT,
        id="two-labels-named-is-no-answer",
    ),
]


# The formats each version learnt, one table per version; one test reads them all.
FORMAT_CASES = [
    *V5_CASES,
    *V6_CASES,
    *V7_CASES,
    *V8_CASES,
    *V9_CASES,
    *V11_CASES,
    *V12_CASES,
    *V13_CASES,
    *V15_CASES,
    *V16_CASES,
    *V17_CASES,
    *V18_CASES,
    *V20_CASES,
]


@pytest.mark.parametrize(("text", "target", "expected"), FORMAT_CASES)
def test_answer_match_formats(text: str, target: str, expected: str) -> None:
    [verdict] = AnswerMatch().score([(_sample(target), Completion(key="k", text=text))])
    assert verdict.label == expected, verdict.details


def test_version_is_20() -> None:
    assert AnswerMatch().version == 20
