"""Issue 8: live FAQ reload with validation and the dev-set gate, operator edits from the
dashboard landing in the YAML, audited, reloaded and rolled back; the reload API for the CLI."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from test_web import TestClient

from bot.channels.web.app import create_app
from bot.channels.web.operator import reload_token
from bot.channels.web.passwords import hash_password
from bot.ops.faq_ops import FaqOperations
from bot.settings import load_settings
from bot.storage import open_database
from bot.storage.sqlite import Database
from intents.reload import reload_faq
from intents.respond import get_responder, use_faq_dir
from policy_faq.faq import FAQ_DIR

ORIGIN = {"origin": "http://testserver"}


@pytest.fixture
def faq_copy(tmp_path: Path) -> Iterator[Path]:
    directory = tmp_path / "faq"
    shutil.copytree(FAQ_DIR, directory)
    use_faq_dir(directory)
    yield directory
    use_faq_dir(None)


@pytest.fixture
def thanks_dev_set(tmp_path: Path) -> Path:
    """A dev set the current FAQ surely answers (its own thanking questions): the gate, not the
    matcher, is under test here."""
    items = [{"q": q, "intents": ["chat-thanks"], "style": "zh"} for q in ("谢谢你", "多谢", "感谢")]
    path = tmp_path / "dev.yaml"
    path.write_text(yaml.safe_dump(items, allow_unicode=True), encoding="utf-8")
    return path


def test_a_broken_file_is_refused_and_the_old_faq_keeps_answering(faq_copy: Path) -> None:
    before = get_responder()
    answer = before.respond("海外仓费用高新区补多少")
    (faq_copy / "broken.yaml").write_text("intents:\n  - id: Bad Id\n    title: x\n", encoding="utf-8")

    outcome = reload_faq(faq_copy)

    assert not outcome.ok and "未通过校验" in outcome.reason and "broken.yaml" in outcome.reason
    assert get_responder() is before and outcome.version == before.faq.version
    assert get_responder().respond("海外仓费用高新区补多少") == answer


def test_a_reload_that_drops_dev_set_accuracy_is_refused(faq_copy: Path, thanks_dev_set: Path) -> None:
    before = get_responder()
    path = faq_copy / "conversation.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("id: chat-thanks", "id: chat-thanks-renamed"), "utf-8")

    outcome = reload_faq(faq_copy, dev_set=thanks_dev_set)

    assert not outcome.ok, outcome
    assert outcome.previous_top1 == 1.0 and outcome.top1 == 0.0 and "降到" in outcome.reason
    assert get_responder() is before


def test_a_good_reload_swaps_the_faq_and_logs_its_version(faq_copy: Path, thanks_dev_set: Path) -> None:
    old = get_responder().faq.version
    path = faq_copy / "conversation.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("祝生意兴隆！", "祝生意兴隆，欢迎再来！"), "utf-8")

    outcome = reload_faq(faq_copy, dev_set=thanks_dev_set)

    assert outcome.ok and outcome.previous_version == old and outcome.version != old
    reply = get_responder().respond("拜拜")
    assert "欢迎再来" in reply.answer and reply.faq_version == outcome.version


@pytest.fixture
def dashboard(faq_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    entries = [f"olga:operator:{hash_password('op-pass-123', 1000)}", f"sam:staff:{hash_password('st-pass-123', 1000)}"]
    monkeypatch.setenv("CBEC_STAFF_USERS", ";".join(entries))
    monkeypatch.setenv("CBEC_SECRET", "a-real-secret-for-tests")
    monkeypatch.setenv("CBEC_DB", str(tmp_path / "ops.db"))
    settings = load_settings()
    with TestClient(create_app(settings)) as client:
        yield client, settings


def _login(client: TestClient, name: str, password: str) -> None:
    response = client.post("/staff/login", data={"name": name, "password": password, "next": "/staff/faq"},
                           headers=ORIGIN, follow_redirects=False)  # fmt: skip
    assert response.status_code == 303


def test_operator_adds_a_question_from_the_dashboard_then_rolls_it_back(dashboard, faq_copy: Path) -> None:
    client, settings = dashboard
    question = "仓库在海外的租金高新区管不管"
    original = (faq_copy / "dalian-gxq-2026.yaml").read_text(encoding="utf-8")
    _login(client, "olga", "op-pass-123")

    page = client.get(f"/staff/faq?q={question}&intent=gxq-overseas-warehouse-subsidy")
    assert page.status_code == 200 and question in page.text

    response = client.post("/staff/faq/question", data={"intent": "gxq-overseas-warehouse-subsidy", "question": question},
                           headers=ORIGIN)  # fmt: skip
    assert response.status_code == 200, response.text
    changed = (faq_copy / "dalian-gxq-2026.yaml").read_text(encoding="utf-8")
    assert f"- {question}" in changed and changed.splitlines()[0] == original.splitlines()[0]  # comments kept
    reply = get_responder().respond(question)
    assert reply.intent == "gxq-overseas-warehouse-subsidy" and reply.faq_version in response.text

    db = Database(settings.db)
    try:
        rows = db.query("SELECT id, user, action, intent, outcome, before, after FROM faq_audit ORDER BY id")
    finally:
        db.close()
    assert [(r["user"], r["action"], r["intent"], r["outcome"]) for r in rows] == [
        ("olga", "add-question", "gxq-overseas-warehouse-subsidy", "applied")
    ]
    assert rows[0]["before"] == original and question in rows[0]["after"]

    response = client.post(f"/staff/faq/rollback/{rows[0]['id']}", headers=ORIGIN)  # asks first
    assert "确认回滚" in response.text and f"- {question}" in (faq_copy / "dalian-gxq-2026.yaml").read_text(encoding="utf-8")
    response = client.post(f"/staff/faq/rollback/{rows[0]['id']}", data={"confirm": "1"}, headers=ORIGIN)
    assert response.status_code == 200 and "回滚" in response.text, re.search(r'id="faq-message"[^>]*>([^<]*)', response.text)
    assert (faq_copy / "dalian-gxq-2026.yaml").read_text(encoding="utf-8") == original
    assert question not in {q for i in get_responder().faq.intents for q in i.intent.questions}


def test_staff_may_look_but_not_change(dashboard, faq_copy: Path) -> None:
    client, _ = dashboard
    _login(client, "sam", "st-pass-123")
    original = (faq_copy / "dalian-gxq-2026.yaml").read_text(encoding="utf-8")
    response = client.post("/staff/faq/question", data={"intent": "gxq-overseas-warehouse-subsidy", "question": "随便问问"},
                           headers=ORIGIN)  # fmt: skip
    assert response.status_code == 403 and "只有运维人员" in response.text
    assert (faq_copy / "dalian-gxq-2026.yaml").read_text(encoding="utf-8") == original


def test_a_refused_edit_changes_nothing_and_says_why(dashboard, faq_copy: Path) -> None:
    client, _ = dashboard
    _login(client, "olga", "op-pass-123")
    version = get_responder().faq.version
    fields = {"title": "新问题", "answer": "答复内容足够长的一段话。", "clauses": "nowhere:1",
              "questions": "\n".join(f"问法{i}" for i in range(8)), "topic": "税收"}  # fmt: skip
    response = client.post("/staff/faq/intent", data=fields, headers=ORIGIN)
    assert response.status_code == 422 and "条款“nowhere:1”不存在" in response.text
    assert not (faq_copy / "operator-added.yaml").exists() and get_responder().faq.version == version


def test_the_reload_api_needs_the_token(dashboard) -> None:
    client, settings = dashboard
    assert client.post("/staff/api/reload", headers={"authorization": "Bearer wrong"}).status_code == 401
    response = client.post("/staff/api/reload", headers={"authorization": f"Bearer {reload_token(settings)}"})
    assert response.status_code == 200 and response.json()["ok"] is True
    assert response.json()["version"] == get_responder().faq.version
    assert 'cbec_faq_reloads_total{outcome="applied"} 1.0' in client.get("/metrics").text


def test_operations_record_refused_reloads(db_target, faq_copy: Path) -> None:
    db = open_database(db_target)
    try:
        (faq_copy / "broken.yaml").write_text("intents: [", encoding="utf-8")
        outcome = FaqOperations(db, faq_copy).reload("olga")
        assert not outcome.ok
        assert db.query("SELECT action, outcome FROM faq_audit") == [{"action": "reload", "outcome": "refused"}]
    finally:
        db.close()


def test_metrics_count_enquiries_by_kind_and_channel(dashboard) -> None:
    client, _ = dashboard
    assert client.post("/api/chat", json={"session": "metrics-test-1", "text": "你好"}).status_code == 200
    text = client.get("/metrics").text
    assert 'cbec_enquiries_total{channel="web",kind="smalltalk"} 1.0' in text or (
        'cbec_enquiries_total{kind="smalltalk",channel="web"} 1.0' in text
    ), text
    assert 'cbec_handling_seconds_count{channel="web"} 1.0' in text
    assert "cbec_log_queue_depth" in text and "cbec_open_handoffs" in text



def test_a_publication_overtaken_by_a_newer_one_is_not_followed(tmp_path: Path, faq_copy: Path) -> None:
    """A replica's follower read version 1, then an edit here published version 2 (a rollback,
    say) before the follower got the edit lock: version 1's files must not undo version 2."""
    from bot.ops import faq_sync
    from intents.reload import ReloadOutcome

    with open_database(tmp_path / "sync.db") as db:
        ops = FaqOperations(db, faq_copy, reload=lambda: ReloadOutcome(True, "已加载", "v1", "v0"))
        first = faq_sync.publish(db, faq_copy, "v1", "olga", "2026-11-30T00:00:00.000Z")
        faq_sync.publish(db, faq_copy, "v2", "olga", "2026-11-30T00:00:01.000Z")  # put live here since
        name = next(faq_copy.glob("*.yaml")).name
        before = (faq_copy / name).read_text(encoding="utf-8")
        assert ops.follow({name: "intents: []\n"}, published={"id": first, "version": "v1"}) is None
        assert (faq_copy / name).read_text(encoding="utf-8") == before
