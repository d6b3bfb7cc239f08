"""The parser yields exactly the clause ids of SOURCES.md, and each clause spans its own item;
the national rules of regulations.md are documents of their own with one summarised clause."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from policy_faq.citation import document_label
from policy_faq.corpus import (
    MOFCOM_NEWS_MARKER,
    SUMMARY_MARK,
    clauses_by_ref,
    documents_by_id,
    get_clause,
    load_corpus,
)

DOCS = Path(__file__).resolve().parent.parent / "policy_faq" / "documents"
SHARED = Path(__file__).resolve().parent.parent.parent / "shared" / "policies"


def documented_ids() -> dict[str, list[str]]:
    """Clause ids from the 'full list' table of SOURCES.md (a copy of shared/policies/README.md)."""
    table: dict[str, list[str]] = {}
    for line in (DOCS / "SOURCES.md").read_text(encoding="utf-8").splitlines():
        match = re.match(r"^\| `([a-z0-9-]+)` \| ([^|]+;[^|]+) \|$", line)
        if match:
            table[match.group(1)] = [part.strip().split(" ")[0] for part in match.group(2).split(";")]
    return table


def test_documented_table_is_read() -> None:
    table = documented_ids()
    assert set(table) == {"liaoning-2026", "yingkou-2020", "panjin-2020", "sichuan-2024", "mofcom-2024", "dalian-gxq-2026"}
    assert sum(len(ids) for ids in table.values()) == 122


@pytest.mark.parametrize("doc_id", sorted(documented_ids()))
def test_parser_yields_exactly_the_documented_ids(doc_id: str) -> None:
    parsed = [clause.clause for clause in documents_by_id()[doc_id].clauses]
    assert parsed == documented_ids()[doc_id]


def test_copies_match_the_shared_originals() -> None:
    if not SHARED.exists():
        pytest.skip("shared/policies is not beside this checkout")
    for original in SHARED.iterdir():
        copy = DOCS / ("SOURCES.md" if original.name == "README.md" else original.name)
        assert copy.read_bytes() == original.read_bytes(), original.name


# (ref, the clause text starts with, ends with) — copied by hand from the documents.
SPANS = [
    ("liaoning-2026:preamble", "为深入贯彻习近平总书记", "结合我省实际,制定本方案。"),
    ("liaoning-2026:1", "(一)大力招引培育企业。", "不再列出)"),
    ("liaoning-2026:10", "(十)加快海外仓布局与跨境电商融合。", "(责任单位:省商务厅等有关单位)"),
    ("liaoning-2026:20", "(二十)打造优良营商环境。", "(责任单位:省商务厅、省市场监管局等有关单位)"),
    ("liaoning-2026:closing", "各地区、各部门要加强组织领导", "全省促进跨境电商加快发展分年度目标表"),
    ("yingkou-2020:preamble", "为贯彻落实《国务院关于同意在雄安新区等46个", "制定本实施方案。"),
    ("yingkou-2020:1.3", "（三）发展目标。", "配套完善的跨境电子商务综合试验区。"),
    ("yingkou-2020:2.1.2", "2.建设线下跨境电子商务产业园区。", "承接综合保税区跨境商贸辐射区功能。"),
    ("yingkou-2020:2.3.4", "4.构建跨境电子商务物流服务体系。", "加快推进国际快件监管中心建设。"),
    ("yingkou-2020:3.3", "（三）强化调度督查。", "确保综合试验区建设取得实效。"),
    ("panjin-2020:1.3", "（三）总体布局。", "总体布局。"),
    ("panjin-2020:2.13", "（十三）推进海外仓建设。", "带动盘锦市和全省产品“走出去”。"),
    ("panjin-2020:3.3", "（三）强化责任落实。", "确保各项工作落实落细，取得实效。"),
    ("sichuan-2024:general", "以习近平新时代中国特色社会主义思想为指导", "对全省外贸贡献度稳步提升。"),
    ("sichuan-2024:1", "1.引导传统企业试水转型。", "（责任单位：商务厅、经济和信息化厅）"),
    ("sichuan-2024:17", "17.提升通关便利化水平。", "省机场集团）"),
    ("sichuan-2024:21", "21.构建人才孵化培养体系。", "（责任单位：商务厅、教育厅）"),
    ("sichuan-2024:closing.3", "（三）强化规范运行。", "多渠道宣传发展成效。"),
    ("mofcom-2024:preamble", "跨境电商是以科技创新为驱动", "现提出以下意见。"),
    ("mofcom-2024:8", "(八)推动跨境电商海外仓高质量发展。", "进一步指导企业用好现行政策。"),
    ("mofcom-2024:15", "(十五)持续深化国际交流合作。", "积极开展先行先试和压力测试。"),
    ("mofcom-2024:closing", "各地区、各有关部门和单位要坚决贯彻落实", "2024年6月8日"),
    ("dalian-gxq-2026:scope", "在高新区依法经营", "开展海外品牌推广等范围。"),
    ("dalian-gxq-2026:1", "1.支持跨境电商产业园建设。", "每年最高400万元资金支持。"),
    ("dalian-gxq-2026:2", "2.支持跨境电商规模型企业集聚发展", "最高 100 万元。"),
    ("dalian-gxq-2026:5", "5.支持完善跨境贸易出口配套设施建设。", "每年最高 50 万元。"),
    ("dalian-gxq-2026:11", "11. 支持享受首单滞销风险补偿。", "第二年、第三年分别不超过 50 万元。"),
    ("dalian-gxq-2026:annex", "同一企业获得过同类型市级及以上资金支持", "可结合实际适当调整资金支持比例和内容。"),
]


@pytest.mark.parametrize(("ref", "start", "end"), SPANS, ids=[span[0] for span in SPANS])
def test_clause_spans_its_own_item(ref: str, start: str, end: str) -> None:
    text = get_clause(ref).text
    assert text.startswith(start)
    assert text.endswith(end)


def test_every_document_is_sampled() -> None:
    assert {ref.split(":")[0] for ref, _, _ in SPANS} == {doc.id for doc in load_corpus() if not doc.is_national}


def test_broken_paragraphs_are_joined() -> None:
    # The source splits 跨境电|商平台 over two paragraphs; the clause reads as one sentence.
    assert "跨境电商平台、卖家" in get_clause("dalian-gxq-2026:2").text
    assert "开设跨境电商相关课程" in get_clause("dalian-gxq-2026:4").text


def test_mofcom_news_tail_is_excluded() -> None:
    text = "".join(clause.text for clause in documents_by_id()["mofcom-2024"].clauses)
    assert MOFCOM_NEWS_MARKER not in text
    assert "火锅" not in text and "离境退税" not in text


def test_responsible_units_are_extracted() -> None:
    assert get_clause("liaoning-2026:14").units == ("大连海关", "沈阳海关")
    assert get_clause("liaoning-2026:1").units == ("省商务厅", "各市政府", "省沈抚改革创新示范区管委会")
    assert get_clause("sichuan-2024:18").units == ("省外汇管理局",)
    assert get_clause("dalian-gxq-2026:5").units == ()


def test_document_metadata() -> None:
    docs = documents_by_id()
    assert docs["dalian-gxq-2026"].status == "draft" and docs["dalian-gxq-2026"].valid_until == "2028-12-31"
    assert docs["sichuan-2024"].status == "draft"
    assert docs["yingkou-2020"].status == docs["panjin-2020"].status == "historical"
    assert docs["mofcom-2024"].status == docs["liaoning-2026"].status == "in_force"
    assert docs["liaoning-2026"].date == "2026-02-14" and docs["mofcom-2024"].date == "2024-06-08"
    assert [doc.jurisdiction for doc in load_corpus()][:6] == ["辽宁省", "营口市", "盘锦市", "四川省", "全国", "大连高新区"]
    assert all(doc.title and doc.issuer for doc in load_corpus())


def test_unknown_clause_raises_key_error() -> None:
    with pytest.raises(KeyError):
        get_clause("dalian-gxq-2026:12")


# The national rules of regulations.md, ids fixed by issue 13: (id, document number, status).
NATIONAL = [
    ("cs-2018-103", "财税〔2018〕103号", "in_force"),
    ("sat-2019-36", "国家税务总局公告2019年第36号", "in_force"),
    ("sat-2023-6", "国家税务总局公告2023年第6号", "in_force"),
    ("mof-sat-2023-12", "财政部 税务总局公告2023年第12号", "in_force"),
    ("sat-2025-3", "国家税务总局公告2025年第3号", "in_force"),
    ("cgs-2026-16", "财关税〔2026〕16号", "in_force"),
    ("gacc-2014-12", "海关总署公告2014年第12号", "in_force"),
    ("gacc-2014-57", "海关总署公告2014年第57号", "in_force"),
    ("gacc-2020-75", "海关总署公告2020年第75号", "partly_superseded"),  # 9810 filing: gacc-2024-167
    ("gacc-2024-167", "海关总署公告2024年第167号", "in_force"),
    ("gh-2020-47", "国函〔2020〕47号", "in_force"),
    ("cit-law", None, "in_force"),  # the 25% income-tax rate
    ("fx-registration", "文号未列明", "in_force"),  # regulations.md gives the rule, not its number
]


def test_the_national_rules_are_documents_of_their_own() -> None:
    national = [doc for doc in load_corpus() if doc.is_national]
    assert [(doc.id, doc.number, doc.status) for doc in national] == NATIONAL
    for doc in national:
        assert doc.title and doc.issuer and doc.date, doc.id
        assert (doc.jurisdiction, doc.region) == ("全国", "national"), doc.id
        assert [clause.clause for clause in doc.clauses] == ["main"], doc.id
        assert doc.clauses[0].text.startswith(SUMMARY_MARK + "\n"), doc.id
        assert doc.status_label


def test_the_six_documents_are_unchanged() -> None:
    assert [doc.id for doc in load_corpus() if not doc.is_national] == [
        "liaoning-2026", "yingkou-2020", "panjin-2020", "sichuan-2024", "mofcom-2024", "dalian-gxq-2026"
    ]
    assert len([ref for ref in clauses_by_ref() if not ref.endswith(":main")]) == 122


def test_national_clauses_resolve() -> None:
    assert "应税所得率为4%" in get_clause("sat-2019-36:main").text
    assert "2024年12月15日" in get_clause("gacc-2024-167:main").text
    assert get_clause("cs-2018-103:main").ref in clauses_by_ref()
    with pytest.raises(KeyError):
        get_clause("cs-2018-103:1")


def _numbers(text: str) -> set[int]:
    return {int(n.replace(",", "")) for n in re.findall(r"\d[\d,]*", text) if n.replace(",", "")}


def test_national_summaries_give_only_numbers_of_regulations_md() -> None:
    """A summary states nothing regulations.md does not: every number in it is one of
    regulations.md's (RMB 3/50/75 million are written 300/5000/7500万元, July 2020 is 2020年7月)."""
    given = _numbers((DOCS / "regulations.md").read_text(encoding="utf-8")) | {300, 5000, 7500, 7}
    for doc in load_corpus():
        if doc.is_national:
            assert _numbers(doc.clauses[0].text) <= given, (doc.id, _numbers(doc.clauses[0].text) - given)


def test_the_name_of_a_document_for_readers() -> None:
    assert document_label("cs-2018-103:main") == "《关于跨境电子商务综合试验区零售出口货物税收政策的通知》（财税〔2018〕103号）"
    assert document_label("liaoning-2026:1") == "《辽宁省促进跨境电商加快发展行动方案（2026—2028年）》"
    assert document_label("gacc-2024-167:main") == "《关于进一步促进跨境电商出口发展的公告》（海关总署公告2024年第167号）"
