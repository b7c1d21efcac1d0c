"""Which input of a plan matters most: a tornado table and variance-based (Sobol) indices.

Inputs: a ``CapacityPlan`` (its ``Structure``: a band per uncertain input), the output figure to
explain (``METRICS``), the base sample size and a seed. Output: ``Sensitivity``.

- Tornado: each input moved from its lowest to its highest value with the others at mid; the
  output's swing |f(high) - f(low)| ranks the inputs (inputs whose band is one value are left out).
- Sobol first-order S1 and total ST indices (Sobol 2001; Saltelli et al. 2010, "Variance based
  sensitivity analysis of model output", Comput. Phys. Commun. 181:259-270), sampled and analysed
  by SALib (Herman & Usher 2017, JOSS 2(9):97): ``SALib.sample.sobol.sample`` with N base samples
  draws N x (D + 2) points (no second-order terms), each input uniform between its lowest and highest
  value; ``SALib.analyze.sobol.analyze`` returns S1, ST and their 95 % bootstrap half-widths.

The model evaluated is ``structure.unit_economics`` on numpy arrays: every sample in one call.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from SALib.analyze import sobol as sobol_analyze
from SALib.sample import sobol as sobol_sample

from ..bands import Band
from ..errors import InvalidInputError, out_of_range
from . import structure as st
from .capacity import CapacityPlan

#: Outputs the analysis can explain: (label, unit, how it is computed from the per-GPU figures).
METRICS: dict[str, tuple[str, str]] = {
    "own_usd_per_used_gpu_hour": ("Own cost per used GPU-hour", "USD per GPU-hour"),
    "annual_own_usd": ("Annual own cost of the fleet", "USD a year"),
    "gpus": ("GPUs the budget buys (or the power holds)", "GPUs"),
    "facility_mwh_per_year": ("Facility energy of the fleet a year", "MWh"),
}
MIN_SAMPLES, MAX_SAMPLES = 64, 8192


@dataclass(frozen=True)
class TornadoBar:
    name: str
    low_input: float
    high_input: float
    output_at_low: float
    output_at_high: float

    @property
    def swing(self) -> float:
        return abs(self.output_at_high - self.output_at_low)


@dataclass(frozen=True)
class SobolIndex:
    name: str
    first_order: float
    first_order_conf: float
    total: float
    total_conf: float


@dataclass(frozen=True)
class Sensitivity:
    metric: str
    output_at_mid: float
    tornado: tuple[TornadoBar, ...]  # largest swing first
    sobol: tuple[SobolIndex, ...]  # largest total index first
    evaluations: int
    samples: int
    fixed: tuple[str, ...]  # inputs with one value (left out)


def evaluate(plan: CapacityPlan, metric: str, params: dict[str, Any]) -> Any:
    """The metric for one or many scenarios (``params``: floats or numpy arrays per input)."""
    unit = st.unit_economics(plan.request.hardware, params)
    fleet_gpus = _fleet_gpus(plan, unit, params)
    if metric == "own_usd_per_used_gpu_hour":
        return unit["own_usd_per_used_gpu_hour"]
    if metric == "gpus":
        return fleet_gpus
    return fleet_gpus * unit[metric]


def _fleet_gpus(plan: CapacityPlan, unit: dict[str, Any], params: dict[str, Any]) -> Any:
    """GPUs as a continuous figure (no rounding to whole systems, so the indices see smooth changes)."""
    if plan.request.budget_usd is not None:
        return plan.request.budget_usd / unit["capex_usd"]
    return plan.request.power_mw * 1000.0 / params["pue"] / unit["nameplate_it_kw"]  # type: ignore[operator]


def analyse(plan: CapacityPlan, metric: str = "own_usd_per_used_gpu_hour", samples: int = 256,
            seed: int = 1) -> Sensitivity:
    """Tornado and Sobol indices of ``metric`` over the plan's uncertain inputs (module docstring)."""
    try:
        return _analyse(plan, metric, samples, seed)
    except (ZeroDivisionError, OverflowError) as exc:
        raise out_of_range(exc) from None


