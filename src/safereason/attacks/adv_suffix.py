"""A universal adversarial suffix inside a never-refuse rules template (``adv_suffix``).

Texts live in ``data/attacks.yaml``. The suffix comes from the options or from a file,
e.g. one written by the offline optimiser ``python -m safereason.optimise.gcg``.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from safereason.attacks._common import check, fill, record, resolve_template, section
from safereason.plugins import attacks
from safereason.types import Sample


def read_suffix(path: str | os.PathLike[str]) -> str:
    """The suffix in a file: text, or for ``*.json`` a string or an object with ``suffix``.

    Surrounding whitespace is dropped; a text file's content is the suffix as it is, even
    when it starts with a quote or a brace (GCG suffixes often do).
    """
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as e:
        raise ValueError(f"suffix_file {str(p)!r}: {e.strerror or e}") from None
    if p.suffix.lower() == ".json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as e:
            raise ValueError(f"suffix_file {str(p)!r}: not valid JSON ({e})") from None
        if isinstance(data, dict):
            data = data.get("suffix")
        if not isinstance(data, str):
            raise ValueError(
                f"suffix_file {str(p)!r}: expected a string or an object with 'suffix'"
            )
        return data.strip()
    return text.strip()


_SUFFIX_FIELDS = {"request", "suffix", "opening", "banned"}


@attacks.register("adv_suffix")
@dataclass(frozen=True)
class AdvSuffix:
    """A universal adversarial suffix inside a never-refuse, "Sure, here is" rules template.

    ``suffix``: the suffix text, or ``suffix_file``: a file holding it (plain text, or JSON
    as ``python -m safereason.optimise.gcg --out x.json`` writes). With neither, the suffix
    is empty and only the rules apply. ``template``: ``rules``, ``bare`` (request and
    suffix alone: plain GCG) or a text with ``{request}`` (``{suffix}``, ``{opening}``,
    ``{banned}`` optional). ``opening``: how the reply must start.
    """

    suffix: str = ""
    suffix_file: str | None = None
    template: str = "rules"
    opening: str = field(default_factory=lambda: str(section("adv_suffix")["opening"]))

    def __post_init__(self) -> None:
        check(
            not (self.suffix and self.suffix_file),
            "adv_suffix",
            "give suffix or suffix_file, not both",
        )
        if self.suffix_file:
            read_suffix(self.suffix_file)  # fail at build time on a missing or bad file
        resolve_template(
            "adv_suffix", self.template, _SUFFIX_FIELDS, required="request", error=ValueError
        )

    def resolved_suffix(self) -> str:
        """The suffix text (read from ``suffix_file`` when given)."""
        if self.suffix_file:
            return read_suffix(self.suffix_file)
        # with neither, the suffix of an experiment's paper_texts file (if it gives one)
        return self.suffix.strip() or str(section("adv_suffix").get("suffix", "")).strip()

    def apply(self, sample: Sample) -> list[Sample]:
        tid, text = resolve_template(
            "adv_suffix", self.template, _SUFFIX_FIELDS, required="request", error=ValueError
        )
        suffix = self.resolved_suffix()
        banned = ", ".join(f'"{b}"' for b in section("adv_suffix")["banned_phrases"])
        out = sample.with_user_text(
            fill(
                text,
                request=sample.user_text,
                suffix=f" {suffix}" if suffix else "",
                opening=self.opening,
                banned=banned,
            )
        )
        source = (
            f"file:{self.suffix_file}"
            if self.suffix_file
            else "option"
            if self.suffix.strip()
            else "paper_texts"
            if suffix
            else "none"
        )
        return [record(out, self, template=tid, suffix=suffix, suffix_source=source)]
