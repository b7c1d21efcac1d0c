"""marshmallow schemas of the planning endpoints: strict requests (types, ranges, unknown fields
rejected, list lengths capped) with OpenAPI examples, and response schemas built from the planning
figures' declaration (``estimator/planning/figures.py``), documentation only (responses are the
core's dicts, ``estimator.planning.results``).

The forms of the planning pages (``web/plans.py``) load through these same request schemas.
"""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from estimator import figures as F
from estimator.catalog import PRECISION_PEAK_FIELD, PRECISIONS, Catalog
from estimator.defaults import SERVING_COMPUTE_PRECISION, SERVING_PRECISIONS
from estimator.planning import capacity, demand, estimate_sensitivity, mix, rent_vs_buy, sensitivity
from estimator.planning import figures as pf

from .schemas import (
    ID_TEXT,
    POSITIVE,
    SAFE_TEXT,
    SERVING_PRECISION_RULE,
    TRAINING_PRECISION_RULE,
    TRAINING_REQUEST_PRECISION_RULE,
    AssumptionSchema,
    InferenceRequestSchema,
    PricingSchema,
    Rules,
    StrictFloat,
    StrictInteger,
    TrainingRequestSchema,
    Within,
    _PriceFields,
    _StrictSchema,
    any_case,
    hardware_names,
    not_both,
    one_of,
    positive,
)

SHARE = [validate.Range(min=0, max=1)]
SHARE_ABOVE_ZERO = [validate.Range(min=0, max=1, min_inclusive=False)]
MAX_ITEMS = 4  # models per 'train' or 'serve' list


def _doc(description: str, example: Any = None) -> dict[str, Any]:
    meta: dict[str, Any] = {"description": description}
    if example is not None:
        meta["example"] = example
    return meta


def _capped(inner: Schema | type[Schema], most: int, description: str) -> fields.List:
    return fields.List(fields.Nested(inner), validate=validate.Length(min=1, max=most),
                       metadata=_doc(f"{description} At most {most}."))


class TrainWhatSchema(_StrictSchema):
    """A training run the fleet could repeat: a catalog model, its tokens and GPUs per run."""

    model = fields.String(required=True, validate=validate.Length(min=1, max=200),
                          metadata=_doc("Catalog model id (GET /api/v1/models)", "deepseek-v3"))
    tokens = StrictFloat(validate=[POSITIVE, Within(1, 1e18)],
                         metadata=_doc("Tokens per run (default: the model's published pre-training tokens)", 14.8e12))
    gpus = StrictInteger(validate=positive(100_000_000),
                         metadata=_doc("GPUs per run (default 16,384, capped at the fleet)", 16384))
    precision = fields.String(validate=validate.OneOf(PRECISIONS), metadata=_doc("Training precision (default bf16)"))


class ServeWhatSchema(_StrictSchema):
    """A model the fleet could serve, under latency targets."""

    model = fields.String(required=True, validate=validate.Length(min=1, max=200),
                          metadata=_doc("Catalog model id", "llama-3.1-405b"))
    precision = fields.String(validate=validate.OneOf(SERVING_PRECISIONS), metadata=_doc("Serving precision", "fp8"))
    input_tokens = StrictInteger(validate=positive(100_000_000), metadata=_doc("Prompt tokens per request", 1000))
    output_tokens = StrictInteger(validate=positive(100_000_000), metadata=_doc("Output tokens per request", 500))
    ttft_ms = StrictFloat(validate=positive(3_600_000), metadata=_doc("Time-to-first-token target, ms", 2000))
    tpot_ms = StrictFloat(validate=positive(3_600_000), metadata=_doc("Time-per-output-token target (p99), ms", 50))


