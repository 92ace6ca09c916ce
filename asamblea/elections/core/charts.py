"""Server-rendered SVG of how votes moved from round to round (no JavaScript, prints well).

Pure Python: one line per candidate across the rounds of the count, the quota as a dashed
line, a legend naming every line. The table next to it on the page carries the same figures
for screen readers; the chart is a picture of them.
"""

from __future__ import annotations

from html import escape

from asamblea.elections.core.tables import ResultTable

#: Distinguishable on paper and for common colour blindness (Okabe & Ito), then greys.
PALETTE = (
    "#0072b2",
    "#d55e00",
    "#009e73",
    "#cc79a7",
    "#e69f00",
    "#56b4e9",
    "#000000",
    "#f0e442",
)
DASHES = ("", "6 3", "2 3", "8 3 2 3")


def votes_chart(table: ResultTable, title: str) -> str:
    """The SVG markup, or "" when there is nothing to draw (a single round, no rounds)."""
    if table.kind == "totals":
        return _bars(table, title)
    if table.kind != "rounds" or not table.rows:
        return ""
    # Narrow enough to stay legible on a phone: the legend goes under the plot, one line each.
    width, left, right, top, plot_h, row_h = 480, 44, 12, 12, 200, 22
    legend_top = top + plot_h + 30
    height = legend_top + row_h * len(table.rows)
    plot_w = width - left - right
    columns = len(table.columns)
    highest = max([max(row.series, default=0) for row in table.rows] + table.quota_series + [1])

    def x(i: int) -> float:
        return left + (plot_w * i / (columns - 1) if columns > 1 else plot_w / 2)

    def y(value: float) -> float:
        return top + plot_h - plot_h * value / highest

    parts = [
        f'<svg class="chart" role="img" aria-label="{escape(title)}" viewBox="0 0 {width} '
        f'{height}" width="{width}" height="{height}" xmlns="http://www.w3.org/2000/svg">',
        f'<line x1="{left}" y1="{y(0):.1f}" x2="{left + plot_w}" y2="{y(0):.1f}" stroke="#777"/>',
    ]
    for i, label in enumerate(table.columns):
        parts.append(
            f'<text x="{x(i):.1f}" y="{top + plot_h + 20}" font-size="14" text-anchor="middle" '
            f'fill="#1a1a1a">{escape(label)}</text>'
        )
    if table.quota:
        q = y(table.quota_series[-1])
        parts.append(
            f'<line x1="{left}" y1="{q:.1f}" x2="{left + plot_w}" y2="{q:.1f}" stroke="#a3151b" '
            f'stroke-dasharray="4 4"/><text x="2" y="{q + 5:.1f}" font-size="13" '
            f'fill="#a3151b">{escape(_fmt(table.quota_series[-1]))}</text>'
        )
    for n, row in enumerate(table.rows):
        colour, dash = PALETTE[n % len(PALETTE)], DASHES[(n // len(PALETTE)) % len(DASHES)]
        points = " ".join(f"{x(i):.1f},{y(v):.1f}" for i, v in enumerate(row.series))
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        weight = 4 if row.status == "elected" else 2
        parts.append(
            f'<polyline points="{points}" fill="none" stroke="{colour}" '
            f'stroke-width="{weight}"{dash_attr}/>'
        )
        ly = legend_top + n * row_h + 14
        mark = " ✓" if row.status == "elected" else ""
        parts.append(
            f'<line x1="{left}" y1="{ly - 5}" x2="{left + 28}" y2="{ly - 5}" stroke="{colour}" '
            f'stroke-width="4"{dash_attr}/><text x="{left + 36}" y="{ly}" font-size="15" '
            f'fill="#1a1a1a">{escape(_short(row.name, 40))}{mark}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _bars(table: ResultTable, title: str) -> str:
    width, bar_h, gap, label_w = 480, 26, 8, 150
    height = len(table.rows) * (bar_h + gap) + gap
    top = max([row.series[0] for row in table.rows if row.series] + [1])
    parts = [
        f'<svg class="chart" role="img" aria-label="{escape(title)}" viewBox="0 0 {width} '
        f'{height}" width="{width}" height="{height}" xmlns="http://www.w3.org/2000/svg">'
    ]
    for i, row in enumerate(table.rows):
        value = row.series[0] if row.series else 0
        y = gap + i * (bar_h + gap)
        w = round((width - label_w - 60) * value / top)
        colour = "#1d6b2f" if row.status == "elected" else "#6b6b6b"
        parts.append(
            f'<text x="0" y="{y + 18}" font-size="15" fill="#1a1a1a">{escape(_short(row.name, 18))}'
            f'</text><rect x="{label_w}" y="{y}" width="{w}" height="{bar_h}" fill="{colour}"/>'
            f'<text x="{label_w + w + 6}" y="{y + 18}" font-size="15" fill="#1a1a1a">'
            f"{escape(_fmt(value))}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)


def _short(name: str, most: int = 22) -> str:
    return name if len(name) <= most else name[: most - 1] + "…"


def _fmt(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.2f}"
