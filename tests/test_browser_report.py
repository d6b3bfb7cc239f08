"""The overview, 企业诉求分析 and a conversation in headless Chromium at 1280 and 390 px, over a
seeded month served by `cbec-bot serve`: figures with their changes, charts drawn, Chinese labels,
no sideways scrolling on a phone. Screenshots go to test-output/browser/report-*.png."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from report_seed import WAREHOUSE, seed
from test_browser_web import (
    CHROMIUM,
    add_staff,
    local_only,
    shot,
    start_serve,
    stop_serve,
)

from bot.storage.sqlite import Database

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed (/usr/bin/chromium)"),
]
NAME, PASSWORD = "li", "report-pass-2026"
PERIOD = "days=&start=2026-11-01&end=2026-11-30"
WIDTHS = {"1280": {"width": 1280, "height": 900}, "390": {"width": 390, "height": 844}}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    workdir = tmp_path_factory.mktemp("report-serve")
    (workdir / "var").mkdir()
    db = Database(workdir / "var" / "cbec.db")
    seed(db, [WAREHOUSE, "gxq-training-subsidy", "x-overseas-warehouse"])
    db.close()
    add_staff(workdir, NAME, PASSWORD)
    process, base = start_serve(workdir)
    yield base
    stop_serve(process)


@pytest.mark.parametrize("width", list(WIDTHS))
def test_overview_report_and_conversation_fit_the_screen(server: str, browser, width: str) -> None:
    from playwright.sync_api import expect

    base = server
    context = browser.new_context(viewport=WIDTHS[width], locale="zh-CN", is_mobile=width == "390")
    refused = local_only(context, base)
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.goto(f"{base}/staff/login?next=/staff")
    page.fill("input[name=name]", NAME)
    page.fill("input[name=password]", PASSWORD)
    page.click(".login button[type=submit]")
    expect(page).to_have_url(base + "/staff")

    def fits() -> None:
        assert page.evaluate("document.documentElement.scrollWidth") <= WIDTHS[width]["width"], page.url

    page.goto(f"{base}/staff?{PERIOD}")
    figures = page.locator("#at-a-glance .figure")
    expect(figures).to_have_count(8)
    for index in range(8):
        expect(figures.nth(index).locator(".change")).to_contain_text("较上期")
    expect(page.locator("#at-a-glance")).to_contain_text("直接解答率")
    expect(page.locator("svg.week-chart")).to_be_visible()
    expect(page.locator("svg.heat-map")).to_be_visible()
    expect(page.locator("#demand")).to_contain_text("海外仓储配套设施建设、使用及运营")
    assert not re.search(r"gxq-|overseas-warehouse|dalian-gxq", page.locator("main").inner_text())
    fits()
    shot(page, f"report-overview-{width}.png")

    page.click("#report-link") if width == "1280" else page.goto(f"{base}/staff/report")
    page.goto(f"{base}/staff/report?{PERIOD}")
    expect(page.locator("#report h1")).to_contain_text("企业诉求分析")
    expect(page.locator("#report .figure")).to_have_count(8)
    expect(page.locator("#r-demand-table")).to_contain_text("90万元")
    assert page.locator("#report svg").count() >= 3
    fits()
    shot(page, f"report-page-{width}.png")

    page.goto(f"{base}/staff/enquiries?{PERIOD}&kind=clarify")
    fits()
    assert not re.search(r"gxq-|overseas-warehouse|dalian-gxq", page.locator("#enquiries").inner_text())
    shot(page, f"report-list-{width}.png")
    page.locator("#enquiries tbody tr a").first.click()
    expect(page.locator("#conversation")).to_contain_text("答复：追问")
    expect(page.locator("#conversation")).to_contain_text("置信度：0.35")
    fits()
    shot(page, f"report-conversation-{width}.png")
    assert errors == [], errors
    assert refused == [], refused
    context.close()
