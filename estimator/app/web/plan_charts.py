"""The planning pages' own charts as inline SVG, drawn on the server (``charts.py`` draws the bar
charts; these are the shapes it has none of): a line chart (rent versus buy cumulative cost with
the crossing marked; demand for compute over the elasticity) and a tornado.

Same conventions as ``charts.py``: every text escaped, ``role="img"`` with a ``<title>`` and a
``<desc>`` that lists the figures, presentation attributes only (the Content-Security-Policy blocks
inline styles), numbers through ``charts.number_text``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

from .charts import _f, nice_axis, number_text

WIDTH, HEIGHT = 360, 220
LEFT, RIGHT, TOP, BOTTOM = 52, 12, 12, 40
PLOT_W, PLOT_H = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
#: Line colours (presentation attributes): the first series in the brand colour, the second dark.
COLOURS = ("#1d6fa5", "#b35900", "#4d4d4d")


@dataclass(frozen=True)
class Series:
    name: str
    points: tuple[tuple[float, float], ...]


@dataclass(frozen=True)
class Marker:
    x: float
    y: float
    label: str


def _svg(chart_id: str, title: str, desc: str, body: list[str]) -> Markup:
    head = (f'<svg class="chart" id="{escape(chart_id)}" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
            f'aria-labelledby="{escape(chart_id)}-title {escape(chart_id)}-desc" xmlns="http://www.w3.org/2000/svg">'
            f'<title id="{escape(chart_id)}-title">{escape(title)}</title><desc id="{escape(chart_id)}-desc">'
            f"{escape(desc)}</desc>")
    return Markup(head + "".join(body) + "</svg>")


def _axes(x_max: float, y_max: float, x_unit: str, y_unit: str, x_min: float = 0.0) -> tuple[list[str], float, float]:
    top, step = nice_axis(y_max)
    body = []
    n = round(top / step)
    for i in range(n + 1):
        y = TOP + PLOT_H - PLOT_H * i / n
        body.append(f'<line class="chart-grid" x1="{LEFT}" x2="{LEFT + PLOT_W}" y1="{_f(y)}" y2="{_f(y)}" '
                    'stroke="#ddd"/>')
        body.append(f'<text class="chart-tick" x="{LEFT - 4}" y="{_f(y + 4)}" text-anchor="end" font-size="11">'
                    f"{escape(number_text(step * i))}</text>")
    for i in range(5):
        x_value = x_min + (x_max - x_min) * i / 4
        x = LEFT + PLOT_W * i / 4
        body.append(f'<text class="chart-tick" x="{_f(x)}" y="{TOP + PLOT_H + 14}" text-anchor="middle" '
                    f'font-size="11">{escape(number_text(x_value))}</text>')
    body.append(f'<text class="chart-unit" x="{LEFT + PLOT_W / 2}" y="{HEIGHT - 6}" text-anchor="middle" '
                f'font-size="11">{escape(x_unit)}</text>')
    body.append(f'<text class="chart-unit" x="4" y="{TOP + 2}" font-size="11" dominant-baseline="hanging">'
                f'{escape(y_unit)}</text>')
    return body, top, x_max - x_min


def line_chart(chart_id: str, title: str, series: Sequence[Series], x_unit: str, y_unit: str,
               marker: Marker | None = None) -> Markup:
    """Lines over a shared x axis (from its smallest x); ``marker`` circles one point and labels it."""
    xs = [x for s in series for x, _ in s.points]
    ys = [y for s in series for _, y in s.points]
    x_min, x_max = min(xs), max(xs)
    body, y_top, x_span = _axes(x_max, max(ys), x_unit, y_unit, x_min)
    x_span = x_span or 1.0

    def at(x: float, y: float) -> str:
        return f"{_f(LEFT + PLOT_W * (x - x_min) / x_span)},{_f(TOP + PLOT_H - PLOT_H * min(y, y_top) / y_top)}"

    for i, s in enumerate(series):
        colour = COLOURS[i % len(COLOURS)]
        body.append(f'<polyline class="chart-line" fill="none" stroke="{colour}" stroke-width="2" '
                    f'points="{" ".join(at(x, y) for x, y in s.points)}"><title>{escape(s.name)}</title></polyline>')
        key_y = TOP + 12 + 14 * i
        body.append(f'<line class="chart-key-line" x1="{LEFT + 6}" x2="{LEFT + 20}" y1="{key_y - 4}" y2="{key_y - 4}" '
                    f'stroke="{colour}" stroke-width="3"/>')
        body.append(f'<text class="chart-label" x="{LEFT + 24}" y="{key_y}" font-size="12" '
                    f'fill="{colour}">{escape(s.name)}</text>')
    if marker is not None and x_min <= marker.x <= x_max:
        cx, cy = at(marker.x, marker.y).split(",")
        body.append(f'<circle class="chart-marker" cx="{cx}" cy="{cy}" r="5" fill="none" stroke="#000" '
                    f'stroke-width="2"><title>{escape(marker.label)}</title></circle>')
        body.append(f'<text class="chart-label" x="{cx}" y="{_f(float(cy) - 9)}" text-anchor="middle" '
                    f'font-size="11">{escape(marker.label)}</text>')
    desc = "; ".join(f"{s.name}: " + ", ".join(f"{number_text(x)} {x_unit}: {number_text(y)}" for x, y in
                                                  _sampled(s.points)) for s in series)
    if marker is not None:
        desc += f". {marker.label}"
    return _svg(chart_id, title, desc, body)


def _sampled(points: Sequence[tuple[float, float]], most: int = 7) -> list[tuple[float, float]]:
    """A few points for the text description (the first, the last and evenly between)."""
    if len(points) <= most:
        return list(points)
    step = (len(points) - 1) / (most - 1)
    return [points[round(i * step)] for i in range(most)]


def tornado_chart(chart_id: str, title: str, bars: Sequence[tuple[str, float, float]], mid: float,
                  unit: str) -> Markup:
    """One row per input: a bar from the output at its lowest to the output at its highest value,
    around the output with every input at mid (the vertical line); the largest swing first."""
    row = 26
    height = TOP + row * len(bars) + BOTTOM
    lows = [min(a, b) for _, a, b in bars] + [mid]
    highs = [max(a, b) for _, a, b in bars] + [mid]
    lo, hi = min(lows), max(highs)
    span = (hi - lo) or 1.0
    left, width = 150, WIDTH - 150 - RIGHT

    def x(v: float) -> str:
        return _f(left + width * (v - lo) / span)

    body = []
    for i, (name, at_low, at_high) in enumerate(bars):
        y = TOP + row * i
        a, b = sorted((at_low, at_high))
        body.append(f'<g class="chart-row"><text class="chart-label" x="{left - 6}" y="{y + 15}" text-anchor="end" '
                    f'font-size="11">{escape(name.replace("_", " "))}</text>'
                    f'<rect class="chart-bar" x="{x(a)}" y="{y + 4}" width="{_f(max(1.0, float(x(b)) - float(x(a))))}" '
                    f'height="16" fill="#1d6fa5"><title>{escape(name)}: {escape(number_text(at_low))} at its lowest, '
                    f"{escape(number_text(at_high))} at its highest</title></rect></g>")
    body.append(f'<line class="chart-whisker" x1="{x(mid)}" x2="{x(mid)}" y1="{TOP}" y2="{TOP + row * len(bars)}" '
                'stroke="#000" stroke-width="1.5"/>')
    for v in (lo, mid, hi):
        body.append(f'<text class="chart-tick" x="{x(v)}" y="{TOP + row * len(bars) + 14}" text-anchor="middle" '
                    f'font-size="11">{escape(number_text(v))}</text>')
    body.append(f'<text class="chart-unit" x="{left + width / 2}" y="{height - 6}" text-anchor="middle" '
                f'font-size="11">{escape(unit)}</text>')
    desc = "; ".join(f"{n}: {number_text(a)} to {number_text(b)}" for n, a, b in bars) + f"; all at mid: {number_text(mid)}"
    svg = _svg(chart_id, title, desc, body)
    return Markup(str(svg).replace(f'viewBox="0 0 {WIDTH} {HEIGHT}"', f'viewBox="0 0 {WIDTH} {height}"', 1))
