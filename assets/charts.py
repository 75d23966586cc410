"""Server-side SVG charts of meter readings: no script, prints and works offline.

The SVG stretches to its box (``preserveAspectRatio="none"``) so one drawing fits a phone and a
desktop; its labels therefore live in the HTML caption, where text is never distorted.
"""

from dataclasses import dataclass
from datetime import datetime

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from assets.selectors import ChartData

WIDTH, HEIGHT, PAD = 600, 160, 6


@dataclass
class Chart:
    svg: SafeString
    low: float
    high: float
    start: datetime
    end: datetime
    count: int


def reading_chart(chart: ChartData) -> Chart | None:
    points = chart.points
    if not points:
        return None
    low = min(p.min for p in points)
    high = max(p.max for p in points)
    span_v = (high - low) or 1.0
    # The x axis starts at the first reading, so a young meter does not draw a mostly empty box.
    start, end = points[0].t, max(chart.until, points[-1].t)
    t0 = start.timestamp()
    span_t = (end.timestamp() - t0) or 1.0

    def xy(t: datetime, v: float) -> str:
        x = PAD + (t.timestamp() - t0) / span_t * (WIDTH - 2 * PAD)
        y = HEIGHT - PAD - (v - low) / span_v * (HEIGHT - 2 * PAD)
        return f"{x:.1f},{y:.1f}"

    line = " ".join(xy(p.t, p.avg) for p in points)
    band = ""
    if chart.bucket != "raw":
        outline = [xy(p.t, p.max) for p in points] + [xy(p.t, p.min) for p in reversed(points)]
        band = f'<polygon class="chart-band" points="{" ".join(outline)}"/>'
    label = escape(f"{chart.meter.name}: {low:g} to {high:g} {chart.meter.unit}")
    svg = (
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" preserveAspectRatio="none" '
        f'role="img" aria-label="{label}">'
        f'<line class="chart-axis" x1="0" y1="{HEIGHT - 1}" x2="{WIDTH}" y2="{HEIGHT - 1}"/>'
        f'{band}<polyline class="chart-line" points="{line}"/></svg>'
    )
    return Chart(
        svg=mark_safe(svg),  # noqa: S308 - numbers we formatted and escaped text only
        low=low,
        high=high,
        start=start,
        end=end,
        count=sum(p.n for p in points),
    )
