"""The demand report (企业诉求分析) and the overview's figures over a seeded month, in a real SQLite
file: `cbec-bot report` writes HTML, CSV and PDF whose numbers are the dashboard's, figures carry
their change against the previous period, labels are Chinese and no raw id shows in the page text,
and any enquiry opens its whole conversation."""

from __future__ import annotations

import csv
import html as htmllib
import io
import re
import subprocess
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from report_seed import WAREHOUSE, seed
from test_web import TestClient, login

from bot.channels.web.app import create_app
from bot.channels.web.passwords import hash_password
from bot.records import report as demand_report
from bot.records.catalog import intent_catalog
from bot.records.enquiry_log import apply_record
from bot.records.stats import Scope
from bot.settings import load_settings
from bot.storage import open_database
from bot.storage.sqlite import Database

ROOT = Path(__file__).resolve().parent.parent
INTENTS = [WAREHOUSE, "gxq-training-subsidy", "x-overseas-warehouse"]
NOVEMBER = Scope(date(2026, 11, 1), date(2026, 11, 30))
PERIOD = "days=&start=2026-11-01&end=2026-11-30"
CBEC_BOT = [sys.executable, "-c", "import sys; from bot.cli.commands import main; sys.argv[0] = 'cbec-bot'; sys.exit(main())"]
RAW_IDS = re.compile(r"\b(gxq|x|ln|sc|yk|pj)-[a-z0-9-]+|overseas-warehouse|dalian-gxq|training\b")


def expected(kinds: list[str]) -> dict[str, float]:
    in_scope = [k for k in kinds if k not in ("smalltalk", "handoff")]
    return {
        "total": len(kinds),
        "answer_rate": sum(k in ("answer", "calculation", "checklist") for k in in_scope) / len(in_scope),
        "clarify_rate": in_scope.count("clarify") / len(in_scope),
        "fallback_rate": in_scope.count("fallback") / len(in_scope),
    }


@pytest.fixture
def seeded(db_target) -> Iterator[tuple[Database, dict[str, list[str]], Path]]:
    path = db_target  # a SQLite file, then a PostgreSQL database (the report command reads either)
    db = open_database(path)
    kinds = seed(db, INTENTS)
    yield db, kinds, path
    db.close()


def test_figures_with_their_change_against_the_previous_month(seeded) -> None:
    db, kinds, _ = seeded
    built = demand_report.build(db, NOVEMBER, intent_catalog())
    assert (built.previous.start, built.previous.end) == (date(2026, 10, 1), date(2026, 10, 31))
    figures = {figure.key: figure for figure in built.figures}
    nov, oct_ = expected(kinds["nov"]), expected(kinds["oct"])
    for key in ("answer_rate", "clarify_rate", "fallback_rate"):
        assert figures[key].value == pytest.approx(nov[key]) and figures[key].previous == pytest.approx(oct_[key])
    assert figures["total"].shown == "60" and figures["total"].change == "↑24条"
    assert figures["answer_rate"].change == f"↑{(nov['answer_rate'] - oct_['answer_rate']) * 100:.1f}个百分点"
    assert figures["answer_rate"].tone == "better" and figures["fallback_rate"].tone == "better"
    assert figures["handoffs"].shown == "3" and figures["handoffs"].change == "↑1条"
    # answered after 30 and 90 minutes (one still open) against 120 and 120 in October
    assert figures["handoff_wait"].shown == "60.0分钟" and figures["handoff_wait"].change == "↓60.0分钟"
    assert figures["satisfaction"].shown == "75.0%" and figures["satisfaction"].change == "↑25.0个百分点"
    assert figures["reply_time"].shown == "0.14秒"
    assert all(figure.change not in ("上期无数据", "本期无数据") for figure in built.figures)
    # every figure has a change; without a previous period it says so
    empty = demand_report.build(db, Scope(date(2026, 9, 1), date(2026, 9, 30)), intent_catalog())
    assert {figure.change for figure in empty.figures} <= {"上期无数据", "本期无数据", "持平"}


