"""Staff logins for /staff and /staff/sql: who may log in, and the signed session cookie.

Logins come from ``CBEC_STAFF_USERS`` and from the ``staff_users`` table (``cbec-bot staff
add``). The session cookie holds the name, role, issue time, a random session id and a
fingerprint of the password hash, signed with HMAC-SHA256 keyed by ``CBEC_SECRET``; it is
HttpOnly and SameSite=Strict, so another site can neither read it nor make the browser send it
with a forged POST. Every request re-reads the login, so sessions are revocable: removing a user
(``cbec-bot staff remove``) ends them, a new password changes the fingerprint, and logging out
records the session id in ``staff_sessions_ended``.

Failed logins are throttled per account *and* client address (10 in 15 minutes), and per
client address across accounts (30): nobody can lock staff out from elsewhere. The decision is
taken atomically before the password hash is computed: an attempt takes its slot first and
gives it back only when the password was right, so concurrent guesses cannot overrun the limit.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import threading
import time
from collections.abc import Mapping

from bot.channels.web.passwords import StaffUser, dummy_hash, parse_staff_users, verify_password
from bot.storage.sqlite import Database

COOKIE = "cbec_staff"
MAX_AGE = 12 * 3600


class SessionSigner:
    def __init__(self, secret: str) -> None:
        self._key = hashlib.sha256(b"cbec-staff-session:" + secret.encode()).digest()

    def _mac(self, payload: str) -> str:
        return hmac.new(self._key, payload.encode(), hashlib.sha256).hexdigest()

    def fingerprint(self, password_hash: str) -> str:
        """Changes when the password does: a session from before a password change no longer fits."""
        return self._mac("pw:" + password_hash)[:16]

    def sign(self, name: str, role: str, now: float | None = None, password_hash: str = "") -> str:
        body = json.dumps(
            {"n": name, "r": role, "t": int(now if now is not None else time.time()), "s": secrets.token_urlsafe(16),
             "p": self.fingerprint(password_hash)},
            ensure_ascii=False,
        )  # fmt: skip
        payload = base64.urlsafe_b64encode(body.encode()).decode().rstrip("=")
        return f"{payload}.{self._mac(payload)}"

    def load(self, token: str | None, now: float | None = None) -> dict | None:
        if not token or "." not in token:
            return None
        payload, mac = token.rsplit(".", 1)
        if not hmac.compare_digest(mac, self._mac(payload)):
            return None
        try:
            data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        except ValueError:
            return None
        age = (now if now is not None else time.time()) - data.get("t", 0)
        if not 0 <= age <= MAX_AGE:
            return None
        return data


class LoginThrottle:
    """At most ``limit`` failed logins per account and client address, and ``client_limit`` per
    client address, in ``window`` seconds; beyond that, logins are refused without checking the
    password (which costs ~0.3 s of CPU). ``attempt`` decides and counts in one step."""

    def __init__(self, limit: int = 10, window: float = 900.0, client_limit: int = 30) -> None:
        self._limit, self._window, self._client_limit = limit, window, client_limit
        self._failures: dict[str, list[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: str, now: float) -> list[float]:
        times = [t for t in self._failures.get(key, []) if now - t < self._window]
        if times:
            self._failures[key] = times
        else:
            self._failures.pop(key, None)
        return times

    @staticmethod
    def keys(name: str, client: str) -> tuple[str, str]:
        return (f"account:{name}\x00client:{client}", f"client:{client}")

    def attempt(self, name: str, client: str) -> tuple[str, str] | None:
        """Take a slot for one login attempt (counted as failed until ``succeeded``): the keys
        to pass on, or None when a limit is reached and the password must not be checked."""
        keys = self.keys(name, client)
        now = time.monotonic()
        with self._lock:
            if len(self._recent(keys[0], now)) >= self._limit or len(self._recent(keys[1], now)) >= self._client_limit:
                return None
            if len(self._failures) > 10_000:
                self._failures.clear()
            for key in keys:
                self._failures.setdefault(key, []).append(now)
        return keys

    def succeeded(self, keys: tuple[str, str]) -> None:
        """The password was right: the account's failures from this client are forgiven and the
        slot ``attempt`` took from the client's count is given back."""
        with self._lock:
            self._failures.pop(keys[0], None)
            times = self._failures.get(keys[1])
            if times:
                times.pop()


class SharedLoginThrottle:
    """``LoginThrottle`` counted in the database (bot/storage/limits.py), same rules: replicas
    behind one address count every attempt together."""

    def __init__(self, db: Database, limit: int = 10, window: float = 900.0, client_limit: int = 30) -> None:
        from bot.storage.limits import SharedWindow

        self._limit, self._client_limit = limit, client_limit
        self._events = SharedWindow(db, "login", window)

    def attempt(self, name: str, client: str) -> tuple[str, str, list[int]] | None:
        account, by_client = LoginThrottle.keys(name, client)
        taken = self._events.take({account: self._limit, by_client: self._client_limit})
        return None if taken is None else (account, by_client, taken)

    def succeeded(self, keys: tuple[str, str, list[int]]) -> None:
        account, _, taken = keys
        self._events.forget(account)  # the account's failures from this client are forgiven
        self._events.give_back(taken[1:])  # and the slot this attempt took from the client's count


def login_throttle(db: Database | None) -> LoginThrottle | SharedLoginThrottle:
    """In memory for one process on SQLite; counted where processes share it (bot/storage: limits_storage)."""
    if db is not None and getattr(db, "shared", False):
        return SharedLoginThrottle(db)
    return LoginThrottle()


class StaffDirectory:
    """The logins: CBEC_STAFF_USERS first, then the ``staff_users`` table."""

    def __init__(self, configured: str | Mapping[str, StaffUser], db: Database | None) -> None:
        self._configured = parse_staff_users(configured) if isinstance(configured, str) else dict(configured)
        self._db = db

    def get(self, name: str) -> StaffUser | None:
        if name in self._configured:
            return self._configured[name]
        if self._db is None:
            return None
        rows = self._db.query("SELECT name, role, password_hash FROM staff_users WHERE name = ?", [name])
        return StaffUser(**rows[0]) if rows else None

    def authenticate(self, name: str, password: str) -> StaffUser | None:
        user = self.get(name)
        if user is None:
            verify_password(password, dummy_hash())
            return None
        return user if verify_password(password, user.password_hash) else None

    def from_session(self, signer: SessionSigner, token: str | None) -> StaffUser | None:
        data = signer.load(token)
        if data is None or not isinstance(data, dict):
            return None
        user = self.get(str(data.get("n", "")))
        if user is None or user.role != data.get("r"):
            return None
        if not hmac.compare_digest(str(data.get("p", "")), signer.fingerprint(user.password_hash)):
            return None  # the password changed since
        if self._db is not None and self._db.query(
            "SELECT 1 FROM staff_sessions_ended WHERE session_id = ?", [str(data.get("s", ""))]
        ):
            return None  # logged out
        return user

    def end_session(self, signer: SessionSigner, token: str | None) -> None:
        """Logging out: the session id is recorded, so the cookie never works again."""
        data = signer.load(token)
        if not isinstance(data, dict) or not data.get("s") or self._db is None:
            return
        ended = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime())
        self._db.execute_write_fn(
            lambda d: d.execute(
                "INSERT OR IGNORE INTO staff_sessions_ended (session_id, name, ended_at) VALUES (?, ?, ?)",
                [str(data["s"]), str(data.get("n", "")), ended],
            )
        ).result(30)
