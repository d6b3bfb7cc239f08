"""`cbec-bot calc subsidy|first-order`: in-process with click's CliRunner and as the installed script."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from calculators.cli import calc

CLI = [str(Path(sys.executable).with_name("cbec-bot"))]


def invoke(*args: str):
    return CliRunner().invoke(calc, list(args))


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, "calc", *args], capture_output=True, text=True, timeout=60)


def test_subsidy_text() -> None:
    result = invoke("subsidy", "--item", "overseas-warehouse=80万", "--date", "2026-11-23")
    assert result.exit_code == 0, result.output
    assert "80万元 × 50% = 40万元，未超过每年最高50万元" in result.stdout
    assert "合计：40万元（400,000元）" in result.stdout
    assert "征求意见稿" in result.stdout and "dalian-gxq-2026:5" in result.stdout


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
    assert "合计：16万元（160,000元），未超过首年总额度30万元" in result.stdout
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
    assert "合计：16万元（160,000元）" in result.stdout
    bad = run("subsidy", "--item", "overseas-warehouse=2万美元")
    assert bad.returncode == 2 and bad.stdout == ""
    assert bad.stderr.strip().count("\n") == 0 and "人民币" in bad.stderr
