"""What the web chat does for throughput (issue 15) must not change what anyone sees: the SQLite
writer commits what is queued together, the chat's state saves are queued, not waited for, valid
chat requests take a fast path past FastAPI, and several workers even out their connections."""

from __future__ import annotations

import json
from pathlib import Path

from test_web import env  # noqa: F401 - the fixture
from writer_hold import hold_writer

from bot.conversation.calc.dialogue import CalcDialogue
from bot.conversation.state import SqliteStateStore, UserState
from bot.storage.sqlite import Database


def _audit(action: str):
    return lambda d: d.execute(
        "INSERT INTO faq_audit (time, user, action, outcome) VALUES (?, ?, ?, ?)", ["t", "olga", action, "applied"]
    ).lastrowid


def _actions(db: Database) -> list[str]:
    return [row["action"] for row in db.query("SELECT action FROM faq_audit ORDER BY id")]


def test_a_write_that_fails_in_a_batch_is_undone_alone(tmp_path: Path) -> None:
    db = Database(tmp_path / "w.db")
    try:
        release = hold_writer(db, timeout=10)

        def half_then_fail(d) -> None:
            d.execute("INSERT INTO faq_audit (time, user, action, outcome) VALUES ('t', 'olga', 'half', 'applied')")
            raise ValueError("refused")

        def commits_itself(d) -> None:  # e.g. `cbec-bot db purge`: `with conn:` ends the transaction
            with d.conn:
                d.execute("INSERT INTO faq_audit (time, user, action, outcome) VALUES ('t', 'olga', 'own', 'applied')")

        def rolls_back_everything(d) -> None:  # `with conn:` around an error undoes the whole transaction
            with d.conn:
                d.execute("INSERT INTO faq_audit (time, user, action, outcome) VALUES ('t', 'olga', 'gone', 'applied')")
                raise KeyError("boom")

        futures = [db.execute_write_fn(fn) for fn in (
            _audit("first"), half_then_fail, _audit("second"), commits_itself, _audit("third"), rolls_back_everything,
            _audit("fourth"))]  # fmt: skip
        release.set()
        db.flush()
        assert isinstance(futures[1].exception(5), ValueError)
        assert isinstance(futures[5].exception(5), KeyError)
        assert [futures[i].result(5) for i in (0, 2, 4, 6)] == [1, 2, 4, 5]
        assert futures[3].result(5) is None
        assert _actions(db) == ["first", "second", "own", "third", "fourth"]
    finally:
        db.close()


def test_a_batch_waits_for_another_process_holding_the_lock_and_loses_nothing(tmp_path: Path) -> None:
    import sqlite3

    db = Database(tmp_path / "w.db")
    try:
        locker = sqlite3.connect(tmp_path / "w.db", isolation_level=None)
        locker.execute("BEGIN IMMEDIATE")
        futures = [db.execute_write_fn(_audit(f"row{n}")) for n in range(50)]
        assert not any(future.done() for future in futures[:1])
        locker.rollback()
        locker.close()
        assert [future.result(30) for future in futures] == list(range(1, 51))
        assert _actions(db) == [f"row{n}" for n in range(50)]
    finally:
        db.close()


def test_a_queued_state_save_is_read_here_at_once_and_elsewhere_once_committed(tmp_path: Path) -> None:
    db = Database(tmp_path / "s.db")
    here, elsewhere = SqliteStateStore(db), SqliteStateStore(db)  # elsewhere: another worker's view (the database)
    try:
        here.save("user-1", UserState(region="dalian-gxq"))
        release = hold_writer(db, timeout=10)
        with here.deferred() as saved:
            state = here.load("user-1")
            state.region = "sichuan"
            state.remember("四川呢")
            here.save("user-1", state)
        assert len(saved) == 1 and not saved[0].done()  # queued: the thread went on without waiting
        assert here.load("user-1").region == "sichuan" and here.load("user-1").recent == ["四川呢"]
        assert elsewhere.load("user-1").region == "dalian-gxq"  # not yet committed
        release.set()
        saved[0].result(10)
        assert elsewhere.load("user-1").region == "sichuan"
        assert here.load("user-1").recent == ["四川呢"]
        # outside deferred() a save is committed before it returns
        state.region = "yingkou"
        here.save("user-1", state)
        assert elsewhere.load("user-1").region == "yingkou"
    finally:
        db.close()


def test_state_json_is_read_back_the_same(tmp_path: Path) -> None:
    dialogue = CalcDialogue.from_dict({"flow": "calc", "step": "amount", "picked": ["overseas-warehouse"], "queue": [],
                                       "claims": {}, "events": {}, "current": "overseas-warehouse"})  # fmt: skip
    assert dialogue is not None
    state = UserState(region="panjin", dialogue=dialogue,
                      transcript=[{"who": "user", "text": "海外仓"}], handoff_until=1764460800.25)  # fmt: skip
    again = UserState.from_json(state.to_json())
    assert again == state and again.to_json() == state.to_json()


def test_the_chat_fast_path_and_the_documented_route_answer_alike(env) -> None:  # noqa: F811 - the fixture
    client, _, core = env
    body = {"session": "k3J9x2mQ7pLw", "text": "海外仓补贴"}
    fast = client.post("/api/chat", json=body)  # application/json: the fast path (bot/channels/web/chat.py)
    routed = client.post("/api/chat", content=json.dumps(body).encode(),
                         headers={"content-type": "application/vnd.api+json"})  # JSON all the same: FastAPI's route  # fmt: skip
    assert fast.status_code == routed.status_code == 200
    assert fast.json() == routed.json() and fast.json()["replies"][0]["text"]
    assert core.seen == [("k3J9x2mQ7pLw", "海外仓补贴", None)] * 2
    for response in (fast, routed):
        assert response.headers["x-content-type-options"] == "nosniff" and response.headers["content-type"] == "application/json"
    refused = client.post("/api/chat", json={"session": "k3J9x2mQ7pLw", "text": "hi", "button": "menu"})
    assert refused.status_code == 422 and refused.json()["detail"] == "请求格式不正确。"  # the route's own answer
    assert len(core.seen) == 2


