"""Price book and the two cost models: rent and own.

Inputs: a ``PriceBook`` — one version of a pricing table (dated price points with sources; the
built-in ``seed`` table is ``seeds/pricing/*.csv``, uploaded tables come from ``pricing.store``) —
the hardware, GPU-hours and energy. Outputs: a ``Quote`` per price kind
as a low / mid / high ``Band`` (min / median / max of the book's *current* points) with its
sources and warnings, and the costs:

- rent_usd = GPU-hours x $/GPU-hour
- own_usd  = capex $/GPU x GPU-hours / (life years x 8,766 h)      (share of life used)
           + facility kWh x $/kWh                                   (energy)
           + hosting $/kW-month x contracted kW/GPU x GPU-hours / 730.5 h   (colocation)

- capex $/GPU = a hardware_costs row's usd_capex / gpus_per_unit
- serving $/1M tokens = fleet cost per hour x (prefill share | decode share) / tokens per hour x 1e6

``prices_for`` resolves every price of an estimate (request, table, fallbacks); ``training_cost``
and ``serving_cost`` compose the cost sections of the two results.

Current points (issue 14): a quote ranges over the points of its kind (per GPU where per GPU)
dated within ``STALE_AFTER_DAYS`` (548) of the newest such point; older points are history, kept
in the table and named in the assumption's source ("history, not counted: …") but outside the
min / median / max, so a 2023 rent of $12/GPU-h does not widen today's high. The rule reads the
points' own dates, not today's: the staleness warning (newest point vs today) is apart from it.
PUE and grid intensity from the energy sheet, a GPU's amortisation years and the per-TFLOP/s
extrapolation follow the same rule.

Electricity by market (issue 14): an ``energy`` row's ``market`` (blank: its ``region``) says where
its price applies. An estimate takes the energy rows of one market — the request's
``electricity_market``, else ``DEFAULT_MARKET`` (United States) when the table has rows of it, else
every row — for electricity, PUE and grid intensity alike; the market filter comes before the
current-points rule, and the assumption's source names the market. A market the table has no row
of is an ``UnknownMarketError`` naming the markets it has.

A missing price is never a silent zero: it falls back to the book's median price per dense
bf16 TFLOP/s scaled to this GPU, or to the seed table, or to a stated default, and says so.
"""

from __future__ import annotations

import csv
import datetime as dt
import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from . import defaults as d
from . import power
from .bands import SCENARIOS, Assumption, Band, significant
from .catalog import SEEDS_DIR, Catalog, Hardware, _number, _text
from .checks import plain_text
from .errors import CatalogError, UnknownMarketError
from .memo import kept

#: The sheets of a pricing table the core reads (declared in full, with validation, in pricing/tables.py).
SHEETS = ("gpu_prices", "hardware_costs", "energy", "colocation", "api_prices")
KIND_UNITS = {
    "rent": "usd_per_gpu_hour",
    "purchase": "usd_per_gpu",
    "electricity": "usd_per_kwh",
    "hosting": "usd_per_kw_month",
    "pue": "",
    "grid": "kg_co2_per_kwh",
}
PER_GPU_KINDS = ("rent", "purchase")
#: The kinds read from the energy sheet: each estimate takes them from one electricity market.
ENERGY_KINDS = ("electricity", "pue", "grid")
#: The market an estimate prices electricity in when the request names none and the table has rows
#: of it: the other defaults (grid intensity, colocation, most rent rows) are US figures too.
DEFAULT_MARKET = "United States"
#: GPU rental prices moved by tens of percent within a year (seeds/pricing/gpu_prices.csv): a price
#: older than 18 months gets a warning. The app makes it configurable (ESTIMATOR_PRICE_STALE_AFTER_DAYS).
STALE_AFTER_DAYS = 548
#: A quote ranges over the points dated within this many days of the newest point of its kind (per
#: GPU where per GPU); older ones are history (the module doc). 18 months, the warning's default;
#: ESTIMATOR_PRICE_STALE_AFTER_DAYS moves only the warning, not this window.
CURRENT_WITHIN_DAYS = STALE_AFTER_DAYS
QUOTE_MEMO_SIZE = 512


