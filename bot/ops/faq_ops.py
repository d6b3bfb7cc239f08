"""Operators change the FAQ while it answers: edit the YAML, validate, reload, audit, roll back.

Every step an operator can take (add a question to an intent, add an intent, reload, roll an
edit back) goes through ``FaqOperations``, which the dashboard, the staff command /reload and
``cbec-bot faq reload`` share. An edit is written only when it validates (policy_faq/editor.py);
it is then reloaded with the dev-set gate (intents/reload.py) and, if the reload is refused,
the file is put back, so the FAQ on disk and the FAQ answering never disagree. Each attempt,
refused or not, is a row in ``faq_audit`` with the whole file before and after (for an exact
rollback) and, in ``change``, what changed: the question or intent, its title, the changed lines
and the dev-set top-1 before → after, which the operator's message and the audit page show.

Before a question is added, ``preview_question`` answers it with a matcher rebuilt from the FAQ
as it would be: a question that would still be refused as out of scope, or would still rank
another intent first, is a warning the operator must confirm. After a change lands, the triage
queue is answered again (bot/records/triage.py) and what the change now answers is marked resolved.
"""

from __future__ import annotations

import json
import logging
import shutil
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.records.clock import utc_now
from bot.storage.sqlite import Database
from intents.reload import ReloadOutcome, reload_faq
from intents.respond import faq_dir as configured_faq_dir
from policy_faq import editor

log = logging.getLogger(__name__)
ACTION_NAMES = {"add-question": "加问法", "add-intent": "新建意图", "rollback": "回滚", "reload": "重新加载", "edit": "修改"}


@dataclass(frozen=True)
class Outcome:
    ok: bool
    message: str  # Chinese, for the operator
    audit_id: int | None = None
    reload: ReloadOutcome | None = None
    change: dict[str, Any] | None = None


