"""Low / mid / high values and the assumption records every estimate returns.

``Band`` holds one quantity in three scenarios. Inside the core a band of *inputs* holds the
value each scenario uses (so ``MFU.low`` is the utilisation behind the low estimate, which is
the *highest* utilisation); a band of *outputs* is ordered low <= mid <= high. The members may
be Python floats or numpy arrays: every formula is plain arithmetic and works on both.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from .errors import out_of_range

SCENARIOS = ("low", "mid", "high")


@dataclass(frozen=True)
class Band:
    low: Any
    mid: Any
    high: Any

    @classmethod
    def point(cls, value: Any) -> Band:
        return cls(value, value, value)

    def __getitem__(self, scenario: str) -> Any:
        return getattr(self, scenario)

    def ascending(self) -> Band:
        """The three values in ascending order, for reporting an output. Scenario values can cross
        where opposing effects meet (a slower run idles more and draws less power per GPU-hour)."""
        low, mid, high = sorted((self.low, self.mid, self.high))
        return Band(low, mid, high)

    def to_dict(self, digits: int = 6) -> dict[str, float]:
        return {"low": significant(self.low, digits), "mid": significant(self.mid, digits), "high": significant(self.high, digits)}


#: ``format`` specs by number of significant figures, built once (a nested f-string spec is
#: parsed on every call, and an estimate rounds a few hundred numbers).
_SIGNIFICANT = {digits: f".{digits}g" for digits in range(1, 18)}


def significant(value: Any, digits: int = 6) -> Any:
    """Round to ``digits`` significant figures (the API never claims more precision).

    Every figure an estimate reports passes here, so a NaN or an infinity (an input far outside
    anything physical that slipped past the checks) stops as an input error instead of reaching
    JSON, which has no such numbers.
    """
    if isinstance(value, int | float):
        rounded = float(format(value, _SIGNIFICANT.get(digits) or f".{digits}g"))
        if not math.isfinite(rounded):
            raise out_of_range(OverflowError(f"a figure came out as {rounded}"))
        return rounded
    return value


@dataclass(frozen=True)
class Assumption:
    """One input an estimate used: its value (a number, text or a band), unit and source."""

    name: str
    value: Any
    unit: str
    source: str

    def to_dict(self) -> dict[str, Any]:
        value = self.value.to_dict() if isinstance(self.value, Band) else significant(self.value, 6)
        return {"name": self.name, "value": value, "unit": self.unit, "source": self.source}
