"""Targets with a form of their own: yes/no, dates and clock times (judges/answer_forms.py)."""

from __future__ import annotations

import pytest

from safereason.judges.answer_forms import Form, read_form, strip_thinking, target_form


@pytest.mark.parametrize(
    ("target", "form"),
    [
        ("Yes", Form("yes/no", "yes")),
        ("no.", Form("yes/no", "no")),
        ("False", Form("yes/no", "false")),
        ("2024-03-15", Form("date", "2024-03-15")),
        ("9:05", Form("time", "09:05")),
        ("14:30", Form("time", "14:30")),
        ("42", None),
        ("3:4 ratio", None),
        ("Canberra", None),
    ],
)
def test_target_form(target: str, form: Form | None) -> None:
    assert target_form(target) == form


@pytest.mark.parametrize(
    ("text", "target", "said"),
    [
        ("No. 91 = 7 x 13, so it is not prime.", "No", "no"),
        ("Ja, 64 ist eine Quadratzahl.", "Yes", "yes"),
        ("Checking every case.\nThe answer is: False.", "true", "false"),
        ("91 = 7 x 13 has factors, so yes, it is composite.", "Yes", "yes"),
        ("It could be either yes or no.", "Yes", None),
        ("It is divisible by 7.", "No", None),
        ("Counting forward gives 1 March 2025.", "2025-03-01", "2025-03-01"),
        ("From 2025-02-20, nine days later is Mar 1, 2025.", "2025-03-01", "2025-03-01"),
        ("The train leaves at 11:50 p.m.", "23:50", "23:50"),
        ("The train leaves at 12:10 am.", "00:10", "00:10"),
        ("It starts at 12:30 and ends an hour later at 13:30.", "13:30", "13:30"),
        ("The bell rings at 12:30 and everyone leaves.", "12:30", "12:30"),
        ("Dinner is at 2:30 pasta night.", "14:30", "02:30"),
    ],
)
def test_read_form(text: str, target: str, said: str | None) -> None:
    form = target_form(target)
    assert form is not None
    assert read_form(form, text, []) == said


def test_explicit_answer_wins_over_the_opening_word() -> None:
    form = target_form("No")
    assert form is not None
    assert read_form(form, "Yes, I checked.\n\\boxed{No}", ["No"]) == "no"


def test_strip_thinking_keeps_a_trace_with_no_answer() -> None:
    assert strip_thinking("<think>plan</think>\nYes.") == "Yes."
    assert strip_thinking("<think>only a plan</think>") == "<think>only a plan</think>"
