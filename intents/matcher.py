"""The hybrid matcher: enquiry -> ranked FAQ intents with a calibrated confidence.

Score of an intent for a canonical enquiry ``q`` (all parts in [0, 1]):

- ``fuzz``: the best rapidfuzz similarity between ``q`` and one of the intent's questions
  (``fuzz.ratio``, or ``partial_ratio`` scaled down when one text is much longer);
- ``bm25_q``: BM25 of ``q`` against the single best question of the intent;
- ``bm25_i``: BM25 of ``q`` against the intent as one document (title twice + all questions),
  which rewards an enquiry that mixes words of several paraphrases;
- ``bm25_c``: BM25 of ``q`` against the text of the clauses the intent cites.

BM25 scores are divided by the score of an ideal document holding every query term once
(unknown terms included), so they read as "how much of the enquiry is explained". The hybrid
score is a weighted sum plus a region adjustment; the confidence is a logistic function of
the hybrid score and the margin to the next intent, fitted on held-out data (see
``intents/model.yaml`` and ``intents/calibrate.py``): a confidence of 0.8 means that about
8 in 10 enquiries given that confidence were matched to a right intent.

Pure and synchronous; the index is built once per FAQ (a few milliseconds per 100 intents).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from functools import cache, lru_cache
from operator import mul
from pathlib import Path
from sys import intern

import numpy as np
import yaml
from rapidfuzz import fuzz, process

from intents.bayes import NaiveBayes
from intents.bm25 import BM25
from intents.nearest import NearestText
from intents.normalize import canonical, informative_length, key_terms, tokens
from policy_faq.corpus import on_reload
from policy_faq.faq import Faq
from policy_faq.typography import fullwidth

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

MODEL_FILE = Path(__file__).with_name("model.yaml")
OUT_OF_SCOPE_FILE = Path(__file__).with_name("out_of_scope.yaml")

REGIONS = ("dalian-gxq", "liaoning", "yingkou", "panjin", "sichuan", "other")
# jurisdictions that apply to a company in each region, most specific first
APPLICABLE = {
    "dalian-gxq": ("dalian-gxq", "liaoning", "national", "multi"),
    "liaoning": ("liaoning", "national", "multi"),
    "yingkou": ("yingkou", "liaoning", "national", "multi"),
    "panjin": ("panjin", "liaoning", "national", "multi"),
    "sichuan": ("sichuan", "national", "multi"),
    "other": ("national", "multi"),
}
LOCAL = {"dalian-gxq", "liaoning", "yingkou", "panjin", "sichuan"}


@dataclass(frozen=True)
class Candidate:
    intent: str
    title: str
    kind: str
    jurisdiction: str
    score: float  # hybrid score incl. region adjustment
    confidence: float
    features: dict = field(default_factory=dict, compare=False, hash=False)
    action: str | None = None  # the intent's action (calc:…, checklist:…)


@dataclass(frozen=True)
class ClauseMatch:
    ref: str
    score: float  # 0..1, share of the enquiry explained by the clause


@dataclass(frozen=True)
class Match:
    text: str  # canonical enquiry
    region: str | None  # region used (given, or named in the enquiry)
    region_named: str | None  # region named in the enquiry itself
    candidates: tuple[Candidate, ...]
    out_of_scope: dict | None = None  # the cue that fired: {id, reply}
    amount_cue: bool = False
    bare_topic: bool = False  # the enquiry is one topic word (海外仓) that several intents share
    informative: int = 99  # characters that are not function characters (好, 嗯 … have 1)
    scope: float | None = None  # calibrated probability that the enquiry is one the FAQ covers at all

    @property
    def top(self) -> Candidate | None:
        return self.candidates[0] if self.candidates else None

    @property
    def confidence(self) -> float:
        return self.candidates[0].confidence if self.candidates else 0.0


@cache
def load_model(path: Path = MODEL_FILE) -> dict:
    return yaml.load(path.read_text(encoding="utf-8"), Loader=_LOADER)


REJECT_FILE = Path(__file__).with_name("reject_train.yaml")


@cache
def load_reject_texts(path: Path = REJECT_FILE) -> tuple[str, ...]:
    """Out-of-scope enquiries that train naive Bayes' reject class (not the ones that calibrate)."""
    if not path.exists():
        return ()
    return tuple(str(q) for q in yaml.load(path.read_text(encoding="utf-8"), Loader=_LOADER) or [])


