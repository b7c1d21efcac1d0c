"""Rent versus buy (estimator/planning/rent_vs_buy.py): a crossing computed by hand, the annuity
formula, properties and bad input."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from estimator.errors import InvalidInputError
from estimator.planning.capacity import CapacityRequest
from estimator.planning.rent_vs_buy import (
    RentVsBuyRequest,
    annuity_factor,
    break_even_month,
    monthly_rate,
    rent_vs_buy,
)

# One H100 bought for $20,000 all in (no network, storage or building), used all the time, rented
# at $2 per GPU-hour, electricity $0.10/kWh at PUE 1, money free (cost of capital 0).
#   draw: GPU 695 W (compute-bound, 0.993 of 700 W) + server overhead (1,275 - 700 W) x 0.44 = 948 W
#   energy a month: 0.948 kW x 8,766 h / 12 x $0.10 = $69.2514
#   rent a month: 730.5 h x $2 = $1,461
#   break-even: 20,000 / (1,461 - 69.2514) = 14.3704 months
HAND = {"watts": 695 + 575 * 0.44}
HAND["energy_month"] = HAND["watts"] / 1000 * 8766 / 12 * 0.10
HAND["crossing"] = 20_000 / (1_461 - HAND["energy_month"])


def request(catalog, **values):
    capacity = {k: values.pop(k) for k in list(values) if k not in ("gpus", "horizon_months", "cost_of_capital",
                                                                     "usd_per_gpu_hour")}
    return RentVsBuyRequest(CapacityRequest(catalog.get_hardware("h100-sxm"), **capacity), **values)


HAND_VALUES = {"gpus": 1, "horizon_months": 24, "cost_of_capital": 0.0, "usd_per_gpu_hour": 2.0,
               "capex_usd_per_gpu": 20_000, "network_usd_per_gpu": 0, "storage_share": 0, "building_usd_per_mw": 0,
               "usd_per_kwh": 0.10, "pue": 1.0, "utilisation": 1.0}


def test_crossing_by_hand(catalog, book):
    r = rent_vs_buy(request(catalog, **HAND_VALUES), book, catalog)
    assert HAND["energy_month"] == pytest.approx(69.2514, abs=1e-4)
    assert r.energy_usd_per_month.mid == pytest.approx(HAND["energy_month"])
    assert r.rent_usd_per_month.mid == pytest.approx(1_461)
    assert r.break_even_month["mid"] == pytest.approx(HAND["crossing"]) == pytest.approx(14.3704, abs=1e-4)
    # The series cross between months 14 and 15: renting is cheaper at 14, buying at 15.
    assert r.rent_cumulative_usd[14] < r.buy_cumulative_usd[14]
    assert r.rent_cumulative_usd[15] > r.buy_cumulative_usd[15]
    assert r.buy_cumulative_usd[0] == 20_000 and r.rent_cumulative_usd[0] == 0
    assert r.verdict == "Buying costs less than renting from month 14.4 (mid estimate)."
    # Break-even utilisation over 24 months: u x 1,461 x 24 = 20,000 + (e0 + u e1) x 24, with the
    # energy bill e0 + u e1 (idle 130 W + overhead 253 W at u = 0; 948 W at u = 1).
    e0 = (130 + 575 * 0.44) / 1000 * 8766 / 12 * 0.10
    e1 = HAND["energy_month"] - e0
    assert r.break_even_utilisation["mid"] == pytest.approx((20_000 + e0 * 24) / ((1_461 - e1) * 24))


def test_annuity_and_capital_recovery():
    # Brealey, Myers & Allen: PV of 1 a period for n periods = (1 - (1 + r)^-n) / r.
    assert annuity_factor(0.01, 12) == pytest.approx((1 - 1.01**-12) / 0.01) == pytest.approx(11.2551, abs=1e-4)
    assert annuity_factor(0.0, 12) == 12
    assert monthly_rate(0.12) == pytest.approx(1.12 ** (1 / 12) - 1)
    # With a cost of capital the crossing satisfies rent x A(m) = capex + energy x A(m).
    r = monthly_rate(0.12)
    m = break_even_month(20_000, 1_461, 69.25, r)
    assert m is not None
    assert 1_461 * annuity_factor(r, m) == pytest.approx(20_000 + 69.25 * annuity_factor(r, m))
    assert m > 20_000 / (1_461 - 69.25)  # discounting delays it
    assert break_even_month(20_000, 50, 69.25, r) is None  # rent below energy: never


def test_seed_prices_and_sources(catalog, book):
    r = rent_vs_buy(request(catalog, gpus=1024, horizon_months=60), book, catalog)
    sources = {a.name: a.source for a in r.assumptions}
    assert "Digital Realty" in sources["cost_of_capital"]
    assert r.cost_of_capital.mid == 0.063
    assert len(r.months) == 61 and len(r.rent_cumulative_usd) == 61


def test_never_pays_back_when_rent_is_cheap(catalog, book):
    r = rent_vs_buy(request(catalog, **{**HAND_VALUES, "usd_per_gpu_hour": 0.05}), book, catalog)
    assert r.break_even_month["mid"] is None
    assert r.break_even_utilisation["mid"] is None
    assert r.verdict == "Renting costs less over the whole 24-month horizon (mid estimate)."


@settings(max_examples=30, deadline=None)
@given(st.floats(0.05, 1.0), st.floats(0.0, 0.3))
def test_break_even_falls_as_rent_rises(catalog, book, u, wacc):
    base = {**HAND_VALUES, "utilisation": u, "cost_of_capital": wacc}
    cheap = rent_vs_buy(request(catalog, **{**base, "usd_per_gpu_hour": 2.0}), book, catalog)
    dear = rent_vs_buy(request(catalog, **{**base, "usd_per_gpu_hour": 4.0}), book, catalog)
    a, b = cheap.break_even_month["mid"], dear.break_even_month["mid"]
    assert a is None or (b is not None and b <= a)  # dearer rent: buying pays back no later


@pytest.mark.parametrize(("values", "field", "message"), [
    ({"horizon_months": 0}, "horizon_months", "'horizon_months' must be a finite number greater than 0, got 0."),
    ({"horizon_months": 2.5}, "horizon_months", "'horizon_months' must be a whole number, got 2.5."),
    ({"gpus": 0}, "gpus", "'gpus' must be a finite number greater than 0, got 0."),
    ({"cost_of_capital": 1.5}, "cost_of_capital",
     "'cost_of_capital' is a share: give a number from 0 to 1 (100 %), got 1.5."),
    ({"storage_share": 2.0}, "storage_share", "'storage_share' is a share: give a number from 0 to 1 (100 %), got 2.0."),
])
def test_bad_input(catalog, book, values, field, message):
    with pytest.raises(InvalidInputError) as caught:
        rent_vs_buy(request(catalog, **{**HAND_VALUES, **values}), book, catalog)
    assert (caught.value.field, caught.value.message) == (field, message)
