"""What companies need, over a period: the overview's figures and the monthly demand report (issue 16).

``build(db, scope)`` reads the enquiry log once into a ``Report``; the dashboard's overview and
its 企业诉求分析 page, and ``cbec-bot report`` (HTML, CSV, PDF), all show that object, so their
numbers cannot disagree. Each figure carries the previous period of the same length beside it.

Definitions (also on the page, under the figures):
- in scope: every enquiry but greetings and thanks (``smalltalk``) and requests for a person
  (``handoff``);
- answered directly: an FAQ answer, a calculation or a checklist; ask-back: ``clarify``;
  fallback: ``fallback`` (no answer; ``excerpt``, a clause shown without an FAQ answer, is neither);
- hand-offs: tickets opened in the period, their wait until the first staff reply;
- reply time: the assistant's own time to answer (``latency_ms``), the median.
"""

from __future__ import annotations

import csv
import io
import statistics
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from markupsafe import Markup

from bot.conversation.vocabulary import CHANNEL_LABELS as CHANNELS
from bot.conversation.vocabulary import REGION_SHORT_LABELS as REGIONS
from bot.records import stats as stats
from bot.storage.sqlite import Database

DIRECT_KINDS = ("answer", "calculation", "checklist")
OUT_OF_SCOPE_KINDS = ("smalltalk", "handoff")
WEB = Path(__file__).resolve().parent.parent / "channels" / "web"  # its templates and styles
CHROMIUM_PATHS = ("/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome")


def region_name(code: str | None) -> str:
    return REGIONS.get(code, code) if code else "未选择地区"


def channel_name(code: str | None) -> str:
    return CHANNELS.get(code or "", code or "未知渠道")


def item_names() -> dict[str, str]:
    """Calculator item id -> its Chinese title (the subsidy items, first-order and income tax)."""
    try:
        from calculators.items import load_items

        names = {item_id: item.title for item_id, item in load_items().items()}
    except Exception:  # noqa: BLE001 - the report works with the fallback names below
        names = {}
    names.setdefault("first-order", "首单滞销风险补偿")
    names.setdefault("eit", "企业所得税（核定征收）测算")
    names.setdefault("subsidy", "补贴测算")
    return names


def item_name(item: str, names: dict[str, str] | None = None) -> str:
    return (names or item_names()).get(item, "其他测算项目")


# -- figures -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Figure:
    key: str
    label: str
    value: float | None
    previous: float | None
    unit: str  # "%" (value is a share 0..1), "条", "分钟", "秒"
    good: str = "up"  # which direction is good: up, down or none

    @property
    def shown(self) -> str:
        return _format(self.value, self.unit)

    @property
    def delta(self) -> float | None:
        if self.value is None or self.previous is None:
            return None
        return self.value - self.previous

    @property
    def change(self) -> str:
        """The change against the previous period in words: 「↑3.5个百分点」「↓2条」「持平」「上期无数据」."""
        if self.previous is None:
            return "上期无数据"
        if self.value is None:
            return "本期无数据"
        delta = self.delta or 0.0
        size = abs(delta) * 100 if self.unit == "%" else abs(delta)
        if round(size, 2 if self.unit == "秒" else 1) == 0:
            return "持平"
        arrow = "↑" if delta > 0 else "↓"
        if self.unit == "%":
            return f"{arrow}{size:.1f}个百分点"
        if self.unit == "条":
            return f"{arrow}{size:.0f}条"
        return f"{arrow}{size:.2f}秒" if self.unit == "秒" else f"{arrow}{size:.1f}{self.unit}"

    @property
    def change_text(self) -> str:
        """「较上期↑3.5个百分点」, or 「上期无数据」 alone."""
        change = self.change
        return change if change.endswith("无数据") else "较上期" + change

    @property
    def tone(self) -> str:
        """better, worse or same, for the colour of the change."""
        delta = self.delta
        if delta is None or self.good == "none" or self.change == "持平":
            return "same"
        return "better" if (delta > 0) == (self.good == "up") else "worse"

    @property
    def previous_shown(self) -> str:
        return _format(self.previous, self.unit)


def _format(value: float | None, unit: str) -> str:
    if value is None:
        return "—"
    if unit == "%":
        return f"{value * 100:.1f}%"
    if unit == "条":
        return f"{value:.0f}"
    return f"{value:.2f}{unit}" if unit == "秒" else f"{value:.1f}{unit}"


@dataclass(frozen=True)
class PeriodFigures:
    total: int
    in_scope: int
    direct: int
    clarify: int
    fallback: int
    handoffs: int
    handoffs_answered: int
    wait_minutes: float | None  # median wait of the answered hand-offs
    up: int
    down: int
    reply_seconds: float | None  # median

    def share(self, part: int) -> float | None:
        return part / self.in_scope if self.in_scope else None


