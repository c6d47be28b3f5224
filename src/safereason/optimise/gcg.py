"""Greedy Coordinate Gradient (Zou et al., 2023): optimise one universal adversarial suffix.

Our implementation, run offline against a local Hugging Face causal LM. Each step takes
the gradient of the summed target loss over all behaviours with respect to the one-hot
suffix tokens, keeps the top-k tokens per position, tries a batch of random single-token
substitutions and moves to the best; the best suffix seen is kept. All behaviours are
optimised at once (no progressive schedule) and no prefix KV cache is used. The suffix
it writes is what the ``adv_suffix`` attack reads (``suffix_file:``, ``template: bare``
for plain GCG)::

    python -m safereason.optimise.gcg --model DIR --behaviors FILE --steps 500 --out suffix.txt

An ensemble (``--model A --model B ...``, :func:`run_gcg_ensemble`) optimises one suffix
against several models at once, as Zou et al. did for their transferable suffixes: the
loss is the mean (``--combine mean``, the default) or the sum of the models' losses, the
gradient the same combination of theirs. The suffix is a sequence of token ids, so the
models must share a tokenizer (the same vocabulary: e.g. fine-tunes of one base, or one
family's sizes); models with different tokenizers are refused in one line (optimising in
text space, re-tokenised per model, is not implemented).

torch and transformers are imported only when it runs.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from safereason.errors import SafereasonError
from safereason.jsonl import json_lines

MARK = "\x00SUFFIX\x00"  # where the suffix goes when a chat template is rendered
COMBINE = ("mean", "sum")  # how an ensemble's per-model losses become one
PROMPT_KEYS = ("behavior", "goal", "prompt", "Behavior")
TARGET_KEYS = ("target", "Target")


@dataclass(frozen=True)
class GCGConfig:
    """Search settings (defaults after Zou et al.: 20 tokens, top-256, 512 candidates)."""

    n_tokens: int = 20
    steps: int = 100
    topk: int = 256
    batch_size: int = 512
    eval_batch: int = 128
    seed: int = 0
    init: str = "!"
    allow_non_ascii: bool = False
    filter_retokenize: bool = True
    use_chat_template: bool = True
    combine: str = "mean"

    def __post_init__(self) -> None:
        for name in ("n_tokens", "topk", "batch_size", "eval_batch"):
            if getattr(self, name) < 1:
                raise SafereasonError(f"gcg: {name} must be at least 1")
        if self.steps < 0:
            raise SafereasonError("gcg: steps must be 0 or more")
        if self.combine not in COMBINE:
            raise SafereasonError(
                f"gcg: combine must be one of {', '.join(COMBINE)}, not {self.combine!r}"
            )


@dataclass
class GCGResult:
    """The best suffix found, its loss, and the loss history (one entry per step).

    With an ensemble, ``loss`` is the combined loss and ``model_losses`` each model's own
    loss on the best suffix (one entry for a single model).
    """

    suffix: str
    suffix_ids: list[int]
    loss: float
    initial_loss: float
    losses: list[float] = field(default_factory=list)
    steps: int = 0
    seconds: float = 0.0
    model_losses: list[float] = field(default_factory=list)


# --- inputs ---------------------------------------------------------------------------


def load_behaviors(
    path: str | Path, limit: int | None = None, default_target: str = "Sure, here is"
) -> list[tuple[str, str]]:
    """(behaviour, target) pairs from CSV (AdvBench/HarmBench columns), JSONL or JSON.

    The behaviour is the first of ``behavior``, ``goal``, ``prompt``, ``Behavior``; the
    target is ``target`` when present, else ``default_target``.
    """
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as e:
        raise SafereasonError(f"behaviors {str(p)!r}: {e.strerror or e}") from None
    rows: list[tuple[str, Any]] = []
    if p.suffix.lower() == ".csv":
        rows = [(f"{p}:{i + 2}", r) for i, r in enumerate(csv.DictReader(text.splitlines()))]
    elif p.suffix.lower() == ".json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as e:
            raise SafereasonError(f"{p}: not valid JSON ({e})") from None
        if not isinstance(data, list):
            raise SafereasonError(f"{p}: expected a JSON list of objects")
        rows = [(f"{p}[{i}]", r) for i, r in enumerate(data)]
    else:
        rows = [(f"{p}:{n}", r) for n, r in json_lines(text.splitlines(), lambda n: f"{p}:{n}")]
    out: list[tuple[str, str]] = []
    for where, row in rows:
        if not isinstance(row, dict):
            raise SafereasonError(f"{where}: expected an object with a behaviour")
        prompt = next((str(row[k]) for k in PROMPT_KEYS if row.get(k)), None)
        if not prompt:
            raise SafereasonError(f"{where}: no behaviour (one of {', '.join(PROMPT_KEYS)})")
        target = next((str(row[k]) for k in TARGET_KEYS if row.get(k)), default_target)
        out.append((prompt.strip(), target))
    if not out:
        raise SafereasonError(f"{p}: no behaviours")
    return out[:limit] if limit else out


def prompt_parts(tokenizer: Any, behavior: str, use_chat_template: bool = True) -> tuple[str, str]:
    """(text before the suffix, text after it and before the target) for one behaviour."""
    if use_chat_template and getattr(tokenizer, "chat_template", None):
        msgs = [{"role": "user", "content": f"{behavior} {MARK}"}]
        text = tokenizer.apply_chat_template(msgs, tokenize=False, add_generation_prompt=True)
        before, _, after = str(text).partition(MARK)
        return before, after
    bos = tokenizer.bos_token if getattr(tokenizer, "bos_token", None) else ""
    return f"{bos}{behavior} ", " "


# --- the search -----------------------------------------------------------------------


class _Problem:
    """One behaviour's fixed token ids and embeddings around the suffix."""

    def __init__(self, model: Any, tokenizer: Any, behavior: str, target: str, chat: bool) -> None:
        import torch

        before, after = prompt_parts(tokenizer, behavior, chat)
        dev = model.get_input_embeddings().weight.device

        def ids(text: str) -> Any:
            enc = tokenizer(text, add_special_tokens=False)["input_ids"]
            return torch.tensor([enc], dtype=torch.long, device=dev)

        embed = model.get_input_embeddings()
        with torch.no_grad():
            self.before = embed(ids(before))
            self.after = embed(ids(after))
            self.target_ids = ids(target)
            self.target = embed(self.target_ids)
        if self.target_ids.shape[1] == 0:
            raise SafereasonError(f"gcg: target {target!r} has no tokens")

    def loss(self, model: Any, suffix_emb: Any) -> Any:
        """Mean target cross-entropy per row of ``suffix_emb`` (batch, n, dim)."""
        import torch

        b = suffix_emb.shape[0]
        fixed = [x.expand(b, -1, -1) for x in (self.before, self.after, self.target)]
        inp = torch.cat([fixed[0], suffix_emb, fixed[1], fixed[2]], dim=1)
        logits = model(inputs_embeds=inp, use_cache=False).logits
        t = self.target_ids.shape[1]
        pred = logits[:, inp.shape[1] - t - 1 : -1, :].float()
        ce = torch.nn.functional.cross_entropy(
            pred.transpose(1, 2), self.target_ids.expand(b, -1), reduction="none"
        )
        return ce.mean(dim=1)


