"""Enquiries per day as an inline SVG bar chart, drawn on the server (no JavaScript, no CDN)."""

from __future__ import annotations

from datetime import date
from html import escape

from markupsafe import Markup


def bar_chart(points: list[tuple[date, int]], width: int = 640, height: int = 180, title: str = "每日咨询量") -> Markup:
    left, bottom, top = 32, 22, 10
    plot_w, plot_h = width - left - 4, height - bottom - top
    peak = max((n for _, n in points), default=0) or 1
    step = plot_w / max(len(points), 1)
    bar_w = max(step * 0.7, 1)
    label_every = max(1, round(len(points) / 10))
    parts = [
        f'<svg class="chart" role="img" aria-label="{escape(title)}" viewBox="0 0 {width} {height}" '
        f'width="100%" preserveAspectRatio="xMidYMid meet" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(title)}</title>",
        f'<line x1="{left}" y1="{top + plot_h}" x2="{width - 4}" y2="{top + plot_h}" class="axis"/>',
        f'<text x="{left - 4}" y="{top + 8}" text-anchor="end" class="tick">{peak}</text>',
        f'<text x="{left - 4}" y="{top + plot_h}" text-anchor="end" class="tick">0</text>',
    ]
    for index, (day, count) in enumerate(points):
        bar_h = plot_h * count / peak
        x = left + index * step + (step - bar_w) / 2
        y = top + plot_h - bar_h
        parts.append(
            f'<rect class="bar" x="{x:.1f}" y="{y:.1f}" width="{bar_w:.1f}" height="{bar_h:.1f}">'
            f"<title>{escape(day.isoformat())}: {count}</title></rect>"
        )
        if count:
            parts.append(f'<text x="{x + bar_w / 2:.1f}" y="{y - 2:.1f}" text-anchor="middle" class="value">{count}</text>')
        if index % label_every == 0:
            parts.append(
                f'<text x="{x + bar_w / 2:.1f}" y="{height - 6}" text-anchor="middle" class="tick">'
                f"{day.month}/{day.day}</text>"
            )
    parts.append("</svg>")
    return Markup("".join(parts))


# -- charts of the overview and the demand report (issue 16): printable, styles inline ------------
FONT = 'font-family="PingFang SC, Microsoft YaHei, Noto Sans CJK SC, WenQuanYi Micro Hei, sans-serif"'


def week_chart(weeks: list[tuple[date, int, int]], width: int = 640, height: int = 200,
               title: str = "每周咨询量") -> Markup:  # fmt: skip
    """Bars of enquiries per week (starting Monday), the part answered directly darker, with a legend."""
    left, bottom, top = 36, 24, 26
    plot_w, plot_h = width - left - 6, height - bottom - top
    peak = max((total for _, total, _ in weeks), default=0) or 1
    step = plot_w / max(len(weeks), 1)
    bar_w = max(min(step * 0.6, 60), 2)
    parts = [
        f'<svg class="chart week-chart" role="img" aria-label="{escape(title)}" viewBox="0 0 {width} {height}" '
        f'width="100%" xmlns="http://www.w3.org/2000/svg" {FONT} font-size="11">',
        f"<title>{escape(title)}</title>",
        f'<rect x="{left}" y="4" width="10" height="10" fill="#9cc3e6"/><text x="{left + 14}" y="13" fill="#475467">咨询量</text>',
        f'<rect x="{left + 70}" y="4" width="10" height="10" fill="#1f5f99"/>'
        f'<text x="{left + 84}" y="13" fill="#475467">直接解答</text>',
        f'<line x1="{left}" y1="{top + plot_h}" x2="{width - 4}" y2="{top + plot_h}" stroke="#98a2b3"/>',
        f'<text x="{left - 4}" y="{top + 8}" text-anchor="end" fill="#667085">{peak}</text>',
        f'<text x="{left - 4}" y="{top + plot_h}" text-anchor="end" fill="#667085">0</text>',
    ]
    for index, (monday, total, answered) in enumerate(weeks):
        x = left + index * step + (step - bar_w) / 2
        total_h, answered_h = plot_h * total / peak, plot_h * answered / peak
        label = f"{monday.month}月{monday.day}日起的一周:咨询{total}条,直接解答{answered}条"
        parts.append(
            f'<rect x="{x:.1f}" y="{top + plot_h - total_h:.1f}" width="{bar_w:.1f}" height="{total_h:.1f}" '
            f'fill="#9cc3e6"><title>{escape(label)}</title></rect>'
            f'<rect x="{x:.1f}" y="{top + plot_h - answered_h:.1f}" width="{bar_w:.1f}" height="{answered_h:.1f}" '
            f'fill="#1f5f99"/>'
        )
        if total:
            parts.append(f'<text x="{x + bar_w / 2:.1f}" y="{top + plot_h - total_h - 3:.1f}" text-anchor="middle" '
                         f'fill="#1d2430">{total}</text>')  # fmt: skip
        parts.append(f'<text x="{x + bar_w / 2:.1f}" y="{height - 8}" text-anchor="middle" fill="#667085">'
                     f"{monday.month}/{monday.day}</text>")  # fmt: skip
    parts.append("</svg>")
    return Markup("".join(parts))


