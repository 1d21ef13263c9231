"""Fine-tunes the base encoder on Financial PhraseBank (and the headline set) and saves the best epoch.

Training uses only the protocols' train splits; the validation splits pick the best epoch by
macro-F1 (their mean when headlines are mixed in); no test set is touched here (see
`model/evaluate.py`).
"""

from __future__ import annotations

import copy
import math
import random
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, fields
from datetime import datetime, timezone
from functools import partial
from pathlib import Path

import numpy as np
import torch
import yaml
from torch import nn
from tqdm import tqdm

from model.artifact import read_artifact_meta, save_artifact
from model.augment import perturbed_copies
from model.base_encoder import base_encoder_dir
from model.data import LABELS, LabelledSentence, load_splits
from model.headlines import load_headline_splits
from model.metrics import macro_f1
from model.network import SentimentNetwork, network_from_artifact, network_from_base
from model.predict import SentimentClassifier
from model.teacher import is_teacher_folder, read_teacher_record, teacher_probabilities_of, train_teacher
from model.tokenization import encode_batch, load_tokenizer

DEFAULT_CONFIG = Path(__file__).resolve().parent / "configs" / "default.yaml"
NEUTRAL = LABELS.index("neutral")
PERTURBED = "perturbed"
"""Register of the perturbed copies of distilled sentences (`perturbed_copies`)."""


@dataclass
class TrainConfig:
    """Every training setting; `model/configs/default.yaml` gives the shipped model's values."""

    epochs: int = 5
    batch_size: int = 32
    learning_rate: float = 8e-5
    layer_decay: float = 0.85
    head_learning_rate: float = 2e-3
    weight_decay: float = 0.01
    warmup_fraction: float = 0.1
    dropout: float = 0.1
    max_length: int = 128
    seed: int = 42
    seeds: list[int] | None = None
    threads: int = 0
    num_layers: int | None = None
    train_limit: int | None = None
    headlines: bool = False
    agreement_targets: bool = True
    agreement_confidence: dict[int, float] = field(
        default_factory=lambda: {100: 1.0, 75: 0.9, 66: 0.8, 50: 0.7})
    init: str | None = None
    teacher: str | None = None
    distill_weight: float = 0.5
    distill_registers: list[str] = field(default_factory=lambda: ["phrasebank", "headlines"])
    model_version: str = ""
    encoder: str = "minilm"  # "mpnet": train the large teacher (model/teacher.py) instead of a student
    perturbed_copies: int = 0  # per distilled sentence, targets from the teacher alone (model/augment.py)

    @classmethod
    def from_file(cls, path: Path, overrides: dict[str, str] | None = None) -> TrainConfig:
        """Read a YAML config, then apply `key=value` overrides (values parsed as YAML)."""
        values = yaml.safe_load(path.read_text()) or {}
        known = {f.name for f in fields(cls)}
        for key, raw in (overrides or {}).items():
            values[key] = yaml.safe_load(raw)
        unknown = sorted(set(values) - known)
        if unknown:
            raise ValueError(f"{path}: unknown training settings {unknown}; known: {sorted(known)}")
        config = cls(**values)
        config.agreement_confidence = {int(k): float(v) for k, v in config.agreement_confidence.items()}
        return config


def seed_everything(seed: int) -> None:
    """Fix Python, numpy and torch seeds."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def soft_target(sentence: LabelledSentence, config: TrainConfig) -> list[float]:
    """Training target: one-hot, or spread by annotator agreement when `agreement_targets`.

    Disagreement on a polar sentence is almost always with "neutral", so its missing mass goes
    there; a neutral sentence's missing mass is split between the two polar labels.
    """
    target = [0.0] * len(LABELS)
    confidence = config.agreement_confidence.get(sentence.agreement, 1.0) if config.agreement_targets else 1.0
    target[sentence.label_id] = confidence
    if sentence.label_id == NEUTRAL:
        for other in (i for i in range(len(LABELS)) if i != NEUTRAL):
            target[other] = (1 - confidence) / 2
    else:
        target[NEUTRAL] = 1 - confidence
    return target


def teacher_probabilities(config: TrainConfig, data: TrainingData) -> np.ndarray:
    """The teacher's float32 probabilities, `(n, 3)`, for the training sentences it distils (others: 0)."""
    wanted = distilled_indices(config, data)
    probabilities = np.zeros((len(data.train), len(LABELS)), dtype=np.float32)
    probabilities[wanted] = predict_with_teacher(config, [data.train[i].text for i in wanted])
    return probabilities


