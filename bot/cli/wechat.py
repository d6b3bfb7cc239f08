"""``cbec-bot wechat``: the Official Account (bot/channels/wechat/). The callback itself runs in
``cbec-bot serve``; this group holds what is set up once."""

from __future__ import annotations

import json

import click

from bot.settings import Settings


@click.group()
def wechat() -> None:
    """The WeChat Official Account."""


@wechat.command("menu")
@click.option("--show", is_flag=True, help="Print the menu as JSON instead of setting it.")
@click.pass_obj
def menu(settings: Settings, show: bool) -> None:
    """Set the Official Account menu (topics, calculator, checklists, 转人工) through the API."""
    from bot.channels.wechat.api import WeChatApi, WeChatApiError
    from bot.channels.wechat.menu import official_account_menu
    from bot.cli.commands import BadSetting

    body = official_account_menu()
    if show:
        click.echo(json.dumps(body, ensure_ascii=False, indent=2))
        return
    api = WeChatApi.from_settings(settings)
    if api is None:
        raise BadSetting("setting the menu needs CBEC_WECHAT_TOKEN, CBEC_WECHAT_APPID and CBEC_WECHAT_SECRET")
    try:
        api.create_menu(body)
    except WeChatApiError as error:
        raise click.ClickException(str(error)) from None
    entries = sum(len(group["sub_button"]) for group in body["button"])
    click.echo(f"menu set: {len(body['button'])} groups, {entries} entries ({settings.wechat_appid})")
