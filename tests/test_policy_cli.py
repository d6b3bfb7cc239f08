"""`cbec-bot policy list|show|search`, run as the installed console script on this checkout's code."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from test_corpus import NATIONAL, documented_ids

CLI = [str(Path(sys.executable).with_name("cbec-bot"))]
ROOT = Path(__file__).resolve().parent.parent
# the script imports this checkout's packages, not those of the checkout it was installed from
ENV = os.environ | {"PYTHONPATH": str(ROOT)}


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, *args], capture_output=True, text=True, timeout=60, env=ENV)


def test_list_json_has_every_documented_clause() -> None:
    result = run("policy", "list", "--json")
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    assert {(row["doc"], row["clause"]) for row in rows} == {
        (doc, clause) for doc, clauses in documented_ids().items() for clause in clauses
    } | {(doc, "main") for doc, _, _ in NATIONAL}
    assert all(set(row) >= {"doc", "clause", "title", "status"} for row in rows)
    statuses = {row["doc"]: row["status"] for row in rows}
    assert statuses["dalian-gxq-2026"] == "draft" and statuses["panjin-2020"] == "historical"


def test_list_text_groups_by_document() -> None:
    result = run("policy", "list")
    assert result.returncode == 0
    assert "大连高新区促进跨境电商产业高质量发展若干政策  [征求意见稿" in result.stdout
    assert "dalian-gxq-2026:5" in result.stdout


def test_show_prints_the_clause_under_its_document() -> None:
    result = run("policy", "show", "dalian-gxq-2026:5")
    assert result.returncode == 0
    assert result.stdout.startswith("大连高新区促进跨境电商产业高质量发展若干政策\n[征求意见稿]")
    assert "给予 50%的资金支持，每年最高 50 万元" in result.stdout
    assert "有效期至 2028-12-31" in result.stdout


def test_list_includes_the_national_rules() -> None:
    rows = json.loads(run("policy", "list", "--json").stdout)
    row = next(row for row in rows if row["ref"] == "cs-2018-103:main")
    assert row["kind"] == "national" and row["number"] == "财税〔2018〕103号" and row["status"] == "in_force"
    text = run("policy", "list").stdout
    assert "cs-2018-103  财税〔2018〕103号  关于跨境电子商务综合试验区零售出口货物税收政策的通知  [现行有效, 全国," in text
    assert "gacc-2024-167:main" in text and "gh-2020-47:main" in text


def test_show_prints_a_national_rule_and_its_summary() -> None:
    result = run("policy", "show", "gacc-2024-167:main")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("关于进一步促进跨境电商出口发展的公告\n[现行有效] 海关总署 · 2024 · 全国\n")
    assert "文号: 海关总署公告2024年第167号" in result.stdout and "施行日期 2024-12-15" in result.stdout
    assert "gacc-2024-167:main  取消9810海外仓备案\n（要点摘要，非原文）\n自2024年12月15日起" in result.stdout
    bare = run("policy", "show", "cs-2018-103")  # a national rule has one clause: its id is enough
    assert bare.returncode == 0
    assert bare.stdout.startswith("关于跨境电子商务综合试验区零售出口货物税收政策的通知\n[现行有效] 财政部 税务总局 商务部 海关总署")
    assert "文号: 财税〔2018〕103号" in bare.stdout and "以税务机关最新规定为准" in bare.stdout


def test_show_names_responsible_units() -> None:
    result = run("policy", "show", "liaoning-2026:14")
    assert "责任单位: 大连海关、沈阳海关" in result.stdout


def test_show_unknown_id_exits_2() -> None:
    result = run("policy", "show", "dalian-gxq-2026:99")
    assert result.returncode == 2
    assert "no clause 'dalian-gxq-2026:99'" in result.stderr
    assert "Traceback" not in result.stderr


def test_search_finds_the_warehouse_clauses() -> None:
    result = run("policy", "search", "海外仓", "--limit", "10", "--json")
    assert result.returncode == 0
    refs = [hit["ref"] for hit in json.loads(result.stdout)]
    assert len(refs) == 10
    assert {"mofcom-2024:8", "sichuan-2024:14", "panjin-2020:2.13", "liaoning-2026:10"} <= set(refs)


def test_search_text_output_has_ids_and_snippets() -> None:
    result = run("policy", "search", "独立站", "--limit", "3")
    assert result.returncode == 0
    assert "dalian-gxq-2026:9" in result.stdout
    assert "独立站" in result.stdout


def test_search_without_text_exits_2() -> None:
    result = run("policy", "search", "  ")
    assert result.returncode == 2
    assert "give some words to search for" in result.stderr


def test_search_limit_must_be_positive() -> None:
    assert run("policy", "search", "海外仓", "--limit", "0").returncode == 2


def test_faq_validate_checks_the_folder_cbec_faq_dir_names(tmp_path: Path) -> None:
    """Operators validate the FAQ they serve (CBEC_FAQ_DIR), not the packaged one."""
    import shutil

    from policy_faq.faq import FAQ_DIR

    folder = tmp_path / "faq"
    shutil.copytree(FAQ_DIR, folder)
    env = {k: v for k, v in ENV.items() if not k.startswith("CBEC_")} | {"CBEC_FAQ_DIR": str(folder)}
    packaged = json.loads(subprocess.run([*CLI, "faq", "validate", "--json"], capture_output=True, text=True, timeout=60, env=env).stdout)
    (folder / "conversation.yaml").unlink()
    (folder / "broken.yaml").write_text("intents:\n  - id: x-broken\n    title: 缺答案\n", encoding="utf-8")
    result = subprocess.run([*CLI, "faq", "validate", "--json"], capture_output=True, text=True, timeout=60, env=env)
    assert result.returncode == 1
    report = json.loads(result.stdout)
    assert report["intents"] < packaged["intents"] and report["errors"]
    assert any("broken.yaml" in error for error in report["errors"])
