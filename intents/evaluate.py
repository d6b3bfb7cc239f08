"""``cbec-bot faq eval``: accuracy of the matcher on the development set, with two baselines.

The dev set (``tests/data/dev_set.yaml``) is a list of ``{q, intents: [...], style}`` (in scope:
any listed intent is right) or ``{q, oos: category, style}`` (out of scope); an item may name
a ``region``.

Figures (the same definitions for the matcher and the baselines):

- ``top1``: in-scope enquiries whose first-ranked intent is right and that were not rejected
  (the reply is not ``fallback``/``excerpt``; a ``clarify`` counts with its first suggestion);
- ``top3``: a right intent is among the first three ranked and the enquiry was not rejected;
- ``answered_correct``: the reply committed to an answer (answer, calculation, checklist,
  smalltalk, handoff) with a right intent; ``answered_wrong``: committed to a wrong one;
- ``ranking_top1``: the first-ranked intent is right, whatever the decision (no rejection);
- ``oos_rejection``: out-of-scope enquiries that got no policy reply (``fallback``,
  ``smalltalk`` or ``handoff``; a ``clarify`` or an ``excerpt`` counts as not rejected).

Baselines: the nearest FAQ question by rapidfuzz ``WRatio`` on normalised text, and BM25 alone
(character bigrams over the FAQ questions); each rejects below a score threshold, chosen on the
same dev set to maximise its (top-1 + rejection) / 2, so they get the fairest chance.
"""

from __future__ import annotations

import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

import yaml
from rapidfuzz import fuzz, process

from intents.bm25 import BM25
from intents.dialogues import DIALOGUES
from intents.normalize import char_ngrams, normalize
from policy_faq.faq import Faq

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

DEV_SET = Path(__file__).resolve().parent.parent / "tests" / "data" / "dev_set.yaml"
COMMITTED = {"answer", "calculation", "checklist", "smalltalk", "handoff"}
REJECTED = {"fallback", "smalltalk", "handoff"}


@dataclass(frozen=True)
class Item:
    q: str
    intents: tuple[str, ...]
    oos: str | None
    style: str
    region: str | None


def load_dev_set(path: Path = DEV_SET) -> list[Item]:
    data = yaml.load(path.read_text(encoding="utf-8"), Loader=_LOADER) or []
    if isinstance(data, dict):
        data = data.get("items") or data.get("enquiries") or []
    items = []
    for entry in data:
        intents = entry.get("intents") or ([entry["intent"]] if entry.get("intent") else [])
        items.append(Item(str(entry["q"]), tuple(intents), entry.get("oos"), str(entry.get("style", "")), entry.get("region")))
    return items


@dataclass(frozen=True)
class Outcome:
    ranked: tuple[str, ...]  # intent ids, best first
    kind: str  # reply kind (baselines: answer or fallback)
    confidence: float | None = None  # of the first-ranked intent (the matcher only)
    # the intent the reply is about, when the decision chose another than the first-ranked (the
    # summary across places for 参展有补贴吗, a place's overview): what the user reads is scored
    answered: str | None = None


