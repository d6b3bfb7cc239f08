"""Screenshots of the web chat on a 390×844 phone, as a user sees it after each reply arrives.

    .venv/bin/python scripts/screenshots.py test-output/after
    .venv/bin/python scripts/screenshots.py test-output/after --base http://127.0.0.1:8000

Without --base it starts `cbec-bot serve` from THIS checkout (its code and static files, a fresh
working directory in /tmp) on a free port and stops it afterwards. Each question is asked in a
fresh browser (a new session, so no earlier question colours the answer). For each one it saves
NN-name.png, the screen as it is when the reply has arrived (where the page scrolled to), and
NN-name-reply.png, the whole reply bubble with its buttons. Needs Debian's chromium and the
playwright package (both are what tests/test_browser_web.py uses).
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
QUESTIONS = [
    ("02-gxq-warehouse", "高新区海外仓补贴"),
    ("03-calc-120", "海外仓去年花了120万，高新区能补多少？"),
    ("04-no-invoice", "无票免税怎么办"),
    ("05-yingkou", "营口综试区有什么政策"),
]
SERVE = "import sys; from bot.cli.commands import main; sys.argv[0] = 'cbec-bot'; sys.exit(main())"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(workdir: Path) -> tuple[subprocess.Popen, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("CBEC_")}
    env.update(CBEC_SECRET="screenshots-secret", CBEC_LOG_LEVEL="WARNING", PYTHONPATH=str(ROOT))
    port = free_port()
    sink = (workdir / "serve.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-c", SERVE, "serve", "--port", str(port)],
        cwd=workdir, env=env, stdout=sink, stderr=subprocess.STDOUT,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=2) as response:
                if response.status == 200:
                    return process, base
        except OSError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise SystemExit(
                "cbec-bot serve did not start:\n" + (workdir / "serve.log").read_text(errors="replace")
            )
        time.sleep(0.2)


def phone_page(browser, base: str):
    from playwright.sync_api import expect

    context = browser.new_context(
        viewport={"width": 390, "height": 844},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        locale="zh-CN",
    )
    page = context.new_page()
    page.goto(base + "/")
    page.locator(".msg.bot").first.wait_for(timeout=15_000)
    expect(page.locator("#send")).to_be_enabled(timeout=15_000)
    page.wait_for_timeout(300)  # let the scroll settle
    return context, page


def reply_clip(page) -> dict | None:
    """The last reply bubble and the buttons under it, as a region of the page."""
    box = page.evaluate(
        """() => {
          const bots = document.querySelectorAll('.msg.bot');
          const last = bots[bots.length - 1];
          if (!last) return null;
          let end = last, next = last.nextElementSibling;
          while (next && !next.matches('.msg')) { end = next; next = next.nextElementSibling; }
          const top = last.getBoundingClientRect(), bottom = end.getBoundingClientRect();
          return {top: top.top, bottom: bottom.bottom};
        }"""
    )
    return box


def take(base: str, out: Path) -> list[Path]:
    from playwright.sync_api import expect, sync_playwright

    out.mkdir(parents=True, exist_ok=True)
    saved: list[Path] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context, page = phone_page(browser, base)
        page.screenshot(path=str(out / "01-welcome.png"))
        saved.append(out / "01-welcome.png")
        context.close()
        for name, question in QUESTIONS:
            context, page = phone_page(browser, base)
            bots = page.locator(".msg.bot")
            before = bots.count()
            page.fill("#input", question)
            page.click("#send")
            expect(bots.nth(before)).to_be_visible(timeout=15_000)
            expect(page.locator("#send")).to_be_enabled(timeout=15_000)
            page.wait_for_timeout(400)  # let any smooth scroll finish
            page.screenshot(path=str(out / f"{name}.png"))
            saved.append(out / f"{name}.png")
            # the whole reply: make the log as tall as its content, then cut the reply out
            page.evaluate("document.querySelector('.app').style.height = 'auto';"
                          "document.getElementById('log').style.overflow = 'visible'")  # fmt: skip
            box = reply_clip(page)
            if box:
                page.screenshot(
                    path=str(out / f"{name}-reply.png"),
                    full_page=True,
                    clip={
                        "x": 0,
                        "y": max(0, box["top"] - 8),
                        "width": 390,
                        "height": box["bottom"] - box["top"] + 16,
                    },
                )
                saved.append(out / f"{name}-reply.png")
            context.close()
        browser.close()
    return saved


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path, help="folder for the PNG files, e.g. test-output/after")
    parser.add_argument("--base", help="URL of a running server (default: start one from this checkout)")
    args = parser.parse_args()
    process = None
    with tempfile.TemporaryDirectory(prefix="cbec-shots-") as workdir:
        base = args.base
        if base is None:
            process, base = start_server(Path(workdir))
        try:
            for path in take(base.rstrip("/"), args.out):
                print(path)
        finally:
            if process is not None:
                process.terminate()
                process.wait(30)


if __name__ == "__main__":
    main()
