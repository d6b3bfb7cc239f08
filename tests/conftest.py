"""Shared fixtures. Tests never reach the internet: everything runs on 127.0.0.1 and tmp_path."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from conversation_driver import Chat

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def _isolated_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No test inherits the developer's CBEC_* environment or writes under ./var."""
    for name in list(os.environ):
        if name.startswith("CBEC_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("CBEC_DB", str(tmp_path / "cbec.db"))
    monkeypatch.setenv("CBEC_SECRET", "test-secret")


def _content_digest() -> dict[str, bytes]:
    return {str(p.relative_to(ROOT)): p.read_bytes() for d in ("policy_faq", "intents") for p in sorted((ROOT / d).rglob("*.yaml"))}


@pytest.fixture(autouse=True, scope="session")
def _repository_content_untouched() -> Iterator[None]:
    """No test edits the FAQ, the documents or the matcher's data in the checkout: operator tests
    work on copies in tmp_path (a test once added its bad-input texts to the real FAQ)."""
    before = _content_digest()
    yield
    after = _content_digest()
    changed = sorted(name for name in before.keys() | after.keys() if before.get(name) != after.get(name))
    assert changed == [], f"tests changed repository files: {changed}"


@pytest.fixture(autouse=True)
def _process_wide_responder_restored() -> None:
    """A test that swaps the FAQ (live reload, CBEC_FAQ_DIR) must not change what later tests see."""
    from intents import respond
    from policy_faq import corpus

    before = (respond._current, respond._faq_dir)
    documents = corpus._documents_dir  # documents added beside that FAQ (policy add, issue 18)
    yield
    with respond._lock:
        respond._current, respond._faq_dir = before
    corpus.use_documents_dir(documents)


@pytest.fixture
def chat(tmp_path: Path) -> Iterator[Chat]:
    """A conversation on a real SQLite file with the real responder (tests/conversation_driver.py)."""
    chat = Chat(tmp_path / "cbec.db")
    yield chat
    chat.close()


@pytest.fixture(scope="module")
def browser():
    """Headless Chromium (Debian's /usr/bin/chromium) for the browser tests of one module."""
    from playwright.sync_api import sync_playwright
    from test_browser_web import CHROMIUM, CHROMIUM_ARGS

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.fixture(scope="session")
def pg_cluster():
    """One throwaway PostgreSQL server for the whole run (tests/pg_cluster.py), or a skip
    saying why there cannot be one."""
    import pg_cluster as cluster_module

    try:
        cluster = cluster_module.start()
    except cluster_module.Unavailable as error:
        pytest.skip(f"PostgreSQL cases skipped: {error}")
    yield cluster
    cluster.stop()


@pytest.fixture
def pg_url(pg_cluster, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> str:
    """A fresh, empty database on the session's PostgreSQL server (its log spool in tmp_path)."""
    import re

    monkeypatch.setenv("CBEC_SPOOL_DIR", str(tmp_path / "pg-spool"))
    name = "t_" + re.sub(r"[^a-z0-9]+", "_", request.node.name.lower())[:50] + f"_{os.getpid()}"
    return pg_cluster.create_database(name)


@pytest.fixture(params=["sqlite", "postgresql"])
def db_target(request: pytest.FixtureRequest, tmp_path: Path) -> str | Path:
    """Where a storage test keeps its rows: a SQLite file, then a PostgreSQL database."""
    if request.param == "sqlite":
        return tmp_path / "cbec.db"
    return request.getfixturevalue("pg_url")
