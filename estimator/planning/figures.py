"""The figures of the planning results, each declared once (the sibling of ``estimator/figures.py``).

Same ``Figure`` and ``Group`` classes as the estimates' declaration (path, label, unit,
description, ``formula``, kind, type, significant digits), for the results of the planning
modules: a capacity plan and what it produces, rent versus buy, a demand scenario and a
sensitivity analysis. ``results.py`` places every value at its declared path (``figures.assemble``);
the API's response schemas (``app/plan_schemas.py``), the planning pages and downloads
(``app/web/plans.py``) and the CLI's tables read the labels, units and descriptions from here.
``tests/core/test_planning_figures.py`` checks that every leaf of real results is declared and
that every function a ``formula`` names exists.

Pure data: no Flask, no marshmallow, no import of the planning modules.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..bands import significant
from ..figures import BAND, KINDS, RECORD, TYPES, VALUE, Figure, Group

CAPACITY = "capacity"
TRAINING_OUTPUT = "training_output"  # one item of a plan's produces.training
SERVING_OUTPUT = "serving_output"  # one item of a plan's produces.serving
RENT_VS_BUY = "rent_vs_buy"
DEMAND = "demand"
DEMAND_POINT = "demand_point"  # one item of a demand scenario's points
SENSITIVITY = "sensitivity"
TORNADO_BAR = "tornado_bar"
SOBOL_INDEX = "sobol_index"
MIX_PART = "mix_part"  # one GPU of a capacity plan over a mix of GPUs
RESULTS = (CAPACITY, TRAINING_OUTPUT, SERVING_OUTPUT, RENT_VS_BUY, DEMAND, DEMAND_POINT, SENSITIVITY, TORNADO_BAR,
           SOBOL_INDEX, MIX_PART)
#: When a capacity figure is only in a single-GPU plan.
_ONE_GPU = "for one GPU (a mix gives it in each part)"


@dataclass(frozen=True)
class PlanFigure(Figure):
    """A ``Figure`` of a planning result (``workload`` names the result, one of ``RESULTS``)."""

    def __post_init__(self) -> None:
        if self.workload not in RESULTS or self.kind not in KINDS or self.type not in TYPES:
            raise ValueError(f"PlanFigure {self.key}: result, kind or type unknown")
        if (self.type in ("string", "object", "array") or self.kind == RECORD) and self.digits is not None:
            raise ValueError(f"PlanFigure {self.key}: only numbers have significant figures")


_CAP = ("estimator.planning.capacity.plan_capacity",)
_UNIT = ("estimator.planning.structure.unit_economics",)
_RVB = ("estimator.planning.rent_vs_buy.rent_vs_buy", "estimator.planning.rent_vs_buy._scenario")
_DEM = ("estimator.planning.demand.demand_scenario", "estimator.planning.demand.compute_demand_ratio")
_SEN = ("estimator.planning.sensitivity.analyse",)


def _text(result: str, name: str, label: str, description: str, formula: tuple[str, ...] = ()) -> PlanFigure:
    return PlanFigure((name,), result, label, "", description, formula, type="string", digits=None)


def _records(result: str, name: str, label: str, description: str, formula: tuple[str, ...]) -> PlanFigure:
    return PlanFigure((name,), result, label, "", description, formula, kind=RECORD, type="array", digits=None)


def _assumptions(result: str) -> PlanFigure:
    return _records(result, "assumptions", "Assumptions",
                    "Every input used: {name, value, unit, source}; a band holds the value behind each scenario.",
                    ("estimator.bands.Assumption",))


def _warnings(result: str) -> PlanFigure:
    return _records(result, "warnings", "Warnings", "What to be careful about, in words.", _CAP)


def _pricing(result: str) -> PlanFigure:
    return PlanFigure(("pricing",), result, "Prices used", "",
                      "The pricing table (name and version) and every price point used with its source and date.",
                      ("estimator.cost.Prices.pricing_dict",), kind=RECORD, type="object", digits=None)


class Capacity:
    """A capacity plan: what a budget or a power envelope buys and what it costs to run."""

    HARDWARE = _text(CAPACITY, "hardware", "GPU", "Catalog id of the GPU; of a mix, each id and its share "
                     "('h100-sxm:0.5,gb200:0.5').")
    HARDWARE_NAME = _text(CAPACITY, "hardware_name", "GPU name", "The GPU's name in the catalog (of a mix, each with "
                          "its share).")
    BASIS = _text(CAPACITY, "basis", "Sized from", "'budget' (capex in USD) or 'power' (facility MW).")
    SYSTEM_KIND = _text(CAPACITY, "system_kind", "System", "'liquid-cooled rack' (an NVL72-class NVLink domain) or "
                        "'air-cooled server'; 'mix' for a mix of GPUs (each part says its own).",
                        ("estimator.planning.capacity.system_of",))
    GPUS_PER_SYSTEM = PlanFigure(("gpus_per_system",), CAPACITY, "GPUs per system", "GPUs",
                                 "The unit GPUs are bought in: a server, or a rack-scale NVLink domain.",
                                 ("estimator.planning.capacity.system_of",), type="integer", digits=None,
                                 optional=True, when=_ONE_GPU)
    GPUS = PlanFigure(("gpus",), CAPACITY, "GPUs", "GPUs",
                      "Budget / all-in capex per GPU, or facility MW / PUE / nameplate MW per GPU; rounded down to "
                      "whole systems.", _CAP, kind=BAND, type="integer", digits=None)
    SERVERS = PlanFigure(("servers",), CAPACITY, "Servers (compute trays)", "servers", "GPUs / GPUs per server.",
                         _CAP, kind=BAND, type="integer", digits=None)
    RACKS = PlanFigure(("racks",), CAPACITY, "Racks", "racks",
                       "One NVL72 system per liquid-cooled rack; air-cooled: whole servers that fit the rack's kW.",
                       ("estimator.planning.capacity._racks",), kind=BAND, type="integer", digits=None)
    POWER = Group(("power_mw",), CAPACITY, "PlanPower", "The site's power.")
    IT_MW = PlanFigure(("power_mw", "it"), CAPACITY, "Critical IT power (nameplate)", "MW",
                       "GPUs × nameplate server power per GPU: what the site must supply.",
                       (*_CAP, "estimator.planning.structure.nameplate_kw_per_gpu"), kind=BAND)
    FACILITY_MW = PlanFigure(("power_mw", "facility"), CAPACITY, "Facility power (IT × PUE)", "MW",
                             "Nameplate IT power × PUE.", (*_CAP, "estimator.power.facility"), kind=BAND)
    AVERAGE_MW = PlanFigure(("power_mw", "average_facility"), CAPACITY, "Average facility draw", "MW",
                            "GPUs busy a share 'utilisation' of the time and idle the rest, their servers, × PUE.",
                            ("estimator.planning.structure.average_it_w_per_gpu", "estimator.power.facility"), kind=BAND)
    ENERGY = PlanFigure(("energy_mwh_per_year",), CAPACITY, "Facility energy a year", "MWh",
                        "Average facility draw × 8,766 h.", ("estimator.planning.structure.energy_per_gpu_year",),
                        kind=BAND)
    ENERGY_USD = PlanFigure(("energy_usd_per_year",), CAPACITY, "Energy bill a year", "USD",
                            "Facility energy × electricity price.", ("estimator.planning.structure.energy_per_gpu_year",),
                            kind=BAND)
    CO2 = PlanFigure(("co2_t_per_year",), CAPACITY, "Emissions a year", "t CO₂",
                     "Facility energy × the grid's carbon intensity.", (*_UNIT, "estimator.power.co2_tonnes"), kind=BAND)
    CAPEX = Group(("capex_usd",), CAPACITY, "CapexSplit", "Capex by category, USD.")
    CAPEX_SERVERS = PlanFigure(("capex_usd", "servers"), CAPACITY, "GPU servers", "USD",
                               "GPUs × the price book's purchase price per GPU (its scope: GPU, board, server or rack).",
                               _UNIT, kind=BAND)
    CAPEX_NETWORK = PlanFigure(("capex_usd", "network"), CAPACITY, "Network", "USD",
                               "GPUs × scale-out network per GPU.", _UNIT, kind=BAND)
    CAPEX_STORAGE = PlanFigure(("capex_usd", "storage"), CAPACITY, "Storage", "USD",
                               "Storage share × the GPU server bill.", _UNIT, kind=BAND)
    CAPEX_BUILDING = PlanFigure(("capex_usd", "building"), CAPACITY, "Building and power plant", "USD",
                                "$ per MW of critical IT load × nameplate IT MW.", _UNIT, kind=BAND)
    CAPEX_TOTAL = PlanFigure(("capex_usd", "total"), CAPACITY, "Total capex", "USD", "The four categories.", _UNIT,
                             kind=BAND)
    ANNUAL_OWN = PlanFigure(("annual_own_usd",), CAPACITY, "Annual own cost", "USD a year",
                            "IT capex / its life + building / its life + the energy bill (straight-line, as "
                            "cost.own_usd).", _UNIT, kind=BAND)
    OWN_PER_USED_HOUR = PlanFigure(("own_usd_per_used_gpu_hour",), CAPACITY, "Own cost per used GPU-hour",
                                   "USD per GPU-hour", "Annual own cost per GPU / (8,766 h × utilisation).", _UNIT,
                                   kind=BAND, digits=4)
    UTILISATION = PlanFigure(("utilisation",), CAPACITY, "Utilisation (input)", "of GPU-hours",
                             "The share of GPU-hours doing work behind each scenario (the low-cost one is the busiest).",
                             _CAP, kind=BAND, digits=4)
    PER_GPU_CAPEX = PlanFigure(("capex_usd_per_gpu_all_in",), CAPACITY, "All-in capex per GPU", "USD per GPU",
                               "Servers, network, storage and building per GPU.", _UNIT, kind=BAND, optional=True,
                               when=_ONE_GPU)
    KW_PER_GPU = PlanFigure(("nameplate_kw_per_gpu",), CAPACITY, "Nameplate IT power per GPU", "kW",
                            "The GPU and its share of the server's maximum power.",
                            ("estimator.planning.structure.nameplate_kw_per_gpu",), digits=4, optional=True,
                            when=_ONE_GPU)
    PRODUCES = Group(("produces",), CAPACITY, "PlanProduces", "What the fleet produces in a year at the utilisation.",
                     optional=True, when="when a training or serving model was asked")
    PRODUCES_TRAINING = PlanFigure(("produces", "training"), CAPACITY, "Training runs", "",
                                   "Per model: runs a year (see TrainingOutput).",
                                   ("estimator.planning.produce.training_output",), kind=RECORD, type="array",
                                   digits=None, optional=True, when="when 'train' models were asked")
    PRODUCES_SERVING = PlanFigure(("produces", "serving"), CAPACITY, "Tokens served", "",
                                  "Per model: output tokens a day (see ServingOutput).",
                                  ("estimator.planning.produce.serving_output",), kind=RECORD, type="array",
                                  digits=None, optional=True, when="when 'serve' models were asked")
    MIX = PlanFigure(("mix",), CAPACITY, "Each GPU of the mix", "",
                     "Per GPU of a mix: its share and the plan of its share of the budget or power (see MixPart); the "
                     "figures above are then the totals (counts, power, energy and money added up, own cost per used "
                     "GPU-hour weighted by GPUs).", ("estimator.planning.mix.plan_mix",), kind=RECORD, type="array",
                     digits=None, optional=True, when="for a mix of GPUs")
    ASSUMPTIONS = _assumptions(CAPACITY)
    WARNINGS = _warnings(CAPACITY)
    PRICING = dataclasses.replace(_pricing(CAPACITY), optional=True, when=_ONE_GPU)


class MixPartFigures:
    """One GPU of a capacity plan over a mix of GPUs."""

    HARDWARE = _text(MIX_PART, "hardware", "GPU", "Catalog id of the GPU.")
    SHARE = PlanFigure(("share",), MIX_PART, "Share", "", "Its share of the budget or the power.", (), digits=None)
    BUDGET = PlanFigure(("budget_usd",), MIX_PART, "Its budget", "USD", "The request's budget × share.",
                        ("estimator.planning.mix.plan_mix",), digits=None, optional=True, when="sized from a budget")
    POWER = PlanFigure(("power_mw",), MIX_PART, "Its facility power", "MW", "The request's facility MW × share.",
                       ("estimator.planning.mix.plan_mix",), digits=None, optional=True, when="sized from power")
    PLAN = PlanFigure(("plan",), MIX_PART, "Its plan", "", "The capacity plan of this GPU's share (a CapacityPlan).",
                      _CAP, kind=RECORD, type="object", digits=None)


_TRAIN = ("estimator.planning.produce.training_output", "estimator.training.estimate_training")
_SERVE = ("estimator.planning.produce.serving_output", "estimator.inference.estimate_inference")


class TrainingOutputFigures:
    MODEL = _text(TRAINING_OUTPUT, "model", "Model", "Catalog id of the model trained.")
    TOKENS = PlanFigure(("tokens",), TRAINING_OUTPUT, "Tokens per run", "tokens",
                        "As given, or the model's published pre-training tokens.", _TRAIN, digits=None)
    GPUS_PER_RUN = PlanFigure(("gpus_per_run",), TRAINING_OUTPUT, "GPUs per run", "GPUs",
                              "As given, or 16,384 (Llama 3 405B's run) capped at the fleet.", _TRAIN, type="integer",
                              digits=None)
    GPU_HOURS = PlanFigure(("gpu_hours_per_run",), TRAINING_OUTPUT, "GPU-hours per run", "GPU·h",
                           "The training estimate's GPU-hours.", _TRAIN, kind=BAND)
    DAYS = PlanFigure(("days_per_run",), TRAINING_OUTPUT, "Days per run", "days",
                      "The training estimate's wall-clock time on 'gpus_per_run' GPUs.", _TRAIN, kind=BAND)
    RUNS = PlanFigure(("runs_per_year",), TRAINING_OUTPUT, "Runs a year", "runs",
                      "Fleet GPUs × 8,766 h × utilisation / GPU-hours per run.", _TRAIN, kind=BAND, digits=4)
    CONCURRENT = PlanFigure(("concurrent_runs",), TRAINING_OUTPUT, "Runs at once (mid)", "runs",
                            "Fleet GPUs (mid) // GPUs per run.", _TRAIN, type="integer", digits=None)


class ServingOutputFigures:
    MODEL = _text(SERVING_OUTPUT, "model", "Model", "Catalog id of the model served.")
    GPUS_PER_REPLICA = PlanFigure(("gpus_per_replica",), SERVING_OUTPUT, "GPUs per replica", "GPUs",
                                  "The serving estimate's replica that meets the latency targets.", _SERVE,
                                  type="integer", digits=None)
    REPLICAS = PlanFigure(("replicas",), SERVING_OUTPUT, "Replicas (mid)", "replicas",
                          "Fleet GPUs (mid) // GPUs per replica.", _SERVE, type="integer", digits=None)
    REPLICA_TOKENS = PlanFigure(("output_tokens_per_s_per_replica",), SERVING_OUTPUT, "Output tokens/s per replica",
                                "tokens/s", "One replica's capacity at the batch that meets the targets.", _SERVE,
                                kind=BAND)
    TOKENS_PER_DAY = PlanFigure(("output_tokens_per_day",), SERVING_OUTPUT, "Output tokens a day", "tokens",
                                "Replicas × output tokens/s × 86,400 s × utilisation.", _SERVE, kind=BAND, digits=4)


class RentVsBuyFigures:
    HARDWARE = _text(RENT_VS_BUY, "hardware", "GPU", "Catalog id of the GPU.")
    GPUS = PlanFigure(("gpus",), RENT_VS_BUY, "GPUs", "GPUs", "As given.", type="integer", digits=None)
    HORIZON = PlanFigure(("horizon_months",), RENT_VS_BUY, "Horizon", "months", "As given.", type="integer",
                         digits=None)
    UTILISATION = PlanFigure(("utilisation",), RENT_VS_BUY, "Utilisation (input)", "of GPU-hours",
                             "Share of GPU-hours used: renting pays for these only.", _RVB, kind=BAND, digits=4)
    COST_OF_CAPITAL = PlanFigure(("cost_of_capital",), RENT_VS_BUY, "Cost of capital (input)", "per year",
                                 "Annual rate money is discounted at.", _RVB, kind=BAND, digits=4)
    RENT_PRICE = PlanFigure(("rent_usd_per_gpu_hour",), RENT_VS_BUY, "Rental price (input)", "USD per GPU-hour",
                            "The price book's rental price, or the request's.", ("estimator.cost.prices_for",),
                            kind=BAND, digits=4)
    CAPEX = PlanFigure(("capex_usd",), RENT_VS_BUY, "Capex to buy", "USD",
                       "GPUs × all-in capex per GPU (servers, network, storage, building), paid up front.", _RVB,
                       kind=BAND)
    RENT_MONTH = PlanFigure(("rent_usd_per_month",), RENT_VS_BUY, "Rent a month", "USD",
                            "GPUs × 730.5 h × utilisation × rental price.", _RVB, kind=BAND)
    ENERGY_MONTH = PlanFigure(("energy_usd_per_month",), RENT_VS_BUY, "Energy a month when owned", "USD",
                              "The owned fleet's facility energy bill.", _RVB, kind=BAND)
    OWN_HOURLY = PlanFigure(("own_usd_per_gpu_hour",), RENT_VS_BUY, "Owning as an hourly price", "USD per GPU-hour",
                            "Capex × capital recovery factor over its life / 730.5 h + energy per hour.",
                            (*_RVB, "estimator.planning.rent_vs_buy.annuity_factor"), kind=BAND, digits=4)
    BREAK_EVEN_MONTH = PlanFigure(("break_even_month",), RENT_VS_BUY, "Break-even month", "months",
                                  "When the present value of rent reaches that of buying; null: never.",
                                  ("estimator.planning.rent_vs_buy.break_even_month",), kind=BAND, digits=4,
                                  nullable=True)
    BREAK_EVEN_UTILISATION = PlanFigure(("break_even_utilisation",), RENT_VS_BUY, "Break-even utilisation",
                                        "of GPU-hours", "Above it buying costs less over the horizon; null: buying "
                                        "does not pay at any utilisation.", _RVB, kind=BAND, digits=4, nullable=True)
    VERDICT = _text(RENT_VS_BUY, "verdict", "Verdict", "Which costs less, in words.", _RVB)
    BY_MONTH = Group(("by_month",), RENT_VS_BUY, "RentVsBuyByMonth",
                     "Cumulative cost both ways by month (present value, mid estimate).")
    MONTHS = PlanFigure(("by_month", "month"), RENT_VS_BUY, "Month", "", "0 … horizon.", _RVB, kind=RECORD,
                        type="array", digits=None)
    RENT_CUMULATIVE = PlanFigure(("by_month", "rent_usd"), RENT_VS_BUY, "Renting, cumulative", "USD",
                                 "Rent a month × annuity factor.", _RVB, kind=RECORD, type="array", digits=None)
    BUY_CUMULATIVE = PlanFigure(("by_month", "buy_usd"), RENT_VS_BUY, "Buying, cumulative", "USD",
                                "Capex + energy a month × annuity factor.", _RVB, kind=RECORD, type="array",
                                digits=None)
    ASSUMPTIONS = _assumptions(RENT_VS_BUY)
    WARNINGS = _warnings(RENT_VS_BUY)
    PRICING = _pricing(RENT_VS_BUY)


class DemandFigures:
    GAIN = PlanFigure(("efficiency_gain",), DEMAND, "Efficiency gain", "×",
                      "Output per unit of compute after / before: as given, or a comparison's ratio.", _DEM)
    GAIN_SOURCE = _text(DEMAND, "gain_source", "Gain from", "'request', or the comparison behind it.", _DEM)
    STATEMENT = _text(DEMAND, "statement", "In words", "Whether demand for compute rises or falls at each elasticity.",
                      _DEM)
    POINTS = _records(DEMAND, "points", "Scenarios", "One per elasticity (see DemandPoint).", _DEM)
    CURVE = _records(DEMAND, "curve", "Demand curve", "{elasticity, compute_ratio} from 0 to at least 3.", _DEM)
    FLEET = PlanFigure(("fleet",), DEMAND, "Starting fleet", "", "The capacity plan demand is scaled from; null "
                       "when none was given.", _CAP, kind=RECORD, type="object", digits=None, nullable=True)
    ASSUMPTIONS = _assumptions(DEMAND)


class DemandPointFigures:
    LABEL = _text(DEMAND_POINT, "label", "Scenario", "'low', 'mid', 'high' (sourced defaults) or 'given'.")
    ELASTICITY = PlanFigure(("elasticity",), DEMAND_POINT, "Elasticity", "",
                            "Price elasticity of demand for AI output.", digits=4)
    OUTPUT_RATIO = PlanFigure(("output_ratio",), DEMAND_POINT, "AI output demanded", "× today", "gain^ε.", _DEM,
                              digits=4)
    COMPUTE_RATIO = PlanFigure(("compute_ratio",), DEMAND_POINT, "Compute demanded", "× today", "gain^(ε − 1).",
                               _DEM, digits=4)
    DIRECTION = _text(DEMAND_POINT, "direction", "Compute demand", "'rises' (ε > 1), 'unchanged' or 'falls' (ε < 1).",
                      ("estimator.planning.demand.direction",))
    GPUS = PlanFigure(("gpus",), DEMAND_POINT, "GPUs implied", "GPUs", "Starting fleet's GPUs (mid) × compute ratio.",
                      ("estimator.planning.demand._point",), nullable=True)
    FACILITY_MW = PlanFigure(("facility_mw",), DEMAND_POINT, "Facility MW implied", "MW",
                             "Starting fleet's facility MW (mid) × compute ratio.", ("estimator.planning.demand._point",),
                             nullable=True)
    CAPEX = PlanFigure(("capex_usd",), DEMAND_POINT, "Capex implied", "USD",
                       "Starting fleet's capex (mid) × compute ratio.", ("estimator.planning.demand._point",),
                       nullable=True)
    ANNUAL_OWN = PlanFigure(("annual_own_usd",), DEMAND_POINT, "Annual spend implied", "USD a year",
                            "Starting fleet's annual own cost (mid) × compute ratio.",
                            ("estimator.planning.demand._point",), nullable=True)


class SensitivityFigures:
    METRIC = _text(SENSITIVITY, "metric", "Output explained", "The plan figure analysed.", _SEN)
    LABEL = _text(SENSITIVITY, "label", "Output", "What the metric is, and its unit.", _SEN)
    AT_MID = PlanFigure(("output_at_mid",), SENSITIVITY, "Output with every input at mid", "", "The metric at mid.",
                        ("estimator.planning.sensitivity.evaluate",))
    EVALUATIONS = PlanFigure(("evaluations",), SENSITIVITY, "Model evaluations", "",
                             "Sobol samples N × (D + 2) plus the tornado's 2 × D + 1.", _SEN, type="integer",
                             digits=None)
    SAMPLES = PlanFigure(("samples",), SENSITIVITY, "Base samples N", "", "As given (a power of 2).", _SEN,
                         type="integer", digits=None)
    FIXED = _records(SENSITIVITY, "fixed", "Inputs with one value", "Left out: their band is a single value.", _SEN)
    TORNADO = _records(SENSITIVITY, "tornado", "Tornado", "Largest swing first (see TornadoBar).", _SEN)
    SOBOL = _records(SENSITIVITY, "sobol", "Sobol indices", "Largest total index first (see SobolIndex).", _SEN)
    PLAN = PlanFigure(("plan",), SENSITIVITY, "Plan analysed", "", "The capacity plan.", _CAP, kind=RECORD,
                      type="object", digits=None, optional=True, when="for a capacity plan")
    ESTIMATE = PlanFigure(("estimate",), SENSITIVITY, "Estimate analysed", "",
                          "The training or serving estimate at the request's values.",
                          ("estimator.planning.estimate_sensitivity.analyse_estimate",), kind=RECORD, type="object",
                          digits=None, optional=True, when="for a training or serving estimate")


class TornadoBarFigures:
    NAME = _text(TORNADO_BAR, "name", "Input", "An input of the plan's unit economics.")
    LOW_INPUT = PlanFigure(("low_input",), TORNADO_BAR, "Lowest value", "", "Its band's lowest value.", digits=6)
    HIGH_INPUT = PlanFigure(("high_input",), TORNADO_BAR, "Highest value", "", "Its band's highest value.", digits=6)
    AT_LOW = PlanFigure(("output_at_low",), TORNADO_BAR, "Output at the lowest", "", "Others at mid.",
                        ("estimator.planning.sensitivity._bar",))
    AT_HIGH = PlanFigure(("output_at_high",), TORNADO_BAR, "Output at the highest", "", "Others at mid.",
                         ("estimator.planning.sensitivity._bar",))
    SWING = PlanFigure(("swing",), TORNADO_BAR, "Swing", "", "|output at highest − output at lowest|.",
                       ("estimator.planning.sensitivity.TornadoBar.swing",))


class SobolIndexFigures:
    NAME = _text(SOBOL_INDEX, "name", "Input", "An input of the plan's unit economics.")
    S1 = PlanFigure(("first_order",), SOBOL_INDEX, "First-order index S1", "",
                    "Share of the output's variance from this input alone (SALib).", _SEN, digits=4)
    S1_CONF = PlanFigure(("first_order_conf",), SOBOL_INDEX, "S1 ± (95 %)", "", "Bootstrap half-width.", _SEN,
                         digits=3)
    ST = PlanFigure(("total",), SOBOL_INDEX, "Total index ST", "",
                    "Share of the variance from this input with its interactions (SALib).", _SEN, digits=4)
    ST_CONF = PlanFigure(("total_conf",), SOBOL_INDEX, "ST ± (95 %)", "", "Bootstrap half-width.", _SEN, digits=3)


def declared(namespace: type) -> tuple[Figure | Group, ...]:
    return tuple(v for v in vars(namespace).values() if isinstance(v, Figure | Group))


ENTRIES: dict[str, tuple[Figure | Group, ...]] = {
    CAPACITY: declared(Capacity), TRAINING_OUTPUT: declared(TrainingOutputFigures),
    SERVING_OUTPUT: declared(ServingOutputFigures), RENT_VS_BUY: declared(RentVsBuyFigures),
    DEMAND: declared(DemandFigures), DEMAND_POINT: declared(DemandPointFigures),
    SENSITIVITY: declared(SensitivityFigures), TORNADO_BAR: declared(TornadoBarFigures),
    SOBOL_INDEX: declared(SobolIndexFigures), MIX_PART: declared(MixPartFigures),
}
#: The OpenAPI schema name of each result.
SCHEMA_NAMES = {CAPACITY: "CapacityPlan", TRAINING_OUTPUT: "TrainingOutput", SERVING_OUTPUT: "ServingOutput",
                RENT_VS_BUY: "RentVsBuy", DEMAND: "DemandScenario", DEMAND_POINT: "DemandPoint",
                SENSITIVITY: "Sensitivity", TORNADO_BAR: "TornadoBar", SOBOL_INDEX: "SobolIndex",
                MIX_PART: "MixPart"}
#: Records that are lists of another result's items.
ITEMS = {(CAPACITY, "produces.training"): TRAINING_OUTPUT, (CAPACITY, "produces.serving"): SERVING_OUTPUT,
         (CAPACITY, "mix"): MIX_PART,
         (DEMAND, "points"): DEMAND_POINT, (SENSITIVITY, "tornado"): TORNADO_BAR, (SENSITIVITY, "sobol"): SOBOL_INDEX}


def figures_of(result: str) -> tuple[Figure, ...]:
    return tuple(e for e in ENTRIES[result] if isinstance(e, Figure))


def members(result: str, path: tuple[str, ...] = ()) -> tuple[Figure | Group, ...]:
    """The figures and groups directly under ``path`` of a result, in declaration order."""
    depth = len(path)
    return tuple(e for e in ENTRIES[result] if len(e.path) == depth + 1 and e.path[:depth] == path)


def find(result: str, key: str) -> Figure | None:
    return next((f for f in figures_of(result) if f.key == key), None)


def band(figure: Figure, value: Mapping[str, Any] | Any) -> dict[str, Any]:
    """A band's JSON: each member to the figure's digits (None stays None)."""
    members_ = value if isinstance(value, Mapping) else {"low": value.low, "mid": value.mid, "high": value.high}
    if figure.digits is None:
        return {s: (int(v) if figure.type == "integer" and v is not None else v) for s, v in members_.items()}
    return {s: (None if v is None else significant(v, figure.digits)) for s, v in members_.items()}


def value(figure: Figure, raw: Any) -> Any:
    """A single value's JSON to the figure's digits."""
    if raw is None or figure.digits is None:
        return raw
    return significant(raw, figure.digits)


__all__ = ["BAND", "VALUE", "PlanFigure", "ENTRIES", "members", "find", "band", "value"]