def _disallowed(tokenizer: Any, vocab: int, allow_non_ascii: bool) -> list[int]:
    bad = set(getattr(tokenizer, "all_special_ids", []) or [])
    known = len(tokenizer)
    for i in range(vocab):
        if i >= known:
            bad.add(i)
            continue
        if not allow_non_ascii:
            s = tokenizer.decode([i], clean_up_tokenization_spaces=False)
            if not s.strip() or not (s.isascii() and s.isprintable()):
                bad.add(i)
    return sorted(bad)


def _retokenizes(tokenizer: Any, ids: Sequence[int]) -> bool:
    text = tokenizer.decode(list(ids), clean_up_tokenization_spaces=False)
    return list(tokenizer(text, add_special_tokens=False)["input_ids"]) == list(ids)


def _decode(tokenizer: Any, ids: Sequence[int]) -> str:
    return str(tokenizer.decode(list(ids), clean_up_tokenization_spaces=False)).strip()


class _Search:
    """The fixed parts of one search: the model, its vocabulary and the behaviours."""

    def __init__(
        self, model: Any, tokenizer: Any, behaviors: Sequence[tuple[str, str]], cfg: GCGConfig
    ) -> None:
        model.eval()
        model.requires_grad_(False)
        self.model, self.tokenizer, self.cfg = model, tokenizer, cfg
        self.embed = model.get_input_embeddings()
        self.weight = self.embed.weight
        self.dev, self.vocab = self.weight.device, self.weight.shape[0]
        self.problems = [
            _Problem(model, tokenizer, b, t, cfg.use_chat_template) for b, t in behaviors
        ]

    def losses(self, cands: Any) -> Any:
        """Mean loss over behaviours for each candidate suffix (rows of ids)."""
        import torch

        out = torch.zeros(cands.shape[0])
        step = self.cfg.eval_batch
        with torch.no_grad():
            for chunk_start in range(0, cands.shape[0], step):
                chunk = cands[chunk_start : chunk_start + step].to(self.dev)
                emb = self.embed(chunk)
                total = sum(p.loss(self.model, emb) for p in self.problems)
                out[chunk_start : chunk_start + chunk.shape[0]] = total.float().cpu()
        return out / len(self.problems)

    def gradient(self, ids: Any) -> Any:
        """The summed loss gradient with respect to the one-hot suffix (on the CPU, float)."""
        import torch

        one_hot = torch.zeros(
            self.cfg.n_tokens, self.vocab, device=self.dev, dtype=self.weight.dtype
        )
        one_hot.scatter_(1, ids.to(self.dev)[:, None], 1.0)
        one_hot.requires_grad_(True)
        for p in self.problems:
            p.loss(self.model, (one_hot @ self.weight)[None]).sum().backward()
        assert one_hot.grad is not None
        return one_hot.grad.float().cpu()


