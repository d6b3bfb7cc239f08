"""`cbec-bot report`: the demand report (企业诉求分析) for a period, as HTML, CSV or PDF (issue 16)."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

import click


def _day(ctx: click.Context, param: click.Parameter, value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter("日期格式应为YYYY-MM-DD，例如2026-11-01。") from None


@click.command()
@click.option("--from", "start", required=True, callback=_day, help="first day, YYYY-MM-DD (China time)")
@click.option("--to", "end", required=True, callback=_day, help="last day, inclusive, YYYY-MM-DD")
@click.option("--format", "form", type=click.Choice(["html", "csv", "pdf"]), default="html", show_default=True)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="file to write (default: standard output)")
@click.option("--region", default=None, help="only this region (dalian-gxq, liaoning, …)")
@click.option("--channel", default=None, help="only this channel (web, telegram, cli)")
@click.pass_obj
def report(settings, start: date, end: date, form: str, out: Path | None, region: str | None,
           channel: str | None) -> None:  # fmt: skip
    """What companies asked by topic, region and channel, the unanswered needs, the subsidy estimates
    asked for, satisfaction and hand-offs: the same figures as the dashboard's 企业诉求分析 page."""
    from bot.records import report as demand_report
    from bot.records.stats import Scope
    from bot.storage import open_storage

    if end < start:
        raise click.UsageError("--to 不能早于 --from。")
    if form == "pdf" and out is None and sys.stdout.isatty():
        raise click.UsageError("PDF请用 --out 指定文件。")
    if isinstance(settings.db, Path) and not settings.db.exists():
        raise click.ClickException(f"没有找到数据库{settings.db}（CBEC_DB）。")
    with open_storage(settings) as db:
        built = demand_report.build(db, Scope(start, end, region, channel))
        try:
            body = demand_report.render(built, form)
        except demand_report.PdfUnavailable as error:
            raise click.ClickException(str(error)) from None
    if out is None:
        sys.stdout.buffer.write(body)
        sys.stdout.flush()
    else:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(body)
        click.echo(f"已写入{out}（{len(body)}字节）", err=True)
