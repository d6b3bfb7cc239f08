"""`cbec-bot calc eit --revenue 500万 [--small-low-profit] [--json]` (registered by calculators/cli.py)."""

from __future__ import annotations

import json
from datetime import date

import click

from calculators.amounts import ForeignCurrencyError, parse_amount
from calculators.eit import deemed_profit_tax


class BadInput(click.ClickException):
    """One ``Error: …`` line on stderr, exit code 2 like click's usage errors."""

    exit_code = 2


@click.command()
@click.option("--revenue", required=True, metavar="AMOUNT", help="annual revenue in RMB, e.g. 500万")
@click.option("--small-low-profit", is_flag=True, help="apply the 小型微利企业 preference if it qualifies")
@click.option("--date", "on", metavar="YYYY-MM-DD", help="date to judge the preference on (default today)")
@click.option("--json", "as_json", is_flag=True, help="print JSON")
def eit(revenue: str, small_low_profit: bool, on: str | None, as_json: bool) -> None:
    """Income tax at the 4% deemed-profit rate (国家税务总局公告2019年第36号; liaoning-2026:15)."""
    try:
        amount = parse_amount(revenue)
    except ForeignCurrencyError as error:
        raise BadInput(f"--revenue: {error}") from None
    if amount is None:
        raise BadInput(f"--revenue: cannot read the amount {revenue!r}; write it like 500万 or 5000000元")
    if amount < 0:
        raise BadInput(f"--revenue: the amount may not be negative ({revenue})")
    try:
        day = None if on is None else date.fromisoformat(on)
    except ValueError:
        raise BadInput(f"--date: {on!r} is not a date; write it as YYYY-MM-DD") from None
    result = deemed_profit_tax(amount, small_low_profit, day)
    if as_json:
        click.echo(json.dumps(result.as_dict(), ensure_ascii=False, indent=2))
    else:
        click.echo(result.text())
