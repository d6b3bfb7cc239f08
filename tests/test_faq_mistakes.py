"""Issue 16, 「Operator」: each mistake an operator could make, or was let make, on /staff/faq is
now refused or warned about. (「A fixed item stays in the queue」 is in tests/test_triage.py.)
The dashboard runs in-process with the real conversation core on a copy of the FAQ."""

from __future__ import annotations

import json
import re
from pathlib import Path

from test_faq_ops import ORIGIN, _login, dashboard, faq_copy  # noqa: F401 - fixtures

from bot.storage.sqlite import Database
from intents.respond import get_responder

WAREHOUSE = "gxq-overseas-warehouse-subsidy"
WAREHOUSE_FILE = "dalian-gxq-2026.yaml"


def message(response) -> str:
    found = re.search(r'id="faq-message"[^>]*>([^<]*)<', response.text)
    return found[1] if found else ""


def audit(settings) -> list[dict]:
    db = Database(settings.db)
    try:
        return db.query("SELECT id, action, intent, outcome, reason, rollback_of, change FROM faq_audit ORDER BY id")
    finally:
        db.close()


def test_adding_the_same_question_twice_is_refused_naming_the_intent(dashboard, faq_copy: Path) -> None:  # noqa: F811
    client, settings = dashboard
    _login(client, "olga", "op-pass-123")
    question = "仓库在海外的租金高新区管不管"
    first = client.post("/staff/faq/question", data={"intent": WAREHOUSE, "question": question, "confirm": "1"}, headers=ORIGIN)
    assert first.status_code == 200 and message(first).startswith("已生效")
    text = (faq_copy / WAREHOUSE_FILE).read_text(encoding="utf-8")
    again = client.post("/staff/faq/question", data={"intent": WAREHOUSE, "question": question + "？"}, headers=ORIGIN)
    assert again.status_code == 422
    assert f"「{question}？」与「高新区海外仓补贴」已有的问法「{question}」相同，没有添加" in message(again)
    assert (faq_copy / WAREHOUSE_FILE).read_text(encoding="utf-8") == text
    # what was typed stays in the form
    assert f'value="{question}？"' in again.text


def test_weather_into_the_warehouse_subsidy_is_warned_about_and_not_applied(dashboard, faq_copy: Path) -> None:  # noqa: F811
    """「今天天气好不好」 accepted into 高新区海外仓补贴 and logged as 已生效: now the FAQ rebuilt with it
    says the question would still be refused as out of scope, and nothing changes until confirmed."""
    client, settings = dashboard
    _login(client, "olga", "op-pass-123")
    original = (faq_copy / WAREHOUSE_FILE).read_text(encoding="utf-8")
    response = client.post("/staff/faq/question", data={"intent": WAREHOUSE, "question": "今天天气好不好"}, headers=ORIGIN)
    assert response.status_code == 200
    warnings = re.search(r'id="faq-warnings".*?</div>', response.text, re.S)[0]
    assert "仍会被判为不属于本助手的范围" in warnings and "高新区海外仓补贴" in warnings
    assert "还没有修改FAQ" in message(response) and "仍然加入" in response.text
    assert (faq_copy / WAREHOUSE_FILE).read_text(encoding="utf-8") == original
    assert audit(settings) == []  # nothing applied, nothing logged as 已生效


def test_a_question_that_still_ranks_another_intent_first_is_warned_about(dashboard, faq_copy: Path) -> None:  # noqa: F811
    """The wrong intent picked: a 高新区 warehouse question added to 四川跨境电商人才培养 would still
    be answered by 高新区海外仓补贴 (the matcher rebuilt with the change says so)."""
    client, _ = dashboard
    _login(client, "olga", "op-pass-123")
    talent = get_responder().by_id["sc-talent"].title
    original = (faq_copy / "sichuan-2024.yaml").read_text(encoding="utf-8")
    question = "高新区海外仓租金补贴到底多少钱"
    response = client.post("/staff/faq/question", data={"intent": "sc-talent", "question": question}, headers=ORIGIN)
    warnings = re.search(r'id="faq-warnings".*?</div>', response.text, re.S)[0]
    assert f"仍会首先匹配到「高新区海外仓补贴」，而不是「{talent}」" in warnings, warnings
    assert (faq_copy / "sichuan-2024.yaml").read_text(encoding="utf-8") == original
    # picked 谢谢 for a question the FAQ answers now: the change would take that answer away
    question = "高新区海外仓租金能补贴多少"
    answered = get_responder().respond(question)
    assert answered.kind == "answer"
    response = client.post("/staff/faq/question", data={"intent": "chat-thanks", "question": question}, headers=ORIGIN)
    warnings = re.search(r'id="faq-warnings".*?</div>', response.text, re.S)[0]
    title = get_responder().by_id[answered.intent].title
    assert f"现在由「{title}」直接解答；加入后将改由「{get_responder().by_id['chat-thanks'].title}」答复" in warnings