def period_figures(db: Database, scope: stats.Scope) -> PeriodFigures:
    where, params = scope.where()
    kinds = {row["kind"]: row["n"] for row in db.query(
        f"SELECT kind, count(*) AS n FROM enquiries WHERE {where} GROUP BY kind", params)}  # fmt: skip
    total = sum(kinds.values())
    in_scope = total - sum(kinds.get(kind, 0) for kind in OUT_OF_SCOPE_KINDS)
    latencies = [row["latency_ms"] for row in db.query(
        f"SELECT latency_ms FROM enquiries WHERE {where} AND latency_ms IS NOT NULL", params)]  # fmt: skip
    h_where, h_params = scope.where("opened_at")
    handoffs = db.query(f"SELECT opened_at, answered_at FROM handoffs WHERE {h_where}", h_params)
    waits = [(_moment(h["answered_at"]) - _moment(h["opened_at"])).total_seconds() / 60
             for h in handoffs if h["answered_at"] and h["opened_at"]]  # fmt: skip
    votes = stats.feedback(db, scope)
    return PeriodFigures(
        total=total,
        in_scope=in_scope,
        direct=sum(kinds.get(kind, 0) for kind in DIRECT_KINDS),
        clarify=kinds.get("clarify", 0),
        fallback=kinds.get("fallback", 0),
        handoffs=len(handoffs),
        handoffs_answered=len(waits),
        wait_minutes=statistics.median(waits) if waits else None,
        up=votes.up,
        down=votes.down,
        reply_seconds=statistics.median(latencies) / 1000 if latencies else None,
    )


