"""The plain-PyTorch encoder computes what transformers' `BertModel` computes, on the same weights."""

from __future__ import annotations

import json

import pytest
import torch
import transformers  # the reference implementation (dev extra)
from safetensors.torch import load_file

from model.base_encoder import base_encoder_dir
from model.encoder import BertEncoder, EncoderConfig, EncoderConfigError


def _base_config() -> dict:
    return json.loads((base_encoder_dir() / "config.json").read_text())


def _padded_batch() -> tuple[torch.Tensor, torch.Tensor]:
    generator = torch.Generator().manual_seed(0)
    input_ids = torch.randint(1000, 30000, (3, 17), generator=generator)
    attention_mask = torch.ones_like(input_ids)
    attention_mask[1, 9:] = 0
    attention_mask[2, 4:] = 0
    return input_ids * attention_mask, attention_mask


def test_the_base_encoder_gives_the_same_token_states_as_transformers() -> None:
    weights = {k: v for k, v in load_file(str(base_encoder_dir() / "model.safetensors")).items()
               if k != "embeddings.position_ids" and not k.startswith("pooler.")}
    ours = BertEncoder(EncoderConfig.from_dict(_base_config())).eval()
    ours.load_state_dict(weights, strict=True)
    reference = transformers.BertModel(transformers.BertConfig(**_base_config()), add_pooling_layer=False).eval()
    reference.load_state_dict(weights, strict=False)
    input_ids, attention_mask = _padded_batch()
    with torch.inference_mode():
        expected = reference(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
        actual = ours(input_ids, attention_mask)
    real = attention_mask.bool()
    assert torch.allclose(actual[real], expected[real], atol=1e-4)


def test_padding_does_not_change_a_sentences_states() -> None:
    encoder = BertEncoder(EncoderConfig(hidden_size=64, num_hidden_layers=2, num_attention_heads=4,
                                        intermediate_size=128)).eval()
    input_ids, attention_mask = _padded_batch()
    with torch.inference_mode():
        batched = encoder(input_ids, attention_mask)[2, :4]
        alone = encoder(input_ids[2:, :4], attention_mask[2:, :4])[0]
    assert torch.allclose(batched, alone, atol=1e-5)


def test_layers_can_be_cut_and_the_defaults_are_bert_base() -> None:
    assert EncoderConfig.from_dict(_base_config()).with_layers(3).num_hidden_layers == 3
    base = EncoderConfig()
    assert (base.hidden_size, base.num_hidden_layers, base.intermediate_size) == (768, 12, 3072)


@pytest.mark.parametrize("change", [{"hidden_act": "relu"}, {"position_embedding_type": "relative_key"},
                                    {"is_decoder": True}])
def test_unsupported_variants_are_refused_by_name(change: dict) -> None:
    key = next(iter(change))
    with pytest.raises(EncoderConfigError, match=key):
        EncoderConfig.from_dict({**_base_config(), **change})