def score(items: list[Item], outcomes: list[Outcome]) -> dict:
    in_scope = [(item, out) for item, out in zip(items, outcomes, strict=True) if not item.oos]
    oos = [(item, out) for item, out in zip(items, outcomes, strict=True) if item.oos]
    top1 = top3 = committed_right = committed_wrong = clarify = ranked_first = 0
    per_intent: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    per_style: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    confusions: Counter[tuple[str, str]] = Counter()
    misses = []
    for item, out in in_scope:
        gold = set(item.intents)
        rejected = out.kind in ("fallback", "excerpt")
        ranked_top = out.ranked[0] if out.ranked else None
        first = out.answered or ranked_top
        ok1 = not rejected and first in gold
        ok3 = not rejected and bool(gold & {first, *out.ranked[:3]})
        top1 += ok1
        ranked_first += ranked_top in gold
        top3 += ok3
        clarify += out.kind == "clarify"
        if out.kind in COMMITTED:
            committed_right += first in gold
            committed_wrong += first not in gold
        for intent in item.intents[:1]:
            per_intent[intent][0] += ok1
            per_intent[intent][1] += 1
        per_style[item.style][0] += ok1
        per_style[item.style][1] += 1
        if not ok1:
            predicted = "(rejected)" if rejected else str(first)
            confusions[(item.intents[0] if item.intents else "?", predicted)] += 1
            misses.append({"q": item.q, "gold": list(item.intents), "got": predicted, "kind": out.kind})
    rejected_oos = sum(out.kind in REJECTED for _, out in oos)
    oos_leaks = [{"q": item.q, "oos": item.oos, "got": out.ranked[0] if out.ranked else None, "kind": out.kind} for item, out in oos if out.kind not in REJECTED]
    n_in, n_oos = len(in_scope), len(oos)
    calibration = reliability(
        [(out.confidence, bool(out.ranked) and out.ranked[0] in set(item.intents)) for item, out in zip(items, outcomes, strict=True) if out.confidence is not None]
    )
    worst = sorted(((i, c / n) for i, (c, n) in per_intent.items() if c < n), key=lambda x: (x[1], x[0]))[:10]
    return {
        "in_scope": n_in,
        "out_of_scope": n_oos,
        "top1": round(top1 / n_in, 4) if n_in else None,
        "top3": round(top3 / n_in, 4) if n_in else None,
        "oos_rejection": round(rejected_oos / n_oos, 4) if n_oos else None,
        "ranking_top1": round(ranked_first / n_in, 4) if n_in else None,
        "answered_correct": round(committed_right / n_in, 4) if n_in else None,
        "answered_wrong": round(committed_wrong / n_in, 4) if n_in else None,
        "clarify_rate": round(clarify / n_in, 4) if n_in else None,
        "by_style": {s: round(c / n, 4) for s, (c, n) in sorted(per_style.items())},
        "worst_intents": [{"intent": i, "top1": round(a, 3), "n": per_intent[i][1]} for i, a in worst],
        "confusions": [{"gold": g, "got": p, "count": n} for (g, p), n in confusions.most_common(10)],
        "calibration": calibration,
        "misses": misses,
        "oos_leaks": oos_leaks,
    }


def reliability(rows: list[tuple[float, bool]]) -> dict | None:
    """Mean confidence against accuracy of the first-ranked intent, in bins, and the expected
    calibration error (the bins' |confidence - accuracy| weighted by their size)."""
    if not rows:
        return None
    edges = [0.0, 0.2, 0.4, 0.6, 0.8, 0.9, 1.0001]
    bins, ece = [], 0.0
    for low, high in zip(edges, edges[1:], strict=False):
        inside = [(c, r) for c, r in rows if low <= c < high]
        if not inside:
            continue
        confidence = sum(c for c, _ in inside) / len(inside)
        accuracy = sum(r for _, r in inside) / len(inside)
        ece += len(inside) / len(rows) * abs(confidence - accuracy)
        bins.append({"bin": f"{low:.1f}-{min(high, 1.0):.1f}", "n": len(inside), "confidence": round(confidence, 3), "accuracy": round(accuracy, 3)})
    return {"bins": bins, "ece": round(ece, 4)}


# --- the matcher ------------------------------------------------------------------------------
def rank_all(responder, items: list[Item]) -> list:
    """Each enquiry as ``Responder.respond`` ranks it: (personal data out, its Match)."""
    from intents.personal import strip_personal

    ranked = []
    for item in items:
        text = strip_personal(item.q)
        ranked.append((text, responder.matcher.rank(text, region=item.region)))
    return ranked


def run_matcher(responder, items: list[Item], policy=None, ranked: list | None = None) -> list[Outcome]:
    """Each enquiry ranked (or taken from ``rank_all``'s ``ranked``) and decided as
    ``Responder.respond`` would, with ``policy`` instead of the current decision policy when given
    (the old one, for comparison)."""
    outcomes = []
    for item, (text, match) in zip(items, ranked if ranked is not None else rank_all(responder, items), strict=True):
        if len(item.q) > 2000 or not item.q.strip():
            reply = responder.respond(item.q)
        elif policy is not None:
            reply = responder.decide(text, match, policy=policy)
        else:
            reply = responder.decide(text, match)
        ranked = tuple(c.intent for c in match.candidates)
        outcomes.append(Outcome(ranked, reply.kind, match.confidence, reply.intent))
    return outcomes