@dataclass(frozen=True)
class PricePoint:
    """One dated price (or facility figure) from a pricing table, with where it came from."""

    kind: str  # a key of KIND_UNITS
    hardware_id: str
    value: float
    as_of: str
    source: str
    provider: str = ""
    product: str = ""
    region: str = ""
    market: str = ""  # energy rows: where the price applies (the row's market, else its region)
    notes: str = ""
    scope: str = ""  # purchase rows: what the price buys, gpu | board | server | rack
    pricing_model: str = ""  # rent rows: on_demand, reserved_1y, ...
    life_years: float | None = None  # purchase rows: the row's own amortisation period
    table: str = "seed"  # the pricing table (name@version) the point comes from

    @property
    def unit(self) -> str:
        return KIND_UNITS[self.kind]

    def to_dict(self) -> dict[str, Any]:
        # A point lives as long as its price book and an estimate lists a few dozen of them, so the
        # dict is built once per point (kept beside the fields, outside them) and copied (issue 14).
        kept = self.__dict__.get("_kept_dict")
        if kept is None:
            kept = self._as_dict()
            self.__dict__["_kept_dict"] = kept
        return dict(kept)

    def _as_dict(self) -> dict[str, Any]:
        # Six significant figures like every figure (a server's price / its GPUs is 41666.666...).
        out: dict[str, Any] = {"kind": self.kind, "value": significant(self.value), "unit": self.unit,
                               "effective_date": self.as_of, "source": self.source, "table": self.table}
        for name in ("hardware_id", "provider", "product", "region", "market", "scope", "pricing_model"):
            if getattr(self, name):
                out[name] = getattr(self, name)
        if self.life_years is not None:
            out["amortization_years"] = self.life_years
        return out


@dataclass(frozen=True)
class Quote:
    """A price as low / mid / high, where it came from, and what the user should know."""

    band: Band
    unit: str
    source: str
    warnings: tuple[str, ...] = ()
    points: tuple[PricePoint, ...] = ()


