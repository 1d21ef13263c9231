"""Perturbed copies of training sentences for distillation: the teacher labels them, the student learns its answers.

A student learns a teacher's function only where it sees the teacher's answers; a few thousand
training sentences leave most of it unseen. Each copy drops, repeats or swaps a few words, or
keeps a span of the sentence (as TinyBERT's and DistilBERT's task distillation do). The copies
carry no label of their own: their targets are the teacher's probabilities alone.
"""

from __future__ import annotations

import random


def perturbed(text: str, rng: random.Random) -> str:
    """One perturbed copy of `text` (a sentence of one word or less comes back unchanged)."""
    words = text.split()
    if len(words) < 2:
        return text
    operation = rng.randrange(4)
    if operation == 0:  # drop about one word in seven, at least one
        dropped = set(rng.sample(range(len(words)), max(1, len(words) // 7)))
        words = [word for i, word in enumerate(words) if i not in dropped]
    elif operation == 1:  # swap two neighbours
        i = rng.randrange(len(words) - 1)
        words[i], words[i + 1] = words[i + 1], words[i]
    elif operation == 2:  # keep a span of at least half the sentence
        length = rng.randint(max(1, len(words) // 2), len(words) - 1)
        start = rng.randrange(len(words) - length + 1)
        words = words[start:start + length]
    else:  # repeat one word
        i = rng.randrange(len(words))
        words.insert(i, words[i])
    return " ".join(words)


def perturbed_copies(texts: list[str], copies: int, seed: int) -> list[str]:
    """`copies` perturbed copies of every text, seeded; copies equal to their source are left out."""
    rng = random.Random(seed)
    made = []
    for text in texts:
        for _ in range(copies):
            copy = perturbed(text, rng)
            if copy != text:
                made.append(copy)
    return made
