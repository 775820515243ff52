"""Metrics room: horizontal bar charts as plain geometry, drawn by the template as inline SVG.

No chart library: the page's CSP allows only our own scripts, and a bar chart is a few rectangles.
"""
from __future__ import annotations

from dataclasses import dataclass

ROW_HEIGHT = 30
LABEL_WIDTH = 220
BAR_WIDTH = 300
VALUE_WIDTH = 170


@dataclass
class Bar:
    label: str
    value_text: str
    y: int
    width: float
    tone: str  # "good", "warn", "bad", "plain": the colour class


@dataclass
class BarChart:
    title: str
    bars: list[Bar]
    height: int
    label_width: int = LABEL_WIDTH
    bar_width: int = BAR_WIDTH
    value_width: int = VALUE_WIDTH

    @property
    def width(self) -> int:
        return self.label_width + self.bar_width + self.value_width


def bar_chart(title: str, rows, *, value, text, tone=lambda row: "plain", label=lambda row: row.label,
              limit: int = 12) -> BarChart:
    """A chart of the first `limit` rows: named label(row), bar length proportional to value(row), text(row) beside it."""
    rows = list(rows)[:limit]
    values = [float(value(row) or 0) for row in rows]
    top = max(values, default=0) or 1
    bars = []
    for index, (row, amount) in enumerate(zip(rows, values)):
        bars.append(Bar(label=_short(label(row)), value_text=text(row),
                        y=index * ROW_HEIGHT, width=round(BAR_WIDTH * max(amount, 0) / top, 1), tone=tone(row)))
    return BarChart(title=title, bars=bars, height=max(len(bars), 1) * ROW_HEIGHT)


def _short(label: str, most: int = 30) -> str:
    return label if len(label) <= most else label[:most - 1] + "…"
