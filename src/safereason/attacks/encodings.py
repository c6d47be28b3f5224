"""Encoding attacks: the request sent encoded, to slip past safety training (Wei et al., 2023)."""

from __future__ import annotations

import base64
import codecs
import random
from dataclasses import dataclass
from typing import Any

from safereason.attacks._common import check, fill, record, section
from safereason.plugins import attacks
from safereason.types import Sample


def b64encode(text: str) -> str:
    """Base64 of the text's UTF-8 bytes."""
    return base64.b64encode(text.encode("utf-8")).decode("ascii")


def rot13(text: str) -> str:
    """ROT13: Latin letters shifted 13 places; everything else kept."""
    return codecs.encode(text, "rot13")


def leet_map() -> dict[str, str]:
    """Letter -> replacement character, from attacks.yaml."""
    return {str(k): str(v) for k, v in section("leetspeak")["map"].items()}


def leetspeak(text: str, rate: float = 1.0, seed: int = 0) -> str:
    """Replace letters with look-alike digits; each one with probability ``rate`` (seeded)."""
    table = leet_map()
    rng = random.Random(seed)
    out = []
    for ch in text:
        sub = table.get(ch.lower())
        # draw for every replaceable letter, so a given rate and seed pick the same letters
        out.append(sub if sub is not None and (rate >= 1.0 or rng.random() < rate) else ch)
    return "".join(out)


def _template(attack: str, instructed: bool, encoded_reply: bool) -> tuple[str, str]:
    key = "raw" if not instructed else "decode_reply_encoded" if encoded_reply else "decode"
    return key, str(section(attack)["templates"][key])


def _check_reply_option(name: str, instruction: bool, encoded_reply: bool) -> None:
    """An encoded reply can only be asked for by the instruction."""
    check(
        instruction or not encoded_reply,
        name,
        f"output_{name} needs instruction: true (the raw form carries no instruction)",
    )


def _encoded(
    attack: Any, name: str, sample: Sample, encoded: str, encoded_reply: bool
) -> list[Sample]:
    """``sample`` with its request replaced by ``encoded`` in the attack's template."""
    tid, text = _template(name, attack.instruction, encoded_reply)
    out = sample.with_user_text(fill(text, encoded=encoded))
    return [record(out, attack, template=tid, encoded=encoded)]


@attacks.register("base64")
@dataclass(frozen=True)
class Base64:
    """The request encoded in Base64, with an instruction to decode it and answer.

    ``output_base64``: ask for the answer in Base64 too; ``instruction``: false sends the
    encoded request alone.
    """

    output_base64: bool = False
    instruction: bool = True

    def __post_init__(self) -> None:
        _check_reply_option("base64", self.instruction, self.output_base64)

    def apply(self, sample: Sample) -> list[Sample]:
        return _encoded(self, "base64", sample, b64encode(sample.user_text), self.output_base64)


@attacks.register("rot13")
@dataclass(frozen=True)
class Rot13:
    """The request in ROT13, with an instruction to decode it and answer.

    ``output_rot13``: ask for the answer in ROT13 too; ``instruction``: false sends the
    encoded request alone.
    """

    output_rot13: bool = False
    instruction: bool = True

    def __post_init__(self) -> None:
        _check_reply_option("rot13", self.instruction, self.output_rot13)

    def apply(self, sample: Sample) -> list[Sample]:
        return _encoded(self, "rot13", sample, rot13(sample.user_text), self.output_rot13)


@attacks.register("leetspeak")
@dataclass(frozen=True)
class Leetspeak:
    """The request in leetspeak (letters swapped for look-alike digits).

    ``rate``: the share of replaceable letters replaced, chosen with ``seed``;
    ``instruction``: false sends the leetspeak request alone.
    """

    rate: float = 1.0
    seed: int = 0
    instruction: bool = True

    def __post_init__(self) -> None:
        check(0.0 < self.rate <= 1.0, "leetspeak", f"rate must be in (0, 1], not {self.rate}")

    def apply(self, sample: Sample) -> list[Sample]:
        encoded = leetspeak(sample.user_text, self.rate, self.seed)
        return _encoded(self, "leetspeak", sample, encoded, False)
