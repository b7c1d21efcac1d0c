"""Low / mid / high values and the assumption records every estimate returns.

``Band`` holds one quantity in three scenarios. Inside the core a band of *inputs* holds the
value each scenario uses (so ``MFU.low`` is the utilisation behind the low estimate, which is
the *highest* utilisation); a band of *outputs* is ordered low <= mid <= high. The members may
be Python floats or numpy arrays: every formula is plain arithmetic and works on both.
"""

from __future__ import annotations

import contextlib
import contextvars
import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from .errors import out_of_range

SCENARIOS = ("low", "mid", "high")


@dataclass(frozen=True)
class Band:
    low: Any
    mid: Any
    high: Any

    def __init__(self, low: Any, mid: Any, high: Any) -> None:
        # Written here, not generated (dataclass keeps a class's own __init__): the frozen
        # dataclass's __init__ sets each field through object.__setattr__, and an estimate builds a
        # few dozen bands (issue 14: ~0.3 us a band less). Setting a field afterwards still raises.
        fields = self.__dict__
        fields["low"], fields["mid"], fields["high"] = low, mid, high

    @classmethod
    def point(cls, value: Any) -> Band:
        return cls(value, value, value)

    def __getitem__(self, scenario: str) -> Any:
        return self.__dict__[scenario]  # the field itself, without the attribute lookup (issue 14)

    def ascending(self) -> Band:
        """The three values in ascending order, for reporting an output. Scenario values can cross
        where opposing effects meet (a slower run idles more and draws less power per GPU-hour)."""
        if isinstance(self.low, np.ndarray) or isinstance(self.mid, np.ndarray) or isinstance(self.high, np.ndarray):
            # Rows (batch estimates): the same order statistics element by element (a pick, no arithmetic).
            a, b, c = self.low, self.mid, self.high
            lo, hi = np.minimum(a, b), np.maximum(a, b)
            return Band(np.minimum(lo, c), np.maximum(lo, np.minimum(hi, c)), np.maximum(hi, c))
        low, mid, high = sorted((self.low, self.mid, self.high))
        return Band(low, mid, high)

    def to_dict(self, digits: int = 6) -> dict[str, float]:
        low, mid, high = self.low, self.mid, self.high
        spec = _SIGNIFICANT.get(digits)
        if spec is not None and low.__class__ is float and mid.__class__ is float and high.__class__ is float:
            # ``significant`` inlined for three finite floats, the common case (issue 14: an estimate
            # rounds a few dozen bands); anything else, and a non-finite value's error, below.
            low, mid, high = float(format(low, spec)), float(format(mid, spec)), float(format(high, spec))
            if low - low == 0.0 and mid - mid == 0.0 and high - high == 0.0:  # none is inf or NaN
                return {"low": low, "mid": mid, "high": high}
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
    if value.__class__ is float and digits in _SIGNIFICANT:  # the common case first (issue 14)
        rounded = float(format(value, _SIGNIFICANT[digits]))
        if rounded - rounded == 0.0:  # finite
            return rounded
    if isinstance(value, int | float):
        rounded = float(format(value, _SIGNIFICANT.get(digits) or f".{digits}g"))
        if not math.isfinite(rounded):
            raise out_of_range(OverflowError(f"a figure came out as {rounded}"))
        return rounded
    if isinstance(value, np.ndarray) and value.dtype.kind == "f":
        if _DEFERRED.get():
            kept = value.view(Unrounded)
            kept.digits = digits
            return kept
        return significant_array(value, digits)
    return value


class Unrounded(np.ndarray):  # type: ignore[type-arg]
    """An array ``significant`` was asked to round to ``digits``, inside ``rounding_deferred``: the
    caller rounds it with ``significant_array`` later (a batch estimate, a whole column at once)."""

    digits: int = 6


_DEFERRED: contextvars.ContextVar[bool] = contextvars.ContextVar("rounding_deferred", default=False)


@contextlib.contextmanager
def rounding_deferred() -> Iterator[None]:
    """Within the block, ``significant`` of a float array returns it as ``Unrounded``."""
    token = _DEFERRED.set(True)
    try:
        yield
    finally:
        _DEFERRED.reset(token)


#: Arrays up to this size are rounded number by number (measured: faster than the vector set-up).
_SMALL_ARRAY = 48


