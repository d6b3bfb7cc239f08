"""The audit of the 149 intents and 18 checklists against the sources (issue 13, item 4): each
point found then, held by a test where a test can hold it."""

from __future__ import annotations

import pytest

from calculators.checklists import get_checklist
from intents.respond import get_responder
from policy_faq.corpus import documents_by_id


def answer_of(intent_id: str) -> str:
    return get_responder().by_id[intent_id].answer


def sources_of(intent_id: str) -> tuple[str, ...]:
    return tuple(get_responder().by_id[intent_id].sources)


def test_the_subsidy_summary_cites_the_clauses_it_quotes() -> None:
    assert {f"dalian-gxq-2026:{n}" for n in range(1, 12)} <= set(sources_of("x-subsidies"))
    assert "dalian-gxq-2026:preamble" not in sources_of("x-subsidies")


def test_exhibitions_say_only_an_approved_centre_is_paid_and_that_it_is_a_draft() -> None:
    answer = answer_of("mof-exhibitions")
    assert "dalian-gxq-2026:10" in sources_of("mof-exhibitions")
    assert "出海产业发展中心" in answer and "征求意见稿" in answer.split("\n")[0]


@pytest.mark.parametrize("intent_id", ["ln-funding-support", "chat-greeting", "chat-help"])
def test_pointers_to_the_high_tech_zone_policy_call_it_a_draft(intent_id: str) -> None:
    answer = answer_of(intent_id)
    assert "高新区" in answer and "征求意见稿" in answer


def test_sole_traders_are_outside_the_high_tech_zone_scope() -> None:
    answer = answer_of("gxq-eligibility")
    assert "个体工商户" in answer and "不能申报" in answer and "不确定" not in answer
    assert "dalian-gxq-2026:scope" in sources_of("gxq-eligibility")


def test_the_industrial_park_answer_does_not_name_a_claimant_the_clause_does_not_name() -> None:
    assert "建设运营方" not in answer_of("gxq-industrial-park-subsidy")


@pytest.mark.parametrize("intent_id", ["reg-9610", "ln-tax-deemed-profit", "reg-deemed-profit", "reg-no-invoice-exemption", "reg-9810-refund"])
def test_tax_answers_defer_to_the_tax_authority(intent_id: str) -> None:
    assert "以税务机关最新规定为准" in answer_of(intent_id)


def test_the_deemed_profit_checklist_defers_to_the_tax_authority() -> None:
    assert "以税务机关最新规定为准" in get_checklist("deemed-profit").text()


@pytest.mark.parametrize(
    ("intent_id", "rule"),
    [
        ("reg-no-invoice-exemption", "cs-2018-103:main"),
        ("reg-9810-refund", "sat-2025-3:main"),
        ("reg-deemed-profit", "sat-2019-36:main"),
        ("reg-9610", "gacc-2014-12:main"),
        ("reg-9810", "gacc-2020-75:main"),  # the mode; its filing ended by 2024年第167号 (cited too)
    ],
)
def test_national_rule_answers_cite_the_rule_first(intent_id: str, rule: str) -> None:
    assert sources_of(intent_id)[0] == rule
    assert documents_by_id()[rule.split(":")[0]].number  # a document number a company can look up


def test_9710_and_9610_state_no_eligibility_details_without_a_source() -> None:
    for intent_id in ("reg-9610", "reg-9710"):
        answer = answer_of(intent_id)
        assert "卖给境外个人的小包裹" not in answer and "统一版" not in answer


def test_the_finance_summary_reports_encouragement_as_encouragement() -> None:
    answer = answer_of("x-finance-forex-logistics")
    assert "鼓励" in answer and "mofcom-2024:5" in sources_of("x-finance-forex-logistics")


@pytest.mark.parametrize("intent_id", ["ln-pilot-zone-upgrade", "ln-overseas-warehouse", "mof-overseas-warehouse"])
def test_rules_relied_on_are_cited(intent_id: str) -> None:
    answer = answer_of(intent_id)
    if "无票免税" in answer:
        assert "cs-2018-103:main" in sources_of(intent_id) or "liaoning-2026:15" in sources_of(intent_id)
    assert "高新区" not in answer or any(s.startswith("dalian-gxq-2026") for s in sources_of(intent_id))


def test_the_annual_targets_answer_has_the_training_target() -> None:
    assert "2万人次" in answer_of("ln-annual-targets") and "liaoning-2026:18" in sources_of("ln-annual-targets")


def test_the_2020_plans_give_their_period_first_and_do_not_call_themselves_void() -> None:
    responder = get_responder()
    plans = [i for i in responder.by_id.values() if i.id.startswith(("yk-", "pj-"))]
    assert len(plans) == 31
    for intent in plans:
        assert "已不是现行政策" not in intent.answer, intent.id
        assert "2020—2022年" in intent.answer.split("\n")[0], intent.id


def test_the_data_answer_names_the_sichuan_document_exactly() -> None:
    assert "关于推动跨境电商高质量发展助力外贸稳规模优结构行动方案（2024-2027年）" in answer_of("chat-about-data")


def test_the_aeo_checklist_marks_the_sichuan_task_as_a_draft() -> None:
    text = get_checklist("aeo").text()
    step = next(line for line in text.split("\n") if "差异化通关" in line)
    assert "征求意见稿" in step and "并非已确认的现行海关做法" in step


def test_the_forex_checklist_cites_documents_not_the_notes_file() -> None:
    text = get_checklist("forex-registration").text()
    assert "regulations.md" not in text and "依据：《" in text


def test_9810_cites_the_end_of_overseas_warehouse_filing() -> None:
    assert "gacc-2024-167:main" in sources_of("reg-9810") and "2024年12月15日" in answer_of("reg-9810")