def _moment(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def previous_scope(scope: stats.Scope) -> stats.Scope:
    """The period before, of the same length; before a whole calendar month, the whole month before."""
    if scope.start.day == 1 and (scope.end + timedelta(days=1)).day == 1 and scope.start.replace(day=28) <= scope.end:
        last = scope.start - timedelta(days=1)
        if (scope.end.year, scope.end.month) == (scope.start.year, scope.start.month):
            return stats.Scope(last.replace(day=1), last, scope.region, scope.channel)
    length = scope.end - scope.start + timedelta(days=1)
    return stats.Scope(scope.start - length, scope.start - timedelta(days=1), scope.region, scope.channel)


def figures(now: PeriodFigures, before: PeriodFigures) -> list[Figure]:
    def up_share(f: PeriodFigures) -> float | None:
        return f.up / (f.up + f.down) if f.up + f.down else None

    def if_any(f: PeriodFigures, value: float | None) -> float | None:
        return value if f.total else None

    return [
        Figure("total", "咨询量", now.total, if_any(before, before.total), "条", "none"),
        Figure("answer_rate", "直接解答率", now.share(now.direct), before.share(before.direct), "%", "up"),
        Figure("clarify_rate", "追问率", now.share(now.clarify), before.share(before.clarify), "%", "down"),
        Figure("fallback_rate", "未能回答率", now.share(now.fallback), before.share(before.fallback), "%", "down"),
        Figure("handoffs", "转人工", now.handoffs, if_any(before, before.handoffs), "条", "none"),
        Figure("handoff_wait", "转人工等待时间（中位数）", now.wait_minutes, before.wait_minutes, "分钟", "down"),
        Figure("satisfaction", "好评率（👍占比）", up_share(now), up_share(before), "%", "up"),
        Figure("reply_time", "回复耗时（中位数）", now.reply_seconds, before.reply_seconds, "秒", "down"),
    ]


# -- the report ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Share:
    label: str
    count: int
    previous: int


@dataclass(frozen=True)
class DemandRow:
    item: str  # id, kept for the CSV's last column only
    name: str
    count: int
    claimed: float
    estimate: float


@dataclass
class Report:
    scope: stats.Scope
    previous: stats.Scope
    figures: list[Figure]
    now: PeriodFigures
    weeks: list[tuple[date, int, int]]  # (Monday, enquiries, answered directly)
    topics: list[Share]
    regions: list[Share]
    channels: list[Share]
    heat: dict[tuple[str, str], int]  # (topic, region name) -> enquiries
    heat_topics: list[str]
    heat_regions: list[str]
    unanswered: list[stats.QuestionGroup]
    demand: list[DemandRow]
    charts: dict[str, Markup] = field(default_factory=dict)

    @property
    def title(self) -> str:
        return f"企业诉求分析（{self.scope.start.isoformat()}至{self.scope.end.isoformat()}）"

    @property
    def filters(self) -> str:
        parts = [region_name(self.scope.region) if self.scope.region else "",
                 channel_name(self.scope.channel) if self.scope.channel else ""]  # fmt: skip
        return "、".join(part for part in parts if part) or "全部地区和渠道"

    @property
    def demand_total(self) -> float:
        return sum(row.estimate for row in self.demand)


def _topic_of(catalog: dict[str, dict[str, str]]) -> Callable[[str | None], str]:
    def topic(intent: str | None) -> str:
        if not intent:
            return "未能归类"
        return catalog.get(intent, {}).get("topic") or "其他"

    return topic


def _shares(now: list[tuple[str, int]], before: list[tuple[str, int]]) -> list[Share]:
    previous = dict(before)
    return [Share(label, n, previous.get(label, 0)) for label, n in now]


def _merge(pairs: list[tuple[str | None, int]], name: Callable[[str | None], str]) -> list[tuple[str, int]]:
    totals: dict[str, int] = {}
    for value, n in pairs:
        totals[name(value)] = totals.get(name(value), 0) + n
    return sorted(totals.items(), key=lambda pair: (-pair[1], pair[0]))


def _topic_counts(db: Database, scope: stats.Scope, topic: Callable[[str | None], str]) -> list[tuple[str, int]]:
    where, params = scope.where()
    rows = db.query(
        f"SELECT intent, count(*) AS n FROM enquiries WHERE {where} AND kind NOT IN ('smalltalk', 'handoff') "
        "GROUP BY intent",
        params,
    )
    return _merge([(row["intent"], row["n"]) for row in rows], topic)


def weekly(db: Database, scope: stats.Scope) -> list[tuple[date, int, int]]:
    """(Monday, enquiries, answered directly) for each week touching the period."""
    where, params = scope.where()
    direct = ", ".join(f"'{kind}'" for kind in DIRECT_KINDS)
    rows = db.query(
        f"SELECT date(time, '+8 hours') AS day, count(*) AS n, sum(kind IN ({direct})) AS direct "
        f"FROM enquiries WHERE {where} GROUP BY day",
        params,
    )
    first = scope.start - timedelta(days=scope.start.weekday())
    weeks: dict[date, list[int]] = {}
    monday = first
    while monday <= scope.end:
        weeks[monday] = [0, 0]
        monday += timedelta(days=7)
    for row in rows:
        day = date.fromisoformat(row["day"])
        week = weeks[day - timedelta(days=day.weekday())]
        week[0] += row["n"]
        week[1] += row["direct"] or 0
    return [(monday, n, direct_n) for monday, (n, direct_n) in weeks.items()]


def build(db: Database, scope: stats.Scope, catalog: dict[str, dict[str, str]] | None = None,
          unanswered_limit: int = 15) -> Report:  # fmt: skip
    if catalog is None:
        from bot.records.catalog import intent_catalog

        catalog = intent_catalog()
    before_scope = previous_scope(scope)
    now, before = period_figures(db, scope), period_figures(db, before_scope)
    topic = _topic_of(catalog)
    where, params = scope.where()
    heat_rows = db.query(
        f"SELECT intent, region, count(*) AS n FROM enquiries WHERE {where} AND kind NOT IN ('smalltalk', 'handoff') "
        "GROUP BY intent, region",
        params,
    )
    heat: dict[tuple[str, str], int] = {}
    for row in heat_rows:
        key = (topic(row["intent"]), region_name(row["region"]))
        heat[key] = heat.get(key, 0) + row["n"]
    topics = _shares(_topic_counts(db, scope, topic), _topic_counts(db, before_scope, topic))
    regions = _shares(_merge(stats.count_by(db, scope, "region"), region_name),
                      _merge(stats.count_by(db, before_scope, "region"), region_name))  # fmt: skip
    channels = _shares(_merge(stats.count_by(db, scope, "channel"), channel_name),
                       _merge(stats.count_by(db, before_scope, "channel"), channel_name))  # fmt: skip
    names = item_names()
    demand = [DemandRow(d.item, item_name(d.item, names), d.count, d.claimed, d.estimate)
              for d in stats.calculator_demand(db, scope)]  # fmt: skip
    heat_regions = [share.label for share in regions if any(region == share.label for _, region in heat)]
    report = Report(
        scope=scope,
        previous=before_scope,
        figures=figures(now, before),
        now=now,
        weeks=weekly(db, scope),
        topics=topics,
        regions=regions,
        channels=channels,
        heat=heat,
        heat_topics=[share.label for share in topics][:12],
        heat_regions=heat_regions,
        unanswered=stats.unanswered_needs(db, scope, unanswered_limit),  # in clusters, as triaged
        demand=demand,
    )
    from bot.records.svg import bar_list, heat_map, week_chart

    report.charts = {
        "weeks": week_chart(report.weeks),
        "heat": heat_map(report.heat_topics, report.heat_regions, heat),
        "topics": bar_list([(s.label, s.count) for s in topics[:12]], "各主题咨询量", "条"),
        "demand": bar_list([(row.name, row.estimate / 10000) for row in demand], "测算补贴金额（万元）", "万元"),
    }
    return report


# -- output ---------------------------------------------------------------------------------------
def _environment():
    from jinja2 import Environment, FileSystemLoader

    env = Environment(loader=FileSystemLoader(WEB / "templates"), autoescape=True)
    env.filters["china_time"] = stats.china_time
    env.filters["yuan"] = yuan
    return env


def yuan(value: float | None) -> str:
    """80万元, 1,234元: amounts as staff read them."""
    if value is None:
        return "—"
    if abs(value) >= 10000:
        return f"{value / 10000:,.2f}".rstrip("0").rstrip(".") + "万元"
    return f"{value:,.0f}元"


def html(report: Report) -> str:
    """The report as one self-contained HTML file: styles inline, charts as inline SVG, no scripts."""
    style = (WEB / "static" / "report.css").read_text(encoding="utf-8")
    return _environment().get_template("report_file.html").render(report=report, style=Markup(style))


def fragment(report: Report) -> Markup:
    """The report's body, as the dashboard page shows it."""
    return Markup(_environment().get_template("_report.html").render(report=report))


CSV_HEADER = ("部分", "项目", "本期", "上期", "说明")


def csv_text(report: Report) -> str:
    """The same figures as rows (UTF-8 with BOM, so that Excel reads the Chinese)."""
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer)
    writer.writerow(CSV_HEADER)
    writer.writerow(("期间", "本期", report.scope.start.isoformat() + "至" + report.scope.end.isoformat(),
                     report.previous.start.isoformat() + "至" + report.previous.end.isoformat(), report.filters))  # fmt: skip
    for figure in report.figures:
        writer.writerow(("概况", figure.label, figure.shown, figure.previous_shown, figure.change_text))
    for monday, n, direct in report.weeks:
        writer.writerow(("每周趋势", f"{monday.isoformat()}起", n, "", f"直接解答{direct}条"))
    for section, shares in (("主题", report.topics), ("地区", report.regions), ("渠道", report.channels)):
        for share in shares:
            writer.writerow((section, share.label, share.count, share.previous, ""))
    for (topic, region), n in sorted(report.heat.items()):
        writer.writerow(("主题×地区", f"{topic}·{region}", n, "", ""))
    for group in report.unanswered:
        writer.writerow(("未能回答的需求", _cell(group.text), group.count, "", "最近" + stats.china_time(group.last_time)))
    for row in report.demand:
        writer.writerow(("补贴测算", row.name, row.count, "",
                         f"申报金额合计{yuan(row.claimed)}，测算补贴合计{yuan(row.estimate)}"))  # fmt: skip
    writer.writerow(("满意度与转人工", "👍", report.now.up, "", ""))
    writer.writerow(("满意度与转人工", "👎", report.now.down, "", ""))
    writer.writerow(("满意度与转人工", "转人工已答复", report.now.handoffs_answered, "", f"共{report.now.handoffs}条"))
    return buffer.getvalue()