@cache
def load_out_of_scope(path: Path = OUT_OF_SCOPE_FILE) -> tuple[dict, ...]:
    data = yaml.load(path.read_text(encoding="utf-8"), Loader=_LOADER) or {}
    cues = []
    # ASCII word boundaries: with Unicode ones a Chinese character counts as a letter, so \bfda\b
    # would never fire in 「FDA要注册吗」 (canonical text is lower case and NFKC-folded digits)
    flags = re.ASCII
    for cue in data.get("cues", []):
        compiled = dict(cue)
        compiled["_all"] = [re.compile(p, flags) for p in cue.get("all", [])]
        # `any` and `none` as one alternation each: one regex search instead of dozens
        compiled["_any"] = [re.compile("|".join(f"(?:{p})" for p in cue["any"]), flags)] if cue.get("any") else []
        compiled["_none"] = [re.compile("|".join(f"(?:{p})" for p in cue["none"]), flags)] if cue.get("none") else []
        cues.append(compiled)
    return tuple(cues)


def out_of_scope_cue(text: str) -> dict | None:
    """The first out-of-scope cue whose patterns fire on the canonical text."""
    for cue in load_out_of_scope():
        if cue["_any"] and not any(p.search(text) for p in cue["_any"]):
            continue
        if not all(p.search(text) for p in cue["_all"]):
            continue
        if any(p.search(text) for p in cue["_none"]):
            continue
        return {"id": cue["id"], "reply": tidy(cue["reply"])}
    return None


# words around a topic that ask nothing of their own (问下海外仓, 海外仓这块, 说说海外仓政策)
TOPIC_ONLY = re.compile(
    r"^(?:请问|问下|问一下|想问一?下?|咨询一?下?|了解一?下?|说说|讲讲|介绍一?下|关于)|(?:的?相关政策|的?政策|这块|方面|的事|呢|吧|啊)$"
)


def bare_term(text: str) -> str | None:
    """``#海外仓`` when the canonical text is that one domain term and nothing else (or only words
    that ask nothing of their own around it)."""
    keys = key_terms(text)
    if len(keys) == 1:
        (term,) = keys
        if term[1:] in (text, TOPIC_ONLY.sub("", TOPIC_ONLY.sub("", text))):
            return term
    return None


@lru_cache(maxsize=1024)
def tidy(text: str) -> str:
    """FAQ text as the user reads it: full-width punctuation, no stray spaces between Chinese
    characters (the validator refuses both; this keeps an operator's hot edit readable)."""
    return fullwidth(text.strip())


@lru_cache(maxsize=2048)
def question_bigrams(text: str) -> frozenset[str]:
    """``bigrams`` of an FAQ question, kept for the questions compared most often (bounded: a
    20x FAQ's 31,000 sets would cost tens of megabytes)."""
    return bigrams(text)


def bigrams(text: str) -> frozenset[str]:
    return frozenset(map(text.__getitem__, map(slice, range(len(text) - 1), range(2, len(text) + 1))))


CALIBRATION_FEATURES = ("score", "margin", "fuzz", "bm25_q", "bm25_i", "bm25_c", "nb", "nb_oos", "oos_fuzz", "oos_lead", "key_miss", "known", "key", "info")


def calibration_values(score: float, margin: float, parts: dict, has_key: bool, info: int) -> tuple[float, ...]:
    """What the confidence is a logistic function of, in the order of ``CALIBRATION_FEATURES``:
    the hybrid score, its lead over the next intent, the five score parts, the share of the
    enquiry's key terms the intent lacks, the share of its terms the FAQ knows at all, whether
    the enquiry names a key term at all, and how much it says (informative characters, up to 12)."""
    return (
        score,
        margin,
        parts["fuzz"],
        parts["bm25_q"],
        parts["bm25_i"],
        parts["bm25_c"],
        parts.get("nb", 0.0),
        parts.get("nb_oos", 0.0),
        parts.get("oos_fuzz", 0.0),
        parts.get("oos_fuzz", 0.0) - parts["fuzz"],
        parts["key_miss"],
        parts.get("known", 1.0),
        float(has_key),
        min(info, 12) / 12,
    )


def calibration_features(score: float, margin: float, parts: dict, has_key: bool, info: int) -> dict[str, float]:
    """``calibration_values`` by name (what the calibration is fitted on)."""
    return dict(zip(CALIBRATION_FEATURES, calibration_values(score, margin, parts, has_key, info), strict=True))


def coefficients(fit: dict) -> tuple[float, tuple[float, ...]]:
    """A fitted logistic function as (bias, weights in the order of ``CALIBRATION_FEATURES``):
    read once, so a candidate's confidence is one pass over two tuples."""
    return fit.get("bias", 0.0), tuple(fit.get(name, 0.0) for name in CALIBRATION_FEATURES)


