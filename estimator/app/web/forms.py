"""HTML forms that go through the API's own request schemas.

A form lists schema fields by name, in fieldsets; a field's widget and choices come from the
schema field (its type, its ``OneOf`` choices), its label and hint from ``LABELS`` and ``HINTS``
(falling back to the schema's description), so a form cannot accept what the API would refuse.
Submitted text becomes what the JSON API would receive: an empty box is a missing field, a
number typed as text becomes a number (``15.6e12``, ``16,384``), anything else is handed to the
schema as it is and gets the schema's own message ("Not a valid number.").

The forms submit with GET: the query string is the whole request, so a result's address is its
permalink (``Form.query`` gives the canonical one: non-empty fields only, in form order).

Blank means default: a first visit fills in only the choices (model, GPU, precision, preset, the
GPUs to compare), never a number that belongs to one model (a token count, a GPU count, a load),
so changing the model never silently keeps another model's figures. A number field shows what
leaving it blank means as its placeholder (``PLACEHOLDERS``) and in its hint; worked examples are
one-click links (``EXAMPLES``, ``example_links``) that fill in every value.

A catalog pick (``model``, ``hardware``) can be ``custom``: the fields named ``model.<field>``
(or ``hardware.<field>``) in the "custom" fieldset then become the inline record the API takes
in its place (``ModelSpecSchema``, ``HardwareSpecSchema``), and the schema's errors for
``/model/<field>`` show next to those fields. Choices that depend on the app's state (the
pricing tables) are handed to ``build_form``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate
from werkzeug.datastructures import MultiDict

from estimator.catalog import Catalog
from estimator.compare import PRESETS
from estimator.compare_hardware import ALL, DEFAULT_RANK, headline
from estimator.compare_hardware import HEADLINES as HEADLINES_BY_WORKLOAD
from estimator.inputs import TRAINING_LAYOUT

from ..errors import ProblemError
from ..schemas import (
    COMPARE_REQUEST_SCHEMAS,
    HARDWARE_COMPARE_REQUEST_SCHEMAS,
    PER_GPU_PRICES,
    HardwareEntries,
    HardwareSpecSchema,
    IdOrSpec,
    InferenceRequestSchema,
    ModelSpecSchema,
    StrictInteger,
    TrainingRequestSchema,
)
from .present import fmt

#: What a reader sees for each field (the schema's description becomes the hint under it).
LABELS = {
    "model": "Model",
    "hardware": "GPU",
    "precision": "Precision",
    "tokens": "Training tokens",
    "gpus": "GPUs",
    "deadline_days": "Deadline (days)",
    "sequence_tokens": "Sequence length (tokens)",
    "recompute": "Activation recomputation",
    "utilisation": "Model FLOPs utilisation (0 to 1)",
    "goodput": "Goodput (0 to 1)",
    "gpus_per_replica": "GPUs per replica",
    "batch_size": "Batch size (sequences)",
    "context_tokens": "Context per sequence (tokens)",
    "input_tokens": "Prompt tokens per request",
    "output_tokens": "Output tokens per request",
    "requests_per_s": "Load (requests per second)",
    "tokens_per_day": "Load (tokens per day)",
    "peak_to_average": "Peak-to-average load",
    "ttft_ms": "Time-to-first-token target (ms)",
    "tpot_ms": "Time-per-output-token target (ms)",
    "pue": "PUE (facility power / IT power)",
    "grid_kg_co2_per_kwh": "Grid carbon intensity (kg CO₂ per kWh)",
    "usd_per_gpu_hour": "Rental price (USD per GPU-hour)",
    "capex_usd_per_gpu": "Purchase price (USD per GPU)",
    "usd_per_kwh": "Electricity price (USD per kWh)",
    "electricity_market": "Electricity market (where you build)",
    "preset": "Preset",
    "models": "Models",
    "baseline": "Baseline",
    "pricing_table": "Pricing table",
    "rank_by": "Rank by",
}
#: The hardware comparison's labels where they differ from the other pages'.
HARDWARE_LABELS = {"hardware": "GPUs", "precision": "Precision (every GPU)", "baseline": "Baseline GPU"}
#: Hints for readers where the API's descriptions talk about field names and endpoints; the other
#: fields show their schema description.
HINTS = {
    "model": "From the catalog; the catalog page lists each model's figures and sources.",
    "hardware": "From the catalog; prices come from the pricing table unless you give your own below.",
    "models": "Tick 2 to 10 models, or choose a preset above instead.",
    "preset": "A named set of models; leave on 'None' to tick models below.",
    "baseline": "Every figure is also given as a multiple of this model's.",
    "tokens": "Leave empty for the model's own published pre-training tokens, where known. 15.6e12 means "
    "15.6 trillion.",
    "gpus": "How many GPUs run the job; gives the number of days. Leave it and the deadline empty for a 90-day deadline.",
    "deadline_days": "Instead of GPUs: the days available; gives the GPUs needed. Empty with no GPUs: 90 days.",
    "sequence_tokens": "Default: the model's pre-training sequence length.",
    "utilisation": "Share of peak FLOP/s the run reaches. Default: the range measured on published runs.",
    "goodput": "Share of reserved GPU time doing useful work. Default: the range published runs report.",
    "gpus_per_replica": "GPUs holding one copy of the model. Default: the cheapest size that fits and meets the targets.",
    "batch_size": "Sequences served at once by one replica. Default: the largest that fits and meets the targets.",
    "context_tokens": "KV-cache tokens kept per sequence. Default: prompt + output tokens.",
    "requests_per_s": "Average requests per second (or give tokens per day, not both). Leave both empty to size "
    "one replica at its best throughput.",
    "tokens_per_day": "Average prompt + output tokens per day (or give requests per second, not both).",
    "input_tokens": "Prompt tokens of one request. Default: 1,000.",
    "output_tokens": "Tokens generated for one request. Default: 500.",
    "peak_to_average": "Size the fleet for peaks this many times the average load. Default: 1.",
    "ttft_ms": "Longest acceptable wait for the first token of an answer. Empty: no target.",
    "tpot_ms": "Longest acceptable time between output tokens; it limits the batch size. Empty: no target.",
    "pue": "1 would be a datacenter with no cooling or power losses.",
    "grid_kg_co2_per_kwh": "Emissions of the electricity used. Default: the US grid average.",
    "usd_per_gpu_hour": "What renting one GPU for an hour costs. Default: the price book's range for this GPU.",
    "capex_usd_per_gpu": "Server cost per GPU, spread over its useful life. Default: the price book.",
    "usd_per_kwh": "What the datacenter pays for electricity. Default: the price book.",
    "electricity_market": "Electricity, PUE and grid figures come from the pricing table's rows of this market "
    "(a price you give above wins).",
    "pricing_table": "Where the prices below come from when you leave them empty: the built-in table, or an "
    "uploaded one (its active version; the result's permalink keeps the version used).",
}
#: The hardware comparison's hints where they differ from the other pages'.
HARDWARE_HINTS = {
    "hardware": f"'{ALL}' for every GPU of the catalog, or ids separated by commas, each optionally with a precision "
    "after a colon: h100-sxm, h200-sxm:fp8, b200:fp4, b200:fp8.",
    "precision": "Leave on 'Default' for each GPU's best supported precision (serving: fp4, else fp8, else bf16; "
    "training: fp8, else bf16); a GPU without the one chosen shows why.",
    "baseline": f"Every figure is also given as a multiple of this GPU's. Default: with '{ALL}', the H100 SXM (the "
    "field's reference GPU) when it can run it; otherwise the first GPU listed that can.",
    "rank_by": "Lowest mid estimate first. A GPU whose low, mid and high are all higher never ranks above another.",
    "pricing_table": HINTS["pricing_table"] + " Each GPU is priced from the table (per-GPU price overrides do not "
    "apply to a comparison of GPUs).",
}
_SITE = (
    "Site and prices (optional: leave empty for the sourced defaults)",
    ("pricing_table", "electricity_market", "pue", "grid_kg_co2_per_kwh", "usd_per_gpu_hour", "capex_usd_per_gpu",
     "usd_per_kwh"),
)
LAYOUTS: dict[str, tuple[tuple[str, tuple[str, ...]], ...]] = {
    "training": (
        ("Model and hardware", ("model", "hardware", "precision")),
        ("The run", ("tokens", "gpus", "deadline_days", "sequence_tokens", "recompute")),
        ("Efficiency (optional: leave empty for the calibrated range)", ("utilisation", "goodput")),
        _SITE,
    ),
    "inference": (
        ("Model and hardware", ("model", "hardware", "precision", "gpus_per_replica", "batch_size")),
        (
            "Requests and load",
            ("input_tokens", "output_tokens", "context_tokens", "requests_per_s", "tokens_per_day", "peak_to_average"),
        ),
        ("Latency targets", ("ttft_ms", "tpot_ms")),
        _SITE,
    ),
}
_COMPARE_FIELDSET = ("What to compare", ("preset", "models", "baseline"))
_HARDWARE_FIELDSET = ("Model and GPUs", ("model", "hardware", "precision", "rank_by", "baseline"))
#: Fields of the API schemas that the forms leave out, with the reason.
NOT_ON_FORMS = {
    "params": "the forms give a model by its catalog id or as a custom architecture",
    "active_params": "the forms give a model by its catalog id or as a custom architecture",
    **dict.fromkeys(TRAINING_LAYOUT, "the parallel layout is for the API and the command line: the forms have no "
                    "advanced section, and the result shows the layout the core chose"),
}

#: The option of a catalog pick that takes the inline record from the "custom" fields.
CUSTOM = "custom"


@dataclass(frozen=True)
class Spec:
    """The inline record a catalog pick can be given as instead of an id."""

    schema: type[Schema]
    legend: str
    option: str
    fields: tuple[str, ...]


#: The inline records the forms offer, and the fields of each they show (the seed CSV columns
#: that change an estimate; ids, sources and dates are left to the API).
SPECS: dict[str, Spec] = {
    "model": Spec(
        ModelSpecSchema,
        "Custom model (when Model is 'Custom')",
        "Custom: give its architecture below",
        (
            "name",
            "total_params",
            "active_params",
            "attention",
            "layers",
            "hidden_size",
            "attention_heads",
            "kv_heads",
            "head_dim",
            "ffn_size",
            "dense_layers",
            "experts",
            "experts_per_token",
            "shared_experts",
            "moe_ffn_size",
            "q_lora_rank",
            "kv_lora_rank",
            "qk_rope_head_dim",
            "qk_nope_head_dim",
            "v_head_dim",
            "vocab_size",
            "max_context_tokens",
            "training_sequence_tokens",
            "training_tokens",
        ),
    ),
    "hardware": Spec(
        HardwareSpecSchema,
        "Custom GPU (when GPU is 'Custom')",
        "Custom: give its specifications below",
        (
            "name",
            "bf16_dense_tflops",
            "fp8_dense_tflops",
            "fp4_dense_tflops",
            "hbm_gb",
            "hbm_bandwidth_tb_per_s",
            "tdp_w",
            "nvlink_gb_per_s",
            "nvlink_domain_gpus",
            "gpus_per_node",
            "node_max_power_kw",
        ),
    ),
}
SPEC_LABELS = {
    "name": "Name",
    "total_params": "Parameters (all, MoE: every expert)",
    "active_params": "Parameters active per token",
    "attention": "Attention",
    "layers": "Layers",
    "hidden_size": "Hidden size (model width)",
    "attention_heads": "Query heads",
    "kv_heads": "Key/value heads",
    "head_dim": "Head width",
    "ffn_size": "Dense FFN width",
    "dense_layers": "Layers with a dense FFN (MoE)",
    "experts": "Routed experts per MoE layer",
    "experts_per_token": "Routed experts per token",
    "shared_experts": "Shared experts per MoE layer",
    "moe_ffn_size": "Expert FFN width",
    "q_lora_rank": "MLA query rank",
    "kv_lora_rank": "MLA key/value latent width",
    "qk_rope_head_dim": "MLA rotary head width",
    "qk_nope_head_dim": "MLA non-rotary head width",
    "v_head_dim": "MLA value head width",
    "vocab_size": "Vocabulary (tokens)",
    "max_context_tokens": "Longest context (tokens)",
    "training_sequence_tokens": "Pre-training sequence length (tokens)",
    "training_tokens": "Published pre-training tokens",
    "bf16_dense_tflops": "BF16 dense peak (TFLOP/s)",
    "fp8_dense_tflops": "FP8 dense peak (TFLOP/s)",
    "fp4_dense_tflops": "FP4 dense peak (TFLOP/s)",
    "hbm_gb": "Memory (GB)",
    "hbm_bandwidth_tb_per_s": "Memory bandwidth (TB/s)",
    "tdp_w": "Board power (W)",
    "nvlink_gb_per_s": "NVLink bandwidth per GPU (GB/s)",
    "nvlink_domain_gpus": "GPUs in one NVLink domain",
    "gpus_per_node": "GPUs per server",
    "node_max_power_kw": "Server maximum power (kW)",
}
#: What a page shows before anything is submitted: choices only (blank means default).
DEFAULTS: dict[str, dict[str, str | list[str]]] = {
    "training": {"model": "llama-3.1-405b", "hardware": "h100-sxm"},
    "inference": {"model": "deepseek-v3", "hardware": "h200-sxm", "precision": "fp8"},
}
COMPARE_DEFAULTS: dict[str, str | list[str]] = {"preset": "article"}
HARDWARE_DEFAULTS: dict[str, dict[str, str | list[str]]] = {
    "training": {"model": "llama-3.1-70b", "hardware": "h100-sxm, h200-sxm, b200, gb200"},
    "inference": {"model": "llama-3.1-70b", "hardware": ALL},
}
#: What an empty number field means, shown inside it (the hint says it in words).
PLACEHOLDERS = {
    "tokens": "the model's own, e.g. 15.6e12",
    "gpus": "e.g. 16,384",
    "deadline_days": "90 when no GPUs are given",
    "sequence_tokens": "the model's own",
    "utilisation": "calibrated range",
    "goodput": "calibrated range",
    "gpus_per_replica": "cheapest that fits",
    "batch_size": "largest that meets the targets",
    "context_tokens": "prompt + output",
    "input_tokens": "1000",
    "output_tokens": "500",
    "requests_per_s": "none: one replica, e.g. 20",
    "tokens_per_day": "e.g. 2e9",
    "peak_to_average": "1",
    "ttft_ms": "no target, e.g. 2000",
    "tpot_ms": "no target, e.g. 50",
    "pue": "sourced range",
    "grid_kg_co2_per_kwh": "US grid average",
    "usd_per_gpu_hour": "pricing table",
    "capex_usd_per_gpu": "pricing table",
    "usd_per_kwh": "pricing table",
}


@dataclass(frozen=True)
class Example:
    """A worked example: a one-click link that fills in every value (a title and what it shows)."""

    title: str
    label: str
    values: dict[str, str]


#: Worked examples per page (the first is the page's one-click default, ``default_query``).
EXAMPLES: dict[str, tuple[Example, ...]] = {
    "training": (
        Example("Llama 3.1 405B", "as published: 15.6T tokens on 16,384 H100s",
                {"model": "llama-3.1-405b", "hardware": "h100-sxm", "tokens": "15.6e12", "gpus": "16384"}),
        Example("DeepSeek-V3", "as published: its 14.8T tokens on 2,048 H800s in fp8",
                {"model": "deepseek-v3", "hardware": "h800-sxm", "precision": "fp8", "gpus": "2048"}),
        Example("Llama 3.1 70B", "its 15T tokens within 30 days on H200s",
                {"model": "llama-3.1-70b", "hardware": "h200-sxm", "deadline_days": "30"}),
    ),
    "inference": (
        Example("DeepSeek-V3", "on H200 in fp8, 20 requests/s within TTFT 2 s and TPOT 50 ms",
                {"model": "deepseek-v3", "hardware": "h200-sxm", "precision": "fp8", "requests_per_s": "20",
                 "input_tokens": "1000", "output_tokens": "500", "ttft_ms": "2000", "tpot_ms": "50"}),
        Example("Llama 3.1 8B", "one H100, one request at a time",
                {"model": "llama-3.1-8b", "hardware": "h100-sxm", "gpus_per_replica": "1", "batch_size": "1"}),
        Example("Llama 3.1 70B", "on H100 in fp8, 2 billion tokens a day within TPOT 50 ms",
                {"model": "llama-3.1-70b", "hardware": "h100-sxm", "precision": "fp8", "tokens_per_day": "2e9",
                 "tpot_ms": "50"}),
    ),
}
#: The comparison pages' worked examples, per workload (the model comparison also has its presets).
COMPARE_EXAMPLES: dict[str, tuple[Example, ...]] = {
    "training": (Example("Same run", "the article's models, each on 15.6T tokens with 16,384 H100s",
                         {"preset": "article", "hardware": "h100-sxm", "tokens": "15.6e12", "gpus": "16384"}),),
    "inference": (Example("Same load", "the article's models on H200 in fp8, 20 requests/s within TTFT 2 s and "
                          "TPOT 50 ms", {"preset": "article", "hardware": "h200-sxm", "precision": "fp8",
                                         "requests_per_s": "20", "input_tokens": "1000", "output_tokens": "500",
                                         "ttft_ms": "2000", "tpot_ms": "50"}),),
}
HARDWARE_EXAMPLES: dict[str, tuple[Example, ...]] = {
    "training": (Example("Llama 3.1 70B", "15T tokens on 1,024 GPUs of each kind",
                         {"model": "llama-3.1-70b", "hardware": "h100-sxm, h200-sxm, b200, gb200", "tokens": "15e12",
                          "gpus": "1024"}),),
    "inference": (Example("Llama 3.1 70B", "every GPU, 20 requests/s within TTFT 2 s and TPOT 50 ms",
                          {"model": "llama-3.1-70b", "hardware": ALL, "requests_per_s": "20", "input_tokens": "1000",
                           "output_tokens": "500", "ttft_ms": "2000", "tpot_ms": "50"}),),
}
DEFAULT_COMPARE_WORKLOAD = "inference"

_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
_GROUPED = re.compile(r"[+-]?\d{1,3}(?:,\d{3})+(?:\.\d*)?")  # 16,384 or 1,234.5; not 1,5
_INTEGER = re.compile(r"[+-]?\d+")
_MAX_NUMBER_CHARS = 40


def number_from_text(text: str, *, integer: bool) -> Any:
    """``"15.6e12"`` -> 15.6e12, ``"16,384"`` -> 16384; text that is not a plain number is
    returned unchanged, for the schema to reject with its own message."""
    value = text.strip()
    if _GROUPED.fullmatch(value):
        value = value.replace(",", "")
    if len(value) > _MAX_NUMBER_CHARS or not _NUMBER.fullmatch(value):
        return text
    if _INTEGER.fullmatch(value):
        return int(value)
    number = float(value)
    return int(number) if integer and number.is_integer() else number


@dataclass(frozen=True)
class Option:
    value: str
    label: str
    group: str = ""


@dataclass
class FormField:
    """One labelled input; ``value`` is what the reader typed (or the default), echoed back."""

    name: str
    label: str
    hint: str
    widget: str  # "number", "text", "list" (comma-separated text), "select" or "checkboxes"
    required: bool = False
    integer: bool = False
    options: tuple[Option, ...] = ()
    value: str | list[str] = ""
    errors: list[str] = field(default_factory=list)
    #: What leaving the field empty means (``PLACEHOLDERS``), shown inside it.
    placeholder: str = ""

    @property
    def id(self) -> str:
        return "field-" + self.name.replace(".", "-")

    def selected(self, option: Option) -> bool:
        return option.value in self.value if isinstance(self.value, list) else option.value == self.value

    @property
    def groups(self) -> list[tuple[str, list[Option]]]:
        """Options grouped for ``<optgroup>`` (the ungrouped ones first, under "")."""
        out: dict[str, list[Option]] = {}
        for option in self.options:
            out.setdefault(option.group, []).append(option)
        return list(out.items())


@dataclass
class Fieldset:
    """A group of fields; a custom record's (``parent`` set) is folded away unless in use."""

    legend: str
    fields: list[FormField]
    parent: str = ""
    open: bool = True


