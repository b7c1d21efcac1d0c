"""marshmallow schemas: the API's contract, and the text of its OpenAPI document.

Request schemas check types and ranges and reject unknown fields (also inside the inline
hardware and model objects: ``unknown`` does not reach nested schemas, so each one sets it).
The core then builds and checks the records itself (``estimator.inputs.training_request`` and
``inference_request``). The HTML forms (``web/forms.py``) load through these same schemas.

A comparison body is checked by the schema of its ``workload`` (``load_compare``); both are
composed from the same field groups as the single-estimate schemas.

Response schemas are documentation only: responses are the core's ``to_dict()`` unchanged,
never re-serialised through a schema.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from marshmallow import EXCLUDE, INCLUDE, RAISE, Schema, ValidationError, fields, validate, validates_schema

from estimator import figures
from estimator.catalog import MLA_SIZES, PRECISION_PEAK_FIELD, PRECISIONS, Catalog, Hardware, Model
from estimator.compare import PRESETS, WORKLOADS
from estimator.compare_hardware import ALL, DEFAULT_RANK, HEADLINES, MAX_ENTRIES, RANKABLE, SEPARATOR
from estimator.defaults import SERVING_COMPUTE_PRECISION, SERVING_PRECISIONS
from estimator.inference import MAX_GPUS_PER_REPLICA_GIVEN
from estimator.inputs import TRAINING_LAYOUT
from estimator.training import RECOMPUTE_MODES
from pricing.read import UNSAFE_CHARACTER
from pricing.tables import TABLES, number_text

POSITIVE = validate.Range(min=0, min_inclusive=False)
FRACTION = validate.Range(min=0, max=1, min_inclusive=False)


# --- Realistic ranges -----------------------------------------------------------------------------
# Every number has an upper bound, and those the core divides by a floor above 0: generous (well
# beyond anything built or published by 2025) yet finite, so that no combination of inputs takes the
# arithmetic past a 64-bit float. Without them 1e308 parameters, 5e-324 tokens or a GPU with 1e-300
# TFLOP/s overflowed or divided by zero in the core (a 500); now they are a 422 naming the field.
# They are in the OpenAPI document (minimum with exclusiveMinimum, maximum).
class Within(validate.Range):
    """``low < value <= high`` (either side optional). A value <= 0 is left to the field's sign check
    (``POSITIVE``, or the core's for inline records), whose message says what is wrong with it."""

    def __init__(self, low: float | None, high: float | None) -> None:
        super().__init__(min=low, max=high, min_inclusive=False)

    def __call__(self, value: Any) -> Any:
        return value if value <= 0 else super().__call__(value)


def positive(high: float, *, above: float | None = None) -> list[validate.Validator]:
    """``0 < value``, then ``above < value <= high``."""
    return [POSITIVE, Within(above, high)]


def nvlink_bandwidth(value: float) -> None:
    """0 GB/s is no NVLink (PCIe is assumed); a sliver above 0 would be divided by (not in OpenAPI)."""
    if 0 < value <= 1:
        raise ValidationError("Must be greater than 1, or 0 for none.")


PARAMS = Within(1, 1e15)  # parameters: the largest models published have ~2e12
TOKENS = Within(1, 1e18)  # training or daily tokens: the largest runs published have ~4e13
SEQUENCE = Within(0, 100_000_000)  # tokens in one sequence: the longest contexts are ~1e7
WIDTH = Within(0, 10_000_000)  # a count or width inside a model: layers, heads, ranks, FFN size
TFLOPS = Within(0.001, 1_000_000)  # dense tensor peak of one GPU, TFLOP/s: a B200 has 2,250 in bf16
PARALLEL_MAX = 1_000_000  # a parallel degree (tensor, pipeline, context, expert): runs published use <= ~1,000


# --- Strict fields --------------------------------------------------------------------------------
class StrictFloat(fields.Float):
    """A JSON number and nothing else: ``Float`` alone also takes ``"15e12"`` and ``true``."""

    def _validated(self, value: Any) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.make_error("invalid", input=value)
        return super()._validated(value)


class StrictInteger(fields.Integer):
    """A JSON integer: ``2.5`` and ``true`` are errors, not 2 and 1. ``1024.0`` is 1024: JSON has one
    number type, and JSON Schema (OpenAPI 3.1) calls a number with a zero fractional part an integer."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(strict=True, **kwargs)

    def _validated(self, value: Any) -> int:
        if isinstance(value, bool):
            raise self.make_error("invalid", input=value)
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        return super()._validated(value)


class StrictBoolean(fields.Boolean):
    """``true`` or ``false`` only: marshmallow's ``Boolean`` also takes 1, "yes", "on"... which the
    document's ``type: boolean`` calls invalid."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> bool:
        if not isinstance(value, bool):
            raise self.make_error("invalid", input=value)
        return value


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


_UNSAFE = UNSAFE_CHARACTER.pattern[1:-1]
#: A string of a JSON request body: no ``UNSAFE_CHARACTER`` (``jsonsafe`` refuses the body with 422).
SAFE_TEXT = {"pattern": f"^[^{_UNSAFE}]*$"}
#: The same, and not blank: an id (``IdOrSpec``, ``HardwareEntries`` refuse one of spaces only).
ID_TEXT = {"type": "string", "pattern": f"^[^{_UNSAFE}]*[^\\s{_UNSAFE}][^{_UNSAFE}]*$"}


def id_or_spec_openapi(converter: Any, field: fields.Field, **kwargs: Any) -> dict[str, Any]:
    """apispec attribute function: document ``IdOrSpec`` as oneOf [string, $ref]."""
    if not isinstance(field, IdOrSpec):
        return {}
    return {"oneOf": [ID_TEXT, converter.resolve_nested_schema(field.spec_schema)]}


def safe_text_openapi(converter: Any, field: fields.Field, **kwargs: Any) -> dict[str, Any]:
    """apispec attribute function: a request's free text (no pattern or choices of its own) has no
    control or bidirectional formatting character (``SAFE_TEXT``)."""
    if not isinstance(field, fields.String) or any(isinstance(v, (validate.Regexp, validate.OneOf))
                                                   for v in field.validators):
        return {}
    root = field.root
    return SAFE_TEXT if isinstance(root, (_StrictSchema, HardwareSpecSchema, ModelSpecSchema)) else {}


def exclusive_range_openapi(converter: Any, field: fields.Field, **kwargs: Any) -> dict[str, Any]:
    """apispec attribute function: JSON Schema's ``exclusiveMinimum: <floor>`` (OpenAPI 3.1) in place of
    the ``minimum`` apispec writes for ``Range(min_inclusive=False)`` (it drops the exclusivity)."""
    ranges = [v for v in field.validators if isinstance(v, validate.Range) and v.min is not None]
    if not ranges:
        return {}
    floor = max(v.min for v in ranges)  # apispec documents the largest minimum
    if any(v.min == floor and not v.min_inclusive for v in ranges):
        kwargs["ret"].pop("minimum", None)
        return {"exclusiveMinimum": floor}
    return {}


class HardwareEntries(fields.Field):
    """A hardware comparison's GPUs: ``"all"``, or a list of 1 to ``MAX_ENTRIES`` entries
    ``"<id>"`` or ``"<id>:<precision>"``. The length is checked before the items (a long list
    never becomes a long list of errors); ids, precisions and repeats are the core's to check
    (``compare_hardware.entries``), with the closest ids for an unknown one."""

    default_error_messages = {
        "invalid": f'Not a valid list of hardware ids (each optionally with a precision: "h100-sxm{SEPARATOR}fp8") '
                   f'or "{ALL}".',
        "length": f"Length must be between 1 and {MAX_ENTRIES}.",
        "item": "Not a valid string.",
        "empty": "Must not be empty.",
    }

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str | list[str]:
        if isinstance(value, str):
            if value.strip().lower() != ALL:
                raise self.make_error("invalid")
            return ALL
        if not isinstance(value, list):
            raise self.make_error("invalid")
        if not 1 <= len(value) <= MAX_ENTRIES:
            raise self.make_error("length")
        errors = {i: [self.error_messages["item" if not isinstance(v, str) else "empty"]]
                  for i, v in enumerate(value) if not isinstance(v, str) or not v.strip()}
        if errors:
            raise ValidationError(errors)  # type: ignore[arg-type]
        return [v.strip() for v in value]


def hardware_entries_openapi(converter: Any, field: fields.Field, **kwargs: Any) -> dict[str, Any]:
    """apispec attribute function: document ``HardwareEntries`` as oneOf ["all", [string]]."""
    if not isinstance(field, HardwareEntries):
        return {}
    return {"oneOf": [{"type": "string", "enum": [ALL]},
                      {"type": "array", "items": ID_TEXT, "minItems": 1,
                       "maxItems": MAX_ENTRIES}]}


OPENAPI_ATTRIBUTE_FUNCTIONS = (id_or_spec_openapi, exclusive_range_openapi, hardware_entries_openapi,
                               safe_text_openapi)


# --- Rules across fields, in the OpenAPI document -------------------------------------------------
# A schema class may declare ``OPENAPI_RULES``: JSON Schema subschemas (OpenAPI 3.0's oneOf / anyOf /
# not / required, no 3.1 keyword needed) stating the rules across its fields that the service
# enforces (in a ``validates_schema``, or in the core: ``inputs.py``, ``training.validate``,
# ``inference.validate``). The document's converter (``api.RulesConverter``) puts every rule of the
# class and of its bases under ``allOf``, so a request the document calls valid is accepted, and a
# request the service refuses is one the document calls invalid.
#: A rule read from the catalog the service loaded (which GPUs have fp4 tensor cores, which models
#: have a published token count), built with the document (``api.init_app``), never hand-listed.
CatalogRule = Callable[[Catalog], dict[str, Any]]
#: The type of a class's ``OPENAPI_RULES`` (annotated on each, so bases and subclasses agree).
Rules = tuple[dict[str, Any] | CatalogRule, ...]


def one_of(*names: str) -> dict[str, Any]:
    """Exactly one of ``names``."""
    return {"oneOf": [{"required": [name]} for name in names]}


def not_both(first: str, *others: str) -> dict[str, Any]:
    """Not ``first`` with any of ``others``. Spelled with dependentSchemas (the others' schema false when
    ``first`` is given) rather than not/required: schemathesis's generator combines fewer branches."""
    return {"dependentSchemas": {first: {"properties": dict.fromkeys(others, False)}}}


def _named(node: Any) -> set[str]:
    """The field names a rule reads: those it requires and those it constrains."""
    if isinstance(node, list):
        return set().union(*(_named(item) for item in node)) if node else set()
    if not isinstance(node, dict):
        return set()
    names = set(node.get("required", ())) | set(node.get("properties", {})) | set(node.get("dependentSchemas", {}))
    names |= _named(list(node.get("dependentSchemas", {}).values()))
    keys = ("oneOf", "anyOf", "allOf", "not", "if", "then", "else")
    return names.union(*(_named(node[key]) for key in keys if key in node))


def schema_rules(schema: type, properties: set[str], catalog: Catalog | None = None) -> list[dict[str, Any]]:
    """The ``OPENAPI_RULES`` of ``schema`` and its bases (bases first, each once) whose fields it has:
    a schema that drops a field (a hardware comparison has no per-GPU prices) drops its rules. A
    ``CatalogRule`` is built from ``catalog`` (left out without one)."""
    rules: list[dict[str, Any]] = []
    omitted = vars(schema).get("OPENAPI_RULES_OMITTED", ())
    for klass in reversed(schema.__mro__):
        for declared_rule in vars(klass).get("OPENAPI_RULES", ()):
            if declared_rule in omitted:
                continue
            if callable(declared_rule):
                if catalog is None:
                    continue
                rule = declared_rule(catalog)
            else:
                rule = declared_rule
            if rule and rule not in rules and _named(rule) <= properties:
                rules.append(rule)
    return rules


_REGEX_SPECIAL = set(".^$*+?()[]{}|\\/")


def any_case(names: Iterable[str]) -> str:
    """An ECMA-262 pattern matching any of ``names`` as the catalog looks ids up: trimmed, in any case."""
    def letters(name: str) -> str:
        return "".join(f"[{c.lower()}{c.upper()}]" if c.lower() != c.upper() else ("\\" + c if c in _REGEX_SPECIAL else c)
                       for c in name)
    return "^\\s*(?:" + "|".join(letters(n) for n in sorted(names)) + ")\\s*$"


def _not_named(names: list[str]) -> dict[str, Any]:
    """A string that is none of ``names`` (a catalog id or alias, as looked up)."""
    return {"type": "string", "not": {"pattern": any_case(names)}} if names else {"type": "string"}


def hardware_names(catalog: Catalog, lacking: str) -> list[str]:
    """Ids and aliases of the catalog GPUs without a tensor-core peak ``lacking`` (a Hardware field)."""
    return [name for hw in catalog.hardware.values() if getattr(hw, lacking) is None for name in (hw.id, *hw.aliases)]


def precision_rule(computes_in: Mapping[str, str], unchecked: tuple[str, ...] = ()) -> CatalogRule:
    """``precision`` only on hardware with tensor cores for it: a catalog GPU that has them (its id or
    an alias), or an inline GPU that gives their peak. ``computes_in``: each precision a request may
    give -> the tensor-core precision it computes in (serving's int4 is weight-only, computed in bf16).
    ``unchecked``: precisions the document allows on any hardware (the service still refuses them
    where the hardware lacks them: 422 unsupported-precision), one choice fewer to generate from."""
    def rule(catalog: Catalog) -> dict[str, Any]:
        # No precision (the default, bf16, which every GPU has), or one of them with hardware that has it;
        # spelled as anyOf rather than if/then, which schemathesis's generator cannot combine with the rest.
        # Precisions computed in the same tensor cores share one choice (fewer branches to generate from).
        by_peak: dict[str, list[str]] = {}
        for precision, compute in computes_in.items():
            peak = "" if precision in unchecked else PRECISION_PEAK_FIELD[compute]
            by_peak.setdefault(peak, []).append(precision)
        choices: list[dict[str, Any]] = [{"not": {"required": ["precision"]}}]
        for peak, precisions in by_peak.items():
            lacking = hardware_names(catalog, peak) if peak else []
            hardware = {} if not lacking and (not peak or peak in REQUIRED_PEAKS) else {
                "hardware": {"anyOf": [_not_named(lacking), {"type": "object", "required": [peak]}]}}
            choices.append({"properties": {"precision": {"enum": precisions}, **hardware}})
        return {"anyOf": choices}
    return rule


def _models_without_tokens(catalog: Catalog) -> list[str]:
    """Ids and aliases of the catalog models without a published pre-training token count."""
    return [name for m in catalog.models.values() if not m.training_tokens for name in (m.id, *m.aliases)]


def training_tokens_rule(catalog: Catalog) -> dict[str, Any]:
    """inputs.training_request: 'tokens' defaults to the model's published count, which a model given
    by 'params', inline without 'training_tokens', or by the id of a model without one, does not have."""
    return {"anyOf": [{"required": ["tokens"]},
                      {"required": ["model"], "properties": {"model": {"anyOf": [
                          _not_named(_models_without_tokens(catalog)),
                          {"type": "object", "required": ["training_tokens"]}]}}}]}


def compare_tokens_rule(catalog: Catalog) -> dict[str, Any]:
    """compare.compare: a training comparison without 'tokens' takes the baseline's published count
    (the baseline: 'baseline', else the first model, or the preset's first)."""
    lacking = _models_without_tokens(catalog)
    with_tokens = [name for name, ids in PRESETS.items() if catalog.get_model(ids[0]).training_tokens]
    return {"anyOf": [
        {"required": ["tokens"]},
        {"required": ["baseline"], "properties": {"baseline": _not_named(lacking)}},
        {"not": {"required": ["baseline"]},
         "properties": {"models": {"prefixItems": [_not_named(lacking)]}, "preset": {"enum": with_tokens}}},
    ]}


#: An inline model a serving estimate can size the KV cache of (inference.kv_cache_bytes_per_token):
#: layers, head_dim and the key/value heads (or the query heads), or MLA's latent sizes.
SERVING_ARCHITECTURE = {"anyOf": [
    {"type": "string"},
    {"type": "object", "required": ["layers", "head_dim", "kv_heads"]},
    {"type": "object", "required": ["layers", "head_dim", "attention_heads"]},
    {"type": "object", "required": ["attention", "layers", "kv_lora_rank", "qk_rope_head_dim"],
     "properties": {"attention": {"const": "mla"}}},
]}


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
    fp64_tensor_tflops = StrictFloat(validate=TFLOPS, metadata=_doc("FP64 tensor-core peak, TFLOP/s"))
    tf32_dense_tflops = StrictFloat(validate=TFLOPS, metadata=_doc("TF32 dense peak, TFLOP/s"))
    bf16_dense_tflops = StrictFloat(
        validate=TFLOPS, required=True, metadata=_doc("BF16/FP16 dense peak, TFLOP/s", 989.4)
    )
    fp8_dense_tflops = StrictFloat(validate=TFLOPS, metadata=_doc("FP8 dense peak, TFLOP/s", 1978.9))
    fp4_dense_tflops = StrictFloat(validate=TFLOPS, metadata=_doc("FP4 dense peak, TFLOP/s"))
    hbm_gb = StrictFloat(
        validate=Within(0.1, 1_000_000), required=True, metadata=_doc("Device memory, GB (10^9 bytes)", 80)
    )
    hbm_bandwidth_tb_per_s = StrictFloat(
        validate=Within(0.001, 10_000), required=True, metadata=_doc("Memory bandwidth, TB/s", 3.35)
    )
    tdp_w = StrictFloat(validate=Within(0, 100_000), required=True, metadata=_doc("Board power limit, W", 700))
    nvlink_gb_per_s = StrictFloat(
        validate=[validate.Range(min=0), nvlink_bandwidth, Within(None, 100_000)],
        # nvlink_bandwidth in the document: exactly 0, or more than 1.
        metadata={**_doc("NVLink bandwidth per GPU, GB/s (0: none, else more than 1)", 900),
                  "anyOf": [{"const": 0}, {"exclusiveMinimum": 1}]},
    )
    gpus_per_node = StrictInteger(validate=[validate.Range(min=0), Within(None, 10_000)],
                                  metadata=_doc("GPUs per server (default, and 0: 8)", 8))
    nvlink_domain_gpus = StrictInteger(
        validate=[validate.Range(min=0), Within(None, 1_000_000)],
        metadata=_doc("GPUs in one NVLink domain (default, and 0: 1)", 8),
    )
    node_max_power_kw = StrictFloat(validate=positive(10_000), metadata=_doc("Server maximum power, kW", 10.2))
    node_power_source = fields.String(metadata=_doc("Where node_max_power_kw comes from"))
    source = fields.String(metadata=_doc("Where the figures come from"))
    as_of = fields.String(metadata=_doc("Date of the source, YYYY-MM-DD", "2024-01-01"))


#: Tensor-core peaks every inline GPU gives (so every precision computed in them is available).
REQUIRED_PEAKS = frozenset(name for name, field in HardwareSpecSchema._declared_fields.items()
                           if field.required and name in PRECISION_PEAK_FIELD.values())


class ModelSpecSchema(Schema):
    """A model given inline instead of by id. Only ``total_params`` is required."""

    OPENAPI_RULES: Rules = (
        # catalog._check_architecture: routed experts per token need the experts, MLA its latent sizes.
        {"dependentRequired": {"experts_per_token": ["experts"]}},
        {"anyOf": [{"not": {"required": ["attention"]}}, {"properties": {"attention": {"enum": ["mha", "gqa"]}}},
                   {"required": list(MLA_SIZES)}]},
    )

    class Meta:
        unknown = RAISE

    id = fields.String(metadata=_doc("Id to show in the result", "my-model"))
    name = fields.String(metadata=_doc("Display name", "My model"))
    aliases = fields.String(metadata=_doc("Other ids, ';'-separated"))
    developer = fields.String(metadata=_doc("Who published it"))
    open_weights = StrictBoolean(metadata=_doc("Weights downloadable"))
    is_estimate = StrictBoolean(metadata=_doc("The figures are unofficial estimates"))
    attention = fields.String(
        validate=validate.OneOf(("mha", "gqa", "mla")), metadata=_doc("Attention kind: mha, gqa or mla", "gqa")
    )
    total_params = StrictFloat(
        validate=PARAMS, required=True, metadata=_doc("All parameters (MoE: every expert)", 70.6e9)
    )
    active_params = StrictFloat(
        validate=PARAMS, metadata=_doc("Parameters used per token (default: total_params)", 70.6e9)
    )
    layers = StrictInteger(validate=WIDTH, metadata=_doc("Transformer layers", 80))
    hidden_size = StrictInteger(validate=WIDTH, metadata=_doc("Model width", 8192))
    attention_heads = StrictInteger(validate=WIDTH, metadata=_doc("Query heads", 64))
    kv_heads = StrictInteger(validate=WIDTH, metadata=_doc("Key/value heads", 8))
    head_dim = StrictInteger(validate=WIDTH, metadata=_doc("Width of one head", 128))
    ffn_size = StrictInteger(validate=WIDTH, metadata=_doc("Dense FFN intermediate width", 28672))
    dense_layers = StrictInteger(
        validate=[validate.Range(min=0), Within(None, 10_000_000)], metadata=_doc("Layers with a dense FFN (0 or more)")
    )
    moe_ffn_size = StrictInteger(validate=WIDTH, metadata=_doc("Intermediate width of one expert"))
    experts = StrictInteger(validate=WIDTH, metadata=_doc("Routed experts per MoE layer"))
    experts_per_token = StrictInteger(validate=WIDTH, metadata=_doc("Routed experts per token"))
    shared_experts = StrictInteger(
        validate=[validate.Range(min=0), Within(None, 10_000_000)],
        metadata=_doc("Always-on experts per MoE layer (0 or more)"),
    )
    q_lora_rank = StrictInteger(validate=WIDTH, metadata=_doc("MLA query compression rank"))
    kv_lora_rank = StrictInteger(validate=WIDTH, metadata=_doc("MLA key/value latent width"))
    qk_rope_head_dim = StrictInteger(validate=WIDTH, metadata=_doc("MLA rotary part of a query/key head"))
    qk_nope_head_dim = StrictInteger(validate=WIDTH, metadata=_doc("MLA non-rotary part of a query/key head"))
    v_head_dim = StrictInteger(validate=WIDTH, metadata=_doc("MLA value head width"))
    vocab_size = StrictInteger(validate=Within(0, 1_000_000_000), metadata=_doc("Vocabulary size, tokens", 128256))
    max_context_tokens = StrictInteger(
        validate=Within(0, 1_000_000_000), metadata=_doc("Longest supported context, tokens", 131072)
    )
    training_sequence_tokens = StrictInteger(
        validate=SEQUENCE, metadata=_doc("Pre-training sequence length, tokens", 8192)
    )
    training_tokens = StrictFloat(validate=TOKENS, metadata=_doc("Published pre-training tokens", 15.6e12))
    source = fields.String(metadata=_doc("Where the figures come from"))
    as_of = fields.String(metadata=_doc("Date of the source, YYYY-MM-DD"))


# --- Requests ---------------------------------------------------------------------------------------
# Request schemas are composed from field groups so the JSON API, the comparison and the HTML forms
# share one definition of each field. marshmallow lists inherited fields first, in reverse MRO
# order, so ``class X(_PriceFields, Workload, _ModelFields)`` documents the model, then the workload,
# then the prices; a field redefined in a subclass keeps its place.
class _StrictSchema(Schema):
    class Meta:
        unknown = RAISE


_PRICING_TABLE_ERROR = "Must be a pricing table name like 'seed' or 'acme', optionally with a version: 'acme@3'."


def _no_line_break(value: str) -> None:
    """The document's pattern ends with ``$``, which in Python also matches before a final line break."""
    if "\n" in value:
        raise ValidationError(_PRICING_TABLE_ERROR)


def declared(table: str, column: str, *, above_minimum: bool = False) -> list[validate.Validator]:
    """The plausible range ``pricing/tables.py`` declares for a pricing table's column, for the same
    quantity given in a request: one declaration for an uploaded price and an override (in OpenAPI as
    minimum / maximum). Before, an override had only its sign checked: 1e-320 USD/GPU-hour answered 200.
    ``above_minimum``: the minimum itself is refused (a grid intensity of 0, which the core refuses)."""
    declared_column = TABLES[table].column(column)
    unit = f" {declared_column.unit}" if declared_column.unit else ""
    low = "greater than" if above_minimum else "greater than or equal to"
    message = (f"Must be {low} {number_text(declared_column.minimum)} and less than or equal to "
               f"{number_text(declared_column.maximum)}{unit}: the plausible range of {table}.{column} in a pricing "
               "table.")
    return [validate.Range(min=declared_column.minimum, max=declared_column.maximum, min_inclusive=not above_minimum,
                           error=message)]


class _PriceFields(_StrictSchema):
    """Facility, grid and price overrides shared by training and serving, each within the range its
    pricing table column declares (``declared``)."""

    pue = StrictFloat(validate=declared("energy", "pue"), metadata=_doc("Power usage effectiveness, >= 1", 1.2))
    grid_kg_co2_per_kwh = StrictFloat(validate=declared("energy", "grid_kgco2_per_kwh", above_minimum=True),
                                      metadata=_doc("Grid carbon intensity, kg CO2/kWh", 0.4))
    usd_per_gpu_hour = StrictFloat(validate=declared("gpu_prices", "usd_per_gpu_hour"),
                                   metadata=_doc("Rental price, USD per GPU-hour", 2.5))
    capex_usd_per_gpu = StrictFloat(validate=declared("hardware_costs", "usd_capex"),
                                    metadata=_doc("Purchase price per GPU (server share), USD", 30000))
    usd_per_kwh = StrictFloat(validate=declared("energy", "usd_per_kwh"),
                              metadata=_doc("Electricity price, USD per kWh", 0.08))
    electricity_market = fields.String(
        validate=validate.Length(min=1, max=100),
        metadata=_doc("Where you build: the pricing table's energy rows of this market (their 'market' column, "
                      "else their region; any case) give the electricity price, PUE and grid intensity. Default: "
                      "'United States' where the table has it, else every energy row. A market the table lacks "
                      "is a 409 naming those it has.", "European Union"),
    )
    pricing_table = fields.String(
        validate=[
            validate.Regexp(r"^[a-z0-9][a-z0-9_-]{0,62}(@[1-9][0-9]{0,8})?$", error=_PRICING_TABLE_ERROR),
            _no_line_break,
        ],
        metadata=_doc("Pricing table to take prices from: 'name' (its active version) or 'name@version'. "
                      "Default: the built-in 'seed' table (GET /api/v1/pricing-tables).", "seed"),
    )


def _hardware_field() -> IdOrSpec:
    return IdOrSpec(
        HardwareSpecSchema,
        required=True,
        metadata=_doc("Catalog hardware id (GET /api/v1/hardware) or an inline GPU object", "h100-sxm"),
    )


_LAYOUT_DEFAULT = (
    "When omitted, the core chooses it Megatron-style (training_time.default_layout: the smallest "
    "model-parallel size that fits in memory, tensor parallel first (up to 8, inside the NVLink domain), then context parallel "
    "for sequences over 8K tokens, then pipeline stages; experts over up to 64 GPUs; a global batch of at least 4M "
    "tokens). The result's steady_state.layout shows the layout used. Not with 'utilisation', which replaces the "
    "step model."
)



def _degree(description: str, example: int) -> StrictInteger:
    """A parallel degree of the training layout (a whole number from 1 to ``PARALLEL_MAX``)."""
    return StrictInteger(validate=positive(PARALLEL_MAX), metadata=_doc(f"{description} {_LAYOUT_DEFAULT}", example))


class TrainingWorkloadSchema(_StrictSchema):
    """The fields of a training run other than the model and the prices."""

    OPENAPI_RULES: Rules = (
        not_both("gpus", "deadline_days"),  # training.validate
        # inputs.training_request: 'utilisation' replaces the step model a layout is for.
        not_both("utilisation", *TRAINING_LAYOUT),
    )

    tokens = StrictFloat(
        validate=[POSITIVE, TOKENS],
        metadata=_doc("Training tokens (default: the model's published pre-training tokens, where known)", 15.6e12),
    )
    hardware = _hardware_field()
    precision = fields.String(
        validate=validate.OneOf(PRECISIONS), metadata=_doc("Precision of the matrix products (default bf16)", "bf16")
    )
    gpus = StrictInteger(
        validate=positive(100_000_000), metadata=_doc("GPUs in the run; gives the wall-clock time", 1024)
    )
    deadline_days = StrictFloat(
        validate=positive(36_525, above=0.001),
        metadata=_doc("Wall-clock limit in days; gives the GPUs needed (instead of 'gpus'). Default, when neither "
                      "is given: 90 days, said in the warnings and the assumptions", 30),
    )
    sequence_tokens = StrictInteger(
        validate=[POSITIVE, SEQUENCE], metadata=_doc("Training sequence length (default: the model's)", 8192)
    )
    recompute = fields.String(
        validate=validate.OneOf(RECOMPUTE_MODES), metadata=_doc("Activation recomputation (default none)", "none")
    )
    utilisation = StrictFloat(
        validate=[FRACTION, Within(0.001, None)],
        metadata=_doc("Model FLOPs utilisation to assume instead of the calibrated range", 0.4),
    )
    goodput = StrictFloat(
        validate=[FRACTION, Within(0.001, None)], metadata=_doc("Fraction of GPU time doing useful work", 0.9)
    )
    # The parallel layout of the step model (training_time.step_time); each one omitted is chosen.
    tensor_parallel = _degree("Tensor-parallel degree: GPUs that split each layer's matrix products, inside one "
                              "NVLink domain.", 8)
    pipeline_parallel = _degree("Pipeline-parallel degree: stages the layers are split into.", 16)
    context_parallel = _degree("Context-parallel degree: GPUs that split the tokens of one sequence (long "
                               "sequences).", 1)
    expert_parallel = _degree("Expert-parallel degree: GPUs the routed experts of each MoE layer are spread over.", 8)
    global_batch_tokens = StrictFloat(
        validate=[POSITIVE, TOKENS],
        metadata=_doc("Global batch: tokens in one optimizer step, over all data-parallel replicas. "
                      f"{_LAYOUT_DEFAULT}", 16e6),
    )


class InferenceWorkloadSchema(_StrictSchema):
    """The fields of a serving deployment other than the model and the prices."""

    OPENAPI_RULES: Rules = (not_both("requests_per_s", "tokens_per_day"),)  # inference.validate

    hardware = _hardware_field()
    precision = fields.String(
        validate=validate.OneOf(SERVING_PRECISIONS),
        metadata=_doc(
            "Weights and compute precision (default bf16); int4 is weight-only 4-bit with bf16 compute", "fp8"
        ),
    )
    gpus_per_replica = StrictInteger(
        validate=[POSITIVE, validate.Range(max=MAX_GPUS_PER_REPLICA_GIVEN, error=(
            f"Must be less than or equal to {MAX_GPUS_PER_REPLICA_GIVEN:,}: the largest serving replicas published "
            "(DeepSeek's) span 144 GPUs."))],
        metadata=_doc("GPUs serving one copy of the model (default: the cheapest that fits)", 8),
    )
    batch_size = StrictInteger(
        validate=positive(10_000_000),
        metadata=_doc("Concurrent sequences per replica (default: the largest that meets 'tpot_ms' and fits)", 64),
    )
    context_tokens = StrictInteger(
        validate=[POSITIVE, SEQUENCE],
        metadata=_doc("KV-cache tokens held per sequence (default: input_tokens + output_tokens)", 4096),
    )
    input_tokens = StrictInteger(
        validate=[POSITIVE, SEQUENCE], metadata=_doc("Prompt tokens per request (default 1000)", 1000)
    )
    output_tokens = StrictInteger(
        validate=[POSITIVE, SEQUENCE], metadata=_doc("Generated tokens per request (default 500)", 500)
    )
    requests_per_s = StrictFloat(
        validate=positive(1e9, above=1e-6),
        metadata=_doc("Average load in requests per second (or 'tokens_per_day', not both)", 20),
    )
    tokens_per_day = StrictFloat(
        validate=[POSITIVE, TOKENS],
        metadata=_doc("Average load in tokens (input + output) per day (or 'requests_per_s', not both)", 1e9),
    )
    peak_to_average = StrictFloat(
        validate=[validate.Range(min=1), Within(None, 1000)],
        metadata=_doc("Peak load / average load the fleet is sized for, >= 1 (default 1)", 2),
    )
    ttft_ms = StrictFloat(validate=positive(3_600_000), metadata=_doc("Time-to-first-token target, milliseconds", 2000))
    tpot_ms = StrictFloat(
        validate=positive(3_600_000), metadata=_doc("Time-per-output-token target, milliseconds (sets the batch)", 50)
    )


class _TrainingModelFields(_StrictSchema):
    OPENAPI_RULES: Rules = (
        # inputs.resolve_model: the model by id or object, or by its parameter count, and
        # 'active_params' only with 'params'.
        one_of("model", "params"),
        not_both("model", "active_params"),
        training_tokens_rule,
    )
    model = IdOrSpec(
        ModelSpecSchema,
        metadata=_doc("Catalog model id (GET /api/v1/models) or an inline model object", "llama-3.1-70b"),
    )
    params = StrictFloat(validate=[POSITIVE, PARAMS], metadata=_doc("Total parameters, instead of 'model'", 7e9))
    active_params = StrictFloat(
        validate=[POSITIVE, PARAMS], metadata=_doc("Parameters active per token, with 'params' (MoE)", 7e9)
    )


class _InferenceModelFields(_StrictSchema):
    OPENAPI_RULES: Rules = ({"properties": {"model": SERVING_ARCHITECTURE}},)  # inference.kv_cache_bytes_per_token

    model = IdOrSpec(
        ModelSpecSchema,
        required=True,
        metadata=_doc(
            "Catalog model id (GET /api/v1/models) or an inline model object with its architecture "
            "(layers, kv_heads and head_dim, or the MLA sizes) to size the KV cache",
            "llama-3.1-70b",
        ),
    )


#: training.validate, inference.validate: the precision asked is one the hardware has tensor cores for.
TRAINING_PRECISION_RULE = precision_rule({p: p for p in PRECISIONS})
#: The training estimate's document: fp64 allowed on any GPU. With the full rule, the other training rules
#: and 24 fields (electricity_market the 24th), schemathesis's generator (jsonschema_rs 'canonicalize':
#: outgrew_intersections) gave up on the body; dropping any one field or hardware-checked precision brought
#: it back. fp64 is the precision a language model is least often trained in; the service still refuses
#: it on a GPU without FP64 tensor cores (422 unsupported-precision).
TRAINING_REQUEST_PRECISION_RULE = precision_rule({p: p for p in PRECISIONS}, unchecked=("fp64",))
SERVING_PRECISION_RULE = precision_rule(SERVING_COMPUTE_PRECISION)


class TrainingRequestSchema(_PriceFields, TrainingWorkloadSchema, _TrainingModelFields):
    """A pre-training run: a model (by id, inline, or by parameter count), tokens and hardware.

    Give ``gpus`` to get the wall-clock time, or ``deadline_days`` to get the GPUs needed; not both.
    Prices and efficiency factors default to the price book and the published measurements the
    result lists under ``assumptions``.
    """

    OPENAPI_RULES: Rules = (TRAINING_REQUEST_PRECISION_RULE,)


class InferenceRequestSchema(_PriceFields, InferenceWorkloadSchema, _InferenceModelFields):
    """Serving a model: the replica shape, the fleet for a load, latency, power and cost per token.

    A model cannot be given by ``params`` alone: the KV cache needs the architecture. Give the load
    as ``requests_per_s`` or ``tokens_per_day`` (not both); without one, the result is one replica.
    ``ttft_ms`` and ``tpot_ms`` are latency targets the replica must meet.
    """

    OPENAPI_RULES: Rules = (SERVING_PRECISION_RULE,)

    def load(self, data: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        # 'params' is not a serving field, but the core's message says why (the KV cache needs the
        # architecture) better than "Unknown field": set it aside and hand it on to the core.
        if not (isinstance(data, Mapping) and "params" in data):
            return super().load(data, **kwargs)
        loaded = super().load({k: v for k, v in data.items() if k != "params"}, **kwargs)
        return {**loaded, "params": data["params"]}


_PRESET_TEXT = "; ".join(f"{name}: {', '.join(ids)}" for name, ids in PRESETS.items())


class _CompareFields(_StrictSchema):
    """What to compare: the workload, the models (a list or a preset) and the baseline."""

    OPENAPI_RULES: Rules = (
        # _models_or_preset: 'models' or 'preset', not both; with a preset, the baseline is one of its
        # models (compare.compare).
        # (anyOf, with 'not both' apart: a oneOf of as many branches is more than schemathesis's generator
        # combines with the training rules.)
        {"anyOf": [{"required": ["models"]},
                   *({"required": ["preset"], "properties": {"preset": {"const": name}, "baseline": {"enum": list(ids)}}}
                     for name, ids in PRESETS.items())]},
        not_both("models", "preset"),
    )

    workload = fields.String(
        required=True,
        validate=validate.OneOf(WORKLOADS),
        metadata=_doc("training or inference; the other fields are those of that workload, without 'model'"),
    )
    models = fields.List(
        fields.String(validate=validate.Length(min=1)),
        validate=validate.Length(min=2, max=10),
        metadata={**_doc("2 to 10 catalog model ids (or 'preset'), each once", ["llama-3.1-405b", "deepseek-v3"]),
                  "uniqueItems": True},
    )
    preset = fields.String(
        validate=validate.OneOf(tuple(PRESETS)),
        metadata=_doc(f"A named set of models instead of 'models': {_PRESET_TEXT}", "article"),
    )
    baseline = fields.String(
        validate=validate.Length(min=1),
        metadata=_doc("The model the ratios are relative to (default: the first)", "llama-3.1-405b"),
    )

    @validates_schema(pass_original=True, skip_on_field_errors=False)
    def _models_or_preset(self, data: dict[str, Any], original: Any, **kwargs: Any) -> None:
        given = [k for k in ("models", "preset") if isinstance(original, Mapping) and k in original]
        if given == ["models", "preset"]:
            raise ValidationError("Conflicts with 'models': give 'models' or 'preset', not both.", "preset")
        if not given:
            raise ValidationError(
                f"Missing 'models' or 'preset': give 2 to 10 catalog ids, or one of {', '.join(PRESETS)}.", "models"
            )


class TrainingCompareRequestSchema(_PriceFields, TrainingWorkloadSchema, _CompareFields):
    """Compare models on one training run: the training fields, without 'model'."""

    # Not TRAINING_PRECISION_RULE: with it and the other rules, schemathesis's generator (jsonschema_rs
    # 'canonicalize') gives up on the body as a whole; the service still refuses a precision the hardware
    # lacks (422 unsupported-precision), as for the training sensitivity analysis.
    OPENAPI_RULES: Rules = (compare_tokens_rule,)

    workload = fields.String(
        required=True, validate=validate.OneOf(("training",)), metadata=_doc("Always 'training' here", "training")
    )


class InferenceCompareRequestSchema(_PriceFields, InferenceWorkloadSchema, _CompareFields):
    """Compare models serving one load: the inference fields, without 'model'."""

    OPENAPI_RULES: Rules = (SERVING_PRECISION_RULE,)

    workload = fields.String(
        required=True, validate=validate.OneOf(("inference",)), metadata=_doc("Always 'inference' here", "inference")
    )


COMPARE_REQUEST_SCHEMAS: dict[str, type[Schema]] = {
    "training": TrainingCompareRequestSchema,
    "inference": InferenceCompareRequestSchema,
}
#: Keys of a comparison body that are not passed on to the core as request values.
COMPARE_KEYS = frozenset(_CompareFields().fields)


class _WorkloadSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    workload = fields.String(required=True, validate=validate.OneOf(WORKLOADS))


def load_compare(data: Any) -> dict[str, Any]:
    """Check a comparison body with the schema of its 'workload' (422 at /workload if that is wrong)."""
    workload = _WorkloadSchema().load(data)["workload"]
    return COMPARE_REQUEST_SCHEMAS[workload]().load(data)


# --- Hardware comparison: one model, several GPUs (estimator/compare_hardware.py) -----------------
_BEST_TEXT = ("Default: each GPU at its best supported precision (serving: fp4, else fp8, else bf16; training: "
              "fp8, else bf16)")


def _hardware_compare_fields(workload: str, precisions: tuple[str, ...]) -> dict[str, fields.Field]:
    """The fields a hardware comparison adds to (or changes in) the workload's estimate fields."""
    ranks = RANKABLE[workload]
    return {
        "workload": fields.String(required=True, validate=validate.OneOf((workload,)),
                                  metadata=_doc(f"Always '{workload}' here", workload)),
        "model": IdOrSpec(ModelSpecSchema, required=True,
                          metadata=_doc("Catalog model id (GET /api/v1/models) or an inline model object",
                                        "llama-3.1-70b")),
        "hardware": HardwareEntries(
            required=True,
            metadata=_doc(f'"{ALL}" (every catalog GPU), or 1 to {MAX_ENTRIES} entries: a hardware id, optionally '
                          f"with a precision after '{SEPARATOR}' ('h100-sxm{SEPARATOR}fp8'), so one GPU may appear "
                          "at two precisions. Each GPU and precision at most once.",
                          ["h100-sxm", "h200-sxm", "b200"])),
        "precision": fields.String(
            validate=validate.OneOf(precisions),
            metadata=_doc(f"Precision of every entry without its own ':precision'. {_BEST_TEXT}; a GPU without "
                          "it gets a row with the error.")),
        "baseline": fields.String(
            validate=validate.Length(min=1, max=200),
            metadata=_doc("The entry the ratios divide by (an id, with ':precision' when the GPU is listed twice). "
                          "Default: with \"all\", H100 SXM (the field's reference GPU) when it can run the workload, else "
                          "the first GPU that can; with a list, the first entry that can", "h100-sxm")),
        "rank_by": fields.String(
            validate=validate.OneOf(ranks),
            metadata=_doc(f"The figure to rank by, lowest mid estimate first (ties: high, then low). Default "
                          f"'{DEFAULT_RANK[workload]}'", DEFAULT_RANK[workload])),
    }


#: Per-GPU prices would give every GPU the same price: a hardware comparison takes its prices from
#: the pricing table (``pricing_table``), per GPU.
PER_GPU_PRICES = ("usd_per_gpu_hour", "capex_usd_per_gpu")


class _HardwareCompareMeta:
    unknown = RAISE
    exclude = PER_GPU_PRICES


# Built with type() so both workloads share one definition of the fields a hardware comparison adds;
# fields of the class's own namespace come after (and replace) the inherited ones.
TrainingHardwareCompareRequestSchema = type(
    "TrainingHardwareCompareRequestSchema",
    (_PriceFields, TrainingWorkloadSchema),
    {"__doc__": "One model's training run on several GPUs, ranked: the training fields, with 'hardware' a list.",
     "Meta": _HardwareCompareMeta, "OPENAPI_RULES": (training_tokens_rule,),
     **_hardware_compare_fields("training", PRECISIONS)},
)
InferenceHardwareCompareRequestSchema = type(
    "InferenceHardwareCompareRequestSchema",
    (_PriceFields, InferenceWorkloadSchema),
    {"__doc__": "One model served on several GPUs, ranked: the inference fields, with 'hardware' a list.",
     "Meta": _HardwareCompareMeta, "OPENAPI_RULES": ({"properties": {"model": SERVING_ARCHITECTURE}},),
     **_hardware_compare_fields("inference", SERVING_PRECISIONS)},
)
HARDWARE_COMPARE_REQUEST_SCHEMAS: dict[str, type[Schema]] = {
    "training": TrainingHardwareCompareRequestSchema,
    "inference": InferenceHardwareCompareRequestSchema,
}
#: Keys of a hardware comparison body that are not passed on to the core as request values.
HARDWARE_COMPARE_KEYS = frozenset(("workload", "model", "hardware", "baseline", "rank_by"))


def load_hardware_compare(data: Any) -> dict[str, Any]:
    """Check a hardware comparison body with the schema of its 'workload'."""
    workload = _WorkloadSchema().load(data)["workload"]
    return HARDWARE_COMPARE_REQUEST_SCHEMAS[workload]().load(data)


TRAINING_EXAMPLE = {"model": "llama-3.1-70b", "tokens": 15.6e12, "hardware": "h100-sxm", "gpus": 1024}
INFERENCE_EXAMPLE = {
    "model": "llama-2-70b",
    "hardware": "h100-sxm",
    "precision": "fp8",
    "input_tokens": 300,
    "output_tokens": 294,
    "requests_per_s": 20,
    "tpot_ms": 50,
}
COMPARE_EXAMPLES = {
    "inference-preset": {
        "summary": "The article's models serving 20 requests/s on H200 in fp8",
        "value": {
            "workload": "inference",
            "preset": "article",
            "hardware": "h200-sxm",
            "precision": "fp8",
            "requests_per_s": 20,
        },
    },
    "training-models": {
        "summary": "Two models trained on the same tokens and GPUs",
        "value": {
            "workload": "training",
            "models": ["llama-3.1-405b", "deepseek-v3"],
            "tokens": 14.8e12,
            "hardware": "h100-sxm",
            "gpus": 2048,
        },
    },
}

HARDWARE_COMPARE_EXAMPLES = {
    "inference-three-gpus": {
        "summary": "Llama 3.1 70B serving 20 requests/s within latency targets on H100, H200 and B200",
        "value": {
            "workload": "inference",
            "model": "llama-3.1-70b",
            "hardware": ["h100-sxm", "h200-sxm", "b200"],
            "requests_per_s": 20,
            "ttft_ms": 500,
            "tpot_ms": 30,
        },
    },
    "inference-all-fp8-and-bf16": {
        "summary": "Every catalog GPU, ranked by the cost renting per million output tokens",
        "value": {"workload": "inference", "model": "llama-3.1-8b", "hardware": "all",
                  "rank_by": "cost_usd_per_million_output_tokens_rent", "requests_per_s": 5},
    },
    "training-precisions": {
        "summary": "A training run on H100 in fp8 and bf16 and on B200, relative to H100 bf16",
        "value": {"workload": "training", "model": "llama-3.1-70b", "hardware": ["h100-sxm:fp8", "h100-sxm:bf16", "b200"],
                  "baseline": "h100-sxm:bf16", "tokens": 15e12, "gpus": 1024},
    },
}


# --- Responses (documentation only) -------------------------------------------------------------
# The estimates' schemas are built from the declaration of their figures (estimator/figures.py):
# each figure's label, description, unit and formula become its property's description, so the
# document, the pages, the downloads and the command line describe a figure with the same words.
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
    """IT and facility power: the shape of ``power_kw`` (both workloads) and ``provisioned_power_kw``."""

    it = fields.Nested(BandSchema, required=True, metadata=_doc("IT power of the GPUs' servers, kW"))
    facility = fields.Nested(BandSchema, required=True, metadata=_doc("IT power x PUE, kW"))


class RentOwnSchema(_DocSchema):
    """Renting and owning: the shape of the serving cost of input and of output tokens."""

    rent = fields.Nested(BandSchema, required=True, metadata=_doc("Renting the GPUs at the price book's rate"))
    own = fields.Nested(BandSchema, required=True, metadata=_doc("Owning them: capex share + energy + hosting"))


class AssumptionSchema(_DocSchema):
    name = fields.String(required=True)
    value = fields.Raw(required=True, metadata=_doc("A number, a text, or a band {low, mid, high}"))
    unit = fields.String(required=True)
    source = fields.String(required=True)


class PricePointSchema(_DocSchema):
    kind = fields.String(required=True, metadata=_doc("rent, purchase, electricity, hosting, pue or grid"))
    value = fields.Float(required=True)
    unit = fields.String(required=True)
    effective_date = fields.String(required=True, metadata=_doc("ISO date the price applies from"))
    source = fields.String(required=True)
    table = fields.String(required=True, metadata=_doc("The pricing table (name@version) the point comes from: "
                                                        "the seed table's where the named table has none of the kind"))
    hardware_id = fields.String()
    provider = fields.String()
    product = fields.String()
    region = fields.String()
    market = fields.String(metadata=_doc("energy: the electricity market the row prices (its region if not given)"))
    scope = fields.String(metadata=_doc("purchase: gpu, board, server or rack"))
    pricing_model = fields.String(metadata=_doc("rent: on_demand, reserved_1y, reserved_3y, spot, capacity_block"))
    amortization_years = fields.Float()


class PricingSchema(_DocSchema):
    table = fields.String(required=True, metadata=_doc("Pricing table name ('seed': built in)"))
    version = fields.Integer(required=True, allow_none=True, metadata=_doc("Its version (null for 'seed')"))
    prices = fields.List(fields.Nested(PricePointSchema), required=True,
                         metadata=_doc("Every price point behind the costs, with its source and date"))


class ApiPriceSchema(_DocSchema):
    """A public API list price for the same model, USD per million tokens, with its source."""

    provider = fields.String(required=True)
    product = fields.String(allow_none=True)
    input = fields.Float(required=True)
    cached_input = fields.Float(allow_none=True)
    output = fields.Float(required=True)
    as_of = fields.String(required=True)
    source = fields.String(required=True)


#: Objects of one shape in several places of a result (``figures.Group.schema``): written above,
#: with the figures of each place described where it is used.
SHARED_SHAPES: dict[str, type[Schema]] = {"Power": PowerSchema, "RentOwn": RentOwnSchema}
#: The records of a result (``figures.RECORD``): lists and objects with a schema of their own.
_RECORDS: dict[str, Any] = {
    figures.Training.ASSUMPTIONS.name: lambda **kw: fields.List(fields.Nested(AssumptionSchema), **kw),
    figures.Training.WARNINGS.name: lambda **kw: fields.List(fields.String(), **kw),
    figures.Training.PRICING.name: lambda **kw: fields.Nested(PricingSchema, **kw),
    figures.Serving.API_PRICE.name: lambda **kw: fields.Nested(ApiPriceSchema, **kw),
}
_VALUES = {"number": fields.Float, "integer": fields.Integer, "string": fields.String}
_GROUP_SCHEMAS: dict[str, type[Schema]] = {}


def _figure_field(figure: figures.Figure) -> fields.Field:
    options: dict[str, Any] = {"required": not figure.optional, "metadata": _doc(figure.doc)}
    if figure.nullable:
        options["allow_none"] = True
    if figure.kind == figures.BAND:
        return fields.Nested(CountBandSchema if figure.type == "integer" else BandSchema, **options)
    if figure.kind == figures.RECORD:
        return _RECORDS[figure.name](**options)  # type: ignore[no-any-return]
    return _VALUES[figure.type](**options)  # type: ignore[no-any-return]


def _entry_field(entry: figures.Figure | figures.Group) -> fields.Field:
    if isinstance(entry, figures.Figure):
        return _figure_field(entry)
    description = entry.description
    if entry.schema in SHARED_SHAPES:  # the shape is shared: say here what each member is in this place
        description += " " + " ".join(f"'{m.name}': {m.doc}" for m in figures.members(entry) if isinstance(m, figures.Figure))
    if entry.when:
        description += f" Only {entry.when}."
    return fields.Nested(group_schema(entry), required=not entry.optional, metadata=_doc(description))


def group_schema(group: figures.Group) -> type[Schema]:
    """The schema of an object of figures: a shared shape, or one built from its members."""
    if group.schema in SHARED_SHAPES:
        return SHARED_SHAPES[group.schema]
    if group.schema not in _GROUP_SCHEMAS:
        members = {m.name: _entry_field(m) for m in figures.members(group)}
        _GROUP_SCHEMAS[group.schema] = _DocSchema.from_dict(members, name=group.schema)
    return _GROUP_SCHEMAS[group.schema]


def estimate_schema(workload: str, name: str) -> type[Schema]:
    """The response schema of an estimate: every figure of ``figures.top_level(workload)``."""
    return _DocSchema.from_dict({e.name: _entry_field(e) for e in figures.top_level(workload)}, name=name)


#: The estimates, exactly as ``estimator training --json`` and ``estimator inference --json`` print them.
TrainingEstimateSchema = estimate_schema(figures.TRAINING, "TrainingEstimate")
InferenceEstimateSchema = estimate_schema(figures.INFERENCE, "InferenceEstimate")


def _metrics_doc(text: str) -> dict[str, Any]:
    listed = "; ".join(f"{workload}: " + ", ".join(f"'{m.name}' ({m.description.rstrip('.')})" for m in metrics)
                       for workload, metrics in figures.METRICS.items())
    return _doc(f"{text}. The metrics, {listed}")


class ComparisonSchema(Schema):
    """The comparison, exactly as ``estimator compare --json`` prints it."""

    workload = fields.String(required=True)
    baseline = fields.String(required=True, metadata=_doc("Model id the ratios divide by"))
    rows = fields.List(
        fields.Dict(),
        required=True,
        metadata=_doc("Per model: its full estimate, or {model, error} when it cannot run this workload"),
    )
    metrics = fields.Dict(
        keys=fields.String(),
        values=fields.Dict(keys=fields.String(), values=fields.Float()),
        required=True,
        metadata=_metrics_doc("Per model that ran: the headline figures (mid estimates)"),
    )
    ratios = fields.Dict(
        keys=fields.String(),
        values=fields.Dict(keys=fields.String(), values=fields.Float(allow_none=True)),
        required=True,
        metadata=_doc("Per model that ran: each metric divided by the baseline's (null where that is 0)"),
    )


def _headlines_doc(text: str) -> dict[str, Any]:
    listed = "; ".join(f"{workload}: " + ", ".join(f"'{h.name}' ({h.heading})" for h in headlines)
                       for workload, headlines in HEADLINES.items())
    return _doc(f"{text}. The figures, {listed}")


class HardwareLatencySchema(_DocSchema):
    """Serving rows: the latency targets met, or the limit that binds."""

    met = fields.Boolean(required=True, allow_none=True,
                         metadata=_doc("true: the mid estimate meets the targets; false: no replica can; null: no targets"))
    binding = fields.String(required=True, allow_none=True, metadata=_doc("'ttft' or 'tpot' where a target is out of reach"))
    ttft_ms = fields.Float(required=True, allow_none=True, metadata=_doc("The mid replica's time to first token, ms"))
    tpot_ms = fields.Float(required=True, allow_none=True, metadata=_doc("The mid replica's p99 time per output token, ms"))


class HardwareRowSchema(_DocSchema):
    """One GPU at one precision: its headline figures, ratios and estimate, or why it cannot run."""

    entry = fields.String(required=True, metadata=_doc(f"'<hardware id>{SEPARATOR}<precision>'", "b200:fp4"))
    hardware = fields.String(required=True, metadata=_doc("Catalog hardware id"))
    precision = fields.String(required=True)
    precision_chosen = fields.String(required=True, metadata=_doc("'given' (in the entry or 'precision') or 'best'"))
    rank = fields.Integer(required=True, allow_none=True, metadata=_doc("1 = lowest 'rank_by'; null: cannot run"))
    figures = fields.Dict(keys=fields.String(), values=fields.Raw(),
                          metadata=_headlines_doc("Headline figures: a band {low, mid, high} or one value"))
    ratios = fields.Dict(keys=fields.String(), values=fields.Float(allow_none=True),
                         metadata=_doc("Each figure's mid / the baseline's (null where that is 0)"))
    latency = fields.Nested(HardwareLatencySchema, metadata=_doc("Serving only"))
    estimate = fields.Dict(metadata=_doc("The full single estimate of this GPU and precision "
                                         "(TrainingEstimate or InferenceEstimate)"))
    error = fields.Dict(metadata=_doc("Why this GPU cannot run the workload: {code, field, detail, ...}, as in "
                                      "the model comparison's rows"))


class HardwareComparisonSchema(Schema):
    """The hardware comparison, exactly as ``estimator compare --hardware ... --json`` prints it."""

    workload = fields.String(required=True)
    model = fields.String(required=True, metadata=_doc("The model's id"))
    rank_by = fields.String(required=True, metadata=_doc("The figure the rows are ranked by (mid, lowest first)"))
    baseline = fields.String(required=True, metadata=_doc("The entry the ratios divide by"))
    rows = fields.List(fields.Nested(HardwareRowSchema), required=True,
                       metadata=_doc("Ranked: rank 1 first, then the entries that cannot run, in the order given"))


class ProblemItemSchema(Schema):
    """One problem; it may carry members of its own ('closest', 'min_gpus', 'line', 'column' …)."""

    class Meta:
        unknown = INCLUDE  # documented as additionalProperties: true

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
    "COMPARE_EXAMPLES",
    "COMPARE_KEYS",
    "COMPARE_REQUEST_SCHEMAS",
    "HARDWARE_COMPARE_EXAMPLES",
    "HARDWARE_COMPARE_KEYS",
    "HARDWARE_COMPARE_REQUEST_SCHEMAS",
    "HardwareComparisonSchema",
    "InferenceHardwareCompareRequestSchema",
    "TrainingHardwareCompareRequestSchema",
    "load_hardware_compare",
    "INFERENCE_EXAMPLE",
    "OPENAPI_ATTRIBUTE_FUNCTIONS",
    "TRAINING_EXAMPLE",
    "ComparisonSchema",
    "HardwareRecordSchema",
    "HardwareSpecSchema",
    "InferenceCompareRequestSchema",
    "InferenceEstimateSchema",
    "InferenceRequestSchema",
    "InferenceWorkloadSchema",
    "ModelRecordSchema",
    "ModelSpecSchema",
    "ProblemSchema",
    "TrainingCompareRequestSchema",
    "TrainingEstimateSchema",
    "TrainingRequestSchema",
    "TrainingWorkloadSchema",
    "load_compare",
]