@dataclass(frozen=True)
class PriceBook:
    """One version of a pricing table, as the core uses it.

    ``table`` and ``version`` name it (the built-in ``seed`` table has no version number);
    ``fallback`` (the seed book) supplies a kind of price the table has none of, with a warning.
    """

    points: tuple[PricePoint, ...]
    api_prices: dict[str, dict[str, Any]] = field(default_factory=dict)
    table: str = "seed"
    version: int | None = None
    stale_after_days: int = STALE_AFTER_DAYS
    fallback: PriceBook | None = None
    #: Points older than this many days before the newest of their kind are history (not counted).
    current_within_days: int = CURRENT_WITHIN_DAYS
    #: Rows per sheet of the table the book was built from (every sheet of SHEETS listed).
    row_counts: dict[str, int] = field(default_factory=dict)
    #: Quotes already made from this (immutable) book, by kind, hardware and day.
    _quotes: dict[tuple[Any, ...], Quote] = field(default_factory=dict, compare=False, repr=False)
    #: ``find``'s answers from this (immutable) book, by kind and hardware (issue 14: every estimate
    #: asks for a few, and a scan of a book with years of dated points is ~10 us each).
    _found: dict[tuple[str, str], tuple[PricePoint, ...]] = field(default_factory=dict, compare=False, repr=False)
    #: ``prices_for``'s answers from this book, by hardware, catalog, day and the request's overrides.
    _prices: dict[tuple[Any, ...], Prices] = field(default_factory=dict, compare=False, repr=False)

    @property
    def ref(self) -> str:
        return self.table if self.version is None else f"{self.table}@{self.version}"

    def api_price(self, model_id: str) -> dict[str, Any] | None:
        """The public API price of a model: this table's, else the fallback table's."""
        if not self.api_prices and self.fallback is not None:
            return self.fallback.api_price(model_id)
        return self.api_prices.get(model_id)

    def energy_book(self) -> PriceBook:
        """The book whose energy rows an estimate reads: this one, or its fallback when it has none."""
        if not self.find("electricity") and self.fallback is not None:
            return self.fallback
        return self

    def markets(self) -> tuple[str, ...]:
        """The electricity markets of this book's energy rows (its fallback's when it has none), sorted;
        names that compare equal (``_market_key``: case, spacing, invisible characters) once, as first spelt."""
        names: dict[str, str] = {}
        for p in self.energy_book().find("electricity"):
            names.setdefault(_market_key(p.market), p.market)
        return tuple(sorted(names.values()))

    def find(self, kind: str, hardware_id: str = "") -> list[PricePoint]:
        found = self._found.get((kind, hardware_id))
        if found is None:
            if len(self._found) >= QUOTE_MEMO_SIZE:  # inline (custom) GPUs make new keys: stay bounded
                self._found.clear()
            found = self._found[(kind, hardware_id)] = tuple(
                p for p in self.points if p.kind == kind and (not hardware_id or p.hardware_id == hardware_id))
        return list(found)

    @classmethod
    def from_sheets(cls, sheets: Mapping[str, Sequence[Mapping[str, Any]]], *, table: str = "seed",
                    version: int | None = None, fallback: PriceBook | None = None,
                    stale_after_days: int = STALE_AFTER_DAYS) -> PriceBook:
        """Build the book from a pricing table's sheets (rows as mappings of column to value;
        numbers may be numbers or text). Raises CatalogError naming the sheet and row."""
        points: list[PricePoint] = []
        api: dict[str, dict[str, Any]] = {}
        ref = table if version is None else f"{table}@{version}"
        for sheet in SHEETS:
            for line, row in enumerate(sheets.get(sheet, ()), start=2):
                try:
                    if sheet == "api_prices":
                        model, entry = _api_price(row)
                        if model not in api or entry["as_of"] >= api[model]["as_of"]:
                            api[model] = entry
                    else:
                        points.extend(replace(p, table=ref) for p in _points(sheet, row))
                except CatalogError as exc:
                    raise CatalogError(f"{sheet} row {line}: {exc.message}", field=exc.field) from None
        return cls(tuple(points), api, table=table, version=version, fallback=fallback,
                   stale_after_days=stale_after_days, row_counts={s: len(sheets.get(s, ())) for s in SHEETS})


def _date(row: Mapping[str, Any]) -> str:
    as_of = _text(row.get("effective_date"), "effective_date", required=True)
    try:
        dt.date.fromisoformat(as_of)
    except ValueError:
        raise CatalogError(f"'effective_date' must be a date like 2025-03-17, got {as_of!r}.",
                           field="effective_date") from None
    return as_of


def _common(row: Mapping[str, Any]) -> dict[str, Any]:
    return {"as_of": _date(row), "source": _text(row.get("source"), "source", required=True),
            "notes": _text(row.get("notes"), "notes", required=False),
            "product": _text(row.get("product"), "product", required=False)}


def _points(sheet: str, row: Mapping[str, Any]) -> list[PricePoint]:
    """The price points one row of a pricing sheet stands for."""
    common = _common(row)
    region = _text(row.get("region"), "region", required=False)
    if sheet == "gpu_prices":
        return [PricePoint("rent", _text(row.get("gpu"), "gpu", required=True).lower(),
                           _number(row.get("usd_per_gpu_hour"), "usd_per_gpu_hour", required=True),  # type: ignore[arg-type]
                           provider=_text(row.get("provider"), "provider", required=True), region=region,
                           pricing_model=_text(row.get("pricing_model"), "pricing_model", required=True).lower(),
                           **common)]
    if sheet == "hardware_costs":
        capex = _number(row.get("usd_capex"), "usd_capex", required=True)
        gpus = _number(row.get("gpus_per_unit"), "gpus_per_unit", required=True)
        return [PricePoint("purchase", _text(row.get("item"), "item", required=True).lower(),
                           capex / gpus,  # type: ignore[operator]
                           provider=_text(row.get("vendor"), "vendor", required=False),
                           scope=_text(row.get("scope"), "scope", required=True).lower(),
                           life_years=_number(row.get("amortization_years"), "amortization_years", required=False),
                           **common)]
    if sheet == "energy":
        region = _text(row.get("region"), "region", required=True)
        market = _text(row.get("market"), "market", required=False) or region  # absent in older tables
        out = [PricePoint("electricity", "", _number(row.get("usd_per_kwh"), "usd_per_kwh", required=True),  # type: ignore[arg-type]
                          region=region, market=market, **common)]
        for kind, column, positive in (("pue", "pue", True), ("grid", "grid_kgco2_per_kwh", False)):
            value = _number(row.get(column), column, required=False, positive=positive)
            if value is not None:
                out.append(PricePoint(kind, "", value, region=region, market=market, **common))
        return out
    if sheet == "colocation":
        return [PricePoint("hosting", "", _number(row.get("usd_per_kw_month"), "usd_per_kw_month", required=True),  # type: ignore[arg-type]
                           provider=_text(row.get("provider"), "provider", required=False), region=region, **common)]
    raise CatalogError(f"Unknown pricing sheet {sheet!r}; the sheets are {', '.join(SHEETS)}.", field="sheet")