def same_tokenizer(tokenizers: Sequence[Any]) -> None:
    """Fail in one line unless every tokenizer maps the same tokens to the same ids."""
    first = tokenizers[0].get_vocab()
    for i, tok in enumerate(tokenizers[1:], 2):
        other = tok.get_vocab()
        if other != first:
            moved = sum(1 for t, j in other.items() if first.get(t) != j)
            raise SafereasonError(
                f"gcg: models 1 and {i} do not share a tokenizer ({len(first)} vs "
                f"{len(other)} tokens, {moved} mapped to other ids); an ensemble suffix is "
                f"one sequence of token ids, so every model must use the same tokenizer"
            )


class _Ensemble:
    """One search per model, combined: the loss and gradient are their mean or sum."""

    def __init__(self, searches: Sequence[_Search], cfg: GCGConfig) -> None:
        import torch

        self.searches, self.cfg = list(searches), cfg
        self.tokenizer = searches[0].tokenizer
        self.vocab = min(s.vocab for s in searches)  # embedding rows past the vocabulary
        self.bad = torch.tensor(
            _disallowed(self.tokenizer, self.vocab, cfg.allow_non_ascii), dtype=torch.long
        )

    def initial(self) -> Any:
        """The starting suffix: ``n_tokens`` copies of the first token of ``init``."""
        import torch

        init_ids = self.tokenizer(self.cfg.init, add_special_tokens=False)["input_ids"]
        if not init_ids:
            raise SafereasonError(f"gcg: init {self.cfg.init!r} has no tokens")
        return torch.tensor([init_ids[0]] * self.cfg.n_tokens, dtype=torch.long)

    def model_losses(self, cands: Any) -> Any:
        """Each model's loss for each candidate: (models, candidates)."""
        import torch

        return torch.stack([s.losses(cands) for s in self.searches])

    def combined(self, per_model: Any) -> Any:
        """The ensemble loss from per-model losses (models along the first dimension)."""
        return per_model.sum(dim=0) if self.cfg.combine == "sum" else per_model.mean(dim=0)

    def losses(self, cands: Any) -> Any:
        """The ensemble loss of each candidate suffix (rows of ids)."""
        return self.combined(self.model_losses(cands))

    def gradient(self, ids: Any) -> Any:
        """The combined loss gradient over the shared vocabulary, normalised per position."""
        import torch

        grads = torch.stack([s.gradient(ids)[:, : self.vocab] for s in self.searches])
        grad = self.combined(grads)
        return grad / grad.norm(dim=-1, keepdim=True).clamp_min(1e-12)

    def candidates(self, current: Any, k: int, gen: Any) -> Any:
        """A batch of distinct single-token substitutions among the top-``k`` per position."""
        import torch

        cfg = self.cfg
        grad = self.gradient(current)
        if len(self.bad):
            grad[:, self.bad] = float("inf")
        top = (-grad).topk(k, dim=1).indices  # (n_tokens, k)
        pos = torch.randint(0, cfg.n_tokens, (cfg.batch_size,), generator=gen)
        pick = torch.randint(0, k, (cfg.batch_size,), generator=gen)
        cands = current.repeat(cfg.batch_size, 1)
        cands[torch.arange(cfg.batch_size), pos] = top[pos, pick]
        cands = torch.unique(cands, dim=0)
        if cfg.filter_retokenize:
            keep = [
                i for i in range(cands.shape[0]) if _retokenizes(self.tokenizer, cands[i].tolist())
            ]
            if keep:
                cands = cands[keep]
        return cands


