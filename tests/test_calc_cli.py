"""`cbec-bot calc subsidy|first-order`: in-process with click's CliRunner and as the installed script."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date
from decimal import Decimal as D
from pathlib import Path

import pytest
from click.testing import CliRunner

from calculators.cli import calc
from calculators.eit import deemed_profit_tax
from calculators.eligibility import Profile
from calculators.first_order import compensate
from calculators.items import load_items
from calculators.subsidy import estimate
from calculators.wording import problems

CLI = [str(Path(sys.executable).with_name("cbec-bot"))]


def invoke(*args: str):
    return CliRunner().invoke(calc, list(args))


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, "calc", *args], capture_output=True, text=True, timeout=60)


def test_subsidy_text() -> None:
    result = invoke("subsidy", "--item", "overseas-warehouse=80万", "--date", "2026-11-23")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == "可补40万元，未超过每年50万元上限（征求意见稿，可能调整）"
    assert "• 计算：海外仓费用80万元 × 50% = 40万元" in lines
    assert lines[-1] == "依据：《大连高新区促进跨境电商产业高质量发展若干政策》（征求意见稿）第5条、附则"
    assert "dalian-gxq-2026" not in result.stdout


def test_item_options_and_events_combine() -> None:
    result = invoke(
        "subsidy",
        "--overseas-warehouse",
        "80万",
        "--independent-site",
        "12万",
        "--anchor-enterprise",
        "--events",
        "12场",
        "--json",
        "--date",
        "2026-11-23",
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    estimates = {item["item"]: item["estimate"] for item in data["items"]}
    assert estimates == {
        "anchor-enterprise": 1_000_000,
        "training": 120_000,
        "overseas-warehouse": 400_000,
        "independent-site": 50_000,
    }
    assert data["total"] == 1_570_000 and data["total_is_upper_bound"] is True


def test_training_as_an_item_takes_a_count() -> None:
    data = json.loads(invoke("subsidy", "--item", "training=十二场", "--json").stdout)
    assert data["items"][0]["events"] == 12 and data["items"][0]["estimate"] == 120_000


@pytest.mark.parametrize(
    ("flag", "reason"),
    [
        ("--shell", "空壳企业"),
        ("--dishonest", "失信惩戒"),
        ("--not-in-zone", "不在高新区依法经营"),
        ("--owes-funds", "拖欠"),
    ],
)
def test_ineligible_flags(flag: str, reason: str) -> None:
    result = invoke("subsidy", "--item", "overseas-warehouse=80万", flag)
    assert result.exit_code == 0
    assert "不符合申报条件" in result.stdout and reason in result.stdout and "40万" not in result.stdout


def test_expired_date() -> None:
    result = invoke("subsidy", "--item", "overseas-warehouse=80万", "--date", "2029-01-01", "--json")
    data = json.loads(result.stdout)
    assert data["status"] == "expired" and data["total"] is None and data["items"][0]["estimate"] is None


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--item", "warehouse=80万"], "unknown support item 'warehouse'"),
        (["--item", "overseas-warehouse=很多"], "cannot read the amount"),
        (["--item", "overseas-warehouse=2万美元"], "人民币"),
        (["--item", "overseas-warehouse=-5万"], "may not be negative"),
        (["--item", "overseas-warehouse"], "give its amount"),
        (["--item", "overseas-warehouse=1", "--overseas-warehouse", "2"], "given twice"),
        (["--events", "许多"], "number of events"),
        (["--date", "2029-13-01", "--item", "exhibition=1"], "not a date"),
        ([], "at least one support item"),
        (["--item", "exhibition=1", "--entity", "sole-trader"], "is not one of legal-person, branch, other"),
    ],
)
def test_bad_subsidy_input_is_one_line_and_exit_2(args: list[str], message: str) -> None:
    result = invoke("subsidy", *args)
    assert result.exit_code == 2
    assert result.stdout == ""
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("Error: ") and message in line


def test_first_order_text_and_json() -> None:
    result = invoke("first-order", "--order", "20万", "--order", "50万", "--year", "1")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("合计可补偿16万元，未超过首年总额度30万元（征求意见稿，可能调整）\n")
    assert "滞销超过6个月" in result.stdout
    data = json.loads(
        invoke(
            "first-order",
            "--amount",
            "50万",
            "--amount",
            "50万",
            "--year",
            "2",
            "--claimed",
            "45万",
            "--json",
        ).stdout
    )
    assert [item["estimate"] for item in data["items"]] == [50_000, 0]
    assert (data["total"], data["year_cap"], data["remaining"]) == (50_000, 500_000, 50_000)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--order", "1", "--year", "4"], "is not 1, 2 or 3"),
        (["--order", "abc"], "cannot read the amount"),
        (["--order", "$500"], "人民币"),
        (["--order", "1", "--claimed", "-1"], "may not be negative"),
        ([], "at least one first order"),
    ],
)
def test_bad_first_order_input(args: list[str], message: str) -> None:
    result = invoke("first-order", *args)
    assert result.exit_code == 2
    (line,) = result.stderr.strip().splitlines()
    assert message in line


def test_installed_script_subsidy_json() -> None:
    result = run("subsidy", "--item", "overseas-warehouse=80万", "--json", "--date", "2026-11-23")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    (item,) = data["items"]
    assert (item["item"], item["base"], item["rate"], item["cap"], item["estimate"], item["source"]) == (
        "overseas-warehouse",
        800_000,
        0.5,
        500_000,
        400_000,
        "dalian-gxq-2026:5",
    )
    assert data["total"] == 400_000 and any("征求意见稿" in w for w in data["warnings"])


def test_installed_script_first_order_and_errors() -> None:
    result = run("first-order", "--order", "20万", "--order", "50万", "--year", "1")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("合计可补偿16万元")
    bad = run("subsidy", "--item", "overseas-warehouse=2万美元")
    assert bad.returncode == 2 and bad.stdout == ""
    assert bad.stderr.strip().count("\n") == 0 and "人民币" in bad.stderr


# --- issue 13: every calculator output reads on a phone ----------------------------------------
TODAY = date(2026, 11, 23)
ROUND = [D(0), D(8_000), D(200_000), D(800_000), D(1_200_000), D(50_000_000)]
ODD = [D("123456.78")]  # figures with fen are longer: 123,456.78元
PHONE, PHONE_ODD = 300, 340  # characters of one single-item reply (plus ≤ 10 lines)


def calculator_texts() -> list[tuple[str, str, int | None]]:
    """(label, text, length limit or None for several items) over every item at typical amounts,
    the first-order and income-tax calculators, ineligible and expired cases."""
    out: list[tuple[str, str, int | None]] = []
    for item in load_items().values():
        if item.per_event_cap is not None:
            for count in (0, 12, 40):
                out.append(
                    (f"{item.id} {count}场", estimate({}, TODAY, events={item.id: count}).text(), PHONE)
                )
            continue
        amounts = (
            [(None, PHONE)]
            if item.rate is None
            else [(a, PHONE) for a in ROUND] + [(a, PHONE_ODD) for a in ODD]
        )
        for amount, limit in amounts:
            out.append((f"{item.id} {amount}", estimate({item.id: amount}, TODAY).text(), limit))
        out.append(
            (f"{item.id} ineligible", estimate({item.id: D(1)}, TODAY, Profile(shell=True)).text(), PHONE)
        )
        out.append((f"{item.id} expired", estimate({item.id: D(1)}, date(2029, 1, 1)).text(), PHONE))
    everything = {i: (None if item.rate is None else D(800_000)) for i, item in load_items().items()}
    everything.pop("training")
    out.append(("all items", estimate(everything, TODAY, events={"training": 12}).text(), None))
    for orders, year, claimed in [
        ([D(200_000)], 1, D(0)),
        ([D(500_000)], 1, D(0)),
        ([D(500_000)] * 7, 3, D(10_000)),
    ]:
        limit = PHONE if len(orders) == 1 else None
        out.append((f"first-order {orders} {year}", compensate(orders, year, claimed, TODAY).text(), limit))
    out.append(("first-order odd", compensate([D("123456.78")], today=TODAY).text(), PHONE_ODD))
    out.append(
        (
            "first-order ineligible",
            compensate([D(1)], today=TODAY, profile=Profile(dishonest=True)).text(),
            PHONE,
        )
    )
    out.append(("first-order expired", compensate([D(1)], today=date(2029, 1, 1)).text(), PHONE))
    for revenue, limit in (
        (D(0), PHONE),
        (D(5_000_000), PHONE),
        (D("75000025"), PHONE_ODD),
        (D("123456.78"), PHONE_ODD),
    ):
        for small, day in ((False, TODAY), (True, TODAY), (True, date(2028, 1, 1))):
            out.append((f"eit {revenue} {small} {day}", deemed_profit_tax(revenue, small, day).text(), limit))
    return out


def test_every_calculator_output_keeps_the_text_rules() -> None:
    for label, text, limit in calculator_texts():
        lines = text.splitlines()
        assert problems(text) == [], (label, problems(text), text)
        assert "dalian-gxq-2026" not in text and "liaoning-2026" not in text, label
        assert lines[-1].startswith("依据："), label
        assert all(line.startswith("• ") for line in lines[1:-1]), label
        if "大连高新区" in lines[-1]:
            assert "征求意见稿" in lines[0], label  # the draft status is on line 1
        if limit is not None:  # one figure: it fits a phone screen
            assert len(lines) <= 10 and len(text) <= limit, (label, len(lines), len(text))


def test_the_text_rule_checker_catches_the_old_faults() -> None:
    assert problems("提供 品牌营销") == ["空格: …提供 品牌营销…"]
    assert [p.split(":")[0] for p in problems("(征求意见稿,可能调整)第5条:")] == ["半角标点"] * 4
    assert [p.split(":")[0] for p in problems("条款编号: dalian-gxq-2026:5")] == ["半角标点", "条款编号"]
    assert problems("9610 跨境贸易电子商务，USD 200,000，AEO认证") == []
