"""The parser yields exactly the clause ids of SOURCES.md, and each clause spans its own item."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from policy_faq.corpus import MOFCOM_NEWS_MARKER, documents_by_id, get_clause, load_corpus

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
    assert {ref.split(":")[0] for ref, _, _ in SPANS} == set(documents_by_id())


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
    assert [doc.jurisdiction for doc in load_corpus()] == ["辽宁省", "营口市", "盘锦市", "四川省", "全国", "大连高新区"]
    assert all(doc.title and doc.issuer for doc in load_corpus())


def test_unknown_clause_raises_key_error() -> None:
    with pytest.raises(KeyError):
        get_clause("dalian-gxq-2026:12")
