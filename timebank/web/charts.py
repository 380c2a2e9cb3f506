"""Charts as inline SVG built on the server: no chart library, no script. Each chart has a
title and a description for screen readers, and the page shows the same numbers as a table."""

from __future__ import annotations

from markupsafe import Markup, escape

WIDTH = 360
ROW = 44
LABEL_H = 18


def bar_chart(title: str, rows: list[tuple[str, float]], *, unit: str, chart_id: str) -> Markup:
    """Horizontal bars (they fit a phone), one row per label: the label above its bar."""
    top = max((v for _, v in rows), default=0) or 1
    height = ROW * max(len(rows), 1) + 4
    parts = [
        f'<svg viewBox="0 0 {WIDTH} {height}" role="img" '
        f'aria-labelledby="{chart_id}-t {chart_id}-d" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{chart_id}-t">{escape(title)}</title>',
        f'<desc id="{chart_id}-d">'
        + escape("; ".join(f"{label}: {_fmt(v)} {unit}" for label, v in rows))
        + "</desc>",
    ]
    for i, (label, value) in enumerate(rows):
        y = i * ROW
        width = max(2.0, (WIDTH - 70) * value / top)
        parts.append(f'<text x="0" y="{y + 14}">{escape(label)}</text>')
        parts.append(
            f'<rect class="bar" x="0" y="{y + LABEL_H}" width="{width:.1f}" height="18" rx="3"/>'
        )
        parts.append(f'<text x="{width + 6:.1f}" y="{y + LABEL_H + 14}">{_fmt(value)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def _fmt(value: float) -> str:
    return f"{value:,.0f}" if value >= 100 or value == int(value) else f"{value:,.1f}"
