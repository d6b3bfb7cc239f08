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
