"""The command line: `cbec-bot` and its sub-commands, one module each."""

from bot.cli.commands import main  # bot.cli:main, the installed scripts' entry point

__all__ = ["main"]
