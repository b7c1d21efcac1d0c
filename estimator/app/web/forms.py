"""HTML forms that go through the API's own request schemas.

A form lists schema fields by name, in fieldsets; a field's widget and choices come from the
schema field (its type, its ``OneOf`` choices), its label and hint from ``LABELS`` and ``HINTS``
(falling back to the schema's description), so a form cannot accept what the API would refuse. Submitted text becomes what the JSON API would receive: an empty box is a
missing field, a number typed as text becomes a number (``15.6e12``, ``16,384``), anything else
is handed to the schema as it is and gets the schema's own message ("Not a valid number.").
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate
from werkzeug.datastructures import MultiDict

from estimator.catalog import Catalog
from estimator.compare import PRESETS

from ..errors import ProblemError
from ..schemas import (
    COMPARE_REQUEST_SCHEMAS,
    IdOrSpec,
    InferenceRequestSchema,
    StrictInteger,
    TrainingRequestSchema,
)

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
    "preset": "Preset",
    "models": "Models",
    "baseline": "Baseline",
}
#: Hints for readers where the API's descriptions talk about field names and endpoints; the other
#: fields show their schema description.
HINTS = {
    "model": "From the catalog; the catalog page lists each model's figures and sources.",
    "hardware": "From the catalog; prices come from the price book unless you give your own below.",
    "models": "Tick 2 to 10 models, or choose a preset above instead.",
    "preset": "A named set of models; leave on 'None' to tick models below.",
    "baseline": "Every figure is also given as a multiple of this model's.",
    "tokens": "Default: the model's published pre-training tokens, where known. 15.6e12 means 15.6 trillion.",
    "gpus": "How many GPUs run the job; gives the number of days.",
    "deadline_days": "Instead of GPUs: the days available; gives the GPUs needed.",
    "sequence_tokens": "Default: the model's pre-training sequence length.",
    "utilisation": "Share of peak FLOP/s the run reaches. Default: the range measured on published runs.",
    "goodput": "Share of reserved GPU time doing useful work. Default: the range published runs report.",
    "gpus_per_replica": "GPUs holding one copy of the model. Default: the cheapest size that fits and meets the targets.",
    "batch_size": "Sequences served at once by one replica. Default: the largest that fits and meets the targets.",
    "context_tokens": "KV-cache tokens kept per sequence. Default: prompt + output tokens.",
    "requests_per_s": "Average requests per second (or give tokens per day, not both).",
    "tokens_per_day": "Average prompt + output tokens per day (or give requests per second, not both).",
    "peak_to_average": "Size the fleet for peaks this many times the average load. Default: 1.",
    "ttft_ms": "Longest acceptable wait for the first token of an answer.",
    "tpot_ms": "Longest acceptable time between output tokens; it limits the batch size.",
    "pue": "1 would be a datacenter with no cooling or power losses.",
    "grid_kg_co2_per_kwh": "Emissions of the electricity used. Default: the US grid average.",
    "usd_per_gpu_hour": "What renting one GPU for an hour costs. Default: the price book's range for this GPU.",
    "capex_usd_per_gpu": "Server cost per GPU, spread over its useful life. Default: the price book.",
    "usd_per_kwh": "What the datacenter pays for electricity. Default: the price book.",
}
_SITE = (
    "Site and prices (optional: leave empty for the sourced defaults)",
    ("pue", "grid_kg_co2_per_kwh", "usd_per_gpu_hour", "capex_usd_per_gpu", "usd_per_kwh"),
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
#: Fields of the API schemas that the forms leave out, with the reason.
NOT_ON_FORMS = {
    "params": "the forms pick models from the catalog",
    "active_params": "the forms pick models from the catalog",
    "pricing_table": "the seed table until the pricing page lands",
}
#: What a page shows before anything is submitted.
DEFAULTS: dict[str, dict[str, str | list[str]]] = {
    "training": {"model": "llama-3.1-405b", "hardware": "h100-sxm", "tokens": "15.6e12", "gpus": "16384"},
    "inference": {
        "model": "deepseek-v3",
        "hardware": "h200-sxm",
        "precision": "fp8",
        "requests_per_s": "20",
        "input_tokens": "1000",
        "output_tokens": "500",
        "ttft_ms": "2000",
        "tpot_ms": "50",
    },
}
COMPARE_DEFAULTS: dict[str, str | list[str]] = {"preset": "article"}
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
    widget: str  # "number", "select" or "checkboxes"
    required: bool = False
    integer: bool = False
    options: tuple[Option, ...] = ()
    value: str | list[str] = ""
    errors: list[str] = field(default_factory=list)

    @property
    def id(self) -> str:
        return f"field-{self.name}"

    def selected(self, option: Option) -> bool:
        return option.value in self.value if isinstance(self.value, list) else option.value == self.value

    @property
    def groups(self) -> list[tuple[str, list[Option]]]:
        """Options grouped for ``<optgroup>`` (the ungrouped ones first, under "")."""
        out: dict[str, list[Option]] = {}
        for option in self.options:
            out.setdefault(option.group, []).append(option)
        return list(out.items())


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


def _form_field(name: str, schema_field: fields.Field, catalog: Catalog) -> FormField:
    label = LABELS.get(name, name.replace("_", " ").capitalize())
    hint = HINTS.get(name) or schema_field.metadata.get("description", "")
    required = schema_field.required or name == "model"
    if name == "models":
        return FormField(name, label, hint, "checkboxes", options=_model_options(catalog))
    if name == "baseline":
        return FormField(name, label, hint, "select", options=(Option("", "The first model"), *_model_options(catalog)))
    if isinstance(schema_field, IdOrSpec):
        options = _model_options(catalog) if name == "model" else _hardware_options(catalog)
        return FormField(name, label, hint, "select", required=required, options=options)
    choices = _choices(schema_field)
    if choices:
        if name == "preset":
            options = (
                Option("", "None: tick models below"),
                *(Option(p, _preset_label(p, catalog)) for p in choices),
            )
        else:
            options = (Option("", "Default"), *(Option(c, c) for c in choices))
        return FormField(name, label, hint, "select", required=required, options=options)
    return FormField(name, label, hint, "number", required=required, integer=isinstance(schema_field, StrictInteger))


@dataclass
class Form:
    """A page's form: its schema, fieldsets of fields, hidden values and the errors to show."""

    schema: type[Schema]
    fieldsets: list[tuple[str, list[FormField]]]
    hidden: dict[str, str] = field(default_factory=dict)
    general_errors: list[str] = field(default_factory=list)
    submitted: MultiDict[str, str] | None = None

    @property
    def fields(self) -> dict[str, FormField]:
        return {f.name: f for _, group in self.fieldsets for f in group}

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

    def values(self) -> dict[str, Any]:
        """What the JSON API would receive; a field sent more than once is a schema error."""
        data: dict[str, Any] = dict(self.hidden)
        if self.submitted is None:
            return data
        repeated: dict[str, list[str]] = {}
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
            data[name] = number_from_text(text, integer=f.integer) if f.widget == "number" else text.strip()
        if repeated:
            raise ValidationError(repeated)
        return data

    def load(self) -> dict[str, Any]:
        """The submitted values checked by the API's schema (raises ``ValidationError``)."""
        return self.schema().load(self.values())

    def add_problem(self, problem: ProblemError) -> None:
        """Show each item of a problem next to its field, or at the top when it has no field here."""
        fields_by_name = self.fields
        for item in problem.errors or [{"pointer": None, "detail": problem.detail}]:
            pointer = item.get("pointer") or ""
            name = pointer.split("/")[1] if pointer.startswith("/") else ""
            if name in fields_by_name:
                fields_by_name[name].errors.append(str(item["detail"]))
            else:
                self.general_errors.append(str(item["detail"]))


