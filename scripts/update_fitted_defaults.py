"""Rewrite the fitted numbers in estimator/defaults.py from a fresh calibration on the corpus.

    python scripts/update_fitted_defaults.py

Each fitted number is one assignment line in defaults.py (``NAME = ...``); this replaces the value
on that line and leaves the derivation comments above it to be re-read by a person (they quote the
fit's range and rows, which docs/validation.md regenerates). tests/core/test_validation_report.py
fails while defaults.py and the fit disagree.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from estimator import calibrate  # noqa: E402
from estimator.bands import Band  # noqa: E402
from estimator.catalog import load_catalog  # noqa: E402
from estimator.cost import load_price_book  # noqa: E402


def literal(value: object) -> str:
    if isinstance(value, Band):
        return f"Band(low={literal(value.low)}, mid={literal(value.mid)}, high={literal(value.high)})"
    if isinstance(value, dict):
        return "{" + ", ".join(f'"{k}": {literal(v)}' for k, v in value.items()) + "}"
    return repr(float(f"{value:.4g}")) if isinstance(value, float | int) else repr(value)


def main() -> None:
    values = calibrate.defaults_from(calibrate.calibrate(load_catalog(), load_price_book()))
    path = ROOT / "estimator" / "defaults.py"
    text = path.read_text(encoding="utf-8")
    for name, value in values.items():
        text, count = re.subn(rf"^{name} = .*$", f"{name} = {literal(value)}", text, count=1, flags=re.M)
        if count != 1:
            raise SystemExit(f"no '{name} = ' line in defaults.py")
        print(f"{name} = {literal(value)}")
    path.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
