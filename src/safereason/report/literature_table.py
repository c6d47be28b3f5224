"""The rows of the published-vs-ours table, as data and as Markdown."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

DASH = "—"


@dataclass(frozen=True)
class PublishedRow:
    """One published figure beside our value for it."""

    id: str
    figure: str
    published: str
    ours: str
    note: str = ""
    value: float | None = None
    lo: float | None = None
    hi: float | None = None
    n: int | None = None
    p: float | None = None
    model: str | None = None
    attack: str | None = None
    agrees: bool | None = None  # ours matches (in CI / meets the bound); None: not comparable
    # what of the row's setup is not the paper's (texts, items, n, models, extractor)
    differs: tuple[str, ...] = ()


@dataclass
class PublishedTable:
    """The comparison table, as data and as Markdown."""

    title: str
    rows: list[PublishedRow] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return asdict(self)

    def markdown(self) -> str:
        """A Markdown table: figure, published, ours (95% CI, n), note."""
        lines = [
            f"### {self.title}",
            "",
            "| figure | published | ours (95% CI, n) | note |",
            "|---|---|---|---|",
        ]
        for r in self.rows:
            cells = [r.figure + (" †" if r.differs else ""), r.published, r.ours, r.note]
            lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
        if any(r.differs for r in self.rows):
            lines += ["", "† the row's setup differs from the paper's (named in its note)."]
        return "\n".join(lines) + "\n"


def attack_matches(label: str, attack: str) -> bool:
    """Whether a run's attack label is ``attack`` (alone or with its options)."""
    return label == attack or label.startswith(f"{attack}(")
