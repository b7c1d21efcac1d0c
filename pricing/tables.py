"""The pricing tables, each declared once: columns, types, units, required flags, descriptions.

This module is the single source for import validation (``pricing.validate``), the empty
template and its documentation sheet (``pricing.export``) and the README's column tables.

A *pricing table* as users see it (``seed``, ``acme-2026q3``) is a named, versioned workbook that
holds any of the sheets below. Each sheet is one ``Table``; a CSV file holds one of them.

Types:
- ``text``    free text, stripped; required text may not be blank.
- ``number``  a finite decimal within its *plausible range*, ``minimum`` to ``maximum`` (both
              declared for every number column, generous yet finite: a price of 1e-320 or an
              amortisation of 1e-300 years made estimates of 1e307 USD); ``exclusive_minimum``
              words the refusal of zero ("a price must be greater than 0").
- ``integer`` a whole number (``8``, ``8.0``; not ``8.5``), with a plausible range like a number.
- ``date``    an ISO date ``2025-03-17`` or a spreadsheet date cell; never in the future.
- ``choice``  one of ``choices`` (case-insensitive; stored lower-case).
- ``gpu``     a hardware id (or alias) of the catalog; stored as the canonical id.
- ``id``      a lower-case identifier (``deepseek-v3``), not checked against the catalog:
              API price lists name closed models the catalog does not hold.
"""

from __future__ import annotations

from dataclasses import dataclass

COLUMN_TYPES = ("text", "number", "integer", "date", "choice", "gpu", "id")


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    description: str
    required: bool = True
    unit: str = ""
    choices: tuple[str, ...] = ()
    minimum: float | None = None
    exclusive_minimum: float | None = None
    maximum: float | None = None
    example: str = ""
    #: Declared after versions were stored: a row without a value digests as before the column existed
    #: (``pricing.store.SheetDigests``), so an old version and its re-import still compare equal.
    added: bool = False

    def __post_init__(self) -> None:
        if self.type not in COLUMN_TYPES:
            raise ValueError(f"Column {self.name}: unknown type {self.type!r}")
        if self.type in ("number", "integer") and (
            self.minimum is None or self.maximum is None or not self.minimum < self.maximum
        ):
            raise ValueError(f"Column {self.name}: a number column declares its plausible range (minimum < maximum)")
        if (self.type == "choice") != bool(self.choices):
            raise ValueError(f"Column {self.name}: choices go with type 'choice' only")


    @property
    def range_text(self) -> str:
        """The plausible range as people read it: ``0.01 to 1,000 USD/GPU-hour``."""
        unit = f" {self.unit}" if self.unit else ""
        return f"{number_text(self.minimum)} to {number_text(self.maximum)}{unit}"


def number_text(value: float | None) -> str:
    """A bound as people read it: ``1,000``, ``0.01``, ``1,000,000,000``."""
    if value is None:
        return ""
    if float(value).is_integer():
        return f"{int(value):,}"
    text = f"{value:.15g}"
    return text if len(text) <= len(repr(float(value))) else repr(float(value))


@dataclass(frozen=True)
class Table:
    name: str
    description: str
    columns: tuple[Column, ...]
    #: Columns whose values together may appear only once in a sheet (duplicate-key check).
    key: tuple[str, ...]

    def column(self, name: str) -> Column:
        for column in self.columns:
            if column.name == name:
                return column
        raise KeyError(name)

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    @property
    def required_columns(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.required)


def _source() -> Column:
    return Column("source", "text", "Where the figure was read: a URL, report or quote reference.",
                  example="Lambda pricing page, 2025-03-01")


def _effective_date() -> Column:
    return Column("effective_date", "date", "The date the price applies from (or was read). Not in the future.",
                  example="2025-03-01")


def _notes() -> Column:
    return Column("notes", "text", "Anything a reader should know about this row.", required=False)


PRICING_MODELS = ("on_demand", "reserved_1y", "reserved_3y", "spot", "capacity_block")
PURCHASE_SCOPES = ("gpu", "board", "server", "rack")

GPU_PRICES = Table(
    name="gpu_prices",
    description="Rental prices per GPU-hour.",
    columns=(
        Column("provider", "text", "Who rents it out.", example="Lambda"),
        Column("region", "text", "Where (provider's region name); blank if not region-specific.",
               required=False, example="us-east-1"),
        Column("gpu", "gpu", "Catalog hardware id.", example="h100-sxm"),
        Column("pricing_model", "choice", "How the price is committed.", choices=PRICING_MODELS,
               example="on_demand"),
        Column("usd_per_gpu_hour", "number", "Price of one GPU for one hour.", unit="USD/GPU-hour",
               exclusive_minimum=0, minimum=0.01, maximum=1000, example="2.99"),
        Column("product", "text", "The instance type or SKU.", required=False, example="8x H100 SXM"),
        _effective_date(),
        _source(),
        _notes(),
    ),
    key=("provider", "region", "gpu", "pricing_model", "product", "effective_date"),
)

