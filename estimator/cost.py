"""Price book and the two cost models: rent and own.

Inputs: a ``PriceBook`` (dated price points with sources; the default is built from
``seeds/prices.csv``), the hardware, GPU-hours and energy. Outputs: a ``Quote`` per price kind
as a low / mid / high ``Band`` (min / median / max of the book's points) with its sources and
warnings, and the costs:

- rent_usd = GPU-hours x $/GPU-hour
- own_usd  = capex $/GPU x GPU-hours / (life years x 8,766 h)      (share of life used)
           + facility kWh x $/kWh                                   (energy)
           + hosting $/kW-month x contracted kW/GPU x GPU-hours / 730.5 h   (colocation)

A missing price is never a silent zero: it falls back to the book's median price per dense
bf16 TFLOP/s scaled to this GPU, and says so.
"""

from __future__ import annotations

import csv
import datetime as dt
import statistics
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import defaults as d
from .bands import Assumption, Band
from .catalog import SEEDS_DIR, Catalog, Hardware, _number, _text
from .errors import CatalogError

KIND_UNITS = {
    "rent": "usd_per_gpu_hour",
    "purchase": "usd_per_gpu",
    "electricity": "usd_per_kwh",
    "hosting": "usd_per_kw_month",
}
PER_GPU_KINDS = ("rent", "purchase")
PURCHASE_SCOPES = ("gpu", "board", "server", "rack")
STALE_AFTER_DAYS = 548  # 18 months: GPU rental prices moved by tens of percent within a year (prices.csv)


@dataclass(frozen=True)
class PricePoint:
    kind: str
    hardware_id: str
    usd: float
    unit: str
    as_of: str
    source: str
    provider: str = ""
    product: str = ""
    region: str = ""
    notes: str = ""
    scope: str = ""  # purchase rows: what the price buys, gpu | board | server | rack

    @classmethod
    def from_mapping(cls, row: dict[str, Any]) -> PricePoint:
        kind = _text(row.get("kind"), "kind", required=True).lower()
        if kind not in KIND_UNITS:
            raise CatalogError(f"'kind' must be one of {', '.join(KIND_UNITS)}, got {kind!r}.", field="kind")
        unit = _text(row.get("unit"), "unit", required=False) or KIND_UNITS[kind]
        if unit != KIND_UNITS[kind]:
            raise CatalogError(f"A {kind} price must be in {KIND_UNITS[kind]}, got {unit!r}.", field="unit")
        hardware_id = _text(row.get("hardware_id"), "hardware_id", required=kind in PER_GPU_KINDS).lower()
        as_of = _text(row.get("as_of"), "as_of", required=True)
        try:
            dt.date.fromisoformat(as_of)
        except ValueError:
            raise CatalogError(f"'as_of' must be a date like 2025-03-17, got {as_of!r}.", field="as_of") from None
        scope = _text(row.get("scope"), "scope", required=kind == "purchase").lower()
        if kind == "purchase" and scope not in PURCHASE_SCOPES:
            raise CatalogError(f"A purchase row's 'scope' must be one of {', '.join(PURCHASE_SCOPES)}, got {scope!r}.",
                               field="scope")
        return cls(
            scope=scope,
            kind=kind,
            hardware_id=hardware_id,
            usd=_number(row.get("usd"), "usd", required=True),  # type: ignore[arg-type]
            unit=unit,
            as_of=as_of,
            source=_text(row.get("source"), "source", required=True),
            provider=_text(row.get("provider"), "provider", required=False),
            product=_text(row.get("product"), "product", required=False),
            region=_text(row.get("region"), "region", required=False),
            notes=_text(row.get("notes"), "notes", required=False),
        )


@dataclass(frozen=True)
class Quote:
    """A price as low / mid / high, where it came from, and what the user should know."""

    band: Band
    unit: str
    source: str
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class PriceBook:
    points: tuple[PricePoint, ...]
    version: str = "seed"

    def find(self, kind: str, hardware_id: str = "") -> list[PricePoint]:
        return [p for p in self.points if p.kind == kind and (not hardware_id or p.hardware_id == hardware_id)]


def load_price_book(path: Path = SEEDS_DIR / "prices.csv", version: str = "seed") -> PriceBook:
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    points = []
    for line, row in enumerate(rows, start=2):
        try:
            points.append(PricePoint.from_mapping(row))
        except CatalogError as exc:
            raise CatalogError(f"{path.name} row {line}: {exc.message}", field=exc.field) from None
    return PriceBook(tuple(points), version=version)


def _spread(values: Iterable[float]) -> Band:
    ordered = sorted(values)
    return Band(ordered[0], statistics.median(ordered), ordered[-1])


def _describe(points: list[PricePoint]) -> str:
    parts = [f"{p.provider or p.source} {p.product} ({p.as_of}): {p.usd:g}" for p in points]
    return "; ".join(parts) + f" [{points[0].unit}; low/mid/high = min/median/max]"


def _age_warnings(points: list[PricePoint], today: dt.date, label: str) -> list[str]:
    newest = max(dt.date.fromisoformat(p.as_of) for p in points)
    if (today - newest).days > STALE_AFTER_DAYS:
        return [f"The newest {label} price is from {newest.isoformat()}, more than 18 months old."]
    return []


