"""User keys: a channel's user id as HMAC-SHA256 keyed with ``CBEC_SECRET``, so no table holds a
raw id. The one function every table's key comes from (the enquiry log, the conversation state,
tickets, subscriptions, the WeChat replies, ``ask --session``), so they all agree."""

from __future__ import annotations

import functools
import hmac


def pseudonymise(secret: str, channel: str, user_id: object) -> str:
    """The user key of ``user_id`` on ``channel``."""
    return _key(secret, f"{channel}:{user_id}")


@functools.lru_cache(maxsize=4096)
def _key(secret: str, name: str) -> str:
    # A web message asks for its session's key twice (state, digests): one HMAC each was 1% of a reply's CPU.
    return hmac.digest(secret.encode(), name.encode(), "sha256").hex()
