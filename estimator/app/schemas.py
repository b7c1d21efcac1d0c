"""marshmallow schemas: the API's contract, and the text of its OpenAPI document.

Request schemas check types and ranges and reject unknown fields (also inside the inline
hardware and model objects: ``unknown`` does not reach nested schemas, so each one sets it).
The core then builds and checks the records itself (``estimator.inputs.training_request``).

Response schemas are documentation only: responses are the core's ``to_dict()`` unchanged,
never re-serialised through a schema.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from marshmallow import RAISE, Schema, fields, validate

from estimator.catalog import PRECISIONS, Hardware, Model
from estimator.training import RECOMPUTE_MODES

POSITIVE = validate.Range(min=0, min_inclusive=False)
FRACTION = validate.Range(min=0, max=1, min_inclusive=False)


# --- Strict fields --------------------------------------------------------------------------------
class StrictFloat(fields.Float):
    """A JSON number and nothing else: ``Float`` alone also takes ``"15e12"`` and ``true``."""

    def _validated(self, value: Any) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.make_error("invalid", input=value)
        return super()._validated(value)


class StrictInteger(fields.Integer):
    """A JSON integer: ``2.5`` and ``true`` are errors, not 2 and 1."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(strict=True, **kwargs)

    def _validated(self, value: Any) -> int:
        if isinstance(value, bool):
            raise self.make_error("invalid", input=value)
        return super()._validated(value)


