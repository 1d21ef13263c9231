"""GroupStories: syndicated copies of one story (near-duplicate article texts) share a `story_id`.

Each article's text becomes a set of word 5-shingles (lower-cased word tokens) and a 120-value
MinHash signature; the share of equal signature values estimates the Jaccard similarity of two
articles' shingle sets (standard error ≈ 0.046 at 0.5). Candidate pairs come from locality-
sensitive hashing, 40 bands of 3 values: a pair at the threshold is a candidate with probability
1 − (1 − 0.5³)⁴⁰ ≈ 0.995, a pair of unrelated articles (similarity 0.05) with 0.005. A candidate
pair is a copy when its estimated similarity is at least `SIMILARITY_THRESHOLD`. Copies are
merged transitively and every group's `story_id` is its smallest article_id, so it is
deterministic whatever the order of the run.

Only articles that have a copy get an entry; every other article is its own story.

Threshold 0.5: a wire story republished with another site's boilerplate (credits, "Republished
from ...", a different standfirst) keeps most of its 5-shingles (the demo's Aurelia Mining pair
measures 0.94; tests/test_stories.py), while two different stories about the same company
share only names and stock phrases (no other pair of the demo's 40 articles reaches 0.06). Grouping is
within one run; copies published on different days of earlier runs are not linked.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import replace
from hashlib import blake2b

import apache_beam as beam
import numpy as np
from apache_beam.pvalue import AsDict

from pipelines.records import Article

SHINGLE_WORDS = 5
NUM_HASHES = 120
BANDS = 40
ROWS = NUM_HASHES // BANDS
SIMILARITY_THRESHOLD = 0.5
MIN_SHINGLES = 8  # shorter texts never group: too little to tell a copy from a shared phrase

_PRIME = (1 << 31) - 1
_RANDOM = np.random.RandomState(20261123)  # fixed seed: signatures must match across workers and runs
_A = _RANDOM.randint(1, _PRIME, size=NUM_HASHES, dtype=np.int64)
_B = _RANDOM.randint(0, _PRIME, size=NUM_HASHES, dtype=np.int64)
_WORD = re.compile(r"\w+")

Signature = bytes
"""A MinHash signature: `NUM_HASHES` little-endian uint32 values (480 bytes, small to gather per article)."""
_VALUE = np.dtype("<u4")


def shingles(text: str, size: int = SHINGLE_WORDS) -> set[int]:
    """32-bit hashes of the text's `size`-word shingles (lower-cased word tokens)."""
    words = _WORD.findall(text.lower())
    grams = (" ".join(words[i:i + size]) for i in range(max(1, len(words) - size + 1)))
    return {int.from_bytes(blake2b(gram.encode(), digest_size=4).digest(), "big") for gram in grams}


def pack_signature(values: Iterable[int]) -> Signature:
    """`NUM_HASHES` values (each below 2**32) as a Signature."""
    packed = np.fromiter(values, dtype=np.int64)
    if packed.shape != (NUM_HASHES,):
        raise ValueError(f"a signature has {NUM_HASHES} values, got {packed.shape[0]}")
    return packed.astype(_VALUE).tobytes()


def signature(shingle_hashes: set[int]) -> Signature:
    """The MinHash signature: for each of `NUM_HASHES` hash functions, the least hash of a shingle."""
    values = np.fromiter(shingle_hashes, dtype=np.int64, count=len(shingle_hashes)) % _PRIME
    hashed = (_A[:, None] * values[None, :] + _B[:, None]) % _PRIME
    return pack_signature(hashed.min(axis=1))


def similarity(first: Signature, second: Signature) -> float:
    """Estimated Jaccard similarity of the two shingle sets: the share of equal signature values."""
    equal = np.frombuffer(first, dtype=_VALUE) == np.frombuffer(second, dtype=_VALUE)
    return int(np.count_nonzero(equal)) / NUM_HASHES


def jaccard(first: set[int], second: set[int]) -> float:
    """Exact Jaccard similarity of two shingle sets."""
    return len(first & second) / len(first | second) if first or second else 0.0


def story_ids(article_ids: Iterable[str], copies: Iterable[tuple[str, str]]) -> dict[str, str]:
    """article_id → story_id: the smallest article_id among those linked, transitively, by `copies`."""
    parent = {article_id: article_id for article_id in article_ids}

    def root(node: str) -> str:
        while parent[node] != node:
            parent[node] = parent[parent[node]]
            node = parent[node]
        return node

    for a, b in copies:
        ra, rb = root(a), root(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    return {article_id: root(article_id) for article_id in parent}


def _signed(article: Article) -> Iterator[tuple[str, Signature]]:
    hashes = shingles(article.text)
    if len(hashes) >= MIN_SHINGLES:
        yield article.article_id, signature(hashes)


def copies(signed: Iterable[tuple[str, Signature]], threshold: float) -> Iterator[tuple[str, str]]:
    """Pairs of articles whose signatures share a band and whose estimated similarity reaches `threshold`.

    The buckets are built one band at a time, so memory holds one entry per article, not one per
    article and band.
    """
    signatures = dict(signed)
    width = ROWS * _VALUE.itemsize
    verified: set[tuple[str, str]] = set()
    for band in range(BANDS):
        buckets: dict[bytes, list[str]] = {}
        for article_id, sig in signatures.items():
            buckets.setdefault(sig[band * width:(band + 1) * width], []).append(article_id)
        for members in buckets.values():
            if len(members) > 1:
                _verify(sorted(members), signatures, threshold, verified)
    yield from sorted(verified)


def _verify(members: list[str], signatures: dict[str, Signature], threshold: float,
            verified: set[tuple[str, str]]) -> None:
    for i, first in enumerate(members):
        for second in members[i + 1:]:
            if (first, second) not in verified and similarity(signatures[first], signatures[second]) >= threshold:
                verified.add((first, second))


def _shared_stories(signed: list[tuple[str, Signature]], threshold: float) -> Iterator[tuple[str, str]]:
    pairs = list(copies(signed, threshold))
    linked = sorted({article_id for pair in pairs for article_id in pair})
    yield from sorted(story_ids(linked, pairs).items())


def _with_story(article: Article, stories: Mapping[str, str]) -> Article:
    story_id = stories.get(article.article_id)
    return replace(article, story_id=story_id) if story_id else article


class GroupStories(beam.PTransform):
    """Article → the same article, with `story_id` set when it has copies (the others are their own story).

    Only the signatures (one small element per article) leave the workers; the LSH buckets are
    built in memory in one worker, where all of a run's signatures fit (30,000 articles: ~20 MB).
    The story IDs of the copies reach every article as a side input, so the per-article chain
    after this stage carries its story from the start and groups nothing.
    """

    def __init__(self, threshold: float = SIMILARITY_THRESHOLD) -> None:
        super().__init__()
        if not 0 < threshold <= 1:
            raise ValueError(f"story similarity threshold must be in (0, 1], got {threshold}")
        self._threshold = threshold

    def expand(self, articles: beam.PCollection) -> beam.PCollection:
        """Sign each article, gather the signatures, find and merge copies in one step, then mark them."""
        stories = (articles
                   | "Sign" >> beam.FlatMap(_signed)
                   | "AllSignatures" >> beam.combiners.ToList()
                   | "Assign" >> beam.FlatMap(_shared_stories, self._threshold))
        return articles | "WithStory" >> beam.Map(_with_story, stories=AsDict(stories))
