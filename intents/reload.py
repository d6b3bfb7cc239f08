"""Live FAQ reload: validate, evaluate on the dev set, then swap the responder in one step.

The new FAQ is built completely beside the old one; only when it validates and its dev-set
top-1 has not dropped by more than ``MAX_TOP1_DROP`` does ``swap_responder`` replace the
process-wide responder (one assignment under a lock), so no enquiry is ever answered from a
half-loaded FAQ. A refused reload leaves the old FAQ answering and says why.
"""

from __future__ import annotations

import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from intents.evaluate import DEV_SET, load_dev_set, run_matcher, score
from intents.respond import Responder, faq_dir, get_responder, swap_responder
from policy_faq.corpus import refresh_corpus
from policy_faq.faq import COVERAGE_FILE, FaqError, load_faq
from policy_faq.validate import validate

MAX_TOP1_DROP = 0.02  # two points of dev-set top-1: more is a regression an operator must see
_one_at_a_time = threading.Lock()
_top1_cache: dict[tuple[str, str, int], float] = {}


@dataclass(frozen=True)
class ReloadOutcome:
    ok: bool
    reason: str  # Chinese, shown to the operator
    version: str  # the FAQ version answering after the call
    previous_version: str
    top1: float | None = None  # dev-set top-1 of the candidate
    previous_top1: float | None = None
    intents: int = 0
    seconds: float = 0.0

    def as_dict(self) -> dict:
        return asdict(self)


def dev_set_top1(responder: Responder, dev_set: Path = DEV_SET) -> float | None:
    """Top-1 on the dev set (cached per FAQ version and dev-set file: the same pair always scores the same)."""
    if not dev_set.exists():
        return None
    key = (responder.faq.version, str(dev_set), dev_set.stat().st_mtime_ns)
    if key not in _top1_cache:
        items = load_dev_set(dev_set)
        _top1_cache[key] = score(items, run_matcher(responder, items))["top1"]
    return _top1_cache[key]


def reload_faq(
    directory: Path | None = None, coverage_file: Path = COVERAGE_FILE, dev_set: Path = DEV_SET, force_eval: bool = True
) -> ReloadOutcome:
    started = time.perf_counter()
    directory = directory or faq_dir()
    with _one_at_a_time:
        current = get_responder()
        old = current.faq.version

        def refused(reason: str, **figures) -> ReloadOutcome:
            return ReloadOutcome(False, reason, old, old, seconds=time.perf_counter() - started, **figures)

        refresh_corpus()  # a document added or edited beside the FAQ (policy add): read it first
        report = validate(directory, coverage_file)
        if report.errors:
            return refused(f"新FAQ未通过校验({len(report.errors)}处错误),仍使用原FAQ:" + ";".join(report.errors[:3]))
        try:
            faq = load_faq(directory)
        except FaqError as error:
            return refused(f"新FAQ无法加载,仍使用原FAQ:{error}")
        if faq.version == old:
            return ReloadOutcome(True, "FAQ没有变化,无需重新加载。", old, old, intents=len(faq.intents),
                                 seconds=time.perf_counter() - started)  # fmt: skip
        candidate = Responder(faq).warm()  # its first users wait for nothing that loads lazily
        before = dev_set_top1(current, dev_set) if force_eval else None
        after = dev_set_top1(candidate, dev_set) if force_eval else None
        if before is not None and after is not None and after < before - MAX_TOP1_DROP:
            return refused(
                f"新FAQ在开发集上的首选准确率从{before:.1%}降到{after:.1%}(降幅超过{MAX_TOP1_DROP:.0%}),已拒绝,仍使用原FAQ。",
                top1=after, previous_top1=before, intents=len(faq.intents),
            )  # fmt: skip
        swap_responder(candidate)
        return ReloadOutcome(
            True, f"已加载新FAQ:{len(faq.intents)}个意图。", faq.version, old, after, before, len(faq.intents),
            time.perf_counter() - started,
        )  # fmt: skip
