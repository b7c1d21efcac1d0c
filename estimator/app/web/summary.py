"""What a result page shows before its tables: the few figures people look for first (GPUs, days,
power, dollars) and the charts.

Both read the core's result dicts as they are; the only arithmetic is a change of unit (kW to
MW), and for a serving fleet its GPU band (replicas × GPUs per replica) and GPU-hours per day
(those GPUs × 24 h). Each figure is found through its declaration in ``estimator/figures.py``;
the short card and bar labels are this module's.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from estimator import figures
from estimator.figures import Figure

from .charts import Bar, Chart
from .present import SCENARIOS, counted, fmt, ran_rows

T, S = figures.Training, figures.Serving


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



def _scaled(band: Mapping[str, Any], factor: float) -> dict[str, float]:
    return {s: band[s] * factor for s in SCENARIOS}


def power_unit(kilowatts: float) -> tuple[str, float]:
    """MW from 1,000 kW up, else kW: (unit, factor from kW)."""
    return ("MW", 1e-3) if kilowatts >= 1000 else ("kW", 1.0)


def _stat_from_band(label: str, result: Mapping[str, Any], f: Figure, note: str = "", unit: str = "") -> Stat | None:
    band = f.band(result)
    if band is None:
        return None
    return Stat(label, band["mid"], unit or f.unit, band["low"], band["high"], f"{f.key}.mid", note)


def _power_stat(
    result: Mapping[str, Any], f: Figure, label: str, note: str, power: tuple[str, float] | None = None
) -> Stat | None:
    band = f.band(result)
    if band is None:
        return None
    unit, factor = power or power_unit(band["high"])
    scaled = _scaled(band, factor)
    key = f"{f.key}.mid" if factor == 1.0 else ""  # a data-key names the result's own figure, in its unit
    return Stat(label, scaled["mid"], unit, scaled["low"], scaled["high"], key, note)


def _fleet_gpus(result: Mapping[str, Any]) -> dict[str, Any] | None:
    """A serving fleet's GPUs, low / mid / high: its replicas band × GPUs per replica."""
    replicas, per_replica = S.REPLICAS_RANGE.band(result), S.GPUS_PER_REPLICA.value(result)
    if replicas is None or not isinstance(per_replica, int):
        return None
    return {s: replicas[s] * per_replica for s in SCENARIOS}


#: A result's headline power figure: its facility power (training) or the facility power its fleet
#: must be supplied with (serving).
POWER = {figures.TRAINING: T.POWER_FACILITY, figures.INFERENCE: S.PROVISIONED_FACILITY}


def stats(kind: str, result: Mapping[str, Any], power: tuple[str, float] | None = None) -> list[Stat]:
    """The summary figures of a training or serving estimate (mid, with the range). ``power`` is
    the (unit, factor from kW) to show power in; by default MW from 1,000 kW up, else kW."""
    out: list[Stat | None]
    if kind == figures.TRAINING:
        deadline = T.GPUS_FOR_DEADLINE.band(result)
        gpus = (
            Stat("GPUs", deadline["mid"], T.GPUS_FOR_DEADLINE.unit, deadline["low"], deadline["high"],
                 f"{T.GPUS_FOR_DEADLINE.key}.mid")
            if deadline
            else Stat("GPUs", T.GPU_COUNT.value(result), T.GPU_COUNT.unit, key=T.GPU_COUNT.key, note="as given")
        )
        out = [
            gpus,
            _stat_from_band("Wall-clock time", result, T.WALL_CLOCK_DAYS),
            _power_stat(result, POWER[kind], "Facility power", "IT power × PUE", power),
            _stat_from_band("Cost, renting", result, T.RENT, "GPU-hours × rental price"),
            _stat_from_band("Cost, owning", result, T.OWN, "capex share, energy, hosting"),
        ]
    elif kind == figures.INFERENCE:
        fleet = _fleet_gpus(result)
        api = S.API_PRICE.value(result)
        api_note = f"{api.get('provider')} lists {fmt(api.get('output'))} USD" if isinstance(api, Mapping) else ""
        out = [
            Stat(
                "GPUs in the fleet",
                S.GPU_COUNT.value(result),
                S.GPU_COUNT.unit,
                fleet["low"] if fleet else None,
                fleet["high"] if fleet else None,
                S.GPU_COUNT.key,
                f"{counted(S.REPLICAS.value(result), 'replica')} of {counted(S.GPUS_PER_REPLICA.value(result), 'GPU')}",
            ),
            _power_stat(result, POWER[kind], "Facility power to supply", "every GPU busy, × PUE", power),
            _stat_from_band("Energy per day", result, S.ENERGY_PER_DAY, "at the average load"),
            _stat_from_band(
                "Cost per million output tokens", result, S.COST_OUTPUT_RENT, api_note or "renting the GPUs", "USD"
            ),
        ]
    else:
        out = []
    return [s for s in out if s is not None]