def logistic(fit: tuple[float, tuple[float, ...]], values: tuple[float, ...]) -> float:
    bias, weights = fit
    return sigmoid(bias + sum(map(mul, weights, values)))


def sigmoid(x: float) -> float:
    if x < -40:
        return 0.0
    return 1.0 / (1.0 + math.exp(-x))


class Matcher:
    def __init__(self, faq: Faq, tokenizer: str | None = None, model: dict | None = None) -> None:
        self.model = model or load_model()
        self.tokenizer = tokenizer or self.model.get("tokenizer", "char")
        self.clauses = clause_index(self.tokenizer)
        self._adjustments: dict[tuple, np.ndarray] = {}
        # the same enquiry comes again and again (the FAQ's favourites, the menu's buttons, a follow-up
        # ranked alone and in its place): a Match is immutable, so the last ones are kept
        self._ranked: dict[tuple, Match] = {}
        self._parts: dict[str, TextParts | None] = {}
        weights = self.model["weights"]
        self.w_fuzz, self.w_q, self.w_i, self.w_c = weights["fuzz"], weights["bm25_q"], weights["bm25_i"], weights["bm25_c"]
        self.w_nb = weights.get("nb", 0.0)
        self.region_cfg = self.model["region"]
        self.cal = self.model["calibration"]
        self.confidence_fit = coefficients(self.cal)
        self.scope_fit = coefficients(self.model["scope"]) if self.model.get("scope") else None
        self.unknown_weight = self.model.get("unknown_weight", 0.5)
        self.top_k = self.model.get("top_k", 15)
        self.fuzz_per_intent = self.model.get("fuzz_per_intent", 4)
        # the margin is measured from at least this score: a lone weak candidate is no lead
        self.margin_floor = self.model.get("margin_floor", 0.3)
        penalty = self.model.get("key_penalty", {})
        self.key_q, self.key_i = penalty.get("question", 0.0), penalty.get("intent", 0.0)
        self.faq = faq
        self.intents = [item.intent for item in faq.intents]
        self.index_of = {intent.id: i for i, intent in enumerate(self.intents)}
        self.question_texts: list[str] = []
        self.question_intent: list[int] = []
        self.question_keys: list[frozenset[str]] = []
        self.intent_keys: list[frozenset[str]] = []
        self.intent_has_clauses: list[bool] = []
        self.intent_questions: list[list[int]] = []
        q_docs, i_docs, c_docs = [], [], []
        c_doc_of: dict[tuple[str, ...], int] = {}
        self.intent_c_doc: list[int] = []
        from policy_faq.corpus import clauses_by_ref

        clauses = clauses_by_ref()
        clause_tokens_cache: dict[str, tuple[str, ...]] = {}
        for i, intent in enumerate(self.intents):
            own: list[int] = []
            # the FAQ's own texts bypass the lru caches: those are for enquiries (and would hold
            # every question of a large FAQ twice)
            title = canonical.__wrapped__(intent.title)
            i_doc = list(tokens.__wrapped__(title, self.tokenizer)) * 2
            keys = set(key_terms(title))
            for question in intent.questions:
                text = canonical.__wrapped__(question)
                if not text:
                    continue
                own.append(len(self.question_texts))
                self.question_texts.append(text)
                self.question_intent.append(i)
                self.question_keys.append(key_terms(text))
                keys |= self.question_keys[-1]
                # one string object per distinct term: a 30,000-question FAQ otherwise holds a
                # million copies of its bigrams while the indexes are built
                toks = tuple(map(intern, tokens.__wrapped__(text, self.tokenizer)))
                q_docs.append(toks)
                i_doc.extend(toks)
            self.intent_questions.append(own)
            self.intent_keys.append(frozenset(keys))
            i_docs.append(i_doc)
            # intents citing the same clauses share one clause document (a larger FAQ cites the
            # same 122 clauses over and over: one copy each keeps the index small)
            cited = tuple(ref for ref in intent.sources if ref in clauses)
            if cited not in c_doc_of:
                c_doc: list[str] = []
                for ref in cited:
                    if ref not in clause_tokens_cache:
                        clause_tokens_cache[ref] = tuple(map(intern, clause_tokens(clauses[ref], self.tokenizer)))
                    c_doc.extend(clause_tokens_cache[ref])
                c_doc_of[cited] = len(c_docs)
                c_docs.append(c_doc)
            self.intent_c_doc.append(c_doc_of[cited])
            self.intent_has_clauses.append(bool(cited))
        self.question_lengths = [len(t) for t in self.question_texts]
        # an intent's questions are one run: [start, start + count) of the question arrays
        self.question_counts = np.array([len(own) for own in self.intent_questions], dtype=np.int64)
        self.question_starts = np.array([own[0] if own else 0 for own in self.intent_questions], dtype=np.int64)
        self.has_questions = self.question_counts > 0
        common = self.model.get("common_terms", 1.0)
        self.q_index = BM25(q_docs, common=common)
        self.i_index = BM25(i_docs)  # one document per intent: short postings, nothing to skip
        bayes = self.model.get("bayes", {})
        # one more class beside the intents: enquiries the assistant must not answer
        # (reject_train.yaml); its posterior ("nb_oos") tells the scope model how much an enquiry
        # reads like a shop-operations, personal or other-region question
        reject_doc = [t for text in load_reject_texts() for t in tokens.__wrapped__(canonical.__wrapped__(text), self.tokenizer)] if bayes.get("reject_class", True) else []
        self.reject_class = len(i_docs) if reject_doc else None
        # the same enquiries for a nearest-neighbour check: how close is the enquiry to
        # something the assistant turns away, against how close to an FAQ question
        self.reject_texts = [canonical.__wrapped__(text) for text in load_reject_texts()] if bayes.get("reject_class", True) else []
        self.nearest_reject = NearestText(self.reject_texts)
        self.nb = NaiveBayes([*i_docs, reject_doc] if reject_doc else i_docs, alpha=bayes.get("alpha", 0.05), temperature=bayes.get("temperature", 1.0))
        self.nb_candidates = bayes.get("candidates", 3)
        self.c_index = BM25(c_docs, common=common) if any(c_docs) else None

    # --- scoring ------------------------------------------------------------------------------
    @staticmethod
    def with_partial_match(ratio: float, lq: int, q_grams: frozenset, question: str, lo: int) -> float:
        """The fuzz of an enquiry and a question from their rapidfuzz ratio (0..1): when one text is
        much longer, the share of the shorter one's character bigrams found in the longer (a cheap
        partial match), scaled down by the length gap, if that is more. The question's bigrams come
        from a bounded cache: only texts of very different lengths need them, and keeping every
        question's set costs memory at scale."""
        longer, shorter = (lq, lo) if lq > lo else (lo, lq)
        if longer >= 1.5 * shorter and shorter >= 2:
            o_grams = question_bigrams(question)
            grams = q_grams if lq < lo else o_grams
            if grams:
                return max(ratio, len(q_grams & o_grams) / len(grams) * (0.9 if longer < 3 * shorter else 0.7))
        return ratio

    def text_parts(self, text: str) -> TextParts | None:
        """What the ranking knows of ``text`` whatever the place: its terms, the BM25 scores, naive
        Bayes, the nearest turned-away enquiry (None: no term the index knows). A follow-up ranks
        the same text again in its place (asked_elsewhere_in_place): that ranking reuses these."""
        if text in self._parts:
            return self._parts[text]
        if len(self._parts) >= PARTS_CACHE:
            self._parts.clear()
        self._parts[text] = parts = self._text_parts(text)
        return parts

    def _text_parts(self, text: str) -> TextParts | None:
        toks = tokens(text, self.tokenizer)
        if not toks:
            return None
        uw = self.unknown_weight
        i_dense = self.i_index.normalised_dense(toks, uw)
        if i_dense is None:
            return None
        q_dense = self.q_index.normalised_dense(toks, uw)
        if q_dense is None:  # every term is common among the questions (a tiny FAQ): no question score
            q_dense = np.zeros(len(self.question_texts))
        c_dense = self.c_index.normalised_dense(toks, uw) if self.c_index else None
        # best question per intent: an intent's questions are one run of the question arrays
        best_q = np.zeros(len(self.intents))
        if len(q_dense):
            best_q[self.has_questions] = np.maximum.reduceat(q_dense, self.question_starts[self.has_questions])
        nb = self.nb.posterior(toks)
        nb_oos = 0.0
        if nb is not None and self.reject_class is not None:
            nb_oos = float(nb[self.reject_class])
            nb = nb[: self.reject_class]
        favourites: list[int] = []
        if nb is not None:  # naive Bayes' own favourites are candidates too
            best = np.argpartition(-nb, min(self.nb_candidates, len(nb) - 1))[: self.nb_candidates]
            favourites = sorted(best.tolist(), key=lambda ii: -nb[ii])
        oos_fuzz = 0.0
        if self.reject_texts:
            oos_fuzz = self.nearest_reject.best_ratio(text) / 100.0
        # share of the enquiry's distinct terms that some FAQ question or title uses: 幼儿园, 落户 and
        # 购房 are not, which tells "大连高新区幼儿园怎么报名" from a policy enquiry naming the same place
        distinct = set(toks)
        vocabulary = self.i_index.idf
        known = sum(term in vocabulary for term in distinct) / len(distinct)
        return TextParts(i_dense, q_dense, c_dense, best_q, nb, nb_oos, favourites, oos_fuzz, known, key_terms(text), bigrams(text))

    def features(self, text: str, adjustments: np.ndarray | None = None) -> dict[int, dict]:
        """Per candidate intent index: the score parts. ``adjustments`` (the place's bonus or
        penalty per intent) shapes the candidate pool as it shapes the final score: with a place
        known, that place's intents are candidates even when other places' word better."""
        tp = self.text_parts(text)
        if tp is None:
            return {}
        i_dense, c_dense, best_q, nb = tp.i_dense, tp.c_dense, tp.best_q, tp.nb
        # candidates: the best intents by the question and intent BM25 (sharing a term at least)
        pre = 0.5 * best_q + 0.5 * i_dense
        if adjustments is not None:
            pre = pre + adjustments
        shared = np.flatnonzero(i_dense)
        if len(shared) > self.top_k:
            shared = shared[np.argpartition(-pre[shared], self.top_k)[: self.top_k]]
        chosen = sorted(shared.tolist(), key=lambda ii: (-pre[ii], ii))
        chosen.extend(ii for ii in tp.favourites if ii not in chosen)
        result = {}
        keys = tp.keys
        n_keys = len(keys)
        fuzz_done = tp.fuzz
        pending = [ii for ii in chosen if ii not in fuzz_done]
        if pending:
            self._fuzz_intents(text, tp, pending)
        for ii in chosen:
            best_fuzz = fuzz_done[ii]
            i_score = float(i_dense[ii])
            result[ii] = {
                "key_miss": len(keys - self.intent_keys[ii]) / n_keys if n_keys else 0.0,
                "fuzz": best_fuzz,
                "bm25_q": float(best_q[ii]),
                "bm25_i": i_score,
                # an intent citing no clause (national rules, conversation) is not marked down for it
                "bm25_c": (float(c_dense[self.intent_c_doc[ii]]) if c_dense is not None else 0.0) if self.intent_has_clauses[ii] else i_score,
                "nb": float(nb[ii]) if nb is not None else 0.0,
                "nb_oos": tp.nb_oos,
                "oos_fuzz": tp.oos_fuzz,
                "known": tp.known,
            }
        return result

    def _fuzz_intents(self, text: str, tp: TextParts, pending: list[int]) -> None:
        """Best question fuzz of each intent in ``pending``, into ``tp.fuzz``: the ratios of all
        their questions in one rapidfuzz call (a call per question cost more in Python than in C),
        then the partial match and the key-term penalty per question."""
        starts, counts, q_dense, per_intent = self.question_starts, self.question_counts, tp.q_dense, self.fuzz_per_intent
        owns = []
        for ii in pending:
            first, count = int(starts[ii]), int(counts[ii])
            if count > per_intent:  # fuzz on the questions BM25 likes best: it is the costly part
                scores = q_dense[first : first + count].tolist()
                # best first, ties in question order (sorted is stable, also in reverse)
                owns.append([first + j for j in sorted(range(count), key=scores.__getitem__, reverse=True)[:per_intent]])
            else:
                owns.append(range(first, first + count))
        texts, lengths, question_keys = self.question_texts, self.question_lengths, self.question_keys
        flat = [qi for own in owns for qi in own]
        ratios = process.cdist((text,), [texts[qi] for qi in flat], scorer=fuzz.ratio, dtype=np.float64)[0].tolist() if flat else []
        keys, lq, q_grams, key_q, partial = tp.keys, len(text), tp.bigrams, self.key_q, self.with_partial_match
        n_keys = len(keys)
        at = 0
        for ii, own in zip(pending, owns, strict=True):
            best_fuzz = 0.0
            for qi in own:
                f = partial(ratios[at] / 100.0, lq, q_grams, texts[qi], lengths[qi])
                at += 1
                if n_keys and f > best_fuzz and not keys <= question_keys[qi]:
                    f *= 1 - key_q * len(keys - question_keys[qi]) / n_keys
                if f > best_fuzz:
                    best_fuzz = f
            tp.fuzz[ii] = best_fuzz

    def hybrid(self, parts: dict) -> float:
        score = self.w_fuzz * parts["fuzz"] + self.w_q * parts["bm25_q"] + self.w_i * parts["bm25_i"] + self.w_c * parts["bm25_c"] + self.w_nb * parts.get("nb", 0.0)
        return score * (1 - self.key_i * parts["key_miss"])

    def adjustments(self, region: str | None, named: bool, amount_cue: bool, city_only: bool = False) -> np.ndarray:
        """``region_adjustment`` for every intent, computed once per (place, named, amount cue, city only)."""
        key = (region, named, amount_cue, city_only)
        cached = self._adjustments.get(key)
        if cached is None:
            cached = np.array([self.region_adjustment(i.jurisdiction, region, named, amount_cue, i.action, city_only) for i in self.intents])
            self._adjustments[key] = cached
        return cached

    def region_adjustment(
        self, jurisdiction: str, region: str | None, named: bool, amount_cue: bool, action: str | None, city_only: bool = False
    ) -> float:
        cfg = self.region_cfg
        if city_only and jurisdiction == "dalian-gxq":
            # 我们大连的企业…: a company in the city, not necessarily in the zone; the zone's items
            # get no head start over the national rules and 辽宁's (other places still give way)
            return cfg["amount_bonus"] if amount_cue and action and action.startswith("calc:") else 0.0
        if region == COMPARED:  # the comparison across places answers it, and no one place is preferred
            return cfg.get("compared", 0.0) if jurisdiction == "multi" else 0.0
        if region is None:
            if amount_cue and jurisdiction == "dalian-gxq" and action and action.startswith("calc:"):
                return cfg["amount_bonus"]
            # no place known: an intent comparing the jurisdictions, or a national rule, serves a
            # general enquiry better than one place's scheme
            return cfg.get(jurisdiction, 0.0) if jurisdiction in ("multi", "national") else 0.0
        applicable = APPLICABLE.get(region, ())
        if applicable and jurisdiction == applicable[0]:
            return cfg["named_bonus"] if named else cfg["bonus"]
        if jurisdiction in LOCAL and jurisdiction not in applicable:
            return -(cfg["named_penalty"] if named else cfg["penalty"])
        # a place known: the comparison across jurisdictions gives way to the place's own intents
        return cfg.get("multi_region", 0.0) if jurisdiction == "multi" else 0.0

    def confidence(self, score: float, margin: float, parts: dict, has_key: bool = True, info: int = 12) -> float:
        """Calibrated probability that this intent is right (see ``calibration_values``)."""
        return logistic(self.confidence_fit, calibration_values(score, margin, parts, has_key, info))

    def scope(self, score: float, margin: float, parts: dict, has_key: bool = True, info: int = 12) -> float | None:
        """Calibrated probability that the enquiry is in scope (some intent covers it), whether or
        not the top intent is the right one; None for a model without the ``scope`` fit."""
        if self.scope_fit is None:
            return None
        return logistic(self.scope_fit, calibration_values(score, margin, parts, has_key, info))

    def rank(self, text: str, region: str | None = None, limit: int = 5, canonical_text: str | None = None) -> Match:
        key = (text, region, limit, canonical_text)
        match = self._ranked.get(key)
        if match is None:
            if len(self._ranked) >= RANK_CACHE:
                self._ranked.clear()
            match = self._ranked[key] = self._rank(text, region, limit, canonical_text)
        return match

    def clear_cache(self) -> None:
        """Forget the enquiries ranked so far (a benchmark timing every enquiry as new)."""
        self._ranked.clear()
        self._parts.clear()

    def _rank(self, text: str, region: str | None, limit: int, canonical_text: str | None) -> Match:
        q = canonical_text if canonical_text is not None else canonical(text)
        q = OTHER_ZONE.sub(r"\1", q)  # 成都高新区 is 成都: its 高新 is no clue to 高新技术企业 or the zone's items
        named = detect_region(q)
        if named is not None and len(named_regions(q)) > 1:
            named = COMPARED  # 辽宁四川大连比一比: several places named, a comparison across them
        used = named or region
        amount_cue = bool(AMOUNT_CUE.search(q))
        cue = out_of_scope_cue(q)
        city_only = named == "dalian-gxq" and not ZONE_NAMED.search(q)
        # what a customs code is, or how two differ, is the same in every place: no place's head start
        place = None if used in LOCAL and CODE_DEFINED.search(q) else used
        adjustments = self.adjustments(place, named is not None, amount_cue, city_only)
        scored = [(self.hybrid(parts) + float(adjustments[ii]), ii, parts) for ii, parts in self.features(q, adjustments).items()]
        scored.sort(key=lambda item: (-item[0], item[1]))
        exact = [item for item in scored[:limit] if item[2]["fuzz"] >= EXACT]
        if len(exact) == 1 and exact[0] is not scored[0]:
            # the enquiry is one of this intent's questions (有人吗 is a greeting, though 人 leans to
            # 转人工): it leads, whatever the blend of scores says
            scored.remove(exact[0])
            scored.insert(0, exact[0])
        candidates = []
        has_key = bool(key_terms(q))
        info = informative_length(q)
        scope = None
        for position, (score, ii, parts) in enumerate(scored[:limit]):
            if position == 0:
                other = max(scored[1][0] if len(scored) > 1 else 0.0, self.margin_floor)
                scope = self.scope(score, score - other, parts, has_key, info)
            else:
                other = scored[0][0]
            intent = self.intents[ii]
            confidence = self.confidence(score, score - other, parts, has_key, info)
            if position == 0 and parts["fuzz"] >= EXACT and (len(scored) < 2 or scored[1][2]["fuzz"] < EXACT):
                confidence = max(confidence, EXACT_CONFIDENCE)  # the enquiry is one of this intent's questions
            elif position == 0 and intent.kind != "policy" and parts["fuzz"] >= 0.75 and score - other >= 0.15:
                # greetings, thanks, 转人工: short texts without policy terms, which the calibration
                # (fitted on policy questions) rates low; a close question and a clear lead suffice
                confidence = max(confidence, EXACT_CONFIDENCE)
            candidates.append(Candidate(intent.id, intent.title, intent.kind, intent.jurisdiction, round(score, 4), confidence, parts, intent.action))
        bare = False
        if len(candidates) > 1:
            term = bare_term(q)
            if term is not None:
                bare = sum(term in self.intent_keys[self.index_of[c.intent]] for c in candidates) > 1
        return Match(q, used, named, tuple(candidates), cue, amount_cue, bare, info, scope)


