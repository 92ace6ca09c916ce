"""Server-rendered SVG bar chart of a result: no JavaScript, prints well, a few hundred bytes."""

from __future__ import annotations

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

COLOURS = {"yes": "#1d6b2f", "no": "#a3151b", "abstain": "#6b6b6b"}


def result_bars(rows: list[tuple[str, str, float]], title: str) -> SafeString:
    """``rows`` are (key, label, count). Bars are scaled to the largest count."""
    width, bar_h, gap, label_w = 320, 28, 10, 90
    height = len(rows) * (bar_h + gap) + gap
    top = max((count for _k, _l, count in rows), default=0) or 1
    parts = [
        f'<svg class="chart" role="img" aria-label="{escape(title)}" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" xmlns="http://www.w3.org/2000/svg">'
    ]
    for i, (key, label, count) in enumerate(rows):
        y = gap + i * (bar_h + gap)
        w = round((width - label_w - 50) * count / top)
        colour = COLOURS.get(key, "#444")
        parts.append(
            f'<text x="0" y="{y + 19}" font-size="15" fill="#1a1a1a">{escape(label)}</text>'
            f'<rect x="{label_w}" y="{y}" width="{w}" height="{bar_h}" fill="{colour}"/>'
            f'<text x="{label_w + w + 6}" y="{y + 19}" font-size="15" fill="#1a1a1a">'
            f"{escape(_fmt(count))}</text>"
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every interpolated text is escaped


def _fmt(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.2f}"
