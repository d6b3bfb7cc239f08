"""Operator edits land in the YAML with formatting and comments kept, and bad edits are refused."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from policy_faq.editor import NEW_INTENTS_FILE, EditRefused, add_intent, add_question, restore
from policy_faq.faq import FAQ_DIR, load_faq


@pytest.fixture
def faq_dir(tmp_path: Path) -> Path:
    copy = tmp_path / "faq"
    shutil.copytree(FAQ_DIR, copy)
    return copy


def intent_file(faq_dir: Path, intent_id: str) -> Path:
    for path in faq_dir.glob("*.yaml"):
        if f"id: {intent_id}\n" in path.read_text(encoding="utf-8"):
            return path
    raise AssertionError(intent_id)


def test_added_question_lands_in_the_file_and_keeps_comments(faq_dir: Path) -> None:
    path = intent_file(faq_dir, "gxq-overseas-warehouse-subsidy")
    before = path.read_text(encoding="utf-8")
    edit = add_question("gxq-overseas-warehouse-subsidy", "  海外仓租金  一年能报多少 ", faq_dir)
    after = path.read_text(encoding="utf-8")
    assert edit.before == before and edit.after == after
    assert "      - 海外仓租金 一年能报多少\n" in after
    # Only the new line differs: comments, folding and order are untouched.
    assert [line for line in after.splitlines() if line not in before.splitlines()] == ["      - 海外仓租金 一年能报多少"]
    intent = load_faq(faq_dir, strict=False).by_id()["gxq-overseas-warehouse-subsidy"]
    assert intent.questions[-1] == "海外仓租金 一年能报多少"


def test_question_already_used_elsewhere_is_refused(faq_dir: Path) -> None:
    other = next(i for i in load_faq(faq_dir, strict=False).intents if i.intent.id != "gxq-overseas-warehouse-subsidy")
    path = intent_file(faq_dir, "gxq-overseas-warehouse-subsidy")
    before = path.read_text(encoding="utf-8")
    with pytest.raises(EditRefused, match=f"与「{other.intent.title}」已有的问法"):
        add_question("gxq-overseas-warehouse-subsidy", other.intent.questions[0], faq_dir)
    assert path.read_text(encoding="utf-8") == before


def test_the_same_question_twice_or_nearly_so_is_refused_naming_the_intent(faq_dir: Path) -> None:
    intent = load_faq(faq_dir, strict=False).by_id()["gxq-overseas-warehouse-subsidy"]
    path = intent_file(faq_dir, "gxq-overseas-warehouse-subsidy")
    before = path.read_text(encoding="utf-8")
    with pytest.raises(EditRefused, match=f"与「{intent.title}」已有的问法「{intent.questions[0]}」相同"):
        add_question("gxq-overseas-warehouse-subsidy", intent.questions[0], faq_dir)  # the same intent
    with pytest.raises(EditRefused, match="几乎相同"):
        add_question("gxq-overseas-warehouse-subsidy", intent.questions[0] + "呀", faq_dir)  # one character more
    assert path.read_text(encoding="utf-8") == before


def test_unknown_intent_and_empty_question_are_refused(faq_dir: Path) -> None:
    with pytest.raises(EditRefused, match="找不到意图"):
        add_question("no-such-intent", "问题", faq_dir)
    with pytest.raises(EditRefused, match="问题是空的"):
        add_question("gxq-overseas-warehouse-subsidy", "   ", faq_dir)


def test_new_intent_is_written_validated_and_can_be_rolled_back(faq_dir: Path) -> None:
    questions = [f"高新区展会补贴问题{i}" for i in range(8)]
    edit = add_intent(
        "op-test-intent", "测试意图", "参展活动给予50%资金支持（征求意见稿，可能调整）。",
        ["dalian-gxq-2026:10"], questions, "补贴申报", "dalian-gxq", faq_dir,
    )
    assert edit.file == NEW_INTENTS_FILE and edit.before == ""
    assert load_faq(faq_dir, strict=False).by_id()["op-test-intent"].sources == ("dalian-gxq-2026:10",)
    restore(edit.file, edit.before, edit.intent, faq_dir)
    assert not (faq_dir / NEW_INTENTS_FILE).exists()
    assert "op-test-intent" not in load_faq(faq_dir, strict=False).by_id()


def test_new_intent_citing_a_missing_clause_or_hiding_the_draft_is_refused(faq_dir: Path) -> None:
    questions = [f"某个问题{i}" for i in range(8)]
    with pytest.raises(EditRefused, match="条款“dalian-gxq-2026:99”不存在"):
        add_intent("op-bad", "坏意图", "答案内容足够长，说明了依据和联系方式。", ["dalian-gxq-2026:99"], questions, "补贴申报", "dalian-gxq", faq_dir)
    with pytest.raises(EditRefused, match="征求意见稿") as refused:
        add_intent("op-bad", "坏意图", "参展给予50%支持,每年最高30万元。", ["dalian-gxq-2026:10"], questions, "补贴申报", "dalian-gxq", faq_dir)
    # in Chinese for the operator, without file names or the validator's English
    assert not re.search(r"[A-Za-z]{4,}|\.yaml", str(refused.value)), refused.value
    assert not (faq_dir / NEW_INTENTS_FILE).exists()


def test_rollback_of_an_added_question(faq_dir: Path) -> None:
    path = intent_file(faq_dir, "gxq-overseas-warehouse-subsidy")
    original = path.read_text(encoding="utf-8")
    edit = add_question("gxq-overseas-warehouse-subsidy", "仓库补贴能拿几年", faq_dir)
    restore(edit.file, edit.before, edit.intent, faq_dir)
    assert path.read_text(encoding="utf-8") == original
