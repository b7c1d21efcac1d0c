"""The cost structure of a GPU datacenter and its per-GPU unit economics.

Inputs: ``seeds/planning/defaults.csv`` (one row per default: low / mid / high, unit, source, URL,
date; columns in ``seeds/README.md``), the hardware record, the price book's ``cost.Prices`` and the
request's overrides. Outputs: ``Structure`` (a ``Band`` per input, with an ``Assumption`` saying
where each came from) and ``unit_economics``, the per-GPU figures of one scenario.

Per GPU (formulas; the members may be floats or numpy arrays, so the sensitivity analysis
evaluates thousands of scenarios in one call):

- servers $      = the price book's purchase price per GPU (its scope: GPU, board, server or rack)
- network $      = network $ per GPU (scale-out fabric: switches, cables, optics)
- storage $      = storage share x servers $
- building $     = $ per MW of critical IT load x nameplate IT kW per GPU / 1,000
- nameplate IT kW per GPU = ``power.node_max_power_w_per_gpu`` / 1,000 (what the site must supply)
- average IT W   = TDP x (u x compute-bound fraction + (1 - u) x idle fraction)
                   + the server's non-GPU nameplate x its loaded share (``power.py``'s measurements)
- facility kWh a year = average IT kW x PUE x 8,766 h; energy $ = kWh x $/kWh; CO2 = ``power.co2_tonnes``
- annual own $   = (servers + network + storage) / hardware life + building / building life + energy $
  (``cost.own_usd``'s straight-line write-off, with the building owned instead of colocation rented)
- own $ per used GPU-hour = annual own $ / (8,766 h x u)

An output band (``spread``) is the mid scenario's value between the smallest and largest of the three.
"""

from __future__ import annotations

import csv
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from .. import defaults as d
from .. import power
from ..bands import SCENARIOS, Assumption, Band
from ..catalog import SEEDS_DIR, Hardware
from ..cost import Prices
from ..errors import CatalogError

DEFAULTS_CSV = SEEDS_DIR / "planning" / "defaults.csv"

#: The inputs of a plan's unit economics, in the order tables show them: (name, unit, what it is).
INPUTS: tuple[tuple[str, str, str], ...] = (
    ("capex_usd_per_gpu", "USD per GPU", "Purchase price per GPU (the price book's scope: GPU, board, server or rack)"),
    ("network_usd_per_gpu", "USD per GPU", "Scale-out network per GPU (switches, cables, optics)"),
    ("storage_share", "of server capex", "Storage as a share of the GPU server bill"),
    ("building_usd_per_mw", "USD per MW", "Building and power plant per MW of critical IT load"),
    ("pue", "", "Power usage effectiveness (facility / IT power)"),
    ("utilisation", "of GPU-hours", "Share of the fleet's GPU-hours doing work"),
    ("usd_per_kwh", "USD per kWh", "Electricity price"),
    ("grid_kg_co2_per_kwh", "kg CO2 per kWh", "Grid carbon intensity"),
    ("life_years", "years", "Life over which the IT hardware is written off"),
    ("building_life_years", "years", "Life over which the building and power plant are written off"),
    ("server_overhead_fraction", "of nameplate", "Share of the server's non-GPU nameplate power drawn under load"),
)
INPUT_NAMES = tuple(name for name, _, _ in INPUTS)
#: Seed-file rows and the input each one sets.
_SEEDED = {"building_usd_per_mw": "building_usd_per_mw", "network_usd_per_gpu": "network_usd_per_gpu",
           "storage_share_of_servers": "storage_share", "building_life_years": "building_life_years",
           "utilisation": "utilisation"}


@dataclass(frozen=True)
class Default:
    """One sourced default: its band (the value behind each scenario), unit, source and URL."""

    name: str
    band: Band
    unit: str
    source: str
    url: str
    as_of: str

    @property
    def citation(self) -> str:
        where = f" ({self.url}, {self.as_of})" if self.url else f" ({self.as_of})"
        return self.source + where


@cache
def load_defaults(path: Path = DEFAULTS_CSV) -> dict[str, Default]:
    """The planning defaults by name, read once. Raises CatalogError naming a malformed row."""
    out: dict[str, Default] = {}
    with path.open(newline="", encoding="utf-8") as handle:
        for line, row in enumerate(csv.DictReader(handle), start=2):
            try:
                band = Band(float(row["low"]), float(row["mid"]), float(row["high"]))
            except (KeyError, TypeError, ValueError):
                raise CatalogError(f"{path.name} row {line}: low, mid and high must be numbers.", field="low") from None
            if not row.get("source"):
                raise CatalogError(f"{path.name} row {line}: every default needs a source.", field="source")
            out[row["name"]] = Default(row["name"], band, row.get("unit", ""), row["source"], row.get("url", ""),
                                       row.get("as_of", ""))
    return out


@dataclass(frozen=True)
class Structure:
    """Every input of a plan's unit economics as a band, and where each came from."""

    bands: Mapping[str, Band]
    assumptions: tuple[Assumption, ...]
    #: The scope of the GPU price (gpu, board, server, rack), from the price book's rows.
    price_scope: str

    def scenario(self, s: str) -> dict[str, Any]:
        return {name: band[s] for name, band in self.bands.items()}


