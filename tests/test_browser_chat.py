"""The web chat as a phone user sees it (headless Chromium, 390×844): a new reply is shown from
its start, its lines and 「• 」 bullets as written; 👍/👎 are small, in a row of their own at the
right; the buttons of earlier replies are disabled once the conversation has moved on, except
查看原文 / 查看更多 (src:, more:), which keep working. Screenshots go to test-output/browser/.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_browser_web import CHROMIUM, local_only, start_serve, stop_serve

ROOT = Path(__file__).resolve().parent.parent
SHOTS = ROOT / "test-output" / "browser"
QUESTIONS = [
    "高新区海外仓补贴",
    "海外仓去年花了120万，高新区能补多少？",
    "无票免税怎么办",
    "营口综试区有什么政策",
]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason="Debian's chromium is not installed (/usr/bin/chromium)"
    ),
]

# Where the newest reply (its bubble and the buttons under it) sits in the chat area, in CSS px.
NEWEST = """() => {
  const log = document.getElementById('log'), area = log.getBoundingClientRect();
  const bots = log.querySelectorAll('.msg.bot'), last = bots[bots.length - 1];
  let end = last, next = last.nextElementSibling;
  while (next && !next.matches('.msg')) { end = next; next = next.nextElementSibling; }
  const top = last.getBoundingClientRect().top, bottom = end.getBoundingClientRect().bottom;
  return {logTop: area.top, logBottom: area.bottom, top: top, bottom: bottom, height: bottom - top,
          atBottom: log.scrollTop + log.clientHeight >= log.scrollHeight - 2};
}"""
SIZES = """(selector) => Array.from(document.querySelectorAll(selector)).map(b => {
  const r = b.getBoundingClientRect(), s = getComputedStyle(b);
  return {top: r.top, bottom: r.bottom, left: r.left, right: r.right, height: r.height, width: r.width,
          font: parseFloat(s.fontSize), color: s.color, background: s.backgroundColor, disabled: b.disabled,
          value: b.dataset.value, text: b.textContent};
})"""


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    process, url = start_serve(tmp_path_factory.mktemp("serve-chat"))
    yield url
    stop_serve(process)


def open_chat(browser, base: str, height: int = 844):
    """A fresh phone (new session) on the chat page, once the welcome is there."""
    from playwright.sync_api import expect

    context = browser.new_context(
        viewport={"width": 390, "height": height}, device_scale_factor=2, is_mobile=True, has_touch=True,
        locale="zh-CN",
    )  # fmt: skip
    local_only(context, base)
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(base + "/")
    expect(page.locator(".msg.bot").first).to_be_visible(timeout=15_000)
    expect(page.locator("#send")).to_be_enabled()
    return context, page, errors


def settle(page, bots_before: int) -> None:
    from playwright.sync_api import expect

    expect(page.locator(".msg.bot").nth(bots_before)).to_be_visible(timeout=15_000)
    expect(page.locator("#send")).to_be_enabled(timeout=15_000)
    page.wait_for_timeout(100)


def ask(page, text: str) -> None:
    before = page.locator(".msg.bot").count()
    page.fill("#input", text)
    page.click("#send")
    settle(page, before)


def press(page, button) -> None:
    before = page.locator(".msg.bot").count()
    button.click()
    settle(page, before)


def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / name))


def test_the_welcome_says_what_it_can_do_on_lines_with_a_region_button(browser, base: str) -> None:
    context, page, errors = open_chat(browser, base)
    welcome = page.locator(".msg.bot").first
    text = welcome.inner_text()
    assert "我可以" in text and "/calc" not in text and "/region" not in text
    assert page.evaluate("getComputedStyle(document.querySelector('.msg.bot')).whiteSpace") == "pre-line"
    bullets = welcome.locator(".li")
    assert bullets.count() == 4
    tops = [bullets.nth(i).bounding_box()["y"] for i in range(4)]
    assert tops == sorted(tops) and len(set(tops)) == 4  # each bullet a line of its own
    indent = page.evaluate("getComputedStyle(document.querySelector('.msg.bot .li')).textIndent")
    assert indent.startswith("-")  # a hanging indent: wrapped bullet text lines up under the text
    region = page.locator(".buttons button", has_text="选择地区")
    assert region.is_enabled() and region.is_visible()
    shot(page, "10-welcome.png")
    press(page, region)
    assert "请选择企业所在地区" in page.locator(".msg.bot").last.inner_text()
    assert errors == [], errors
    context.close()


@pytest.mark.parametrize("height", [844, 560])
def test_a_new_reply_is_shown_from_its_start(browser, base: str, height: int) -> None:
    context, page, errors = open_chat(browser, base, height)
    tall = 0
    for number, question in enumerate(QUESTIONS, 1):
        ask(page, question)
        where = page.evaluate(NEWEST)
        area = where["logBottom"] - where["logTop"]
        assert where["top"] >= where["logTop"] - 1, (question, where)  # the start is not above the screen
        if where["height"] > area:  # taller than the chat area: its first line at the top
            tall += 1
            assert where["top"] <= where["logTop"] + 24, (question, where)
            assert not where["atBottom"], (question, where)
        else:  # it fits: all of it in view
            assert where["bottom"] <= where["logBottom"] + 1, (question, where)
        shot(page, f"11-reply-{height}-{number}.png")
        lines = page.locator(".msg.bot").last.locator(":scope > div")
        assert lines.count() >= 2 and "\n" in page.locator(".msg.bot").last.inner_text()  # its lines kept
    if height == 560:
        assert tall, "no reply was taller than the chat area: the scroll to the start went untested"
    assert errors == [], errors
    context.close()


def test_feedback_is_small_and_apart_and_earlier_buttons_are_disabled(browser, base: str) -> None:
    context, page, errors = open_chat(browser, base)
    welcome_buttons = page.evaluate(SIZES, ".buttons button")
    assert welcome_buttons and not any(b["disabled"] for b in welcome_buttons)
    ask(page, "高新区海外仓补贴")
    shot(page, "12-answer-buttons.png")

    # every button of the welcome: disabled, and it looks it
    after = page.evaluate(SIZES, ".buttons button")[: len(welcome_buttons)]
    assert all(b["disabled"] for b in after)
    assert all(
        b["background"] != w["background"] and b["color"] != w["color"]
        for b, w in zip(after, welcome_buttons, strict=True)
    )

    # this answer's related questions (查看原文 and 查看更多 stay usable by design: not these)
    with_questions = page.locator('.buttons:not(.feedback):has(button[data-value^="i:"])')
    related = with_questions.nth(with_questions.count() - 1)  # fixed now: later replies come after it
    votes = page.locator(".buttons.feedback").last
    related_sizes = [b for b in page.evaluate(SIZES, ".buttons:not(.feedback) button") if not b["disabled"]]
    vote_sizes = page.evaluate(SIZES, ".buttons.feedback button")
    assert [b["text"][:1] for b in vote_sizes] == ["👍", "👎"] and related_sizes
    assert not any(b["value"].startswith("fb:") for b in related_sizes)  # 👍/👎 only in their own row
    for vote in vote_sizes:
        assert not vote["disabled"]
        assert vote["height"] < min(b["height"] for b in related_sizes)
        assert vote["font"] < min(b["font"] for b in related_sizes)
    assert min(v["top"] for v in vote_sizes) >= max(b["bottom"] for b in related_sizes)  # below, apart
    log_right = page.evaluate("document.getElementById('log').getBoundingClientRect().right")
    assert max(v["right"] for v in vote_sizes) >= log_right - 24  # at the right edge
    assert max(b["left"] for b in related_sizes) < min(v["left"] for v in vote_sizes)

    # 👍: one vote, the answer's other buttons still work
    press(page, votes.locator("button").first)
    assert "谢谢" in page.locator(".msg.bot").last.inner_text()
    assert votes.locator("button:disabled").count() == 2 and votes.locator("button.chosen").count() == 1
    assert related.locator("button:enabled").count() >= 1
    # a related question moves on: the answer's buttons are disabled now
    question = related.locator('button[data-value^="i:"]').first
    label = question.inner_text()
    press(page, question)
    assert page.locator(".msg.me").last.inner_text() == label
    assert related.locator("button:enabled:not(.lasting)").count() == 0  # 查看原文 stays usable
    assert related.locator("button.lasting:enabled").count() >= 1
    assert errors == [], errors
    context.close()


def test_source_and_more_buttons_keep_working_under_older_replies(browser, base: str) -> None:
    """A conversation restored from sessionStorage (as after a reload): 查看原文 under an older
    reply is still usable, that reply's other buttons are not, the newest reply's are."""
    context, page, errors = open_chat(browser, base)
    history = [
        {"who": "bot", "text": "有：按50%支持，每年最高50万元（征求意见稿，可能调整）。\n• 对象：高新区企业。", "buttons": [
            {"label": "查看原文：第5条", "value": "src:dalian-gxq-2026:5"},
            {"label": "查看更多", "value": "more:abc"},
            {"label": "高新区首单滞销风险补偿", "value": "i:gxq-first-order-risk"},
            {"label": "👍 有帮助", "value": "fb:+:abcdef12"},
        ]},
        {"who": "me", "text": "税收", "closes": True},
        {"who": "bot", "text": "请选择主题：", "buttons": [{"label": "返回菜单", "value": "menu"}]},
    ]  # fmt: skip
    page.evaluate(
        "(h) => sessionStorage.setItem('cbec-chat-history', h)", json.dumps(history, ensure_ascii=False)
    )
    page.reload()
    source = page.locator("button", has_text="查看原文：第5条")
    more = page.locator("button", has_text="查看更多")
    assert source.is_enabled() and more.is_enabled()
    assert page.locator("button", has_text="高新区首单滞销风险补偿").is_disabled()
    assert page.locator("button", has_text="👍 有帮助").is_disabled()
    assert page.locator("button", has_text="返回菜单").is_enabled()
    bullet = page.locator(".msg.bot").first.locator(".li")
    assert bullet.inner_text() == "• 对象：高新区企业。"
    press(page, source)
    assert source.is_enabled()  # still usable after a newer reply
    # 查看原文 did not move the conversation on: the newest reply's buttons still work
    assert page.locator("button", has_text="返回菜单").first.is_enabled()
    assert errors == [], errors
    context.close()


def longest_calculations(count: int = 10) -> list[str]:
    """The enquiries whose calculation replies are longest: every calculator item, asked with
    amounts from 8万 to 3.5亿 and one with fen."""
    from intents.respond import get_responder

    responder = get_responder()
    asked = []
    for intent in responder.by_id.values():
        item = (intent.action or "").removeprefix("calc:")
        if item == intent.action or not item:
            continue
        for amount in ("8万", "80万", "120万", "1000万", "123456.78元", "3.5亿"):
            if item == "eit":
                question = f"{intent.title}，年收入{amount}要交多少税"
            elif item == "training":
                question = f"{intent.title}，今年办了12场培训能补多少"
            else:
                question = f"{intent.title}，花了{amount}能补多少"
            reply = responder.respond(question)
            if reply.kind == "calculation":
                asked.append((len(reply.answer), question))
    return [question for _, question in sorted(set(asked), reverse=True)[:count]]


def test_the_ten_longest_calculations_fit_one_phone_screen_with_the_figure_first(browser, base: str) -> None:
    questions = longest_calculations()
    assert len(questions) == 10
    for number, question in enumerate(questions, 1):
        context, page, errors = open_chat(browser, base)
        ask(page, question)
        where = page.evaluate(NEWEST)
        reply = page.locator(".msg.bot").last.inner_text()
        first = reply.split("\n")[0]
        assert first.startswith(("可补", "应纳", "可补偿", "不能")) and "元" in first, (question, first)
        assert "查看更多" not in page.locator(".buttons").last.inner_text(), question  # nothing cut
        # the reply with all its buttons inside the 390×844 chat area, from its first line on
        assert where["top"] >= where["logTop"] - 1 and where["bottom"] <= where["logBottom"] + 1, (question, where)
        shot(page, f"13-calculation-{number}.png")
        assert errors == [], errors
        context.close()


def test_the_subscribe_button_offers_topics_and_one_tap_unsubscribes(browser, base: str) -> None:
    """订阅更新 in the header (issue 18): it fits beside 菜单 at 390 px, offers the topics and
    regions, subscribes this browser's session, and 退订全部 ends it."""
    context, page, errors = open_chat(browser, base)
    header = page.evaluate("""() => ['#subscribe', '#menu'].map(s => {
        const r = document.querySelector(s).getBoundingClientRect(); return {left: r.left, right: r.right, top: r.top};
    })""")
    assert header[0]["right"] <= header[1]["left"] and header[1]["right"] <= 390 and header[0]["top"] == header[1]["top"]
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    press(page, page.locator("#subscribe"))
    offer = page.locator(".msg.bot").last
    assert offer.inner_text().startswith("订阅政策更新")
    press(page, page.locator(".buttons button", has_text="补贴申报").last)
    assert page.locator(".msg.bot").last.inner_text().startswith("已订阅「补贴申报」的政策更新")
    shot(page, "60-subscribed.png")
    press(page, page.locator(".buttons button", has_text="退订全部").last)
    assert page.locator(".msg.bot").last.inner_text() == "已退订全部政策更新，不会再收到摘要。"
    assert errors == [], errors
    context.close()
