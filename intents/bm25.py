"""Okapi BM25 over pre-tokenised documents: plain Python, no I/O."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence


class BM25:
    def __init__(self, documents: Sequence[Sequence[str]], k1: float = 1.2, b: float = 0.75) -> None:
        self.k1, self.b = k1, b
        self.lengths = [len(doc) for doc in documents]
        self.average_length = (sum(self.lengths) / len(documents)) if documents else 0.0
        self.frequencies = [Counter(doc) for doc in documents]
        document_frequency: Counter[str] = Counter()
        for counts in self.frequencies:
            document_frequency.update(counts.keys())
        n = len(documents)
        self.idf = {term: math.log(1 + (n - df + 0.5) / (df + 0.5)) for term, df in document_frequency.items()}
        # term -> [(doc index, frequency)], so a query touches only the documents sharing a term
        self.postings: dict[str, list[tuple[int, int]]] = {}
        for index, counts in enumerate(self.frequencies):
            for term, frequency in counts.items():
                self.postings.setdefault(term, []).append((index, frequency))

    def scores(self, query: Sequence[str]) -> dict[int, float]:
        """Score of every document sharing at least one term with the query."""
        result: dict[int, float] = {}
        for term in set(query):
            idf = self.idf.get(term)
            if idf is None:
                continue
            for index, frequency in self.postings[term]:
                norm = self.k1 * (1 - self.b + self.b * self.lengths[index] / (self.average_length or 1))
                result[index] = result.get(index, 0.0) + idf * frequency * (self.k1 + 1) / (frequency + norm)
        return result

    def max_score(self, query: Sequence[str]) -> float:
        """Upper bound of a score for this query (every term matched once in an average document)."""
        return sum(self.idf.get(term, 0.0) for term in set(query))