def _cell(text: str) -> str:
    return "'" + text if text[:1] in "=+-@" else text  # never a spreadsheet formula


class PdfUnavailable(RuntimeError):
    """No headless Chromium to print the PDF with."""


def chromium() -> str | None:
    import shutil

    for path in CHROMIUM_PATHS:
        if Path(path).exists():
            return path
    return shutil.which("chromium") or shutil.which("chromium-browser")


def pdf(report: Report, timeout: float = 120) -> bytes:
    """The HTML file printed to A4 by headless Chromium (Debian's chromium package)."""
    browser = chromium()
    if browser is None:
        raise PdfUnavailable("生成PDF需要Chromium（Debian：apt-get install chromium fonts-wqy-microhei）。")
    with tempfile.TemporaryDirectory(prefix="cbec-report-") as folder:
        source, target = Path(folder) / "report.html", Path(folder) / "report.pdf"
        source.write_text(html(report), encoding="utf-8")
        command = [
            browser, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", f"--user-data-dir={folder}/profile",
            "--no-pdf-header-footer", f"--print-to-pdf={target}", source.as_uri(),
        ]  # fmt: skip
        done = subprocess.run(command, capture_output=True, timeout=timeout, check=False)
        if not target.exists() or target.stat().st_size == 0:
            raise PdfUnavailable(f"Chromium未能生成PDF（退出码{done.returncode}）。")
        return target.read_bytes()


def render(report: Report, form: str) -> bytes:
    if form == "html":
        return html(report).encode("utf-8")
    if form == "csv":
        return csv_text(report).encode("utf-8")
    if form == "pdf":
        return pdf(report)
    raise ValueError(form)


def as_dict(report: Report) -> dict[str, Any]:
    """The figures as plain data (tests compare the outputs with it)."""
    return {figure.key: (figure.shown, figure.change) for figure in report.figures}