def _fieldsets(
    schema: type[Schema], layout: Iterable[tuple[str, Sequence[str]]], catalog: Catalog
) -> list[tuple[str, list[FormField]]]:
    schema_fields = schema().fields
    return [(legend, [_form_field(n, schema_fields[n], catalog) for n in names]) for legend, names in layout]


def build_form(kind: str, catalog: Catalog, submitted: MultiDict[str, str] | None, workload: str | None = None) -> Form:
    """The form of page ``kind`` (training, inference or compare, with its ``workload``), showing
    the submitted text or, on a first visit, the defaults."""
    if kind == "compare":
        workload = workload if workload in COMPARE_REQUEST_SCHEMAS else DEFAULT_COMPARE_WORKLOAD
        schema = COMPARE_REQUEST_SCHEMAS[workload]
        layout = [_COMPARE_FIELDSET] + [
            (legend, tuple(n for n in names if n != "model")) for legend, names in LAYOUTS[workload]
        ]
        defaults = {**{k: v for k, v in DEFAULTS[workload].items() if k != "model"}, **COMPARE_DEFAULTS}
        hidden = {"workload": workload}
    else:
        schema = TrainingRequestSchema if kind == "training" else InferenceRequestSchema
        layout, defaults, hidden = list(LAYOUTS[kind]), DEFAULTS[kind], {}
    form = Form(schema, _fieldsets(schema, layout, catalog), hidden, submitted=submitted)
    for name, f in form.fields.items():
        if submitted is None:
            f.value = defaults.get(name, [] if f.widget == "checkboxes" else "")
        elif f.widget == "checkboxes":
            f.value = submitted.getlist(name)
        else:
            f.value = submitted.get(name, "")
    return form


def layout_names(kind: str) -> set[str]:
    """Every field a page's form shows (for the test that forms and schemas agree)."""
    return {n for _, names in LAYOUTS[kind] for n in names}
