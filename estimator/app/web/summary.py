"""What a result page shows before its tables: the few figures people look for first (GPUs, days,
power, dollars) and the charts.

Both read the core's result dicts as they are; the only arithmetic is a change of unit (kW to
MW), and for a serving fleet its GPU band (replicas × GPUs per replica) and GPU-hours per day
(those GPUs × 24 h).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from .charts import Bar, Chart
from .present import SCENARIOS, _get, fmt, ran_rows


@dataclass(frozen=True)
class Stat:
    """One headline figure: its mid value, unit and (where the core gives one) low–high range."""

    label: str
    value: Any
    unit: str
    low: Any = None
    high: Any = None
    key: str = ""
    note: str = ""

    @property
    def text(self) -> str:
        return fmt(self.value)

    @property
    def range_text(self) -> str:
        if self.low is None or self.high is None or self.low == self.high:
            return ""
        return f"{fmt(self.low)} to {fmt(self.high)}"



def _band(result: Mapping[str, Any], path: str) -> Mapping[str, Any] | None:
    band = _get(result, path)
    return band if isinstance(band, Mapping) and set(SCENARIOS) <= set(band) else None


def _scaled(band: Mapping[str, Any], factor: float) -> dict[str, float]:
    return {s: band[s] * factor for s in SCENARIOS}


def power_unit(kilowatts: float) -> tuple[str, float]:
    """MW from 1,000 kW up, else kW: (unit, factor from kW)."""
    return ("MW", 1e-3) if kilowatts >= 1000 else ("kW", 1.0)


def _stat_from_band(label: str, result: Mapping[str, Any], path: str, unit: str, note: str = "") -> Stat | None:
    band = _band(result, path)
    if band is None:
        return None
    return Stat(label, band["mid"], unit, band["low"], band["high"], f"{path}.mid", note)


def _power_stat(
    result: Mapping[str, Any], path: str, label: str, note: str, unit: tuple[str, float] | None = None
) -> Stat | None:
    band = _band(result, path)
    if band is None:
        return None
    unit, factor = unit or power_unit(band["high"])
    scaled = _scaled(band, factor)
    key = f"{path}.mid" if factor == 1.0 else ""  # a data-key names the result's own figure, in its unit
    return Stat(label, scaled["mid"], unit, scaled["low"], scaled["high"], key, note)


def _fleet_gpus(result: Mapping[str, Any]) -> dict[str, Any] | None:
    """A serving fleet's GPUs, low / mid / high: its replicas band × GPUs per replica."""
    replicas, per_replica = _band(result, "replicas_range"), result.get("gpus_per_replica")
    if replicas is None or not isinstance(per_replica, int):
        return None
    return {s: replicas[s] * per_replica for s in SCENARIOS}


#: Where a result's headline power figure is: its facility power (training) or the facility power
#: its fleet must be supplied with (serving).
POWER_PATH = {"training": "power_kw.facility", "inference": "provisioned_power_kw.facility"}


def stats(kind: str, result: Mapping[str, Any], power: tuple[str, float] | None = None) -> list[Stat]:
    """The summary figures of a training or serving estimate (mid, with the range). ``power`` is
    the (unit, factor from kW) to show power in; by default MW from 1,000 kW up, else kW."""
    out: list[Stat | None]
    if kind == "training":
        deadline = _band(result, "gpu_count_for_deadline")
        gpus = (
            Stat("GPUs", deadline["mid"], "GPUs", deadline["low"], deadline["high"], "gpu_count_for_deadline.mid")
            if deadline
            else Stat("GPUs", result.get("gpu_count"), "GPUs", key="gpu_count", note="as given")
        )
        out = [
            gpus,
            _stat_from_band("Wall-clock time", result, "wall_clock_days", "days"),
            _power_stat(result, POWER_PATH["training"], "Facility power", "IT power × PUE", power),
            _stat_from_band("Cost, renting", result, "cost_usd.rent", "USD", "GPU-hours × rental price"),
            _stat_from_band("Cost, owning", result, "cost_usd.own", "USD", "capex share, energy, hosting"),
        ]
    elif kind == "inference":
        fleet = _fleet_gpus(result)
        api = result.get("api_price_usd_per_million_tokens")
        api_note = f"{api.get('provider')} lists {fmt(api.get('output'))} USD" if isinstance(api, Mapping) else ""
        out = [
            Stat(
                "GPUs in the fleet",
                result.get("gpu_count"),
                "GPUs",
                fleet["low"] if fleet else None,
                fleet["high"] if fleet else None,
                "gpu_count",
                f"{fmt(result.get('replicas'))} replica(s) of {fmt(result.get('gpus_per_replica'))}",
            ),
            _power_stat(result, POWER_PATH["inference"], "Facility power to supply", "every GPU busy, × PUE", power),
            _stat_from_band("Energy per day", result, "energy_mwh_per_day", "MWh", "at the average load"),
            _stat_from_band(
                "Cost per million output tokens",
                result,
                "cost_usd_per_million_tokens.output.rent",
                "USD",
                api_note or "renting the GPUs",
            ),
        ]
    else:
        out = []
    return [s for s in out if s is not None]


