"""Okapi BM25 over pre-tokenised documents: plain Python, no I/O.

Each posting carries its precomputed term weight ``idf * tf * (k1 + 1) / (tf + norm)``, so a
query costs one dictionary add per (term, matching document). ``normalised_scores`` divides by
the score the query would get from an ideal average-length document holding every query term
once; terms the index has never seen count in that bound with the highest idf, so a query
that is mostly unknown words scores low (the out-of-scope signal).
"""

from __future__ import annotations

import math
from array import array
from collections import Counter
from collections.abc import Iterable, Sequence


class BM25:
    def __init__(
        self, documents: Sequence[Sequence[str]], k1: float = 1.2, b: float = 0.75, common: float = 1.0, keep_documents: bool = False
    ) -> None:
        """``common``: terms found in more than this share of the documents are skipped by
        ``normalised_scores`` (in the score and in the bound alike): they cost the longest
        postings and tell documents apart least. ``keep_documents``: also keep each document's
        {term: weight}, so that a few chosen documents can be scored (``document_scores``)
        without walking the postings."""
        self.k1, self.b = k1, b
        self.n = len(documents)
        self.lengths = [len(doc) for doc in documents]
        self.average_length = (sum(self.lengths) / self.n) if self.n else 0.0
        frequencies = [Counter(doc) for doc in documents]
        document_frequency: Counter[str] = Counter()
        for counts in frequencies:
            document_frequency.update(counts.keys())
        self.idf = {term: self._idf(df) for term, df in document_frequency.items()}
        self.unknown_idf = self._idf(0)
        self.common = frozenset(term for term, df in document_frequency.items() if df > common * self.n)
        # term -> (doc indexes, weights) as compact arrays, so a query touches only the documents
        # sharing a term
        self.postings: dict[str, tuple[array, array]] = {}
        average = self.average_length or 1.0
        self.documents: list[dict[str, float]] = []
        for index, counts in enumerate(frequencies):
            norm = k1 * (1 - b + b * self.lengths[index] / average)
            weights = {}
            for term, frequency in counts.items():
                weight = weights[term] = self.idf[term] * frequency * (k1 + 1) / (frequency + norm)
                entry = self.postings.get(term)
                if entry is None:
                    entry = self.postings[term] = (array("i"), array("d"))
                entry[0].append(index)
                entry[1].append(weight)
            if keep_documents:
                self.documents.append(weights)

    def _idf(self, df: int) -> float:
        return math.log(1 + (self.n - df + 0.5) / (df + 0.5))

    def scores(self, query: Iterable[str]) -> dict[int, float]:
        """Score of every document sharing at least one term with the query."""
        result: dict[int, float] = {}
        get = result.get
        postings = self.postings
        for term in set(query):
            entry = postings.get(term)
            if entry is None:
                continue
            for index, weight in zip(*entry, strict=False):
                result[index] = get(index, 0.0) + weight
        return result

    def max_score(self, query: Iterable[str]) -> float:
        """Upper bound of a score for this query (every term matched once in an average document)."""
        return sum(self.idf.get(term, 0.0) for term in set(query))

    def bound(self, query: Iterable[str], unknown_weight: float = 1.0) -> float:
        """Score of an ideal average document holding each query term once; unknown terms included."""
        return sum(self.idf.get(term, self.unknown_idf * unknown_weight) for term in set(query))

    def query_terms(self, query: Iterable[str]) -> list[str]:
        return [term for term in set(query) if term not in self.common]

    def document_scores(self, terms: list[str], indexes: Iterable[int], bound: float) -> dict[int, float]:
        """Normalised scores of chosen documents (``keep_documents``) for ``query_terms(query)``."""
        result = {}
        documents = self.documents
        wanted = frozenset(terms)
        for index in indexes:
            weights = documents[index]
            score = sum(map(weights.__getitem__, weights.keys() & wanted))  # the set work is done in C
            result[index] = score / bound if score < bound else 1.0
        return result

    def normalised_scores(self, query: Sequence[str], unknown_weight: float = 1.0) -> dict[int, float]:
        if self.common:
            query = [term for term in query if term not in self.common]
        bound = self.bound(query, unknown_weight)
        if bound <= 0:
            return {}
        scale = 1.0 / bound
        return {index: score * scale if score < bound else 1.0 for index, score in self.scores(query).items()}
