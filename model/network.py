"""The sentiment network: a BERT encoder (`model/encoder.py`), mean pooling and a 3-way linear head.

The word-embedding table stays frozen at the base encoder's values during fine-tuning, so a
shipped artifact holds every other weight and takes the table from the verified base encoder:
that keeps the committed checkpoint small (about 21 MB in float16).
"""

from __future__ import annotations

import json
from pathlib import Path

import torch
from safetensors import safe_open
from safetensors.torch import load_file
from torch import nn

from model.data import LABELS
from model.encoder import BertEncoder, EncoderConfig

WORD_EMBEDDINGS = "encoder.embeddings.word_embeddings.weight"


class SentimentNetwork(nn.Module):
    """Encoder → attention-masked mean of token states → dropout → logits over `LABELS`."""

    def __init__(self, config: EncoderConfig, dropout: float = 0.1) -> None:
        super().__init__()
        self.config = config
        self.encoder = BertEncoder(config)
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(config.hidden_size, len(LABELS))

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        """Logits of shape `(batch, 3)`."""
        states = self.encoder(input_ids, attention_mask)
        mask = attention_mask.unsqueeze(-1).to(states.dtype)
        pooled = (states * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1.0)
        return self.head(self.dropout(pooled))

    def freeze_word_embeddings(self) -> None:
        """Keep the vocabulary table at the base encoder's values (it is not shipped)."""
        self.encoder.embeddings.word_embeddings.weight.requires_grad_(False)

    def shipped_state(self) -> dict[str, torch.Tensor]:
        """Every weight except the frozen word-embedding table, in float16."""
        return {
            name: tensor.detach().to(torch.float16).contiguous()
            for name, tensor in self.state_dict().items()
            if name != WORD_EMBEDDINGS
        }


def encoder_config(base_dir: Path, num_layers: int | None = None) -> EncoderConfig:
    """The base encoder's config, optionally cut to its first `num_layers` layers."""
    config = EncoderConfig.from_dict(json.loads((base_dir / "config.json").read_text()))
    return config.with_layers(num_layers) if num_layers is not None else config


def network_from_base(base_dir: Path, num_layers: int | None = None,
                      dropout: float = 0.1) -> SentimentNetwork:
    """A fresh network whose encoder starts from the base encoder's pre-trained weights."""
    network = SentimentNetwork(encoder_config(base_dir, num_layers), dropout)
    base = load_file(str(base_dir / "model.safetensors"))
    wanted = {f"encoder.{name}": t for name, t in base.items() if name != "embeddings.position_ids"}
    missing, _ = network.load_state_dict(wanted, strict=False)
    unexpected_missing = [name for name in missing if not name.startswith("head.")]
    if unexpected_missing:
        raise ValueError(f"base encoder lacks weights: {unexpected_missing[:5]}")
    return network


def base_word_embeddings(base_dir: Path) -> torch.Tensor:
    """The base encoder's word-embedding table, read alone from its safetensors file."""
    with safe_open(str(base_dir / "model.safetensors"), framework="pt") as weights:
        return weights.get_tensor("embeddings.word_embeddings.weight")


def network_from_artifact(weights_file: Path, config: EncoderConfig, base_dir: Path) -> SentimentNetwork:
    """Rebuild a trained network from a shipped state (float16) and the base word embeddings."""
    network = SentimentNetwork(config)
    state = {name: tensor.to(torch.float32) for name, tensor in load_file(str(weights_file)).items()}
    state[WORD_EMBEDDINGS] = base_word_embeddings(base_dir)
    network.load_state_dict(state, strict=True)
    return network.eval()