RANK_CACHE = 4096  # enquiries whose ranking is kept
PARTS_CACHE = 1024  # texts whose place-independent parts are kept


@dataclass
class TextParts:
    """The place-independent part of ranking one text (Matcher.text_parts)."""

    i_dense: np.ndarray
    q_dense: np.ndarray
    c_dense: np.ndarray | None
    best_q: np.ndarray
    nb: np.ndarray | None
    nb_oos: float
    favourites: list[int]  # naive Bayes' own best intents
    oos_fuzz: float
    known: float
    keys: frozenset[str]
    bigrams: frozenset[str]
    fuzz: dict[int, float] = field(default_factory=dict)  # best question fuzz per intent, filled as ranked


EXACT = 0.98  # fuzz at which an enquiry is, after normalisation, one of the FAQ's questions
EXACT_CONFIDENCE = 0.95

AMOUNT_CUE = re.compile(r"补贴|多少|比例|上限|最高|标准|金额|能补|补几|几成|一半|\d+(?:\.\d+)?万|\d{4,}元|\d+元")

# places named in an enquiry -> region (canonical text); first match wins, most specific first
PLACES = (
    ("dalian-gxq", re.compile(r"高新区|大连高新|大连|七贤岭|黄泥川|凌水|龙王塘")),  # the zone's own streets name it too
    ("yingkou", re.compile(r"营口|鲅鱼圈|盖州|大石桥|老边区")),
    ("panjin", re.compile(r"盘锦|盘山县|大洼|双台子|兴隆台|辽东湾新区")),
    ("sichuan", re.compile(r"四川|成都|绵阳|宜宾|泸州|德阳|南充|乐山|自贡|攀枝花|广元|遂宁|内江|眉山|广安|达州|雅安|巴中|资阳|阿坝|甘孜|凉山|川内|川里|川企|在川|入川|川字号|蓉欧|天府|巴蜀")),
    # (the county-level cities too: 兴城 is in 葫芦岛; 大连's own districts are left out, since an
    # enquiry naming 金州 is usually about moving to or comparing with the zone)
    ("liaoning", re.compile(r"辽宁|沈阳|鞍山|抚顺|本溪|丹东|锦州|阜新|辽阳|铁岭|葫芦岛|兴城|海城|凤城|东港|新民|开原|调兵山|北票|凌源|北镇|灯塔|凌海")),
    ("other", re.compile(r"广东|深圳|广州|东莞|浙江|杭州|义乌|宁波|上海|北京|江苏|苏州|福建|厦门|山东|青岛|天津|重庆|河南|郑州|湖北|武汉|湖南|安徽|江西|广西|云南|贵州|陕西|西安|河北|吉林|黑龙江|海南|新疆|内蒙古|山西|甘肃|青海|宁夏|西藏|香港|澳门|台湾")),
)


