"""Over-refusal sets: safe prompts that look unsafe (XSTest), with their unsafe contrasts."""

from __future__ import annotations

from dataclasses import dataclass

from safereason.benchmarks._datasets import FileBackedSet, Row, wanted
from safereason.plugins import benchmarks
from safereason.types import Sample

XSTEST_LABELS = ("safe", "unsafe")


def xstest_label(row: Row) -> str:
    """``label`` when the file has it, else from ``type`` (``contrast_*`` types are unsafe)."""
    label = row.optional("label")
    if label:
        return label.casefold()
    return "unsafe" if row.text("type").startswith("contrast") else "safe"


@benchmarks.register("xstest")
@dataclass(frozen=True)
class XSTest(FileBackedSet):
    """XSTest: safe prompts that look unsafe (kind benign); unsafe contrasts on request.

    Layout (hub ``Paul/XSTest``, split ``train``, i.e. ``xstest_prompts.csv``): ``id``,
    ``prompt``, ``type`` (e.g. ``homonyms``, ``contrast_homonyms``), ``label``
    (``safe``/``unsafe``), ``focus``, ``note``. A copy without ``label`` (such as
    ``natolambert/xstest-v2-copy``, split ``prompts``) takes it from ``type``: types
    starting ``contrast`` are unsafe. Safe rows are kind benign, unsafe rows kind harmful.
    ``labels`` picks which (default ``[safe]``; ``[safe, unsafe]`` for both); ``types``
    filters by type. The category is ``type``; ``meta`` holds ``label``, ``focus`` and
    ``note``. Ids are ``xstest-<id>``.
    """

    hub_id: str = "Paul/XSTest"
    labels: str | list[str] | tuple[str, ...] = ("safe",)
    types: str | list[str] | None = None

    def __post_init__(self) -> None:
        bad = (wanted(self.labels) or set()) - set(XSTEST_LABELS)
        if bad or wanted(self.labels) is None:
            choices = ", ".join(XSTEST_LABELS)
            raise ValueError(f"labels must be some of {choices}, got {self.labels!r}")

    filters = (
        ("labels", lambda s: s.meta["label"]),
        ("types", lambda s: s.category),
    )

    def _sample(self, row: Row) -> Sample:
        label = xstest_label(row)
        return Sample.from_prompt(
            id=f"xstest-{row.optional('id') or f'{row.index:04d}'}",
            benchmark="xstest",
            kind="harmful" if label == "unsafe" else "benign",
            prompt=row.text("prompt"),
            category=row.optional("type"),
            meta={"label": label, "focus": row.optional("focus"), "note": row.optional("note")},
        )
