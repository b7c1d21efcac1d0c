"""Horizontal bar charts as inline SVG, drawn on the server: no script, nothing from elsewhere.

One chart compares one quantity across a few items (models, GPUs, or the sides of one estimate):
each bar is the mid value, a whisker spans low to high where the core gives a band, and the value
is written at the end of the bar. Labels sit above their bars so long model names fit on a phone.
Bars are drawn in the order given (a ranking's order, on the hardware comparison); an item without
a value says why in place of its bar (``missing``), and one bar may be outlined (``highlight``: the
baseline).

Every text is escaped (labels come from the catalog, from inline records and so from users).
The SVG is ``role="img"`` with a ``<title>`` and a ``<desc>`` listing every value, so a screen
reader gets the figures without the picture; each bar has its own ``<title>`` (a tooltip).
The page's ``Content-Security-Policy: default-src 'self'`` blocks inline ``style`` attributes and
``<style>`` elements, so the look comes from SVG presentation attributes (``fill``, ``stroke``)
overridden by classes in ``static/site.css``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TypeGuard

from markupsafe import Markup, escape

from estimator import numbers

#: Geometry in viewBox units. The SVG scales to its container's width: 360 units wide, so 13-unit
#: text is about 13 px on a phone and (with the stylesheet's max-width of 28rem) 16 px on a laptop.
WIDTH = 360
PAD_LEFT = 4
PAD_RIGHT = 84  # room for the value written after the bar (and its whisker)
PAD_TOP = 8
ROW = 44  # label line + bar
LABEL_BASELINE = 14  # label baseline, from the top of its row
BAR_TOP = 20  # bar top, from the top of its row
BAR_HEIGHT = 16
AXIS_SPACE = 46  # tick labels and the axis title under the last bar
PLOT_WIDTH = WIDTH - PAD_LEFT - PAD_RIGHT


@dataclass(frozen=True)
class Bar:
    """One bar: the mid value, and the low and high ends of its band where there is one."""

    label: str
    value: float | None
    low: float | None = None
    high: float | None = None
    #: What an item without a value shows in place of its bar.
    missing: str = "no estimate"
    #: Outlined (the baseline of a comparison).
    highlight: bool = False

    @property
    def has_band(self) -> bool:
        return _finite(self.low) and _finite(self.high) and (self.low != self.high)


@dataclass(frozen=True)
class Chart:
    """A titled set of bars sharing one unit (shown on the axis)."""

    title: str
    unit: str
    bars: tuple[Bar, ...]
    note: str = ""


def _finite(value: object) -> TypeGuard[float]:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def number_text(value: float) -> str:
    """A compact figure for ticks and bar ends: ``numbers.number_text`` in its short form (3
    significant digits, k/M/B/T suffixes, powers of ten beyond 10¹⁵ and below 0.001)."""
    return numbers.number_text(value, short=True)


def nice_axis(largest: float, ticks: int = 4) -> tuple[float, float]:
    """(axis maximum, tick step): a step of 1, 2, 2.5 or 5 × 10ⁿ with the axis maximum a whole number
    of steps at or above ``largest`` (at most ``ticks`` steps, at least one)."""
    if not _finite(largest) or largest <= 0:
        return 1.0, 0.25
    raw = largest / ticks
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw * (1 - 1e-12))
    return math.ceil(largest / step - 1e-9) * step, step


def _reach(bar: Bar) -> float:
    """How far right a bar and its whisker go."""
    values = [v for v in (bar.value, bar.high) if _finite(v)]
    return max(values, default=0.0)


def _f(value: float) -> str:
    """A coordinate: two decimals, no trailing zeros."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def bar_text(bar: Bar) -> str:
    """One bar in words: ``label: mid (low …, high …)``."""
    if bar.value is None or not _finite(bar.value):
        return f"{bar.label}: {bar.missing}"
    text = f"{bar.label}: {number_text(bar.value)}"
    if bar.has_band and bar.low is not None and bar.high is not None:
        text += f" (low {number_text(bar.low)}, high {number_text(bar.high)})"
    return text + (" (baseline)" if bar.highlight else "")


def describe(chart: Chart) -> str:
    """The chart in words, for ``<desc>``: every bar's value and band."""
    return f"{chart.title}, in {chart.unit}. " + "; ".join(bar_text(b) for b in chart.bars) + "."


