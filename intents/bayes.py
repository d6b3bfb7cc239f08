"""Multinomial naive Bayes over the intents' index terms: plain Python, no I/O.

Why beside BM25 and rapidfuzz: those compare an enquiry with one question (or one bag of
questions) at a time; naive Bayes learns which terms tell an intent apart from the others
(所得税 for the tax intents, 场 for training events) from all questions at once. Measured on the
dev set as a ranker on its own: top-1 86.5-87.4%, top-3 95% (alpha 0.03-0.1), against 90% /
92% for the hybrid score without it; the two err on different enquiries, so the hybrid adds its
posterior as a fifth part (``intents/model.yaml``: ``weights.nb``).

Training is counting (a few milliseconds per 100 intents), so an FAQ reload retrains it.
Each posting keeps ``log((count + alpha) / alpha)``; an intent's log-likelihood for a query is
``known_terms * log(alpha / (total + alpha * vocabulary)) + sum(postings)``, so a query costs
one vectorised add per term, like BM25.
"""

from __future__ import annotations

import math
from array import array
from collections import Counter
from collections.abc import Sequence

import numpy as np

from intents.bm25 import Postings


class NaiveBayes:
    def __init__(self, documents: Sequence[Sequence[str]], alpha: float = 0.05, temperature: float = 1.0) -> None:
        """``documents``: one token list per class (intent). ``temperature`` divides the
        per-term average log-likelihood before the softmax: naive Bayes is overconfident, and an
        average (not a sum) keeps long enquiries from turning every posterior into 0 or 1."""
        self.alpha, self.temperature = alpha, temperature
        self.n = len(documents)
        counts = [Counter(doc) for doc in documents]
        vocabulary = set().union(*counts) if counts else set()
        size = len(vocabulary) or 1
        self.base = np.array([math.log(alpha / (sum(c.values()) + alpha * size)) for c in counts])
        lists: dict[str, tuple[array, array]] = {}
        for index, c in enumerate(counts):
            for term, count in c.items():
                entry = lists.get(term)
                if entry is None:
                    entry = lists[term] = (array("i"), array("d"))
                entry[0].append(index)
                entry[1].append(math.log((count + alpha) / alpha))
        self.postings = Postings(lists)

    def posterior(self, query: Sequence[str]) -> np.ndarray | None:
        """P(intent | query terms) for every intent, or None when no query term is known."""
        offsets = self.postings.offsets
        spans = [offsets[term] for term in query if term in offsets]  # a repeated term counts again
        if not spans or not self.n:
            return None
        n_known = len(spans)
        indexes, values = self.postings.indexes, self.postings.values
        # every known term's postings gathered and summed by one bincount (the model is multinomial)
        logits = n_known * self.base + np.bincount(
            np.concatenate([indexes[start:end] for start, end in spans]),
            weights=np.concatenate([values[start:end] for start, end in spans]),
            minlength=self.n,
        )
        # log-likelihood per known term (see __init__ for the temperature)
        logits *= 1.0 / (n_known * self.temperature)
        logits -= logits.max()
        exps = np.exp(logits)
        return exps / exps.sum()
