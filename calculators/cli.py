"""`cbec-bot calc subsidy|first-order` (and `calc eit`, registered from cli_eit.py).

Amounts are read as people type them (80万, 1.5亿, 200000元). Bad input — an unknown item, an
amount that cannot be read, a foreign currency, a negative figure — stops with one line on
stderr and exit code 2.
"""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

import click

from calculators.amounts import ForeignCurrencyError, parse_amount, parse_count
from calculators.eligibility import ENTITIES, Profile
from calculators.items import UnknownItemError, get_item, load_items


class BadInput(click.ClickException):
    """One ``Error: …`` line on stderr, exit code 2 like click's usage errors."""

    exit_code = 2


def amount_of(text: str, what: str) -> Decimal:
    try:
        value = parse_amount(text)
    except ForeignCurrencyError as error:
        raise BadInput(f"{what}: {error}") from None
    if value is None:
        raise BadInput(f"{what}: cannot read the amount {text!r}; write it like 80万, 1.5亿 or 800000元")
    if value < 0:
        raise BadInput(f"{what}: the amount may not be negative ({text})")
    return value


def count_of(text: str, what: str) -> int:
    value = parse_count(text)
    if value is None or value < 0:
        raise BadInput(f"{what}: cannot read the number of events {text!r}; write it like 12 or 12场")
    return value


def date_of(text: str | None) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise BadInput(f"--date: {text!r} is not a date; write it as YYYY-MM-DD") from None


def eligibility_options(command):
    """The applicant's situation (dalian-gxq-2026 scope and annex); the defaults are no problems."""
    flags = (
        ("--not-in-zone", "not_in_zone", "not operating in 高新区"),
        ("--not-cbec", "not_cbec", "business not in cross-border e-commerce"),
        ("--dishonest", "dishonest", "subject to 失信惩戒"),
        ("--violation", "violation", "重大违法违规"),
        ("--owes-funds", "owes_funds", "拖欠应缴还财政资金"),
        ("--shell", "shell", "a shell company (空壳企业)"),
        ("--no-staff", "no_staff", "no employees (无用工)"),
        ("--no-premises", "no_premises", "no fixed business premises"),
        ("--tax-dishonest", "tax_dishonest", "has not paid tax honestly (未诚信纳税)"),
    )
    for flag, name, text in reversed(flags):
        command = click.option(flag, name, is_flag=True, help=text)(command)
    forms = "|".join(ENTITIES)
    return click.option(
        "--entity", default="legal-person", metavar=forms, help="legal form (default legal-person)"
    )(command)


def profile_of(options: dict) -> Profile:
    if options["entity"] not in ENTITIES:
        raise BadInput(f"--entity: {options['entity']!r} is not one of {', '.join(ENTITIES)}")
    return Profile(
        in_zone=not options.pop("not_in_zone"),
        entity=options.pop("entity"),
        cbec_business=not options.pop("not_cbec"),
        dishonest=options.pop("dishonest"),
        major_violation=options.pop("violation"),
        owes_fiscal_funds=options.pop("owes_funds"),
        shell=options.pop("shell"),
        no_staff=options.pop("no_staff"),
        no_premises=options.pop("no_premises"),
        tax_dishonest=options.pop("tax_dishonest"),
    )


def emit(result, as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps(result.as_dict(), ensure_ascii=False, indent=2))
    else:
        click.echo(result.text())


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def calc() -> None:
    """Subsidy, first-order and income-tax calculators, figure by figure from the clauses."""


def item_options(command):
    """--overseas-warehouse 80万 etc.; flags for the items that only have a ceiling."""
    for item in reversed(load_items().values()):
        name = item.id.replace("-", "_")
        if item.per_event_cap is not None:
            option = click.option(f"--{item.id}", name, metavar="N", help=f"number of events ({item.source})")
        elif item.rate is None:
            option = click.option(f"--{item.id}", name, is_flag=True, help=f"{item.title} ({item.source})")
        else:
            option = click.option(
                f"--{item.id}", name, metavar="AMOUNT", help=f"{item.title} ({item.source})"
            )
        command = option(command)
    return command


@calc.command()
@click.option(
    "--item", "pairs", multiple=True, metavar="ID=AMOUNT", help="support item and its base; repeatable"
)
@item_options
@click.option("--events", metavar="N", help="number of qualifying training events (training, clause 4)")
@eligibility_options
@click.option("--date", "on", metavar="YYYY-MM-DD", help="date to judge validity on (default today)")
@click.option("--json", "as_json", is_flag=True, help="print JSON")
def subsidy(pairs: tuple[str, ...], events: str | None, on: str | None, as_json: bool, **options) -> None:
    """Estimate 大连高新区 support (dalian-gxq-2026 clauses 1-11), e.g. --item overseas-warehouse=80万."""
    from calculators.subsidy import estimate

    profile = profile_of(options)
    given: list[tuple[str, str | None]] = []
    for pair in pairs:
        item_id, _, value = pair.partition("=")
        given.append((item_id.strip(), value.strip() if value else None))
    given += [
        (n.replace("_", "-"), None if v is True else v) for n, v in options.items() if v not in (None, False)
    ]
    if events is not None:
        given.append(("training", events))
    claims: dict[str, Decimal | None] = {}
    counts: dict[str, int] = {}
    for item_id, value in given:
        try:
            item = get_item(item_id)
        except UnknownItemError as error:
            raise BadInput(str(error)) from None
        if item_id in claims or item_id in counts:
            raise BadInput(f"{item_id} is given twice")
        if item.per_event_cap is not None:
            counts[item_id] = count_of(value or "", item_id)
        elif item.rate is None:
            claims[item_id] = None if value is None else amount_of(value, item_id)
        elif value is None:
            raise BadInput(f"{item_id}: give its amount, e.g. --item {item_id}=80万")
        else:
            claims[item_id] = amount_of(value, item_id)
    if not given:
        raise BadInput("give at least one support item, e.g. --item overseas-warehouse=80万")
    emit(estimate(claims, date_of(on), profile, events=counts), as_json)


@calc.command("first-order")
@click.option(
    "--order",
    "--amount",
    "orders",
    multiple=True,
    metavar="AMOUNT",
    help="a first order's amount; repeatable",
)
@click.option(
    "--year", default="1", metavar="1|2|3", help="policy year (caps: 30万 in year 1, 50万 in years 2, 3)"
)
@click.option(
    "--claimed", default="0", metavar="AMOUNT", help="compensation already received this policy year"
)
@eligibility_options
@click.option("--date", "on", metavar="YYYY-MM-DD", help="date to judge validity on (default today)")
@click.option("--json", "as_json", is_flag=True, help="print JSON")
def first_order(
    orders: tuple[str, ...], year: str, claimed: str, on: str | None, as_json: bool, **options
) -> None:
    """First-order unsold-risk compensation (dalian-gxq-2026:11): 30% per order, capped."""
    from calculators.first_order import compensate

    profile = profile_of(options)
    if not orders:
        raise BadInput("give at least one first order, e.g. --order 30万")
    amounts = [amount_of(text, "--order") for text in orders]
    if year.strip() not in ("1", "2", "3"):
        raise BadInput(f"--year: {year!r} is not 1, 2 or 3 (the clause covers three years)")
    result = compensate(amounts, int(year), amount_of(claimed, "--claimed"), date_of(on), profile=profile)
    emit(result, as_json)


from calculators.cli_eit import eit  # noqa: E402

calc.add_command(eit)
