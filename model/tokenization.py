"""Turns sentences into padded token-id tensors with the base encoder's WordPiece tokenizer."""

from __future__ import annotations

from pathlib import Path

import torch
from tokenizers import Tokenizer


def load_tokenizer(base_dir: Path, max_length: int) -> Tokenizer:
    """The base encoder's fast tokenizer, truncating to `max_length` and padding to the batch."""
    tokenizer = Tokenizer.from_file(str(base_dir / "tokenizer.json"))
    tokenizer.enable_truncation(max_length=max_length)
    tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")  # noqa: S106 (a token, not a password)
    return tokenizer


def encode_batch(tokenizer: Tokenizer, texts: list[str]) -> tuple[torch.Tensor, torch.Tensor]:
    """`(input_ids, attention_mask)` as int64 tensors of shape `(len(texts), longest)`."""
    encodings = tokenizer.encode_batch(texts)
    input_ids = torch.tensor([e.ids for e in encodings], dtype=torch.long)
    attention_mask = torch.tensor([e.attention_mask for e in encodings], dtype=torch.long)
    return input_ids, attention_mask
