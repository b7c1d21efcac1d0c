"""Rent versus buy a fleet over a horizon: cumulative cost both ways by month, the break-even month
and the break-even utilisation, at a cost of capital.

Inputs: the hardware, GPUs, the horizon in months, the utilisation, the annual cost of capital
(sourced default: ``seeds/planning/defaults.csv``), the rental price (the price book's, or the
request's) and the plan's per-GPU unit economics (``structure.unit_economics``: all-in capex and the
energy at that utilisation). Output: ``RentVsBuy``.

Formulas (money in present value at the cost of capital; Brealey, Myers & Allen, *Principles of
Corporate Finance*, the annuity formula; the capital recovery factor is its inverse, e.g. NREL's
"Simple Levelized Cost of Energy" documentation):

- monthly rate   r_m = (1 + r)^(1/12) - 1
- annuity factor A(m) = (1 - (1 + r_m)^-m) / r_m   (= m when r = 0)
- renting pays the used hours only: rent a month = GPUs x 730.5 h x u x $/GPU-hour
- buying pays the capex up front and the energy each month (the building is owned, so no hosting):
  buy(m) = capex + energy a month x A(m); rent(m) = rent a month x A(m)
- break-even month: A(m*) = capex / (rent a month - energy a month); m* = -ln(1 - r_m K) / ln(1 + r_m)
- break-even utilisation over the horizon H: energy a month = e0 + u e1 (idle and busy parts), so
  u* = (capex + e0 A(H)) / ((GPUs x 730.5 x $/GPU-hour - e1) A(H)); above 1, buying never pays within H
- owning as an hourly price: capex x CRF(r_m, life in months) / 730.5 h + energy per hour, CRF = 1 / A
No resale value is counted at the horizon (a stated simplification: buying is charged its whole capex).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any

from .. import defaults as d
from ..bands import SCENARIOS, Assumption, Band
from ..catalog import Catalog
from ..checks import check_positive
from ..cost import PriceBook, prices_for
from ..errors import out_of_range
from . import structure as st
from .capacity import CapacityRequest, check_share, validate

MAX_HORIZON_MONTHS = 240
MAX_COST_OF_CAPITAL = 1.0


@dataclass(frozen=True)
class RentVsBuyRequest:
    capacity: CapacityRequest  # its hardware and overrides; budget_usd / power_mw unused when gpus is given
    gpus: int
    horizon_months: int = 60
    cost_of_capital: float | None = None
    usd_per_gpu_hour: float | None = None


def annuity_factor(rate: Any, months: Any) -> Any:
    """Present value of 1 paid at the end of each of ``months`` periods at ``rate`` per period."""
    if isinstance(rate, float | int) and rate == 0:
        return months * 1.0
    return (1.0 - (1.0 + rate) ** (-months)) / rate


def monthly_rate(annual: Any) -> Any:
    return (1.0 + annual) ** (1.0 / 12.0) - 1.0


def break_even_month(capex: float, rent_month: float, energy_month: float, rate: float) -> float | None:
    """Months until renting has cost as much as buying (present value), or None if it never does."""
    margin = rent_month - energy_month
    if margin <= 0:
        return None
    k = capex / margin
    if rate == 0:
        return k
    if rate * k >= 1:
        return None
    return -math.log(1.0 - rate * k) / math.log(1.0 + rate)


@dataclass(frozen=True)
class RentVsBuy:
    hardware: str
    gpus: int
    horizon_months: int
    utilisation: Band
    cost_of_capital: Band
    rent_usd_per_gpu_hour: Band
    capex_usd: Band
    rent_usd_per_month: Band
    energy_usd_per_month: Band
    own_usd_per_gpu_hour: Band  # capital recovery + energy, per GPU-hour
    break_even_month: dict[str, float | None]
    #: None: buying does not pay within the horizon at any utilisation (the value would be above 1).
    break_even_utilisation: dict[str, float | None]
    months: tuple[int, ...]
    rent_cumulative_usd: tuple[float, ...]  # mid scenario, by month
    buy_cumulative_usd: tuple[float, ...]
    verdict: str
    assumptions: tuple[Assumption, ...] = ()
    warnings: tuple[str, ...] = ()
    pricing: dict[str, Any] | None = None


def _validate(req: RentVsBuyRequest) -> None:
    check_positive(req.gpus, "gpus", integer=True, upper=100_000_000)
    check_positive(req.horizon_months, "horizon_months", integer=True, upper=MAX_HORIZON_MONTHS)
    check_positive(req.usd_per_gpu_hour, "usd_per_gpu_hour", upper=10_000)
    if req.cost_of_capital is not None:
        check_share(req.cost_of_capital, "cost_of_capital", zero=True)
    validate(replace(req.capacity, budget_usd=1.0, power_mw=None))  # the overrides' own checks


def rent_vs_buy(req: RentVsBuyRequest, book: PriceBook, catalog: Catalog | None = None) -> RentVsBuy:
    """Cumulative cost of renting and of buying ``gpus`` GPUs by month (module docstring)."""
    try:
        return _rent_vs_buy(req, book, catalog)
    except (ZeroDivisionError, OverflowError) as exc:
        raise out_of_range(exc) from None


def _rent_vs_buy(req: RentVsBuyRequest, book: PriceBook, catalog: Catalog | None) -> RentVsBuy:
    _validate(req)
    hw = req.capacity.hardware
    prices = prices_for(book, hw, catalog, replace(req.capacity, usd_per_gpu_hour=req.usd_per_gpu_hour))
    structure = st.structure(hw, prices, req.capacity.overrides())
    seeded = st.load_defaults()["cost_of_capital"]
    wacc = Band.point(req.cost_of_capital) if req.cost_of_capital is not None else seeded.band
    out: dict[str, dict[str, Any]] = {s: _scenario(req, hw, structure.scenario(s), prices.rent[s], wacc[s])
                                      for s in SCENARIOS}
    mid = out["mid"]
    months = tuple(range(req.horizon_months + 1))
    rate = monthly_rate(wacc.mid)
    rent_series = tuple(mid["rent_month"] * annuity_factor(rate, m) for m in months)
    buy_series = tuple(mid["capex"] + mid["energy_month"] * annuity_factor(rate, m) for m in months)
    crossing = out["mid"]["break_even_month"]
    verdict = (f"Buying costs less than renting from month {crossing:.1f} (mid estimate)." if crossing is not None
               and crossing <= req.horizon_months else
               f"Renting costs less over the whole {req.horizon_months}-month horizon (mid estimate).")
    source = "request" if req.cost_of_capital is not None else seeded.citation
    return RentVsBuy(
        hardware=hw.id, gpus=req.gpus, horizon_months=req.horizon_months, utilisation=structure.bands["utilisation"],
        cost_of_capital=wacc, rent_usd_per_gpu_hour=prices.rent,
        capex_usd=st.spread(*(out[s]["capex"] for s in SCENARIOS)),
        rent_usd_per_month=st.spread(*(out[s]["rent_month"] for s in SCENARIOS)),
        energy_usd_per_month=st.spread(*(out[s]["energy_month"] for s in SCENARIOS)),
        own_usd_per_gpu_hour=st.spread(*(out[s]["own_hourly"] for s in SCENARIOS)),
        break_even_month={s: out[s]["break_even_month"] for s in SCENARIOS},
        break_even_utilisation={s: _at_most_one(out[s]["break_even_u"]) for s in SCENARIOS},
        months=months, rent_cumulative_usd=rent_series, buy_cumulative_usd=buy_series, verdict=verdict,
        assumptions=(*structure.assumptions, Assumption("cost_of_capital", wacc, "per year", source),
                     Assumption("rent_usd_per_gpu_hour", prices.rent, "USD per GPU-hour",
                            next((a.source for a in prices.assumptions if a.name == "rent_usd_per_gpu_hour"), "")),
                     Assumption("resale_value", 0.0, "USD", "none counted at the horizon (simplification)")),
        warnings=tuple(dict.fromkeys(prices.warnings)), pricing=prices.pricing_dict(),
    )


def _scenario(req: RentVsBuyRequest, hw: Any, p: dict[str, Any], rent_price: float, wacc: float) -> dict[str, Any]:
    """One scenario's money: capex, monthly rent and energy, break-even month and utilisation."""
    unit = st.unit_economics(hw, p)
    per_month = req.gpus / 12.0
    energy_month = unit["energy_usd_per_year"] * per_month
    e0 = st.energy_per_gpu_year(hw, p, 0.0)[2] * per_month  # the energy bill is e0 + u x e1
    e1 = st.energy_per_gpu_year(hw, p, 1.0)[2] * per_month - e0
    capex = unit["capex_usd"] * req.gpus
    rent_month = req.gpus * d.HOURS_PER_MONTH * p["utilisation"] * rent_price
    rate = monthly_rate(wacc)
    a_h = annuity_factor(rate, req.horizon_months)
    full_rent = req.gpus * d.HOURS_PER_MONTH * rent_price
    it_capex = unit["servers_usd"] + unit["network_usd"] + unit["storage_usd"]
    own_hourly = ((it_capex / annuity_factor(rate, p["life_years"] * 12.0)
                   + unit["building_usd"] / annuity_factor(rate, p["building_life_years"] * 12.0)) / d.HOURS_PER_MONTH
                  + unit["energy_usd_per_year"] / d.HOURS_PER_YEAR)
    denominator = (full_rent - e1) * a_h
    return {"capex": capex, "rent_month": rent_month, "energy_month": energy_month, "own_hourly": own_hourly,
            "break_even_month": break_even_month(capex, rent_month, energy_month, rate),
            "break_even_u": (capex + e0 * a_h) / denominator if denominator > 0 else None}


def _at_most_one(u: float | None) -> float | None:
    return u if u is not None and u <= 1.0 else None