# --- baselines --------------------------------------------------------------------------------
class FuzzBaseline:
    """Nearest FAQ question by rapidfuzz WRatio on normalised text (no synonyms, no BM25)."""

    name = "rapidfuzz WRatio"

    def __init__(self, faq: Faq) -> None:
        self.choices, self.owner = [], []
        for item in faq.intents:
            for question in item.intent.questions:
                self.choices.append(normalize(question))
                self.owner.append(item.intent.id)

    def rank(self, text: str) -> list[tuple[str, float]]:
        hits = process.extract(normalize(text), self.choices, scorer=fuzz.WRatio, limit=60)
        return _distinct([(self.owner[i], s / 100) for _, s, i in hits])


class BM25Baseline:
    """BM25 alone: character bigrams of normalised FAQ questions; an intent scores its best question."""

    name = "BM25"

    def __init__(self, faq: Faq) -> None:
        self.owner, docs = [], []
        for item in faq.intents:
            for question in item.intent.questions:
                docs.append(char_ngrams(normalize(question), (2,)))
                self.owner.append(item.intent.id)
        self.index = BM25(docs)

    def rank(self, text: str) -> list[tuple[str, float]]:
        terms = char_ngrams(normalize(text), (2,))
        bound = self.index.max_score(terms) or 1.0
        scores = sorted(self.index.scores(terms).items(), key=lambda kv: -kv[1])[:60]
        return _distinct([(self.owner[i], min(1.0, s / bound)) for i, s in scores])


def _distinct(pairs: list[tuple[str, float]]) -> list[tuple[str, float]]:
    seen, result = set(), []
    for intent, s in pairs:
        if intent not in seen:
            seen.add(intent)
            result.append((intent, s))
    return result


def run_baseline(baseline, items: list[Item]) -> tuple[dict, float]:
    ranked = [baseline.rank(item.q) for item in items]
    best, best_threshold = None, 0.0
    for step in range(0, 100, 2):
        threshold = step / 100
        outcomes = [
            Outcome(tuple(i for i, _ in r[:5]), "answer" if r and r[0][1] >= threshold else "fallback") for r in ranked
        ]
        figures = score(items, outcomes)
        value = ((figures["top1"] or 0) + (figures["oos_rejection"] or 0)) / 2
        if best is None or value > best[0]:
            best, best_threshold = (value, figures), threshold
    return best[1], best_threshold


def evaluate(faq: Faq, items: list[Item], tokenizer: str | None = None, baselines: bool = True, dialogues: list | None = None) -> dict:
    """The figures of the matcher with the current and the old decision policy, the baselines,
    and (given ``dialogues``) the dialogue figures per part, with context and without it."""
    from intents.decision import legacy_decision
    from intents.respond import Responder

    started = time.perf_counter()
    responder = Responder(faq, tokenizer=tokenizer)
    build_ms = (time.perf_counter() - started) * 1000
    started = time.perf_counter()
    ranked = rank_all(responder, items)
    outcomes = run_matcher(responder, items, ranked=ranked)
    per_enquiry_ms = (time.perf_counter() - started) * 1000 / max(1, len(items))
    report = {
        "faq_version": faq.version,
        "intents": len(faq.intents),
        "enquiries": len(items),
        "tokenizer": responder.matcher.tokenizer,
        "index_build_ms": round(build_ms, 1),
        "ms_per_enquiry": round(per_enquiry_ms, 3),
        "calibrated_on": (responder.matcher.model.get("fitted_on") or {}).get("faq_version"),
        "matcher": score(items, outcomes),
        "legacy_policy": score(items, run_matcher(responder, items, policy=legacy_decision, ranked=ranked)),
        # intents the dev set names that the FAQ lacks: their enquiries cannot be right
        "unknown_intents": sorted({i for item in items for i in item.intents} - set(faq.by_id())),
    }
    if dialogues:
        from intents import dialogues as dialogue_eval

        report["dialogues"] = {}
        for part in sorted({d.part for d in dialogues}):
            chosen = [d for d in dialogues if d.part == part]
            report["dialogues"][part] = {
                "context": dialogue_eval.score(responder, chosen),
                "alone_legacy": dialogue_eval.score(responder, chosen, with_context=False, policy=legacy_decision),
            }
    if baselines:
        report["baselines"] = {}
        for baseline in (FuzzBaseline(faq), BM25Baseline(faq)):
            figures, threshold = run_baseline(baseline, items)
            figures["threshold"] = threshold
            report["baselines"][baseline.name] = figures
    return report


