"""The paper's own texts, supplied by the user (``paper_texts: FILE`` in an experiment).

safereason ships its own paraphrases of the prompts, demonstrations and attack templates of
Li et al. (2025). A user who has the paper fills a YAML file from its appendix (the template
is ``data/paper_texts.yaml``: ``python -m safereason.paper_texts > my-texts.yaml``); while
an experiment that names it runs, its texts replace the shipped ones wherever a method,
attack or the answer extractor reads them (an overlay on the package's data files,
:func:`safereason.resources.data_yaml`). The file may be partial: an empty or absent key
keeps ours, and :func:`PaperTexts.origins` says which text came from where (the run records
it as ``meta.texts``; the report shows it). Texts reach the cache keys through the prompts
they produce (and the extractor's through its ``template`` option).
"""

from __future__ import annotations

import hashlib
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError, model_validator

from safereason import resources
from safereason.errors import SafereasonError
from safereason.yaml_lines import LocatedYaml, dotted, validation_error

TEMPLATE = "paper_texts.yaml"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class Demo(_Strict):
    """A demonstration: the user turn and the assistant's reply."""

    question: str = ""
    response: str = ""

    @model_validator(mode="after")
    def _both(self) -> Demo:
        if bool(self.question.strip()) != bool(self.response.strip()):
            missing = "response" if self.question.strip() else "question"
            raise ValueError(f"{missing}: required when the other half of the demo is given")
        return self

    @property
    def given(self) -> bool:
        """Whether the demo is filled in (both halves)."""
        return bool(self.question.strip())


class RefusalDemo(_Strict):
    """An in-context-defence demonstration: a harmful request and its refusal."""

    request: str = ""
    refusal: str = ""

    @model_validator(mode="after")
    def _both(self) -> RefusalDemo:
        if bool(self.request.strip()) != bool(self.refusal.strip()):
            missing = "refusal" if self.request.strip() else "request"
            raise ValueError(f"{missing}: required when the other half of the demo is given")
        return self

    @property
    def given(self) -> bool:
        """Whether the demo is filled in (both halves)."""
        return bool(self.request.strip())


class SystemPrompts(_Strict):
    """The system prompts of the families that set one."""

    helpful: str = ""
    reflection_a: str = ""
    reflection_b: str = ""
    safety_reflection: str = ""


class TitledSteps(_Strict):
    """The titled-steps cue and its worked math demo."""

    cue: str = ""
    demo: Demo = Demo()


class Demos(_Strict):
    """The demonstrations: worked math, refusals, reason-then-refuse."""

    math: list[Demo] = []  # few-shot CoT (k up to the number given) and the math-demo mixes
    in_context_defense: list[RefusalDemo] = []
    safety_math_mix: Demo = Demo()  # the safety demo of the safety/math mixes
    safety_demo_cot: list[Demo] = []  # CoT with one and with two safety demos


class Attacks(_Strict):
    """The attack templates and the GCG suffix."""

    # {request} required; {suffix}, {opening}, {banned} optional
    adv_suffix_template: str = ""
    gcg_suffix: str = ""
    # {masked} required; {piece}, {spelled} optional
    decomposition_template: str = ""


