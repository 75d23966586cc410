"""Server-side SVG for the dashboard (no script, no CDN, prints). Each chart is decorative next
to the table it is drawn from (the table is the accessible version), so the SVG is aria-hidden."""

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

WIDTH, HEIGHT, PAD, AXIS = 640, 220, 10, 28
PRIORITY_COLOURS = ("#b42318", "#dc6803", "#0b5cad", "#667085")  # p1..p4
LINE_COLOURS = ("#0b5cad", "#12b76a")  # created, completed


def _svg(body: str, label: str) -> SafeString:
    return mark_safe(  # noqa: S308 - numbers we formatted and escaped text only
        f'<svg viewBox="0 0 {WIDTH} {HEIGHT}" class="chart" role="img" aria-hidden="true" '
        f'focusable="false"><title>{escape(label)}</title>{body}</svg>'
    )


def _scale(top: int) -> tuple[int, float]:
    top = max(top, 1)
    return top, (HEIGHT - AXIS - PAD) / top


def trend(rows: list[list]) -> SafeString:
    """Created and completed per day: two lines."""
    top, unit = _scale(max((max(r[1], r[2]) for r in rows), default=0))
    step = (WIDTH - 2 * PAD) / max(len(rows) - 1, 1)
    base = HEIGHT - AXIS
    parts = [_grid(top, unit)]
    for column, colour in zip((1, 2), LINE_COLOURS, strict=True):
        points = " ".join(
            f"{PAD + i * step:.1f},{base - row[column] * unit:.1f}" for i, row in enumerate(rows)
        )
        parts.append(
            f'<polyline points="{points}" fill="none" stroke="{colour}" stroke-width="2.5" '
            'vector-effect="non-scaling-stroke"/>'
        )
    if rows:
        parts.append(_label(PAD, HEIGHT - 8, rows[0][0], "start"))
        parts.append(_label(WIDTH - PAD, HEIGHT - 8, rows[-1][0], "end"))
    return _svg("".join(parts), "Created and completed per day")


def stacked_bars(rows: list[list]) -> SafeString:
    """Open backlog per status, stacked by priority (the row's cells 1..4; last is the total)."""
    top, unit = _scale(max((row[-1] for row in rows), default=0))
    slot = (WIDTH - 2 * PAD) / max(len(rows), 1)
    bar = slot * 0.6
    base = HEIGHT - AXIS
    parts = [_grid(top, unit)]
    for i, row in enumerate(rows):
        x = PAD + i * slot + (slot - bar) / 2
        y = base
        for count, colour in zip(row[1:-1], PRIORITY_COLOURS, strict=True):
            if count:
                height = count * unit
                y -= height
                parts.append(
                    f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar:.1f}" height="{height:.1f}" '
                    f'fill="{colour}"/>'
                )
        parts.append(_label(x + bar / 2, HEIGHT - 8, row[0], "middle"))
    return _svg("".join(parts), "Open backlog by status and priority")


def histogram(rows: list[list]) -> SafeString:
    """Open backlog by age bucket."""
    top, unit = _scale(max((row[1] for row in rows), default=0))
    slot = (WIDTH - 2 * PAD) / max(len(rows), 1)
    base = HEIGHT - AXIS
    parts = [_grid(top, unit)]
    for i, (label, count) in enumerate(rows):
        x = PAD + i * slot + 2
        height = count * unit
        parts.append(
            f'<rect x="{x:.1f}" y="{base - height:.1f}" width="{slot - 4:.1f}" '
            f'height="{height:.1f}" fill="#0b5cad"/>'
        )
        parts.append(_label(x + (slot - 4) / 2, HEIGHT - 8, label, "middle"))
    return _svg("".join(parts), "Open backlog by age")


def _grid(top: int, unit: float) -> str:
    base = HEIGHT - AXIS
    lines = [f'<line x1="0" y1="{base}" x2="{WIDTH}" y2="{base}" stroke="#98a2b3"/>']
    y = base - top * unit
    lines.append(
        f'<line x1="0" y1="{y:.1f}" x2="{WIDTH}" y2="{y:.1f}" stroke="#e4e7ec" '
        'stroke-dasharray="4 4"/>'
    )
    lines.append(_label(WIDTH - PAD, y + 14, str(top), "end"))
    return "".join(lines)


def _label(x: float, y: float, text: str, anchor: str) -> str:
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" font-size="12" '
        f'fill="#475467">{escape(text)}</text>'
    )
