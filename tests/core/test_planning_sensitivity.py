"""Tornado and Sobol indices of a plan (estimator/planning/sensitivity.py, SALib)."""

from __future__ import annotations

import pytest

from estimator.errors import InvalidInputError
from estimator.planning.capacity import CapacityRequest, plan_capacity
from estimator.planning.sensitivity import analyse, evaluate

GOLDEN = [("h100-sxm", "budget_usd", 60e9), ("gb200", "budget_usd", 60e9), ("h100-sxm", "power_mw", 1000.0)]
METRICS = ("own_usd_per_used_gpu_hour", "gpus", "annual_own_usd")


@pytest.fixture(scope="module")
def plans(catalog, book):
    return {case: plan_capacity(CapacityRequest(catalog.get_hardware(case[0]), **{case[1]: case[2]}), book, catalog)
            for case in GOLDEN}


@pytest.mark.parametrize("case", GOLDEN)
@pytest.mark.parametrize("metric", METRICS)
def test_tornado_top_is_among_top_two_sobol(plans, case, metric):
    result = analyse(plans[case], metric, samples=256)
    top_two = {s.name for s in result.sobol[:2]}
    assert result.tornado[0].name in top_two
    # First-order indices add up to at most 1, within the bootstrap error of the estimate.
    s1 = sum(s.first_order for s in result.sobol)
    error = sum(s.first_order_conf for s in result.sobol)
    assert s1 <= 1 + error
    for s in result.sobol:
        assert s.total >= s.first_order - (s.first_order_conf + s.total_conf)
    assert result.evaluations >= 1000


def test_tornado_bar_by_hand(plans):
    # Utilisation 0.4 <-> 0.8 with everything else at mid: own cost per used GPU-hour is the annual
    # own cost per GPU / (8,766 h x u); the energy part grows with u, the capex part does not.
    plan = plans[GOLDEN[0]]
    bar = next(b for b in analyse(plan, samples=64).tornado if b.name == "utilisation")
    mid = {n: float(band.mid) for n, band in plan.structure.bands.items()}
    assert bar.output_at_low == pytest.approx(evaluate(plan, "own_usd_per_used_gpu_hour", {**mid, "utilisation": 0.4}))
    assert bar.output_at_high < bar.output_at_low  # busier is cheaper per used hour
    assert (bar.low_input, bar.high_input) == (0.4, 0.8)


def test_gpus_for_a_budget_do_not_depend_on_utilisation(plans):
    result = analyse(plans[GOLDEN[0]], "gpus", samples=64)
    by_name = {s.name: s for s in result.sobol}
    assert abs(by_name["utilisation"].total) < 0.01
    assert result.tornado[0].name == "capex_usd_per_gpu"


@pytest.mark.parametrize(("kwargs", "field", "message"), [
    ({"metric": "speed"}, "metric", "Unknown metric 'speed'; use one of: own_usd_per_used_gpu_hour, annual_own_usd, "
                                    "gpus, facility_mwh_per_year."),
    ({"samples": 100}, "samples", "'samples' must be a power of 2 from 64 to 8192 (Sobol sequences are balanced at "
                                  "powers of 2), got 100."),
])
def test_bad_input(plans, kwargs, field, message):
    with pytest.raises(InvalidInputError) as caught:
        analyse(plans[GOLDEN[0]], **kwargs)
    assert (caught.value.field, caught.value.message) == (field, message)


# --- A training or serving estimate (estimator/planning/estimate_sensitivity.py) -----------------------
TRAINING = {"model": "llama-3.1-70b", "tokens": 15.6e12, "hardware": "h100-sxm", "gpus": 1024}


def test_estimate_sensitivity_calls_the_estimate(catalog, book):
    from estimator.inputs import training_request
    from estimator.planning.estimate_sensitivity import analyse_estimate
    from estimator.training import estimate_training

    sens, base = analyse_estimate("training", TRAINING, book, catalog, "cost_usd.own", samples=64)
    assert base == estimate_training(training_request(catalog, TRAINING), book, catalog).to_dict()
    bar = next(b for b in sens.tornado if b.name == "goodput")
    # Goodput at its lowest (0.4339): the same run takes more reserved GPU-hours, so owning costs more.
    # The other inputs at the seed book's mid (current points: within 548 days of the newest): H100 rent
    # $3.85/GPU-hour (median of its 13 current points; 7 of 2023-2025 are history), capex $39,062.5/GPU
    # (median of $30,000, $31,250, $46,875, $50,000), electricity $0.0892/kWh (median of the United
    # States rows 0.066, 0.0892, 0.0929: the default market), PUE 1.2.
    low = estimate_training(training_request(catalog, {**TRAINING, "goodput": 0.4339, "usd_per_gpu_hour": 3.85,
                                                       "capex_usd_per_gpu": 39062.5, "usd_per_kwh": 0.0892,
                                                       "pue": 1.2}), book, catalog).to_dict()
    assert bar.output_at_low == pytest.approx(low["cost_usd"]["own"]["mid"])
    assert sens.tornado[0].name in {s.name for s in sens.sobol[:2]}
    by_name = {s.name: s for s in sens.sobol}
    assert abs(by_name["usd_per_gpu_hour"].total) < 0.01  # the rental price does not enter the cost of owning


def test_estimate_sensitivity_leaves_given_inputs_fixed(catalog, book):
    from estimator.planning.estimate_sensitivity import analyse_estimate

    sens, _ = analyse_estimate("inference", {"model": "llama-3.1-8b", "hardware": "l4", "precision": "fp8",
                                             "pue": 1.3}, book, catalog, samples=64)
    assert sens.fixed == ("pue",)
    assert sens.tornado[0].name == "capex_usd_per_gpu"
    with pytest.raises(InvalidInputError) as caught:
        analyse_estimate("training", TRAINING, book, catalog, "speed")
    assert caught.value.message == ("Unknown metric 'speed' for training; use one of: cost_usd.own, cost_usd.rent, "
                                    "energy_mwh, gpu_hours.")