class _StructureFields(_StrictSchema):
    """Overrides of the cost structure; each omitted comes from the pricing table or the sourced default."""

    utilisation = StrictFloat(validate=[*SHARE_ABOVE_ZERO, Within(0.001, None)], metadata=_doc(
        "Share of GPU-hours doing work, 0-1 (default 0.8 / 0.6 / 0.4 for low / mid / high cost)", 0.6))
    network_usd_per_gpu = StrictFloat(validate=[validate.Range(min=0), Within(None, 10_000_000)], metadata=_doc(
        "Scale-out network per GPU, USD (default $4,243-6,613, a 2- or 3-tier InfiniBand fabric)", 6613))
    storage_share = StrictFloat(validate=SHARE, metadata=_doc(
        "Storage as a share of the GPU server bill, 0-1 (default 0.03 / 0.05 / 0.08)", 0.05))
    building_usd_per_mw = StrictFloat(validate=[validate.Range(min=0), Within(None, 1e10)], metadata=_doc(
        "Building and power plant per MW of critical IT load, USD (default Cushman & Wakefield 2025: $9.3-15M, "
        "average $11.7M)", 11.7e6))
    # A life of 0.01 years (3.65 days) or less divided the cost by zero (a 5e-324-year building: 422,
    # 'too large or too small'); none that short is built or depreciated.
    life_years = StrictFloat(validate=positive(50, above=0.01), metadata=_doc("Hardware life, years (default 6 / 5 / 4)", 5))
    building_life_years = StrictFloat(validate=positive(100, above=0.01), metadata=_doc(
        "Building and power plant life, years (default 20 / 15 / 12)", 15))


class _SizeFields(_StrictSchema):
    OPENAPI_RULES: Rules = (one_of("budget_usd", "power_mw"),)  # _one_basis

    hardware = fields.String(required=True, validate=validate.Length(min=1, max=200),
                             metadata=_doc("Catalog hardware id (GET /api/v1/hardware)", "h100-sxm"))
    budget_usd = StrictFloat(validate=positive(capacity.MAX_BUDGET_USD), metadata=_doc(
        "Capex in US dollars (give this or 'power_mw')", 60e9))
    power_mw = StrictFloat(validate=positive(capacity.MAX_POWER_MW), metadata=_doc(
        "Facility power in MW, IT x PUE (give this or 'budget_usd')", 1000))

    @validates_schema
    def _one_basis(self, data: dict[str, Any], **kwargs: Any) -> None:
        given = [k for k in ("budget_usd", "power_mw") if k in data]
        if len(given) != 1:
            raise ValidationError("Give exactly one of 'budget_usd' (capex in US dollars, e.g. 60e9) or 'power_mw' "
                                  "(facility power in MW, e.g. 1000).", field_name="budget_usd")


class HardwareShareSchema(_StrictSchema):
    """One GPU of a mix and its share of the budget or the power."""

    id = fields.String(required=True, validate=validate.Length(min=1, max=200),
                       metadata=_doc("Catalog hardware id", "h100-sxm"))
    share = StrictFloat(required=True, validate=SHARE_ABOVE_ZERO,
                        metadata=_doc("Share of the budget or the power, above 0 to 1", 0.5))


_MIX_DOC = (f"A catalog hardware id, or a mix of 2 to {mix.MAX_PARTS} GPUs as [{{id, share}}] whose shares add up "
            f"to 1 (within {mix.SHARE_TOLERANCE:g}): the budget or the power is split by share")


