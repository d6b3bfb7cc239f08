"""The one entry every channel uses: ``Responder(faq).respond(text, region) -> Reply``.

Decision by calibrated confidence (thresholds in ``intents/model.yaml``):

- an out-of-scope cue fires (``out_of_scope.yaml``)           -> ``fallback`` saying why;
- top intent confident (>= thresholds.answer):
  smalltalk / handoff intents                                  -> ``smalltalk`` / ``handoff``;
  action ``calc:<item>`` and the enquiry carries an amount     -> ``calculation``;
  action with a checklist and the enquiry asks for materials   -> ``checklist``;
  otherwise                                                    -> ``answer``;
- in between (>= thresholds.clarify)                           -> ``clarify`` with up to 3 suggestions;
- no intent, but a clause explains the enquiry well (>= thresholds.excerpt) -> ``excerpt``;
- nothing                                                      -> ``fallback`` (what we cover, 转人工).
"""

from __future__ import annotations

import gc
import logging
import re
import threading
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path
from typing import Any

from intents.matcher import REGIONS, Match, Matcher, tidy
from intents.normalize import canonical, key_terms, tokens
from policy_faq.faq import Faq, Intent

MAX_CHARS = 2000
CACHE_SIZE = 4096
COVERAGE = (
    "我可以解答跨境电商政策方面的问题,例如:大连高新区跨境电商扶持政策(产业园、海外仓、国际通道、商标专利认证、"
    "海外推广、独立站、展会、首单滞销风险补偿等补贴的标准和申报),辽宁省、四川省跨境电商行动方案,营口、盘锦综试区实施方案,"
    "商务部等9部门海外仓意见,以及9610/9710/9810/1210通关模式、无票免税、4%核定征收、外汇名录登记等全国性规定。"
)
HANDOFF_OFFER = "如需人工帮助,请回复\"转人工\",工作人员会尽快联系您。"
MATERIALS_CUE = re.compile(r"材料|清单|准备什么|要准备|需要准备|提交什么|需要提交|要交|交什么|带什么|哪些文件|什么文件|什么资料|流程|手续|怎么申报|如何申报|申报步骤|checklist")
CLAUSE_NAMES = {"preamble": "前言", "scope": "适用范围", "annex": "附则", "general": "总体要求", "closing": "组织实施"}
SENTENCE = re.compile(r"[^。；;!?！？\n]+[。；;!?！？]?")


@dataclass(frozen=True)
class Suggestion:
    intent: str
    title: str
    confidence: float


@dataclass(frozen=True)
class Reply:
    kind: str  # answer, clarify, excerpt, calculation, checklist, handoff, smalltalk, fallback
    intent: str | None
    confidence: float
    answer: str
    sources: tuple[str, ...] = ()
    suggestions: tuple[Suggestion, ...] = ()
    related: tuple[tuple[str, str], ...] = ()
    action: str | None = None
    calculation: dict | None = None
    faq_version: str = ""

    def as_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "intent": self.intent,
            "confidence": round(self.confidence, 3),
            "answer": self.answer,
            "sources": list(self.sources),
            "suggestions": [asdict(s) | {"confidence": round(s.confidence, 3)} for s in self.suggestions],
            "related": [{"intent": i, "title": t} for i, t in self.related],
            "action": self.action,
            "calculation": self.calculation,
            "faq_version": self.faq_version,
        }


# --- source lines -----------------------------------------------------------------------------
def clause_label(clause_id: str) -> str:
    if clause_id.isdigit():
        return f"第{clause_id}条"
    if clause_id in CLAUSE_NAMES:
        return CLAUSE_NAMES[clause_id]
    if clause_id.startswith("closing."):
        return f"组织保障第{clause_id.split('.', 1)[1]}项"
    return f"第{clause_id}项"


def document_label(ref: str) -> str:
    from policy_faq.corpus import document_of

    doc = document_of(ref)
    title = doc.title
    place = doc.jurisdiction.removesuffix("省").removesuffix("市")
    if doc.jurisdiction != "全国" and place and place not in title:
        title = doc.jurisdiction + title  # 四川省关于推动跨境电商…: the title alone does not say where
    if doc.status == "draft":
        return f"{title}(征求意见稿)"
    if doc.status == "historical":
        return f"{title}(历史文件({doc.period or '2020—2022年'}))"
    return title


def source_line(refs: tuple[str, ...]) -> str:
    """「依据: 大连高新区…若干政策(征求意见稿) 第5条、适用范围」; documents separated by ；."""
    from policy_faq.corpus import clauses_by_ref

    known = clauses_by_ref()
    groups: dict[str, list[str]] = {}
    for ref in refs:
        if ref not in known:
            continue
        groups.setdefault(ref.split(":", 1)[0], []).append(ref)
    if not groups:
        return ""
    parts = [f"{document_label(group[0])} {'、'.join(clause_label(r.split(':', 1)[1]) for r in group)}" for group in groups.values()]
    return "依据: " + "；".join(parts)


