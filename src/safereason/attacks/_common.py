"""What the attacks share: their prompt texts, template filling, and the record they leave."""

from __future__ import annotations

import dataclasses
import re
import string
from dataclasses import replace
from typing import Any

from safereason.errors import SafereasonError
from safereason.resources import data_yaml
from safereason.types import Sample


def section(attack: str) -> dict[str, Any]:
    """The attack's entry in ``data/attacks.yaml``."""
    out: dict[str, Any] = data_yaml("attacks.yaml")[attack]
    return out


def placeholders(template: str) -> set[str]:
    """The ``{name}`` fields of a str.format template."""
    return {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}


def resolve_template(
    attack: str,
    template: str,
    fields: set[str],
    *,
    required: str | None = None,
    error: type[Exception] = SafereasonError,
) -> tuple[str, str]:
    """(id, text) of a template: an id from attacks.yaml, or a text of the user's own.

    A text of one's own may use only ``fields``, and must use ``required`` (when given)
    or else at least one of ``fields``. A bad text raises ``error``: a SafereasonError
    names the attack as ``attack 'x'``; any other type (a ValueError raised while a
    plugin is built, which the registry reports as a bad option) as ``x``, like
    :func:`check`.
    """
    known: dict[str, str] = section(attack)["templates"]
    if template in known:
        return template, known[template]
    where = f"attack {attack!r}" if error is SafereasonError else attack
    try:
        used = placeholders(template)
    except ValueError as e:
        raise error(f"{where}: bad template {template!r}: {e}") from None
    has_required = required in used if required is not None else bool(used)
    if not has_required or not used <= fields:
        rule = f"{{{required}}} and only" if required is not None else "only"
        raise error(
            f"{where}: template {template!r} is neither a known template "
            f"({', '.join(known)}) nor a text using {rule} {{{'}, {'.join(sorted(fields))}}}"
        )
    return "custom", template


def normalise(text: str) -> str:
    """``text`` casefolded with each run of non-word characters as one space (to compare)."""
    return re.sub(r"\W+", " ", text).strip().casefold()


def fill(template: str, **values: str) -> str:
    """Fill a str.format template."""
    return template.format(**values)


def options(attack: Any) -> dict[str, Any]:
    """An attack's options (its dataclass fields) as a JSON-ready dict."""
    return dataclasses.asdict(attack)


def record(sample: Sample, attack: Any, **info: Any) -> Sample:
    """``sample`` with ``meta["attack"]`` saying what the attack did (the input is untouched).

    ``queries``: how many target queries the item cost (1 unless the attack says otherwise:
    the attacks that search the target record their own count).
    """
    name = getattr(type(attack), "registry_name", type(attack).__name__)
    entry = {"name": name, "options": options(attack), "queries": 1, **info}
    return replace(sample, attack=name, meta={**sample.meta, "attack": entry})


def check(ok: bool, attack: str, message: str) -> None:
    """Raise a ValueError (reported as a bad option) unless ``ok``."""
    if not ok:
        raise ValueError(f"{attack}: {message}")


def queries(sample: Sample) -> int:
    """The target queries an attacked sample cost (its attack's record; 1 when none)."""
    info = sample.meta.get("attack")
    return int(info.get("queries", 1)) if isinstance(info, dict) else 1
