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