HARDWARE_COSTS = Table(
    name="hardware_costs",
    description="Purchase prices: a GPU, a baseboard, a server or a rack, with how many GPUs it holds.",
    columns=(
        Column("item", "gpu", "Catalog hardware id of the GPU the item holds.", example="h100-sxm"),
        Column("product", "text", "What was priced (DGX H100, HGX board, single GPU …).", required=False,
               example="DGX H100"),
        Column("vendor", "text", "Who sells it.", required=False, example="NVIDIA"),
        Column("scope", "choice", "What the price buys: the GPU alone, the GPU baseboard, a whole server, "
               "or a whole rack.", choices=PURCHASE_SCOPES, example="server"),
        Column("usd_capex", "number", "Price of one unit.", unit="USD", exclusive_minimum=0, minimum=100, maximum=1e9,
               example="300000"),
        Column("gpus_per_unit", "integer", "GPUs in one unit.", unit="GPUs", minimum=1, maximum=100_000,
               example="8"),
        Column("amortization_years", "number", "Years over which the unit is written off; blank: the "
               "estimator's default band of 6 / 5 / 4 years.", required=False, unit="years",
               exclusive_minimum=0, minimum=1, maximum=30, example="5"),
        _effective_date(),
        _source(),
        _notes(),
    ),
    key=("item", "vendor", "product", "effective_date"),
)

ENERGY = Table(
    name="energy",
    description="Electricity prices by region, and optionally the facility's PUE and the grid's carbon intensity.",
    columns=(
        Column("region", "text", "Where the electricity is bought.", example="Texas"),
        Column("market", "text", "The electricity market the row prices (an estimate's 'electricity_market' "
               "picks the rows of one: United States unless it names another); blank: the row's region.",
               required=False, example="United States", added=True),
        Column("usd_per_kwh", "number", "Price of one kWh delivered to the facility.", unit="USD/kWh",
               exclusive_minimum=0, minimum=0.001, maximum=10, example="0.066"),
        Column("pue", "number", "Power usage effectiveness (facility power / IT power); blank: the "
               "estimator's default band.", required=False, minimum=1, maximum=5, example="1.2"),
        Column("grid_kgco2_per_kwh", "number", "Carbon intensity of the grid; blank: the estimator's default.",
               required=False, unit="kg CO2/kWh", minimum=0, maximum=2, example="0.37"),
        _effective_date(),
        _source(),
        _notes(),
    ),
    key=("region", "effective_date"),
)

COLOCATION = Table(
    name="colocation",
    description="Colocation (hosting) prices per kW of contracted IT power per month: space, cooling, "
                "power delivery, excluding the electricity itself.",
    columns=(
        Column("region", "text", "Market.", example="North America"),
        Column("provider", "text", "Who quotes it.", required=False, example="CBRE"),
        Column("usd_per_kw_month", "number", "Price of one kW of contracted IT power for one month.",
               unit="USD/kW-month", exclusive_minimum=0, minimum=1, maximum=10_000, example="184.06"),
        Column("product", "text", "What was priced (market, size band).", required=False),
        _effective_date(),
        _source(),
        _notes(),
    ),
    key=("region", "provider", "product", "effective_date"),
)

API_PRICES = Table(
    name="api_prices",
    description="Public API list prices per million tokens, to set beside the estimated cost of serving.",
    columns=(
        Column("provider", "text", "Who sells the API.", example="DeepSeek"),
        Column("model", "id", "Model id (a catalog model id where the catalog has the model).",
               example="deepseek-v3"),
        Column("product", "text", "The provider's name for it.", required=False, example="deepseek-chat"),
        Column("usd_per_million_input_tokens", "number", "Input (prompt) price; the cache-miss price where "
               "the provider has both.", unit="USD/1M tokens", exclusive_minimum=0, minimum=0.001, maximum=10_000,
               example="0.27"),
        Column("usd_per_million_output_tokens", "number", "Output (completion) price.", unit="USD/1M tokens",
               exclusive_minimum=0, minimum=0.001, maximum=10_000, example="1.10"),
        Column("usd_per_million_cached_input_tokens", "number", "Input price on a prompt-cache hit; blank "
               "if none.", required=False, unit="USD/1M tokens", exclusive_minimum=0, minimum=0.001, maximum=10_000,
               example="0.07"),
        _effective_date(),
        _source(),
        _notes(),
    ),
    key=("provider", "model", "product", "effective_date"),
)

TABLES: dict[str, Table] = {t.name: t for t in (GPU_PRICES, HARDWARE_COSTS, ENERGY, COLOCATION, API_PRICES)}

#: The pricing table every estimate uses unless it names another; read from seeds/pricing/.
SEED_TABLE = "seed"


def markdown() -> str:
    """Every table's columns as Markdown (seeds/README.md embeds it; a test keeps it current)."""
    lines: list[str] = []
    for table in TABLES.values():
        lines += [f"### `{table.name}` — {table.description}", "",
                  "| column | type | unit | required | meaning |", "|---|---|---|---|---|"]
        for c in table.columns:
            kind = f"one of {', '.join(f'`{x}`' for x in c.choices)}" if c.choices else c.type
            lines.append(f"| `{c.name}` | {kind} | {c.unit} | {'yes' if c.required else ''} | {c.description} |")
        lines += ["", f"Rows are unique by {', '.join(f'`{k}`' for k in table.key)}.", ""]
    return "\n".join(lines).rstrip() + "\n"


if __name__ == "__main__":  # python -m pricing.tables: refresh the column block of seeds/README.md
    import re
    from pathlib import Path

    readme = Path(__file__).resolve().parent.parent / "seeds" / "README.md"
    text = readme.read_text(encoding="utf-8")
    block = f"<!-- pricing-columns:start -->\n{markdown()}<!-- pricing-columns:end -->"
    readme.write_text(re.sub(r"<!-- pricing-columns:start -->.*<!-- pricing-columns:end -->", lambda _: block, text,
                             flags=re.S), encoding="utf-8")
