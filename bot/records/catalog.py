"""Intent titles and topics for the dashboard, read from the FAQ (reloaded when its files change)."""

from __future__ import annotations

import functools
import logging

log = logging.getLogger(__name__)


def intent_catalog() -> dict[str, dict[str, str]]:
    """intent id -> {"title", "topic"}; empty when the FAQ cannot be read."""
    try:
        from intents.respond import faq_dir
        from policy_faq.faq import faq_version

        return _catalog(faq_dir(), faq_version(faq_dir()))
    except Exception:  # noqa: BLE001 - the dashboard works without titles
        log.exception("could not read the FAQ for intent titles")
        return {}


@functools.lru_cache(maxsize=2)
def _catalog(directory, version: str) -> dict[str, dict[str, str]]:
    from policy_faq.faq import load_faq

    faq = load_faq(directory, strict=False)
    return {item.intent.id: {"title": item.intent.title, "topic": str(item.intent.topic)} for item in faq.intents}