def structure(hw: Hardware, prices: Prices, overrides: Mapping[str, Any]) -> Structure:
    """The bands a plan uses: the request's value, else the price book's, else the seeded default."""
    seeded = load_defaults()
    bands: dict[str, Band] = {}
    sources: dict[str, str] = {}
    from_book = {"capex_usd_per_gpu": prices.purchase, "pue": prices.pue, "usd_per_kwh": prices.electricity,
                 "grid_kg_co2_per_kwh": prices.grid_kg_co2_per_kwh, "life_years": prices.life_years}
    book_sources = {a.name: a.source for a in prices.assumptions}
    book_names = {"capex_usd_per_gpu": "capex_usd_per_gpu", "pue": "pue", "usd_per_kwh": "electricity_usd_per_kwh",
                  "grid_kg_co2_per_kwh": "grid_kg_co2_per_kwh", "life_years": "capex_life_years"}
    for name, band in from_book.items():
        bands[name], sources[name] = band, book_sources.get(book_names[name], f"pricing table {prices.table}")
    for row, name in _SEEDED.items():
        bands[name], sources[name] = seeded[row].band, seeded[row].citation
    bands["server_overhead_fraction"], sources["server_overhead_fraction"] = d.NODE_OVERHEAD_FRACTION, d.NODE_OVERHEAD_SOURCE
    for name, value in overrides.items():
        if value is not None and name in bands:
            bands[name], sources[name] = Band.point(float(value)), "request"
    units = {n: u for n, u, _ in INPUTS}
    assumptions = tuple(Assumption(n, bands[n], units[n], sources[n]) for n in INPUT_NAMES)
    scopes = sorted({p.scope for p in prices.used if p.kind == "purchase" and p.hardware_id == hw.id and p.scope})
    return Structure(bands, assumptions, "request" if overrides.get("capex_usd_per_gpu") else "/".join(scopes) or "unknown")


def nameplate_kw_per_gpu(hw: Hardware) -> float:
    """Nameplate IT kW per GPU: the GPU and its share of the server (``power.node_max_power_w_per_gpu``)."""
    return power.node_max_power_w_per_gpu(hw) / 1000.0


def average_it_w_per_gpu(hw: Hardware, utilisation: Any, overhead_fraction: Any) -> Any:
    """Average IT draw per GPU: busy (compute-bound) a share ``utilisation`` of the time, idle the rest,
    plus the loaded share of the server's non-GPU nameplate (``power.py``'s measured fractions)."""
    overhead_w, _ = power.node_nameplate_overhead_w_per_gpu(hw)
    busy_w = hw.tdp_w * d.POWER_FRACTION_COMPUTE
    return utilisation * busy_w + (1.0 - utilisation) * power.idle_power_w(hw.tdp_w) + overhead_w * overhead_fraction


def energy_per_gpu_year(hw: Hardware, p: Mapping[str, Any], utilisation: Any) -> tuple[Any, Any, Any]:
    """Average IT kW, facility MWh a year and the energy bill a year of one GPU at ``utilisation``."""
    avg_it_kw = average_it_w_per_gpu(hw, utilisation, p["server_overhead_fraction"]) / 1000.0
    facility_mwh = power.facility(avg_it_kw, p["pue"]) * d.HOURS_PER_YEAR / 1000.0
    return avg_it_kw, facility_mwh, facility_mwh * 1000.0 * p["usd_per_kwh"]


def unit_economics(hw: Hardware, p: Mapping[str, Any]) -> dict[str, Any]:
    """Per-GPU figures of one scenario (``p``: a value per ``INPUT_NAMES``; floats or numpy arrays)."""
    servers = p["capex_usd_per_gpu"]
    network = p["network_usd_per_gpu"]
    storage = p["storage_share"] * servers
    kw = nameplate_kw_per_gpu(hw)
    building = p["building_usd_per_mw"] * kw / 1000.0
    avg_it_kw, facility_mwh, energy_usd = energy_per_gpu_year(hw, p, p["utilisation"])
    annual_own = (servers + network + storage) / p["life_years"] + building / p["building_life_years"] + energy_usd
    return {
        "servers_usd": servers, "network_usd": network, "storage_usd": storage, "building_usd": building,
        "capex_usd": servers + network + storage + building,
        "nameplate_it_kw": kw, "average_it_kw": avg_it_kw, "facility_mwh_per_year": facility_mwh,
        "energy_usd_per_year": energy_usd, "co2_t_per_year": power.co2_tonnes(facility_mwh, p["grid_kg_co2_per_kwh"]),
        "annual_own_usd": annual_own,
        "own_usd_per_used_gpu_hour": annual_own / (d.HOURS_PER_YEAR * p["utilisation"]),
    }


def spread(low: Any, mid: Any, high: Any) -> Band:
    """An output band: the smallest and largest of the three scenarios around the mid scenario's own
    value, so every mid figure of a plan comes from one coherent scenario (the scenarios cross: the
    cheapest one buys the most GPUs, which draw the most power)."""
    return Band(min(low, mid, high), mid, max(low, mid, high))


def scenarios(hw: Hardware, st: Structure) -> dict[str, dict[str, Any]]:
    """``unit_economics`` of the low, mid and high cost scenarios."""
    return {s: unit_economics(hw, st.scenario(s)) for s in SCENARIOS}