class IdOrSpec(fields.Field):
    """A catalog id (string) or an inline record (object checked by ``spec_schema``)."""

    default_error_messages = {
        "invalid": "Not a valid id or object: give a catalog id string or an object.",
        "empty": "Must not be empty.",
    }

    def __init__(self, spec_schema: type[Schema], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.spec_schema = spec_schema

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str | dict[str, Any]:
        if isinstance(value, str):
            if not value.strip():
                raise self.make_error("empty")
            return value
        if isinstance(value, dict):
            return self.spec_schema().load(value)
        raise self.make_error("invalid")


def id_or_spec_openapi(converter: Any, field: fields.Field, **kwargs: Any) -> dict[str, Any]:
    """apispec attribute function: document ``IdOrSpec`` as oneOf [string, $ref]."""
    if not isinstance(field, IdOrSpec):
        return {}
    return {"oneOf": [{"type": "string"}, converter.resolve_nested_schema(field.spec_schema)]}


def exclusive_range_openapi(converter: Any, field: fields.Field, **kwargs: Any) -> dict[str, Any]:
    """apispec attribute function: OpenAPI 3.0 ``exclusiveMinimum: true`` for ``Range(min_inclusive=False)``.

    (apispec writes ``minimum`` and drops the exclusivity for 3.0.)
    """
    for validator in field.validators:
        if isinstance(validator, validate.Range) and validator.min is not None and not validator.min_inclusive:
            return {"exclusiveMinimum": True}
    return {}


OPENAPI_ATTRIBUTE_FUNCTIONS = (id_or_spec_openapi, exclusive_range_openapi)


def _doc(description: str, example: Any = None) -> dict[str, Any]:
    meta: dict[str, Any] = {"description": description}
    if example is not None:
        meta["example"] = example
    return meta


# --- Inline records (same fields as the seed CSV columns; units in seeds/README.md) -------------
class HardwareSpecSchema(Schema):
    """A GPU given inline instead of by id. Throughputs are dense (not 2:4-sparse)."""

    class Meta:
        unknown = RAISE

    id = fields.String(metadata=_doc("Id to show in the result", "my-gpu"))
    name = fields.String(metadata=_doc("Display name", "My GPU"))
    aliases = fields.String(metadata=_doc("Other ids, ';'-separated"))
    architecture = fields.String(metadata=_doc("ampere, hopper, ada, blackwell …", "hopper"))
    form_factor = fields.String(metadata=_doc("SXM, PCIe …", "SXM"))
    fp64_tensor_tflops = StrictFloat(metadata=_doc("FP64 tensor-core peak, TFLOP/s"))
    tf32_dense_tflops = StrictFloat(metadata=_doc("TF32 dense peak, TFLOP/s"))
    bf16_dense_tflops = StrictFloat(required=True, metadata=_doc("BF16/FP16 dense peak, TFLOP/s", 989.4))
    fp8_dense_tflops = StrictFloat(metadata=_doc("FP8 dense peak, TFLOP/s", 1978.9))
    fp4_dense_tflops = StrictFloat(metadata=_doc("FP4 dense peak, TFLOP/s"))
    hbm_gb = StrictFloat(required=True, metadata=_doc("Device memory, GB (10^9 bytes)", 80))
    hbm_bandwidth_tb_per_s = StrictFloat(required=True, metadata=_doc("Memory bandwidth, TB/s", 3.35))
    tdp_w = StrictFloat(required=True, metadata=_doc("Board power limit, W", 700))
    nvlink_gb_per_s = StrictFloat(metadata=_doc("NVLink bandwidth per GPU, GB/s (0: none)", 900))
    gpus_per_node = StrictInteger(metadata=_doc("GPUs per server (default 8)", 8))
    nvlink_domain_gpus = StrictInteger(metadata=_doc("GPUs in one NVLink domain (default 1)", 8))
    node_max_power_kw = StrictFloat(metadata=_doc("Server maximum power, kW", 10.2))
    node_power_source = fields.String(metadata=_doc("Where node_max_power_kw comes from"))
    source = fields.String(metadata=_doc("Where the figures come from"))
    as_of = fields.String(metadata=_doc("Date of the source, YYYY-MM-DD", "2024-01-01"))


class ModelSpecSchema(Schema):
    """A model given inline instead of by id. Only ``total_params`` is required."""

    class Meta:
        unknown = RAISE

    id = fields.String(metadata=_doc("Id to show in the result", "my-model"))
    name = fields.String(metadata=_doc("Display name", "My model"))
    aliases = fields.String(metadata=_doc("Other ids, ';'-separated"))
    developer = fields.String(metadata=_doc("Who published it"))
    open_weights = fields.Boolean(metadata=_doc("Weights downloadable"))
    is_estimate = fields.Boolean(metadata=_doc("The figures are unofficial estimates"))
    attention = fields.String(
        validate=validate.OneOf(("mha", "gqa", "mla")), metadata=_doc("Attention kind: mha, gqa or mla", "gqa")
    )
    total_params = StrictFloat(required=True, metadata=_doc("All parameters (MoE: every expert)", 70.6e9))
    active_params = StrictFloat(metadata=_doc("Parameters used per token (default: total_params)", 70.6e9))
    layers = StrictInteger(metadata=_doc("Transformer layers", 80))
    hidden_size = StrictInteger(metadata=_doc("Model width", 8192))
    attention_heads = StrictInteger(metadata=_doc("Query heads", 64))
    kv_heads = StrictInteger(metadata=_doc("Key/value heads", 8))
    head_dim = StrictInteger(metadata=_doc("Width of one head", 128))
    ffn_size = StrictInteger(metadata=_doc("Dense FFN intermediate width", 28672))
    dense_layers = StrictInteger(metadata=_doc("Layers with a dense FFN"))
    moe_ffn_size = StrictInteger(metadata=_doc("Intermediate width of one expert"))
    experts = StrictInteger(metadata=_doc("Routed experts per MoE layer"))
    experts_per_token = StrictInteger(metadata=_doc("Routed experts per token"))
    shared_experts = StrictInteger(metadata=_doc("Always-on experts per MoE layer"))
    q_lora_rank = StrictInteger(metadata=_doc("MLA query compression rank"))
    kv_lora_rank = StrictInteger(metadata=_doc("MLA key/value latent width"))
    qk_rope_head_dim = StrictInteger(metadata=_doc("MLA rotary part of a query/key head"))
    qk_nope_head_dim = StrictInteger(metadata=_doc("MLA non-rotary part of a query/key head"))
    v_head_dim = StrictInteger(metadata=_doc("MLA value head width"))
    vocab_size = StrictInteger(metadata=_doc("Vocabulary size, tokens", 128256))
    max_context_tokens = StrictInteger(metadata=_doc("Longest supported context, tokens", 131072))
    training_sequence_tokens = StrictInteger(metadata=_doc("Pre-training sequence length, tokens", 8192))
    training_tokens = StrictFloat(metadata=_doc("Published pre-training tokens", 15.6e12))
    source = fields.String(metadata=_doc("Where the figures come from"))
    as_of = fields.String(metadata=_doc("Date of the source, YYYY-MM-DD"))


# --- Requests ---------------------------------------------------------------------------------------
class TrainingRequestSchema(Schema):
    """A pre-training run: a model (by id, inline, or by parameter count), tokens and hardware.

    Give ``gpus`` to get the wall-clock time, or ``deadline_days`` to get the GPUs needed; not both.
    Prices and efficiency factors default to the price book and the published measurements the
    result lists under ``assumptions``.
    """

    class Meta:
        unknown = RAISE

    model = IdOrSpec(
        ModelSpecSchema,
        metadata=_doc("Catalog model id (GET /api/v1/catalog/models) or an inline model object", "llama-3.1-70b"),
    )
    params = StrictFloat(validate=POSITIVE, metadata=_doc("Total parameters, instead of 'model'", 7e9))
    active_params = StrictFloat(
        validate=POSITIVE, metadata=_doc("Parameters active per token, with 'params' (MoE)", 7e9)
    )
    tokens = StrictFloat(required=True, validate=POSITIVE, metadata=_doc("Training tokens", 15.6e12))
    hardware = IdOrSpec(
        HardwareSpecSchema,
        required=True,
        metadata=_doc("Catalog hardware id (GET /api/v1/catalog/hardware) or an inline GPU object", "h100-sxm"),
    )
    precision = fields.String(
        validate=validate.OneOf(PRECISIONS), metadata=_doc("Precision of the matrix products (default bf16)", "bf16")
    )
    gpus = StrictInteger(validate=POSITIVE, metadata=_doc("GPUs in the run; gives the wall-clock time", 1024))
    deadline_days = StrictFloat(
        validate=POSITIVE, metadata=_doc("Wall-clock limit in days; gives the GPUs needed (instead of 'gpus')", 30)
    )
    sequence_tokens = StrictInteger(
        validate=POSITIVE, metadata=_doc("Training sequence length (default: the model's)", 8192)
    )
    recompute = fields.String(
        validate=validate.OneOf(RECOMPUTE_MODES), metadata=_doc("Activation recomputation (default none)", "none")
    )
    utilisation = StrictFloat(
        validate=FRACTION, metadata=_doc("Model FLOPs utilisation to assume instead of the calibrated range", 0.4)
    )
    goodput = StrictFloat(validate=FRACTION, metadata=_doc("Fraction of GPU time doing useful work", 0.9))
    pue = StrictFloat(validate=validate.Range(min=1), metadata=_doc("Power usage effectiveness, >= 1", 1.2))
    grid_kg_co2_per_kwh = StrictFloat(validate=POSITIVE, metadata=_doc("Grid carbon intensity, kg CO2/kWh", 0.4))
    usd_per_gpu_hour = StrictFloat(validate=POSITIVE, metadata=_doc("Rental price, USD per GPU-hour", 2.5))
    capex_usd_per_gpu = StrictFloat(
        validate=POSITIVE, metadata=_doc("Purchase price per GPU (server share), USD", 30000)
    )
    usd_per_kwh = StrictFloat(validate=POSITIVE, metadata=_doc("Electricity price, USD per kWh", 0.08))


TRAINING_EXAMPLE = {"model": "llama-3.1-70b", "tokens": 15.6e12, "hardware": "h100-sxm", "gpus": 1024}


# --- Responses (documentation only) -------------------------------------------------------------
class _DocSchema(Schema):
    class Meta:
        unknown = RAISE


class BandSchema(_DocSchema):
    """One quantity in three scenarios, low <= mid <= high."""

    low = fields.Float(required=True)
    mid = fields.Float(required=True)
    high = fields.Float(required=True)


class CountBandSchema(_DocSchema):
    low = fields.Integer(required=True)
    mid = fields.Integer(required=True)
    high = fields.Integer(required=True)


class PowerSchema(_DocSchema):
    it = fields.Nested(BandSchema, required=True, metadata=_doc("IT power of the GPUs' servers, kW"))
    facility = fields.Nested(BandSchema, required=True, metadata=_doc("IT power x PUE, kW"))


class CostSchema(_DocSchema):
    rent = fields.Nested(BandSchema, required=True, metadata=_doc("GPU-hours x rental price, USD"))
    own = fields.Nested(BandSchema, required=True, metadata=_doc("Capex share + energy + hosting, USD"))


class AssumptionSchema(_DocSchema):
    name = fields.String(required=True)
    value = fields.Raw(required=True, metadata=_doc("A number, a text, or a band {low, mid, high}"))
    unit = fields.String(required=True)
    source = fields.String(required=True)


class TrainingEstimateSchema(Schema):
    """The estimate, exactly as ``estimator training --json`` prints it."""

    workload = fields.String(required=True, metadata=_doc("Always 'training'"))
    model = fields.String(required=True)
    hardware = fields.String(required=True)
    precision = fields.String(required=True)
    tokens = fields.Float(required=True)
    flops = fields.Nested(BandSchema, required=True, metadata=_doc("Model FLOPs"))
    flops_breakdown = fields.Dict(
        keys=fields.String(), values=fields.Float(), metadata=_doc("Model FLOPs by part (6ND, attention)")
    )
    gpu_hours = fields.Nested(BandSchema, required=True)
    wall_clock_days = fields.Nested(BandSchema, required=True)
    gpu_count = fields.Integer(required=True)
    node_count = fields.Integer(required=True)
    power_kw = fields.Nested(PowerSchema, required=True)
    energy_mwh = fields.Nested(BandSchema, required=True, metadata=_doc("Facility energy, MWh"))
    co2_t = fields.Nested(BandSchema, required=True, metadata=_doc("Emissions, tonnes CO2"))
    cost_usd = fields.Nested(CostSchema, required=True)
    utilisation = fields.Nested(BandSchema, required=True, metadata=_doc("Model FLOPs utilisation"))
    memory = fields.Dict(keys=fields.String(), values=fields.Float(), required=True)
    assumptions = fields.List(fields.Nested(AssumptionSchema), required=True)
    warnings = fields.List(fields.String(), required=True)
    gpu_count_for_deadline = fields.Nested(CountBandSchema, metadata=_doc("Only when 'deadline_days' was given"))


class ProblemItemSchema(Schema):
    pointer = fields.String(
        allow_none=True, metadata=_doc("JSON Pointer into the request body; null if not in the body", "/tokens")
    )
    detail = fields.String(required=True)
    code = fields.String(required=True, metadata=_doc("Stable machine-readable code", "out_of_range"))


class ProblemSchema(Schema):
    """RFC 9457 problem details; items may add members such as 'closest' or 'min_gpus'."""

    type = fields.String(required=True, metadata=_doc("'about:blank' or /problems/<slug>", "/problems/invalid-input"))
    title = fields.String(required=True)
    status = fields.Integer(required=True)
    detail = fields.String(required=True)
    errors = fields.List(fields.Nested(ProblemItemSchema), required=True)


# --- Catalog records (built from the core's dataclasses so they cannot drift) --------------------
_TYPE_FIELDS = {
    "str": fields.String,
    "float": fields.Float,
    "int": fields.Integer,
    "bool": fields.Boolean,
}


def _record_field(type_name: str) -> fields.Field:
    if type_name == "tuple[str, ...]":
        return fields.List(fields.String(), required=True)
    optional = type_name.endswith(" | None")
    base = _TYPE_FIELDS.get(type_name.removesuffix(" | None"), fields.Raw)  # Raw: a type added to the core later
    return base(allow_none=True) if optional else base(required=True)


def record_schema(record_type: type, name: str) -> type[Schema]:
    return Schema.from_dict({f.name: _record_field(str(f.type)) for f in dataclasses.fields(record_type)}, name=name)


HardwareRecordSchema = record_schema(Hardware, "HardwareRecord")
ModelRecordSchema = record_schema(Model, "ModelRecord")

__all__ = [
    "HardwareRecordSchema",
    "HardwareSpecSchema",
    "ModelRecordSchema",
    "ModelSpecSchema",
    "ProblemSchema",
    "TrainingEstimateSchema",
    "TrainingRequestSchema",
    "OPENAPI_ATTRIBUTE_FUNCTIONS",
]
