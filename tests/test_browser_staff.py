"""Every staff page in headless Chromium at 1280 and 390 px, over a seeded month served by
`cbec-bot serve`: the login, the triage queue and its 已处理 view, FAQ 维护 (the intent picker
filtered by typing, a warning before applying, the change in the audit, the rollback
confirmation), 新建意图 (clauses filtered by title), 转人工 and a ticket, 政策更新, /staff/sql. No page
scrolls sideways on a phone; screenshots go to test-output/browser/staff-*.png. (The overview,
企业诉求分析, the enquiry list and a conversation are in tests/test_browser_report.py.)"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator

import pytest
from report_seed import WAREHOUSE, seed
from test_browser_web import CBEC_BOT, CHROMIUM, local_only, serve_env, shot, start_serve, stop_serve

from bot.records import tickets
from bot.storage.sqlite import Database
from policy_faq.faq import FAQ_DIR

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed (/usr/bin/chromium)"),
]
NAME, PASSWORD = "olga", "operator-pass-2026"
WIDTHS = {"1280": {"width": 1280, "height": 900}, "390": {"width": 390, "height": 844}}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    workdir = tmp_path_factory.mktemp("staff-serve")
    (workdir / "var").mkdir()
    db = Database(workdir / "var" / "cbec.db")
    seed(db, [WAREHOUSE, "gxq-training-subsidy"])
    tickets.open_ticket(
        db, handoff_id="h-browser", channel="web", chat_id="web-1", user_key="k1", region="dalian-gxq",
        intents=[WAREHOUSE], transcript=[{"who": "user", "text": "海外仓补贴怎么申请，想找人问问"}],
    )  # fmt: skip
    db.close()
    added = subprocess.run(
        [*CBEC_BOT, "staff", "add", NAME, "--role", "operator", "--password-stdin"], input=PASSWORD + "\n",
        capture_output=True, text=True, cwd=workdir, env=serve_env(), timeout=120,
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    faq = workdir / "faq"  # the operator edits a copy, never the packaged FAQ
    shutil.copytree(FAQ_DIR, faq)
    process, base = start_serve(workdir, env={**serve_env(), "CBEC_FAQ_DIR": str(faq)})
    yield base
    stop_serve(process)


@pytest.mark.parametrize("width", list(WIDTHS))
def test_every_staff_page_fits_the_screen(server: str, browser, width: str) -> None:
    from playwright.sync_api import expect

    base = server
    context = browser.new_context(viewport=WIDTHS[width], locale="zh-CN", is_mobile=width == "390")
    refused = local_only(context, base)
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))

    def fits(name: str) -> None:
        assert page.evaluate("document.documentElement.scrollWidth") <= WIDTHS[width]["width"], page.url
        shot(page, f"staff-{name}-{width}.png")

    page.goto(f"{base}/staff/login?next=/staff/triage")
    fits("login")
    page.fill("input[name=name]", NAME)
    page.fill("input[name=password]", PASSWORD)
    page.click(".login button[type=submit]")
    expect(page).to_have_url(base + "/staff/triage")

    # the triage queue: the seeded fallbacks (weather, 失业金, films) and asked-back enquiries, grouped
    clusters = page.locator("#clusters .cluster")
    expect(clusters.first).to_be_visible()
    assert clusters.count() >= (4 if width == "1280" else 1)
    if width == "1280":  # (at 390 the FAQ change made below may have resolved it)
        expect(page.locator("#clusters")).to_contain_text("海外仓补贴上限是多少")
    expect(page.locator("#clusters")).to_contain_text("最接近的意图")
    fits("triage")
    if width == "1280":  # one decision, so that both widths show the 已处理 view with an entry
        weather = clusters.filter(has_text="今天天气好不好").first
        weather.locator("input[name=reason]").fill("天气，不属于政策咨询")
        weather.locator("form.oos button").click()
        expect(page.locator("#triage-message")).to_contain_text("已移到")
        expect(page.locator("#clusters")).not_to_contain_text("今天天气好不好")
    page.click("#tab-handled")
    expect(page.locator("#handled")).to_contain_text("天气，不属于政策咨询")
    fits("triage-handled")

    # FAQ 维护: the picker narrows as the operator types; a warning comes before anything is applied
    page.goto(f"{base}/staff/faq")
    select = page.locator("#intent-select")
    total = select.locator("option").count()
    page.fill("#intent-filter", "海外仓 补贴")
    expect(page.locator("#intent-count")).to_contain_text("找到")
    shown = select.locator("option:not([hidden])").count()
    assert 0 < shown < total / 5, (shown, total)
    assert "高新区海外仓补贴" in select.locator("option:not([hidden])").all_inner_texts()[0] or any(
        "海外仓" in text for text in select.locator("option:not([hidden])").all_inner_texts()
    )
    page.fill("#add-question input[name=question]", "今天天气好不好")
    select.select_option(WAREHOUSE)
    page.click("#add-question button[type=submit]")
    expect(page.locator("#faq-warnings")).to_contain_text("不属于本助手的范围")
    expect(page.locator("#add-question button[type=submit]")).to_have_text("仍然加入")
    fits("faq-warning")
    if width == "1280":  # one applied change, then its rollback confirmation (shown at both widths)
        page.goto(f"{base}/staff/faq?intent={WAREHOUSE}")
        page.fill("#add-question input[name=question]", "海外仓的租金高新区给报销吗")
        page.click("#add-question button[type=submit]")
        expect(page.locator("#faq-message")).to_contain_text("已生效：把问法「海外仓的租金高新区给报销吗」", timeout=60_000)
    page.goto(f"{base}/staff/faq")
    expect(page.locator("#audit")).to_contain_text("开发集首选准确率")
    page.locator("#audit .audit-row").first.locator("summary").click()
    expect(page.locator("#audit .diff").first).to_contain_text("+ - 海外仓的租金高新区给报销吗")
    fits("faq")
    page.locator("#audit form.rollback button").first.click()
    expect(page.locator("#confirm-rollback")).to_contain_text("确认回滚第")
    fits("faq-rollback-confirm")

    # 新建意图: a template for the topic, clauses found by title
    page.goto(f"{base}/staff/faq/new?topic=税收")
    expect(page.locator("textarea[name=answer]")).to_contain_text("主管税务机关")
    page.fill("input[data-filter-list]", "人才")
    visible = page.locator("#clause-list label:visible")
    assert visible.count() >= 2 and all("人才" in text for text in visible.all_inner_texts()), visible.all_inner_texts()
    fits("faq-new")

    page.goto(f"{base}/staff/handoffs")
    expect(page.locator("main")).to_contain_text("海外仓补贴怎么申请")
    fits("handoffs")
    page.locator("main a[href^='/staff/handoffs/']").first.click()
    expect(page.locator("main")).to_contain_text("海外仓补贴怎么申请")
    fits("ticket")

    page.goto(f"{base}/staff/policies")  # 政策更新 (issue 18): expiry warnings, reviews, subscribers
    expect(page.locator("main h1")).to_contain_text("政策更新")
    fits("policies")

    page.goto(f"{base}/staff/sql/")
    expect(page.locator("body")).to_contain_text("enquiries")
    errors.clear()  # Datasette's own pages are not ours to police for console messages
    fits("sql")
    assert errors == [], errors
    assert refused == [], refused
    context.close()