def bar_list(pairs: list[tuple[str, float]], title: str, unit: str = "", width: int = 640) -> Markup:
    """Horizontal bars, one labelled row per pair (most first), for topics, regions, channels, items."""
    row_h, label_w = 24, 170
    height = max(len(pairs), 1) * row_h + 8
    peak = max((value for _, value in pairs), default=0) or 1
    parts = [
        f'<svg class="chart bar-list" role="img" aria-label="{escape(title)}" viewBox="0 0 {width} {height}" '
        f'width="100%" xmlns="http://www.w3.org/2000/svg" {FONT} font-size="12">',
        f"<title>{escape(title)}</title>",
    ]
    for index, (label, value) in enumerate(pairs):
        y = 4 + index * row_h
        bar = (width - label_w - 90) * value / peak
        shown = f"{value:,.0f}{unit}"
        name = label if len(label) <= 13 else label[:12] + "…"
        parts.append(
            f'<text x="{label_w - 6}" y="{y + 15}" text-anchor="end" fill="#1d2430">{escape(name)}</text>'
            f'<rect x="{label_w}" y="{y + 3}" width="{max(bar, 1):.1f}" height="{row_h - 8}" fill="#3b82c4">'
            f"<title>{escape(label)}: {escape(shown)}</title></rect>"
            f'<text x="{label_w + bar + 4:.1f}" y="{y + 15}" fill="#475467">{escape(shown)}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def heat_map(rows: list[str], columns: list[str], values: dict[tuple[str, str], int],
             title: str = "主题 × 地区") -> Markup:  # fmt: skip
    """A grid of counts, darker for more, rows and columns labelled in Chinese."""
    label_w, head_h, cell_h = 96, 24, 24
    cell_w = max(min((640 - label_w) / max(len(columns), 1), 110), 44)
    width, height = label_w + cell_w * len(columns) + 4, head_h + cell_h * len(rows) + 4
    peak = max(values.values(), default=0) or 1
    parts = [
        f'<svg class="chart heat-map" role="img" aria-label="{escape(title)}" viewBox="0 0 {width:.0f} {height}" '
        f'width="{width:.0f}" height="{height}" xmlns="http://www.w3.org/2000/svg" {FONT} font-size="11">',
        f"<title>{escape(title)}</title>",
    ]
    for c, column in enumerate(columns):
        parts.append(f'<text x="{label_w + c * cell_w + cell_w / 2:.1f}" y="{head_h - 8}" text-anchor="middle" '
                     f'fill="#475467">{escape(column)}</text>')  # fmt: skip
    for r, row in enumerate(rows):
        y = head_h + r * cell_h
        parts.append(f'<text x="{label_w - 6}" y="{y + 16}" text-anchor="end" fill="#1d2430">{escape(row)}</text>')
        for c, column in enumerate(columns):
            n = values.get((row, column), 0)
            shade = 0.08 + 0.92 * n / peak if n else 0.0
            fill = f"rgba(31,95,153,{shade:.2f})" if n else "#f3f5f8"
            ink = "#fff" if shade > 0.55 else "#1d2430"
            x = label_w + c * cell_w
            parts.append(
                f'<rect x="{x:.1f}" y="{y}" width="{cell_w - 2:.1f}" height="{cell_h - 2}" fill="{fill}">'
                f"<title>{escape(row)} · {escape(column)}: {n}</title></rect>"
            )
            if n:
                parts.append(f'<text x="{x + cell_w / 2 - 1:.1f}" y="{y + 16}" text-anchor="middle" fill="{ink}">{n}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))