def run_gcg(
    model: Any,
    tokenizer: Any,
    behaviors: Sequence[tuple[str, str]],
    config: GCGConfig | None = None,
    log: Callable[[str], None] | None = None,
) -> GCGResult:
    """Optimise a suffix that makes ``model`` start each behaviour's reply with its target.

    The model is put in eval mode with its parameters frozen (gradients are taken only
    with respect to the suffix). Seeded: the same inputs and config give the same suffix.
    """
    return run_gcg_ensemble([(model, tokenizer)], behaviors, config, log)


def _ensemble(
    models: Sequence[tuple[Any, Any]], behaviors: Sequence[tuple[str, str]], cfg: GCGConfig
) -> _Ensemble:
    if not models:
        raise SafereasonError("gcg: no model to optimise against")
    if not behaviors:
        raise SafereasonError("gcg: no behaviours to optimise for")
    same_tokenizer([tok for _, tok in models])
    return _Ensemble([_Search(m, tok, behaviors, cfg) for m, tok in models], cfg)


def suffix_losses(
    models: Sequence[tuple[Any, Any]],
    behaviors: Sequence[tuple[str, str]],
    suffix_ids: Sequence[int],
    config: GCGConfig | None = None,
) -> list[float]:
    """Each model's loss (mean over behaviours) for one suffix, as the search computes it."""
    import torch

    search = _ensemble(models, behaviors, config or GCGConfig())
    ids = torch.tensor([list(suffix_ids)], dtype=torch.long)
    return [float(x) for x in search.model_losses(ids)[:, 0]]


def run_gcg_ensemble(
    models: Sequence[tuple[Any, Any]],
    behaviors: Sequence[tuple[str, str]],
    config: GCGConfig | None = None,
    log: Callable[[str], None] | None = None,
) -> GCGResult:
    """Optimise one suffix against every ``(model, tokenizer)`` at once.

    The loss of a suffix is the mean (``config.combine = "mean"``) or the sum of the
    models' losses, each the mean over behaviours; the token gradient is the same
    combination of theirs. Sum and mean pick the same suffixes (the gradient is normalised
    per position and candidates are ranked by the loss); they differ in the loss reported.
    The models must share a tokenizer (one line otherwise); each may sit on its own
    device. One model is plain GCG (:func:`run_gcg`).
    """
    import torch

    cfg = config or GCGConfig()
    start = time.perf_counter()
    torch.manual_seed(cfg.seed)
    gen = torch.Generator().manual_seed(cfg.seed)
    search = _ensemble(models, behaviors, cfg)
    current = search.initial()
    k = min(cfg.topk, search.vocab - len(search.bad))
    if k < 1:
        raise SafereasonError("gcg: no allowed tokens to substitute")
    cur_loss = float(search.losses(current[None])[0])
    best_ids, best_loss, initial = current.clone(), cur_loss, cur_loss
    history: list[float] = []
    for step in range(cfg.steps):
        cands = search.candidates(current, k, gen)
        cand_losses = search.losses(cands)
        i = int(cand_losses.argmin())
        current, cur_loss = cands[i].clone(), float(cand_losses[i])
        history.append(cur_loss)
        if cur_loss < best_loss:
            best_ids, best_loss = current.clone(), cur_loss
        if log:
            log(f"step {step + 1}/{cfg.steps} loss {cur_loss:.4f} best {best_loss:.4f}")
    ids = best_ids.tolist()
    per_model = [float(x) for x in search.model_losses(best_ids[None])[:, 0]]
    return GCGResult(
        suffix=_decode(search.tokenizer, ids),
        suffix_ids=ids,
        loss=best_loss,
        initial_loss=initial,
        losses=history,
        steps=cfg.steps,
        seconds=time.perf_counter() - start,
        model_losses=per_model,
    )


