"""Typed result rows: one per plan item, with its sample, completion, verdicts and judges."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from safereason.meaning import GENERIC, Meaning
from safereason.types import Completion, Sample, Target, Verdict


@dataclass(frozen=True)
class JudgeInfo:
    """One configured judge of a run: its label, spec, the text it reads and its meaning.

    ``key`` is the judge's label in the run (``refusal``, ``refusal(target=reasoning)`` or
    a user's ``label``); ``spec`` its registry name and options, which is what its verdict
    cache key hashes; ``reads`` the completion text it judges.
    """

    key: str
    spec: Mapping[str, Any]
    reads: Target = "answer"
    meaning: Meaning = GENERIC

    @property
    def name(self) -> str:
        """The judge's registry name."""
        return str(self.spec.get("name", self.key))

    def twin(self, other: JudgeInfo) -> bool:
        """Whether ``other`` is the same judge, configured alike, reading another text."""
        mine = {k: v for k, v in self.spec.items() if k != "target"}
        theirs = {k: v for k, v in other.spec.items() if k != "target"}
        return mine == theirs and self.reads != other.reads

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (what the run manifest stores)."""
        return {
            "key": self.key,
            "spec": dict(self.spec),
            "reads": self.reads,
            "meaning": self.meaning.to_dict(),
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> JudgeInfo:
        """Inverse of :meth:`to_dict`."""
        reads = d.get("reads", "answer")
        return cls(d["key"], dict(d["spec"]), reads, Meaning.from_dict(d["meaning"]))


@dataclass(frozen=True)
class ResultRow:
    """One plan item of a run: its grid cell, sample, completion and verdicts by judge key."""

    item_id: str
    model: str
    method: str
    benchmark: str
    attack: str
    sample: Sample
    gen_key: str
    completion: Completion | None
    verdicts: Mapping[str, Verdict] = field(default_factory=dict)
    judges: Mapping[str, JudgeInfo] = field(default_factory=dict)

    @property
    def kind(self) -> str:
        """The sample's kind (reasoning, harmful, benign, privacy)."""
        return self.sample.kind

    @property
    def category(self) -> str | None:
        """The sample's category, if its benchmark gives one."""
        return self.sample.category

    @property
    def sample_id(self) -> str:
        """The sample's id within its benchmark."""
        return self.sample.id

    @property
    def prompt(self) -> str:
        """The benchmark's original request."""
        return self.sample.prompt

    @property
    def target(self) -> str | None:
        """The gold answer, if any."""
        return self.sample.target

    def judge(self, key: str) -> JudgeInfo:
        """The judge behind the verdict stored under ``key``."""
        found = self.judges.get(key)
        if found is not None:
            return found
        v = self.verdicts.get(key)
        return JudgeInfo(key, {"name": v.judge if v else key})

    def judged(self) -> Iterator[tuple[JudgeInfo, Verdict]]:
        """Every (judge, verdict) of this item, in stored order."""
        for key, v in self.verdicts.items():
            yield self.judge(key), v

    def decided(self, key: str) -> Verdict | None:
        """The verdict under ``key`` if the judge decided, else ``None``."""
        v = self.verdicts.get(key)
        return v if v is not None and v.decided else None

    def to_dict(self) -> dict[str, Any]:
        """The row as ``results.jsonl`` writes it."""
        return {
            "item_id": self.item_id,
            "model": self.model,
            "method": self.method,
            "benchmark": self.benchmark,
            "attack": self.attack,
            "sample_id": self.sample_id,
            "kind": self.kind,
            "category": self.category,
            "gen_key": self.gen_key,
            "prompt": self.prompt,
            "target": self.target,
            "messages": [{"role": m.role, "content": m.content} for m in self.sample.messages],
            "completion": self.completion.to_dict() if self.completion else None,
            "verdicts": {k: v.to_dict() for k, v in self.verdicts.items()},
        }