def test_demand_by_item_in_chinese_with_amounts(seeded) -> None:
    db, _, _ = seeded
    built = demand_report.build(db, NOVEMBER, intent_catalog())
    assert [(row.name, row.count, row.estimate) for row in built.demand] == [
        ("海外仓储配套设施建设、使用及运营", 2, 900000.0),
        ("跨境电商人才培训", 1, 50000.0),
    ]
    assert demand_report.yuan(built.demand_total) == "95万元"
    assert built.weeks[0][0] == date(2026, 10, 26) and sum(n for _, n, _ in built.weeks) == 60
    assert {share.label for share in built.regions} == {"大连高新区", "辽宁", "四川", "营口"}
    assert {share.label for share in built.channels} == {"网页", "Telegram"}
    assert "海外仓" in {share.label for share in built.topics} or "补贴申报" in {s.label for s in built.topics}
    assert [group.text for group in built.unanswered][:1] and "今天天气好不好" in {g.text for g in built.unanswered}


def _figures_in_html(page: str) -> dict[str, tuple[str, str]]:
    found = {}
    for key, block in re.findall(r'<div class="figure" data-key="([a-z_]+)">(.*?)</div>', page, re.DOTALL):
        value = re.search(r'<strong class="value">(.*?)</strong>', block).group(1)
        change = re.search(r'<span class="change [a-z]+">(.*?)</span>', block).group(1)
        found[key] = (htmllib.unescape(value), htmllib.unescape(change))
    return found


def _page_text(page: str) -> str:
    """What a reader sees: no tags, no attributes, no <details> contents, no <title> of SVG shapes."""
    page = re.sub(r"<details>.*?</details>", "", page, flags=re.DOTALL)
    page = re.sub(r"<(script|style|title)[^>]*>.*?</\1>", "", page, flags=re.DOTALL)
    return htmllib.unescape(re.sub(r"<[^>]+>", " ", page))


@pytest.fixture
def dashboard(seeded, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[TestClient, Database, dict, Path]]:
    from test_web import PASSWORD

    db, kinds, path = seeded
    monkeypatch.setenv("CBEC_STAFF_USERS", f"alice:staff:{hash_password(PASSWORD, iterations=1000)}")
    with TestClient(create_app(load_settings(), db=db, chat=lambda *a: [])) as client:
        yield client, db, kinds, path


def test_report_files_agree_with_the_dashboard(dashboard, tmp_path: Path) -> None:
    client, _, _, path = dashboard
    assert login(client).status_code == 303
    overview = client.get(f"/staff?{PERIOD}")
    page = client.get(f"/staff/report?{PERIOD}")
    assert overview.status_code == 200 and page.status_code == 200
    shown = _figures_in_html(page.text)
    assert len(shown) == 8 and _figures_in_html(overview.text) == shown
    assert "企业诉求分析" in page.text

    env = {"CBEC_DB": str(path), "CBEC_SECRET": "report-test", "PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)}
    outputs = {}
    for form in ("html", "csv", "pdf"):
        if form == "pdf" and demand_report.chromium() is None:
            pytest.skip("no chromium to print the PDF with")
        out = tmp_path / f"report.{form}"
        done = subprocess.run([*CBEC_BOT, "report", "--from", "2026-11-01", "--to", "2026-11-30", "--format", form,
                               "--out", str(out)], capture_output=True, text=True, env=env, timeout=180)  # fmt: skip
        assert done.returncode == 0, done.stderr
        outputs[form] = out.read_bytes()

    file_html = outputs["html"].decode()
    assert _figures_in_html(file_html) == shown
    # one self-contained file: styles inline, charts as inline SVG, nothing fetched
    assert "<style>" in file_html and file_html.count("<svg") >= 3
    assert not re.search(r'<(link|script|img)\b|src="http|href="http', file_html)
    assert "海外仓储配套设施建设、使用及运营" in file_html and "90万元" in file_html

    rows = list(csv.reader(io.StringIO(outputs["csv"].decode("utf-8-sig"))))
    assert rows[0] == ["部分", "项目", "本期", "上期", "说明"]
    labels = {figure.key: figure.label for figure in demand_report.build(client.app.state.web.db, NOVEMBER).figures}
    csv_figures = {row[1]: (row[2], row[4]) for row in rows if row[0] == "概况"}
    assert {key: csv_figures[label] for key, label in labels.items()} == shown
    assert ["补贴测算", "海外仓储配套设施建设、使用及运营", "2", "", "申报金额合计200万元，测算补贴合计90万元"] in rows

    assert outputs["pdf"].startswith(b"%PDF")
    from pypdf import PdfReader

    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(outputs["pdf"])).pages)
    squeezed = re.sub(r"\s+", "", text)
    for value, change in shown.values():
        assert value in squeezed and change in squeezed, (value, change)
    assert "海外仓储配套设施建设、使用及运营" in squeezed

    # the dashboard's own downloads are the same files
    download = client.get(f"/staff/report.csv?{PERIOD}")
    assert download.status_code == 200 and download.content == outputs["csv"]
    assert _figures_in_html(client.get(f"/staff/report.html?{PERIOD}").text) == shown
    printed = client.get(f"/staff/report.pdf?{PERIOD}")
    assert printed.status_code == 200 and printed.content.startswith(b"%PDF")
    assert printed.headers["content-type"] == "application/pdf"


