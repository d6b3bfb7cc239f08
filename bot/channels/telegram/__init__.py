"""Telegram: shared base, the aiogram and python-telegram-bot runtimes, the bridge, webhook."""
