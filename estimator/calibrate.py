"""Fit the performance model's few free numbers on the corpus, with leave-one-source-family-out
cross-validation, and derive the low / high spreads from the cross-validated residuals.

Inputs: the corpus rows (``corpus.py``), the catalog and a price book. Outputs: a ``Calibration``
with, per row, the cross-validated estimate (the free numbers fitted without the row's family)
and the in-sample one, the fitted numbers and the spreads. ``validation.py`` renders it;
``defaults.py`` holds the full-corpus fit (a test keeps them equal).

The free numbers, each searched over a stated grid, minimising the sum of |log(estimate / published)|
(the median error is the headline, so an L1 fit):
- ``ELEMENTWISE_FACTOR`` x ``EP_OVERLAP``: on the training steady-state rows;
- ``GOODPUT`` mid: the median of busy / reserved GPU-hours over the whole-run rows;
- ``DECODE_STEP_OVERHEAD_S`` x ``DECODE_SEQUENCE_OVERHEAD_S``: on the serving throughput rows.
Spreads: the 10th and 90th percentiles of the cross-validated log residuals of each group set
the low and high estimates, so about 80 % of published figures fall inside by construction on
this corpus; the report gives the coverage the cross-validation actually reached.
"""

from __future__ import annotations

import contextlib
import math
import statistics
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from . import corpus
from . import defaults as d
from .bands import Band
from .catalog import Catalog

ELEMENTWISE_GRID = (0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 6.0, 8.0)
EP_OVERLAP_GRID = (0.0, 0.25, 0.5, 0.75, 0.9)
STEP_OVERHEAD_GRID = tuple((step, seq) for step in (0.0, 0.001, 0.002, 0.004, 0.008)
                           for seq in (0.0, 5e-6, 10e-6, 15e-6, 20e-6, 30e-6))
SPREAD_QUANTILES = (0.10, 0.90)


_UNIT_SPREAD = {"dense": Band.point(1.0), "moe": Band.point(1.0)}


@contextlib.contextmanager
def patched(**values: Any) -> Iterator[None]:
    """Temporarily set defaults (the estimators read them at call time)."""
    old = {name: getattr(d, name) for name in values}
    try:
        for name, value in values.items():
            setattr(d, name, value)
        yield
    finally:
        for name, value in old.items():
            setattr(d, name, value)


@dataclass
class Scored:
    """One corpus row: published figure, estimates (cross-validated and in-sample), and why not estimated."""

    row: corpus.Row
    published: float
    cv: tuple[float, float, float] | None = None
    fit: tuple[float, float, float] | None = None
    reason: str = ""

    @property
    def error(self) -> float | None:
        return None if self.cv is None else self.cv[1] / self.published - 1.0

    @property
    def inside(self) -> bool | None:
        return None if self.cv is None else self.cv[0] <= self.published <= self.cv[2]


@dataclass
class Calibration:
    scored: list[Scored]
    fitted: dict[str, float]
    folds: dict[str, dict[str, float]] = field(default_factory=dict)  # family -> numbers fitted without it
    spreads: dict[str, tuple[float, float]] = field(default_factory=dict)  # group -> (low, high) multipliers


def _l1(pairs: Sequence[tuple[float, float]]) -> float:
    return sum(abs(math.log(est / pub)) for est, pub in pairs if est > 0 and pub > 0)


def _quantile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return 0.0
    position = q * (len(ordered) - 1)
    lo, hi = math.floor(position), math.ceil(position)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (position - lo)


def _mid(row: corpus.Row, catalog: Catalog, book: Any) -> float | None:
    try:
        band = (corpus.estimate_training_row if row.kind == "training" else corpus.estimate_serving_row)(row, catalog, book)
    except Exception:  # noqa: BLE001 - a row the estimator refuses at some grid point is skipped there
        return None
    return band[1]


