"""The dialogue set (tests/data/dialogues.yaml) is big and varied enough to mean something, names
real intents, and keeps a blind hold-out part; the context core holds its measured floor on it."""

from __future__ import annotations

from collections import Counter

import pytest
import yaml

from intents.dialogues import COMPLETE, DIALOGUES, FOLLOW_UPS, load_dialogues, score
from intents.respond import get_responder

KINDS = {"answer", "calculation", "checklist"}


@pytest.fixture(scope="module")
def dialogues():
    return load_dialogues()


def test_size_and_kinds(dialogues) -> None:
    follows = Counter(t.follow for d in dialogues for t in d.turns)
    assert len(dialogues) >= 120
    assert sum(follows[k] for k in FOLLOW_UPS) >= 250
    assert set(follows) == set(FOLLOW_UPS) | set(COMPLETE)
    assert all(follows[k] >= 5 for k in FOLLOW_UPS)
    assert follows["switch"] >= 20
    parts = Counter(d.part for d in dialogues)
    assert set(parts) == {"dev", "holdout"} and parts["holdout"] >= 40


def test_every_turn_is_well_formed(dialogues) -> None:
    known = set(get_responder().by_id)
    ids = [d.id for d in dialogues]
    assert len(ids) == len(set(ids))
    for dialogue in dialogues:
        assert 2 <= len(dialogue.turns) <= 6 and dialogue.turns[0].follow == "new", dialogue.id
        for turn in dialogue.turns:
            if turn.follow in ("oos", "expired"):
                assert not turn.intents, (dialogue.id, turn.q)
            else:
                assert turn.intents and set(turn.intents) <= known, (dialogue.id, turn.q)
            assert turn.kind in (None, *KINDS), (dialogue.id, turn.q)
            if turn.follow == "expired":
                assert turn.after_minutes > 30, (dialogue.id, turn.q)


def test_the_raw_file_has_only_known_keys() -> None:
    for entry in yaml.safe_load(DIALOGUES.read_text(encoding="utf-8")):
        assert set(entry) <= {"id", "part", "region", "turns"}
        for turn in entry["turns"]:
            assert set(turn) <= {"q", "follow", "intents", "kind", "oos", "after_minutes", "expect_no_context"}


def test_follow_ups_answered_right_do_not_fall_below_the_measured_floor(dialogues) -> None:
    """Floors just under the figures measured on 2026-11-30 with the dv5 and dv6 batches in (dev
    90.0%, hold-out 87.7% of follow-up turns right; complete questions as alone 95.0% and 100%: on
    dev, 4 of the 10 that differ are right in context and wrong alone)."""
    responder = get_responder()
    dev = score(responder, [d for d in dialogues if d.part == "dev"])
    holdout = score(responder, [d for d in dialogues if d.part == "holdout"])
    assert dev["follow_up_right"] >= 0.89 and dev["complete_same_as_alone"] >= 0.94, dev["by_follow"]
    assert holdout["follow_up_right"] >= 0.86 and holdout["complete_same_as_alone"] >= 0.92, holdout["by_follow"]
    alone = score(responder, [d for d in dialogues if d.part == "dev"], with_context=False)
    assert dev["follow_up_right"] - alone["follow_up_right"] >= 0.3  # each turn alone: the context adds that much