class PaperTexts(_Strict):
    """The file's schema: every key optional; an empty value keeps safereason's text."""

    system_prompts: SystemPrompts = SystemPrompts()
    cot_cue: str = ""
    titled_steps: TitledSteps = TitledSteps()
    demos: Demos = Demos()
    attacks: Attacks = Attacks()
    answer_extractor: str = ""  # {problem} and {response} required

    def origins(self) -> dict[str, bool]:
        """Each text's key -> whether the file gives it (False: safereason's own)."""
        out: dict[str, bool] = {}
        for key in SystemPrompts.model_fields:
            out[f"system_prompts.{key}"] = bool(getattr(self.system_prompts, key).strip())
        out["cot_cue"] = bool(self.cot_cue.strip())
        out["titled_steps.cue"] = bool(self.titled_steps.cue.strip())
        out["titled_steps.demo"] = self.titled_steps.demo.given
        out["demos.math"] = any(d.given for d in self.demos.math)
        out["demos.in_context_defense"] = any(d.given for d in self.demos.in_context_defense)
        out["demos.safety_math_mix"] = self.demos.safety_math_mix.given
        out["demos.safety_demo_cot"] = any(d.given for d in self.demos.safety_demo_cot)
        for key in Attacks.model_fields:
            out[f"attacks.{key}"] = bool(getattr(self.attacks, key).strip())
        out["answer_extractor"] = bool(self.answer_extractor.strip())
        return out

    def overlay(self) -> dict[str, dict[str, Any]]:
        """The data files' entries these texts replace: file -> partial mapping."""
        fam: dict[str, Any] = {}
        sp = self.system_prompts
        if sp.helpful.strip():
            fam["helpful_system"] = {"system": sp.helpful}
        ref = {k: v for k, v in (("a", sp.reflection_a), ("b", sp.reflection_b)) if v.strip()}
        if ref:
            fam["reflection_system"] = ref
        if sp.safety_reflection.strip():
            fam["safety_reflection_system"] = {"system": sp.safety_reflection}
        titled: dict[str, Any] = {}
        if self.titled_steps.cue.strip():
            titled["cue"] = self.titled_steps.cue
        if self.titled_steps.demo.given:
            d = self.titled_steps.demo
            titled["demo"] = {"question": d.question, "answer": d.response}
        if titled:
            fam["titled_steps_cot"] = titled
        refusals = [d for d in self.demos.in_context_defense if d.given]
        if refusals:
            fam["in_context_defense"] = {
                "demos": [{"request": d.request, "refusal": d.refusal} for d in refusals]
            }
        if self.demos.safety_math_mix.given:
            d = self.demos.safety_math_mix
            fam["safety_math_mix"] = {
                "safety_demo": {"question": d.question, "response": d.response}
            }
        cot = [d for d in self.demos.safety_demo_cot if d.given]
        if cot:
            fam["safety_demo_cot"] = {
                "demos": [{"question": d.question, "response": d.response} for d in cot]
            }
        out: dict[str, dict[str, Any]] = {}
        if fam:
            out["prompt_families.yaml"] = fam
        methods: dict[str, Any] = {}
        if self.cot_cue.strip():
            methods["zero_shot_cot"] = {"cue": self.cot_cue}
        math = [d for d in self.demos.math if d.given]
        if math:
            # the demo's reply shown as written (ours is built from reasoning and answer)
            methods["few_shot"] = {"answer_format": "{response}"}
            out["exemplars.yaml"] = {
                "math": [
                    {
                        "question": d.question,
                        "reasoning": d.response,
                        "answer": "",
                        "response": d.response,
                    }
                    for d in math
                ]
            }
        if methods:
            out["methods.yaml"] = methods
        attacks: dict[str, Any] = {}
        a = self.attacks
        if a.adv_suffix_template.strip():
            attacks["adv_suffix"] = {"templates": {"rules": a.adv_suffix_template}}
        if a.gcg_suffix.strip():
            attacks.setdefault("adv_suffix", {})["suffix"] = a.gcg_suffix.strip()
        if a.decomposition_template.strip():
            attacks["decomposition"] = {"templates": {"game": a.decomposition_template}}
        if attacks:
            out["attacks.yaml"] = attacks
        if self.answer_extractor.strip():
            out["judges.yaml"] = {"llm_extractor": {"prompt": self.answer_extractor}}
        return out


# (key path, fields it must use, fields it may use) of each template in the file
_TEMPLATES: tuple[tuple[tuple[str, ...], set[str], set[str]], ...] = (
    (("attacks", "adv_suffix_template"), {"request"}, {"request", "suffix", "opening", "banned"}),
    (("attacks", "decomposition_template"), {"masked"}, {"masked", "piece", "spelled"}),
    (("answer_extractor",), {"problem", "response"}, {"problem", "response"}),
)