def test_the_message_and_the_audit_say_what_changed(dashboard, faq_copy: Path) -> None:  # noqa: F811
    client, settings = dashboard
    _login(client, "olga", "op-pass-123")
    question = "海外仓的租金高新区给报销吗"
    response = client.post("/staff/faq/question", data={"intent": WAREHOUSE, "question": question, "confirm": "1"}, headers=ORIGIN)
    said = message(response)
    assert said.startswith(f"已生效：把问法「{question}」加入「高新区海外仓补贴」。"), said
    assert re.search(r"开发集首选准确率：\d+\.\d% → \d+\.\d%。", said), (said, audit(settings))
    [row] = audit(settings)
    change = json.loads(row["change"])
    assert change["diff"] == [f"+      - {question}"]  # the changed line, not the whole file
    assert change["top1_before"] is not None and change["top1_after"] is not None
    page = client.get("/staff/faq")
    entry = re.search(r'<li class="audit-row" id="audit-1">.*?</li>', page.text, re.S)[0]
    assert f"把问法「{question}」加入「高新区海外仓补贴」" in entry and "开发集首选准确率" in entry
    assert f"+ - {question}" in entry and "answer:" not in entry


def test_rollback_asks_for_confirmation_and_the_audit_shows_it(dashboard, faq_copy: Path) -> None:  # noqa: F811
    client, settings = dashboard
    _login(client, "olga", "op-pass-123")
    original = (faq_copy / WAREHOUSE_FILE).read_text(encoding="utf-8")
    question = "海外仓的租金高新区给报销吗"
    client.post("/staff/faq/question", data={"intent": WAREHOUSE, "question": question, "confirm": "1"}, headers=ORIGIN)
    changed = (faq_copy / WAREHOUSE_FILE).read_text(encoding="utf-8")

    asked = client.post("/staff/faq/rollback/1", headers=ORIGIN)  # the one click of before
    confirm = re.search(r'id="confirm-rollback".*?</section>', asked.text, re.S)[0]
    assert "确认回滚第1条修改" in confirm and f"把问法「{question}」加入「高新区海外仓补贴」" in confirm
    assert f"+ - {question}" in confirm and 'name="confirm" value="1"' in confirm and "取消" in confirm
    assert (faq_copy / WAREHOUSE_FILE).read_text(encoding="utf-8") == changed and len(audit(settings)) == 1

    done = client.post("/staff/faq/rollback/1", data={"confirm": "1"}, headers=ORIGIN)
    assert message(done).startswith(f"已生效：回滚第1条修改（撤销：把问法「{question}」加入「高新区海外仓补贴」）")
    assert (faq_copy / WAREHOUSE_FILE).read_text(encoding="utf-8") == original
    rows = audit(settings)
    assert [(r["action"], r["outcome"], r["rollback_of"]) for r in rows] == [("add-question", "applied", None),
                                                                            ("rollback", "applied", 1)]  # fmt: skip
    assert json.loads(rows[1]["change"])["diff"] == [f"-      - {question}"]
    page = client.get("/staff/faq")
    first = re.search(r'<li class="audit-row" id="audit-1">.*?</li>', page.text, re.S)[0]
    assert "已被 #2 回滚" in first and "回滚…" not in first  # no second rollback of the same change
    assert "（撤销 #1）" in re.search(r'<li class="audit-row" id="audit-2">.*?</li>', page.text, re.S)[0]
    again = client.post("/staff/faq/rollback/1", data={"confirm": "1"}, headers=ORIGIN)
    assert again.status_code == 422 and "已经由第2条记录回滚过了" in message(again)


