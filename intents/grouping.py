"""Grouping similar enquiries for the triage queue: a deterministic leader clustering over
character n-gram TF-IDF vectors of the matcher's canonical text.

Texts are first reduced to the matcher's canonical form (intents/normalize.py: width,
traditional characters, synonyms), then to its index terms (1- and 2-grams without function
words, plus the domain terms). Each text is weighted by TF-IDF computed over the batch and
scaled to unit length, so that two texts' similarity is the cosine of their vectors.

Leader clustering, most frequent texts first: a text joins the cluster whose centroid it is
most similar to, if that similarity reaches ``threshold``, otherwise it leads a new cluster.
A second pass reassigns every text to its best final centroid (the order of arrival then
matters less). The same input always gives the same clusters; numpy only, no model.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from intents.normalize import char_ngrams, function_chars, normalize, stop_terms

THRESHOLD = 0.20  # cosine to a cluster's centroid (measured on tests/data/triage_sample.yaml)


def terms(text: str) -> list[str]:
    """Index terms of a text: character 1- and 2-grams of the normalised text (half-width,
    simplified, no punctuation) without function words and the grams that hold a glue
    character (怎么, 业怎…). Not the matcher's canonical form: its synonyms make 亚马逊 and
    Temu one 跨境电商平台, which for an operator are two different needs."""
    text = normalize(text)
    grams = char_ngrams(text, (1, 2))
    stop, glue = stop_terms(), function_chars()
    kept = [t for t in grams if t not in stop and not any(c in glue for c in t)]
    return kept or grams or [text]


def vectors(texts: Sequence[str]) -> np.ndarray:
    """Unit-length TF-IDF rows, one per text (IDF over ``texts``)."""
    bags = [Counter(terms(text)) for text in texts]
    vocabulary: dict[str, int] = {}
    for bag in bags:
        for term in bag:
            vocabulary.setdefault(term, len(vocabulary))
    frequency = Counter(term for bag in bags for term in bag)
    n = len(texts)
    matrix = np.zeros((n, max(len(vocabulary), 1)), dtype=np.float32)
    for row, bag in enumerate(bags):
        for term, count in bag.items():
            matrix[row, vocabulary[term]] = (1 + math.log(count)) * (math.log((1 + n) / (1 + frequency[term])) + 1)
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return matrix / np.where(norms == 0, 1, norms)


@dataclass(frozen=True)
class Grouping:
    labels: tuple[int, ...]  # cluster number of each text, clusters numbered by size (0 = largest)
    sizes: tuple[int, ...]  # weighted size of each cluster


def group(texts: Sequence[str], weights: Sequence[int] | None = None, threshold: float = THRESHOLD) -> Grouping:
    """Cluster ``texts`` (each counted ``weights[i]`` times, default once)."""
    n = len(texts)
    if n == 0:
        return Grouping((), ())
    weights = list(weights or [1] * n)
    x = vectors(texts)
    order = sorted(range(n), key=lambda i: (-weights[i], i))
    sums = np.zeros_like(x)  # row k: weighted sum of cluster k's vectors
    centroids = np.zeros_like(x)  # the same, unit length
    k = 0
    for i in order:  # leader pass
        if k:
            similarity = centroids[:k] @ x[i]
            best = int(np.argmax(similarity))
            if similarity[best] >= threshold:
                sums[best] += weights[i] * x[i]
                centroids[best] = sums[best] / max(float(np.linalg.norm(sums[best])), 1e-9)
                continue
        sums[k] = weights[i] * x[i]
        centroids[k] = x[i]
        k += 1
    centroids = centroids[:k]
    similarity = x @ centroids.T  # reassignment pass: each text to its nearest final centroid
    raw = [int(np.argmax(similarity[i])) for i in range(n)]
    size = Counter()
    for i, label in enumerate(raw):
        size[label] += weights[i]
    ranked = sorted(size, key=lambda label: (-size[label], min(i for i in range(n) if raw[i] == label)))
    renumber = {label: k for k, label in enumerate(ranked)}
    return Grouping(tuple(renumber[label] for label in raw), tuple(size[label] for label in ranked))


def purity(labels: Sequence[int], truth: Sequence[str]) -> float:
    """Share of texts whose cluster's majority label is their own label."""
    members: dict[int, Counter] = {}
    for label, true in zip(labels, truth, strict=True):
        members.setdefault(label, Counter())[true] += 1
    return sum(counter.most_common(1)[0][1] for counter in members.values()) / max(len(truth), 1)


def clusters_to_cover(sizes: Sequence[int], share: float = 0.8) -> int:
    """How many clusters, largest first, a person reads to see ``share`` of the enquiries."""
    total, seen = sum(sizes), 0
    for count, size in enumerate(sorted(sizes, reverse=True), start=1):
        seen += size
        if seen >= share * total:
            return count
    return len(sizes)
