"""The one number formatter: how a figure reads on the web pages, in the charts and on the command line.

Three significant digits (the estimates are bands, not measurements), words for millions to
trillions, powers of ten beyond 10¹⁵ and below 0.001 (4.12 × 10²⁵). Pages and the command line
write thousands grouped (1,500) and counts given as integers exactly (16,384 GPUs); the charts,
where a bar-end label has little room, write ``short``: k / M / B / T suffixes (1.5k, 20.1M) and
round counts like any figure.

Pure Python: the app (``app/web/present.py``, ``app/web/charts.py``) and the CLI import it
without Flask. The JSON never goes through here; it keeps six significant figures
(``bands.significant``).
"""

from __future__ import annotations

import math
from typing import Any

_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")
_WORDS = ((1e12, " trillion"), (1e9, " billion"), (1e6, " million"))
_SUFFIXES = ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "k"))
#: Below this an integer is a count and is written exactly; beyond it, like any figure.
_EXACT_BELOW = 1e15


def number_text(value: Any, *, short: bool = False) -> str:
    """A figure as a reader wants it (see the module docstring). ``None`` and a non-finite number
    read "–", a flag "yes" / "no", text as it is."""
    if value is None:
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if not isinstance(value, int | float):
        return str(value)
    if isinstance(value, float) and not math.isfinite(value):
        return "–"
    if not short and isinstance(value, int) and abs(value) < _EXACT_BELOW:
        return f"{value:,}"  # a count: exact
    value = float(f"{value:.3g}")
    magnitude = abs(value)
    if magnitude == 0:
        return "0"
    if magnitude >= _EXACT_BELOW or magnitude < 1e-3:
        mantissa, exponent = f"{value:.2e}".split("e")
        mantissa = mantissa.rstrip("0").rstrip(".")
        return f"{mantissa} × 10{str(int(exponent)).translate(_SUPERSCRIPT)}"
    for scale, word in _SUFFIXES if short else _WORDS:
        if magnitude >= scale:
            return f"{value / scale:.3g}{word}"
    if magnitude >= 1000:
        return f"{value:,.0f}"
    return f"{value:g}"


__all__ = ["number_text"]
