"""``cbec-bot ask``: one enquiry, --json, and the --jsonl batch mode."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli import main
from intents.respond import Responder, swap_responder
from policy_faq.faq import load_faq

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = """
intents:
  - id: gxq-overseas-warehouse-subsidy
    title: 高新区海外仓补贴
    topic: 补贴申报
    jurisdiction: dalian-gxq
    questions: [高新区对海外仓有什么补贴, 海外仓建设运营能补贴多少钱, 我们在美国租了海外仓高新区给补吗, 海外仓补贴比例和上限是多少,
      海外仓 补贴, 用第三方海外仓的费用能申请支持吗, overseas warehouse subsidy in Dalian high-tech zone, 海外倉運營費用補貼標準]
    answer: 按大连高新区政策(征求意见稿)第5条,海外仓储配套设施建设、使用及运营费用给予50%资金支持,每年最高50万元。
    sources: [dalian-gxq-2026:5]
    action: calc:overseas-warehouse
  - id: hello
    title: 问候
    kind: smalltalk
    topic: 对话
    jurisdiction: none
    questions: [你好, 您好, 在吗, hello, 早上好, 哈喽, 有人吗, 嗨]
    answer: 您好!我是跨境电商政策咨询助手,请直接告诉我您想了解的政策问题。
"""
KEYS = {"kind", "intent", "confidence", "answer", "sources", "suggestions"}


@pytest.fixture()
def sample_responder(tmp_path: Path):
    (tmp_path / "faq").mkdir()
    (tmp_path / "faq" / "sample.yaml").write_text(SAMPLE, encoding="utf-8")
    previous = swap_responder(Responder(load_faq(tmp_path / "faq")))
    yield
    if previous is not None:
        swap_responder(previous)


def test_ask_prints_the_answer(sample_responder) -> None:
    result = CliRunner().invoke(main, ["ask", "海外倉補貼多少"])
    assert result.exit_code == 0, result.output
    assert "50%" in result.output and "依據:" in result.output  # asked in traditional characters, answered in them


def test_ask_json(sample_responder) -> None:
    result = CliRunner().invoke(main, ["ask", "高新区海外仓补贴多少", "--region", "dalian-gxq", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert KEYS <= set(data)
    assert data["intent"] == "gxq-overseas-warehouse-subsidy"
    assert data["sources"] == ["dalian-gxq-2026:5"]
    assert 0 <= data["confidence"] <= 1


def test_ask_jsonl_keeps_order_and_handles_bad_lines(sample_responder) -> None:
    lines = ["你好", "", "海外仓补贴多少", "今天天气怎么样", "问" * 2500, '{"q": "海外仓补贴", "region": "sichuan"}']
    result = CliRunner().invoke(main, ["ask", "--jsonl"], input="\n".join(lines) + "\n")
    assert result.exit_code == 0, result.output
    out = [json.loads(line) for line in result.output.splitlines()]
    assert len(out) == len(lines)
    assert all(KEYS <= set(o) for o in out)
    assert out[0]["kind"] == "smalltalk"
    assert out[1]["kind"] == "fallback"
    assert out[2]["intent"] == "gxq-overseas-warehouse-subsidy"
    assert out[3]["kind"] == "fallback"
    assert out[4]["kind"] == "fallback" and "2000" in out[4]["answer"]


def test_ask_usage_errors() -> None:
    runner = CliRunner()
    assert runner.invoke(main, ["ask"]).exit_code == 2
    assert runner.invoke(main, ["ask", "海外仓", "--region", "mars"]).exit_code == 2
    assert runner.invoke(main, ["ask", "海外仓", "--jsonl"]).exit_code == 2


def test_jsonl_flushes_each_line() -> None:
    """A reply comes back before stdin is closed: one JSON line per enquiry, flushed."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CBEC_")} | {"CBEC_SECRET": "test-secret"}
    with subprocess.Popen(
        [sys.executable, "-c", "from bot.cli import main; main()", "ask", "--jsonl"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, cwd=ROOT, env=env, text=True, encoding="utf-8",
    ) as process:
        process.stdin.write("海外仓补贴多少\n")
        process.stdin.flush()
        first = json.loads(process.stdout.readline())
        assert KEYS <= set(first)
        process.stdin.write("你好\n")
        process.stdin.close()
        second = json.loads(process.stdout.readline())
        assert KEYS <= set(second)
        assert process.wait(timeout=30) == 0


def test_jsonl_workers_answer_like_one_process(sample_responder) -> None:
    """Forked workers give the same lines in the same order as a single process."""
    lines = ["你好", "海外仓补贴多少", "", "今天天气怎么样", '{"q": "海外仓补贴", "region": "sichuan"}', "转人工"] * 30
    stdin = "\n".join(lines) + "\n"
    single = CliRunner().invoke(main, ["ask", "--jsonl", "--workers", "1"], input=stdin)
    forked = CliRunner().invoke(main, ["ask", "--jsonl", "--workers", "2"], input=stdin)
    assert single.exit_code == 0 and forked.exit_code == 0, forked.output
    assert forked.output == single.output
    out = [json.loads(line) for line in forked.output.splitlines()]
    assert len(out) == len(lines)
    assert [o["kind"] for o in out[:6]] == [json.loads(line)["kind"] for line in single.output.splitlines()[:6]]
    assert out[1]["intent"] == "gxq-overseas-warehouse-subsidy" and out[3]["kind"] == "fallback"
    assert CliRunner().invoke(main, ["ask", "--jsonl", "--workers", "0"], input="x\n").exit_code == 2