class HardwareOrMix(fields.Field):
    """A hardware id (string), or a mix: a list of ``HardwareShareSchema`` items whose shares add up to 1."""

    default_error_messages = {
        "invalid": "Not a valid hardware id or mix: give an id string, or a list of objects with an id and a share.",
        "empty": "Must not be empty.",
        "length": f"A mix has 2 to {mix.MAX_PARTS} GPUs; for one GPU give its id alone.",
    }

    def __init__(self, **kwargs: Any) -> None:
        share = {"type": "object", "required": ["id", "share"], "additionalProperties": False,
                 "properties": {"id": {**SAFE_TEXT, "type": "string", "minLength": 1, "maxLength": 200},
                                "share": {"type": "number", "exclusiveMinimum": 0, "maximum": 1}}}
        one_of = [{**ID_TEXT, "maxLength": 200},
                  {"type": "array", "items": share, "minItems": 2, "maxItems": mix.MAX_PARTS}]
        super().__init__(metadata={"description": _MIX_DOC, "example": "h100-sxm", "oneOf": one_of}, **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str | list[dict[str, Any]]:
        if isinstance(value, str):
            if not value.strip() or len(value) > 200:
                raise self.make_error("empty" if not value.strip() else "invalid")
            return value
        if not isinstance(value, list):
            raise self.make_error("invalid")
        if not 2 <= len(value) <= mix.MAX_PARTS:
            raise self.make_error("length")
        # The shares adding up to 1, and each GPU once, are the core's to check (mix.check_shares: 409, values
        # that cannot be met together; the document cannot state a sum, nor ids that resolve to one GPU).
        items: list[dict[str, Any]] = HardwareShareSchema(many=True).load(value)
        return items


def _plan_precision_rule(catalog: Catalog) -> dict[str, Any]:
    """The models trained and served run on the plan's GPUs (each GPU of a mix), so in a precision each
    has tensor cores for (schemas.precision_rule): for each precision some catalog GPU lacks, the
    hardware is none of those GPUs, or no item asks for it."""
    rules = []
    for items, computes_in in (("train", {p: p for p in PRECISIONS}), ("serve", SERVING_COMPUTE_PRECISION)):
        by_peak: dict[str, list[str]] = {}
        for precision, compute in computes_in.items():
            by_peak.setdefault(PRECISION_PEAK_FIELD[compute], []).append(precision)
        for peak, precisions in by_peak.items():
            lacking = hardware_names(catalog, peak)
            if not lacking:
                continue
            other = {"not": {"pattern": any_case(lacking)}}
            rules.append({"anyOf": [
                {"properties": {"hardware": {"anyOf": [{"type": "string", **other},
                                                        {"type": "array", "items": {"properties": {"id": other}}}]}}},
                {"properties": {items: {"items": {"properties": {"precision": {"not": {"enum": precisions}}}}}}},
            ]})
    return {"allOf": rules}


class CapacityRequestSchema(_PriceFields, _StructureFields, _SizeFields):
    """A capacity plan: what a budget or a power envelope buys, and what it produces."""

    OPENAPI_RULES: Rules = (_plan_precision_rule,)

    hardware = HardwareOrMix(required=True)  # type: ignore[assignment]  # a mix only here, not in a fleet

    train = _capped(TrainWhatSchema, MAX_ITEMS, "Training runs to count a year on the fleet.")
    serve = _capped(ServeWhatSchema, MAX_ITEMS, "Models to count output tokens a day for.")


class FleetSchema(_PriceFields, _StructureFields, _SizeFields):
    """A starting fleet, as a capacity plan (without what it produces)."""


class RentVsBuyRequestSchema(_PriceFields, _StructureFields):
    """Rent or buy a fleet over a horizon."""

    hardware = fields.String(required=True, validate=validate.Length(min=1, max=200),
                             metadata=_doc("Catalog hardware id", "h100-sxm"))
    gpus = StrictInteger(required=True, validate=positive(100_000_000), metadata=_doc("GPUs to rent or buy", 1024))
    horizon_months = StrictInteger(validate=positive(rent_vs_buy.MAX_HORIZON_MONTHS), metadata=_doc(
        f"Months to compare over, 1-{rent_vs_buy.MAX_HORIZON_MONTHS} (default 60)", 60))
    cost_of_capital = StrictFloat(validate=SHARE, metadata=_doc(
        "Annual cost of capital, 0-1 (default 0.051 / 0.063 / 0.074: Digital Realty's WACC)", 0.063))


def _gain_precision_rule(catalog: Catalog) -> dict[str, Any]:
    """The precision a comparison of the workload takes, on hardware that has it (schemas.precision_rule)."""
    return {"anyOf": [{"properties": {"workload": {"const": workload}}, "allOf": [rule(catalog)]}
                      for workload, rule in (("training", TRAINING_PRECISION_RULE), ("inference", SERVING_PRECISION_RULE))]}


class CompareGainSchema(_StrictSchema):
    """An efficiency gain computed by estimator.compare: output per GPU-hour of 'efficient' / 'baseline'."""

    OPENAPI_RULES: Rules = (_gain_precision_rule,)

    workload = fields.String(required=True, validate=validate.OneOf(("training", "inference")),
                             metadata=_doc("training or inference", "training"))
    baseline = fields.String(required=True, validate=validate.Length(min=1, max=200),
                             metadata=_doc("Model id of today's model", "llama-3.1-405b"))
    efficient = fields.String(required=True, validate=validate.Length(min=1, max=200),
                              metadata=_doc("Model id of the more efficient one", "deepseek-v3"))
    hardware = fields.String(required=True, validate=validate.Length(min=1, max=200), metadata=_doc("Hardware id",
                                                                                                    "h100-sxm"))
    precision = fields.String(validate=validate.OneOf(PRECISIONS), metadata=_doc("Precision"))
    gpus = StrictInteger(validate=positive(100_000_000), metadata=_doc("Training: GPUs per run", 2048))
    tokens = StrictFloat(validate=[POSITIVE, Within(1, 1e18)], metadata=_doc("Training: tokens per run"))


ELASTICITY = [validate.Range(min=0, max=demand.MAX_ELASTICITY)]


class DemandRequestSchema(_StrictSchema):
    """Demand for compute after an efficiency gain, at one or more price elasticities."""

    OPENAPI_RULES: Rules = (one_of("efficiency_gain", "compare"), not_both("elasticity", "elasticities"))  # _one_of

    # A gain between 1 / MAX_GAIN and MAX_GAIN: 5e-324 overflowed the demand arithmetic.
    efficiency_gain = StrictFloat(validate=positive(demand.MAX_GAIN, above=1 / demand.MAX_GAIN), metadata=_doc(
        "Output per unit of compute, after / before (give this or 'compare')", 10))
    compare = fields.Nested(CompareGainSchema, metadata=_doc("Take the gain from a comparison of two models"))
    elasticity = StrictFloat(validate=ELASTICITY, metadata=_doc(
        f"Price elasticity of demand for AI output, 0-{demand.MAX_ELASTICITY:g} (default: the sourced 0.4 / 1.2 / "
        "2.0)", 1.2))
    elasticities = fields.List(StrictFloat(validate=ELASTICITY), validate=validate.Length(min=1, max=20),
                               metadata=_doc("Several elasticities (instead of 'elasticity'). At most 20."))
    fleet = fields.Nested(FleetSchema, metadata=_doc("Today's fleet: the GPUs, MW and spend the demand scales"))

    @validates_schema
    def _one_of(self, data: dict[str, Any], **kwargs: Any) -> None:
        if ("efficiency_gain" in data) == ("compare" in data):
            raise ValidationError("Give exactly one of 'efficiency_gain' (a number, e.g. 10) or 'compare' (two "
                                  "models whose output per GPU-hour gives the gain).", field_name="efficiency_gain")
        if "elasticity" in data and "elasticities" in data:
            raise ValidationError("Give 'elasticity' or 'elasticities', not both.", field_name="elasticities")


class SensitivityRequestSchema(_PriceFields, _StructureFields, _SizeFields):
    """Which input of a capacity plan matters most for one of its figures."""

    metric = fields.String(validate=validate.OneOf(tuple(sensitivity.METRICS)), metadata=_doc(
        "The figure to explain: " + "; ".join(f"{k}: {v[0]}" for k, v in sensitivity.METRICS.items())
        + " (default own_usd_per_used_gpu_hour)", "own_usd_per_used_gpu_hour"))
    samples = StrictInteger(validate=validate.OneOf([2**k for k in range(6, 14)]), metadata=_doc(
        "Sobol base samples N, a power of 2 from 64 to 8192 (N x (inputs + 2) evaluations; default 256)", 256))
    seed = StrictInteger(validate=validate.Range(min=0, max=2**31 - 1), metadata=_doc("Sampling seed (default 1)", 1))


class _EstimateSensitivityFields(_StrictSchema):
    samples = StrictInteger(validate=validate.OneOf([2**k for k in range(4, 8)]), metadata=_doc(
        "Sobol base samples N, a power of 2 from 16 to 128 (N x (inputs + 2) estimates, each a whole estimate; "
        "default 16; wider confidence intervals than a plan's)", 16))
    seed = StrictInteger(validate=validate.Range(min=0, max=2**31 - 1), metadata=_doc("Sampling seed (default 1)", 1))


def _metric_field(workload: str) -> fields.String:
    names = tuple(estimate_sensitivity.METRICS[workload])
    return fields.String(validate=validate.OneOf(names), metadata=_doc(
        f"The figure to explain (mid): {', '.join(names)} (default {names[0]})", names[0]))


class TrainingSensitivityRequestSchema(TrainingRequestSchema, _EstimateSensitivityFields):
    """A training estimate and the figure whose sensitivity to prices, PUE and goodput to analyse."""

    # With every training rule, schemathesis's generator (jsonschema_rs 'canonicalize') gives up on the
    # body as a whole (too many anyOf branches to combine): the precision rule is left out here; the
    # service still refuses a precision the hardware lacks (422 unsupported-precision).
    OPENAPI_RULES_OMITTED = (TRAINING_REQUEST_PRECISION_RULE,)


    metric = _metric_field("training")


class InferenceSensitivityRequestSchema(InferenceRequestSchema, _EstimateSensitivityFields):
    """A serving estimate and the figure whose sensitivity to prices and PUE to analyse."""

    metric = _metric_field("inference")


CAPACITY_EXAMPLES = {
    "meta-60b-h100": {"summary": "$60B on H100, with what it produces",
                      "value": {"hardware": "h100-sxm", "budget_usd": 60e9, "train": [{"model": "deepseek-v3"},
                                {"model": "llama-3.1-405b"}], "serve": [{"model": "llama-3.1-405b", "precision": "fp8",
                                                                         "tpot_ms": 50}]}},
    "gigawatt-gb200": {"summary": "A 1 GW site of GB200 NVL72 racks", "value": {"hardware": "gb200", "power_mw": 1000}},
    "mix": {"summary": "$60B split evenly between H100 servers and GB200 NVL72 racks",
            "value": {"hardware": [{"id": "h100-sxm", "share": 0.5}, {"id": "gb200", "share": 0.5}],
                      "budget_usd": 60e9}},
}
RENT_VS_BUY_EXAMPLE = {"hardware": "h100-sxm", "gpus": 1024, "horizon_months": 60, "utilisation": 0.7}
DEMAND_EXAMPLES = {
    "ten-x": {"summary": "A 10x gain at the sourced elasticities", "value": {"efficiency_gain": 10}},
    "from-compare": {"summary": "The gain of DeepSeek-V3 over Llama 3.1 405B, elasticity 1.2, on a $60B fleet",
                     "value": {"compare": {"workload": "training", "baseline": "llama-3.1-405b",
                                           "efficient": "deepseek-v3", "hardware": "h100-sxm", "gpus": 2048},
                               "elasticity": 1.2, "fleet": {"hardware": "h100-sxm", "budget_usd": 60e9}}},
}
ESTIMATE_SENSITIVITY_EXAMPLES = {
    "training": {"model": "llama-3.1-70b", "tokens": 15.6e12, "hardware": "h100-sxm", "gpus": 1024,
                 "metric": "cost_usd.own"},
    "inference": {"model": "llama-3.1-70b", "hardware": "h100-sxm", "precision": "fp8", "requests_per_s": 10,
                  "metric": "cost_usd_per_million_tokens.output.own"},
}
SENSITIVITY_EXAMPLE = {"hardware": "h100-sxm", "budget_usd": 60e9, "metric": "own_usd_per_used_gpu_hour",
                       "samples": 256}


# --- Responses: built from the planning figures' declaration --------------------------------------------
class _DocSchema(Schema):
    pass


class NullableBandSchema(_DocSchema):
    low = fields.Float(required=True, allow_none=True)
    mid = fields.Float(required=True, allow_none=True)
    high = fields.Float(required=True, allow_none=True)


class PlanBandSchema(_DocSchema):
    low = fields.Float(required=True)
    mid = fields.Float(required=True)
    high = fields.Float(required=True)


class CurvePointSchema(_DocSchema):
    elasticity = fields.Float(required=True)
    compute_ratio = fields.Float(required=True)


_SCHEMAS: dict[str, type[Schema]] = {}
_VALUES = {"number": fields.Float, "integer": fields.Integer, "string": fields.String}


def _record(result: str, figure: F.Figure, options: dict[str, Any]) -> fields.Field:
    item = pf.ITEMS.get((result, figure.key))
    if item is not None:
        return fields.List(fields.Nested(result_schema(item)), **options)
    if figure.name == "assumptions":
        return fields.List(fields.Nested(AssumptionSchema), **options)
    if figure.name == "pricing":
        return fields.Nested(PricingSchema, **options)
    if figure.name == "curve":
        return fields.List(fields.Nested(CurvePointSchema), **options)
    if figure.key == "estimate":
        return fields.Dict(**options)
    if result == pf.MIX_PART and figure.key == "plan":  # inside a CapacityPlan: resolved once that exists
        return fields.Nested(lambda: result_schema(pf.CAPACITY)(), **options)
    if figure.key in ("fleet", "plan"):
        return fields.Nested(result_schema(pf.CAPACITY), **options)
    if figure.name in ("month",):
        return fields.List(fields.Integer(), **options)
    if figure.name in ("rent_usd", "buy_usd"):
        return fields.List(fields.Float(), **options)
    return fields.List(fields.String(), **options)


def _field(result: str, entry: F.Figure | F.Group) -> fields.Field:
    if isinstance(entry, F.Group):
        members = {m.name: _field(result, m) for m in pf.members(result, entry.path)}
        return fields.Nested(_DocSchema.from_dict(members, name=entry.schema), required=not entry.optional,
                             metadata=_doc(entry.description))
    options: dict[str, Any] = {"required": not entry.optional, "metadata": _doc(entry.doc)}
    if entry.nullable:
        options["allow_none"] = True
    if entry.kind == F.BAND:
        return fields.Nested(NullableBandSchema if entry.nullable else PlanBandSchema, **options)
    if entry.kind == F.RECORD:
        return _record(result, entry, options)
    return _VALUES[entry.type](**options)  # type: ignore[no-any-return]


def result_schema(result: str) -> type[Schema]:
    """The response schema of a planning result: every top-level figure and group of its declaration."""
    if result not in _SCHEMAS:
        _SCHEMAS[result] = _DocSchema.from_dict({e.name: _field(result, e) for e in pf.members(result)},
                                                name=pf.SCHEMA_NAMES[result])
    return _SCHEMAS[result]


CapacityPlanSchema = result_schema(pf.CAPACITY)
RentVsBuySchema = result_schema(pf.RENT_VS_BUY)
DemandScenarioSchema = result_schema(pf.DEMAND)
SensitivitySchema = result_schema(pf.SENSITIVITY)


class ArticlePlanSchema(_DocSchema):
    budget = fields.String(required=True)
    budget_usd = fields.Float(required=True)
    what = fields.String(required=True)
    source = fields.String(required=True)
    plan = fields.Nested(CapacityPlanSchema, required=True)


class ArticlePresetSchema(_DocSchema):
    """The article preset: three sums on three systems, what each buys and produces, and demand."""

    preset = fields.String(required=True)
    plans = fields.List(fields.Nested(ArticlePlanSchema), required=True)
    demand = fields.Nested(DemandScenarioSchema, required=True)
    serving_request = fields.Dict(required=True)
    training_models = fields.List(fields.String(), required=True)
