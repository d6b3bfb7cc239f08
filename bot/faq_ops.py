"""Operators change the FAQ while it answers: edit the YAML, validate, reload, audit, roll back.

Every step an operator can take (add a question to an intent, add an intent, reload, roll an
edit back) goes through ``FaqOperations``, which the dashboard, the staff command /reload and
``cbec-bot faq reload`` share. An edit is written only when it validates (policy_faq/editor.py);
it is then reloaded with the dev-set gate (intents/reload.py) and, if the reload is refused,
the file is put back, so the FAQ on disk and the FAQ answering never disagree. Each attempt,
refused or not, is a row in ``faq_audit`` with the whole file before and after.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bot.db import Database
from bot.log import utc_now
from intents.reload import ReloadOutcome, reload_faq
from intents.respond import faq_dir as configured_faq_dir
from policy_faq import editor


@dataclass(frozen=True)
class Outcome:
    ok: bool
    message: str  # Chinese, for the operator
    audit_id: int | None = None
    reload: ReloadOutcome | None = None


class FaqOperations:
    def __init__(self, db: Database, faq_dir: Path | None = None, reload: Callable[[], ReloadOutcome] | None = None) -> None:
        self._db, self._dir = db, faq_dir or configured_faq_dir()
        self._reload = reload or (lambda: reload_faq(self._dir))
        self._lock = threading.Lock()  # one edit at a time: the before/after of each must not interleave

    # --- what operators do ------------------------------------------------------------------
    def reload(self, user: str) -> Outcome:
        with self._lock:
            outcome = self._reload()
            audit_id = self._audit(user, "reload", None, None, None, None, outcome)
            self._publish(user, outcome)
        if outcome.ok:
            self._changed()
        return Outcome(outcome.ok, outcome.reason, audit_id, outcome)

    def _changed(self) -> None:
        """After a change went live: record what changed for subscribers (bot/policy_changes.py)."""
        from bot.policy_changes import detect
        from intents.respond import get_responder

        try:
            detect(self._db, list(get_responder().by_id.values()))
        except Exception:  # noqa: BLE001 - the edit stands; the daily look finds the change later
            logging.getLogger(__name__).exception("could not record the policy changes")

    def add_question(self, user: str, intent_id: str, question: str) -> Outcome:
        return self._edit(user, lambda: editor.add_question(intent_id, question, self._dir), intent_id)

    def add_intent(self, user: str, **fields) -> Outcome:
        return self._edit(user, lambda: editor.add_intent(directory=self._dir, **fields), fields.get("intent_id"))

    def mark_reviewed(self, user: str, intent_id: str, doc_id: str) -> Outcome:
        """「已复核」 on the dashboard: the intent was checked against the newer document."""
        return self._edit(user, lambda: editor.mark_reviewed(intent_id, doc_id, self._dir), intent_id)

    def rollback(self, user: str, audit_id: int) -> Outcome:
        rows = self._db.query("SELECT * FROM faq_audit WHERE id = ?", (audit_id,))
        if not rows or rows[0]["outcome"] != "applied" or rows[0]["file"] is None:
            return Outcome(False, f"第{audit_id}条记录不是已生效的修改,无法回滚。")
        row = rows[0]
        return self._edit(user, lambda: editor.restore(row["file"], row["before"], row["intent"], self._dir),
                          row["intent"], rollback_of=audit_id)  # fmt: skip

    def history(self, limit: int = 50) -> list[dict]:
        return self._db.query(
            "SELECT id, time, \"user\", action, intent, file, outcome, reason, faq_version, rollback_of, "
            "length(before) AS before_chars, length(after) AS after_chars FROM faq_audit ORDER BY id DESC LIMIT ?",
            (limit,),
        )

    def entry(self, audit_id: int) -> dict | None:
        rows = self._db.query("SELECT * FROM faq_audit WHERE id = ?", (audit_id,))
        return rows[0] if rows else None

    # --- the one way a change lands -----------------------------------------------------------
    def _edit(self, user: str, change: Callable[[], editor.Edit], intent: str | None, rollback_of: int | None = None) -> Outcome:
        with self._lock:
            try:
                edit = change()
            except (editor.EditRefused, KeyError, ValueError) as error:
                audit_id = self._audit(user, "rollback" if rollback_of else "edit", intent, None, None, None, None,
                                       refused=f"修改未通过校验:{error}", rollback_of=rollback_of)  # fmt: skip
                return Outcome(False, f"修改未通过校验,FAQ未改变:{error}", audit_id)
            outcome = self._reload()
            if not outcome.ok:  # the dev-set gate said no: put the file back as it was
                editor.restore(edit.file, edit.before, edit.intent, self._dir)
            audit_id = self._audit(user, edit.action, edit.intent, edit.file, edit.before, edit.after, outcome,
                                   rollback_of=rollback_of)  # fmt: skip
            self._publish(user, outcome)
        if outcome.ok:
            self._changed()
        message = outcome.reason if outcome.ok else f"已撤回这次修改:{outcome.reason}"
        return Outcome(outcome.ok, message, audit_id, outcome)

    def follow(self, files: dict[str, str]) -> ReloadOutcome:
        """Another replica put these files live: write those that differ here, then reload
        through the same gate (bot/faq_sync.py). Not audited: the publishing replica was."""
        with self._lock:
            for name, text in files.items():
                path = self._dir / Path(name).name
                if not path.exists() or path.read_text(encoding="utf-8") != text:
                    temporary = path.with_name(path.name + ".sync")
                    temporary.write_text(text, encoding="utf-8")
                    temporary.replace(path)
            return self._reload()

    def _publish(self, user: str, outcome: ReloadOutcome) -> None:
        """A new version went live here: tell the other replicas (bot/faq_sync.py)."""
        if outcome.ok and outcome.version != outcome.previous_version:
            from bot import faq_sync

            faq_sync.publish(self._db, self._dir, outcome.version, user, utc_now())

    def _audit(self, user, action, intent, file, before, after, outcome: ReloadOutcome | None,
               refused: str | None = None, rollback_of: int | None = None) -> int:  # fmt: skip
        row = {
            "time": utc_now(), "user": user, "action": action, "intent": intent, "file": file,
            "before": before, "after": after, "rollback_of": rollback_of,
            "outcome": "refused" if refused or not (outcome and outcome.ok) else "applied",
            "reason": refused or (outcome.reason if outcome else None),
            "faq_version": outcome.version if outcome else None,
        }  # fmt: skip
        return self._db.execute_write_fn(lambda d: d["faq_audit"].insert(row).last_pk).result(60)

