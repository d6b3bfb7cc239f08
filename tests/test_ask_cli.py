"""``cbec-bot ask``: one enquiry, --json, and the --jsonl batch mode."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli.commands import main
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
    assert "50%" in result.output and "依據：《" in result.output  # asked in traditional characters, answered in them


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
        [sys.executable, "-c", "from bot.cli.commands import main; main()", "ask", "--jsonl"],
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


def _dialogue_lines(sessions: int) -> list[str]:
    """Interleaved sessions, each the issue's dialogue, with plain lines between them."""
    turns = ["高新区海外仓补贴怎么算", "那上限是多少？", "我们去年花了120万", "四川呢"]
    lines = []
    for turn in turns:
        for s in range(sessions):
            lines.append(json.dumps({"session": f"s{s}", "text": turn}, ensure_ascii=False))
            lines.append("四川呢")  # plain: no context, whatever came before
    return lines


def test_jsonl_sessions_carry_context_and_plain_lines_do_not() -> None:
    lines = _dialogue_lines(3)
    result = CliRunner().invoke(main, ["ask", "--jsonl", "--workers", "1"], input="\n".join(lines) + "\n")
    assert result.exit_code == 0, result.output
    out = [json.loads(line) for line in result.output.splitlines()]
    sessions = [o for o, line in zip(out, lines, strict=True) if line.startswith("{")]
    plain = [o for o, line in zip(out, lines, strict=True) if not line.startswith("{")]
    for s in range(3):
        first, cap, spent, sichuan = sessions[s::3]
        assert (first["intent"], first["followup"]) == ("gxq-overseas-warehouse-subsidy", None)
        assert (cap["intent"], cap["followup"]) == ("gxq-overseas-warehouse-subsidy", "same")
        assert (spent["kind"], spent["calculation"]["total"]) == ("calculation", 500000.0)
        assert (sichuan["intent"], sichuan["followup"]) == ("sc-overseas-warehouse", "region")
    assert all(o["followup"] is None for o in plain)


def test_jsonl_sessions_keep_their_order_across_workers() -> None:
    """Many sessions over two forked workers: every line the same as in one process, in order."""
    lines = _dialogue_lines(20) + ['{"session": "x", "text": "9610是什么"}', '{"session": "x", "text": "9710呢"}']
    stdin = "\n".join(lines) + "\n"
    single = CliRunner().invoke(main, ["ask", "--jsonl", "--workers", "1"], input=stdin)
    forked = CliRunner().invoke(main, ["ask", "--jsonl", "--workers", "2"], input=stdin)
    assert single.exit_code == 0 and forked.exit_code == 0, forked.output
    assert forked.output == single.output
    last = json.loads(forked.output.splitlines()[-1])
    assert (last["intent"], last["followup"]) == ("reg-9710", "sibling")


def test_ask_session_holds_a_conversation_between_calls(tmp_path: Path) -> None:
    runner = CliRunner()
    env = {"CBEC_DB": str(tmp_path / "ask.db")}
    first = json.loads(runner.invoke(main, ["ask", "--session", "s1", "--json", "高新区海外仓补贴怎么算"], env=env).output)
    assert first["intent"] == "gxq-overseas-warehouse-subsidy"
    spent = json.loads(runner.invoke(main, ["ask", "--session", "s1", "--json", "我们去年花了120万"], env=env).output)
    assert (spent["kind"], spent["followup"]) == ("calculation", "amount")
    other = json.loads(runner.invoke(main, ["ask", "--session", "s2", "--json", "我们去年花了120万"], env=env).output)
    assert other["kind"] == "clarify" and other["followup"] is None  # another session knows no item
    alone = json.loads(runner.invoke(main, ["ask", "--json", "四川呢"], env=env).output)
    assert alone["followup"] is None
    assert runner.invoke(main, ["ask", "--session", " ", "x"], env=env).exit_code == 2
    assert runner.invoke(main, ["ask", "--session", "s1", "--jsonl"], input="x\n", env=env).exit_code == 2
