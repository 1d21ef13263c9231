"""`SentimentClassifier`: loads a model artifact once and labels batches of sentences.

This is the one inference path: the pipeline's ModelHandler, `finsent classify`, `finsent
evaluate` and the benchmarks all call `SentimentClassifier.predict`.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import numpy as np
import torch
from tokenizers import Tokenizer
from torch import nn

from finsent.constants import DEFAULT_BATCH_SIZE, SHIPPED_MODEL_DIR
from model.artifact import ModelArtifactError, read_artifact_meta
from model.base_encoder import base_encoder_dir
from model.data import LABELS
from model.network import SentimentNetwork, network_from_artifact
from model.prediction import Prediction
from model.tokenization import encode_batch, load_tokenizer


def quantize_for_cpu(network: nn.Module) -> nn.Module:
    """Dynamic int8 quantization of the Linear layers, weights scaled per output channel.

    Per-channel scales keep accuracy within about a point of float32 (per-tensor scales lost
    about three points of macro-F1 on test set (A)) and run faster than float32 on CPU.

    torch 2.13 marks `torch.ao.quantization` deprecated in favour of torchao; it still works and
    is pinned here, so its deprecation warnings are silenced rather than shown on every load.
    """
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=DeprecationWarning, module=r"torch\.ao\..*")
        warnings.filterwarnings("ignore", message=r".*quantize_per_tensor.*", category=UserWarning)
        warnings.filterwarnings("ignore", message=r"torch\.ao\.quantization is deprecated.*")
        qconfig = torch.ao.quantization.per_channel_dynamic_qconfig
        return torch.ao.quantization.quantize_dynamic(network, {nn.Linear: qconfig})


class SentimentClassifier:
    """Labels sentences as negative / neutral / positive with a trained `SentimentNetwork`."""

    def __init__(self, network: nn.Module, tokenizer: Tokenizer, model_version: str,
                 batch_size: int = DEFAULT_BATCH_SIZE) -> None:
        self.network = network.eval()
        self.tokenizer = tokenizer
        self.model_version = model_version
        self.batch_size = batch_size

    @classmethod
    def load(cls, path: str | os.PathLike[str] | None = None, threads: int | None = None,
             quantize: bool = True, batch_size: int = DEFAULT_BATCH_SIZE) -> SentimentClassifier:
        """Load an artifact folder (default: the shipped model) for CPU inference.

        `threads` sets torch's intra-op threads for this process (None leaves torch's default).
        Raises `ModelArtifactError` when the artifact is missing or corrupt.
        """
        folder = Path(path) if path is not None else SHIPPED_MODEL_DIR
        meta = read_artifact_meta(folder)
        if threads:
            torch.set_num_threads(threads)
        base = base_encoder_dir()
        try:
            network: nn.Module = network_from_artifact(folder / "model.safetensors",
                                                       meta.encoder_config(), base)
        except (RuntimeError, OSError) as error:
            raise ModelArtifactError(f"cannot load weights of {folder}: {error}") from error
        if quantize:
            network = quantize_for_cpu(network)
        return cls(network, load_tokenizer(base, meta.max_length), meta.model_version, batch_size)

    @classmethod
    def from_network(cls, network: SentimentNetwork, base_dir: Path, max_length: int,
                     model_version: str = "unsaved", batch_size: int = DEFAULT_BATCH_SIZE) -> SentimentClassifier:
        """Wrap an in-memory network (training's validation, tests) without saving it."""
        return cls(network, load_tokenizer(base_dir, max_length), model_version, batch_size)

    def predict_proba(self, texts: list[str]) -> np.ndarray:
        """Probabilities of shape `(len(texts), 3)` in `LABELS` order.

        Sentences are batched by length so padding stays short; the output keeps input order.
        """
        probabilities = np.zeros((len(texts), len(LABELS)), dtype=np.float32)
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        with torch.inference_mode():
            for start in range(0, len(order), self.batch_size):
                batch = order[start:start + self.batch_size]
                input_ids, attention_mask = encode_batch(self.tokenizer, [texts[i] for i in batch])
                logits = self.network(input_ids, attention_mask)
                probabilities[batch] = torch.softmax(logits.float(), dim=-1).numpy()
        return probabilities

    def predict(self, texts: list[str]) -> list[Prediction]:
        """One `Prediction` per input sentence, in input order."""
        return [
            Prediction(LABELS[int(row.argmax())], float(row[0]), float(row[1]), float(row[2]))
            for row in self.predict_proba(list(texts))
        ]