def gpu_hours_per_day(result: Mapping[str, Any]) -> Stat | None:
    """A serving fleet's GPU-hours per day: its GPUs (low / mid / high) × 24 h. The core gives no
    fleet cost per day, and multiplying its bands here would pair a low GPU count with a low price
    the core may not have paired, so the cost stays per million tokens."""
    fleet, gpus = _fleet_gpus(result), result.get("gpu_count")
    if fleet is None or not isinstance(gpus, int | float):
        return None
    return Stat("GPU-hours per day", gpus * 24, "GPU·h", fleet["low"] * 24, fleet["high"] * 24, note="its GPUs × 24 h")


@dataclass(frozen=True)
class ModelCard:
    """One model of a comparison: its name and summary figures."""

    name: str
    baseline: bool
    stats: tuple[Stat, ...]


def model_cards(result: Mapping[str, Any], names: Mapping[str, str]) -> list[ModelCard]:
    """A comparison's summary: a card per model with the figures a single estimate leads with
    (training: GPUs, days, facility power, the cost renting and owning; serving: the fleet's GPUs,
    its GPU-hours per day, the facility power to supply, energy per day and cost per million
    output tokens).

    One card per model rather than the baseline against "the most efficient" one: which model is
    most efficient depends on the figure (the cheapest per token need not need the fewest GPUs),
    so picking one would hide the trade-off the comparison is for; and with at most ten models, a
    card each stays short. Power is in one unit across the cards (MW as soon as any model needs
    1,000 kW), so the cards read side by side. A model that cannot run has no card: the page
    says why right under them. Each figure's path starts ``rows.<i>.``, its place in the rows.
    """
    rows = ran_rows(result)
    workload = str(result.get("workload", ""))
    highest = max(
        (b["high"] for _, r in rows if (b := _band(r, POWER_PATH.get(workload, ""))) is not None), default=0.0
    )
    power = power_unit(highest)
    cards = []
    for i, row in rows:
        figures = stats(workload, row, power)
        if workload == "inference" and (per_day := gpu_hours_per_day(row)) is not None:
            figures.insert(1, per_day)
        model = str(row["model"])
        cards.append(
            ModelCard(
                names.get(model, model),
                model == result.get("baseline"),
                tuple(replace(s, key=f"rows.{i}.{s.key}") if s.key else s for s in figures),
            )
        )
    return cards


# --- Charts ------------------------------------------------------------------------------------------
def _bar(label: str, band: Mapping[str, Any] | None, factor: float = 1.0) -> Bar:
    if band is None:
        return Bar(label, None)
    return Bar(label, band["mid"] * factor, band["low"] * factor, band["high"] * factor)


def _power_chart(title: str, bars: Sequence[tuple[str, Mapping[str, Any] | None]], note: str = "") -> Chart:
    highest = max((b["high"] for _, b in bars if b is not None), default=0.0)
    unit, factor = power_unit(highest)
    return Chart(title, unit, tuple(_bar(label, band, factor) for label, band in bars), note)