# what a customs code is, or how codes differ (the twin of intents/context.py DEFINITION, which
# imports this module, for codes only)
CODE_DEFINED = re.compile(
    r"(?:9610|9710|9810|1210|监管方式|监管代码)[^，。？?]{0,12}(?:是什么|是啥|是个啥|是干嘛|啥意思|什么意思|怎么回事|有啥区别|有什么区别|区别|不同|差别)"
)
# the zone itself named (大连 alone is the city: a company there may or may not be in the zone)
ZONE_NAMED = re.compile(r"高新区|大连高新|七贤岭|黄泥川|凌水|龙王塘")
# names that hold a place name without meaning the place (大连理工大学盘锦校区 is in 盘锦)
NOT_PLACES = re.compile(r"大连(?:理工|海事|外国语|交通|医科|民族|工业)大学|大工")
# another covered city's hi-tech zone (成都高新区, 沈阳高新区) names that city, not 大连高新区 (a province
# the documents do not cover stays as it was: 总部在杭州 高新区开个分公司 is about 大连高新区)
OTHER_ZONE = re.compile(
    "(" + "|".join(pattern.pattern for region, pattern in PLACES if region not in ("dalian-gxq", "other")) + r")(?:市)?(?:的)?高新区"
)


def _place_words(text: str) -> str:
    return OTHER_ZONE.sub(r"\1", NOT_PLACES.sub("", text))


