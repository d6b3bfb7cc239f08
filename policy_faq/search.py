"""Full-text search over clauses (``cbec-bot policy search`` and the matcher's excerpt fallback)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from intents.bm25 import BM25
from intents.normalize import char_ngrams, normalize
from policy_faq.corpus import Clause, clauses_by_ref, on_reload


@dataclass(frozen=True)
class ClauseHit:
    clause: Clause
    score: float  # BM25 score divided by the query's upper bound: 0..~1
    snippet: str

    def as_dict(self) -> dict:
        return {"ref": self.clause.ref, "title": self.clause.heading, "score": round(self.score, 3), "snippet": self.snippet}


@cache
def _index() -> tuple[list[Clause], BM25]:
    clauses = list(clauses_by_ref().values())
    return clauses, BM25([char_ngrams(normalize(c.heading + c.heading + c.text), (2,)) for c in clauses])


on_reload(_index.cache_clear)  # a document added: the search index is built again


def snippet(text: str, query: str, width: int = 60) -> str:
    """The stretch of text around the first query bigram found, on one line."""
    flat = text.replace("\n", " ")
    position = -1
    for gram in char_ngrams(normalize(query), (2,)):
        position = flat.find(gram)
        if position >= 0:
            break
    start = max(0, position - width // 3)
    piece = flat[start : start + width]
    return ("…" if start else "") + piece + ("…" if start + width < len(flat) else "")


def search_clauses(query: str, limit: int = 5) -> list[ClauseHit]:
    clauses, index = _index()
    terms = char_ngrams(normalize(query), (2,))
    if not terms:
        return []
    bound = index.max_score(terms) * (index.k1 + 1) or 1.0
    ranked = sorted(index.scores(terms).items(), key=lambda item: -item[1])[:limit]
    return [ClauseHit(clauses[i], score / bound, snippet(clauses[i].text, query)) for i, score in ranked]
