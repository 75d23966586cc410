"""Server-side SVG of a rule's recent readings against its limit (no script, prints, offline)."""

from dataclasses import dataclass
from datetime import datetime

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from workorders.maintenance.models import ConditionRule, RuleKind

WIDTH, HEIGHT, PAD = 600, 200, 8


@dataclass
class RuleChart:
    svg: SafeString
    low: float
    high: float
    count: int
    start: datetime
    end: datetime


def rule_chart(rule: ConditionRule, readings: list) -> RuleChart | None:
    if not readings:
        return None
    values = [r.value for r in readings]
    levels = [rule.limit]
    if rule.kind == RuleKind.THRESHOLD and rule.clear_value is not None:
        levels.append(rule.clear_value)
    low, high = min(values + levels), max(values + levels)
    margin = (high - low) * 0.08 or 1.0
    low, high = low - margin, high + margin
    t0, t1 = readings[0].taken_at.timestamp(), readings[-1].taken_at.timestamp()
    span_t = (t1 - t0) or 1.0

    def x(t: float) -> float:
        return PAD + (t - t0) / span_t * (WIDTH - 2 * PAD)

    def y(v: float) -> float:
        return HEIGHT - PAD - (v - low) / (high - low) * (HEIGHT - 2 * PAD)

    points = " ".join(f"{x(r.taken_at.timestamp()):.1f},{y(r.value):.1f}" for r in readings)
    above = rule.direction == "above"
    breach = [
        f'<circle class="rule-breach" cx="{x(r.taken_at.timestamp()):.1f}" '
        f'cy="{y(r.value):.1f}" r="3.5"/>'
        for r in readings
        if (r.value >= rule.limit if above else r.value <= rule.limit)
    ]
    lines = [
        f'<line class="rule-limit" x1="0" x2="{WIDTH}" y1="{y(rule.limit):.1f}" '
        f'y2="{y(rule.limit):.1f}"/>'
    ]
    if len(levels) > 1:
        lines.append(
            f'<line class="rule-clear" x1="0" x2="{WIDTH}" y1="{y(levels[1]):.1f}" '
            f'y2="{y(levels[1]):.1f}"/>'
        )
    label = escape(
        f"{rule.meter.name}: {len(readings)} readings from {min(values):g} to {max(values):g} "
        f"{rule.meter.unit}; limit {rule.limit:g}"
    )
    svg = (
        f'<svg class="rule-chart" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'role="img" aria-label="{label}">{"".join(lines)}'
        f'<polyline class="rule-line" points="{points}"/>{"".join(breach)}</svg>'
    )
    return RuleChart(
        svg=mark_safe(svg),  # noqa: S308 - numbers we formatted and escaped text only
        low=min(values),
        high=max(values),
        count=len(readings),
        start=readings[0].taken_at,
        end=readings[-1].taken_at,
    )