def significant_array(values: np.ndarray, digits: int = 6) -> np.ndarray:
    """``significant`` of each element of a float array (batch estimates), equal to it bit for bit.

    The rounded value is the decimal r * 10^-k (r an integer of ``digits`` digits); r / 10^k (or
    r * 10^-k) with both exact is one correctly rounded operation, which is what ``float(format())``
    gives. r itself comes from a scaled value that may be off by an ulp or two, so elements near a
    rounding tie or a power of ten are rounded by ``significant`` itself. A NaN or an infinity stays
    as it is (the batch sends that row through the single estimate, which reports it).
    """
    spec = _SIGNIFICANT.get(digits) or f".{digits}g"
    if values.size <= _SMALL_ARRAY:  # the array set-up costs more than formatting a few numbers
        return np.array([float(format(v, spec)) for v in values.astype(float).tolist()])
    out = values.astype(float, copy=True)
    ok = np.isfinite(out) & (out != 0.0)
    if not ok.any():
        return out
    idx = np.flatnonzero(ok)
    a = np.abs(out[idx])
    with np.errstate(all="ignore"):
        k = (digits - 1) - np.floor(np.log10(a)).astype(np.int64)
        exact = np.abs(k) <= 22  # powers of ten a double holds exactly
        kk = np.where(exact, k, 0)
        up = np.where(kk >= 0, 10.0 ** np.abs(kk), 1.0)
        down = np.where(kk < 0, 10.0 ** np.abs(kk), 1.0)
        m = a * up / down
        r = np.rint(m)
        frac = m - np.floor(m)
        low, high = 10.0 ** (digits - 1), 10.0 ** digits
        sure = exact & (np.abs(frac - 0.5) > 1e-6) & (m >= low * (1 + 1e-9)) & (m < high * (1 - 1e-9))
        rounded = np.where(kk >= 0, r / up, r * down)
    out[idx] = np.copysign(rounded, out[idx])
    for i in idx[~sure]:
        out[i] = float(format(float(values[i]), spec))
    return out


@dataclass(frozen=True)
class Assumption:
    """One input an estimate used: its value (a number, text or a band), unit and source."""

    name: str
    value: Any
    unit: str
    source: str

    def to_dict(self) -> dict[str, Any]:
        # Kept beside the fields (outside them), as PricePoint's: the constant assumptions of an
        # estimate are the same objects request after request (kept by ``memo.kept``), so most
        # are found here without hashing them.
        kept = self.__dict__.get("_kept_dict")
        if kept is None:
            key = _memo_key(self)
            if key is None:
                return self._as_dict()
            kept = _ASSUMPTION_DICTS.get(key)
            if kept is None:
                if len(_ASSUMPTION_DICTS) >= ASSUMPTION_MEMO_SIZE:
                    _ASSUMPTION_DICTS.clear()
                kept = _ASSUMPTION_DICTS[key] = self._as_dict()
            self.__dict__["_kept_dict"] = kept
        return _copied(kept)

    def _as_dict(self) -> dict[str, Any]:
        value = self.value.to_dict() if isinstance(self.value, Band) else significant(self.value, 6)
        return {"name": self.name, "value": value, "unit": self.unit, "source": self.source}


#: Assumptions' dicts by their fields (issue 14): most of an estimate's assumptions are the same
#: constants request after request, built anew each time. Cleared when full.
ASSUMPTION_MEMO_SIZE = 4096
_ASSUMPTION_DICTS: dict[tuple[Any, ...], dict[str, Any]] = {}


def _memo_key(a: Assumption) -> tuple[Any, ...] | None:
    """The fields as a plain tuple (hashed and compared in C, not by the dataclasses' generated
    methods: issue 14, ~2 us an assumption), for values whose equal values give the same dict: text,
    and floats other than zero (0.0 equals -0.0, which rounds to -0.0) and NaN (never equal), alone
    or as a band of three. None for any other value."""
    value = a.value
    cls = value.__class__
    if cls is str or (cls is float and value != 0.0 and value == value):
        return (a.name, a.unit, a.source, value)
    if cls is Band:
        low, mid, high = value.low, value.mid, value.high
        if all(v.__class__ is float and v != 0.0 and v == v for v in (low, mid, high)):
            return (a.name, a.unit, a.source, low, mid, high)
    return None


def _copied(kept: dict[str, Any]) -> dict[str, Any]:
    """A copy the caller may change without changing the kept one."""
    value = kept["value"]
    return {**kept, "value": dict(value)} if value.__class__ is dict else dict(kept)
