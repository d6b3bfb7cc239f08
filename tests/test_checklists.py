"""Filing checklists (calculators/checklists.py) and `cbec-bot checklist`."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from calculators.checklists import (
    UnknownChecklistError,
    find_checklist,
    get_checklist,
    load_checklists,
)
from calculators.cli_checklist import checklist
from calculators.items import load_items
from calculators.wording import clause_words, document_words, problems, tidy
from policy_faq.corpus import get_clause

CLI = [str(Path(sys.executable).with_name("cbec-bot"))]
REGULATIONS = (Path(__file__).parents[1] / "policy_faq" / "documents" / "regulations.md").read_text(
    encoding="utf-8"
)
NATIONAL = ("customs-modes", "export-9810", "refund-9810", "no-invoice-exemption", "deemed-profit")
NATIONAL += ("aeo", "forex-registration")
ALL = tuple(c.id for c in load_checklists())
DOC_NUMBER = re.compile(r"\d{4}年第\d+号|〔\d{4}〕\d+号")


def test_every_item_has_an_apply_checklist() -> None:
    items = load_items()
    assert len(items) == 11
    for item_id in items:
        assert f"apply-{item_id}" in ALL
    assert set(NATIONAL) <= set(ALL) and len(ALL) == len(set(ALL)) == 18


@pytest.mark.parametrize("checklist_id", ALL)
def test_renders_numbered_and_cites_only_real_clauses(checklist_id: str) -> None:
    found = get_checklist(checklist_id)
    text = found.text()
    lines = text.splitlines()
    assert lines[0].startswith(tidy(found.title))
    assert f"\n1. {tidy(found.steps[0].text).removesuffix('。')}" in text
    assert f"\n{len(found.steps)}. " in text
    basis = lines[-1]
    assert basis.startswith("依据：")
    for ref in found.clause_refs():
        assert get_clause(ref).text  # KeyError if the clause does not exist
        doc, clause = ref.split(":")
        assert ref not in text  # in words, not as a machine id
        assert document_words(doc) in basis and clause_words(clause) in basis
    for step in found.steps:
        if not step.is_clause:  # a regulation: its number must be in regulations.md
            number = DOC_NUMBER.search(step.source)
            assert (number and number.group() in REGULATIONS) or step.source.startswith("regulations.md")


@pytest.mark.parametrize("item_id", list(load_items()))
def test_apply_checklists_carry_scope_annex_and_draft(item_id: str) -> None:
    item = load_items()[item_id]
    text = get_checklist(f"apply-{item_id}").text()
    lines = text.splitlines()
    assert lines[-1] == (
        f"依据：《大连高新区促进跨境电商产业高质量发展若干政策》（征求意见稿）第{item.clause}条、适用范围、附则"
    )
    assert "征求意见稿" in lines[0] and "经区级主管部门认定" in text
    assert "以主管部门申报通知为准" in text and "高新区投资促进局" in text
    assert "空壳企业" in text and "失信惩戒" in text
    assert tidy(item.quote) in text  # the clause's own figures, in full-width typography
    assert f"（第{item.clause}条）" in text and "（适用范围）" in text  # each step's source in words


def test_independent_site_excludes_labour_and_first_order_needs_warehouse() -> None:
    assert "人工费不计入" in get_checklist("apply-independent-site").text()
    assert "滞销超6个月" in get_checklist("apply-first-order").text()


def test_9810_checklists_state_the_abolished_filing_and_refund_rule() -> None:
    export = get_checklist("export-9810").text()
    assert "2024年12月15日起取消" in export and "海关总署公告2024年第167号" in export
    assert "订仓信息" in export
    refund = get_checklist("refund-9810").text()
    assert "国家税务总局公告2025年第3号" in refund and "HWC-YT" in refund and "4月30日" in refund


@pytest.mark.parametrize("checklist_id", ALL)
def test_checklist_text_keeps_the_text_rules(checklist_id: str) -> None:
    found = get_checklist(checklist_id)
    text = found.text()
    assert problems(text) == [], (checklist_id, problems(text))
    drafts = {step.source.split(":")[0] for step in found.steps if step.is_clause} & {
        "dalian-gxq-2026",
        "sichuan-2024",
    }
    if drafts:  # a step rests on a draft: line 1 says so
        assert "征求意见稿" in text.splitlines()[0]
    if any(word in text for word in ("财税〔2018〕103号", "国家税务总局公告2025年第3号", "2019年第36号")):
        assert "以税务机关最新规定为准" in text
    assert all(re.match(r"\d+\. |• |依据：", line) for line in text.splitlines()[1:])


def test_unknown_id() -> None:
    assert find_checklist("nope") is None
    with pytest.raises(UnknownChecklistError, match="known ids: apply-industrial-park"):
        get_checklist("nope")
    with pytest.raises(KeyError):
        get_checklist("nope")


def test_cli_lists_and_shows() -> None:
    listing = CliRunner().invoke(checklist, [])
    assert listing.exit_code == 0
    assert len(listing.stdout.splitlines()) == 18
    assert "refund-9810  9810出口退税：离境即退税、销售再核算" in listing.stdout
    shown = CliRunner().invoke(checklist, ["show", "aeo"])
    assert shown.stdout.startswith("跨境电商企业申请AEO")
    assert "《辽宁省促进跨境电商加快发展行动方案（2026—2028年）》第14条" in shown.stdout.splitlines()[-1]
    assert "liaoning-2026" not in shown.stdout
    data = json.loads(CliRunner().invoke(checklist, ["deemed-profit", "--json"]).stdout)
    assert data["id"] == "deemed-profit" and data["steps"][2]["source"] == "国家税务总局公告2019年第36号"


def test_installed_script_unknown_id_exits_2() -> None:
    result = subprocess.run([*CLI, "checklist", "nope"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and result.stdout == ""
    assert "unknown checklist 'nope'" in result.stderr and "forex-registration" in result.stderr


def test_installed_script_shows_one() -> None:
    result = subprocess.run([*CLI, "checklist", "apply-training"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "每场活动最高1万元" in result.stdout


def test_faq_checklist_actions_name_existing_checklists() -> None:
    faq_dir = Path(__file__).parents[1] / "policy_faq" / "faq"
    actions = re.findall(
        r"action:\s*checklist:([\w-]+)", "".join(p.read_text("utf-8") for p in faq_dir.glob("*.yaml"))
    )
    assert "refund-9810" in actions and "customs-modes" in actions
    assert set(actions) <= set(ALL)


def test_national_rules_answers_name_their_regulation() -> None:
    import yaml

    path = Path(__file__).parents[1] / "policy_faq" / "faq" / "national-rules.yaml"
    intents = yaml.safe_load(path.read_text(encoding="utf-8"))["intents"]
    assert len(intents) >= 10
    for intent in intents:
        assert intent["id"].startswith("reg-") and intent["jurisdiction"] == "national"
        assert DOC_NUMBER.search(intent["answer"]) or "外汇" in intent["title"] or "AEO" in intent["title"]
        for ref in intent["sources"]:
            get_clause(ref)