def expiry_note(refs: tuple[str, ...], today: date | None) -> str:
    """A warning when a cited document (not a historical one) is past its ``valid_until``."""
    from policy_faq.corpus import clauses_by_ref, document_of

    today = today or date.today()
    notes = []
    for ref in refs:
        if ref not in clauses_by_ref():
            continue
        doc = document_of(ref)
        if doc.status != "historical" and doc.valid_until and date.fromisoformat(doc.valid_until) < today:
            note = f"注意: {doc.title}的有效期至{doc.valid_until},已过期,请向主管部门确认现行政策。"
            if note not in notes:
                notes.append(note)
    return "\n".join(notes)


def excerpt_text(clause_text: str, query: str, limit: int = 180) -> str:
    """The sentences of a clause that share most with the enquiry, in order, within ``limit`` chars."""
    flat = clause_text.replace("\n", "")
    if len(flat) <= limit:
        return flat
    sentences = SENTENCE.findall(flat)
    wanted = {t for t in tokens(query) if len(t) > 1}
    scored = sorted(
        range(len(sentences)),
        key=lambda i: -len(wanted & {t for t in tokens(canonical(sentences[i])) if len(t) > 1}),
    )
    chosen: list[int] = []
    length = 0
    for i in scored:
        if length + len(sentences[i]) > limit and chosen:
            continue
        chosen.append(i)
        length += len(sentences[i])
        if length >= limit * 0.6:
            break
    chosen.sort()
    pieces, previous = [], -1
    for i in chosen:
        if i != previous + 1:
            pieces.append("…")
        pieces.append(sentences[i][:limit])
        previous = i
    text = "".join(pieces)
    if previous != len(sentences) - 1:
        text += "…"
    return text


# --- calculators (issue 5) ---------------------------------------------------------------------
EVENTS = re.compile(r"(\d+|[一二两三四五六七八九十百]+)\s*(?:场|次|期|场次)")
POLICY_YEAR = re.compile(r"第\s*([123一二三])\s*年")
CHINESE_DIGITS = {"一": 1, "二": 2, "三": 3}


def run_calculation(action: str, text: str, today: date | None) -> tuple[str, dict] | str | None:
    """(rendered text, as_dict) for a calc action and a figure in the text; a str asks for RMB; None if n/a."""
    from calculators import amounts

    if not action.startswith("calc:"):
        return None
    item = action.split(":", 1)[1]
    try:
        if item == "training":  # counted in qualifying events, not yuan
            return _training(text, today)
        found = amounts.find_amounts(text)
    except amounts.ForeignCurrencyError:
        return "请用人民币金额说明(例如\"80万元\"),补贴按人民币计算。"
    if not found:
        return None
    try:
        result = _calculate(item, found, text, today)
    except (ValueError, KeyError):  # e.g. a negative amount: answer without a figure
        return None
    return result.text(), result.as_dict()


def _calculate(item: str, found: list, text: str, today: date | None):
    if item == "first-order":
        from calculators.first_order import compensate

        year = POLICY_YEAR.search(text)
        policy_year = int(CHINESE_DIGITS.get(year[1], year[1])) if year else 1
        return compensate(found, policy_year=policy_year, today=today)
    if item == "eit":
        from calculators.eit import deemed_profit_tax

        return deemed_profit_tax(found[0], small_low_profit=bool(re.search(r"小型微利|小微", text)), on=today)
    from calculators.subsidy import estimate

    return estimate({item: found[0]}, today=today)


def _training(text: str, today: date | None) -> tuple[str, dict] | None:
    from calculators.amounts import parse_count
    from calculators.subsidy import estimate

    match = EVENTS.search(text)
    count = parse_count(match[0]) if match else None
    if not count:
        return None
    result = estimate({}, today=today, events={"training": count})
    return result.text(), result.as_dict()


def checklist_text(checklist_id: str) -> str | None:
    try:
        from calculators.checklists import get_checklist
    except ImportError:
        return None
    try:
        return get_checklist(checklist_id).text()
    except Exception:  # noqa: BLE001 - unknown checklist id: answer without it
        return None