COMPARED = "compared"  # the region of an enquiry naming several of the places


def named_regions(text: str) -> set[str]:
    """Every region the enquiry names (大连 and 辽宁 count as two; other provinces are left out)."""
    text = _place_words(text)
    return {region for region, pattern in PLACES if region != "other" and pattern.search(text)}


def detect_region(text: str) -> str | None:
    text = _place_words(text)
    for region, pattern in PLACES:
        if pattern.search(text):
            return region
    return None


def clause_tokens(clause, tokenizer: str, heading_times: int = 1) -> tuple[str, ...]:
    heading = tokens(canonical(clause.heading), tokenizer)
    return heading * heading_times + tokens(canonical(clause.text), tokenizer)


@cache
def clause_index(tokenizer: str = "char") -> ClauseIndex:
    """One clause index per tokeniser for the process: the corpus does not change at run time."""
    return ClauseIndex(tokenizer)


on_reload(clause_index.cache_clear)  # a document added: the next responder indexes it


class ClauseIndex:
    """BM25 over every clause of the corpus: the intents' ``bm25_c`` and the excerpt fallback."""

    def __init__(self, tokenizer: str = "char") -> None:
        from policy_faq.corpus import clauses_by_ref

        clauses = clauses_by_ref()
        self.tokenizer = tokenizer
        self.refs = list(clauses)
        self.position = {ref: i for i, ref in enumerate(self.refs)}
        # preamble and closing are context, not answers: never quoted as an excerpt
        self.quotable = [not ref.endswith((":preamble", ":closing")) for ref in self.refs]
        docs = [clause_tokens(clauses[ref], tokenizer, heading_times=2) for ref in self.refs]
        from policy_faq.corpus import document_of

        self.regions = [document_of(ref).region for ref in self.refs]
        self.keys = [frozenset(t for t in doc if t.startswith("#")) for doc in docs]
        self.index = BM25(docs)

    def scores(self, toks, unknown_weight: float = 0.5) -> dict[int, float]:
        return self.index.normalised_scores(toks, unknown_weight)

    def shares_key_term(self, ref: str, text: str) -> bool:
        return bool(key_terms(text) & self.keys[self.position[ref]])

    def search(self, text: str, limit: int = 3, unknown_weight: float = 0.5, region: str | None = None) -> list[ClauseMatch]:
        """Best clauses for canonical text; with a region, none of another local jurisdiction."""
        toks = tokens(text, self.tokenizer)
        if not toks:
            return []
        scores = self.scores(toks, unknown_weight)
        applicable = APPLICABLE.get(region or "", ())

        def allowed(i: int) -> bool:
            return self.quotable[i] and not (applicable and self.regions[i] in LOCAL and self.regions[i] not in applicable)

        ranked = sorted((item for item in scores.items() if allowed(item[0])), key=lambda item: -item[1])[:limit]
        return [ClauseMatch(self.refs[i], round(s, 4)) for i, s in ranked]