def _api_price(row: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
    common = _common(row)
    return _text(row.get("model"), "model", required=True).lower(), {
        "provider": _text(row.get("provider"), "provider", required=True),
        "product": common["product"],
        "input": _number(row.get("usd_per_million_input_tokens"), "usd_per_million_input_tokens", required=True),
        "cached_input": _number(row.get("usd_per_million_cached_input_tokens"), "usd_per_million_cached_input_tokens",
                                required=False),
        "output": _number(row.get("usd_per_million_output_tokens"), "usd_per_million_output_tokens", required=True),
        "as_of": common["as_of"],
        "source": common["source"],
    }


def read_sheets(directory: Path) -> dict[str, list[dict[str, str]]]:
    """The pricing sheets stored as ``<sheet>.csv`` files in ``directory`` (absent files: no rows)."""
    sheets: dict[str, list[dict[str, str]]] = {}
    for sheet in SHEETS:
        path = directory / f"{sheet}.csv"
        if path.exists():
            with path.open(newline="", encoding="utf-8") as handle:
                sheets[sheet] = list(csv.DictReader(handle))
    return sheets


def load_price_book(directory: Path = SEEDS_DIR / "pricing", *, stale_after_days: int = STALE_AFTER_DAYS) -> PriceBook:
    """The built-in ``seed`` pricing table (seeds/pricing/*.csv)."""
    return PriceBook.from_sheets(read_sheets(directory), table="seed", stale_after_days=stale_after_days)


def _spread(values: Iterable[float]) -> Band:
    ordered = sorted(values)
    return Band(ordered[0], statistics.median(ordered), ordered[-1])


def current(points: Sequence[PricePoint], within_days: int) -> tuple[list[PricePoint], list[PricePoint]]:
    """``points`` split into the current ones (dated within ``within_days`` of the newest, which a
    quote ranges over) and history (older; listed, not counted). Dates are ISO text, so they compare
    as text."""
    if not points:
        return [], []
    newest = max(p.as_of for p in points)
    cutoff = (dt.date.fromisoformat(newest) - dt.timedelta(days=within_days)).isoformat()
    return [p for p in points if p.as_of >= cutoff], [p for p in points if p.as_of < cutoff]


def _per_gpu_current(points: Sequence[PricePoint], within_days: int) -> list[PricePoint]:
    """The current points of each GPU (``current`` applied GPU by GPU), in the book's order."""
    by_gpu: dict[str, list[PricePoint]] = {}
    for p in points:
        by_gpu.setdefault(p.hardware_id, []).append(p)
    kept_ids = {id(p) for group in by_gpu.values() for p in current(group, within_days)[0]}
    return [p for p in points if id(p) in kept_ids]


def _describe(points: Sequence[PricePoint], history: Sequence[PricePoint] = (), within_days: int = 0) -> str:
    parts = [f"{p.provider or p.region or p.source} {p.product} ({p.as_of}): {p.value:g}".replace("  ", " ")
             for p in points]
    unit = f"{points[0].unit}; " if points[0].unit else ""
    text = "; ".join(parts) + f" [{unit}low/mid/high = min/median/max]"
    if history:
        dates = sorted(p.as_of for p in history)
        span = dates[0] if dates[0] == dates[-1] else f"{dates[0]} to {dates[-1]}"
        text += (f"; history, not counted (more than {within_days} days before the newest): {len(history)} "
                 f"point{'s' if len(history) > 1 else ''}, {span}")
    return text


def _market_key(name: str) -> str:
    """A market name as compared: ``checks.plain_text`` (as a pricing key cell), case-folded, spaces collapsed."""
    return " ".join(plain_text(name).casefold().split())


def electricity_market(book: PriceBook, requested: str | None) -> str | None:
    """The market whose energy rows an estimate reads: ``requested`` as the table spells it;
    without one, ``DEFAULT_MARKET`` when the table has rows of it, else None (every row).
    Raises ``UnknownMarketError`` for a market the table has no row of, naming those it has."""
    markets = book.markets()
    key = _market_key(DEFAULT_MARKET if requested is None else requested)
    for market in markets:
        if _market_key(market) == key:
            return market
    if requested is None:
        return None
    shown = requested if len(requested) <= 60 else requested[:57] + "..."
    ref = book.energy_book().ref
    if not markets:
        raise UnknownMarketError(
            f"Pricing table {ref} has no energy rows, so no electricity market {shown!r}: leave "
            "'electricity_market' out (the stated default electricity price applies) or pass 'usd_per_kwh'.",
            field="electricity_market", given=shown, markets=[])
    default = f"for {DEFAULT_MARKET}" if electricity_market(book, None) is not None else "for every row"
    raise UnknownMarketError(
        f"Pricing table {ref} has no electricity market {shown!r}: its energy rows are for "
        f"{', '.join(markets)}. Give one of those as 'electricity_market', or leave it out ({default}).",
        field="electricity_market", given=shown, markets=list(markets))


def _in_market(points: list[PricePoint], kind: str, market: str | None) -> list[PricePoint]:
    if market is None or kind not in ENERGY_KINDS:
        return points
    key = _market_key(market)
    return [p for p in points if _market_key(p.market) == key]


def _market_label(kind: str, market: str | None) -> str:
    return f"market {market if market is not None else 'any (every energy row)'}: " if kind in ENERGY_KINDS else ""


def _age_warnings(points: Sequence[PricePoint], today: dt.date, label: str, stale_after_days: int) -> list[str]:
    newest = max(dt.date.fromisoformat(p.as_of) for p in points)
    if (today - newest).days > stale_after_days:
        return [f"The newest {label} price is from {newest.isoformat()}, more than {stale_after_days} days old."]
    return []


def quote(
    book: PriceBook,
    kind: str,
    hardware: Hardware | None = None,
    catalog: Catalog | None = None,
    today: dt.date | None = None,
    market: str | None = None,
) -> Quote:
    """The book's price of ``kind`` (for ``hardware`` when per GPU) as a Quote.

    Order of resort: the book's own points; for a per-GPU price, the book's other GPUs scaled by
    dense bf16 TFLOP/s; the fallback (seed) book when this book has no price of the kind at all;
    a stated default constant. Every resort past the first adds a warning. An energy kind reads the
    rows of ``market`` (as ``electricity_market`` resolved it; None: every row).
    """
    today = today or dt.date.today()
    key = (kind, hardware if kind in PER_GPU_KINDS else None, id(catalog), today,
           market if kind in ENERGY_KINDS else None)
    cached = book._quotes.get(key)
    if cached is None:
        if len(book._quotes) >= QUOTE_MEMO_SIZE:  # inline (custom) GPUs make new keys: stay bounded
            book._quotes.clear()
        cached = book._quotes[key] = _quote(book, kind, hardware, catalog, today, market)
    return cached


def _quote(book: PriceBook, kind: str, hardware: Hardware | None, catalog: Catalog | None, today: dt.date,
           market: str | None = None) -> Quote:
    hw_id = hardware.id if hardware is not None and kind in PER_GPU_KINDS else ""
    label = f"{kind} ({hardware.name})" if hw_id and hardware else kind
    points, history = current(_in_market(book.find(kind, hw_id), kind, market), book.current_within_days)
    if points:
        warnings = _age_warnings(points, today, label, book.stale_after_days)
        if len(points) == 1:
            warnings.append(f"Only one {label} price in pricing table {book.ref}: low = mid = high.")
        partial = sorted({p.scope for p in points if p.scope in ("gpu", "board")})
        if partial:
            what = " / ".join({"gpu": "the GPU alone", "board": "the GPU baseboard (no CPUs, chassis, network)"}[x] for x in partial)
            warnings.append(f"A {label} price covers {what}, not a whole server: the cost of owning is understated.")
        return Quote(_spread(p.value for p in points), KIND_UNITS[kind],
                     _market_label(kind, market) + _describe(points, history, book.current_within_days),
                     tuple(warnings), tuple(points))
    if not book.find(kind) and book.fallback is not None:
        q = quote(book.fallback, kind, hardware, catalog, today, market)
        return replace(q, warnings=(f"Pricing table {book.ref} has no {kind} prices: used the {book.fallback.ref} "
                                    f"table's.",) + q.warnings, source=f"{book.fallback.ref}: {q.source}")
    if kind in PER_GPU_KINDS and hardware is not None:
        return _fallback_per_gpu(book, kind, hardware, catalog)
    fallback = {"electricity": (d.ELECTRICITY_FALLBACK, d.ELECTRICITY_FALLBACK_SOURCE),
                "hosting": (d.HOSTING_FALLBACK, d.HOSTING_FALLBACK_SOURCE)}[kind]
    return Quote(
        Band.point(fallback[0]),
        KIND_UNITS[kind],
        fallback[1],
        (f"No {kind} price in pricing table {book.ref}; used {fallback[0]:g} {KIND_UNITS[kind]} from {fallback[1]}.",),
    )


def _fallback_per_gpu(book: PriceBook, kind: str, hw: Hardware, catalog: Catalog | None) -> Quote:
    """Median price per dense bf16 TFLOP/s over the book's other GPUs (each GPU's current points),
    scaled to ``hw``."""
    used = [p for p in _per_gpu_current(book.find(kind), book.current_within_days)
            if catalog is not None and p.hardware_id in catalog.hardware]
    per_tflops = [p.value / catalog.hardware[p.hardware_id].bf16_dense_tflops for p in used]  # type: ignore[union-attr]
    unit = KIND_UNITS[kind]
    if not per_tflops:
        raise CatalogError(
            f"Pricing table {book.ref} has no {kind} price for {hw.name} and none to extrapolate from; "
            f"add a {kind} row or pass the price explicitly.",
            field="hardware",
        )
    band = _spread(v * hw.bf16_dense_tflops for v in per_tflops)
    source = f"extrapolated: {kind} prices per dense bf16 TFLOP/s x {hw.bf16_dense_tflops:g} TFLOP/s"
    return Quote(
        band,
        unit,
        source,
        (f"No {kind} price for {hw.name} in pricing table {book.ref}: extrapolated from other GPUs' {unit} "
         f"per bf16 TFLOP/s (mid {band.mid:.4g}). Pass your own price for a real quote.",),
        tuple(used),
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


@dataclass(frozen=True)
class Prices:
    """Everything an estimate takes from the pricing table (or the request), as bands.

    ``life_years`` and the other bands hold the value behind the low / mid / high *cost*: the low
    scenario amortises over the longest life. ``used`` lists every price point that went in;
    ``assumptions`` and ``warnings`` are this section's part of the estimate's.
    """

    rent: Band
    purchase: Band
    electricity: Band
    hosting: Band
    life_years: Band
    pue: Band
    grid_kg_co2_per_kwh: Band
    table: str
    version: int | None
    used: tuple[PricePoint, ...]
    assumptions: tuple[Assumption, ...] = ()
    warnings: tuple[str, ...] = ()

    def pricing_dict(self) -> dict[str, Any]:
        """The result's ``pricing`` section: the table, its version, and each price used."""
        return {"table": self.table, "version": self.version, "prices": [p.to_dict() for p in self.used]}


def given(value: Any) -> bool:
    """Whether the request gives an override: a number (not None or 0), or a numpy array holding
    one per row (a batch estimate runs the pipeline once over rows that differ only in such values)."""
    return isinstance(value, np.ndarray) or bool(value)


def prices_for(book: PriceBook, hardware: Hardware, catalog: Catalog | None, request: Any) -> Prices:
    """Prices, amortisation life, PUE and grid intensity for one estimate.

    The request's own figure wins (``usd_per_gpu_hour``, ``capex_usd_per_gpu``, ``usd_per_kwh``,
    ``pue``, ``grid_kg_co2_per_kwh``); otherwise the pricing table's quote; otherwise the default
    band from defaults.py. The energy sheet's figures come from the rows of the request's
    ``electricity_market`` (``electricity_market``: the default market when it names none). The
    quotes' warnings and one assumption per figure come with the result.

    The answer depends on nothing else of the request, and the book is immutable, so it is kept
    in the book by those six values, the hardware, the catalog and the day (issue 14: ~35 us an
    estimate), as ``quote`` keeps quotes; arrays of rows (a batch estimate) are not kept.
    """
    given_values = (request.usd_per_gpu_hour, request.capex_usd_per_gpu, request.usd_per_kwh, request.pue,
                    request.grid_kg_co2_per_kwh, getattr(request, "electricity_market", None))
    key = (hardware, id(catalog), dt.date.today(), *given_values, *map(type, given_values))
    try:
        found = book._prices.get(key)
    except TypeError:  # an array of rows cannot be hashed
        return _prices_for(book, hardware, catalog, request)
    if found is None:
        if len(book._prices) >= QUOTE_MEMO_SIZE:  # inline (custom) GPUs make new keys: stay bounded
            book._prices.clear()
        found = book._prices[key] = _prices_for(book, hardware, catalog, request)
    return found


def _prices_for(book: PriceBook, hardware: Hardware, catalog: Catalog | None, request: Any) -> Prices:
    overrides = {"rent": request.usd_per_gpu_hour, "purchase": request.capex_usd_per_gpu,
                 "electricity": request.usd_per_kwh, "hosting": None}
    bands: dict[str, Band] = {}
    used: list[PricePoint] = []
    warnings: list[str] = []
    assumptions: list[Assumption] = []
    market = electricity_market(book, getattr(request, "electricity_market", None))
    for kind, name in PRICE_NAMES.items():
        override = overrides[kind]
        if given(override):
            bands[kind] = Band.point(override)
            assumptions.append(Assumption(name, bands[kind], KIND_UNITS[kind], "request"))
            continue
        q = quote(book, kind, hardware, catalog, market=market)
        warnings.extend(q.warnings)
        used.extend(q.points)
        bands[kind] = q.band
        assumptions.append(Assumption(name, q.band, q.unit, f"pricing table {book.ref}: {q.source}"))

    life = d.CAPEX_LIFE_YEARS
    life_source = d.CAPEX_LIFE_SOURCE
    rows = [p for p in current(book.find("purchase", hardware.id), book.current_within_days)[0]
            if p.life_years is not None]
    if not given(request.capex_usd_per_gpu) and rows:
        spread = _spread(p.life_years for p in rows)  # type: ignore[misc]
        life = Band(spread.high, spread.mid, spread.low)  # the longest life gives the lowest cost
        life_source = f"pricing table {book.ref}: amortization_years of the {hardware.name} purchase rows"
    assumptions.append(Assumption("capex_life_years", life, "years", life_source))

    facility: dict[str, tuple[Band, str]] = {}
    for kind, name, value, default, default_source in (
        ("pue", "pue", request.pue, d.PUE, d.PUE_SOURCE),
        ("grid", "grid_kg_co2_per_kwh", request.grid_kg_co2_per_kwh, Band.point(d.GRID_KG_CO2_PER_KWH), d.GRID_SOURCE),
    ):
        points, history = current(_in_market(book.find(kind), kind, market), book.current_within_days)
        if given(value):
            facility[kind] = (Band.point(value), "request")
        elif points:
            used.extend(points)
            facility[kind] = (_spread(p.value for p in points), f"pricing table {book.ref}: {_market_label(kind, market)}"
                                                                f"{_describe(points, history, book.current_within_days)}")
        else:
            facility[kind] = (default, default_source)
        assumptions.append(Assumption(name, facility[kind][0], KIND_UNITS[kind] or "", facility[kind][1]))
    return Prices(rent=bands["rent"], purchase=bands["purchase"], electricity=bands["electricity"],
                  hosting=bands["hosting"], life_years=life, pue=facility["pue"][0],
                  grid_kg_co2_per_kwh=facility["grid"][0], table=book.table, version=book.version, used=tuple(used),
                  assumptions=tuple(assumptions), warnings=tuple(warnings))


@kept(256)
def _contracted(hw: Hardware) -> tuple[float, Assumption]:
    """Contracted colocation kW per GPU: the server's nameplate power per GPU (kept by GPU: the
    same assumption object each time, whose dict ``Assumption.to_dict`` keeps beside it)."""
    kw = power.node_max_power_w_per_gpu(hw) / 1000.0
    return kw, Assumption("contracted_kw_per_gpu", kw, "kW",
                          "server nameplate power per GPU (colocation is billed on contracted capacity)")


@dataclass(frozen=True)
class TrainingCost:
    """The cost of a training run: rent and own, in US dollars."""

    rent_usd: Band
    own_usd: Band
    assumptions: tuple[Assumption, ...] = ()


def training_cost(hw: Hardware, gpu_hours: Band, facility_energy_mwh: Band, prices: Prices) -> TrainingCost:
    """Rent = GPU-hours x $/GPU-hour; own = capex share + facility energy + colocation (``own_usd``)."""
    contracted_kw, assumption = _contracted(hw)
    rent = Band(*(rent_usd(gpu_hours[s], prices.rent[s]) for s in SCENARIOS))
    own = Band(*(
        own_usd(gpu_hours[s], prices.purchase[s], prices.life_years[s], facility_energy_mwh[s] * 1000.0,
                prices.electricity[s], prices.hosting[s], contracted_kw)
        for s in SCENARIOS
    ))
    return TrainingCost(rent, own, (assumption,))


@dataclass(frozen=True)
class ServingCost:
    """US dollars per million input and output tokens, renting and owning the fleet."""

    rent_input: Band
    rent_output: Band
    own_input: Band
    own_output: Band


def serving_cost(hw: Hardware, gpus: Band, prefill_share: Band, requests_per_s: Band, input_tokens: int,
                 output_tokens: int, facility_kw: Band, prices: Prices) -> ServingCost:
    """$ per million tokens: the fleet's cost per hour (``gpus`` GPU-hours each hour, rent or own)
    split between prompt and output tokens by the share of replica time prefill takes
    (``prefill_share``), over the tokens served per hour (``requests_per_s`` x tokens x 3,600)."""
    contracted_kw, _ = _contracted(hw)
    out: dict[str, dict[str, float]] = {"rent_in": {}, "rent_out": {}, "own_in": {}, "own_out": {}}
    for s in SCENARIOS:
        in_per_hour = requests_per_s[s] * input_tokens * d.SECONDS_PER_HOUR
        out_per_hour = requests_per_s[s] * output_tokens * d.SECONDS_PER_HOUR
        per_hour = {"rent": rent_usd(gpus[s], prices.rent[s]),
                    "own": own_usd(gpus[s], prices.purchase[s], prices.life_years[s], facility_kw[s],
                                   prices.electricity[s], prices.hosting[s], contracted_kw)}
        for kind, usd in per_hour.items():
            out[f"{kind}_in"][s] = usd * prefill_share[s] / in_per_hour * 1e6
            out[f"{kind}_out"][s] = usd * (1.0 - prefill_share[s]) / out_per_hour * 1e6
    bands = {k: Band(*(v[s] for s in SCENARIOS)).ascending() for k, v in out.items()}
    return ServingCost(bands["rent_in"], bands["rent_out"], bands["own_in"], bands["own_out"])
