"""The large teacher: all-mpnet-base-v2 (12 layers, 768 wide) fine-tuned on the same data as the student.

It exists only to give the student better targets (`finsent train --set teacher=FOLDER`): it is
trained with `finsent train --config model/configs/mpnet-teacher.yaml`, needs `transformers` and
the `teacher` extra, and is far too slow to ship (about 8× the 6-layer student's cost per token).
Its folder holds `teacher.safetensors` (float16) and `teacher.json` (settings and history).
"""

from __future__ import annotations

import copy
import hashlib
import json
import math
import random
from dataclasses import asdict
from datetime import datetime, timezone
from functools import partial
from pathlib import Path

import numpy as np
import torch
from safetensors.torch import load_file, save_file
from torch import nn

from model.data import LABELS
from model.teacher_encoder import TEACHER_ENCODER_NAME, teacher_encoder_dir

TEACHER_WEIGHTS = "teacher.safetensors"
TEACHER_META = "teacher.json"


class TeacherNetwork(nn.Module):
    """MPNet encoder → attention-masked mean of token states → dropout → logits over `LABELS`."""

    def __init__(self, encoder_dir: Path, dropout: float = 0.1) -> None:
        super().__init__()
        from transformers import AutoModel

        self.encoder = AutoModel.from_pretrained(str(encoder_dir))
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(self.encoder.config.hidden_size, len(LABELS))

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        """Logits of shape `(batch, 3)`."""
        states = self.encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
        mask = attention_mask.unsqueeze(-1).to(states.dtype)
        pooled = (states * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1.0)
        return self.head(self.dropout(pooled))


def teacher_tokenizer(encoder_dir: Path, max_length: int):
    """The teacher encoder's own tokenizer (MPNet's vocabulary, not the student's)."""
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(encoder_dir))
    tokenizer.model_max_length = max_length
    return tokenizer


def encode(tokenizer, texts: list[str]) -> tuple[torch.Tensor, torch.Tensor]:
    """`(input_ids, attention_mask)` padded to the batch's longest sentence."""
    batch = tokenizer(texts, padding=True, truncation=True, return_tensors="pt")
    return batch["input_ids"], batch["attention_mask"]


@torch.inference_mode()
def predict_proba(network: TeacherNetwork, tokenizer, texts: list[str], batch_size: int = 64) -> np.ndarray:
    """Softmax probabilities `(len(texts), 3)`, in input order (batches sorted by length)."""
    network.eval()
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    probabilities = np.zeros((len(texts), len(LABELS)), dtype=np.float32)
    for start in range(0, len(order), batch_size):
        chosen = order[start:start + batch_size]
        logits = network(*encode(tokenizer, [texts[i] for i in chosen]))
        probabilities[chosen] = torch.softmax(logits.float(), dim=-1).numpy()
    return probabilities


def train_teacher(config, data, output: Path) -> dict:
    """Fine-tune the teacher on `data` (a `TrainingData`) with `config`'s schedule; save the best epoch.

    Every parameter is trained at `learning_rate` (the head at `head_learning_rate`); the epoch
    with the best mean validation macro-F1 is kept.
    """
    from model.train import (
        epoch_line,
        length_bucketed_batches,
        macro_f1_by_set,
        seed_everything,
        train_epoch,
        training_targets,
        warmup_linear_schedule,
    )

    seed_everything(config.seed)
    encoder_dir = teacher_encoder_dir()
    network = TeacherNetwork(encoder_dir, config.dropout)
    tokenizer = teacher_tokenizer(encoder_dir, config.max_length)
    targets = training_targets(data, config, None)
    rng = random.Random(config.seed)
    steps = config.epochs * math.ceil(len(data.train) / config.batch_size)
    optimizer = torch.optim.AdamW([
        {"params": list(network.encoder.parameters()), "lr": config.learning_rate},
        {"params": list(network.head.parameters()), "lr": config.head_learning_rate, "weight_decay": 0.0},
    ], weight_decay=config.weight_decay)
    scheduler = warmup_linear_schedule(optimizer, steps, config.warmup_fraction)
    history, best_f1, best_state = [], -1.0, {}
    for epoch in range(1, config.epochs + 1):
        batches = length_bucketed_batches(data.train, config.batch_size, rng)
        loss = train_epoch(network, batches, data.train, targets, partial(encode, tokenizer), optimizer, scheduler,
                           f"teacher epoch {epoch}/{config.epochs}")
        scores = macro_f1_by_set(partial(predict_proba, network, tokenizer), data.validation)
        history.append({"epoch": epoch, "train_loss": loss, "validation_macro_f1_by_set": scores})
        print(epoch_line(f"teacher epoch {epoch}", loss, scores), flush=True)
        if scores["mean"] > best_f1:
            best_f1, best_state = scores["mean"], copy.deepcopy(network.state_dict())
    network.load_state_dict(best_state)
    version = config.model_version or f"finsent-mpnet-teacher-{datetime.now(timezone.utc):%Y%m%d}"
    record = {"model_version": version, "encoder": TEACHER_ENCODER_NAME, "config": asdict(config), "history": history,
              "best_validation_macro_f1": best_f1, "train_sentences": len(data.train),
              "trained_at": datetime.now(timezone.utc).isoformat()}
    save_teacher(network, output, record)
    return record


def save_teacher(network: TeacherNetwork, output: Path, record: dict) -> None:
    """Write `teacher.safetensors` (float16) and `teacher.json` into `output` (dropping cached probabilities)."""
    output.mkdir(parents=True, exist_ok=True)
    for stale in output.glob("probabilities-*.npy"):  # an earlier teacher's, in this folder
        stale.unlink()
    state = {name: tensor.detach().to(torch.float16).contiguous() for name, tensor in network.state_dict().items()}
    save_file(state, str(output / TEACHER_WEIGHTS))
    (output / TEACHER_META).write_text(json.dumps(record, indent=2) + "\n")


def read_teacher_record(folder: str | Path) -> dict:
    """The settings, history and model version a teacher was saved with."""
    return json.loads((Path(folder) / TEACHER_META).read_text())


def is_teacher_folder(folder: str | Path) -> bool:
    """True when `folder` holds a large teacher (not a student artifact)."""
    return (Path(folder) / TEACHER_META).is_file()


def teacher_probabilities_of(folder: str | Path, texts: list[str], max_length: int = 128) -> np.ndarray:
    """The saved teacher's probabilities for `texts`, `(len(texts), 3)`.

    They are kept beside the weights, named by a digest of the texts, so every student trained on
    the same sentences reuses them (the teacher takes minutes per thousand sentences on CPU).
    """
    digest = hashlib.sha256(json.dumps([max_length, texts]).encode()).hexdigest()[:16]
    cached = Path(folder) / f"probabilities-{digest}.npy"
    if cached.is_file():
        return np.load(cached)
    probabilities = _predict_with_saved_teacher(Path(folder), texts, max_length)
    np.save(cached, probabilities)
    return probabilities


def _predict_with_saved_teacher(folder: Path, texts: list[str], max_length: int) -> np.ndarray:
    encoder_dir = teacher_encoder_dir()
    network = TeacherNetwork(encoder_dir)
    state = {name: tensor.float() for name, tensor in load_file(str(folder / TEACHER_WEIGHTS)).items()}
    network.load_state_dict(state)
    return predict_proba(network, teacher_tokenizer(encoder_dir, max_length), texts)