def test_pages_are_chinese_without_raw_ids(dashboard) -> None:
    client, _, _, _ = dashboard
    login(client)
    for url in (f"/staff?{PERIOD}", f"/staff/report?{PERIOD}", "/staff/enquiries/nov-0001"):
        page = client.get(url)
        assert page.status_code == 200, url
        text = _page_text(page.text)
        assert not RAW_IDS.search(text), (url, RAW_IDS.search(text).group(0))
    text = _page_text(client.get(f"/staff?{PERIOD}").text)
    for label in ("直接解答率", "追问率", "未能回答率", "转人工等待时间（中位数）", "👍占比", "回复耗时（中位数）",
                  "每周趋势", "主题 × 地区", "海外仓储配套设施建设、使用及运营"):  # fmt: skip
        assert label in text, label
    assert "较上期↑" in text and "上期无数据" not in text


def test_staff_pages_need_a_login(dashboard) -> None:
    client, _, _, _ = dashboard
    for url in ("/staff/report", "/staff/report.csv", "/staff/report.pdf", "/staff/report.html",
                "/staff/enquiries/nov-0001"):  # fmt: skip
        response = client.get(url, follow_redirects=False)
        assert response.status_code == 303 and "/staff/login" in response.headers["location"], url


def test_a_row_opens_its_whole_conversation(dashboard) -> None:
    client, db, _, _ = dashboard
    rows = [
        ("s1", "2026-11-20T02:00:00.000Z", "me", "海外仓补贴多少？我的电话13812345678", "answer", WAREHOUSE, 0.91),
        ("s2", "2026-11-20T02:05:00.000Z", "other", "别人的问题", "answer", WAREHOUSE, 0.9),
        ("s3", "2026-11-20T02:06:00.000Z", "me", "上限是多少", "clarify", "gxq-training-subsidy", 0.42),
        ("s4", "2026-11-20T02:30:00.000Z", "me", "今天天气好不好", "fallback", None, 0.05),
        ("s5", "2026-11-20T05:00:00.000Z", "me", "另一段对话", "answer", WAREHOUSE, 0.8),
    ]
    for id_, time, user, text, kind, intent, confidence in rows:
        record = [{"t": "enquiries", "m": "insert", "r": {
            "id": id_, "time": time, "channel": "web", "user_key": user, "region": "dalian-gxq", "text": text,
            "kind": kind, "intent": intent, "confidence": confidence, "top3": "[]",
            "sources": '["dalian-gxq-2026:5"]' if intent == WAREHOUSE else "[]"}}]  # fmt: skip
        db.execute_write_fn(lambda d, r=record: apply_record(d, r))
    db.flush()
    login(client)
    listing = client.get("/staff/enquiries?days=&start=2026-11-20&end=2026-11-20")
    assert 'href="/staff/enquiries/s3"' in listing.text
    page = client.get("/staff/enquiries/s3")
    assert page.status_code == 200
    text = _page_text(page.text)
    thread = text[text.index("整段对话") :]
    assert "3条咨询" in thread
    assert thread.index("海外仓补贴多少") < thread.index("上限是多少") < thread.index("今天天气好不好")
    assert "别人的问题" not in thread and "另一段对话" not in thread
    assert "13812345678" not in page.text and "[手机号]" in thread
    assert "答复：解答" in re.sub(r"\s+", "", thread) and "答复：追问" in re.sub(r"\s+", "", thread)
    assert "置信度：0.42" in re.sub(r"\s+", "", thread) and "置信度：0.05" in re.sub(r"\s+", "", thread)
    assert "依据：《大连高新区促进跨境电商产业高质量发展若干政策》（征求意见稿）第5条" in thread
    assert "所选咨询" in thread
    assert client.get("/staff/enquiries/nope").status_code == 404


