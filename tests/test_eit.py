"""Deemed-profit income tax (calculators/eit.py) and `cbec-bot calc eit`."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner

from calculators.cli_eit import eit
from calculators.eit import NegativeRevenueError, deemed_profit_tax

CLI = [str(Path(sys.executable).with_name("cbec-bot"))]
DAY = date(2026, 11, 23)  # the preference runs to 2027-12-31: tests must not depend on today
REGULATIONS = Path(__file__).parents[1] / "policy_faq" / "documents" / "regulations.md"


@pytest.mark.parametrize(
    ("revenue", "small", "taxable", "tax", "applied"),
    [
        ("0", False, "0", "0", False),
        ("5000000", False, "200000", "50000", False),
        ("5000000", True, "200000", "10000", True),
        ("75000000", True, "3000000", "150000", True),  # exactly at 300万 taxable income
        ("75000025", True, "3000001", "750000.25", False),  # just above: 25%
        ("100000000", True, "4000000", "1000000", False),
        ("123456.78", False, "4938.27", "1234.57", False),
    ],
)
def test_tax_table(revenue: str, small: bool, taxable: str, tax: str, applied: bool) -> None:
    result = deemed_profit_tax(Decimal(revenue), small_low_profit=small, on=DAY)
    assert result.taxable_income == Decimal(taxable)
    assert result.tax == Decimal(tax)
    assert result.small_low_profit_applied is applied


def test_small_low_profit_is_point_two_percent_of_revenue_while_it_qualifies() -> None:
    # regulations.md: "the tax is 0.2% of revenue while taxable income stays <= 3 million"
    for revenue in (Decimal(1), Decimal("3.5e6"), Decimal("7.5e7")):
        assert deemed_profit_tax(revenue, True, DAY).tax == (revenue * Decimal("0.002")).quantize(
            Decimal("0.01")
        )


def test_not_qualifying_says_why_and_uses_25_percent() -> None:
    text = deemed_profit_tax(Decimal("1e8"), True, DAY).text()
    assert text.splitlines()[0] == "应纳企业所得税约100万元（按收入4%核定应税所得率、25%税率）"
    assert "• 应纳税所得额400万元超过300万元，不适用小型微利企业优惠，按25%计算" in text
    assert "• 税额：400万元 × 25% = 100万元" in text


def test_text_lists_conditions_sources_and_unconfirmed_points() -> None:
    result = deemed_profit_tax(Decimal("5e6"), on=DAY)
    text = result.text()
    lines = text.splitlines()
    assert lines[0] == "应纳企业所得税约5万元（按收入4%核定应税所得率、25%税率）"
    assert "• 应纳税所得额：收入500万元 × 4% = 20万元" in lines and "• 税额：20万元 × 25% = 5万元" in lines
    assert "无票免税" in text and "鉴定" in text and "12366" in text
    assert lines[-1] == "依据：国家税务总局公告2019年第36号。以税务机关最新规定为准"
    assert "liaoning-2026" not in text and len(lines) <= 10 and len(text) <= 300
    # the machine ids and the unconfirmed 2026 points stay in the JSON
    data = result.as_dict()
    assert data["sources"] == ["liaoning-2026:15", "sichuan-2024:16"]
    assert any("国家税务总局公告2026年第5号" in w for w in data["warnings"])


def test_small_low_profit_text() -> None:
    text = deemed_profit_tax(Decimal("5e6"), True, DAY).text()
    lines = text.splitlines()
    assert lines[0] == "应纳企业所得税约1万元（小型微利企业，约为收入的0.2%）"
    assert "• 税额：20万元 × 25% × 20% = 1万元" in lines
    assert "2027年12月31日" in text and "≤300万元" in text
    assert lines[-1] == (
        "依据：国家税务总局公告2019年第36号、财政部税务总局公告2023年第12号、国家税务总局公告2023年第6号。"
        "以税务机关最新规定为准"
    )
    assert len(lines) <= 10 and len(text) <= 310


def test_every_regulation_number_named_is_in_regulations_md() -> None:
    source = REGULATIONS.read_text(encoding="utf-8")
    text = deemed_profit_tax(Decimal("5e6"), True, DAY).text()
    named = re.findall(r"\d{4}年第\d+号|〔\d{4}〕\d+号", text)
    assert {"2019年第36号", "2023年第12号", "2023年第6号"} <= set(named)
    for number in named:
        assert number in source


def test_negative_revenue_is_refused() -> None:
    with pytest.raises(NegativeRevenueError):
        deemed_profit_tax(Decimal(-1))


def test_cli_text_with_and_without_preference() -> None:
    plain = CliRunner().invoke(eit, ["--revenue", "500万"])
    assert plain.exit_code == 0, plain.output
    assert plain.stdout.startswith("应纳企业所得税约5万元")
    assert "• 税额：20万元 × 25% = 5万元" in plain.stdout
    small = CliRunner().invoke(eit, ["--revenue", "500万", "--small-low-profit", "--date", "2026-11-23"])
    assert small.stdout.startswith("应纳企业所得税约1万元（小型微利企业，约为收入的0.2%）")
    assert "× 25% × 20% = 1万元" in small.stdout


def test_cli_json() -> None:
    result = CliRunner().invoke(
        eit, ["--revenue", "50w", "--small-low-profit", "--date", "2026-11-23", "--json"]
    )
    data = json.loads(result.stdout)
    assert (data["taxable_income"], data["tax"], data["small_low_profit_applied"]) == (20000, 1000, True)
    assert data["warnings"]


@pytest.mark.parametrize(
    ("value", "message"),
    [("abc", "cannot read the amount"), ("-5万", "may not be negative"), ("2万美元", "--revenue")],
)
def test_cli_bad_input_exits_2_with_one_line(value: str, message: str) -> None:
    result = subprocess.run(
        [*CLI, "calc", "eit", "--revenue", value], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2
    assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert result.stdout == ""


def test_installed_script_prints_the_tax() -> None:
    result = subprocess.run(
        [*CLI, "calc", "eit", "--revenue", "500万", "--small-low-profit", "--date", "2026-11-23"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("应纳企业所得税约1万元")


def test_preference_after_2027_is_not_applied() -> None:
    # 财政部 税务总局公告2023年第12号 runs to 2027-12-31; regulations.md says nothing after it.
    last = deemed_profit_tax(Decimal("5e6"), True, date(2027, 12, 31))
    after = deemed_profit_tax(Decimal("5e6"), True, date(2028, 1, 1))
    assert (last.tax, last.small_low_profit_applied) == (Decimal(10000), True)
    assert (after.tax, after.small_low_profit_applied) == (Decimal(50000), False)
    assert "已过期" in after.text() and "12366" in after.text()
    assert after.text().startswith("应纳企业所得税约5万元")


def test_cli_bad_date_exits_2() -> None:
    result = CliRunner().invoke(eit, ["--revenue", "500万", "--date", "tomorrow"])
    assert result.exit_code == 2 and "--date" in result.output
