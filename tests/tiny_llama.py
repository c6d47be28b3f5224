"""A tiny random Llama with a byte-level BPE tokenizer and a chat template, built locally.

Shared by the tests of the transformers backend, of fine-tuning and of GCG: no hub,
seconds to build, real transformers classes end to end.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

TEMPLATE = (
    "{% for m in messages %}<|{{ m.role }}|>{{ m.content }}<|end|>{% endfor %}"
    "{% if add_generation_prompt %}<|assistant|>{% endif %}"
)
SPECIALS = ["<|pad|>", "<|end|>", "<|system|>", "<|user|>", "<|assistant|>"]


def build_tiny_llama(
    root: Path,
    corpus: Iterable[str],
    vocab_size: int,
    max_positions: int,
    initializer_range: float | None = None,
) -> Path:
    """Train the tokenizer on ``corpus``, build a 2-layer Llama (seed 0) and save both."""
    import torch
    import transformers
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

    bpe = Tokenizer(models.BPE())
    bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    bpe.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=SPECIALS,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    bpe.train_from_iterator(list(corpus), trainer)
    tok = transformers.PreTrainedTokenizerFast(
        tokenizer_object=bpe, eos_token="<|end|>", pad_token="<|pad|>"
    )
    tok.chat_template = TEMPLATE
    extra = {} if initializer_range is None else {"initializer_range": initializer_range}
    config = tiny_llama_config(
        len(tok),
        max_positions,
        bos_token_id=None,
        eos_token_id=tok.eos_token_id,
        pad_token_id=tok.pad_token_id,
        tie_word_embeddings=False,
        **extra,
    )
    torch.manual_seed(0)
    root.mkdir(parents=True, exist_ok=True)
    transformers.LlamaForCausalLM(config).save_pretrained(root)
    tok.save_pretrained(root)
    return root


def tiny_llama_config(vocab_size: int, max_positions: int, **ids_and_options: Any) -> Any:
    """The 2-layer Llama (hidden 64, 4 heads) every tiny test model is; the caller gives
    its vocabulary, context length, special token ids and any other option."""
    import transformers

    return transformers.LlamaConfig(
        vocab_size=vocab_size,
        hidden_size=64,
        intermediate_size=128,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=4,
        max_position_embeddings=max_positions,
        **ids_and_options,
    )


@contextmanager
def one_torch_thread() -> Iterator[None]:
    """One intra-op thread for torch: on a small shared CPU, thread spinning makes a tiny
    model far slower than running it single-threaded."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)