def _model_options(catalog: Catalog) -> tuple[Option, ...]:
    return tuple(
        Option(m.id, f"{m.name} ({m.total_params / 1e9:,.0f}B parameters)", m.developer or "Other")
        for m in catalog.models.values()
    )


def _hardware_options(catalog: Catalog) -> tuple[Option, ...]:
    return tuple(
        Option(h.id, f"{h.name} ({h.hbm_gb:g} GB)", (h.architecture or "other").capitalize())
        for h in catalog.hardware.values()
    )


def _choices(schema_field: fields.Field) -> tuple[str, ...]:
    for validator in schema_field.validators:
        if isinstance(validator, validate.OneOf):
            return tuple(str(c) for c in validator.choices)
    return ()


def _preset_label(preset: str, catalog: Catalog) -> str:
    names = [catalog.models[m].name if m in catalog.models else m for m in PRESETS[preset]]
    return f"{preset}: {', '.join(names)}"


def _form_field(
    name: str, schema_field: fields.Field, catalog: Catalog, choices: Mapping[str, Sequence[Option]]
) -> FormField:
    label = LABELS.get(name, name.replace("_", " ").capitalize())
    hint = HINTS.get(name) or schema_field.metadata.get("description", "")
    required = schema_field.required or name == "model"
    if name in choices:
        return FormField(name, label, hint, "select", required=required, options=tuple(choices[name]))
    if name == "models":
        return FormField(name, label, hint, "checkboxes", options=_model_options(catalog))
    if isinstance(schema_field, HardwareEntries):
        return FormField(name, label, hint, "list", required=True)
    if name == "baseline":
        return FormField(name, label, hint, "select", options=(Option("", "The first model"), *_model_options(catalog)))
    if isinstance(schema_field, IdOrSpec):
        options = _model_options(catalog) if name == "model" else _hardware_options(catalog)
        if name in SPECS:
            options = (*options, Option(CUSTOM, SPECS[name].option, "Your own"))
        return FormField(name, label, hint, "select", required=required, options=options)
    found = _choices(schema_field)
    if found:
        if name == "preset":
            options = (
                Option("", "None: tick models below"),
                *(Option(p, _preset_label(p, catalog)) for p in found),
            )
        else:
            options = (Option("", "Default"), *(Option(c, c) for c in found))
        return FormField(name, label, hint, "select", required=required, options=options)
    if isinstance(schema_field, fields.Number):
        return FormField(name, label, hint, "number", required=required, integer=isinstance(schema_field, StrictInteger),
                         placeholder=PLACEHOLDERS.get(name, ""))
    return FormField(name, label, hint, "text", required=required)