class FaqOperations:
    def __init__(self, db: Database, faq_dir: Path | None = None, reload: Callable[[], ReloadOutcome] | None = None,
                 after_change: Callable[[str, int | None], Any] | None = None) -> None:  # fmt: skip
        self._db, self._dir = db, faq_dir or configured_faq_dir()
        self._reload = reload or (lambda: reload_faq(self._dir))
        self._after_change = after_change or self._rerun_triage
        self._lock = threading.Lock()  # one edit at a time: the before/after of each must not interleave

    def _rerun_triage(self, user: str, audit_id: int | None):
        from bot.records import triage
        from intents.respond import get_responder

        try:
            return triage.rerun(self._db, get_responder(), user, audit_id)
        except Exception:  # noqa: BLE001 - the FAQ change stands; the queue is re-run next time
            log.exception("re-running the triage queue failed")
            return None

    # --- what operators do ------------------------------------------------------------------
    def reload(self, user: str) -> Outcome:
        with self._lock:
            outcome = self._reload()
            audit_id = self._audit(user, "reload", None, None, None, None, outcome)
            self._publish(user, outcome)
        message = outcome.reason
        if outcome.ok:
            self._changed()
        if outcome.ok and outcome.version != outcome.previous_version:
            message += self._resolved_note(self._after_change(user, audit_id))
        return Outcome(outcome.ok, message, audit_id, outcome)

    def preview_question(self, intent_id: str, question: str) -> list[str]:
        """Warnings about adding ``question`` to ``intent_id``, from a matcher rebuilt with the
        change (Chinese, empty when the question would be answered by that intent). Raises
        EditRefused when the edit itself would be refused (a duplicate, an unknown intent)."""
        from intents.respond import Responder, get_responder
        from policy_faq.faq import load_faq

        now = get_responder().respond(" ".join(question.split()))
        with tempfile.TemporaryDirectory() as scratch:
            copy = Path(scratch) / "faq"
            shutil.copytree(self._dir, copy)
            editor.add_question(intent_id, question, copy)
            responder = Responder(load_faq(copy, strict=False))
        title = responder.by_id[intent_id].title
        question = " ".join(question.split())
        match = responder.matcher.rank(question)
        reply = responder.respond(question)
        warnings = []
        if match.out_of_scope or reply.kind == "fallback":
            why = f"（{match.out_of_scope['reply']}）" if match.out_of_scope else ""
            warnings.append(f"加入后，「{question}」仍会被判为不属于本助手的范围{why}，用户得不到「{title}」的答复。")
        top = match.top
        if top is not None and top.intent != intent_id:
            name = responder.by_id[top.intent].title if top.intent in responder.by_id else top.intent
            warnings.append(f"加入后，「{question}」仍会首先匹配到「{name}」，而不是「{title}」。")
        elif reply.kind == "clarify":
            warnings.append(f"加入后，助手对「{question}」仍会追问，而不是直接答复「{title}」。")
        elif now.kind in ("answer", "calculation", "checklist") and now.intent not in (None, intent_id):
            answered = responder.by_id[now.intent].title if now.intent in responder.by_id else now.intent
            warnings.append(f"「{question}」现在由「{answered}」直接解答；加入后将改由「{title}」答复，请确认这样更对。")
        return warnings

    def _changed(self) -> None:
        """After a change went live: record what changed for subscribers (bot/records/policy_changes.py)."""
        from bot.records.policy_changes import detect
        from intents.respond import get_responder

        try:
            detect(self._db, list(get_responder().by_id.values()))
        except Exception:  # noqa: BLE001 - the edit stands; the daily look finds the change later
            logging.getLogger(__name__).exception("could not record the policy changes")

    def add_question(self, user: str, intent_id: str, question: str) -> Outcome:
        question = " ".join(question.split())
        change = {"kind": "add-question", "question": question, "intent": intent_id, "title": self._title(intent_id)}
        return self._edit(user, lambda: editor.add_question(intent_id, question, self._dir), intent_id, change=change)

    def add_intent(self, user: str, **fields) -> Outcome:
        change = {"kind": "add-intent", "intent": fields.get("intent_id"), "title": fields.get("title"),
                  "questions": len(fields.get("questions") or []), "sources": list(fields.get("sources") or [])}  # fmt: skip
        return self._edit(user, lambda: editor.add_intent(directory=self._dir, **fields), fields.get("intent_id"),
                          change=change)  # fmt: skip

    def mark_reviewed(self, user: str, intent_id: str, doc_id: str) -> Outcome:
        """「已复核」 on the dashboard: the intent was checked against the newer document."""
        return self._edit(user, lambda: editor.mark_reviewed(intent_id, doc_id, self._dir), intent_id)

    def rollback(self, user: str, audit_id: int) -> Outcome:
        row = self.entry(audit_id)
        if row is None or row["outcome"] != "applied" or row["file"] is None or row["action"] == "reload":
            return Outcome(False, f"第{audit_id}条记录不是已生效的修改，无法回滚。")
        if (done := self.rolled_back_by(audit_id)) is not None:
            return Outcome(False, f"第{audit_id}条修改已经由第{done}条记录回滚过了。")
        original = json.loads(row.get("change") or "{}")
        change = {"kind": "rollback", "of": audit_id, "intent": row["intent"], "title": original.get("title"),
                  "undone": original.get("summary")}  # fmt: skip
        return self._edit(user, lambda: editor.restore(row["file"], row["before"], row["intent"], self._dir),
                          row["intent"], rollback_of=audit_id, change=change)  # fmt: skip

    def rolled_back_by(self, audit_id: int) -> int | None:
        rows = self._db.query(
            "SELECT min(id) AS id FROM faq_audit WHERE rollback_of = ? AND outcome = 'applied'", (audit_id,)
        )
        return rows[0]["id"] if rows else None

    def history(self, limit: int = 50) -> list[dict]:
        rows = self._db.query(
            "SELECT a.id, a.time, a.\"user\", a.action, a.intent, a.file, a.outcome, a.reason, a.faq_version, a.rollback_of, "
            "a.change, (SELECT min(r.id) FROM faq_audit r WHERE r.rollback_of = a.id AND r.outcome = 'applied') "
            "AS rolled_back_by FROM faq_audit a ORDER BY a.id DESC LIMIT ?",
            (limit,),
        )
        for row in rows:
            row["change"] = json.loads(row["change"]) if row.get("change") else None
        return rows

    def entry(self, audit_id: int) -> dict | None:
        rows = self._db.query("SELECT * FROM faq_audit WHERE id = ?", (audit_id,))
        return rows[0] if rows else None

    # --- the one way a change lands -----------------------------------------------------------
    def _edit(self, user: str, make: Callable[[], editor.Edit], intent: str | None, rollback_of: int | None = None,
              change: dict | None = None) -> Outcome:  # fmt: skip
        from intents.respond import get_responder

        change = dict(change or {})
        what = self.summary(change)
        get_responder()  # the FAQ answering now is loaded before the file changes: "before" is the old FAQ
        with self._lock:
            try:
                edit = make()
            except (editor.EditRefused, KeyError, ValueError) as error:
                audit_id = self._audit(user, "rollback" if rollback_of else "edit", intent, None, None, None, None,
                                       refused=f"修改未通过校验：{error}", rollback_of=rollback_of,
                                       change={**change, "summary": what})  # fmt: skip
                return Outcome(False, f"没有修改FAQ（{what}）：{error}", audit_id, change=change)
            outcome = self._reload()
            if not outcome.ok:  # the dev-set gate said no: put the file back as it was
                editor.restore(edit.file, edit.before, edit.intent, self._dir)
            change.update(summary=what, diff=editor.diff_lines(edit.before, edit.after), file=edit.file,
                          top1_before=outcome.previous_top1, top1_after=outcome.top1,
                          version_before=outcome.previous_version, version_after=outcome.version)  # fmt: skip
            audit_id = self._audit(user, edit.action, edit.intent, edit.file, edit.before, edit.after, outcome,
                                   rollback_of=rollback_of, change=change)  # fmt: skip
            self._publish(user, outcome)
        if outcome.ok:
            self._changed()
        figures = self.figures(change)
        if not outcome.ok:
            return Outcome(False, f"已撤回这次修改（{what}）：{outcome.reason}{figures}", audit_id, outcome, change)
        message = f"已生效：{what}。{figures}" + self._resolved_note(self._after_change(user, audit_id))
        return Outcome(True, message, audit_id, outcome, change)

    @staticmethod
    def figures(change: dict) -> str:
        """「开发集首选准确率：85.1% → 85.3%。」 when the change was evaluated."""
        before, after = change.get("top1_before"), change.get("top1_after")
        if before is None or after is None:
            return ""
        return f"开发集首选准确率：{before:.1%} → {after:.1%}。"

    def _title(self, intent_id: str) -> str | None:
        from bot.records.catalog import intent_catalog

        return intent_catalog().get(intent_id, {}).get("title")

    @staticmethod
    def summary(change: dict) -> str:
        """One line saying what a change does: the question, the intent, in words."""
        title = change.get("title") or "（已删除的意图）"
        if change.get("kind") == "add-question":
            return f"把问法「{change.get('question')}」加入「{title}」"
        if change.get("kind") == "add-intent":
            return f"新建意图「{title}」（{change.get('questions', 0)}个问法）"
        if change.get("kind") == "rollback":
            undone = change.get("undone")
            return f"回滚第{change.get('of')}条修改" + (f"（撤销：{undone}）" if undone else f"（「{title}」）")
        return "修改FAQ"

    @staticmethod
    def _resolved_note(rerun) -> str:
        if rerun is None or not rerun.enquiries:
            return ""
        return f"待处理问题中有{rerun.enquiries}条咨询现在能解答（{rerun.clusters}组整组），已标为已解决。"

    def follow(self, files: dict[str, str], published: dict | None = None) -> ReloadOutcome | None:
        """Another replica put these files live: write those that differ here, then reload
        through the same gate (bot/ops/faq_sync.py). Not audited: the publishing replica was.
        ``published`` (its ``faq_published`` id and version) is checked under the edit lock:
        when an edit here has published since, or this process answers with that version
        already, nothing is written (None) — an older version must not undo a newer one."""
        with self._lock:
            if published is not None:
                from bot.ops.faq_sync import latest
                from intents.respond import get_responder

                newest = latest(self._db)
                if newest is None or newest["id"] != published["id"] or published["version"] == get_responder().faq.version:
                    return None
            for name, text in files.items():
                path = self._dir / Path(name).name
                if not path.exists() or path.read_text(encoding="utf-8") != text:
                    temporary = path.with_name(path.name + ".sync")
                    temporary.write_text(text, encoding="utf-8")
                    temporary.replace(path)
            return self._reload()

    def _publish(self, user: str, outcome: ReloadOutcome) -> None:
        """A new version went live here: tell the other replicas (bot/ops/faq_sync.py)."""
        if outcome.ok and outcome.version != outcome.previous_version:
            from bot.ops import faq_sync

            faq_sync.publish(self._db, self._dir, outcome.version, user, utc_now())

    def _audit(self, user, action, intent, file, before, after, outcome: ReloadOutcome | None,
               refused: str | None = None, rollback_of: int | None = None, change: dict | None = None) -> int:  # fmt: skip
        row = {
            "time": utc_now(), "user": user, "action": action, "intent": intent, "file": file,
            "before": before, "after": after, "rollback_of": rollback_of,
            "outcome": "refused" if refused or not (outcome and outcome.ok) else "applied",
            "reason": refused or (outcome.reason if outcome else None),
            "faq_version": outcome.version if outcome else None,
            "change": json.dumps(change, ensure_ascii=False) if change else None,
        }  # fmt: skip
        return self._db.execute_write_fn(lambda d: d["faq_audit"].insert(row).last_pk).result(60)

