"""A final 高新区 text supersedes the draft with one amount changed (第5条 每年最高50万元 -> 60万元):
exactly the intents citing the changed clause are flagged 需复核, their answers warn and point to
the new clause in words, `faq validate` warns, and the calculator takes the new cap from the
new text's effective date (the draft's before it)."""

from __future__ import annotations

import re
import shutil
from datetime import date
from decimal import Decimal
from importlib import resources
from pathlib import Path

import pytest
import test_faq_ops

from calculators.subsidy import estimate
from intents.respond import Responder, use_faq_dir
from policy_faq import editor
from policy_faq.corpus import documents_by_id
from policy_faq.documents_ops import add_document
from policy_faq.faq import load_faq
from policy_faq.ingest import Metadata
from policy_faq.supersession import review_flags
from policy_faq.validate import validate

DRAFT = Path(__file__).resolve().parent.parent / "policy_faq" / "documents" / "dalian-gxq-2026.md"
TITLE = "大连高新区促进跨境电商产业高质量发展若干政策"
EFFECTIVE = date(2027, 3, 1)
dashboard, faq_copy = test_faq_ops.dashboard, test_faq_ops.faq_copy  # fixtures of the dashboard test


def final_text() -> str:
    """The draft with 第5条's cap raised and the 征求意见稿 line gone: the 'final' text."""
    text = DRAFT.read_text(encoding="utf-8")
    clause5 = next(line for line in text.splitlines() if line.startswith("5."))
    assert "每年最高 50 万元" in clause5
    return text.replace(clause5, clause5.replace("每年最高 50 万元", "每年最高 60 万元")).replace("(征求意见稿)\n", "")


@pytest.fixture(scope="module")
def superseded(tmp_path_factory):
    folder = tmp_path_factory.mktemp("faq")
    faq = folder / "faq"
    shutil.copytree(resources.files("policy_faq").joinpath("faq"), faq, ignore=shutil.ignore_patterns("documents"))
    source = folder / "final.md"
    source.write_text(final_text(), encoding="utf-8")
    use_faq_dir(faq)
    try:
        meta = Metadata("dalian-gxq-2027", TITLE, "大连高新技术产业园区管理委员会", "2027-01-15", "大连高新区", "in-force",
                        valid_until="2028-12-31", supersedes="dalian-gxq-2026", effective=EFFECTIVE.isoformat())  # fmt: skip
        result = add_document(source, meta)
        assert result.ok, result.messages
        yield faq, result
    finally:
        use_faq_dir(None)  # the packaged FAQ and corpus for the other tests


def citing(faq: Path, ref: str) -> set[str]:
    return {item.intent.id for item in load_faq(faq).intents if ref in item.intent.sources}


def test_exactly_the_intents_citing_the_changed_clause_are_flagged(superseded) -> None:
    faq, result = superseded
    assert "1个条款有变化" in result.messages[0] and "50万元 → 60万元" in result.messages[0]
    flags = review_flags([item.intent for item in load_faq(faq).intents])
    flagged = {flag.intent for flag in flags}
    expected = citing(faq, "dalian-gxq-2026:5")
    print(f"\nsupersession: {len(flagged)} intents flagged 需复核, {len(expected)} cite dalian-gxq-2026:5")
    assert flagged == expected and len(expected) >= 5
    assert {flag.old_ref for flag in flags} == {"dalian-gxq-2026:5"}
    assert all(flag.new_ref == "dalian-gxq-2027:5" for flag in flags)
    assert flags[0].change.removed_figures == ("50万元",) and flags[0].change.added_figures == ("60万元",)
    others = citing(faq, "dalian-gxq-2026:6") - expected  # cite the draft, not the changed clause
    assert others and not others & flagged


def test_validate_warns_for_each_flagged_intent(superseded) -> None:
    faq, _ = superseded
    report = validate(faq)
    assert not report.errors
    warned = [w for w in report.warnings if "需复核" in w]
    assert len(warned) == len(citing(faq, "dalian-gxq-2026:5"))
    assert any("gxq-overseas-warehouse-subsidy" in w and "50万元 -> 60万元" in w for w in warned)


def test_a_calculation_from_the_new_text_does_not_warn(superseded) -> None:
    faq, _ = superseded
    responder = Responder(load_faq(faq))
    draft_time = responder.respond_intent("gxq-overseas-warehouse-subsidy", "海外仓花了200万", today=date(2027, 2, 28))
    assert draft_time.kind == "calculation" and "50万元" in draft_time.answer.splitlines()[0]
    assert "已发布新版本" in draft_time.answer  # computed from the draft: the newer text may differ
    final_time = responder.respond_intent("gxq-overseas-warehouse-subsidy", "海外仓花了200万", today=EFFECTIVE)
    assert final_time.kind == "calculation" and final_time.answer.startswith("可补60万元")
    assert "新版本" not in final_time.answer and "征求意见稿" not in final_time.answer


