"""The matcher's development set (tests/data/dev_set.yaml) is big, varied, names real intents
and is not copied from the FAQ questions, so the accuracy measured on it means something."""

from __future__ import annotations

from collections import Counter

import pytest
import yaml
from rapidfuzz import fuzz, process

from intents.evaluate import DEV_SET, Item, load_dev_set
from intents.normalize import normalize
from policy_faq.faq import FAQ_DIR, load_faq

# Every FAQ file the dev set draws on; until all exist, intent names cannot all be checked.
FAQ_FILES = (
    "conversation.yaml",
    "cross-topics.yaml",
    "dalian-gxq-2026.yaml",
    "dalian-gxq-2026-apply.yaml",
    "liaoning-2026.yaml",
    "mofcom-2024.yaml",
    "national-rules.yaml",
    "panjin-2020.yaml",
    "sichuan-2024.yaml",
    "yingkou-2020.yaml",
)
STYLES = {"zh", "colloquial", "keywords", "en", "zh-hant", "typo", "slang"}
OOS = {"near-domain", "general-gov", "chit-chat", "other-business", "nonsense"}
REGIONS = {"dalian-gxq", "liaoning", "yingkou", "panjin", "sichuan", "other"}
NEAR_COPY = 80  # fuzz.ratio on normalised text at or above this is a copy of an FAQ question


PENDING = DEV_SET.with_name("dev_set_pending.yaml")


def _pending() -> list[dict]:
    """Enquiries written before their FAQ intents existed (labelled by clause, see resolve_dev_set.py)."""
    return (
        (yaml.safe_load(PENDING.read_text(encoding="utf-8")) or {}).get("items") or []
        if PENDING.exists()
        else []
    )


@pytest.fixture(scope="module")
def items() -> list[Item]:
    """The dev set and the enquiries still waiting for their intents: the targets hold for both."""
    waiting = [
        Item(str(e["q"]), tuple(e.get("intents") or ()) + ("(pending)",), None, e["style"], e.get("region"))
        for e in _pending()
    ]
    return load_dev_set(DEV_SET) + waiting


def _missing_faq_files() -> list[str]:
    return [name for name in FAQ_FILES if not (FAQ_DIR / name).exists()]


def test_the_dev_set_is_big_and_varied(items: list[Item]) -> None:
    styles = Counter(item.style for item in items)
    assert len(items) >= 320
    assert sum(1 for item in items if item.oos) >= 70
    assert styles["en"] + styles["zh-hant"] + styles["typo"] >= 40, styles
    assert styles["keywords"] >= 15 and styles["slang"] >= 5, styles
    assert set(styles) <= STYLES, set(styles) - STYLES


def test_every_item_is_either_in_scope_or_out_of_scope(items: list[Item]) -> None:
    for item in items:
        assert bool(item.intents) != bool(item.oos), item
        assert item.oos is None or item.oos in OOS, item
        assert item.region is None or item.region in REGIONS, item
    assert {item.oos for item in items if item.oos} == OOS


def test_no_enquiry_appears_twice(items: list[Item]) -> None:
    seen = Counter(normalize(item.q) for item in items)
    assert [q for q, n in seen.items() if n > 1] == []


def test_no_enquiry_is_a_near_copy_of_an_faq_question(items: list[Item]) -> None:
    questions = [normalize(q) for loaded in load_faq(strict=False).intents for q in loaded.intent.questions]
    copies = []
    for item in items:
        hit = process.extractOne(normalize(item.q), questions, scorer=fuzz.ratio, score_cutoff=NEAR_COPY)
        if hit:
            copies.append((item.q, hit[0], round(hit[1])))
    assert copies == []


def test_every_named_intent_exists_and_every_intent_is_named(items: list[Item]) -> None:
    missing_files = _missing_faq_files()
    if missing_files:
        pytest.skip(f"the FAQ is still being written: {', '.join(missing_files)} not there yet")
    assert [e["q"] for e in _pending()] == [], (
        "run tests/data/resolve_dev_set.py (add aliases for cross:/national: labels)"
    )
    known = set(load_faq().by_id())
    named = Counter(intent for item in items for intent in item.intents)
    assert sorted(set(named) - known) == [], "the dev set names intents the FAQ does not have"
    assert sorted(known - set(named)) == [], "FAQ intents no dev-set enquiry names"


def test_local_and_cross_topic_intents_are_asked_two_to_six_times(items: list[Item]) -> None:
    if _missing_faq_files():
        pytest.skip("the FAQ is still being written")
    first = Counter(item.intents[0] for item in items if item.intents)
    for intent in load_faq().by_id():
        if intent.startswith(("gxq-", "x-")):
            assert 2 <= first[intent] <= 6, (intent, first[intent])


def test_out_of_scope_training_texts_are_not_copies_of_measured_enquiries() -> None:
    """reject_train.yaml (naive Bayes' reject class, the nearest-neighbour feature) and
    calibration_oos.yaml (the fit) must not hold the dev or hold-out enquiries, nor near-copies:
    the measured rejection would then be recall, not generalisation."""
    from pathlib import Path

    from intents.calibrate import load_oos_set
    from intents.matcher import load_reject_texts

    measured = [normalize(item.q) for item in load_dev_set(DEV_SET) + load_dev_set(Path(DEV_SET).with_name("holdout_set.yaml"))]
    close = []
    for text in (*load_reject_texts(), *load_oos_set()):
        best = process.extractOne(normalize(text), measured, scorer=fuzz.ratio)
        if best and best[1] >= 75:
            close.append((text, best[0], round(best[1])))
    assert close == []