# --- output and command line ----------------------------------------------------------


def write_suffix(result: GCGResult, out: str | Path, info: dict[str, Any] | None = None) -> Path:
    """Write the suffix: JSON with the search record for ``*.json``, else the bare text."""
    p = Path(out)
    p.parent.mkdir(parents=True, exist_ok=True)
    if p.suffix.lower() == ".json":
        p.write_text(json.dumps({**asdict(result), **(info or {})}, indent=2) + "\n")
    else:
        p.write_text(result.suffix + "\n", encoding="utf-8")
    return p


def load_model(path: str, device: str = "auto", dtype: str = "auto") -> tuple[Any, Any]:
    """A causal LM and its tokenizer from a local directory (or a cached hub name)."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    if path.startswith(("/", ".", "~")) and not Path(path).expanduser().is_dir():
        raise SafereasonError(f"gcg: model {path!r}: no such directory")
    path = str(Path(path).expanduser()) if path.startswith("~") else path
    dev = ("cuda" if torch.cuda.is_available() else "cpu") if device == "auto" else device
    if dtype == "auto":
        dtype = "bfloat16" if dev.startswith("cuda") else "float32"
    try:
        tok = AutoTokenizer.from_pretrained(path)
        model: Any = AutoModelForCausalLM.from_pretrained(path, dtype=getattr(torch, dtype))
    except (OSError, ValueError) as e:
        raise SafereasonError(f"gcg: cannot load model {path!r}: {e}") from None
    return model.to(dev), tok


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m safereason.optimise.gcg``: optimise a suffix and write it to ``--out``."""
    ap = argparse.ArgumentParser(prog="python -m safereason.optimise.gcg", description=__doc__)
    ap.add_argument(
        "--model",
        required=True,
        action="append",
        help="local model directory (transformers); repeat it for an ensemble of models "
        "that share a tokenizer",
    )
    ap.add_argument(
        "--combine", choices=COMBINE, default="mean", help="an ensemble's loss: mean or sum"
    )
    ap.add_argument("--behaviors", required=True, help="CSV/JSONL/JSON of behaviours+targets")
    ap.add_argument("--out", required=True, help="suffix file: .txt (text) or .json (record)")
    d = GCGConfig()
    ap.add_argument("--steps", type=int, default=d.steps)
    ap.add_argument("--n-tokens", type=int, default=d.n_tokens)
    ap.add_argument("--topk", type=int, default=d.topk)
    ap.add_argument("--batch-size", type=int, default=d.batch_size)
    ap.add_argument("--eval-batch", type=int, default=d.eval_batch)
    ap.add_argument("--seed", type=int, default=d.seed)
    ap.add_argument("--init", default=d.init, help="the token the suffix starts as")
    ap.add_argument("--limit", type=int, default=None, help="use the first N behaviours")
    ap.add_argument("--default-target", default="Sure, here is")
    ap.add_argument("--allow-non-ascii", action="store_true")
    ap.add_argument("--no-chat-template", action="store_true")
    ap.add_argument("--device", default="auto")
    ap.add_argument("--dtype", default="auto", help="float32, bfloat16, float16 or auto")
    ap.add_argument("--quiet", action="store_true")
    a = ap.parse_args(argv)
    try:
        cfg = GCGConfig(
            n_tokens=a.n_tokens,
            steps=a.steps,
            topk=a.topk,
            batch_size=a.batch_size,
            eval_batch=a.eval_batch,
            seed=a.seed,
            init=a.init,
            allow_non_ascii=a.allow_non_ascii,
            use_chat_template=not a.no_chat_template,
            combine=a.combine,
        )
        behaviors = load_behaviors(a.behaviors, a.limit, a.default_target)
        models = [load_model(m, a.device, a.dtype) for m in a.model]

        def log(msg: str) -> None:
            if not a.quiet:
                print(msg, file=sys.stderr, flush=True)

        result = run_gcg_ensemble(models, behaviors, cfg, log)
        info = {
            "model": a.model[0] if len(a.model) == 1 else a.model,
            "behaviors": a.behaviors,
            "config": asdict(cfg),
        }
        out = write_suffix(result, a.out, info)
    except SafereasonError as e:
        print(f"error: {e}", file=sys.stderr)
        return e.exit_code
    print(f"loss {result.initial_loss:.4f} -> {result.loss:.4f}; suffix written to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