def test_answers_from_the_old_clause_warn_until_reviewed(superseded) -> None:
    faq, _ = superseded
    responder = Responder(load_faq(faq))
    answer = responder.respond_intent("gxq-overseas-warehouse-subsidy").answer
    note = f"注意：《{TITLE}》已发布新版本（2027年1月15日），其第5条与以上依据不同，以上内容可能有变化，请以新版本第5条为准。"
    assert note in answer
    assert "dalian-gxq" not in answer  # no raw ids
    logistics = responder.respond_intent("gxq-intl-logistics-subsidy").answer  # clause 6 unchanged
    assert "新版本" not in logistics
    # an operator marks it reviewed: the warning goes, the other flagged intents keep theirs
    editor.mark_reviewed("gxq-overseas-warehouse-subsidy", "dalian-gxq-2027", faq)
    reviewed = Responder(load_faq(faq))
    assert "新版本" not in reviewed.respond_intent("gxq-overseas-warehouse-subsidy").answer
    assert note in reviewed.respond_intent("gxq-policy-overview").answer
    assert "gxq-overseas-warehouse-subsidy" not in {f.intent for f in review_flags([i.intent for i in load_faq(faq).intents])}


def test_calculator_uses_the_version_in_force_on_the_enquiry_date(superseded) -> None:
    before = estimate({"overseas-warehouse": Decimal(2_000_000)}, today=date(2027, 2, 28))
    assert before.total == Decimal(500_000) and before.document == "dalian-gxq-2026" and before.draft
    after = estimate({"overseas-warehouse": Decimal(2_000_000)}, today=EFFECTIVE)
    assert after.total == Decimal(600_000) and after.document == "dalian-gxq-2027" and not after.draft
    text = after.text()
    assert text.splitlines()[0] == "可补60万元，已按每年60万元上限封顶"
    assert "征求意见稿" not in text and f"依据：《{TITLE}》第5条、附则" in text
    small = estimate({"overseas-warehouse": Decimal(800_000)}, today=EFFECTIVE)
    assert small.total == Decimal(400_000)  # the rate did not change
    unchanged = estimate({"intl-logistics": Decimal(1_000_000)}, today=EFFECTIVE)
    assert unchanged.total == Decimal(100_000) and unchanged.document == "dalian-gxq-2027"
    expired = estimate({"overseas-warehouse": Decimal(800_000)}, today=date(2029, 1, 1))
    assert expired.status == "expired" and expired.total is None
    assert documents_by_id()["dalian-gxq-2027"].supersedes == "dalian-gxq-2026"


def test_an_excerpt_of_a_changed_clause_names_the_newer_version(superseded) -> None:
    from policy_faq.supersession import clause_flag, newer_version_note

    flag = clause_flag("dalian-gxq-2026:5")
    assert flag is not None and flag.new_ref == "dalian-gxq-2027:5"
    assert clause_flag("dalian-gxq-2026:6") is None  # unchanged
    assert "已发布新版本" in newer_version_note("dalian-gxq-2026:5", flag)
    responder = Responder(load_faq(superseded[0]))
    hit = type("Hit", (), {"ref": "dalian-gxq-2026:5", "score": 0.5})()
    match = responder.matcher.rank("海外仓储配套设施建设使用运营资金支持")
    excerpt = responder._excerpt(hit, match)
    assert excerpt.kind == "excerpt" and "请以新版本第5条为准" in excerpt.answer


# last: its FAQ folder fixture replaces the module's (use_faq_dir) for what follows
def test_dashboard_adds_the_final_text_flags_and_reviews(dashboard, faq_copy: Path, tmp_path: Path) -> None:
    """The same supersession through the dashboard: upload (previewed, then stored and reloaded),
    the 需复核 list with the changed figures marked, 「已复核」 by an operator."""
    from test_faq_ops import ORIGIN, _login

    from intents.respond import get_responder

    client, _ = dashboard
    _login(client, "olga", "op-pass-123")
    fields = {"doc_id": "dalian-gxq-2027", "title": TITLE, "issuer": "大连高新技术产业园区管理委员会", "issued": "2027-01-15",
              "jurisdiction": "大连高新区", "status": "in-force", "effective": EFFECTIVE.isoformat(),
              "valid_until": "2028-12-31", "supersedes": "dalian-gxq-2026"}  # fmt: skip
    upload = {"file": ("final.md", final_text().encode(), "text/markdown")}
    preview = client.post("/staff/policies/add", data=fields | {"dry_run": "1"}, files=upload, headers=ORIGIN)
    assert preview.status_code == 200 and "dalian-gxq-2027:5" in preview.text and "试运行" in preview.text
    assert not (faq_copy / "documents").exists()
    added = client.post("/staff/policies/add", data=fields, files=upload, headers=ORIGIN)
    assert added.status_code == 200, added.text
    assert (faq_copy / "documents" / "dalian-gxq-2027.yaml").exists()
    expected = citing(faq_copy, "dalian-gxq-2026:5")
    page = client.get("/staff/policies")
    flagged = set(re.findall(r'<tr class="flag" data-intent="([^"]+)">', page.text))
    assert flagged == expected
    assert '<mark class="old">50 万元</mark>' in page.text and '<mark class="new">60 万元</mark>' in page.text
    assert f'<span class="badge" id="policy-attention">{len(expected)}</span>' in page.text
    assert "已发布新版本" in get_responder().respond_intent("gxq-overseas-warehouse-subsidy").answer  # reloaded live
    reviewed = client.post("/staff/policies/review", data={"intent": "gxq-overseas-warehouse-subsidy", "doc": "dalian-gxq-2027"},
                           headers=ORIGIN)  # fmt: skip
    assert reviewed.status_code == 200 and "已复核" in reviewed.text
    assert 'data-intent="gxq-overseas-warehouse-subsidy"' not in reviewed.text
    assert "已发布新版本" not in get_responder().respond_intent("gxq-overseas-warehouse-subsidy").answer
