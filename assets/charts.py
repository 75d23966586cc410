"""Server-side SVG charts of meter readings: no script, prints and works offline."""

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from assets.selectors import ChartData

WIDTH, HEIGHT, PAD_X, PAD_Y = 600, 180, 8, 22


def _fmt(value: float) -> str:
    return f"{value:,.6g}" if abs(value) < 1e6 else f"{value:,.0f}"


def reading_chart_svg(chart: ChartData) -> SafeString:
    points = chart.points
    unit = escape(chart.meter.unit)
    title = escape(f"{chart.meter.name} readings")
    if not points:
        return mark_safe("")
    low = min(p.min for p in points)
    high = max(p.max for p in points)
    span_v = (high - low) or 1.0
    t0 = chart.since.timestamp()
    span_t = (chart.until.timestamp() - t0) or 1.0

    def xy(t: float, v: float) -> tuple[float, float]:
        x = PAD_X + (t - t0) / span_t * (WIDTH - 2 * PAD_X)
        y = HEIGHT - PAD_Y - (v - low) / span_v * (HEIGHT - 2 * PAD_Y)
        return round(x, 1), round(y, 1)

    line = " ".join(f"{x},{y}" for x, y in (xy(p.t.timestamp(), p.avg) for p in points))
    band = ""
    if chart.bucket != "raw":
        upper = [xy(p.t.timestamp(), p.max) for p in points]
        lower = [xy(p.t.timestamp(), p.min) for p in reversed(points)]
        band = '<polygon class="chart-band" points="{}"/>'.format(
            " ".join(f"{x},{y}" for x, y in upper + lower)
        )
    dots = ""
    if len(points) <= 60:
        dots = "".join(
            f'<circle class="chart-dot" cx="{x}" cy="{y}" r="3"/>'
            for x, y in (xy(p.t.timestamp(), p.avg) for p in points)
        )
    svg = (
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{title}: '
        f'{_fmt(low)} to {_fmt(high)} {unit}">'
        f'<line class="chart-axis" x1="{PAD_X}" y1="{HEIGHT - PAD_Y}" x2="{WIDTH - PAD_X}" '
        f'y2="{HEIGHT - PAD_Y}"/>'
        f"{band}"
        f'<polyline class="chart-line" points="{line}"/>'
        f"{dots}"
        f'<text class="chart-label" x="{PAD_X}" y="14">{_fmt(high)} {unit}</text>'
        f'<text class="chart-label" x="{PAD_X}" y="{HEIGHT - 6}">{_fmt(low)} {unit} · '
        f"{chart.since:%d %b}</text>"
        f'<text class="chart-label" x="{WIDTH - PAD_X}" y="{HEIGHT - 6}" text-anchor="end">'
        f"{chart.until:%d %b %Y}</text>"
        "</svg>"
    )
    return mark_safe(svg)  # noqa: S308 - numbers we formatted and escaped text only
