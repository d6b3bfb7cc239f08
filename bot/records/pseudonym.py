"""User keys: a channel's user id as HMAC-SHA256 keyed with ``CBEC_SECRET``, so no table holds a
raw id. The one function every table's key comes from (the enquiry log, the conversation state,
tickets, subscriptions, the WeChat replies, ``ask --session``), so they all agree."""

from __future__ import annotations

import hashlib
import hmac


def pseudonymise(secret: str, channel: str, user_id: object) -> str:
    """The user key of ``user_id`` on ``channel``."""
    return hmac.new(secret.encode(), f"{channel}:{user_id}".encode(), hashlib.sha256).hexdigest()
