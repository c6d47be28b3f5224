"""Many-shot jailbreaking: fabricated compliant turns before the request (Anil et al., 2024)."""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Annotated

from pydantic import Field

from safereason.attacks._common import check, record, section
from safereason.plugins import attacks
from safereason.types import Message, Sample


def shots() -> list[tuple[str, str]]:
    """The fabricated (user, assistant) pairs from attacks.yaml (generic placeholders)."""
    return [(str(s["user"]), str(s["assistant"])) for s in section("many_shot")["shots"]]


# more fabricated turns than any context window holds (the paper goes to 256)
MAX_SHOTS = 4096


def pick_shots(k: int, seed: int, shuffle: bool) -> list[int]:
    """Indices of ``k`` shots: a seeded shuffle (or file order), cycled when k exceeds the pool."""
    n = len(shots())
    order = list(range(n))
    if shuffle:
        random.Random(seed).shuffle(order)
    return [order[i % n] for i in range(k)]


@attacks.register("many_shot")
@dataclass(frozen=True)
class ManyShot:
    """Put k fabricated user/assistant turns, all compliant, before the request.

    ``k``: the number of fabricated pairs; ``seed`` and ``shuffle`` choose which and in what
    order (the pool in attacks.yaml is cycled when k is larger than it).
    """

    k: Annotated[int, Field(le=MAX_SHOTS)] = 8  # at least 1: checked below
    seed: int = 0
    shuffle: bool = True

    def __post_init__(self) -> None:
        check(self.k >= 1, "many_shot", f"k must be at least 1, not {self.k}")

    def apply(self, sample: Sample) -> list[Sample]:
        pool = shots()
        idx = pick_shots(self.k, self.seed, self.shuffle)
        turns: list[Message] = []
        for i in idx:
            user, assistant = pool[i]
            turns += [Message("user", user), Message("assistant", assistant)]
        out = sample.with_prefix_turns(tuple(turns))
        return [record(out, self, shots=idx)]