def _training_charts(result: Mapping[str, Any]) -> list[Chart]:
    return [
        Chart(
            "Cost of the run",
            "USD",
            (
                _bar("Renting the GPUs", _band(result, "cost_usd.rent")),
                _bar("Owning them", _band(result, "cost_usd.own")),
            ),
        ),
        _power_chart(
            "Power while training",
            (
                ("IT (GPUs and servers)", _band(result, "power_kw.it")),
                ("Facility (IT × PUE)", _band(result, "power_kw.facility")),
            ),
        ),
    ]


def _inference_charts(result: Mapping[str, Any]) -> list[Chart]:
    api = result.get("api_price_usd_per_million_tokens")
    charts = []
    for side, title in (("output", "Cost per million output tokens"), ("input", "Cost per million input tokens")):
        bars = [
            _bar("Renting the GPUs", _band(result, f"cost_usd_per_million_tokens.{side}.rent")),
            _bar("Owning them", _band(result, f"cost_usd_per_million_tokens.{side}.own")),
        ]
        if isinstance(api, Mapping) and isinstance(api.get(side), int | float):
            bars.append(Bar(f"Public API price ({api.get('provider')})", float(api[side])))
        charts.append(Chart(title, "USD per million tokens", tuple(bars)))
    charts.append(
        _power_chart(
            "Power of the fleet",
            (
                ("IT, at the average load", _band(result, "power_kw.it")),
                ("Facility, at the average load", _band(result, "power_kw.facility")),
                ("Facility, every GPU busy (to supply)", _band(result, "provisioned_power_kw.facility")),
            ),
        )
    )
    return charts


def _rows(result: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return [r for r in result.get("rows", ()) if isinstance(r, Mapping) and "model" in r]


def _comparison_charts(result: Mapping[str, Any], names: Mapping[str, str]) -> list[Chart]:
    rows = _rows(result)

    def label(row: Mapping[str, Any]) -> str:
        return names.get(str(row["model"]), str(row["model"]))

    def per_model(title: str, unit: str, path: str, note: str = "") -> Chart:
        return Chart(title, unit, tuple(_bar(label(r), _band(r, path)) for r in rows), note)

    def power(title: str, path: str) -> Chart:
        return _power_chart(title, [(label(r), _band(r, path)) for r in rows])

    if result.get("workload") == "training":
        gpus = []
        for r in rows:
            deadline = _band(r, "gpu_count_for_deadline")
            count = r.get("gpu_count")
            gpus.append(_bar(label(r), deadline) if deadline else Bar(label(r), count if "error" not in r else None))
        return [
            per_model("GPU-hours", "GPU-hours", "gpu_hours"),
            per_model("Wall-clock time", "days", "wall_clock_days"),
            Chart("GPUs", "GPUs", tuple(gpus)),
            power("Facility power", "power_kw.facility"),
            per_model("Cost to rent the GPUs", "USD", "cost_usd.rent"),
        ]
    return [
        per_model(
            "Cost per million output tokens, renting",
            "USD per million tokens",
            "cost_usd_per_million_tokens.output.rent",
        ),
        per_model(
            "Cost per million input tokens, renting", "USD per million tokens", "cost_usd_per_million_tokens.input.rent"
        ),
        Chart(
            "GPUs in the fleet",
            "GPUs",
            tuple(_bar(label(r), _fleet_gpus(r)) if "error" not in r else Bar(label(r), None) for r in rows),
        ),
        power("Facility power to supply", "provisioned_power_kw.facility"),
        Chart(
            "Output tokens per GPU-hour",
            "tokens per GPU-hour",
            tuple(
                Bar(label(r), (result.get("metrics") or {}).get(r["model"], {}).get("output_tokens_per_gpu_hour"))
                for r in rows
            ),
            "More is better: the work the same compute buys.",
        ),
    ]


def charts(kind: str, result: Mapping[str, Any], names: Mapping[str, str]) -> list[Chart]:
    """The charts of a result: per side of one estimate, or per model of a comparison."""
    if kind == "training":
        return _training_charts(result)
    if kind == "inference":
        return _inference_charts(result)
    return _comparison_charts(result, names)
