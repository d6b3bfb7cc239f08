"""The validator's text rules (issue 13), each on a small FAQ folder of its own: typography,
the status on line 1, figures checked against the answer's own sources, citations (national
rules included), no raw ids and no 依据 line. Then the shipped FAQ under the same rules."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from policy_faq.corpus import SUMMARY_MARK, load_corpus
from policy_faq.faq import FAQ_DIR
from policy_faq.validate import typography_problems, unsupported_figures, validate

QUESTIONS = [f"测试问题第{n}个怎么办" for n in range(1, 9)]
DRAFT_OK = "有：按实际费用的50%支持，每年最高50万元（征求意见稿，可能调整）。\n• 对象：在高新区自建或租用海外仓的企业。"


def intent(answer: str, sources: list[str], intent_id: str = "t-one", kind: str = "policy") -> dict:
    return {"id": intent_id, "title": "测试问答", "kind": kind, "topic": "海外仓", "jurisdiction": "dalian-gxq",
            "questions": QUESTIONS, "answer": answer, "sources": sources}  # fmt: skip


def errors_for(tmp_path: Path, *intents: dict) -> list[str]:
    """The validator's errors for a folder holding these intents (coverage errors left out:
    a small folder covers few clauses)."""
    folder = tmp_path / "faq"
    folder.mkdir(exist_ok=True)
    (folder / "test.yaml").write_text(
        yaml.safe_dump({"intents": list(intents)}, allow_unicode=True), encoding="utf-8"
    )
    report = validate(folder, coverage_file=tmp_path / "no-coverage.yaml")
    return [error for error in report.errors if not error.startswith("coverage:")]


def test_a_good_answer_passes(tmp_path: Path) -> None:
    assert errors_for(tmp_path, intent(DRAFT_OK, ["dalian-gxq-2026:5", "dalian-gxq-2026:scope"])) == []


# --- typography ---------------------------------------------------------------------------


def test_space_between_chinese_characters_is_refused(tmp_path: Path) -> None:
    answer = DRAFT_OK + "\n• 服务：提供 品牌营销等服务。"
    errors = errors_for(tmp_path, intent(answer, ["dalian-gxq-2026:5"]))
    assert len(errors) == 1
    assert errors[0].startswith("test.yaml:2: t-one: answer has a space between Chinese characters: 「")
    assert "提供 品牌营销" in errors[0]


def test_each_offence_is_listed_with_its_snippet(tmp_path: Path) -> None:
    answer = DRAFT_OK + "\n• 海外品牌 与产品推广，提供 服务。"
    errors = errors_for(tmp_path, intent(answer, ["dalian-gxq-2026:5"]))
    assert len(errors) == 2
    assert "海外品牌 与产品" in errors[0] and "提供 服务" in errors[1]


@pytest.mark.parametrize(("mark", "full"), [(",", "，"), (".", "。"), (":", "："), (";", "；"), ("!", "！"),
                                            ("?", "？"), ("(", "（"), (")", "）")])  # fmt: skip
def test_half_width_punctuation_next_to_chinese_is_refused(tmp_path: Path, mark: str, full: str) -> None:
    answer = DRAFT_OK + f"\n• 下一步{mark}咨询投资促进局。"
    errors = errors_for(tmp_path, intent(answer, ["dalian-gxq-2026:5"]))
    assert errors == [f"test.yaml:2: t-one: answer has a half-width {mark!r} next to a Chinese character "
                      f"(write {full}): 「• 下一步{mark}咨询投资促进局。」"]  # fmt: skip


def test_the_issue_examples_are_caught() -> None:
    problems = typography_problems("按《大连高新区…若干政策》(征求意见稿,可能调整)第5条:您好!")
    assert [p.split(" next")[0] for p in problems] == [
        "half-width '('",
        "half-width ','",
        "half-width ')'",
        "half-width ':'",
        "half-width '!'",
    ]


@pytest.mark.parametrize("text", [
    "9610、9710和9810是跨境电商的海关监管方式。",
    "年收支超过等值USD 200,000的企业，应先办理名录登记。",
    "AEO认证（Authorized Economic Operator）是海关的信用认证。",
    "税额为收入的0.2%，即25%×20%。",
    "• 下一步：拨打12366咨询。\n• 或者：拨打12360。",
])  # fmt: skip
def test_ordinary_text_passes_the_typography_rules(text: str) -> None:
    assert typography_problems(text) == []


def test_the_national_summaries_follow_the_text_rules() -> None:
    for doc in load_corpus():
        if doc.is_national:
            text = doc.clauses[0].text
            assert text.startswith(SUMMARY_MARK + "\n"), doc.id
            assert typography_problems(text) == [], doc.id


# --- status on line 1 ---------------------------------------------------------------------


def test_a_draft_says_so_on_line_1(tmp_path: Path) -> None:
    late = "有：按实际费用的50%支持，每年最高50万元。\n• 注意：这是征求意见稿，可能调整。"
    errors = errors_for(tmp_path, intent(late, ["dalian-gxq-2026:5"]))
    assert errors == [
        "test.yaml:2: t-one: cites draft dalian-gxq-2026:5 but line 1 of the answer does not say 征求意见稿"
    ]


def test_a_historical_plan_gives_its_period_on_line_1(tmp_path: Path) -> None:
    late = "营口综试区实施方案提出建设线上综合服务平台。\n• 目标期为2020—2022年。"
    errors = errors_for(tmp_path, intent(late, ["yingkou-2020:2.1.1"]))
    assert errors == [
        "test.yaml:2: t-one: cites historical yingkou-2020:2.1.1 but line 1 of the answer does not give its period 2020—2022年"
    ]
    first = "营口综试区实施方案的目标期为2020—2022年，其中提出建设线上综合服务平台。"
    assert errors_for(tmp_path, intent(first, ["yingkou-2020:2.1.1"])) == []


# --- figures against the answer's own sources ---------------------------------------------


def test_a_figure_from_another_clause_is_refused(tmp_path: Path) -> None:
    # 50万元 is dalian-gxq-2026:5's cap; :6 (国际通道) gives 20% and 10万元
    answer = "有：按20%支持，每年最高50万元（征求意见稿，可能调整）。"
    errors = errors_for(tmp_path, intent(answer, ["dalian-gxq-2026:6"]))
    assert errors == [
        "test.yaml:2: t-one: figure 50万元 appears in none of its own sources (dalian-gxq-2026:6)"
    ]


def test_a_worked_example_is_not_a_source_figure(tmp_path: Path) -> None:
    answer = DRAFT_OK + "\n• 例如：费用80万元，可补40万元。"
    errors = errors_for(tmp_path, intent(answer, ["dalian-gxq-2026:5"]))
    assert [e.split(": figure ")[1].split(" ")[0] for e in errors] == ["80万元", "40万元"]


def test_a_figure_only_in_regulations_needs_its_national_rule(tmp_path: Path) -> None:
    # regulations.md gives 2020年 and 0.2%; liaoning-2026:15 names only the 4% rate
    answer = "可以：自2020年1月1日起，按应税所得率4%核定征收。\n• 小型微利企业的税额为收入的0.2%。\n• 以税务机关最新规定为准。"
    errors = errors_for(tmp_path, intent(answer, ["liaoning-2026:15"]))
    assert errors == [
        "test.yaml:2: t-one: figure 0.2% appears in none of its own sources (liaoning-2026:15)",
        "test.yaml:2: t-one: figure 2020年 appears in none of its own sources (liaoning-2026:15)",
    ]
    assert (
        errors_for(tmp_path, intent(answer, ["sat-2019-36:main", "mof-sat-2023-12:main", "liaoning-2026:15"]))
        == []
    )


def test_years_are_checked_too() -> None:
    answer = "不需要：9810海外仓备案已于2024年12月15日取消。"
    assert unsupported_figures(answer, ["gacc-2024-167:main"]) == []
    assert unsupported_figures(answer, ["liaoning-2026:14"]) == ["2024年"]
    # a document's own period counts: the plan's 2020—2022年 is in its metadata
    assert unsupported_figures("目标期为2020—2022年。", ["yingkou-2020:2.1.1"]) == []
    assert unsupported_figures("目标期为2020—2023年。", ["yingkou-2020:2.1.1"]) == ["2023年"]


@pytest.mark.parametrize(
    "written", ["50万元", "50 万元", "50万", "500000元", "500,000元", "0.005亿元", "５０万元"]
)
def test_number_forms_are_compared_by_value(written: str) -> None:
    assert unsupported_figures(f"每年最高{written}。", ["dalian-gxq-2026:5"]) == []


def test_a_range_checks_both_ends() -> None:
    assert unsupported_figures("每年10—300万元。", ["dalian-gxq-2026:6", "dalian-gxq-2026:3"]) == []
    assert unsupported_figures("每年10—20万元。", ["dalian-gxq-2026:6"]) == ["10—20万元"]


def test_national_summaries_give_their_figures(tmp_path: Path) -> None:
    answer = ("按25%计入应纳税所得额，按20%的税率缴纳，实际税负5%，执行至2027年12月31日。\n"
              "• 条件：应纳税所得额不超过300万元、从业人数不超过300人、资产总额不超过5000万元。\n"
              "• 与4%核定征收合并：收入不超过7500万元时，税额为收入的0.2%。")  # fmt: skip
    assert unsupported_figures(answer, ["mof-sat-2023-12:main"]) == []
    assert (
        unsupported_figures("单票不超过人民币5000元的，可以申报清单方式申报。", ["gacc-2020-75:main"]) == []
    )


def test_smalltalk_figures_are_not_checked(tmp_path: Path) -> None:
    chat = intent(
        "您好！我是跨境电商政策助手，可以查补贴（如每年最高50万元）。", [], "chat-x", kind="smalltalk"
    )
    assert errors_for(tmp_path, chat) == []


# --- citations, ids, basis line -----------------------------------------------------------


def test_every_citation_resolves_national_rules_included(tmp_path: Path) -> None:
    answer = "有：综试区零售出口的无票货物免征增值税、消费税。\n• 以税务机关最新规定为准。"
    assert errors_for(tmp_path, intent(answer, ["cs-2018-103:main", "liaoning-2026:15"])) == []
    errors = errors_for(tmp_path, intent(answer, ["cs-2018-103", "cs-2018-103:1"]))
    assert errors == [
        "test.yaml:2: t-one: source 'cs-2018-103' is not a clause (see `cbec-bot policy list`)",
        "test.yaml:2: t-one: source 'cs-2018-103:1' is not a clause (see `cbec-bot policy list`)",
    ]


def test_a_raw_id_in_the_answer_is_refused(tmp_path: Path) -> None:
    answer = DRAFT_OK + "\n• 条款编号：dalian-gxq-2026:5。"
    errors = errors_for(tmp_path, intent(answer, ["dalian-gxq-2026:5"]))
    assert errors == [
        "test.yaml:2: t-one: answer shows the raw source id 'dalian-gxq-2026:5' (users read the basis line the app adds)"
    ]


def test_an_answer_has_no_basis_line_of_its_own(tmp_path: Path) -> None:
    answer = DRAFT_OK + "\n依据：《大连高新区促进跨境电商产业高质量发展若干政策》（征求意见稿）第5条"
    errors = errors_for(tmp_path, intent(answer, ["dalian-gxq-2026:5"]))
    assert errors == [
        "test.yaml:2: t-one: answer has its own 依据 line (the app adds the basis line from sources)"
    ]


def test_national_rules_need_no_coverage(tmp_path: Path) -> None:
    folder = tmp_path / "faq"
    folder.mkdir()
    (folder / "test.yaml").write_text(yaml.safe_dump({"intents": [intent(DRAFT_OK, ["dalian-gxq-2026:5"])]}, allow_unicode=True),
                                      encoding="utf-8")  # fmt: skip
    report = validate(folder, coverage_file=tmp_path / "none.yaml")
    assert report.clauses_total == 122
    assert not any(":main" in ref for ref in report.uncovered)


# --- the shipped FAQ ----------------------------------------------------------------------


def test_the_shipped_faq_follows_the_text_rules() -> None:
    """Every rule above over every intent of the packaged FAQ (fails until its text is rewritten
    to the phone layout of issue 13)."""
    errors = validate(FAQ_DIR).errors
    assert errors == [], f"{len(errors)} errors, e.g.\n" + "\n".join(errors[:15])