def _pct(value) -> str:
    return "   -  " if value is None else f"{value * 100:5.1f}%"


def _row(label: str, f: dict, clarify: bool = True) -> str:
    asked = _pct(f["clarify_rate"]) if clarify else ""
    return f"{label:26} {_pct(f['top1']):>7} {_pct(f['top3']):>7} {_pct(f['oos_rejection']):>9} {_pct(f['answered_correct']):>12} {_pct(f['answered_wrong']):>15} {asked:>8} {_pct(f['ranking_top1']):>11}"


def render(report: dict, show_misses: bool = False) -> str:
    m = report["matcher"]
    lines = [
        f"FAQ {report['faq_version']}: {report['intents']} intents; dev set: {m['in_scope']} in scope, {m['out_of_scope']} out of scope; "
        f"tokenizer {report['tokenizer']}; index {report['index_build_ms']} ms; {report['ms_per_enquiry']} ms/enquiry",
        *(
            [f"note: intents/model.yaml was calibrated on FAQ {report['calibrated_on']}; re-run `python -m intents.calibrate --write` after FAQ changes"]
            if report.get("calibrated_on") and report["calibrated_on"] != report["faq_version"]
            else []
        ),
        "",
        f"{'':26} {'top-1':>7} {'top-3':>7} {'OOS rej.':>9} {'answered ok':>12} {'answered wrong':>15} {'clarify':>8} {'rank top-1':>11}",
        _row("hybrid matcher", m),
    ]
    if report.get("legacy_policy"):
        lines.append(_row("old decision policy", report["legacy_policy"]))
    for name, b in report.get("baselines", {}).items():
        lines.append(_row(f"{name} (t={b['threshold']:.2f})", b, clarify=False))
    if report.get("dialogues"):
        lines += ["", f"dialogues ({DIALOGUES.name}):", f"  {'':34} {'follow-ups right':>17} {'complete = alone':>17}  by kind"]
        for part, runs in report["dialogues"].items():
            for name, label in (("context", "in context"), ("alone_legacy", "each turn alone, old policy")):
                d = runs[name]
                kinds = ", ".join(f"{k} {v['right'] * 100:.0f}% of {v['n']}" for k, v in d["by_follow"].items())
                lines.append(f"  {part + ' (' + str(d['dialogues']) + '), ' + label:34} {_pct(d['follow_up_right']):>17} {_pct(d['complete_same_as_alone']):>17}  {kinds}")
    if report.get("unknown_intents"):
        lines += ["", f"note: the dev set names {len(report['unknown_intents'])} intents the FAQ lacks: " + ", ".join(report["unknown_intents"][:12])]
    if m["by_style"]:
        lines += ["", "top-1 by style: " + ", ".join(f"{s or '-'} {_pct(v).strip()}" for s, v in m["by_style"].items())]
    if m.get("calibration"):
        cal = m["calibration"]
        lines += ["", f"confidence vs accuracy of the first-ranked intent (all enquiries; expected calibration error {cal['ece']:.3f}):"]
        lines += ["  " + "  ".join(f"{b['bin']}: {b['confidence']:.2f}/{b['accuracy']:.2f} (n={b['n']})" for b in cal["bins"])]
    if m["worst_intents"]:
        lines += ["", "worst intents (top-1):"] + [f"  {w['intent']:<40} {_pct(w['top1'])} of {w['n']}" for w in m["worst_intents"]]
    if m["confusions"]:
        lines += ["", "most frequent confusions (gold -> got):"] + [f"  {c['count']}x {c['gold']} -> {c['got']}" for c in m["confusions"]]
    if show_misses:
        lines += ["", "misses:"] + [f"  {x['q']}  gold={','.join(x['gold'])} got={x['got']} ({x['kind']})" for x in m["misses"]]
        lines += ["", "out-of-scope not rejected:"] + [f"  {x['q']}  [{x['oos']}] got={x['got']} ({x['kind']})" for x in m["oos_leaks"]]
    return "\n".join(lines)