def quote(
    book: PriceBook,
    kind: str,
    hardware: Hardware | None = None,
    catalog: Catalog | None = None,
    today: dt.date | None = None,
) -> Quote:
    """The book's price of ``kind`` (for ``hardware`` when per GPU) as a Quote."""
    today = today or dt.date.today()
    hw_id = hardware.id if hardware is not None and kind in PER_GPU_KINDS else ""
    label = f"{kind} ({hardware.name})" if hw_id and hardware else kind
    points = book.find(kind, hw_id)
    if points:
        warnings = _age_warnings(points, today, label)
        if len(points) == 1:
            warnings.append(f"Only one {label} price in the price book: low = mid = high.")
        partial = sorted({p.scope for p in points if p.scope in ("gpu", "board")})
        if partial:
            what = " / ".join({"gpu": "the GPU alone", "board": "the GPU baseboard (no CPUs, chassis, network)"}[x] for x in partial)
            warnings.append(f"A {label} price covers {what}, not a whole server: the cost of owning is understated.")
        return Quote(_spread(p.usd for p in points), KIND_UNITS[kind], _describe(points), tuple(warnings))
    if kind in PER_GPU_KINDS and hardware is not None:
        return _fallback_per_gpu(book, kind, hardware, catalog)
    fallback = {"electricity": (d.ELECTRICITY_FALLBACK, d.ELECTRICITY_FALLBACK_SOURCE),
                "hosting": (d.HOSTING_FALLBACK, d.HOSTING_FALLBACK_SOURCE)}[kind]
    return Quote(
        Band.point(fallback[0]),
        KIND_UNITS[kind],
        fallback[1],
        (f"No {kind} price in the price book (version {book.version}); used {fallback[0]:g} {KIND_UNITS[kind]} from {fallback[1]}.",),
    )


def _fallback_per_gpu(book: PriceBook, kind: str, hw: Hardware, catalog: Catalog | None) -> Quote:
    """Median price per dense bf16 TFLOP/s over the book's other GPUs, scaled to ``hw``."""
    per_tflops = [
        p.usd / catalog.hardware[p.hardware_id].bf16_dense_tflops
        for p in book.find(kind)
        if catalog is not None and p.hardware_id in catalog.hardware
    ]
    unit = KIND_UNITS[kind]
    if not per_tflops:
        raise CatalogError(
            f"The price book has no {kind} price for {hw.name} and none to extrapolate from; "
            f"add a {kind} row or pass the price explicitly.",
            field="hardware",
        )
    band = _spread(v * hw.bf16_dense_tflops for v in per_tflops)
    source = f"extrapolated: price book {kind} prices per dense bf16 TFLOP/s x {hw.bf16_dense_tflops:g} TFLOP/s"
    return Quote(
        band,
        unit,
        source,
        (f"No {kind} price for {hw.name} in the price book: extrapolated from other GPUs' {unit} "
         f"per bf16 TFLOP/s (mid {band.mid:.4g}). Pass your own price for a real quote.",),
    )


def rent_usd(gpu_hours: Any, usd_per_gpu_hour: Any) -> Any:
    return gpu_hours * usd_per_gpu_hour


def own_usd(
    gpu_hours: Any,
    capex_usd_per_gpu: Any,
    life_years: Any,
    facility_energy_kwh: Any,
    usd_per_kwh: Any,
    hosting_usd_per_kw_month: Any,
    contracted_kw_per_gpu: Any,
) -> Any:
    """Cost of owning: capex share of life used + energy + colocation (formula in module doc)."""
    capex = capex_usd_per_gpu * gpu_hours / (life_years * d.HOURS_PER_YEAR)
    energy = facility_energy_kwh * usd_per_kwh
    hosting = hosting_usd_per_kw_month * contracted_kw_per_gpu * gpu_hours / d.HOURS_PER_MONTH
    return capex + energy + hosting


PRICE_NAMES = {"rent": "rent_usd_per_gpu_hour", "purchase": "capex_usd_per_gpu",
               "electricity": "electricity_usd_per_kwh", "hosting": "hosting_usd_per_kw_month"}


def price_bands(book: PriceBook, hardware: Hardware, catalog: Catalog | None, overrides: dict[str, float | None],
                warnings: list[str], assumptions: list[Assumption]) -> dict[str, Band]:
    """Rent, purchase, electricity and hosting prices: an override where given, else the book's
    quote; appends the quotes' warnings and one assumption per price."""
    out: dict[str, Band] = {}
    for kind, name in PRICE_NAMES.items():
        override = overrides.get(kind)
        if override:
            out[kind] = Band.point(override)
            assumptions.append(Assumption(name, out[kind], KIND_UNITS[kind], "request"))
            continue
        q = quote(book, kind, hardware, catalog)
        warnings.extend(q.warnings)
        out[kind] = q.band
        assumptions.append(Assumption(name, q.band, q.unit, f"price book {book.version}: {q.source}"))
    return out


def load_api_prices(path: Path = SEEDS_DIR / "api_prices.csv") -> dict[str, dict[str, Any]]:
    """Public API list prices per model id ($ per 1M tokens), with source and date."""
    out: dict[str, dict[str, Any]] = {}
    with path.open(newline="", encoding="utf-8") as handle:
        for line, row in enumerate(csv.DictReader(handle), start=2):
            try:
                out[_text(row.get("model_id"), "model_id", required=True).lower()] = {
                    "provider": _text(row.get("provider"), "provider", required=True),
                    "product": _text(row.get("product"), "product", required=False),
                    "input": _number(row.get("input_usd_per_million"), "input_usd_per_million", required=True),
                    "cached_input": _number(row.get("cached_input_usd_per_million"), "cached_input_usd_per_million", required=False),
                    "output": _number(row.get("output_usd_per_million"), "output_usd_per_million", required=True),
                    "as_of": _text(row.get("as_of"), "as_of", required=True),
                    "source": _text(row.get("source"), "source", required=True),
                }
            except CatalogError as exc:
                raise CatalogError(f"{path.name} row {line}: {exc.message}", field=exc.field) from None
    return out
