"""Procedurally generated reasoning tasks from reasoning-gym, seeded and offline."""

from __future__ import annotations

from dataclasses import dataclass

from safereason.errors import SafereasonError, did_you_mean
from safereason.plugins import benchmarks
from safereason.types import Sample

BOXED_FORMAT = "Put your final answer within \\boxed{}."


@benchmarks.register("procedural_math")
@dataclass(frozen=True)
class ProceduralMath:
    """GSM-style word problems from reasoning-gym (gsm_symbolic or any task), seeded."""

    n: int = 20
    seed: int = 0
    task: str = "gsm_symbolic"
    answer_format: str = BOXED_FORMAT

    def size_bound(self) -> int:
        """Exactly ``n``: the samples are generated, so the plan's size is checked first."""
        return self.n

    def load(self) -> list[Sample]:
        import reasoning_gym

        if self.task not in reasoning_gym.factory.DATASETS:
            known = reasoning_gym.factory.DATASETS
            raise SafereasonError(
                f"unknown reasoning-gym task {self.task!r}{did_you_mean(self.task, known)}"
            )
        ds = reasoning_gym.create_dataset(self.task, size=self.n, seed=self.seed)
        name = "procedural_math" if self.task == "gsm_symbolic" else f"rg:{self.task}"
        out = []
        for i, item in enumerate(ds):
            prompt = str(item["question"]).strip()
            if self.answer_format:
                prompt = f"{prompt}\n{self.answer_format}"
            out.append(
                Sample.from_prompt(
                    id=f"{self.task}-{self.seed}-{i:04d}",
                    benchmark=name,
                    kind="reasoning",
                    prompt=prompt,
                    target=str(item["answer"]),
                    category=self.task,
                )
            )
        return out