def gpu_hours_per_day(result: Mapping[str, Any]) -> Stat | None:
    """A serving fleet's GPU-hours per day: its GPUs (low / mid / high) × 24 h. The core gives no
    fleet cost per day, and multiplying its bands here would pair a low GPU count with a low price
    the core may not have paired, so the cost stays per million tokens."""
    fleet, gpus = _fleet_gpus(result), S.GPU_COUNT.value(result)
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
    headline = POWER.get(workload)
    highest = max(
        (b["high"] for _, r in rows if headline is not None and (b := headline.band(r)) is not None), default=0.0
    )
    power = power_unit(highest)
    cards = []
    for i, row in rows:
        stats_ = stats(workload, row, power)
        if workload == figures.INFERENCE and (per_day := gpu_hours_per_day(row)) is not None:
            stats_.insert(1, per_day)
        model = str(row["model"])
        cards.append(
            ModelCard(
                names.get(model, model),
                model == result.get("baseline"),
                tuple(replace(s, key=f"rows.{i}.{s.key}") if s.key else s for s in stats_),
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
            T.RENT.unit,
            (_bar("Renting the GPUs", T.RENT.band(result)), _bar("Owning them", T.OWN.band(result))),
        ),
        _power_chart(
            "Power while training",
            (
                ("IT (GPUs and servers)", T.POWER_IT.band(result)),
                ("Facility (IT × PUE)", T.POWER_FACILITY.band(result)),
            ),
        ),
    ]


def _inference_charts(result: Mapping[str, Any]) -> list[Chart]:
    api = S.API_PRICE.value(result)
    charts = []
    for title, rent, own in (
        ("Cost per million output tokens", S.COST_OUTPUT_RENT, S.COST_OUTPUT_OWN),
        ("Cost per million input tokens", S.COST_INPUT_RENT, S.COST_INPUT_OWN),
    ):
        side = rent.path[-2]  # input or output: the API price's member for the same tokens
        bars = [_bar("Renting the GPUs", rent.band(result)), _bar("Owning them", own.band(result))]
        if isinstance(api, Mapping) and isinstance(api.get(side), int | float):
            bars.append(Bar(f"Public API price ({api.get('provider')})", float(api[side])))
        charts.append(Chart(title, rent.unit, tuple(bars)))
    charts.append(
        _power_chart(
            "Power of the fleet",
            (
                ("IT, at the average load", S.POWER_IT.band(result)),
                ("Facility, at the average load", S.POWER_FACILITY.band(result)),
                ("Facility, every GPU busy (to supply)", S.PROVISIONED_FACILITY.band(result)),
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

    def per_model(title: str, f: Figure, unit: str = "") -> Chart:
        return Chart(title, unit or f.unit, tuple(_bar(label(r), f.band(r)) for r in rows))

    def power(title: str, f: Figure) -> Chart:
        return _power_chart(title, [(label(r), f.band(r)) for r in rows])

    if result.get("workload") == figures.TRAINING:
        gpus = []
        for r in rows:
            deadline = T.GPUS_FOR_DEADLINE.band(r)
            count = T.GPU_COUNT.value(r)
            gpus.append(_bar(label(r), deadline) if deadline else Bar(label(r), count if "error" not in r else None))
        return [
            per_model("GPU-hours", T.GPU_HOURS, "GPU-hours"),
            per_model("Wall-clock time", T.WALL_CLOCK_DAYS),
            Chart("GPUs", T.GPU_COUNT.unit, tuple(gpus)),
            power("Facility power", T.POWER_FACILITY),
            per_model("Cost to rent the GPUs", T.RENT),
        ]
    per_gpu_hour = figures.OUTPUT_TOKENS_PER_GPU_HOUR
    return [
        per_model("Cost per million output tokens, renting", S.COST_OUTPUT_RENT),
        per_model("Cost per million input tokens, renting", S.COST_INPUT_RENT),
        Chart(
            "GPUs in the fleet",
            S.GPU_COUNT.unit,
            tuple(_bar(label(r), _fleet_gpus(r)) if "error" not in r else Bar(label(r), None) for r in rows),
        ),
        power("Facility power to supply", S.PROVISIONED_FACILITY),
        Chart(
            "Output tokens per GPU-hour",
            "tokens per GPU-hour",
            tuple(Bar(label(r), (result.get("metrics") or {}).get(r["model"], {}).get(per_gpu_hour.name)) for r in rows),
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