def _analyse(plan: CapacityPlan, metric: str, samples: int, seed: int) -> Sensitivity:
    if metric not in METRICS:
        raise InvalidInputError(f"Unknown metric {metric!r}; use one of: {', '.join(METRICS)}.", field="metric")
    check_samples(samples)
    return run_analysis(metric, plan.structure.bands, st.INPUT_NAMES, lambda p: evaluate(plan, metric, p), samples,
                        seed)


def check_samples(samples: int, low: int = MIN_SAMPLES, high: int = MAX_SAMPLES) -> None:
    if not (low <= samples <= high) or samples & (samples - 1):
        raise InvalidInputError(f"'samples' must be a power of 2 from {low} to {high} (Sobol sequences are "
                                f"balanced at powers of 2), got {samples!r}.", field="samples")


def run_analysis(metric: str, bands: Mapping[str, Band], names: Sequence[str], model: Callable[[dict[str, Any]], Any],
                 samples: int, seed: int) -> Sensitivity:
    """Tornado and Sobol indices of ``model`` (a function of one value per input name: floats, or numpy
    arrays of every Sobol sample at once) over the inputs whose band is not one value (``samples``: a power of 2,
    checked by the caller)."""
    mid = {name: float(bands[name].mid) for name in names}
    bounds = {n: (min(bands[n].low, bands[n].mid, bands[n].high), max(bands[n].low, bands[n].mid, bands[n].high))
              for n in names}
    varied = [n for n in names if bounds[n][1] > bounds[n][0]]
    fixed = tuple(n for n in names if n not in varied)
    at_mid = float(model(mid))
    tornado = tuple(sorted((_bar(model, mid, n, *bounds[n]) for n in varied), key=lambda b: -b.swing))
    if not varied:
        return Sensitivity(metric, at_mid, (), (), 1, samples, fixed)
    problem = {"num_vars": len(varied), "names": varied, "bounds": [list(bounds[n]) for n in varied]}
    x = sobol_sample.sample(problem, samples, calc_second_order=False, seed=seed)
    params: dict[str, Any] = {**mid, **{n: x[:, i] for i, n in enumerate(varied)}}
    with np.errstate(all="ignore"):
        y = np.asarray(model(params), dtype=float)
    if not np.all(np.isfinite(y)):
        raise InvalidInputError("An input is too large or too small for the sensitivity analysis: some scenarios "
                                "overflowed. Use values in the range of real plans.", field=None)
    sobol = _indices(problem, y, varied, seed)
    return Sensitivity(metric, at_mid, tornado, sobol, int(len(y)) + 2 * len(varied) + 1, samples, fixed)


def _bar(model: Callable[[dict[str, Any]], Any], mid: dict[str, float], name: str, low: float,
         high: float) -> TornadoBar:
    return TornadoBar(name, low, high, float(model({**mid, name: low})), float(model({**mid, name: high})))


def _indices(problem: dict[str, Any], y: Any, varied: list[str], seed: int) -> tuple[SobolIndex, ...]:
    """SALib's first-order and total indices, largest total first; all 0 when the output does not vary."""
    if float(np.ptp(y)) <= 1e-12 * max(1.0, float(np.max(np.abs(y)))):
        return tuple(SobolIndex(n, 0.0, 0.0, 0.0, 0.0) for n in varied)
    with warnings.catch_warnings():
        # A bootstrap resample (for the confidence intervals) can be constant when the whole output is
        # not (an input at its bound): SALib warns and gives that resample 0, as above.
        warnings.filterwarnings("ignore", message="Constant values encountered", category=UserWarning)
        result = sobol_analyze.analyze(problem, y, calc_second_order=False, seed=seed)
    return tuple(sorted((SobolIndex(n, float(result["S1"][i]), float(result["S1_conf"][i]), float(result["ST"][i]),
                                    float(result["ST_conf"][i])) for i, n in enumerate(varied)),
                        key=lambda s: -s.total))
