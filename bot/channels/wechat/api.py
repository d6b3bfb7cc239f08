"""The Official Account API (customer-service messages, the menu) through wechatpy's client.

The access token is fetched once and cached in memory until shortly before it expires;
when WeChat answers that it is invalid or expired anyway (40001, 40014, 42001: another
process fetched a newer one, or the cache outlived it) a new one is fetched and the call made
again. A busy or rate-limited API (-1, 45009, 45011) and network failures are retried with
back-off; other errors (e.g. 45015, the user wrote more than 48 hours ago) are not, a retry
cannot fix them. Calls are blocking (requests): run them in a worker thread.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

import requests
from wechatpy.client import WeChatClient
from wechatpy.exceptions import WeChatClientException

from bot.channels.telegram.base import RetryPolicy

if TYPE_CHECKING:
    from bot.settings import Settings

log = logging.getLogger(__name__)
# urllib3 logs each request's URL at DEBUG, and WeChat's URLs carry the AppSecret and the token
logging.getLogger("urllib3").setLevel(logging.INFO)
T = TypeVar("T")
TOKEN_CODES = frozenset({40001, 40014, 42001})  # invalid credential, invalid token, expired token
RETRY_CODES = frozenset({-1, 45009, 45011})  # system busy, API rate limit, per-minute quota
TIMEOUT = 10.0


class WeChatApiError(Exception):
    """The API refused a call (after retries, where retrying helps)."""

    def __init__(self, what: str, errcode: int | None, errmsg: str) -> None:
        super().__init__(f"WeChat {what} failed: errcode {errcode} ({errmsg})")
        self.errcode = errcode


class _Client(WeChatClient):
    """wechatpy's client against ``root`` (the real API or a local fake), retries ours."""

    def __init__(self, appid: str, secret: str, root: str) -> None:
        super().__init__(appid, secret, timeout=TIMEOUT, auto_retry=False)
        self.root = root.rstrip("/")
        self.API_BASE_URL = f"{self.root}/cgi-bin/"

    def fetch_access_token(self) -> dict:
        return self._fetch_access_token(
            url=f"{self.root}/cgi-bin/token",
            params={"grant_type": "client_credential", "appid": self.appid, "secret": self.secret},
        )


class WeChatApi:
    def __init__(self, appid: str, secret: str, root: str, policy: RetryPolicy | None = None) -> None:
        self._client = _Client(appid, secret, root)
        self._policy = policy or RetryPolicy(attempts=5, base=0.5, cap=8.0)
        self._lock = threading.Lock()  # one call at a time: one token fetch, in order per user

    @classmethod
    def from_settings(cls, settings: Settings, policy: RetryPolicy | None = None) -> WeChatApi | None:
        """None without CBEC_WECHAT_SECRET (only passive replies are possible then)."""
        if not settings.wechat_on or settings.wechat_secret is None:
            return None
        return cls(settings.wechat_appid, settings.wechat_secret.get_secret_value(), settings.wechat_api_url, policy)

    def send_text(self, openid: str, text: str) -> None:
        """A customer-service text message to one user (within 48 h of their last message)."""
        self._call("send customer-service message", lambda: self._client.message.send_text(openid, text))

    def create_menu(self, menu: dict) -> None:
        self._call("create menu", lambda: self._client.menu.create(menu))

    def _call(self, what: str, call: Callable[[], T]) -> T:
        with self._lock:
            for attempt in range(self._policy.attempts):
                last = attempt == self._policy.attempts - 1
                try:
                    return call()
                except WeChatClientException as error:
                    code, message = error.errcode, error.errmsg
                except requests.RequestException as error:
                    code, message = None, type(error).__name__  # network: worth another try
                if code in TOKEN_CODES and not last:
                    log.info("WeChat access token refused (%s); fetching a new one", code)
                    self._client.session.delete(self._client.access_token_key)  # the next call fetches
                    continue
                if last or (code is not None and code not in RETRY_CODES):
                    raise WeChatApiError(what, code, message)
                wait = self._policy.delay(attempt)
                log.warning("WeChat %s failed (errcode %s); retry %d in %.1fs", what, code, attempt + 1, wait)
                time.sleep(wait)
        raise AssertionError("unreachable")