def calibrate(catalog: Catalog, book: Any, rows: Sequence[corpus.Row] | None = None) -> Calibration:
    rows = list(rows if rows is not None else corpus.load_rows())
    catalog = corpus.load_catalog_with_corpus_models(catalog)
    scored: list[Scored] = []
    for row in rows:
        band, published, reason = corpus.estimate_row(row, catalog, book)
        scored.append(Scored(row, published, reason=reason if band is None else ""))
    usable = [s for s in scored if not s.reason]
    steady = [s for s in usable if s.row.group == "training steady state"]
    runs = [s for s in usable if s.row.group == "training run"]
    serving = [s for s in usable if s.row.kind == "serving"]
    serving_fit = serving  # throughput and latency rows: the same step physics

    # Grid tables: the mid estimate of every row at every grid point, computed once.
    train_grid = [(ef, ov) for ef in ELEMENTWISE_GRID for ov in EP_OVERLAP_GRID]
    train_table: dict[tuple[float, float], dict[int, float | None]] = {}
    goodput_one = Band.point(1.0)
    for ef, ov in train_grid:
        with patched(ELEMENTWISE_FACTOR=ef, EP_OVERLAP=ov, STEADY_SPREAD=_UNIT_SPREAD, GOODPUT=goodput_one):
            train_table[(ef, ov)] = {id(s): _mid(s.row, catalog, book) for s in steady + runs}

    # Serving shares EP_OVERLAP with training (the same all-to-all): the full training fit's value.
    ep_overlap = min(train_grid, key=lambda p: (_l1([(train_table[p][id(s)] or 0.0, s.published) for s in steady]), p))[1]
    serve_table: dict[tuple[float, float], dict[int, float | None]] = {}
    for step, seq in STEP_OVERHEAD_GRID:
        with patched(DECODE_STEP_OVERHEAD_S=step, DECODE_SEQUENCE_OVERHEAD_S=seq, SERVING_SPREAD=_UNIT_SPREAD,
                     EP_OVERLAP=ep_overlap):
            serve_table[(step, seq)] = {id(s): _mid(s.row, catalog, book) for s in serving}

    def fit(exclude: str | None) -> dict[str, float]:
        keep_steady = [s for s in steady if s.row.family != exclude]
        ef, ov = min(train_grid, key=lambda p: (_l1([(train_table[p][id(s)] or 0.0, s.published) for s in keep_steady]), p))
        ratios = [(train_table[(ef, ov)][id(s)] or 0.0) / s.published for s in runs if s.row.family != exclude]
        goodput = min(1.0, statistics.median([r for r in ratios if r > 0])) if ratios else d.GOODPUT.mid
        keep_serving = [s for s in serving_fit if s.row.family != exclude]
        step, seq = min(STEP_OVERHEAD_GRID, key=lambda o: (_l1([(serve_table[o][id(s)] or 0.0, s.published)
                                                               for s in keep_serving]), o))
        return {"ELEMENTWISE_FACTOR": ef, "EP_OVERLAP": ov, "GOODPUT_MID": goodput, "DECODE_STEP_OVERHEAD_S": step,
                "DECODE_SEQUENCE_OVERHEAD_S": seq}

    def mid_for(s: Scored, numbers: dict[str, float]) -> float | None:
        if s.row.kind == "serving":
            return serve_table[(numbers["DECODE_STEP_OVERHEAD_S"], numbers["DECODE_SEQUENCE_OVERHEAD_S"])][id(s)]
        busy = train_table[(numbers["ELEMENTWISE_FACTOR"], numbers["EP_OVERLAP"])][id(s)]
        if busy is None or s.row.group != "training run":
            return busy
        return busy / numbers["GOODPUT_MID"]

    full = fit(None)
    folds = {family: fit(family) for family in sorted({s.row.family for s in usable})}
    residuals: dict[str, list[float]] = {}
    for s in usable:
        cv_mid, fit_mid = mid_for(s, folds[s.row.family]), mid_for(s, full)
        if cv_mid is None or fit_mid is None:
            s.reason = "estimator refused at a fitted value"
            continue
        s.cv, s.fit = (cv_mid, cv_mid, cv_mid), (fit_mid, fit_mid, fit_mid)
        residuals.setdefault(_spread_group(s.row, catalog), []).append(math.log(s.published / cv_mid))
    spreads = {g: (math.exp(_quantile(r, SPREAD_QUANTILES[0])), math.exp(_quantile(r, SPREAD_QUANTILES[1])))
               for g, r in residuals.items()}
    for s in usable:
        if s.cv is None:
            continue
        low, high = spreads[_spread_group(s.row, catalog)]
        lo, hi = sorted((s.cv[1] * low, s.cv[1] * high))
        s.cv = (lo, s.cv[1], hi)
    return Calibration(scored, full, folds, spreads)


def _spread_group(row: corpus.Row, catalog: Catalog) -> str:
    """Rows that share a spread: steady-state training and serving throughput split into dense and
    MoE (their uncertainties differ), training runs, serving latency."""
    if row.group in ("training steady state", "serving throughput"):
        return f"{row.group}, {'MoE' if catalog.get_model(row.get('model')).is_moe else 'dense'}"
    return row.group


def defaults_from(cal: Calibration) -> dict[str, Any]:
    """The values defaults.py should hold for this calibration (a test compares them).

    Throughput residuals r = published / estimate, so a time multiplier's low end is 1 / the high
    quantile. Whole-run GPU-hours = busy x steady spread / goodput: the goodput band is chosen so
    that the run band spans the runs' own residual quantiles (dense steady spread; runs are mostly dense)."""
    def time_band(group: str) -> Band:
        low, high = cal.spreads.get(group, (1.0, 1.0))
        return Band(1.0 / high, 1.0, 1.0 / low)

    steady = {kind: time_band(f"training steady state, {label}") for kind, label in (("dense", "dense"), ("moe", "MoE"))}
    serving = {kind: time_band(f"serving throughput, {label}") for kind, label in (("dense", "dense"), ("moe", "MoE"))}
    run_low, run_high = cal.spreads.get("training run", (1.0, 1.0))
    goodput = cal.fitted["GOODPUT_MID"]
    dense = steady["dense"]
    run_goodput = Band(min(1.0, goodput * dense.low / run_low), goodput, goodput * dense.high / run_high)
    return {"ELEMENTWISE_FACTOR": cal.fitted["ELEMENTWISE_FACTOR"], "EP_OVERLAP": cal.fitted["EP_OVERLAP"],
            "DECODE_STEP_OVERHEAD_S": cal.fitted["DECODE_STEP_OVERHEAD_S"],
            "DECODE_SEQUENCE_OVERHEAD_S": cal.fitted["DECODE_SEQUENCE_OVERHEAD_S"],
            "STEADY_SPREAD": steady, "GOODPUT": run_goodput, "SERVING_SPREAD": serving}
