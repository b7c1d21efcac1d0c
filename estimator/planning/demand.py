"""Efficiency and demand: does a model that needs 10x less compute per answer cut the demand for
GPUs, or raise it (Jevons' paradox)?

Inputs: an efficiency gain g (a number, or the ratio of output per GPU-hour ``estimator.compare``
computes between two models), price elasticities of demand for AI output epsilon (low / mid / high
defaults in ``seeds/planning/defaults.csv``, or the user's), and optionally a starting fleet (a
``CapacityPlan``: its GPUs, facility MW and capex). Output: ``DemandScenario``.

Formula (constant-elasticity demand, Q = A P^-epsilon; e.g. Varian, *Intermediate Microeconomics*,
ch. 15; Jevons 1865, *The Coal Question*, ch. VII, for the paradox; Gillingham, Rapson & Wagner
2016, "The Rebound Effect and Energy Efficiency Policy", for the rebound):

- a gain g divides the compute (and so the price) of one unit of output by g
- output demanded relative to today = g^epsilon
- compute demanded relative to today = g^epsilon / g = g^(epsilon - 1)
- GPUs, MW and spend implied = today's x g^(epsilon - 1) (at today's price per GPU)

So compute demand rises when epsilon > 1 (Jevons), is unchanged at epsilon = 1, and falls when epsilon < 1.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..bands import Assumption
from ..catalog import Catalog
from ..checks import check_positive, show
from ..compare import compare
from ..cost import PriceBook
from ..errors import InvalidInputError, out_of_range
from ..figures import OUTPUT_TOKENS_PER_GPU_HOUR, TOKENS_PER_GPU_HOUR
from . import structure as st
from .capacity import CapacityPlan

MAX_ELASTICITY = 5.0
MAX_GAIN = 1e6
#: The curve's elasticities: 0 to 3 in steps of 0.1 (extended to the largest one asked).
CURVE_STEP = 0.1


def check_elasticity(value: object, name: str = "elasticity") -> None:
    ok = isinstance(value, int | float) and not isinstance(value, bool) and 0 <= value <= MAX_ELASTICITY
    if not ok:
        raise InvalidInputError(f"'{name}' is a price elasticity of demand: give a number from 0 to "
                                f"{MAX_ELASTICITY:g} (1 = spending unchanged), got {show(value)}.", field=name)


def compute_demand_ratio(gain: float, elasticity: float) -> float:
    """Compute demanded relative to today: gain^(elasticity - 1)."""
    try:
        return float(gain ** (elasticity - 1.0))
    except OverflowError as exc:
        raise out_of_range(exc) from None


def direction(elasticity: float) -> str:
    if elasticity > 1:
        return "rises"
    return "unchanged" if elasticity == 1 else "falls"


@dataclass(frozen=True)
class DemandPoint:
    label: str  # "low", "mid", "high" or "given"
    elasticity: float
    output_ratio: float
    compute_ratio: float
    direction: str
    gpus: float | None = None
    facility_mw: float | None = None
    capex_usd: float | None = None
    annual_own_usd: float | None = None


@dataclass(frozen=True)
class DemandScenario:
    efficiency_gain: float
    gain_source: str
    points: tuple[DemandPoint, ...]
    curve: tuple[tuple[float, float], ...]  # (elasticity, compute ratio)
    statement: str
    assumptions: tuple[Assumption, ...]
    fleet: CapacityPlan | None = None


def demand_scenario(gain: float, elasticities: Sequence[float] | None = None, *, fleet: CapacityPlan | None = None,
                    gain_source: str = "request") -> DemandScenario:
    """Demand for compute after an efficiency gain, at each elasticity (the sourced low / mid / high by default)."""
    check_positive(gain, "efficiency_gain", upper=MAX_GAIN)
    seeded = st.load_defaults()["elasticity"]
    if elasticities is None:
        labelled = [("low", seeded.band.low), ("mid", seeded.band.mid), ("high", seeded.band.high)]
        source = seeded.citation
    else:
        for i, e in enumerate(elasticities):
            check_elasticity(e, "elasticity" if len(elasticities) == 1 else f"elasticities.{i}")
        labelled = [("given", float(e)) for e in elasticities]
        source = "request"
    points = tuple(_point(label, gain, e, fleet) for label, e in labelled)
    top = max(3.0, max(e for _, e in labelled))
    curve = tuple((round(i * CURVE_STEP, 10), compute_demand_ratio(gain, i * CURVE_STEP))
                  for i in range(int(round(top / CURVE_STEP)) + 1))
    value = seeded.band if elasticities is None else [e for _, e in labelled]
    assumptions = (Assumption("efficiency_gain", gain, "x", gain_source), Assumption("elasticity", value, "", source))
    return DemandScenario(gain, gain_source, points, curve, _statement(gain, points), assumptions, fleet)


def _point(label: str, gain: float, elasticity: float, fleet: CapacityPlan | None) -> DemandPoint:
    ratio = compute_demand_ratio(gain, elasticity)
    base = DemandPoint(label, elasticity, ratio * gain, ratio, direction(elasticity))
    if fleet is None:
        return base
    return DemandPoint(label, elasticity, base.output_ratio, ratio, base.direction,
                       gpus=fleet.gpus.mid * ratio, facility_mw=fleet.facility_mw.mid * ratio,
                       capex_usd=fleet.capex_usd["total"].mid * ratio, annual_own_usd=fleet.annual_own_usd.mid * ratio)


def _statement(gain: float, points: Sequence[DemandPoint]) -> str:
    parts = []
    for p in points:
        change = f"{p.compute_ratio:.3g}x today's" if p.direction != "unchanged" else "the same as today's"
        parts.append(f"at elasticity {p.elasticity:g} demand for compute {p.direction} ({change})")
    return (f"A {gain:g}x efficiency gain: " + "; ".join(parts) + ". Compute demand rises only when the "
            "elasticity is above 1 (Jevons' paradox) and falls below 1.")


def gain_from_comparison(catalog: Catalog, book: PriceBook, workload: str, baseline: str, efficient: str,
                         values: Mapping[str, Any]) -> tuple[float, str]:
    """The efficiency gain of ``efficient`` over ``baseline``: the ratio of their output per GPU-hour
    that ``estimator.compare`` computes (training: tokens per GPU-hour; serving: output tokens per GPU-hour)."""
    result = compare(catalog, book, workload, [baseline, efficient], values, baseline=baseline)
    metric = (TOKENS_PER_GPU_HOUR if workload == "training" else OUTPUT_TOKENS_PER_GPU_HOUR).name
    ids = list(result["ratios"])
    if len(ids) < 2:
        row = next(r for r in result["rows"] if "error" in r)
        raise InvalidInputError(f"'{row['model']}' cannot run this {workload} workload: {row['error']['detail']}",
                                field="compare.efficient")
    gain = float(result["ratios"][ids[1]][metric])
    return gain, f"estimator.compare: {metric} of {ids[1]} / {ids[0]} ({workload}, {values.get('hardware')})"
