"""The adapters people talk through: Telegram, the web chat, WeChat."""
