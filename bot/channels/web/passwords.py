"""Staff password hashes (PBKDF2-HMAC-SHA256, hashlib) and the logins they belong to.

A hash reads ``pbkdf2_sha256$<iterations>$<salt>$<digest>`` (salt and digest URL-safe base64),
so it fits the ``name:role:hash`` entries of ``CBEC_STAFF_USERS`` (no ``:`` or ``;`` inside).
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import secrets
from dataclasses import dataclass

ITERATIONS = 600_000
ROLES = ("staff", "operator")


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def hash_password(password: str, iterations: int = ITERATIONS) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, iterations)
    return f"pbkdf2_sha256${iterations}${_b64(salt)}${_b64(digest)}"


def verify_password(password: str, encoded: str) -> bool:
    try:
        algorithm, iterations, salt, digest = encoded.split("$")
        if algorithm != "pbkdf2_sha256":
            return False
        actual = hashlib.pbkdf2_hmac("sha256", password.encode(), _unb64(salt), int(iterations))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(actual, _unb64(digest))


@dataclass(frozen=True)
class StaffUser:
    name: str
    role: str
    password_hash: str

    @property
    def entry(self) -> str:
        """The ``CBEC_STAFF_USERS`` entry for this login."""
        return f"{self.name}:{self.role}:{self.password_hash}"


def parse_staff_users(raw: str) -> dict[str, StaffUser]:
    """``name:role:hash;name:role:hash`` -> users by name; raises ValueError naming a bad entry."""
    users = {}
    for entry in raw.split(";"):
        entry = entry.strip()
        if not entry:
            continue
        parts = entry.split(":")
        if len(parts) != 3 or parts[1] not in ROLES or not parts[0] or not parts[2].startswith("pbkdf2_sha256$"):
            raise ValueError(f"CBEC_STAFF_USERS: bad entry {parts[0]!r}; expected name:staff|operator:pbkdf2_sha256$…")
        users[parts[0]] = StaffUser(parts[0], parts[1], parts[2])
    return users


@functools.cache
def dummy_hash() -> str:
    """Checked when a name is unknown, so that a wrong name costs as much time as a wrong password."""
    return hash_password(secrets.token_hex(8))
