"""What a capex budget or a facility power envelope buys: GPUs, servers, racks, megawatts, energy,
CO2, capex by category and the annual cost of owning it.

Inputs: a ``CapacityRequest`` (hardware, exactly one of ``budget_usd`` or ``power_mw`` of facility
power, the utilisation and any override of the cost structure), the price book and the catalog.
Output: a ``CapacityPlan`` (every figure low / mid / high, the per-GPU unit economics of each
scenario, assumptions with sources, warnings).

Formulas (per scenario; the per-GPU figures are ``structure.unit_economics``):

- from a budget: GPUs = budget / all-in capex per GPU, rounded down to whole systems
- from power:    GPUs = facility MW / PUE / nameplate IT MW per GPU, rounded down to whole systems
- a system is a server of ``gpus_per_node`` GPUs, or a rack-scale NVLink domain (NVL72: 72 GPUs)
- racks: one NVL72 system per rack (liquid-cooled); air-cooled servers: as many whole servers as the
  rack's kW allows (``rack_kw_air_cooled``), at least one
- a budget or envelope below one system buys none: 0 GPUs, with a warning first saying what one
  system takes (an answer, not an error)
- IT MW = GPUs x nameplate IT kW per GPU (provisioned); facility MW = IT MW x PUE
- capex, energy, CO2 and annual own cost = GPUs x the per-GPU figures
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from ..bands import SCENARIOS, Assumption, Band
from ..catalog import Catalog, Hardware
from ..checks import check_positive, check_pue, show
from ..cost import PriceBook, prices_for
from ..errors import InvalidInputError, out_of_range
from ..numbers import number_text
from . import structure as st

#: An NVLink domain this large is a rack-scale, liquid-cooled system (GB200/GB300 NVL72; NVL36 racks).
RACK_SCALE_DOMAIN_GPUS = 36
#: Plausible bounds: no budget above $10 trillion, no site above 100 GW (the largest announced
#: campuses are ~5 GW); larger values are typing errors, not plans.
MAX_BUDGET_USD = 1e13
MAX_POWER_MW = 100_000.0
#: More than a billion GPUs is no plan anyone can build (about 100x the world's 2025 stock): the
#: prices or shares given must be off.
MAX_GPUS = 1e9
#: Overrides a request may give, and their (inclusive) bounds.
SHARE_FIELDS = ("storage_share",)
OVERRIDES = ("capex_usd_per_gpu", "network_usd_per_gpu", "storage_share", "building_usd_per_mw", "pue",
             "utilisation", "usd_per_kwh", "grid_kg_co2_per_kwh", "life_years", "building_life_years")


@dataclass(frozen=True)
class CapacityRequest:
    hardware: Hardware
    budget_usd: float | None = None
    power_mw: float | None = None
    utilisation: float | None = None
    capex_usd_per_gpu: float | None = None
    network_usd_per_gpu: float | None = None
    storage_share: float | None = None
    building_usd_per_mw: float | None = None
    pue: float | None = None
    usd_per_kwh: float | None = None
    grid_kg_co2_per_kwh: float | None = None
    life_years: float | None = None
    building_life_years: float | None = None
    #: Read by ``cost.prices_for`` (the planning request has no rental override of its own here).
    usd_per_gpu_hour: float | None = None
    #: The energy rows the plan's electricity, PUE and grid figures come from (cost.electricity_market).
    electricity_market: str | None = None

    def overrides(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in OVERRIDES}


def validate(req: CapacityRequest) -> None:
    """Exactly one of budget and power, each positive and plausible; shares within 0-100 %."""
    given = [n for n in ("budget_usd", "power_mw") if getattr(req, n) is not None]
    if len(given) != 1:
        raise InvalidInputError("Give exactly one of 'budget_usd' (capex in US dollars, e.g. 60e9) or 'power_mw' "
                                "(facility power in MW, e.g. 1000).", field="budget_usd")
    check_positive(req.budget_usd, "budget_usd", upper=MAX_BUDGET_USD)
    check_positive(req.power_mw, "power_mw", upper=MAX_POWER_MW)
    check_share(req.utilisation, "utilisation", zero=False)
    check_share(req.storage_share, "storage_share", zero=True)
    check_pue(req.pue)
    for name in ("capex_usd_per_gpu", "usd_per_kwh", "grid_kg_co2_per_kwh", "life_years", "building_life_years"):
        check_positive(getattr(req, name), name)
    for name in ("network_usd_per_gpu", "building_usd_per_mw"):
        value = getattr(req, name)
        if value is not None and not (isinstance(value, int | float) and math.isfinite(value) and value >= 0):
            raise InvalidInputError(f"'{name}' must be a finite number of 0 or more, got {show(value)}.", field=name)


def check_share(value: Any, name: str, *, zero: bool) -> None:
    """A share: a finite number in (0, 1] (or [0, 1] when ``zero``); 1 is 100 %."""
    if value is None:
        return
    ok = isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
    low_ok = ok and (value >= 0 if zero else value > 0)
    if not low_ok or value > 1:
        floor = "0" if zero else "above 0"
        raise InvalidInputError(f"'{name}' is a share: give a number from {floor} to 1 (100 %), got {show(value)}.",
                                field=name)


@dataclass(frozen=True)
class CapacityPlan:
    hardware: str
    hardware_name: str
    basis: str  # "budget" or "power"
    system_kind: str  # "liquid-cooled rack" or "air-cooled server"
    gpus_per_system: int
    gpus: Band
    servers: Band
    racks: Band
    it_mw: Band
    facility_mw: Band
    average_facility_mw: Band
    energy_mwh_per_year: Band
    energy_usd_per_year: Band
    co2_t_per_year: Band
    capex_usd: dict[str, Band]  # servers, network, storage, building, total
    annual_own_usd: Band
    own_usd_per_used_gpu_hour: Band
    utilisation: Band
    structure: st.Structure
    #: Per-GPU unit economics of each scenario (``structure.unit_economics``).
    per_gpu: dict[str, dict[str, Any]]
    request: CapacityRequest
    #: GPUs of each cost scenario as computed (``gpus`` is their spread around the mid scenario).
    gpus_by_scenario: dict[str, int] = field(default_factory=dict)
    assumptions: tuple[Assumption, ...] = ()
    warnings: tuple[str, ...] = field(default=())
    pricing: dict[str, Any] = field(default_factory=dict)


def system_of(hw: Hardware) -> tuple[str, int]:
    """The unit GPUs are bought in: a rack-scale NVLink domain, or one server."""
    if hw.nvlink_domain_gpus >= RACK_SCALE_DOMAIN_GPUS:
        return "liquid-cooled rack", hw.nvlink_domain_gpus
    return "air-cooled server", hw.gpus_per_node


def _racks(hw: Hardware, kind: str, gpus: int, rack_kw: float) -> int:
    if kind == "liquid-cooled rack":
        return math.ceil(gpus / hw.nvlink_domain_gpus)
    server_kw = st.nameplate_kw_per_gpu(hw) * hw.gpus_per_node
    per_rack = max(1, math.floor(rack_kw / server_kw))
    return math.ceil(gpus / hw.gpus_per_node / per_rack)


def _fleet_gpus(req: CapacityRequest, unit: dict[str, Any], pue: float, per_system: int) -> int:
    if req.budget_usd is not None:
        raw = req.budget_usd / unit["capex_usd"]
    else:
        raw = req.power_mw * 1000.0 / pue / unit["nameplate_it_kw"]  # type: ignore[operator]
    if not raw <= MAX_GPUS:
        field_name = "budget_usd" if req.budget_usd is not None else "power_mw"
        raise InvalidInputError(f"'{field_name}' buys more than {MAX_GPUS:.0e} GPUs at these prices: check "
                                "'capex_usd_per_gpu', 'network_usd_per_gpu', 'building_usd_per_mw' and the budget.",
                                field=field_name)
    return int(raw // per_system) * per_system


def plan_capacity(req: CapacityRequest, book: PriceBook, catalog: Catalog | None = None) -> CapacityPlan:
    """Size the fleet a budget or a power envelope buys, and what it costs to run (module docstring)."""
    try:
        return _plan_capacity(req, book, catalog)
    except (ZeroDivisionError, OverflowError) as exc:
        raise out_of_range(exc) from None


def _plan_capacity(req: CapacityRequest, book: PriceBook, catalog: Catalog | None) -> CapacityPlan:
    validate(req)
    hw = req.hardware
    prices = prices_for(book, hw, catalog, req)
    structure = st.structure(hw, prices, req.overrides())
    per_gpu = st.scenarios(hw, structure)
    kind, per_system = system_of(hw)
    rack_default = st.load_defaults()["rack_kw_liquid_cooled" if kind == "liquid-cooled rack" else "rack_kw_air_cooled"]
    gpus = {s: _fleet_gpus(req, per_gpu[s], structure.bands["pue"][s], per_system) for s in SCENARIOS}
    shortfall: tuple[str, ...] = ()
    if gpus["mid"] == 0:  # a real answer: none, and what one system would take
        need = per_gpu["mid"]["capex_usd"] * per_system if req.budget_usd is not None else \
            per_gpu["mid"]["nameplate_it_kw"] * per_system * structure.bands["pue"].mid / 1000.0
        field_name, given, unit = (("budget_usd", req.budget_usd, "USD") if req.budget_usd is not None
                                   else ("power_mw", req.power_mw, "MW"))
        shortfall = (f"'{field_name}' ({number_text(given)} {unit}) does not buy one {kind} of {per_system} {hw.name} "
                     f"GPUs: that needs about {number_text(need)} {unit}, so the plan has no GPUs.",)

    def band(key: str, scale: float = 1.0) -> Band:
        return st.spread(*(gpus[s] * per_gpu[s][key] * scale for s in SCENARIOS))

    racks = {s: _racks(hw, kind, gpus[s], rack_default.band[s]) for s in SCENARIOS}
    pue = structure.bands["pue"]
    rack_assumption = Assumption(rack_default.name, rack_default.band, rack_default.unit, rack_default.citation)
    return CapacityPlan(
        hardware=hw.id, hardware_name=hw.name, basis="budget" if req.budget_usd is not None else "power",
        system_kind=kind, gpus_per_system=per_system,
        gpus=st.spread(*(gpus[s] for s in SCENARIOS)),
        servers=st.spread(*(gpus[s] // hw.gpus_per_node for s in SCENARIOS)),
        racks=st.spread(*(racks[s] for s in SCENARIOS)),
        it_mw=band("nameplate_it_kw", 1e-3),
        facility_mw=st.spread(*(gpus[s] * per_gpu[s]["nameplate_it_kw"] * pue[s] / 1000.0 for s in SCENARIOS)),
        average_facility_mw=st.spread(*(gpus[s] * per_gpu[s]["average_it_kw"] * pue[s] / 1000.0
                                   for s in SCENARIOS)),
        energy_mwh_per_year=band("facility_mwh_per_year"),
        energy_usd_per_year=band("energy_usd_per_year"),
        co2_t_per_year=band("co2_t_per_year"),
        capex_usd={k: band(f"{k}_usd") for k in ("servers", "network", "storage", "building")} | {"total": band("capex_usd")},
        annual_own_usd=band("annual_own_usd"),
        own_usd_per_used_gpu_hour=st.spread(*(per_gpu[s]["own_usd_per_used_gpu_hour"] for s in SCENARIOS)),
        utilisation=structure.bands["utilisation"],
        structure=structure, per_gpu=per_gpu, request=req, gpus_by_scenario=gpus,
        assumptions=(*structure.assumptions, rack_assumption),
        warnings=shortfall + _warnings(hw, kind, prices.warnings, rack_default.band.mid),
        pricing=prices.pricing_dict(),
    )


def _warnings(hw: Hardware, kind: str, price_warnings: tuple[str, ...], rack_kw: float) -> tuple[str, ...]:
    out = list(dict.fromkeys(price_warnings))
    if kind == "liquid-cooled rack":
        rack_it_kw = st.nameplate_kw_per_gpu(hw) * hw.nvlink_domain_gpus
        if rack_it_kw > rack_kw:
            out.append(f"One {hw.name} rack draws {rack_it_kw:.0f} kW nameplate, more than the {rack_kw:.0f} kW "
                       "rack assumed: the hall needs denser power and cooling.")
    out.append("Capex buys the GPUs, their network and storage, and the building and power plant; land, design fees, "
               "spares and staff are not included.")
    return tuple(out)