def distilled_indices(config: TrainConfig, data: TrainingData) -> list[int]:
    """The training sentences whose registers are in `distill_registers`."""
    return [i for i, register in enumerate(data.registers) if register in config.distill_registers]


def predict_with_teacher(config: TrainConfig, texts: list[str]) -> np.ndarray:
    """The teacher's float32 probabilities for `texts`.

    The teacher is a student-shaped artifact folder or a large teacher's folder (`model/teacher.py`).
    """
    if is_teacher_folder(config.teacher):
        return teacher_probabilities_of(config.teacher, texts, config.max_length)
    classifier = SentimentClassifier.load(config.teacher, threads=config.threads or None, quantize=False)
    return classifier.predict_proba(texts)


def with_perturbed_copies(config: TrainConfig, data: TrainingData,
                          teacher: np.ndarray) -> tuple[TrainingData, np.ndarray]:
    """`data` and `teacher` extended by `perturbed_copies` copies of every distilled sentence.

    The copies' register is `PERTURBED`: their targets are the teacher's probabilities alone.
    """
    copies = perturbed_copies([data.train[i].text for i in distilled_indices(config, data)],
                              config.perturbed_copies, config.seed)
    probabilities = predict_with_teacher(config, copies)
    sentences = [LabelledSentence(text, LABELS[int(p.argmax())], 100)
                 for text, p in zip(copies, probabilities, strict=True)]
    extended = TrainingData(data.train + sentences, data.registers + [PERTURBED] * len(copies), data.validation)
    return extended, np.concatenate([teacher, probabilities])


def training_targets(data: TrainingData, config: TrainConfig, teacher: np.ndarray | None) -> torch.Tensor:
    """Per-sentence targets: the soft annotator target, blended with the teacher's when distilling.

    With a teacher, a sentence of a register in `distill_registers` gets
    `(1 - distill_weight) * soft_target + distill_weight * teacher`; the others keep their label.
    """
    targets = torch.tensor([soft_target(sentence, config) for sentence in data.train])
    if teacher is None:
        return targets
    teacher_targets = torch.from_numpy(teacher).float()
    blended = (1 - config.distill_weight) * targets + config.distill_weight * teacher_targets
    distilled = torch.tensor([register in config.distill_registers for register in data.registers])
    perturbed = torch.tensor([register == PERTURBED for register in data.registers])
    return torch.where(perturbed[:, None], teacher_targets, torch.where(distilled[:, None], blended, targets))


def length_bucketed_batches(sentences: list[LabelledSentence], batch_size: int,
                            rng: random.Random) -> list[list[int]]:
    """Shuffled batches of similar-length sentences (less padding, faster on CPU)."""
    indices = list(range(len(sentences)))
    rng.shuffle(indices)
    chunk = batch_size * 50
    batches = []
    for start in range(0, len(indices), chunk):
        block = sorted(indices[start:start + chunk], key=lambda i: len(sentences[i].text))
        batches += [block[i:i + batch_size] for i in range(0, len(block), batch_size)]
    rng.shuffle(batches)
    return batches


def parameter_groups(network: SentimentNetwork, config: TrainConfig) -> list[dict]:
    """AdamW groups with layer-wise learning-rate decay from the head down to the embeddings."""
    layers = network.encoder.encoder.layer
    depth = len(layers)
    groups = [{"params": list(network.head.parameters()), "lr": config.head_learning_rate,
               "weight_decay": 0.0}]
    for i, layer in enumerate(layers):
        groups.append({"params": list(layer.parameters()),
                       "lr": config.learning_rate * config.layer_decay ** (depth - 1 - i)})
    embeddings = [p for p in network.encoder.embeddings.parameters() if p.requires_grad]
    groups.append({"params": embeddings, "lr": config.learning_rate * config.layer_decay ** depth})
    for group in groups:
        group.setdefault("weight_decay", config.weight_decay)
    return groups


def warmup_linear_schedule(optimizer: torch.optim.Optimizer, total_steps: int,
                           warmup_fraction: float) -> torch.optim.lr_scheduler.LambdaLR:
    """Linear warm-up to each group's rate, then linear decay to zero."""
    warmup = max(1, math.ceil(total_steps * warmup_fraction))

    def factor(step: int) -> float:
        if step < warmup:
            return (step + 1) / warmup
        return max(0.0, (total_steps - step) / max(1, total_steps - warmup))

    return torch.optim.lr_scheduler.LambdaLR(optimizer, factor)


