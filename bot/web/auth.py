"""Staff logins for /staff and /staff/sql: who may log in, and the signed session cookie.

Logins come from ``CBEC_STAFF_USERS`` and from the ``staff_users`` table (``cbec-bot staff
add``). The session cookie holds the name, role and issue time, signed with HMAC-SHA256 keyed
by ``CBEC_SECRET``; it is HttpOnly and SameSite=Strict, so another site can neither read it nor
make the browser send it with a forged POST. Every request re-reads the login, so removing a
user ends their sessions.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from collections.abc import Mapping

from bot.db import Database
from bot.web.passwords import StaffUser, dummy_hash, parse_staff_users, verify_password

COOKIE = "cbec_staff"
MAX_AGE = 12 * 3600


class SessionSigner:
    def __init__(self, secret: str) -> None:
        self._key = hashlib.sha256(b"cbec-staff-session:" + secret.encode()).digest()

    def _mac(self, payload: str) -> str:
        return hmac.new(self._key, payload.encode(), hashlib.sha256).hexdigest()

    def sign(self, name: str, role: str, now: float | None = None) -> str:
        body = json.dumps({"n": name, "r": role, "t": int(now if now is not None else time.time())}, ensure_ascii=False)
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
    """At most ``limit`` failed logins per name and per client address in ``window`` seconds;
    beyond that, logins are refused without checking the password (which costs ~0.3 s of CPU)."""

    def __init__(self, limit: int = 10, window: float = 900.0) -> None:
        self._limit, self._window = limit, window
        self._failures: dict[str, list[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: str, now: float) -> list[float]:
        times = [t for t in self._failures.get(key, []) if now - t < self._window]
        if times:
            self._failures[key] = times
        else:
            self._failures.pop(key, None)
        return times

    def allowed(self, *keys: str) -> bool:
        now = time.monotonic()
        with self._lock:
            return all(len(self._recent(key, now)) < self._limit for key in keys)

    def failed(self, *keys: str) -> None:
        now = time.monotonic()
        with self._lock:
            if len(self._failures) > 10_000:
                self._failures.clear()
            for key in keys:
                self._failures.setdefault(key, []).append(now)

    def succeeded(self, name_key: str) -> None:
        with self._lock:
            self._failures.pop(name_key, None)


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
        if data is None:
            return None
        user = self.get(data.get("n", ""))
        return user if user is not None and user.role == data.get("r") else None
