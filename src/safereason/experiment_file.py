"""Reading an experiment file: validate it against the schema (config.py), then build every
plugin it names once, so a bad name or option fails at its line before any work."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from safereason.config import Experiment, PluginRef
from safereason.errors import OptionError, SafereasonError
from safereason.yaml_lines import LocatedYaml, dotted, validation_error


def load_experiment(path: Path, overrides: dict[str, Any] | None = None) -> Experiment:
    """Read, validate and check an experiment file; errors say which key and line."""
    doc = LocatedYaml.from_file(path)
    return parse_experiment(doc, overrides)


def parse_experiment(doc: LocatedYaml, overrides: dict[str, Any] | None = None) -> Experiment:
    """Validate a parsed YAML document as an experiment and check every plugin name."""
    if not isinstance(doc.data, dict):
        raise SafereasonError(f"{doc.source}: an experiment must be a YAML mapping")
    data = {**doc.data, **(overrides or {})}
    try:
        exp = Experiment.model_validate(data)
    except ValidationError as e:
        raise validation_error(e, doc, model=Experiment) from None
    from safereason.paper_texts import active, load_paper_texts

    if exp.paper_texts is not None:
        try:
            load_paper_texts(exp.paper_texts)
        except SafereasonError as e:
            raise SafereasonError(f"{doc.where(['paper_texts'])}: paper_texts: {e}") from None
    with active(exp.paper_texts):  # the plugins are built with the texts they will use
        check_plugins(exp, doc)
    return exp


def check_plugins(exp: Experiment, doc: LocatedYaml | None = None) -> None:
    """Build every named plugin once so unknown names and options fail before any work."""
    from safereason import plugins
    from safereason.backends.factory import check_model

    def where(loc: list[str | int]) -> str:
        return doc.where(loc) if doc else "experiment"

    def attempt(loc: list[str | int], fn: Any, *args: Any) -> None:
        try:
            fn(*args)
        except OptionError as e:  # at the option's own line, named by its key path
            path = [*loc, *e.path]
            raise SafereasonError(f"{where(path)}: {dotted(path)}: {e.detail}") from None
        except SafereasonError as e:
            raise SafereasonError(f"{where(loc)}: {e}") from None

    if exp.tracking is not None:
        from safereason.tracking import check_tracking

        attempt(["tracking"], check_tracking, exp.tracking)
    for i, m in enumerate(exp.models):
        attempt(["models", i], check_model, m)
    for i, me in enumerate(exp.methods):
        attempt(["methods", i], plugins.methods.build, me.name, me.options)
    for i, b in enumerate(exp.benchmarks):
        attempt(["benchmarks", i], plugins.benchmarks.build, b.name, b.options)
        for j, a in enumerate(b.attacks):
            attempt(["benchmarks", i, "attacks", j], plugins.attacks.build, a.name, a.options)
    for kind, refs in exp.judges.items():
        for j, ref in enumerate(refs):
            attempt(["judges", kind, j], plugins.judges.build, ref.name, ref.options)
    if exp.calibration is not None:
        from safereason.judge_calibration import check_calibration

        attempt(["calibration"], check_calibration, exp)
    groups: tuple[tuple[str, Sequence[PluginRef]], ...] = (
        ("models", exp.models),
        ("methods", exp.methods),
        ("benchmarks", exp.benchmarks),
    )
    for key, group in groups:
        labels = [r.display for r in group]
        dup = sorted({x for x in labels if labels.count(x) > 1})
        if dup:
            raise SafereasonError(
                f"{where([key])}: {key} listed twice: {', '.join(dup)}; "
                f"give each a distinct 'label'"
            )
