"""Efficiency and demand (estimator/planning/demand.py): constant-elasticity demand, gain^(eps - 1)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from estimator.errors import InvalidInputError
from estimator.planning.capacity import CapacityRequest, plan_capacity
from estimator.planning.demand import compute_demand_ratio, demand_scenario, gain_from_comparison


def test_ten_x_at_the_sourced_elasticities():
    # Sourced defaults (seeds/planning/defaults.csv): 0.4 (rebound of energy services), 1.2 (AI
    # inference: 1,000x cheaper tokens, +320 % spend -> 1 + ln 4.2 / ln 1000 = 1.21), 2.0 (strong Jevons).
    d = demand_scenario(10.0)
    by_label = {p.label: p for p in d.points}
    assert by_label["low"].compute_ratio == pytest.approx(10 ** (0.4 - 1)) == pytest.approx(0.2512, abs=1e-4)
    assert by_label["mid"].compute_ratio == pytest.approx(10 ** 0.2) == pytest.approx(1.5849, abs=1e-4)
    assert by_label["high"].compute_ratio == pytest.approx(10.0)
    assert by_label["mid"].output_ratio == pytest.approx(10 ** 1.2)
    assert [p.direction for p in d.points] == ["falls", "rises", "rises"]
    assert d.statement == (
        "A 10x efficiency gain: at elasticity 0.4 demand for compute falls (0.251x today's); at elasticity 1.2 "
        "demand for compute rises (1.58x today's); at elasticity 2 demand for compute rises (10x today's). Compute "
        "demand rises only when the elasticity is above 1 (Jevons' paradox) and falls below 1.")
    assert d.curve[0] == (0.0, pytest.approx(0.1)) and d.curve[10] == (1.0, pytest.approx(1.0))
    assert "Gillingham" in d.assumptions[1].source


def test_fleet_scaled(catalog, book):
    fleet = plan_capacity(CapacityRequest(catalog.get_hardware("h100-sxm"), budget_usd=60e9), book, catalog)
    d = demand_scenario(10.0, [1.5], fleet=fleet)
    (point,) = d.points
    assert point.label == "given" and point.direction == "rises"
    assert point.gpus == pytest.approx(fleet.gpus.mid * 10 ** 0.5)
    assert point.facility_mw == pytest.approx(fleet.facility_mw.mid * 10 ** 0.5)
    assert point.capex_usd == pytest.approx(fleet.capex_usd["total"].mid * 10 ** 0.5)


@settings(max_examples=50, deadline=None)
@given(st.floats(1e-3, 1e6))
def test_unit_elasticity_leaves_demand_unchanged(gain):
    assert compute_demand_ratio(gain, 1.0) == 1.0
    assert demand_scenario(gain, [1.0]).points[0].direction == "unchanged"


@settings(max_examples=50, deadline=None)
@given(st.floats(1.01, 1e4), st.floats(0.0, 5.0))
def test_rises_exactly_when_elastic(gain, elasticity):
    ratio = compute_demand_ratio(gain, elasticity)
    assert (ratio > 1) == (elasticity > 1) or elasticity == 1 or abs(ratio - 1) < 1e-12


def test_gain_from_a_comparison(catalog, book):
    gain, source = gain_from_comparison(catalog, book, "training", "llama-3.1-405b", "deepseek-v3",
                                        {"hardware": "h100-sxm", "gpus": 2048})
    # DeepSeek-V3 trains on 37B active parameters against Llama's 405B dense: several times the
    # tokens per GPU-hour (estimator.compare's ratio, not a number typed here).
    assert 3 < gain < 11
    assert source.startswith("estimator.compare: tokens_per_gpu_hour of deepseek-v3 / llama-3.1-405b")


@pytest.mark.parametrize(("args", "field", "message"), [
    ((10.0, [5.5]), "elasticity", "'elasticity' is a price elasticity of demand: give a number from 0 to 5 "
                                  "(1 = spending unchanged), got 5.5."),
    ((10.0, [-0.1]), "elasticity", "'elasticity' is a price elasticity of demand: give a number from 0 to 5 "
                                   "(1 = spending unchanged), got -0.1."),
    ((10.0, [1.0, 9.0]), "elasticities.1", "'elasticities.1' is a price elasticity of demand: give a number from 0 "
                                           "to 5 (1 = spending unchanged), got 9.0."),
    ((0.0, None), "efficiency_gain", "'efficiency_gain' must be a finite number greater than 0, got 0.0."),
])
def test_bad_input(args, field, message):
    with pytest.raises(InvalidInputError) as caught:
        demand_scenario(*args)
    assert (caught.value.field, caught.value.message) == (field, message)
