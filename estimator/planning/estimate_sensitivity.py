"""Which input matters most for a training or serving estimate: the same tornado and Sobol indices as
a plan's (``sensitivity.run_analysis``), over the estimate's own uncertain inputs.

Inputs: the workload ("training" or "inference"), the request's plain values (as for
``inputs.training_request`` / ``inference_request``), the price book, the catalog, the figure to
explain (``METRICS``), the Sobol base samples and a seed. Output: ``sensitivity.Sensitivity``.

The uncertain inputs and their ranges are the estimate's own bands (its ``assumptions``): the rental
and purchase price, electricity price and PUE from the pricing table, and for training the goodput
(``defaults.GOODPUT``). An input the request fixes is left out. Each evaluation is the estimate itself
(``estimate_training`` / ``estimate_inference`` with those inputs given), read at its mid value: the
physics is not copied, so the evaluations run one by one (about 0.6 ms for training, 1.5 ms for
serving each; docs/benchmarks.md).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from ..bands import Band
from ..catalog import Catalog
from ..cost import PriceBook
from ..errors import InvalidInputError
from ..figures import Figure, Serving, Training
from ..inference import estimate_inference
from ..inputs import inference_request, training_request
from ..training import estimate_training
from .sensitivity import Sensitivity, check_samples, run_analysis

#: The request field each input is given through, and the estimate's assumption its band comes from.
INPUTS: dict[str, dict[str, str]] = {
    "training": {"usd_per_gpu_hour": "rent_usd_per_gpu_hour", "capex_usd_per_gpu": "capex_usd_per_gpu",
                 "usd_per_kwh": "electricity_usd_per_kwh", "pue": "pue", "goodput": "goodput"},
    "inference": {"usd_per_gpu_hour": "rent_usd_per_gpu_hour", "capex_usd_per_gpu": "capex_usd_per_gpu",
                  "usd_per_kwh": "electricity_usd_per_kwh", "pue": "pue"},
}
METRICS: dict[str, dict[str, Figure]] = {
    "training": {"cost_usd.own": Training.OWN, "cost_usd.rent": Training.RENT, "energy_mwh": Training.ENERGY,
                 "gpu_hours": Training.GPU_HOURS},
    "inference": {"cost_usd_per_million_tokens.output.own": Serving.COST_OUTPUT_OWN,
                  "cost_usd_per_million_tokens.output.rent": Serving.COST_OUTPUT_RENT,
                  "energy_mwh_per_day": Serving.ENERGY_PER_DAY},
}
#: Sobol base samples an estimate may ask for: each evaluation is a whole estimate (0.5-10 ms), so by
#: default 16 x (5 + 2) = 112 of them (wide confidence intervals, reported) and at most 128 x 7 = 896,
#: about a second for most requests.
MIN_SAMPLES, MAX_SAMPLES, DEFAULT_SAMPLES = 16, 128, 16
_RUN: dict[str, tuple[Callable[..., Any], Callable[..., Any]]] = {
    "training": (training_request, estimate_training), "inference": (inference_request, estimate_inference)}


def analyse_estimate(workload: str, values: Mapping[str, Any], book: PriceBook, catalog: Catalog,
                     metric: str | None = None, samples: int = DEFAULT_SAMPLES, seed: int = 1) -> tuple[Sensitivity, dict[str, Any]]:
    """The sensitivity of one figure of an estimate, and the estimate itself (at the request's values)."""
    if workload not in METRICS:
        raise InvalidInputError(f"'workload' must be training or inference, got {workload!r}.", field="workload")
    metric = metric or next(iter(METRICS[workload]))
    if metric not in METRICS[workload]:
        raise InvalidInputError(f"Unknown metric {metric!r} for {workload}; use one of: "
                                f"{', '.join(METRICS[workload])}.", field="metric")
    check_samples(samples, MIN_SAMPLES, MAX_SAMPLES)
    build, estimate = _RUN[workload]
    base = estimate(build(catalog, values), book, catalog).to_dict()
    assumed = {a["name"]: a["value"] for a in base["assumptions"]}
    bands: dict[str, Band] = {}
    for field, name in INPUTS[workload].items():
        value = assumed.get(name)
        given = values.get(field) is not None
        bands[field] = Band.point(float(values[field])) if given or not isinstance(value, Mapping) else \
            Band(float(value["low"]), float(value["mid"]), float(value["high"]))
    figure = METRICS[workload][metric]

    def model(params: dict[str, Any]) -> Any:
        if not any(isinstance(v, np.ndarray) for v in params.values()):
            return _mid(build, estimate, values, params, figure, book, catalog)
        rows = np.broadcast_arrays(*(np.asarray(params[n], dtype=float) for n in INPUTS[workload]))
        return np.array([_mid(build, estimate, values, dict(zip(INPUTS[workload], row, strict=True)), figure, book,
                              catalog) for row in zip(*rows, strict=True)])

    return run_analysis(metric, bands, tuple(INPUTS[workload]), model, samples, seed), base


def _mid(build: Any, estimate: Any, values: Mapping[str, Any], params: Mapping[str, Any], figure: Figure,
         book: PriceBook, catalog: Catalog) -> float:
    request = build(catalog, {**values, **{k: float(v) for k, v in params.items()}})
    return float(figure.mid(estimate(request, book, catalog).to_dict()))