def test_the_intent_picker_is_searchable_and_works_without_script(dashboard) -> None:  # noqa: F811
    client, _ = dashboard
    _login(client, "olga", "op-pass-123")
    page = client.get("/staff/faq").text
    select = re.search(r'<select name="intent" id="intent-select".*?</select>', page, re.S)[0]
    options = re.findall(r'<option value="([^"]+)" data-search="([^"]*)"[^>]*>([^<]*)</option>', select)
    assert len(options) == len(get_responder().faq.intents) >= 100
    intent = get_responder().by_id[WAREHOUSE]
    search = dict((value, text) for value, text, _ in options)[WAREHOUSE]
    assert intent.title in search and str(intent.topic) in search and intent.questions[3].lower() in search
    assert f"{intent.title}（{intent.topic}）" in select and WAREHOUSE + "）" not in select  # titles, no ids
    assert 'id="intent-filter" data-filter="intent-select"' in page and '<script src="/static/faq.js"' in page
    assert client.get("/static/faq.js").status_code == 200


def test_the_new_intent_form_keeps_what_was_typed_and_says_why_in_chinese(dashboard, faq_copy: Path) -> None:  # noqa: F811
    client, _ = dashboard
    _login(client, "olga", "op-pass-123")
    typed = {"title": "跨境电商综试区申报", "topic": "园区与平台", "answer": "申报综试区由省级人民政府向国务院提出。",
             "questions": "综试区怎么申报\n申报综试区要什么材料\n综试区申报流程", "clauses": ["gh-2020-47:main"]}  # fmt: skip
    response = client.post("/staff/faq/intent", data=typed, headers=ORIGIN)
    assert response.status_code == 422
    said = message(response)
    assert "没有新建意图" in said and "请至少写8个不同的问法（现在3个）" in said
    assert not re.search(r"[A-Za-z]{4,}", said), said  # no pydantic / validator English
    assert f'value="{typed["title"]}"' in response.text and typed["questions"] in response.text
    assert typed["answer"] in response.text
    assert re.search(r'value="gh-2020-47:main" checked', response.text)
    assert re.search(r'<option selected>园区与平台</option>', response.text)
    assert not (faq_copy / "operator-added.yaml").exists()
    # a validator refusal (a figure in no chosen clause) is Chinese too, and the form is kept
    typed.update(questions="\n".join(f"综试区申报问题{i}" for i in range(8)), answer="申报综试区可获得300万元奖励。")
    response = client.post("/staff/faq/intent", data=typed, headers=ORIGIN)
    said = message(response)
    assert response.status_code == 422 and "数字300万" in said and "所选条款中找不到" in said, said
    assert not re.search(r"[A-Za-z]{4,}|\.yaml", said), said
    assert "综试区申报问题7" in response.text


def test_a_new_intent_needs_no_ids_template_by_topic_clauses_by_title(dashboard, faq_copy: Path) -> None:  # noqa: F811
    client, settings = dashboard
    _login(client, "olga", "op-pass-123")
    page = client.get("/staff/faq/new?topic=税收").text
    assert 'name="intent_id"' not in page and 'name="sources"' not in page  # nobody types an id
    assert "向主管税务机关" in page  # the 税收 template
    assert "《大连高新区促进跨境电商产业高质量发展若干政策》（征求意见稿）" in page and "第5条" in page
    assert re.search(r'<input type="checkbox" name="clauses" value="dalian-gxq-2026:10"> 第10条 ', page)
    templated = client.post("/staff/faq/intent", data={"topic": "通关", "apply_template": "1", "title": "保留的标题"},
                            headers=ORIGIN)  # fmt: skip
    assert "向海关" in templated.text and 'value="保留的标题"' in templated.text and not (faq_copy / "operator-added.yaml").exists()

    questions = [f"高新区参加境外展会补贴问题{i}" for i in range(8)]
    response = client.post("/staff/faq/intent", headers=ORIGIN, data={
        "title": "高新区境外展会支持", "topic": "补贴申报", "questions": "\n".join(questions),
        "answer": "参展活动可获资金支持（征求意见稿，可能调整）。\n• 办理：向高新区主管部门申报。",
        "clauses": ["dalian-gxq-2026:10"]})  # fmt: skip
    assert response.status_code == 200, message(response)
    assert message(response).startswith("已生效：新建意图「高新区境外展会支持」（8个问法）")
    intent = get_responder().by_id["op-subsidy-1"]
    assert intent.jurisdiction == "dalian-gxq" and intent.sources == ("dalian-gxq-2026:10",)
    assert get_responder().respond(questions[0]).intent == "op-subsidy-1"
