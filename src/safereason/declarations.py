"""What a run's methods and benchmarks declare, as the run manifest records it.

Methods declare ``meaning: ClassVar[MethodMeaning]`` (what they change, on which kinds,
whether they are a defence) and benchmarks ``meaning: ClassVar[Mapping[kind,
BenchmarkMeaning]]`` (which outcome is right on them and which rate measures it), in the
shape of a judge's :class:`~safereason.meaning.Meaning`. The runner records both
(``meta.methods``, ``meta.benchmarks``) beside the judges; the report reads them from
the run and never imports a plugin.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from safereason import plugins
from safereason.config import Experiment
from safereason.meaning import KIND_DEFAULTS, BenchmarkMeaning, MethodMeaning


def method_meaning(method: Any) -> MethodMeaning:
    """A method's declared meaning; one from its docstring's first line if it has none."""
    found = getattr(type(method), "meaning", None)
    if isinstance(found, MethodMeaning):
        return found
    doc = (type(method).__doc__ or "").strip().splitlines()
    return MethodMeaning(changes=doc[0] if doc else "")


def benchmark_meaning(bench: Any, kinds: Iterable[str]) -> dict[str, BenchmarkMeaning]:
    """A benchmark's declared meaning for each kind it gave (the kind's default if none).

    Read from the instance: the ``local`` benchmark's depends on the layout of its file.
    """
    declared: Mapping[str, BenchmarkMeaning] = getattr(bench, "meaning", None) or {}
    return {k: declared.get(k) or KIND_DEFAULTS.get(k) or KIND_DEFAULTS["harmful"] for k in kinds}


def methods_manifest(exp: Experiment) -> dict[str, dict[str, Any]]:
    """``meta.methods``: each method's label -> its spec and declared meaning."""
    out = {}
    for ref in exp.methods:
        method = plugins.methods.build(ref.name, ref.options)
        out[ref.display] = {
            "spec": {"name": ref.name, **ref.options},
            "meaning": method_meaning(method).to_dict(),
        }
    return out


def benchmarks_manifest(
    exp: Experiment, kinds: Mapping[str, Iterable[str]]
) -> dict[str, dict[str, Any]]:
    """``meta.benchmarks``: each benchmark's label -> its spec and, per sample kind it gave,
    its declared meaning. ``kinds``: the kinds of each benchmark's samples, by label."""
    out = {}
    for ref in exp.benchmarks:
        bench = plugins.benchmarks.build(ref.name, ref.options)
        meaning = benchmark_meaning(bench, sorted(set(kinds.get(ref.display, ()))))
        out[ref.display] = {
            "spec": {"name": ref.name, **ref.options},
            "meaning": {k: m.to_dict() for k, m in meaning.items()},
        }
    return out


def read_methods(raw: Mapping[str, Any] | None) -> dict[str, MethodMeaning]:
    """The manifest's methods, by label (empty for a run made before it recorded them)."""
    return {k: MethodMeaning.from_dict(v.get("meaning") or {}) for k, v in (raw or {}).items()}


def read_benchmarks(raw: Mapping[str, Any] | None) -> dict[str, dict[str, BenchmarkMeaning]]:
    """The manifest's benchmarks, by label then kind."""
    return {
        k: {kind: BenchmarkMeaning.from_dict(m) for kind, m in (v.get("meaning") or {}).items()}
        for k, v in (raw or {}).items()
    }