def _spec_field(parent: str, name: str, schema_field: fields.Field) -> FormField:
    """A field of an inline record, named ``<parent>.<name>``; the schema's example is the hint."""
    description = schema_field.metadata.get("description", "")
    example = schema_field.metadata.get("example")
    hint = description
    if isinstance(example, int | float) and not isinstance(example, bool):
        hint = f"{description}. Example: {fmt(example)}"
        if isinstance(example, float) and abs(example) >= 1e6:  # how to type it: 70.6e9
            power = 3 * (math.floor(math.log10(abs(example))) // 3)
            hint += f" (type {example / 10**power:g}e{power})"
    label = SPEC_LABELS.get(name, name.replace("_", " ").capitalize())
    full = f"{parent}.{name}"
    found = _choices(schema_field)
    if found:
        return FormField(full, label, hint, "select", options=(Option("", "Not given"), *(Option(c, c) for c in found)))
    if isinstance(schema_field, fields.Number):
        integer = isinstance(schema_field, StrictInteger)
        return FormField(full, label, hint, "number", required=schema_field.required, integer=integer)
    return FormField(full, label, hint, "text", required=schema_field.required)


@dataclass
class Form:
    """A page's form: its schema, fieldsets of fields, hidden values and the errors to show."""

    schema: type[Schema]
    fieldsets: list[Fieldset]
    hidden: dict[str, str] = field(default_factory=dict)
    general_errors: list[str] = field(default_factory=list)
    submitted: MultiDict[str, str] | None = None

    @property
    def fields(self) -> dict[str, FormField]:
        return {f.name: f for group in self.fieldsets for f in group.fields}

    @property
    def has_errors(self) -> bool:
        return bool(self.general_errors) or any(f.errors for f in self.fields.values())

    @property
    def summary(self) -> list[tuple[str | None, str]]:
        """(field id or None, message) for the error summary at the top of the page."""
        out: list[tuple[str | None, str]] = [(None, message) for message in self.general_errors]
        for f in self.fields.values():
            out.extend((f.id, f"{f.label}: {message}") for message in f.errors)
        return out

    def is_submission(self, args: Mapping[str, Any]) -> bool:
        """A query naming any of the form's fields is a submission (a bare ``?workload=`` is not)."""
        return any(name in args for name in self.fields)

    def _custom(self, parent: str) -> bool:
        f = self.fields.get(parent)
        return f is not None and f.value == CUSTOM

    def _in_use(self, name: str) -> bool:
        """A custom record's field counts only while its pick is 'custom'."""
        parent, dot, _ = name.partition(".")
        return not dot or self._custom(parent)

    def query(self) -> list[tuple[str, str]]:
        """The canonical query of what was submitted: the hidden values, then every non-empty field in
        form order (a field sent twice stays twice, for the error to show)."""
        pairs = list(self.hidden.items())
        if self.submitted is None:
            return pairs
        for name in self.fields:
            if self._in_use(name):
                pairs.extend((name, v) for v in self.submitted.getlist(name) if v.strip())
        return pairs

    def values(self) -> dict[str, Any]:
        """What the JSON API would receive; a field sent more than once is a schema error."""
        data: dict[str, Any] = dict(self.hidden)
        if self.submitted is None:
            return data
        repeated: dict[str, list[str]] = {}
        records: dict[str, dict[str, Any]] = {parent: {} for parent in SPECS if self._custom(parent)}
        for name, f in self.fields.items():
            if f.widget == "checkboxes":
                chosen = [v for v in self.submitted.getlist(name) if v.strip()]
                if chosen:
                    data[name] = chosen
                continue
            sent = self.submitted.getlist(name)
            if len(sent) > 1:
                repeated[name] = ["Give one value, not several."]
            text = sent[0] if sent else ""
            if not text.strip():
                continue
            value = number_from_text(text, integer=f.integer) if f.widget == "number" else text.strip()
            if f.widget == "list":
                value = ALL if value.lower() == ALL else [part.strip() for part in value.split(",")]
            parent, dot, sub = name.partition(".")
            if dot:
                if parent in records:
                    records[parent][sub] = value
            elif parent not in records:
                data[name] = value
        if repeated:
            raise ValidationError(repeated)
        data.update(records)
        return data

    def load(self) -> dict[str, Any]:
        """The submitted values checked by the API's schema (raises ``ValidationError``)."""
        return self.schema().load(self.values())

    def add_problem(self, problem: ProblemError) -> None:
        """Show each item of a problem next to its field (``/model/layers`` next to ``model.layers``
        where the form has it, else next to ``model``), or at the top when it has no field here."""
        fields_by_name = self.fields
        for item in problem.errors or [{"pointer": None, "detail": problem.detail}]:
            pointer = item.get("pointer") or ""
            parts = pointer.split("/")[1:] if pointer.startswith("/") else []
            candidates = [".".join(parts[:2]), parts[0]] if parts else []
            name = next((c for c in candidates if c in fields_by_name), "")
            if name:
                fields_by_name[name].errors.append(plain(str(item["detail"])))
            else:
                self.general_errors.append(plain(str(item["detail"])))
        for group in self.fieldsets:
            if group.parent and any(f.errors for f in group.fields):
                group.open = True


_CODE = re.compile(r"`+([^`]+)`+")


def plain(message: str) -> str:
    """A core message for a page: its Markdown/reST code marks (```estimator catalog```) become quotes."""
    return _CODE.sub(r"‘\1’", message)


def _fieldsets(
    schema: type[Schema],
    layout: Iterable[tuple[str, Sequence[str]]],
    catalog: Catalog,
    choices: Mapping[str, Sequence[Option]],
) -> list[Fieldset]:
    schema_fields = schema().fields
    out = []
    for legend, names in layout:
        out.append(Fieldset(legend, [_form_field(n, schema_fields[n], catalog, choices) for n in names]))
        for parent in names:
            spec = SPECS.get(parent)
            if spec is not None and isinstance(schema_fields[parent], IdOrSpec):
                spec_fields = spec.schema().fields
                group = [_spec_field(parent, n, spec_fields[n]) for n in spec.fields]
                out.append(Fieldset(spec.legend, group, parent=parent, open=False))
    return out


def build_form(
    kind: str,
    catalog: Catalog,
    submitted: MultiDict[str, str] | None,
    workload: str | None = None,
    choices: Mapping[str, Sequence[Option]] | None = None,
) -> Form:
    """The form of page ``kind`` (training, inference or compare, with its ``workload``), showing
    the submitted text or, on a first visit, the defaults. ``choices`` gives the options of
    fields whose choices depend on the app's state (``pricing_table``)."""
    if kind == "compare":
        workload = workload if workload in COMPARE_REQUEST_SCHEMAS else DEFAULT_COMPARE_WORKLOAD
        schema = COMPARE_REQUEST_SCHEMAS[workload]
        layout = [_COMPARE_FIELDSET] + [
            (legend, tuple(n for n in names if n != "model")) for legend, names in LAYOUTS[workload]
        ]
        defaults = {**{k: v for k, v in DEFAULTS[workload].items() if k != "model"}, **COMPARE_DEFAULTS}
        hidden = {"workload": workload}
    elif kind == "hardware":
        workload = workload if workload in HARDWARE_COMPARE_REQUEST_SCHEMAS else DEFAULT_COMPARE_WORKLOAD
        schema, defaults, hidden = HARDWARE_COMPARE_REQUEST_SCHEMAS[workload], HARDWARE_DEFAULTS[workload], {"workload": workload}
        layout = _hardware_layout(workload)
        choices = {**_hardware_choices(catalog, workload), **(choices or {})}
    else:
        schema = TrainingRequestSchema if kind == "training" else InferenceRequestSchema
        layout, defaults, hidden = list(LAYOUTS[kind]), DEFAULTS[kind], {}
    form = Form(schema, _fieldsets(schema, layout, catalog, choices or {}), hidden, submitted=submitted)
    if kind == "hardware":
        for f in form.fields.values():
            f.label, f.hint = HARDWARE_LABELS.get(f.name, f.label), HARDWARE_HINTS.get(f.name, f.hint)
    for name, f in form.fields.items():
        if submitted is None:
            f.value = defaults.get(name, [] if f.widget == "checkboxes" else "")
        elif f.widget == "checkboxes":
            f.value = submitted.getlist(name)
        else:
            f.value = submitted.get(name, "")
        if f.widget == "select" and submitted is not None and f.value == "" and f.options[0].value != "":
            # Nothing chosen: say so, rather than show the first option as if it had been.
            f.options = (Option("", "Choose one"), *f.options)
        if (
            f.widget == "select"
            and isinstance(f.value, str)
            and f.value
            and not any(o.value == f.value for o in f.options)
        ):
            # A value from an edited URL that is not an option: shown so the error next to it makes sense.
            f.options = (*f.options, Option(f.value, f.value, "Given in the address"))
    for group in form.fieldsets:
        if group.parent and form._custom(group.parent):
            group.open = True
    return form


def _hardware_layout(workload: str) -> list[tuple[str, tuple[str, ...]]]:
    """The hardware comparison's form: the model, GPUs, precision, ranking and baseline, then the
    workload's fields (without the per-GPU price overrides, which would price every GPU alike)."""
    taken = {*_HARDWARE_FIELDSET[1], *PER_GPU_PRICES}
    return [_HARDWARE_FIELDSET] + [(legend, tuple(n for n in names if n not in taken)) for legend, names in LAYOUTS[workload]]


def _hardware_choices(catalog: Catalog, workload: str) -> dict[str, list[Option]]:
    """The ranking figures by their headings (the default first) and the GPUs a baseline can be."""
    ranks = [Option("", f"Default: {_rank_heading(workload, DEFAULT_RANK[workload])}")]
    ranks += [Option(h.name, h.heading) for h in HEADLINES_BY_WORKLOAD[workload] if h.rank]
    baseline = [Option("", f"Default: H100 SXM with '{ALL}', else the first GPU listed"), *_hardware_options(catalog)]
    return {"rank_by": ranks, "baseline": baseline}


def _rank_heading(workload: str, name: str) -> str:
    found = headline(workload, name)
    return found.heading if found else name


def examples(kind: str, workload: str | None = None) -> tuple[Example, ...]:
    """The worked examples of page ``kind`` (a comparison's for its ``workload``)."""
    if kind == "compare":
        return COMPARE_EXAMPLES[workload if workload in COMPARE_EXAMPLES else DEFAULT_COMPARE_WORKLOAD]
    if kind == "hardware":
        return HARDWARE_EXAMPLES[workload if workload in HARDWARE_EXAMPLES else DEFAULT_COMPARE_WORKLOAD]
    return EXAMPLES[kind]


def default_query(kind: str, workload: str | None = None, **overrides: str) -> list[tuple[str, str]]:
    """A one-click link's query: the page's first worked example (with ``overrides``); a comparison's
    carries its workload."""
    values: dict[str, str] = {}
    if kind in ("compare", "hardware"):
        schemas = COMPARE_REQUEST_SCHEMAS if kind == "compare" else HARDWARE_COMPARE_REQUEST_SCHEMAS
        values["workload"] = workload if workload in schemas else DEFAULT_COMPARE_WORKLOAD
    values.update(examples(kind, values.get("workload"))[0].values)
    values.update(overrides)
    return [(k, v) for k, v in values.items() if v]


def layout_names(kind: str) -> set[str]:
    """Every field a page's form shows (for the test that forms and schemas agree)."""
    return {n for _, names in LAYOUTS[kind] for n in names}
