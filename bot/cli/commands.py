"""The ``cbec-bot`` command line: one click group, each concept's commands in its own module.

Command modules are imported lazily so that ``cbec-bot policy list`` does not pay for the
Telegram libraries. Usage errors exit with code 2 (click's convention), as the contracts ask.
"""

from __future__ import annotations

import importlib

import click

# name -> "module:attribute" of a click command or group
COMMANDS = {
    "policy": "bot.cli.faq:policy",
    "faq": "bot.cli.faq:faq",
    "ask": "bot.cli.ask:ask",
    "calc": "calculators.cli:calc",
    "checklist": "calculators.cli_checklist:checklist",
    "chat": "bot.cli.chat:chat",
    "telegram": "bot.cli.telegram:telegram",
    "wechat": "bot.cli.wechat:wechat",
    "serve": "bot.cli.serve:serve",
    "staff": "bot.cli.serve:staff",
    "secret": "bot.cli.serve:secret",
    "db": "bot.cli.serve:db",
    "handoff": "bot.cli.handoff:handoff",
    "report": "bot.cli.report:report",
}


class LazyGroup(click.Group):
    def invoke(self, ctx: click.Context):
        from bot.storage.base import StorageUnavailable

        try:
            return super().invoke(ctx)
        except StorageUnavailable as error:  # one clear line, not a traceback
            raise click.ClickException(str(error)) from None

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(name for name in COMMANDS if self._load(name) is not None)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        return self._load(name)

    @staticmethod
    def _load(name: str) -> click.Command | None:
        if name not in COMMANDS:
            return None
        module_name, attribute = COMMANDS[name].split(":")
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as error:
            if error.name == module_name:  # not written yet
                return None
            raise
        return getattr(module, attribute)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="cbec-bot")
@click.pass_context
def main(ctx: click.Context) -> None:
    """cbec-bot: answers companies' questions on cross-border e-commerce policy, clause by clause."""
    # Validated at start-up for every command, so a wrong CBEC_* value never surfaces later.
    ctx.obj = settings_or_exit()
    if ctx.obj.faq_dir is not None:  # every command answers from the operators' FAQ folder
        from intents.respond import use_faq_dir

        use_faq_dir(ctx.obj.faq_dir)


def settings_or_exit():
    """Load the settings or stop with one clear line and exit code 2."""
    from bot.settings import SettingsError, load_settings

    try:
        return load_settings()
    except SettingsError as error:
        raise BadSetting(f"bad setting: {error}") from None


class BadSetting(click.ClickException):
    """Printed as one ``Error: …`` line, exit code 2 like other bad input."""

    exit_code = 2
