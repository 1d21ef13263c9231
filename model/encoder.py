"""A BERT encoder in plain PyTorch, weight-compatible with transformers' `BertModel`.

Its modules carry `BertModel`'s names (`embeddings.word_embeddings`, `encoder.layer.N.attention.
self.query`, ...), so the base encoder's safetensors and every finsent artifact load by name. It
exists so that inference does not import transformers: that import costs every Beam worker about
0.15 GiB and seconds of start-up, for a model this module describes in a page.
`tests/test_encoder.py` checks that it computes what `BertModel` computes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn


class EncoderConfigError(ValueError):
    """An encoder configuration this module cannot run."""


@dataclass(frozen=True)
class EncoderConfig:
    """The architecture of a BERT encoder; the defaults are BERT-base's (FinBERT's shape)."""

    vocab_size: int = 30522
    hidden_size: int = 768
    num_hidden_layers: int = 12
    num_attention_heads: int = 12
    intermediate_size: int = 3072
    max_position_embeddings: int = 512
    type_vocab_size: int = 2
    layer_norm_eps: float = 1e-12
    hidden_dropout_prob: float = 0.1
    attention_probs_dropout_prob: float = 0.1
    initializer_range: float = 0.02

    @classmethod
    def from_dict(cls, values: Mapping[str, Any]) -> EncoderConfig:
        """From a transformers `config.json` (or an artifact's `encoder`); other keys are ignored.

        Raises `EncoderConfigError` for variants this encoder does not implement.
        """
        unsupported = {"hidden_act": "gelu", "position_embedding_type": "absolute", "is_decoder": False}
        for key, supported in unsupported.items():
            if values.get(key, supported) != supported:
                raise EncoderConfigError(f"encoder {key}={values[key]!r} is not supported (only {supported!r})")
        known = {f.name for f in fields(cls)}
        return cls(**{key: value for key, value in values.items() if key in known})

    def with_layers(self, num_layers: int) -> EncoderConfig:
        """The same architecture cut to its first `num_layers` layers."""
        return EncoderConfig(**{**asdict(self), "num_hidden_layers": num_layers})

    def to_dict(self) -> dict[str, Any]:
        """Plain values, as stored in an artifact's metadata."""
        return asdict(self)


class _Embeddings(nn.Module):
    def __init__(self, config: EncoderConfig) -> None:
        super().__init__()
        self.word_embeddings = nn.Embedding(config.vocab_size, config.hidden_size, padding_idx=0)
        self.position_embeddings = nn.Embedding(config.max_position_embeddings, config.hidden_size)
        self.token_type_embeddings = nn.Embedding(config.type_vocab_size, config.hidden_size)
        self.LayerNorm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        self.dropout = nn.Dropout(config.hidden_dropout_prob)

    def forward(self, input_ids: torch.Tensor) -> torch.Tensor:
        positions = torch.arange(input_ids.shape[1], device=input_ids.device)
        # Every sentence is segment 0: token type 0's vector is added to every position.
        summed = (self.word_embeddings(input_ids) + self.position_embeddings(positions)
                  + self.token_type_embeddings.weight[0])
        return self.dropout(self.LayerNorm(summed))


class _SelfAttention(nn.Module):
    def __init__(self, config: EncoderConfig) -> None:
        super().__init__()
        if config.hidden_size % config.num_attention_heads:
            raise EncoderConfigError(f"hidden_size {config.hidden_size} is not a multiple of "
                                     f"num_attention_heads {config.num_attention_heads}")
        self.heads = config.num_attention_heads
        self.query = nn.Linear(config.hidden_size, config.hidden_size)
        self.key = nn.Linear(config.hidden_size, config.hidden_size)
        self.value = nn.Linear(config.hidden_size, config.hidden_size)
        self.dropout_p = config.attention_probs_dropout_prob

    def _split_heads(self, states: torch.Tensor) -> torch.Tensor:
        batch, length, width = states.shape
        return states.view(batch, length, self.heads, width // self.heads).transpose(1, 2)

    def forward(self, states: torch.Tensor, mask_bias: torch.Tensor) -> torch.Tensor:
        query, key, value = (self._split_heads(layer(states)) for layer in (self.query, self.key, self.value))
        attended = F.scaled_dot_product_attention(query, key, value, attn_mask=mask_bias,
                                                  dropout_p=self.dropout_p if self.training else 0.0)
        return attended.transpose(1, 2).flatten(2)


class _AddNorm(nn.Module):
    """Projection, dropout, residual connection and LayerNorm (`BertSelfOutput` / `BertOutput`)."""

    def __init__(self, config: EncoderConfig, in_features: int) -> None:
        super().__init__()
        self.dense = nn.Linear(in_features, config.hidden_size)
        self.LayerNorm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        self.dropout = nn.Dropout(config.hidden_dropout_prob)

    def forward(self, states: torch.Tensor, residual: torch.Tensor) -> torch.Tensor:
        return self.LayerNorm(self.dropout(self.dense(states)) + residual)


class _Attention(nn.Module):
    def __init__(self, config: EncoderConfig) -> None:
        super().__init__()
        self.add_module("self", _SelfAttention(config))  # `self` is BertModel's module name
        self.output = _AddNorm(config, config.hidden_size)

    def forward(self, states: torch.Tensor, mask_bias: torch.Tensor) -> torch.Tensor:
        return self.output(self._modules["self"](states, mask_bias), states)


class _Intermediate(nn.Module):
    def __init__(self, config: EncoderConfig) -> None:
        super().__init__()
        self.dense = nn.Linear(config.hidden_size, config.intermediate_size)

    def forward(self, states: torch.Tensor) -> torch.Tensor:
        return F.gelu(self.dense(states))


class _Layer(nn.Module):
    def __init__(self, config: EncoderConfig) -> None:
        super().__init__()
        self.attention = _Attention(config)
        self.intermediate = _Intermediate(config)
        self.output = _AddNorm(config, config.intermediate_size)

    def forward(self, states: torch.Tensor, mask_bias: torch.Tensor) -> torch.Tensor:
        attended = self.attention(states, mask_bias)
        return self.output(self.intermediate(attended), attended)


class _Layers(nn.Module):
    def __init__(self, config: EncoderConfig) -> None:
        super().__init__()
        self.layer = nn.ModuleList(_Layer(config) for _ in range(config.num_hidden_layers))


class BertEncoder(nn.Module):
    """Token ids and attention mask → the last layer's token states, shape `(batch, length, hidden)`."""

    def __init__(self, config: EncoderConfig) -> None:
        super().__init__()
        self.config = config
        self.embeddings = _Embeddings(config)
        self.encoder = _Layers(config)
        self._initialize(config.initializer_range)

    def _initialize(self, std: float) -> None:
        """BERT's initialization, module by module in `BertModel`'s order.

        The order matters beyond the weights themselves: it fixes how much of torch's random
        stream construction consumes, so a seeded training run starts where transformers' did.
        """
        for module in self.modules():
            if isinstance(module, nn.Linear | nn.Embedding):
                nn.init.normal_(module.weight, mean=0.0, std=std)
            if isinstance(module, nn.Linear):
                nn.init.zeros_(module.bias)
            elif isinstance(module, nn.Embedding) and module.padding_idx is not None:
                with torch.no_grad():
                    module.weight[module.padding_idx].zero_()
            elif isinstance(module, nn.LayerNorm):
                nn.init.ones_(module.weight)
                nn.init.zeros_(module.bias)

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        """Padding positions (mask 0) are attended by nothing; their own states are meaningless."""
        states = self.embeddings(input_ids)
        mask_bias = (1.0 - attention_mask[:, None, None, :].to(states.dtype)) * torch.finfo(states.dtype).min
        for layer in self.encoder.layer:
            states = layer(states, mask_bias)
        return states