@dataclass(frozen=True)
class TrainingData:
    """The sentences trained on, the register of each, and each register's validation split."""

    train: list[LabelledSentence]
    registers: list[str]
    validation: dict[str, list[LabelledSentence]]


def training_data(config: TrainConfig, data_dir: str | None = None,
                  headlines_dir: str | None = None) -> TrainingData:
    """PhraseBank's train split, plus the headline set's when `config.headlines`.

    `train_limit` cuts each register's training sentences to that many.
    """
    phrasebank = load_splits(data_dir)
    train = phrasebank.train[: config.train_limit]
    registers = ["phrasebank"] * len(train)
    validation = {"phrasebank": phrasebank.validation}
    if config.headlines:
        headlines = load_headline_splits(headlines_dir)
        headline_train = headlines.train[: config.train_limit]
        train, registers = train + headline_train, registers + ["headlines"] * len(headline_train)
        validation["headlines"] = headlines.validation
    return TrainingData(train, registers, validation)


def validation_macro_f1(network: SentimentNetwork, base_dir: Path, config: TrainConfig,
                        validation: dict[str, list[LabelledSentence]]) -> dict[str, float]:
    """Macro-F1 of the current network on each validation split, and their `mean`."""
    classifier = SentimentClassifier.from_network(network, base_dir, config.max_length, batch_size=64)
    scores = macro_f1_by_set(classifier.predict_proba, validation)
    network.train()
    return scores


def macro_f1_by_set(predict_proba: Callable[[list[str]], np.ndarray],
                    validation: dict[str, list[LabelledSentence]]) -> dict[str, float]:
    """Macro-F1 of `predict_proba`'s labels on each validation split, and their `mean`."""
    scores = {}
    for name, sentences in validation.items():
        predicted = predict_proba([s.text for s in sentences]).argmax(axis=1)
        scores[name] = macro_f1(np.array([s.label_id for s in sentences]), predicted)
    scores["mean"] = float(np.mean(list(scores.values())))
    return scores


def epoch_line(what: str, loss: float, scores: dict[str, float]) -> str:
    """The progress line printed after each training epoch."""
    return (f"{what}: train loss {loss:.4f}, validation macro-F1 "
            + ", ".join(f"{name} {value:.4f}" for name, value in scores.items()))


Encoder = Callable[[list[str]], tuple[torch.Tensor, torch.Tensor]]
"""Texts → `(input_ids, attention_mask)` with the network's own tokenizer."""


def train_epoch(network: nn.Module, batches: list[list[int]], train: list[LabelledSentence],
                targets: torch.Tensor, encode: Encoder, optimizer, scheduler, description: str) -> float:
    """One pass over the batches; returns the mean loss."""
    network.train()
    loss_function = nn.CrossEntropyLoss()
    losses = []
    progress = tqdm(batches, desc=description, unit="batch", leave=False, mininterval=5)
    for batch in progress:
        loss = loss_function(network(*encode([train[i].text for i in batch])), targets[batch])
        optimizer.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(network.parameters(), 1.0)
        optimizer.step()
        scheduler.step()
        losses.append(loss.item())
        progress.set_postfix(loss=f"{np.mean(losses[-20:]):.3f}")
    return float(np.mean(losses))


@dataclass
class SeedRun:
    """One seed's fine-tuning: its best-validation weights and per-epoch history."""

    seed: int
    state: dict[str, torch.Tensor]
    history: list[dict]
    best_f1: float


def starting_network(config: TrainConfig, base_dir: Path) -> SentimentNetwork:
    """The base encoder cut to `num_layers`, or the trained weights of the artifact `init` (same shape)."""
    network = network_from_base(base_dir, config.num_layers, config.dropout)
    if config.init:
        trained = network_from_artifact(Path(config.init) / "model.safetensors",
                                        read_artifact_meta(Path(config.init)).encoder_config(), base_dir)
        network.load_state_dict(trained.state_dict())
    return network


