"""The assistant on a WeChat Official Account (公众号): one more thin adapter over the
conversation core (bot/conversation/messages.py).

- endpoint.py: the ``/wechat`` callback ``cbec-bot serve`` mounts when CBEC_WECHAT_TOKEN and
  CBEC_WECHAT_APPID are set: signature check, GET echo, safe mode, the passive reply.
- replies.py: each pushed message handled once; WeChat's retries get the same reply.
- api.py: the Official Account API (customer-service messages, the menu) with the access
  token cached and refreshed and rate limits retried.
- delivery.py: staff replies to WeChat hand-offs, sent as customer-service messages.
- menu.py: the Official Account menu, from the topics the web and Telegram menus show.

WeChat parsing, XML and crypto come from wechatpy; the texts from the core are plain, buttons
become numbered lines (bot/conversation/numbered.py).
"""

CHANNEL = "wechat"