def _check_templates(texts: PaperTexts, doc: LocatedYaml) -> None:
    from safereason.attacks._common import placeholders

    for loc, required, allowed in _TEMPLATES:
        value: Any = texts
        for part in loc:
            value = getattr(value, part)
        if not str(value).strip():
            continue
        where = f"{doc.where(list(loc))}: {dotted(list(loc))}"
        try:
            used = placeholders(str(value))
        except ValueError as e:
            raise SafereasonError(
                f"{where}: not a template ({e}); write a literal brace as {{{{ or }}}}"
            ) from None
        names = ", ".join(f"{{{n}}}" for n in sorted(allowed))
        if not required <= used:
            need = ", ".join(f"{{{n}}}" for n in sorted(required - used))
            raise SafereasonError(f"{where}: the template must use {need} (fields: {names})")
        if not used <= allowed:
            bad = ", ".join(f"{{{n}}}" for n in sorted(used - allowed))
            raise SafereasonError(
                f"{where}: unknown field {bad} (fields: {names}; a literal brace is {{{{ or }}}})"
            )


def load_paper_texts(path: str | Path) -> tuple[PaperTexts, str]:
    """Read and validate a texts file; returns the texts and the file's sha256.

    Errors are one line, ``file:line: key: what``, like an experiment's.
    """
    p = Path(path)
    try:
        raw = p.read_bytes()
    except OSError as e:
        raise SafereasonError(f"paper_texts {str(p)!r}: {e.strerror or e}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise SafereasonError(f"paper_texts {str(p)!r}: not UTF-8 text") from None
    doc = LocatedYaml(text, str(p))
    data = doc.data if doc.data is not None else {}
    if not isinstance(data, dict):
        raise SafereasonError(f"{p}: a paper texts file must be a YAML mapping")
    try:
        texts = PaperTexts.model_validate(_nulls_empty(data))
    except ValidationError as e:
        raise validation_error(e, doc, model=PaperTexts) from None
    _check_templates(texts, doc)
    return texts, hashlib.sha256(raw).hexdigest()


def _nulls_empty(v: Any) -> Any:
    """A key left without a value (``key:``) reads as empty, as in the template."""
    if isinstance(v, dict):
        return {k: _nulls_empty(x) for k, x in v.items() if x is not None}
    if isinstance(v, list):
        return [_nulls_empty(x) for x in v]
    return v


def manifest(path: str | None) -> dict[str, Any]:
    """What a run records of its texts (``meta.texts``): the source, and per text its origin."""
    if not path:
        return {"source": "own"}
    texts, sha = load_paper_texts(path)
    origins = texts.origins()
    return {
        "source": "file",
        "path": str(path),
        "sha256": sha,
        "from_file": [k for k, given in origins.items() if given],
        "ours": [k for k, given in origins.items() if not given],
    }


def describe(texts: dict[str, Any] | None) -> str:
    """One line: which texts a run used."""
    if not texts or texts.get("source") != "file":
        return "safereason's own paraphrases"
    mine, ours = texts.get("from_file", []), texts.get("ours", [])
    line = (
        f"user-supplied: {texts.get('path')} (sha256 {str(texts.get('sha256', ''))[:12]}), "
        f"{len(mine)} of {len(mine) + len(ours)} texts from the file"
    )
    return line + (f"; ours for {', '.join(ours)}" if ours else "")


@contextmanager
def active(path: str | None) -> Iterator[None]:
    """While inside, the file's texts replace the shipped ones (nothing when ``path`` is None)."""
    if not path:
        with resources.text_overlay({}):
            yield
        return
    texts, _ = load_paper_texts(path)
    with resources.text_overlay(texts.overlay()):
        yield


def main() -> None:
    """Print the commented template of a texts file (every key, empty values)."""
    sys.stdout.write(resources.data_text(TEMPLATE))


if __name__ == "__main__":
    main()
