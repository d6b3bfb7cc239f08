"""Okapi BM25 over pre-tokenised documents: no I/O.

Each posting carries its precomputed term weight ``idf * tf * (k1 + 1) / (tf + norm)``, as a
pair of numpy arrays, so a query costs one vectorised add per term (``dense_scores``): with a
FAQ 20 times the real one, the postings of common bigrams run to thousands of questions and a
Python loop over them was most of a match's time. ``normalised_scores`` divides by
the score the query would get from an ideal average-length document holding every query term
once; terms the index has never seen count in that bound with the highest idf, so a query
that is mostly unknown words scores low (the out-of-scope signal).
"""

from __future__ import annotations

import math
from array import array
from collections import Counter
from collections.abc import Iterable, Sequence

import numpy as np


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
        # two passes over the documents (frequencies, then weights) instead of keeping one Counter
        # per document: with a FAQ of 30,000 questions those Counters were the build's peak memory
        document_frequency: Counter[str] = Counter()
        for doc in documents:
            document_frequency.update(set(doc))
        self.idf = {term: self._idf(df) for term, df in document_frequency.items()}
        self.unknown_idf = self._idf(0)
        self.common = frozenset(term for term, df in document_frequency.items() if df > common * self.n)
        # term -> (doc indexes, weights), collected in compact arrays and then laid out end to end
        # in two numpy arrays (``Postings``), so a query touches only the documents sharing a term
        lists: dict[str, tuple[array, array]] = {}
        average = self.average_length or 1.0
        self.documents: list[dict[str, float]] = []
        for index, doc in enumerate(documents):
            norm = k1 * (1 - b + b * self.lengths[index] / average)
            weights = {}
            for term, frequency in Counter(doc).items():
                weight = weights[term] = self.idf[term] * frequency * (k1 + 1) / (frequency + norm)
                entry = lists.get(term)
                if entry is None:
                    entry = lists[term] = (array("i"), array("d"))
                entry[0].append(index)
                entry[1].append(weight)
            if keep_documents:
                self.documents.append(weights)
        self.postings = Postings(lists)

    def _idf(self, df: int) -> float:
        return math.log(1 + (self.n - df + 0.5) / (df + 0.5))

    def scores(self, query: Iterable[str]) -> dict[int, float]:
        """Score of every document sharing at least one term with the query."""
        dense = self.dense_scores(query)
        (hits,) = np.nonzero(dense)
        return dict(zip(hits.tolist(), dense[hits].tolist(), strict=True))

    def dense_scores(self, query: Iterable[str]) -> np.ndarray:
        """Scores of all documents as one array (0 where no term is shared): the query terms'
        postings gathered and summed by one ``bincount``."""
        offsets = self.postings.offsets
        spans = [offsets[term] for term in set(query) if term in offsets]
        if not spans:
            return np.zeros(self.n)
        if len(spans) == 1:
            (start, end), result = spans[0], np.zeros(self.n)
            result[self.postings.indexes[start:end]] = self.postings.values[start:end]
            return result
        indexes, values = self.postings.indexes, self.postings.values
        return np.bincount(
            np.concatenate([indexes[start:end] for start, end in spans]),
            weights=np.concatenate([values[start:end] for start, end in spans]),
            minlength=self.n,
        )

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
        dense = self.normalised_dense(query, unknown_weight)
        if dense is None:
            return {}
        (hits,) = np.nonzero(dense)
        return dict(zip(hits.tolist(), dense[hits].tolist(), strict=True))

    def normalised_dense(self, query: Sequence[str], unknown_weight: float = 1.0) -> np.ndarray | None:
        """``dense_scores`` divided by ``bound`` and capped at 1; None when the bound is 0."""
        if self.common:
            query = [term for term in query if term not in self.common]
        bound = self.bound(query, unknown_weight)
        if bound <= 0:
            return None
        return np.minimum(self.dense_scores(query) / bound, 1.0)


class Postings:
    """term -> (document indexes, values) as slices of two arrays laid end to end (CSR): a
    numpy array per term costs ~100 bytes of header, more than most terms' one or two postings."""

    def __init__(self, lists: dict[str, tuple[array, array]]) -> None:
        self.offsets: dict[str, tuple[int, int]] = {}
        total = sum(len(indexes) for indexes, _ in lists.values())
        self.indexes = np.empty(total, dtype=np.int32)
        self.values = np.empty(total, dtype=np.float64)
        at = 0
        for term in list(lists):
            indexes, values = lists.pop(term)  # freed as they are copied: the build's peak stays low
            end = at + len(indexes)
            self.indexes[at:end] = np.frombuffer(indexes, dtype=np.int32)
            self.values[at:end] = np.frombuffer(values, dtype=np.float64)
            self.offsets[term] = (at, end)
            at = end

    def __contains__(self, term: str) -> bool:
        return term in self.offsets

    def __len__(self) -> int:
        return len(self.offsets)

    def get(self, term: str) -> tuple[np.ndarray, np.ndarray] | None:
        span = self.offsets.get(term)
        if span is None:
            return None
        return self.indexes[span[0] : span[1]], self.values[span[0] : span[1]]

    def __getitem__(self, term: str) -> tuple[np.ndarray, np.ndarray]:
        entry = self.get(term)
        if entry is None:
            raise KeyError(term)
        return entry