# --- the responder ----------------------------------------------------------------------------
class Responder:
    def __init__(self, faq: Faq, tokenizer: str | None = None, model: dict | None = None) -> None:
        self.faq = faq
        self.matcher = Matcher(faq, tokenizer=tokenizer, model=model)
        self.clauses = self.matcher.clauses
        self.thresholds = self.matcher.model["thresholds"]
        self.by_id: dict[str, Intent] = faq.by_id()
        # replies are immutable and depend only on (text, region, day): frequent enquiries are
        # answered from here (cleared when full; a swap_responder starts a fresh one)
        self._cache: dict[tuple, Reply] = {}
        # the calculators' items and the checklists load now, not in the first user's reply
        # (20-25 ms of YAML once per process)
        from calculators.checklists import load_checklists
        from calculators.items import load_items

        load_items()
        load_checklists()
        # the index is hundreds of thousands of long-lived objects: out of the collector's way,
        # a full collection no longer walks them in the middle of someone's enquiry (p99 1.9 -> 1.4
        # ms). Reference counting still frees an old index after a reload; only cycles would stay.
        gc.collect()
        gc.freeze()

    def _reply(self, kind: str, answer: str, intent: Intent | None = None, confidence: float = 0.0, **extra) -> Reply:
        related = tuple((r, self.by_id[r].title) for r in (intent.related if intent else ()) if r in self.by_id)
        return Reply(
            kind=kind,
            intent=intent.id if intent else None,
            confidence=max(0.0, min(1.0, confidence)),
            answer=answer,
            related=related,
            action=intent.action if intent else None,
            faq_version=self.faq.version,
            **extra,
        )

    def fallback(self, reason: str = "", confidence: float = 0.0) -> Reply:
        lead = reason or "抱歉,这个问题我还不能确定如何回答。"
        return self._reply("fallback", f"{lead}\n{COVERAGE}\n{HANDOFF_OFFER}", confidence=confidence)

    def respond(self, text: str | None, region: str | None = None, today: date | None = None) -> Reply:
        if text is None or not str(text).strip():
            return self.fallback("您好,请输入您想咨询的问题。")
        text = str(text)
        if len(text) > MAX_CHARS:
            return self.fallback(f"您的问题有{len(text)}个字,超过了{MAX_CHARS}字的上限,请简要说明您想咨询的政策问题。")
        if region not in REGIONS:
            region = None
        key = (text, region, today or date.today())
        reply = self._cache.get(key)
        if reply is None:
            reply = self.decide(text, self.matcher.rank(text, region=region), today)
            if len(self._cache) >= CACHE_SIZE:
                self._cache.clear()
            self._cache[key] = reply
        return reply

    def respond_intent(self, intent_id: str, text: str = "", today: date | None = None) -> Reply:
        """The answer of a known intent (a suggestion button was pressed); fallback if unknown.

        ``text`` is the user's original enquiry, if any, so that an amount in it still gets a
        calculation."""
        intent = self.by_id.get(intent_id)
        if intent is None:
            return self.fallback()
        return self._answer(text or intent.title, intent, 1.0, today)

    def decide(self, text: str, match: Match, today: date | None = None) -> Reply:
        t = self.thresholds
        if match.out_of_scope:
            return self.fallback(match.out_of_scope["reply"])
        top = match.top
        if top is None or not match.text:
            return self._excerpt_or_fallback(match)
        intent = self.by_id[top.intent]
        if match.informative <= 1 and top.features.get("fuzz", 0.0) < 0.8:
            # one meaningful character (好, 嗯, ok): only a near-exact question may answer it
            return self.fallback(confidence=top.confidence * 0.3)
        # 海外仓 alone: ask which aspect; 80万 alone names no item, so no estimate is guessed
        bare = (match.bare_topic or bool(BARE_AMOUNT.fullmatch(match.text))) and intent.kind == "policy"
        if top.confidence >= t["answer"] and not bare:
            return self._answer(text, intent, top.confidence, today)
        if self._in_scope(match) or bare:
            # small talk is never offered as a choice; a hand-off is (转人工 is a fair option)
            offered = [c for c in match.candidates[:3] if c.kind != "smalltalk" and (c is top or c.confidence >= t["suggestion"] or bare)]
            if offered:
                suggestions = tuple(Suggestion(c.intent, c.title, round(c.confidence, 4)) for c in offered)
                lines = [f"{i}. {s.title}" for i, s in enumerate(suggestions, 1)]
                answer = "您想咨询的是不是以下问题?请回复序号或换个说法:\n" + "\n".join(lines) + "\n" + HANDOFF_OFFER
                first = self.by_id[offered[0].intent]
                return self._reply("clarify", answer, intent=first, confidence=offered[0].confidence, suggestions=suggestions)
        return self._excerpt_or_fallback(match)

    def _in_scope(self, match: Match) -> bool:
        """Worth a question back: the scope model says the FAQ covers the enquiry (an ambiguous
        「跨境电商有哪些补贴」 is in scope though no single intent is sure), or, for a model without
        it, the top intent's confidence reaches ``clarify``."""
        t = self.thresholds
        if match.scope is not None and "scope" in t:
            return match.scope >= t["scope"] or match.confidence >= t["answer"]
        return match.confidence >= t["clarify"]

    def _clause_outside(self, match: Match) -> Reply | None:
        """An excerpt when a clause explains the whole enquiry (score >= ``excerpt_strong``) and
        none of the suggested intents cites it."""
        if not key_terms(match.text):
            return None
        hits = self.clauses.search(match.text, limit=1, region=match.region)
        if not hits or hits[0].score < self.thresholds.get("excerpt_strong", 0.9):
            return None
        cited = {ref for c in match.candidates[:3] for ref in self.by_id[c.intent].sources}
        if hits[0].ref in cited or not self.clauses.shares_key_term(hits[0].ref, match.text):
            return None
        return self._excerpt(hits[0], match)

    def _excerpt(self, hit, match: Match) -> Reply:
        from policy_faq.corpus import get_clause

        ref = hit.ref
        quote = excerpt_text(get_clause(ref).text, match.text)
        answer = (
            "没有找到完全对应的问答。以下是相关条款的原文摘录,仅供参考,不是确认的答复:\n"
            f"【{ref}】{source_line((ref,)).removeprefix('依据: ')}\n「{quote}」\n{HANDOFF_OFFER}"
        )
        return self._reply("excerpt", answer, confidence=hit.score, sources=(ref,))

    def _excerpt_or_fallback(self, match: Match) -> Reply:
        top_confidence = match.confidence
        if match.text and key_terms(match.text):  # an excerpt needs a policy term, not just 企业/流程
            hits = self.clauses.search(match.text, limit=1, region=match.region)
            if hits and hits[0].score >= self.thresholds["excerpt"] and self.clauses.shares_key_term(hits[0].ref, match.text):
                return self._excerpt(hits[0], match)
        return self.fallback(confidence=top_confidence)

    def _answer(self, text: str, intent: Intent, confidence: float, today: date | None) -> Reply:
        if intent.kind in ("smalltalk", "handoff"):
            return self._reply(intent.kind, tidy(intent.answer), intent=intent, confidence=confidence)
        body = tidy(intent.answer)
        line = source_line(intent.sources)
        kind, calculation = "answer", None
        action = intent.action or ""
        if action.startswith("calc:"):
            result = run_calculation(action, text, today)
            if isinstance(result, str):
                body = f"{result}\n\n{body}"
            elif result is not None:
                kind, calculation = "calculation", result[1]
                body = f"{result[0].strip()}\n\n{body}"
        if kind == "answer" and MATERIALS_CUE.search(text):
            checklist_id = None
            if action.startswith("checklist:"):
                checklist_id = action.split(":", 1)[1]
            elif action.startswith("calc:"):
                checklist_id = "apply-" + action.split(":", 1)[1]
            listed = checklist_text(checklist_id) if checklist_id else None
            if listed:
                kind = "checklist"
                body = f"{listed.strip()}\n\n{body}"
        answer = body + (f"\n{line}" if line else "")
        expired = expiry_note(intent.sources, today)
        if expired:
            answer += f"\n{expired}"
        return self._reply(kind, answer, intent=intent, confidence=confidence, sources=tuple(intent.sources), calculation=calculation)


