"""Horizontal bar charts as inline SVG, drawn on the server: no script, nothing from elsewhere.

One chart compares one quantity across a few items (models, GPUs, or the sides of one estimate):
each bar is the mid value, a whisker spans low to high where the core gives a band, and the value
is written at the end of the bar. Labels sit above their bars so long model names fit on a phone.
Bars are drawn in the order given (a ranking's order, on the hardware comparison); an item without
a value says why in place of its bar (``missing``), and one bar may be outlined (``highlight``: the
baseline).

A label longer than the chart is wide wraps at spaces onto a second line (its row grows to
hold it); a word that still does not fit widens the viewBox, so no label runs past the right edge.
Text width is estimated from per-character advance widths of a common sans-serif (Arial/Liberation
Sans, rounded up: ``text_width``), as no font metrics are available on the server.

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
#: text is about 13 px on a phone and (with the stylesheet's max-width of 36rem) at most 21 px.
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
LABEL_SIZE = 13  # label font size
LABEL_LINE = 16  # a wrapped label's second line, below the first
LABEL_ROOM = WIDTH - PAD_LEFT - 2  # a label line's widest estimate before it wraps
#: Advance widths, in ems, of the wider of two common sans-serifs (DejaVu Sans, Debian's default,
#: and Arial), rounded up; any other character (CJK, symbols) counts as ``_WIDE``.
_EMS = {
    **dict.fromkeys("ijl", 0.28), **dict.fromkeys("I'|!", 0.3), **dict.fromkeys(" ,.", 0.32),
    **dict.fromkeys(":;/", 0.34), "f": 0.36, **dict.fromkeys("-()[]", 0.4), "t": 0.4, "r": 0.42,
    **dict.fromkeys("sz", 0.53), **dict.fromkeys("ckJL", 0.58), **dict.fromkeys("vxy", 0.6),
    **dict.fromkeys("abdeghnopqu0123456789$#_?+=<>", 0.64), **dict.fromkeys("FPTY", 0.62),
    **dict.fromkeys("ABEKRSVXZ&", 0.7), **dict.fromkeys("CHNU", 0.76), **dict.fromkeys("DGOQ", 0.79),
    "w": 0.82, "M": 0.87, "m": 0.98, "W": 1.0, "%": 0.95, "@": 1.02, "×": 0.84, "–": 0.5, "—": 1.0,
}
_WIDE = 1.0


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


def text_width(text: str, size: float = LABEL_SIZE) -> float:
    """Estimated rendered width of ``text`` at font size ``size`` (viewBox units), erring wide."""
    return size * sum(_EMS.get(c, _WIDE) for c in text)


def label_lines(label: str, room: float = LABEL_ROOM) -> tuple[str, ...]:
    """``label`` as one line, or two when it is wider than ``room``: broken at the last space that
    lets the first line fit (a label without such a space stays one line; ``bar_chart`` widens)."""
    if text_width(label) <= room:
        return (label,)
    spaces = [i for i, c in enumerate(label) if c == " " and text_width(label[:i]) <= room]
    if not spaces:
        return (label,)
    cut = spaces[-1]
    return label[:cut], label[cut + 1:]


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


def _label(lines: Sequence[str], y: float) -> str:
    """The label's ``<text>``: one line, or a ``<tspan>`` per line."""
    start = f'<text class="chart-label" x="{_f(PAD_LEFT)}" y="{_f(y)}" font-size="{LABEL_SIZE}" fill="#1b1f24">'
    if len(lines) == 1:
        return f"{start}{escape(lines[0])}</text>"
    spans = "".join(f'<tspan x="{_f(PAD_LEFT)}" dy="{0 if i == 0 else LABEL_LINE}">{escape(line)}</tspan>'
                    for i, line in enumerate(lines))
    return f"{start}{spans}</text>"


def _bar_group(bar: Bar, top: float, scale: float, lines: Sequence[str]) -> Iterable[str]:
    label_y = top + LABEL_BASELINE
    bar_y = top + BAR_TOP + LABEL_LINE * (len(lines) - 1)
    mid_y = bar_y + BAR_HEIGHT / 2
    yield '<g class="chart-row">'
    yield f"<title>{escape(bar_text(bar))}</title>"
    yield _label(lines, label_y)
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
    lines = [label_lines(b.label) for b in chart.bars]
    tops = [PAD_TOP + ROW * i + LABEL_LINE * sum(len(x) - 1 for x in lines[:i]) for i in range(len(lines))]
    rows_end = PAD_TOP + ROW * len(lines) + LABEL_LINE * sum(len(x) - 1 for x in lines)
    height = rows_end + AXIS_SPACE
    axis_y = rows_end + 4
    # A label word too long for any line widens the viewBox (the chart then scales down to fit).
    width = max([WIDTH, *(math.ceil(PAD_LEFT + text_width(line) + 2) for x in lines for line in x)])
    cid = escape(chart_id)
    out = [
        f'<svg class="chart" id="{cid}" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {_f(height)}" '
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
    for bar, top, label in zip(chart.bars, tops, lines, strict=True):
        out.extend(_bar_group(bar, top, scale, label))
    out.append("</svg>")
    return Markup("".join(out))


def charts_html(charts: Sequence[Chart], prefix: str = "chart") -> list[tuple[Chart, Markup]]:
    """Each chart with its SVG, ids ``<prefix>-1``, ``<prefix>-2`` …"""
    return [(c, bar_chart(c, f"{prefix}-{i}")) for i, c in enumerate(charts, 1)]
