"""`cbec-bot checklist` lists the checklists; `cbec-bot checklist ID [--json]` prints one."""

from __future__ import annotations

import json

import click

from calculators.checklists import UnknownChecklistError, get_checklist, load_checklists


class BadInput(click.ClickException):
    """One ``Error: …`` line on stderr, exit code 2 like click's usage errors."""

    exit_code = 2


@click.command()
@click.argument("words", nargs=-1, metavar="[list | [show] ID]")
@click.option("--json", "as_json", is_flag=True, help="print JSON")
def checklist(words: tuple[str, ...], as_json: bool) -> None:
    """Filing checklists (大连高新区 support items, customs modes, 9810, tax, AEO, forex)."""
    # `checklist list` and `checklist show ID` (issue 5 wording) mean the same as the short forms.
    if words[:1] in (("list",), ("show",)):
        words = words[1:]
    if len(words) > 1:
        raise BadInput(f"give one checklist id, not {len(words)}: {' '.join(words)}")
    checklist_id = words[0] if words else None
    if checklist_id is None:
        if as_json:
            listing = [{"id": c.id, "title": c.title} for c in load_checklists()]
            click.echo(json.dumps(listing, ensure_ascii=False, indent=2))
        else:
            for item in load_checklists():
                click.echo(f"{item.id}  {item.title}")
        return
    try:
        found = get_checklist(checklist_id)
    except UnknownChecklistError as error:
        raise BadInput(str(error)) from None
    if as_json:
        click.echo(json.dumps(found.as_dict(), ensure_ascii=False, indent=2))
    else:
        click.echo(found.text())