def train_seed(config: TrainConfig, seed: int, data: TrainingData, base_dir: Path,
               teacher: np.ndarray | None = None) -> SeedRun:
    """Fine-tune from the base encoder with one seed; keep the best validation epoch."""
    seed_everything(seed)
    train_set = data.train
    targets = training_targets(data, config, teacher)
    network = starting_network(config, base_dir)
    network.freeze_word_embeddings()
    tokenizer = load_tokenizer(base_dir, config.max_length)
    rng = random.Random(seed)
    steps = config.epochs * math.ceil(len(train_set) / config.batch_size)
    optimizer = torch.optim.AdamW(parameter_groups(network, config))
    scheduler = warmup_linear_schedule(optimizer, steps, config.warmup_fraction)
    history, best_f1, best_state = [], -1.0, {}
    for epoch in range(1, config.epochs + 1):
        batches = length_bucketed_batches(train_set, config.batch_size, rng)
        loss = train_epoch(network, batches, train_set, targets, partial(encode_batch, tokenizer), optimizer,
                           scheduler, f"seed {seed} epoch {epoch}/{config.epochs}")
        scores = validation_macro_f1(network, base_dir, config, data.validation)
        f1 = scores["mean"]
        history.append({"seed": seed, "epoch": epoch, "train_loss": loss, "validation_macro_f1": f1,
                        "validation_macro_f1_by_set": scores})
        print(epoch_line(f"seed {seed} epoch {epoch}", loss, scores), flush=True)
        if f1 > best_f1:
            best_f1, best_state = f1, copy.deepcopy(network.state_dict())
    return SeedRun(seed, best_state, history, best_f1)


def average_states(states: list[dict[str, torch.Tensor]]) -> dict[str, torch.Tensor]:
    """Uniform weight average ("model soup") of networks fine-tuned from the same base."""
    return {name: sum(state[name].float() for state in states) / len(states) for name in states[0]}


def choose_weights(runs: list[SeedRun], network: SentimentNetwork, base_dir: Path, config: TrainConfig,
                   data: TrainingData) -> tuple[str, dict[str, torch.Tensor], dict[str, float]]:
    """The candidate (each seed, and their average) with the best validation macro-F1."""
    candidates = {f"seed {run.seed}": run.state for run in runs}
    scores = {f"seed {run.seed}": run.best_f1 for run in runs}
    if len(runs) > 1:
        candidates["average"] = average_states([run.state for run in runs])
        network.load_state_dict(candidates["average"])
        scores["average"] = validation_macro_f1(network, base_dir, config, data.validation)["mean"]
        print(f"average of {len(runs)} seeds: validation macro-F1 {scores['average']:.4f}", flush=True)
    chosen = max(scores, key=lambda name: scores[name])
    return chosen, candidates[chosen], scores


def teacher_name(folder: str) -> str:
    """The teacher's model version (a large teacher's also names its encoder)."""
    if is_teacher_folder(folder):
        record = read_teacher_record(folder)
        return f"{record['model_version']} ({record['encoder']}, fine-tuned)"
    return read_artifact_meta(Path(folder)).model_version


def train(config: TrainConfig, output: Path, data_dir: str | None = None,
          headlines_dir: str | None = None) -> dict:
    """Train each seed, keep the best validation candidate, save it to `output`; returns the record."""
    if config.threads:
        torch.set_num_threads(config.threads)
    data = training_data(config, data_dir, headlines_dir)
    if config.encoder == "mpnet":
        return train_teacher(config, data, output)
    if config.encoder != "minilm":
        raise ValueError(f"encoder must be minilm (a student) or mpnet (the large teacher), got {config.encoder!r}")
    base_dir = base_encoder_dir()
    teacher = teacher_probabilities(config, data) if config.teacher else None
    if config.perturbed_copies:
        if teacher is None:
            raise ValueError("perturbed_copies needs a teacher: their targets are its probabilities")
        data, teacher = with_perturbed_copies(config, data, teacher)
    runs = [train_seed(config, seed, data, base_dir, teacher) for seed in config.seeds or [config.seed]]
    network = network_from_base(base_dir, config.num_layers, config.dropout)
    chosen, state, scores = choose_weights(runs, network, base_dir, config, data)
    network.load_state_dict(state)
    teacher_version = teacher_name(config.teacher) if config.teacher else None
    record = {"config": asdict(config), "history": [h for run in runs for h in run.history],
              "teacher_model_version": teacher_version,
              "validation_macro_f1_by_candidate": scores, "chosen": chosen,
              "best_validation_macro_f1": scores[chosen], "train_sentences": len(data.train),
              "trained_at": datetime.now(timezone.utc).isoformat()}
    layers = network.config.num_hidden_layers
    version = config.model_version or f"finsent-minilm-L{layers}-{datetime.now(timezone.utc):%Y%m%d}"
    save_artifact(network.eval(), output, version, config.max_length, record)
    return record