# an enquiry that is only an amount (80万, 5000元, 1.5亿): the topic must come from the user
BARE_AMOUNT = re.compile(r"(?:花了|投了|投入|大概|大约|约)?\d+(?:\.\d+)?(?:万|亿|千|元|块)*(?:元|块|人民币)?(?:左右)?")


# --- the process-wide responder ---------------------------------------------------------------
_lock = threading.Lock()
_current: Responder | None = None
_faq_dir: Path | None = None  # None: the FAQ shipped in the package (policy_faq/faq)


def use_faq_dir(directory: Path | None) -> None:
    """Answer from the FAQ in ``directory`` (CBEC_FAQ_DIR) from now on."""
    global _faq_dir, _current
    with _lock:
        if directory != _faq_dir:
            _faq_dir, _current = directory, None


def faq_dir() -> Path:
    from policy_faq.faq import FAQ_DIR

    return _faq_dir or FAQ_DIR


def get_responder() -> Responder:
    """The current responder, built from ``load_faq()`` on first use."""
    global _current
    responder = _current
    if responder is not None:
        return responder
    with _lock:
        if _current is None:
            from policy_faq.faq import FaqError, load_faq

            try:
                faq = load_faq(faq_dir())
            except FaqError as error:  # answer from the valid files rather than not at all
                logging.getLogger(__name__).warning("FAQ has problems, loading the valid files only: %s", error)
                faq = load_faq(faq_dir(), strict=False)
            _current = Responder(faq)
        return _current


def swap_responder(new: Responder) -> Responder | None:
    """Replace the process-wide responder atomically; returns the previous one."""
    global _current
    with _lock:
        previous, _current = _current, new
    return previous