def _bar_group(bar: Bar, top: float, scale: float) -> Iterable[str]:
    label_y = top + LABEL_BASELINE
    bar_y = top + BAR_TOP
    mid_y = bar_y + BAR_HEIGHT / 2
    yield '<g class="chart-row">'
    yield f"<title>{escape(bar_text(bar))}</title>"
    yield f'<text class="chart-label" x="{_f(PAD_LEFT)}" y="{_f(label_y)}" font-size="13" fill="#1b1f24">{escape(bar.label)}</text>'
    if bar.value is None or not _finite(bar.value):
        yield (
            f'<text class="chart-value chart-missing" x="{_f(PAD_LEFT)}" y="{_f(mid_y + 4.5)}" font-size="12" '
            f'fill="#4a5562">{escape(bar.missing)}</text>'
        )
        yield "</g>"
        return
    length = max(bar.value, 0.0) * scale
    outline = ' class="chart-bar chart-bar-baseline" stroke="#1b1f24" stroke-width="2"' if bar.highlight else ' class="chart-bar"'
    yield (
        f'<rect{outline} x="{_f(PAD_LEFT)}" y="{_f(bar_y)}" width="{_f(length)}" '
        f'height="{_f(BAR_HEIGHT)}" fill="#0b4f8a"/>'
    )
    end = PAD_LEFT + length
    if bar.has_band and bar.low is not None and bar.high is not None:
        x_low = PAD_LEFT + max(bar.low, 0.0) * scale
        x_high = PAD_LEFT + max(bar.high, 0.0) * scale
        cap_top, cap_bottom = _f(mid_y - 5), _f(mid_y + 5)
        yield (
            f'<path class="chart-whisker" d="M{_f(x_low)} {_f(mid_y)}H{_f(x_high)}'
            f'M{_f(x_low)} {cap_top}V{cap_bottom}M{_f(x_high)} {cap_top}V{cap_bottom}" '
            'stroke="#1b1f24" stroke-width="1.5" fill="none"/>'
        )
        end = max(end, x_high)
    yield (
        f'<text class="chart-value" x="{_f(end + 6)}" y="{_f(mid_y + 4.5)}" font-size="13" '
        f'fill="#1b1f24">{escape(number_text(bar.value))}</text>'
    )
    yield "</g>"


def bar_chart(chart: Chart, chart_id: str) -> Markup:
    """The chart as an ``<svg>`` element, safe to put in a page as it is."""
    largest = max((_reach(b) for b in chart.bars), default=0.0)
    axis_max, step = nice_axis(largest)
    scale = PLOT_WIDTH / axis_max
    height = PAD_TOP + ROW * len(chart.bars) + AXIS_SPACE
    axis_y = PAD_TOP + ROW * len(chart.bars) + 4
    cid = escape(chart_id)
    out = [
        f'<svg class="chart" id="{cid}" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {_f(height)}" '
        f'role="img" aria-labelledby="{cid}-title {cid}-desc" font-family="system-ui, sans-serif">',
        f'<title id="{cid}-title">{escape(chart.title)} ({escape(chart.unit)})</title>',
        f'<desc id="{cid}-desc">{escape(describe(chart))}</desc>',
    ]
    # Grid lines and ticks first, under the bars.
    ticks = [i * step for i in range(int(round(axis_max / step)) + 1)]
    out.append('<g class="chart-axis">')
    for tick in ticks:
        x = _f(PAD_LEFT + tick * scale)
        out.append(
            f'<line class="chart-grid" x1="{x}" y1="{_f(PAD_TOP)}" x2="{x}" y2="{_f(axis_y)}" stroke="#c9d1da" stroke-width="1"/>'
        )
        anchor = "start" if tick == 0 else "middle"
        out.append(
            f'<text class="chart-tick" x="{x}" y="{_f(axis_y + 15)}" text-anchor="{anchor}" font-size="12" '
            f'fill="#4a5562">{escape(number_text(tick))}</text>'
        )
    out.append(
        f'<line class="chart-baseline" x1="{_f(PAD_LEFT)}" y1="{_f(axis_y)}" x2="{_f(PAD_LEFT + PLOT_WIDTH)}" '
        f'y2="{_f(axis_y)}" stroke="#1b1f24" stroke-width="1"/>'
    )
    out.append(
        f'<text class="chart-unit" x="{_f(PAD_LEFT)}" y="{_f(axis_y + 34)}" font-size="12" fill="#4a5562">'
        f"{escape(chart.unit)}</text>"
    )
    out.append("</g>")
    for i, bar in enumerate(chart.bars):
        out.extend(_bar_group(bar, PAD_TOP + i * ROW, scale))
    out.append("</svg>")
    return Markup("".join(out))


def charts_html(charts: Sequence[Chart], prefix: str = "chart") -> list[tuple[Chart, Markup]]:
    """Each chart with its SVG, ids ``<prefix>-1``, ``<prefix>-2`` …"""
    return [(c, bar_chart(c, f"{prefix}-{i}")) for i, c in enumerate(charts, 1)]