def test_report_text_keeps_full_width_punctuation(seeded) -> None:
    from policy_faq.typography import offences

    db, _, _ = seeded
    page = demand_report.html(demand_report.build(db, NOVEMBER, intent_catalog()))
    page = re.sub(r"<(style|title)[^>]*>.*?</\1>", "", page, flags=re.DOTALL)
    lines = [line.strip() for line in htmllib.unescape(re.sub(r"<[^>]+>", "\n", page)).splitlines() if line.strip()]
    assert len(lines) > 100
    assert [(line, offences(line)) for line in lines if offences(line)] == []
    csv_lines = demand_report.csv_text(demand_report.build(db, NOVEMBER, intent_catalog())).splitlines()
    assert [line for line in csv_lines if any(offences(cell) for cell in line.split(","))] == []


def test_report_command_refuses_bad_dates(tmp_path: Path) -> None:
    path = tmp_path / "cbec.db"
    Database(path).close()
    env = {"CBEC_DB": str(path), "CBEC_SECRET": "report-test", "PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)}
    for args, message in ((["--from", "2026-11-30", "--to", "2026-11-01"], "不能早于"),
                          (["--from", "11/01/2026", "--to", "2026-11-30"], "日期格式")):  # fmt: skip
        done = subprocess.run([*CBEC_BOT, "report", *args], capture_output=True, text=True, env=env, timeout=60)
        assert done.returncode == 2 and message in done.stderr, done.stderr
    missing = subprocess.run([*CBEC_BOT, "report", "--from", "2026-11-01", "--to", "2026-11-30"], capture_output=True,
                             text=True, env={**env, "CBEC_DB": str(path.parent / "none.db")}, timeout=60)  # fmt: skip
    assert missing.returncode == 1 and "没有找到数据库" in missing.stderr
    assert not (path.parent / "none.db").exists()


def test_unanswered_needs_are_clusters_of_similar_questions(tmp_path: Path) -> None:
    """The report's 未能回答的需求 groups similar questions, as the triage queue does, not only
    identical texts: three ways of asking about the weather are one need."""
    db = Database(tmp_path / "needs.db")
    try:
        texts = ["今天天气好不好", "今天天气怎么样", "明天天气好吗", "失业金怎么领", "失业金在哪里领", "推荐一部电影"]
        for n, text in enumerate(texts):
            record = {"id": f"e{n}", "time": f"2026-11-2{n}T02:00:00.000Z", "channel": "web", "user_key": "u", "region": None,
                      "text": text, "kind": "fallback", "intent": None, "confidence": 0.05, "top3": "[]", "sources": "[]",
                      "latency_ms": 1.0, "faq_version": "seed"}  # fmt: skip
            db.execute_write_fn(lambda d, r=record: apply_record(d, [{"t": "enquiries", "m": "insert", "r": r}]))
        db.flush()
        built = demand_report.build(db, Scope(date(2026, 11, 1), date(2026, 11, 30)), intent_catalog())
        counts = {group.text: group.count for group in built.unanswered}
        assert sorted(counts.values(), reverse=True) == [3, 2, 1]
        assert sum(1 for text in counts if "天气" in text) == 1 and sum(1 for text in counts if "失业金" in text) == 1
    finally:
        db.close()
