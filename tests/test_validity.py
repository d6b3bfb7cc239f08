"""Every document's valid-until applies: after it, answers (and excerpts) say it has expired and
the calculators give no amount; the dashboard warns from 60 days before."""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal

import test_faq_ops

from bot.channels.web.policies import expiries
from calculators.first_order import compensate
from calculators.subsidy import estimate
from intents.respond import get_responder
from policy_faq.documents_ops import add_document
from policy_faq.ingest import Metadata

dashboard, faq_copy = test_faq_ops.dashboard, test_faq_ops.faq_copy


def test_expiry_warnings_start_sixty_days_before() -> None:
    early = expiries(date(2028, 10, 31))  # 61 days before 2028-12-31
    assert {e.doc for e in early if e.days_left >= 0} == set()
    assert {e.doc: e.days_left for e in early} == {"mof-sat-2023-12": -305, "cgs-2026-16": -305}  # expired: still shown
    soon = expiries(date(2028, 11, 1))  # 60 days before
    assert {e.doc for e in soon} >= {"dalian-gxq-2026", "liaoning-2026"}
    assert all(e.days_left == 60 for e in soon if e.doc in ("dalian-gxq-2026", "liaoning-2026"))
    assert "yingkou-2020" not in {e.doc for e in soon}  # historical: its period is said anyway
    national = {e.doc for e in expiries(date(2027, 11, 15))}
    assert national == {"mof-sat-2023-12", "cgs-2026-16"}  # national rules expire too


def test_answers_after_valid_until_say_the_policy_has_expired() -> None:
    responder = get_responder()
    on_time = responder.respond_intent("ln-overseas-warehouse", today=date(2028, 12, 31))
    late = responder.respond_intent("ln-overseas-warehouse", today=date(2029, 1, 1))
    assert late.sources == ("liaoning-2026:10", "liaoning-2026:15")
    assert "已过期" not in on_time.answer
    assert "注意：《辽宁省促进跨境电商加快发展行动方案（2026—2028年）》的有效期至2028-12-31，已过期" in late.answer


def test_calculators_give_no_amount_after_valid_until() -> None:
    late = date(2029, 1, 1)
    subsidy = estimate({"overseas-warehouse": Decimal(800_000)}, today=late)
    assert subsidy.status == "expired" and subsidy.total is None and all(i.estimate is None for i in subsidy.items)
    assert "40万" not in subsidy.text() and "已过期" in subsidy.text().splitlines()[0]
    order = compensate([Decimal(100_000)], today=late)
    assert order.status == "expired" and order.total is None


def test_an_added_documents_valid_until_is_warned_on_the_dashboard(dashboard, faq_copy, tmp_path) -> None:
    client, _ = dashboard
    test_faq_ops._login(client, "sam", "st-pass-123")  # staff may look
    ends = date.today() + timedelta(days=30)
    source = tmp_path / "notice.txt"
    source.write_text("测试区跨境电商通知\n一、海外仓给予30%资金支持，每年最高20万元。\n二、本通知由测试区商务局解释。\n", encoding="utf-8")
    meta = Metadata("test-notice-2026", "测试区跨境电商通知", "测试区商务局", "2026-01-01", "大连高新区", "in-force",
                    valid_until=ends.isoformat())  # fmt: skip
    assert add_document(source, meta).ok
    page = client.get("/staff/policies")
    warning = re.search(r'<p class="warn" data-doc="test-notice-2026">([^<]*)</p>', page.text)
    assert warning and f"有效期至{ends.isoformat()}，还有30天到期" in warning.group(1)
    assert re.search(r'id="policy-attention">\d+</span>', page.text)