def test_a_crowded_worker_asks_more_clients_to_reconnect_than_a_quiet_one() -> None:
    from types import SimpleNamespace

    from fastapi.responses import Response

    from bot.channels.web.chat import _rebalance

    def closed(answering: int, replies: int = 600) -> int:
        web = SimpleNamespace(answering=answering, rebalance_debt=0)
        responses = [Response(b"{}") for _ in range(replies)]
        for response in responses:
            _rebalance(web, response)
        return sum(response.headers.get("connection") == "close" for response in responses)

    assert closed(40) == 96 and closed(25) == 37 and closed(10) == 6 and closed(1) == 0


def test_an_answered_web_message_is_freed_without_the_cyclic_collector(tmp_path: Path) -> None:
    """The turn, its answer and the futures it waited for (a state save committed by the writer
    thread, the log's durable()) are freed by reference counting once the reply went. They formed
    a cycle (the futures keep their callbacks, which kept the turn, which kept the answer): about
    55 objects a message for the cyclic collector, whose collections stalled a worker for tens of ms."""
    import asyncio
    import contextlib
    import gc
    import weakref
    from concurrent.futures import ThreadPoolExecutor
    from types import SimpleNamespace

    from bot.channels.web.chat import _Turn
    from bot.conversation.messages import OutMessage

    db = Database(tmp_path / "c.db")
    pool = ThreadPoolExecutor(1)
    sent: list[weakref.ref] = []

    @contextlib.contextmanager
    def deferred():
        saves: list = []
        yield saves

    def chat(session: str, text: str | None, button: str | None) -> list[OutMessage]:
        reply = OutMessage(text=f"答：{text}")
        sent.append(weakref.ref(reply))
        store.save(session, UserState(region="panjin"), raw=None)  # queued: the reply waits for its commit
        return [reply]

    store = SqliteStateStore(db)
    chat.deferred = store.deferred  # type: ignore[attr-defined]

    async def talk() -> list[str]:
        web = SimpleNamespace(chat=chat, log=SimpleNamespace(durable=lambda: db.execute_write_fn(lambda _: None)),
                              db=db, chat_pool=pool, subscriptions=None)  # fmt: skip
        texts = []
        for n in range(3):
            messages, *_ = await _Turn(web).answer("k3J9x2mQ7pLw", f"问{n}", None, None)
            texts.append(messages[0].text)
        return texts

    gc.collect()
    gc.disable()
    try:
        assert asyncio.run(talk()) == ["答：问0", "答：问1", "答：问2"]
        pool.shutdown()  # the answering thread and the writer are done with the last turn too
        db.flush()
        assert len(sent) == 3 and [ref() for ref in sent] == [None, None, None]  # gone without a collection
    finally:
        gc.enable()
        pool.shutdown()
        db.close()


def test_what_a_web_user_adds_to_an_open_ticket_is_queued_with_the_turn_and_committed(tmp_path: Path) -> None:
    """Inside a web turn (``deferred``) the ticket's new message is queued like the state save (the
    reply waits for both, the answering thread for neither); elsewhere it is written at once."""
    from bot.records import tickets

    db = Database(tmp_path / "t.db")
    store = SqliteStateStore(db)
    try:
        ticket = tickets.open_ticket(db, handoff_id="h1", channel="web", chat_id="k3J9x2mQ7pLw", user_key="u",
                                     region=None, intents=[], transcript=[])  # fmt: skip
        release = hold_writer(db, timeout=10)
        with store.deferred() as queued:
            tickets.add_user_message(db, ticket.id, "我的电话13912345678，还有问题", write=store.write)
        assert len(queued) == 1 and not queued[0].done()  # the writer is busy: queued, not waited for
        release.set()
        queued[0].result(10)
        tickets.add_user_message(db, ticket.id, "再补充一句", write=store.write)  # outside a turn: written at once
        rows = db.query("SELECT author, text FROM ticket_messages WHERE ticket_id = ? ORDER BY id", (ticket.id,))
        assert [(row["author"], row["text"]) for row in rows] == [("user", "我的电话[手机号]，还有问题"), ("user", "再补充一句")]
    finally:
        db.close()


def test_a_web_worker_runs_full_garbage_collections_ten_times_rarer(monkeypatch) -> None:
    """Each uvicorn worker (app_from_environment) sets the collector for serving: a full collection
    walks the matcher's cached objects for 30-40 ms with the GIL held (bot/ops/collector.py)."""
    import gc

    from bot.channels.web.app import app_from_environment
    from bot.ops.collector import FULL_EVERY

    monkeypatch.setattr("bot.ops.jsonlog.configure_logging", lambda *args, **kwargs: None)  # pytest keeps its log capture
    before = gc.get_threshold()
    try:
        gc.set_threshold(700, 10, 10)  # CPython's default
        app_from_environment()  # what a worker builds (its lifespan, which opens the database, does not run here)
        assert gc.get_threshold() == (700, 10, FULL_EVERY) and FULL_EVERY >= 10 * 10
    finally:
        gc.set_threshold(*before)
