"""Input checks and the warnings every estimate shares.

Inputs: request values and catalog records. Outputs: nothing (a check raises
``InvalidInputError`` naming the field and what would work) or warning strings.
"""

from __future__ import annotations

import math
import re
import unicodedata
from typing import Any

from .catalog import Hardware, Model
from .errors import InvalidInputError

#: Characters that change text without showing: soft hyphen, Mongolian vowel separator, zero-width
#: space/non-joiner/joiner, word joiner, byte-order mark.
INVISIBLE = re.compile("[\u00ad\u180e\u200b-\u200d\u2060\ufeff]")


def plain_text(text: str) -> str:
    """``text`` NFKC-normalised (full-width letters, ligatures become plain ones) with the ``INVISIBLE``
    characters removed: how a pricing table's key cells and an electricity market are compared."""
    return INVISIBLE.sub("", unicodedata.normalize("NFKC", text))


def show(value: Any) -> str:
    """A value as the user gave it, cut short if it is huge."""
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def check_positive(value: Any, name: str, *, integer: bool = False, upper: float | None = None) -> None:
    """``value`` is absent, or a finite number above 0 (a whole number if ``integer``, at most ``upper``)."""
    if value is None:
        return
    ok_type = isinstance(value, int | float) and not isinstance(value, bool)
    try:
        finite = ok_type and math.isfinite(value)
    except OverflowError:  # an int too large for a float
        finite = False
    if not finite or value <= 0:
        raise InvalidInputError(f"'{name}' must be a finite number greater than 0, got {show(value)}.", field=name)
    if integer and value != int(value):
        raise InvalidInputError(f"'{name}' must be a whole number, got {show(value)}.", field=name)
    if upper is not None and value > upper:
        raise InvalidInputError(f"'{name}' must be at most {upper:g}, got {show(value)}.", field=name)


def check_pue(pue: float | None) -> None:
    """PUE is facility / IT power: at least 1."""
    check_positive(pue, "pue")
    if pue is not None and pue < 1.0:
        raise InvalidInputError(f"'pue' is facility / IT power and cannot be below 1, got {pue!r}.", field="pue")


def record_warnings(model: Model, hw: Hardware) -> tuple[str, ...]:
    """Warnings about the records themselves: an unofficial model; a GPU without its own kernel
    measurements (another GPU's stand in, kernels.measured_gpu); and a GPU generation the power
    fractions (measured on an H200, calibration.md) did not come from."""
    from . import kernels  # kernels reads seed tables; imported here to keep checks light

    warnings = []
    if model.is_estimate:
        warnings.append(f"{model.name} is an unofficial estimate ({model.source}); treat its results as indicative.")
    _, stand_in = kernels.measured_gpu(hw)
    if stand_in:
        warnings.append(stand_in)
    if hw.architecture != "hopper":
        warnings.append(f"{hw.name} ({hw.architecture}): the GPU power fractions by phase were measured on an H200 "
                        "(Hopper) and are applied here unchanged.")
    return tuple(warnings)
