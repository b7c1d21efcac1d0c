"""The figures of a training and a serving result, each declared once.

Like ``pricing/tables.py`` for the pricing sheets, this module is the single description of the
result's shape: each figure's path in the result dict, unit, label, what it is and which
function computes it (``formula``), whether it is a low / mid / high band or one value, its JSON
type and how many significant figures the JSON keeps. Everything that shows a result reads it
from here: the OpenAPI response schemas (``app/schemas.py``), the tables, summary cards and
charts of the web pages (``app/web/present.py``, ``summary.py``), the CSV and xlsx downloads
(``app/web/export.py``), the command line's tables (``cli.py``) and the comparison's metrics
(``compare.py``). ``tests/core/test_figures.py`` runs real estimates and checks that every leaf
of their results is declared here and every figure declared here occurs, so the declaration
cannot drift from what the core returns (``TrainingEstimate.to_dict``, ``InferenceEstimate.to_dict``).

A figure is found by name: ``Training.GPU_HOURS``, ``Serving.COST_OUTPUT_RENT``; its ``key`` is
the dotted path (``cost_usd_per_million_tokens.output.rent``) the pages put in ``data-key``.
Objects of several figures (``power_kw``, ``per_replica``) are ``Group``s; ``Record``-kind
entries (``assumptions``, ``warnings``, ``pricing``, the public API price) are objects or lists
with their own schema, declared as one entry each.

How a figure reads: numbers through ``numbers.number_text`` (3 significant figures, counts exact),
text as it is; the JSON keeps ``digits`` significant figures (``None``: exact, as given or
counted). Rounding has one path, ``bands.significant``: ``assemble`` rounds each single-value
figure to its declared digits, ``Band.to_dict`` each band; a comparison's metrics keep their
``Metric.digits`` and its ratios ``RATIO_DIGITS``. ``tests/app/test_app_rounding.py`` walks
real response bodies and checks every float against its declaration.

Pure data (it imports only ``bands.significant``): no Flask, no marshmallow, no import of the estimators (``formula`` names functions
as text; the test resolves every one).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .bands import significant

TRAINING = "training"
INFERENCE = "inference"
WORKLOADS = (TRAINING, INFERENCE)

#: Kinds: a ``{low, mid, high}`` band (ascending), one value, or a record (an object or list with
#: its own schema, not a figure: assumptions, warnings, pricing, the public API price).
BAND, VALUE, RECORD = "band", "value", "record"
KINDS = (BAND, VALUE, RECORD)
#: JSON types of a value, or of each member of a band.
TYPES = ("number", "integer", "string", "object", "array")
SCENARIOS = ("low", "mid", "high")


def _at(result: Mapping[str, Any], path: tuple[str, ...]) -> Any:
    node: Any = result
    for part in path:
        if not isinstance(node, Mapping) or part not in node:
            return None
        node = node[part]
    return node


def _heading(label: str, unit: str) -> str:
    """A label with its unit: ``GPU-hours (GPU·h)``."""
    return f"{label} ({unit})" if unit else label


@dataclass(frozen=True)
class _Placed:
    """A place in a workload's result: a figure, or an object of figures."""

    path: tuple[str, ...]
    workload: str

    @property
    def key(self) -> str:
        """The dotted path: ``gpu_hours``, ``per_replica.ttft_ms`` (the pages' ``data-key``)."""
        return ".".join(self.path)

    @property
    def name(self) -> str:
        """The last part of the path: its key in its object."""
        return self.path[-1]


@dataclass(frozen=True)
class Figure(_Placed):
    """One figure of a result. How it reads follows from ``type``: a number through
    ``numbers.number_text`` (an integer exactly), a string as it is; ``digits`` is how many
    significant figures the JSON keeps."""

    label: str
    unit: str
    description: str
    #: The ``module.function``s that compute it (empty: echoed from the request).
    formula: tuple[str, ...] = ()
    kind: str = VALUE
    type: str = "number"
    #: Significant figures the JSON keeps; None: exact (counts, text, values as given).
    digits: int | None = 6
    #: Only in some results (``when`` says which).
    optional: bool = False
    when: str = ""
    nullable: bool = False

    def __post_init__(self) -> None:
        if self.workload not in WORKLOADS or self.kind not in KINDS or self.type not in TYPES:
            raise ValueError(f"Figure {self.key}: workload, kind or type unknown")
        if (self.type in ("string", "object", "array") or self.kind == RECORD) and self.digits is not None:
            raise ValueError(f"Figure {self.key}: only numbers have significant figures")

    @property
    def heading(self) -> str:
        """The label with its unit: ``GPU-hours (GPU·h)``."""
        return _heading(self.label, self.unit)

    def value(self, result: Mapping[str, Any]) -> Any:
        """The figure in ``result`` (a band as its dict), or None where the result has none."""
        return _at(result, self.path)

    def band(self, result: Mapping[str, Any]) -> Mapping[str, Any] | None:
        """The band in ``result`` when it has all three scenarios, else None."""
        node = self.value(result)
        return node if isinstance(node, Mapping) and set(SCENARIOS) <= set(node) else None

    def mid(self, result: Mapping[str, Any]) -> Any:
        """The mid estimate of a band, or the value of a single figure."""
        return self.value(result)["mid"] if self.kind == BAND else self.value(result)

    @property
    def doc(self) -> str:
        """One line for a reader of the API: what it is, its unit, and where it is computed."""
        unit = f" Unit: {self.unit}." if self.unit else ""
        when = f" Only {self.when}." if self.when else ""
        where = "From" if self.kind == RECORD else "Computed in"
        formula = f" {where} {', '.join(self.formula)}." if self.formula else ""
        return f"{self.label}. {self.description}{unit}{when}{formula}"


@dataclass(frozen=True)
class Group(_Placed):
    """An object of figures in the result (``power_kw``, ``per_replica``)."""

    #: Its name in the OpenAPI document (``components/schemas``); objects of the same shape in
    #: several places share one (``Power``, ``RentOwn``).
    schema: str
    description: str
    #: Only in some results (``when`` says which); its figures are then optional too.
    optional: bool = False
    when: str = ""

    def value(self, result: Mapping[str, Any]) -> Mapping[str, Any] | None:
        """The object in ``result``, or None where the result has none."""
        node = _at(result, self.path)
        return node if isinstance(node, Mapping) else None


@dataclass(frozen=True)
class Metric:
    """A headline figure of a comparison, per model: a key of its ``metrics`` and ``ratios``."""

    name: str
    workload: str
    label: str
    unit: str
    description: str
    #: The figure whose mid estimate (or value) it is; None: computed from several (``formula``).
    figure: Figure | None = None
    formula: tuple[str, ...] = ()
    #: Significant figures the JSON keeps of a derived metric (a figure's mid keeps the figure's).
    digits: int = 6

    def rounded(self, value: float) -> float:
        """``value`` to this metric's significant figures: the figure's own, else ``digits``."""
        digits = self.figure.digits if self.figure is not None and self.figure.digits else self.digits
        return float(significant(value, digits))

    @property
    def heading(self) -> str:
        return _heading(self.label, self.unit)


# --- The declarations ---------------------------------------------------------------------------------
def _echo(workload: str, name: str, label: str, description: str) -> Figure:
    return Figure((name,), workload, label, "", description, type="string", digits=None)


def _assumptions(workload: str) -> Figure:
    return Figure(("assumptions",), workload, "Assumptions", "",
                  "Every input the estimate used: {name, value, unit, source}; a band value's low / mid / high is the "
                  "input used for the low / mid / high estimate, not a sorted range (the low estimate uses the "
                  "highest utilisation).",
                  ("estimator.bands.Assumption",), kind=RECORD, type="array", digits=None)


def _warnings(workload: str) -> Figure:
    return Figure(("warnings",), workload, "Warnings", "", "What to be careful about, in words.",
                  ("estimator.checks.record_warnings",), kind=RECORD, type="array", digits=None)


def _pricing(workload: str) -> Figure:
    return Figure(("pricing",), workload, "Prices used", "",
                  "The pricing table (name and version) behind the costs, and every price point used with its "
                  "source and date.", ("estimator.cost.Prices.pricing_dict",), kind=RECORD, type="object", digits=None)


_T, _S = TRAINING, INFERENCE
_STEP_MODEL = "without a 'utilisation' override (the step model ran)"
_STEP_TIME = ("estimator.training._time", "estimator.training_time.step_time")


def _layout(name: str, label: str, unit: str, description: str) -> Figure:
    return Figure(("steady_state", "layout", name), TRAINING, label, unit, description,
                  ("estimator.training_time.default_layout",), optional=True, when=_STEP_MODEL)


def _share(name: str, label: str) -> Figure:
    return Figure(("steady_state", "step_share", name), TRAINING, label, "of the step",
                  "Its seconds / the step's seconds, per GPU.", ("estimator.training_time.StepTime.breakdown",),
                  digits=3, optional=True, when=_STEP_MODEL)
_TR_POWER = ("estimator.power.training_power",)
_SV_POWER = ("estimator.power.serving_power",)
_PER_REPLICA = ("estimator.inference._per_replica", "estimator.inference._ReplicaModel")


class Training:
    """The figures of a training estimate, in the order the pages show them."""

    WORKLOAD = _echo(_T, "workload", "Workload", "Always 'training'.")
    MODEL = _echo(_T, "model", "Model", "Catalog id of the model (or the inline model's id).")
    HARDWARE = _echo(_T, "hardware", "GPU", "Catalog id of the GPU (or the inline GPU's id).")
    PRECISION = _echo(_T, "precision", "Precision", "Precision of the matrix products.")

    TOKENS = Figure(("tokens",), _T, "Training tokens", "tokens",
                    "Tokens trained on: as given, or the model's published pre-training tokens (said in the warnings).",
                    ("estimator.inputs.training_request",), digits=None)
    GPU_COUNT = Figure(("gpu_count",), _T, "GPUs", "GPUs",
                       "GPUs in the run: as given; for a deadline, the mid estimate's (at least what memory needs); "
                       "with neither, those for the default 90-day deadline (said in the warnings).",
                       ("estimator.training._fleet_and_time",), type="integer",
                       digits=None)
    NODE_COUNT = Figure(("node_count",), _T, "Servers", "nodes", "Servers holding those GPUs.",
                        ("estimator.training._fleet_and_time",), type="integer", digits=None)

    FLOPS = Figure(("flops",), _T, "Model FLOPs", "FLOP",
                   "(6 × N_active + attention) × tokens (PaLM App. B); the same in every scenario.",
                   ("estimator.training._flops", "estimator.training.dense_flops",
                    "estimator.training.attention_flops_per_token"), kind=BAND)
    GPU_HOURS = Figure(("gpu_hours",), _T, "GPU-hours", "GPU·h",
                       "Reserved GPU-hours: busy GPU-seconds (tokens / the step model's tokens per second per GPU, "
                       "or the request's utilisation) / 3,600 / goodput.",
                       ("estimator.training._time", "estimator.training_time.step_time",
                        "estimator.training.gpu_hours_from_busy"), kind=BAND)
    WALL_CLOCK_DAYS = Figure(("wall_clock_days",), _T, "Wall-clock time", "days", "GPU-hours / GPUs / 24.",
                             ("estimator.training.wall_clock_days",), kind=BAND)
    UTILISATION = Figure(("utilisation",), _T, "Model FLOPs utilisation", "of peak",
                         "Model FLOPs / (reserved GPU-hours × dense peak), so it includes goodput.",
                         ("estimator.training._time",), kind=BAND, digits=4)
    GPUS_FOR_DEADLINE = Figure(("gpu_count_for_deadline",), _T, "GPUs to meet the deadline", "GPUs",
                               "GPUs each scenario needs to finish within 'deadline_days' (90 days when neither it nor 'gpus' is "
                               "given).",
                               ("estimator.training.gpus_for_deadline",), kind=BAND, type="integer", digits=None,
                               optional=True, when="unless 'gpus' was given")

    POWER = Group(("power_kw",), _T, "Power", "Average power over the run.")
    POWER_IT = Figure(("power_kw", "it"), _T, "IT power", "kW",
                      "The GPUs (compute-bound, memory-bound and idle phases) and the rest of their servers, "
                      "averaged over the run.", _TR_POWER, kind=BAND)
    POWER_FACILITY = Figure(("power_kw", "facility"), _T, "Facility power (IT × PUE)", "kW", "IT power × PUE.",
                            (*_TR_POWER, "estimator.power.facility"), kind=BAND)
    ENERGY = Figure(("energy_mwh",), _T, "Energy", "MWh", "Facility energy of the run: IT energy × PUE.",
                    _TR_POWER, kind=BAND)
    CO2 = Figure(("co2_t",), _T, "Emissions", "t CO₂", "Facility energy × the grid's carbon intensity.",
                 (*_TR_POWER, "estimator.power.co2_tonnes"), kind=BAND)

    COST = Group(("cost_usd",), _T, "Cost", "The cost of the run, USD.")
    RENT = Figure(("cost_usd", "rent"), _T, "Renting the GPUs", "USD", "GPU-hours × rental price.",
                  ("estimator.cost.training_cost", "estimator.cost.rent_usd"), kind=BAND)
    OWN = Figure(("cost_usd", "own"), _T, "Owning them (capex share, energy, hosting)", "USD",
                 "The purchase price written off over the GPUs' life, the facility's electricity and colocation "
                 "for the GPU-hours used.", ("estimator.cost.training_cost", "estimator.cost.own_usd"), kind=BAND)

    MEMORY = Group(("memory",), _T, "TrainingMemory",
                   "The memory fit behind the GPU count: sharded training state plus one sequence's activations.")
    STATE_GB = Figure(("memory", "state_gb"), _T, "Weights, gradients and optimizer state", "GB",
                      "Bytes per parameter for the precision × all parameters, before sharding.",
                      ("estimator.training.minimum_gpus",))
    ACTIVATION_GB_PER_GPU = Figure(("memory", "activation_gb_per_gpu"), _T, "Activations per GPU", "GB",
                                   "One sequence's activations over the GPUs they spread across (tensor × context "
                                   "parallel) at the fewest GPUs that fit.", ("estimator.training.minimum_gpus",))
    ACTIVATION_GB_PER_SEQUENCE = Figure(("memory", "activation_gb_per_sequence"), _T, "Activations per sequence",
                                        "GB", "Activation memory of one sequence over all layers (Korthikanti et al. "
                                        "2022, with flash attention).",
                                        ("estimator.training.activation_bytes_per_sequence",))
    USABLE_GB_PER_GPU = Figure(("memory", "usable_gb_per_gpu"), _T, "Usable memory per GPU", "GB",
                               "HBM × the usable fraction.", ("estimator.training.minimum_gpus",))
    MIN_GPUS = Figure(("memory", "min_gpus"), _T, "Fewest GPUs that hold the state", "GPUs",
                      "Fewest GPUs whose memory holds the sharded state and their share of one sequence's "
                      "activations.", ("estimator.training.minimum_gpus",))

    FLOPS_BREAKDOWN = Group(("flops_breakdown",), _T, "FlopsBreakdown", "Model FLOPs by part.")
    FLOPS_DENSE = Figure(("flops_breakdown", "dense_6nd"), _T, "Dense layers (6 × N × D)", "FLOP",
                         "6 × active parameters × tokens (Kaplan et al. 2020).", ("estimator.training.dense_flops",))
    FLOPS_ATTENTION = Figure(("flops_breakdown", "attention"), _T, "Attention", "FLOP",
                             "Attention scores and weighted values, forward and backward, × tokens.",
                             ("estimator.training.attention_flops_per_token",))

    STEADY_STATE = Group(("steady_state",), _T, "SteadyState",
                         "Throughput while the run is up (no failures or restarts), to set beside a profiler or a "
                         "benchmark.", optional=True, when=_STEP_MODEL)
    TOKENS_PER_S_PER_GPU = Figure(("steady_state", "tokens_per_s_per_gpu"), _T, "Tokens per second per GPU (steady)",
                                  "tokens/s", "Training tokens each GPU processes per second of busy time.",
                                  _STEP_TIME, kind=BAND, optional=True, when=_STEP_MODEL)
    MFU_STEADY = Figure(("steady_state", "mfu"), _T, "Model FLOPs utilisation (steady)", "of peak",
                        "Model FLOPs / (busy GPU-seconds × dense peak): without the time lost to failures.",
                        _STEP_TIME, kind=BAND, digits=4, optional=True, when=_STEP_MODEL)
    LAYOUT = Group(("steady_state", "layout"), _T, "ParallelLayout",
                   "How the run is split over its GPUs: as given, or the smallest model-parallel size that fits.",
                   optional=True, when=_STEP_MODEL)
    TENSOR_PARALLEL = _layout("tensor_parallel", "Tensor parallel", "GPUs", "GPUs splitting each layer's matrices.")
    PIPELINE_PARALLEL = _layout("pipeline_parallel", "Pipeline parallel", "stages", "Stages the layers are cut into.")
    CONTEXT_PARALLEL = _layout("context_parallel", "Context parallel", "GPUs", "GPUs splitting each sequence.")
    EXPERT_PARALLEL = _layout("expert_parallel", "Expert parallel", "GPUs", "GPUs the routed experts spread over.")
    DATA_PARALLEL = _layout("data_parallel", "Data parallel", "replicas", "Copies of the model, each on its own data.")
    GLOBAL_BATCH_TOKENS = _layout("global_batch_tokens", "Global batch", "tokens", "Tokens per optimizer step.")
    STEP_SHARE = Group(("steady_state", "step_share"), _T, "StepShare",
                       "Share of an optimizer step each part of the step model takes (they add up to 1).",
                       optional=True, when=_STEP_MODEL)
    DENSE_GEMM_S = _share("dense_gemm_s", "Dense matrix products")
    EXPERT_GEMM_S = _share("expert_gemm_s", "Routed-expert matrix products")
    ATTENTION_S = _share("attention_s", "Attention")
    ELEMENTWISE_S = _share("elementwise_s", "Element-wise kernels (norms, activations, residuals)")
    TENSOR_PARALLEL_S = _share("tensor_parallel_s", "Tensor-parallel communication")
    EXPERT_PARALLEL_S = _share("expert_parallel_s", "Expert-parallel all-to-all (not overlapped)")
    BUBBLE_S = _share("bubble_s", "Pipeline bubble")
    DATA_PARALLEL_EXPOSED_S = _share("data_parallel_exposed_s", "Data-parallel communication not hidden by backward")
    OPTIMIZER_S = _share("optimizer_s", "Optimizer step")

    ASSUMPTIONS = _assumptions(_T)
    WARNINGS = _warnings(_T)
    PRICING = _pricing(_T)


class Serving:
    """The figures of a serving (inference) estimate, in the order the pages show them."""

    WORKLOAD = _echo(_S, "workload", "Workload", "Always 'inference'.")
    MODEL = _echo(_S, "model", "Model", "Catalog id of the model (or the inline model's id).")
    HARDWARE = _echo(_S, "hardware", "GPU", "Catalog id of the GPU (or the inline GPU's id).")
    PRECISION = _echo(_S, "precision", "Precision", "Serving precision of the weights (and KV cache).")

    GPUS_PER_REPLICA = Figure(("gpus_per_replica",), _S, "GPUs per replica", "GPUs",
                              "GPUs holding one copy of the model: as given, or the cheapest size that fits and "
                              "meets the targets (chosen on the mid estimate).",
                              ("estimator.inference._replicas", "estimator.inference._choose"), type="integer",
                              digits=None)
    REPLICAS = Figure(("replicas",), _S, "Replicas (mid)", "replicas",
                      "Replicas for the peak load in the mid estimate (1 without a load).",
                      ("estimator.inference._fleet",), type="integer", digits=None)
    GPU_COUNT = Figure(("gpu_count",), _S, "GPUs in the fleet (mid)", "GPUs", "Replicas (mid) × GPUs per replica.",
                       ("estimator.inference._fleet",), type="integer", digits=None)
    NODE_COUNT = Figure(("node_count",), _S, "Servers (mid)", "nodes", "Servers holding the fleet's GPUs (mid).",
                        ("estimator.inference._fleet",), type="integer", digits=None)
    MIN_GPUS_PER_REPLICA = Figure(("min_gpus_per_replica",), _S, "Fewest GPUs that hold one replica", "GPUs",
                                  "Fewest GPUs whose memory holds the weights and this batch's KV cache.",
                                  ("estimator.inference.min_gpus_per_replica",), type="integer", digits=None)

    COST_PER_MILLION_TOKENS = Group(("cost_usd_per_million_tokens",), _S, "TokenCost",
                                    "USD per million tokens: the fleet's cost per hour split between prompt and "
                                    "output tokens by the replica time each takes.")
    COST_INPUT = Group(("cost_usd_per_million_tokens", "input"), _S, "RentOwn", "USD per million prompt tokens.")
    COST_INPUT_RENT = Figure(("cost_usd_per_million_tokens", "input", "rent"), _S, "Input (prompt), renting GPUs",
                             "USD per million tokens", "Renting the GPUs at the price book's rate.",
                             ("estimator.cost.serving_cost", "estimator.cost.rent_usd"), kind=BAND)
    COST_INPUT_OWN = Figure(("cost_usd_per_million_tokens", "input", "own"), _S, "Input (prompt), owning GPUs",
                            "USD per million tokens", "Owning them: capex share, energy and hosting.",
                            ("estimator.cost.serving_cost", "estimator.cost.own_usd"), kind=BAND)
    COST_OUTPUT = Group(("cost_usd_per_million_tokens", "output"), _S, "RentOwn",
                        "USD per million generated tokens.")
    COST_OUTPUT_RENT = Figure(("cost_usd_per_million_tokens", "output", "rent"), _S, "Output (generated), renting GPUs",
                              "USD per million tokens", "Renting the GPUs at the price book's rate.",
                              ("estimator.cost.serving_cost", "estimator.cost.rent_usd"), kind=BAND)
    COST_OUTPUT_OWN = Figure(("cost_usd_per_million_tokens", "output", "own"), _S, "Output (generated), owning GPUs",
                             "USD per million tokens", "Owning them: capex share, energy and hosting.",
                             ("estimator.cost.serving_cost", "estimator.cost.own_usd"), kind=BAND)
    API_PRICE = Figure(("api_price_usd_per_million_tokens",), _S, "Public API price", "USD per million tokens",
                       "A public API list price for the same model, with its provider, date and source; null when "
                       "none is known.", ("estimator.cost.PriceBook.api_price",), kind=RECORD, type="object",
                       digits=None, nullable=True)

    PER_REPLICA = Group(("per_replica",), _S, "PerReplica",
                        "One replica in the mid estimate: its batch, latencies, speeds, capacity, what limits it "
                        "and how it is split over its GPUs.")
    BATCH_SIZE = Figure(("per_replica", "batch_size"), _S, "Concurrent sequences (batch)", "sequences",
                        "Sequences decoded together: as given, or the largest that fits and meets the targets.",
                        ("estimator.inference._best_batch",), type="integer", digits=None)
    CONTEXT_TOKENS = Figure(("per_replica", "context_tokens"), _S, "Context held per sequence", "tokens",
                            "KV-cache tokens each sequence may hold: as given, or input + output tokens.",
                            ("estimator.inference._shape",), type="integer", digits=None)
    TTFT_MS = Figure(("per_replica", "ttft_ms"), _S, "Time to first token", "ms",
                     "Prefill of one prompt on the replica (rounded down, so a met target stays met).", _PER_REPLICA)
    TPOT_MS = Figure(("per_replica", "tpot_ms"), _S, "Time per output token", "ms",
                     "The tail (p99): a decode step, the prefill work sharing the GPUs and one prefill chunk landing "
                     "in the step (rounded down, so a met 'tpot_ms' target stays met).", _PER_REPLICA)
    TPOT_MS_MEAN = Figure(("per_replica", "tpot_ms_mean"), _S, "Mean time per output token", "ms",
                          "A decode step plus the prefill work sharing the GPUs, on average.", _PER_REPLICA)
    DECODE_STEP_MS = Figure(("per_replica", "decode_step_ms"), _S, "Decode step", "ms",
                            "One decode step of the whole batch: the slower of compute and memory, plus "
                            "communication.", _PER_REPLICA)
    PREFILL_TOKENS_PER_S = Figure(("per_replica", "prefill_tokens_per_s"), _S, "Prefill speed", "tokens/s",
                                  "Prompt tokens / time to first token.", _PER_REPLICA)
    DECODE_TOKENS_PER_S = Figure(("per_replica", "decode_tokens_per_s"), _S, "Decode speed", "tokens/s",
                                 "Batch / decode step.", _PER_REPLICA)
    REPLICA_REQUESTS_PER_S = Figure(("per_replica", "requests_per_s"), _S, "Capacity", "requests/s",
                                    "Requests one replica serves per second under continuous batching.", _PER_REPLICA)
    REPLICA_OUTPUT_TOKENS_PER_S = Figure(("per_replica", "output_tokens_per_s"), _S, "Output capacity", "tokens/s",
                                         "Capacity × output tokens per request.", _PER_REPLICA)
    BOUND = Figure(("per_replica", "bound"), _S, "Decode limited by", "",
                   "What sets the decode step: 'compute' or 'memory' (bandwidth).", _PER_REPLICA, type="string",
                   digits=None)
    PARALLELISM = Figure(("per_replica", "parallelism"), _S, "Parallelism", "",
                         "How the replica splits the model: 'tensor' (and pipeline) or 'expert' (MoE, with "
                         "data-parallel attention).", _PER_REPLICA, type="string", digits=None)

    LOAD = Group(("request",), _S, "RequestShape", "The request shape and the load the estimate serves.")
    INPUT_TOKENS = Figure(("request", "input_tokens"), _S, "Input tokens per request", "tokens",
                          "Prompt tokens: as given, or the default.", ("estimator.inference._request_shape",),
                          type="integer", digits=None)
    OUTPUT_TOKENS = Figure(("request", "output_tokens"), _S, "Output tokens per request", "tokens",
                           "Generated tokens: as given, or the default.", ("estimator.inference._request_shape",),
                           type="integer", digits=None)
    LOAD_REQUESTS_PER_S = Figure(("request", "requests_per_s"), _S, "Average load", "requests/s",
                                 "Average load served: 'requests_per_s', or 'tokens_per_day' over the request's "
                                 "tokens; null when none was given.", ("estimator.inference._load",), nullable=True)

    REPLICAS_RANGE = Figure(("replicas_range",), _S, "Replicas", "replicas",
                            "Replicas for the peak load in each scenario.", ("estimator.inference._fleet",),
                            kind=BAND, type="integer", digits=None)
    OUTPUT_TOKENS_PER_S = Figure(("output_tokens_per_s",), _S, "Output tokens served", "tokens/s",
                                 "The load's output tokens per second (without a load: one replica's capacity).",
                                 ("estimator.inference._fleet",), kind=BAND)
    UTILISATION = Figure(("utilisation",), _S, "Utilisation of the fleet", "of capacity",
                         "Average load / the fleet's capacity.", ("estimator.inference._fleet",), kind=BAND,
                         digits=4)
    POWER = Group(("power_kw",), _S, "Power", "At the average load.")
    POWER_IT = Figure(("power_kw", "it"), _S, "IT power", "kW",
                      "The GPUs (busy at the load, idle otherwise) and the rest of their servers.", _SV_POWER,
                      kind=BAND)
    POWER_FACILITY = Figure(("power_kw", "facility"), _S, "Facility power (IT × PUE)", "kW", "IT power × PUE.",
                            (*_SV_POWER, "estimator.power.facility"), kind=BAND)
    PROVISIONED_POWER = Group(("provisioned_power_kw",), _S, "Power",
                              "Every provisioned GPU compute-bound: what the site must supply.")
    PROVISIONED_IT = Figure(("provisioned_power_kw", "it"), _S, "IT power to supply (every GPU busy)", "kW",
                            "Every GPU of the fleet compute-bound, plus the rest of their servers.", _SV_POWER,
                            kind=BAND)
    PROVISIONED_FACILITY = Figure(("provisioned_power_kw", "facility"), _S,
                                  "Facility power to supply (every GPU busy, × PUE)", "kW",
                                  "Provisioned IT power × PUE.", (*_SV_POWER, "estimator.power.facility"), kind=BAND)
    ENERGY_PER_DAY = Figure(("energy_mwh_per_day",), _S, "Energy per day", "MWh",
                            "Facility energy per day at the average load.", _SV_POWER, kind=BAND)
    CO2_PER_DAY = Figure(("co2_t_per_day",), _S, "Emissions per day", "t CO₂",
                         "Facility energy per day × the grid's carbon intensity.",
                         (*_SV_POWER, "estimator.power.co2_tonnes"), kind=BAND)
    JOULES_PER_TOKEN = Figure(("joules_per_token",), _S, "Energy per output token", "J",
                              "IT power / output tokens per second.", _SV_POWER, kind=BAND)

    MEMORY = Group(("memory_gb",), _S, "ServingMemory", "The memory of one replica, as stored on its GPUs.")
    WEIGHTS_GB = Figure(("memory_gb", "weights"), _S, "Weights", "GB",
                        "Weights as stored (under expert parallelism every GPU keeps its own copy of the shared "
                        "weights).", ("estimator.inference._memory_gb",))
    KV_CACHE_GB = Figure(("memory_gb", "kv_cache"), _S, "KV cache (whole batch)", "GB",
                         "KV cache of the whole batch at full context, copies included.",
                         ("estimator.inference._memory_gb",))
    TOTAL_GB = Figure(("memory_gb", "total"), _S, "Total", "GB", "Weights + KV cache.",
                      ("estimator.inference._memory_gb",))
    AVAILABLE_GB = Figure(("memory_gb", "available"), _S, "Usable on the replica's GPUs", "GB",
                          "The replica's HBM × the usable fraction.", ("estimator.inference._memory_gb",))
    KV_CACHE_PER_TOKEN_MB = Figure(("memory_gb", "kv_cache_per_token_mb"), _S, "KV cache per token", "MB",
                                   "KV cache one token adds (GQA-aware; MLA stores the compressed latent).",
                                   ("estimator.inference.kv_cache_bytes_per_token",))

    ASSUMPTIONS = _assumptions(_S)
    WARNINGS = _warnings(_S)
    PRICING = _pricing(_S)


def _declared(namespace: type) -> tuple[Figure | Group, ...]:
    return tuple(v for v in vars(namespace).values() if isinstance(v, Figure | Group))


#: Every figure and group of each workload's result, in declaration order.
ENTRIES: dict[str, tuple[Figure | Group, ...]] = {TRAINING: _declared(Training), INFERENCE: _declared(Serving)}
FIGURES: dict[str, tuple[Figure, ...]] = {w: tuple(e for e in ENTRIES[w] if isinstance(e, Figure)) for w in WORKLOADS}
GROUPS: dict[str, tuple[Group, ...]] = {w: tuple(e for e in ENTRIES[w] if isinstance(e, Group)) for w in WORKLOADS}


#: Each workload's figures by dotted key, built once: ``to_dict`` looks up a few dozen per estimate
#: (a scan of the declarations per lookup cost about 0.25 ms a training estimate, issue 14).
_BY_KEY: dict[str, dict[str, Figure]] = {w: {} for w in WORKLOADS}
for _workload, _figures in FIGURES.items():
    for _figure in _figures:
        _BY_KEY[_workload].setdefault(_figure.key, _figure)  # the first declared, as a scan would find


def find(workload: str, key: str) -> Figure | None:
    """The figure at a dotted ``key`` of a workload's result, if declared."""
    return _BY_KEY[workload].get(key)


def assemble(entries: Any) -> dict[str, Any]:
    """A result dict with each value at its figure's declared path, in the order given: the one
    place a result's shape is spelled (``TrainingEstimate.to_dict``, ``InferenceEstimate.to_dict``).
    A single float value is rounded here to its figure's ``digits`` (bands come rounded by
    ``Band.to_dict``; counts and text are left as they are)."""
    out: dict[str, Any] = {}
    for entry, value in entries:
        node = out
        for part in entry.path[:-1]:
            node = node.setdefault(part, {})
        if type(value) is float and isinstance(entry, Figure) and entry.digits is not None:
            value = significant(value, entry.digits)
        node[entry.path[-1]] = value
    return out


#: Significant figures a comparison's ratios keep: six like the figures (a ratio of two six-figure
#: mids is good to about six), in ``compare.py``'s ``ratios`` and ``compare_hardware.py``'s rows'.
RATIO_DIGITS = 6


def ratio(value: float, base: float) -> float | None:
    """``value / base`` to ``RATIO_DIGITS`` significant figures; None where ``base`` is 0 (no
    ratio to a zero)."""
    return float(significant(value / base, RATIO_DIGITS)) if base else None


def members(group: Group) -> tuple[Figure | Group, ...]:
    """The figures and groups directly inside ``group``, in declaration order."""
    depth = len(group.path)
    return tuple(e for e in ENTRIES[group.workload] if len(e.path) == depth + 1 and e.path[:depth] == group.path)


def top_level(workload: str) -> tuple[Figure | Group, ...]:
    """The result's keys: its top-level figures and groups, in declaration order."""
    return members(Group((), workload, "", ""))


# --- A comparison's headline metrics (compare.py computes the derived ones) ----------------------------
T, S = Training, Serving
#: Output per unit of compute (the article's "10x more results for the same compute").
TOKENS_PER_GPU_HOUR = Metric("tokens_per_gpu_hour", _T, "Tokens per GPU-hour", "",
                             "Output per unit of compute: training tokens / GPU-hours (mid).",
                             formula=("estimator.compare.tokens_per_gpu_hour",))
OUTPUT_TOKENS_PER_GPU_HOUR = Metric("output_tokens_per_gpu_hour", _S, "Output tokens per GPU-hour", "",
                                    "Output per unit of compute: one replica's output tokens/s × 3,600 / its GPUs "
                                    "(capacity, independent of how the load rounds to replicas).",
                                    formula=("estimator.compare.output_tokens_per_gpu_hour",))
METRICS: dict[str, tuple[Metric, ...]] = {
    TRAINING: (
        Metric("flops", _T, "Model FLOPs", "", "Model FLOPs (mid).", T.FLOPS),
        Metric("gpu_hours", _T, "GPU-hours", "", "GPU-hours (mid).", T.GPU_HOURS),
        Metric("cost_usd_rent", _T, "Cost renting", "USD", "Cost of the run renting the GPUs, USD (mid).", T.RENT),
        Metric("cost_usd_own", _T, "Cost owning", "USD", "Cost of the run owning them, USD (mid).", T.OWN),
        Metric("energy_mwh", _T, "Energy", "MWh", "Facility energy of the run, MWh (mid).", T.ENERGY),
        TOKENS_PER_GPU_HOUR,
    ),
    INFERENCE: (
        Metric("gpu_count", _S, "GPUs", "", "GPUs in the fleet (mid).", S.GPU_COUNT),
        Metric("cost_usd_per_million_output_tokens", _S, "Cost per million output tokens", "USD",
               "USD per million output tokens, renting the GPUs (mid).", S.COST_OUTPUT_RENT),
        Metric("cost_usd_per_million_input_tokens", _S, "Cost per million input tokens", "USD",
               "USD per million input tokens, renting the GPUs (mid).", S.COST_INPUT_RENT),
        Metric("joules_per_token", _S, "Energy per output token", "J", "IT energy per output token, J (mid).",
               S.JOULES_PER_TOKEN),
        Metric("energy_mwh_per_day", _S, "Energy per day", "MWh", "Facility energy per day, MWh (mid).", S.ENERGY_PER_DAY),
        OUTPUT_TOKENS_PER_GPU_HOUR,
    ),
}


def metric(name: str) -> Metric | None:
    """A comparison metric by its key, in either workload."""
    return next((m for ms in METRICS.values() for m in ms if m.name == name), None)


#: What each assumption an estimate lists (``bands.Assumption.name``) is, in words, for pages,
#: downloads and tables (the unit stays in its own column); a name not declared here shows as its
#: words with a capital (``assumption_label``).
ASSUMPTION_LABELS = {
    "tokens": "Training tokens",
    "flops_per_token": "Model FLOPs per token",
    "sequence_tokens": "Sequence length",
    "recompute": "Activation recomputation",
    "peak_tflops": "GPU dense peak at this precision",
    "gemm_compute_efficiency": "Matrix-product efficiency (of the dense peak)",
    "gemm_roofline": "Matrix-product roofline (measured)",
    "moe_roofline": "MoE-layer roofline (measured)",
    "parallel_layout": "Parallel layout",
    "elementwise_factor": "Element-wise traffic factor (fitted)",
    "expert_parallel_overlap": "Expert-parallel all-to-all hidden (fitted)",
    "pipeline_schedule": "Pipeline schedule",
    "steady_state_spread": "Steady-state time spread",
    "attention_precision": "Attention precision",
    "goodput": "Goodput (useful share of reserved GPU time)",
    "utilisation_override": "Utilisation (given)",
    "training_state_bytes_per_param": "Weights, gradients and optimizer state per parameter",
    "usable_hbm_fraction": "Usable share of GPU memory",
    "deadline_days": "Deadline",
    "rent_usd_per_gpu_hour": "Rental price",
    "capex_usd_per_gpu": "Purchase price per GPU",
    "electricity_usd_per_kwh": "Electricity price",
    "hosting_usd_per_kw_month": "Colocation price",
    "capex_life_years": "Useful life of the hardware",
    "pue": "PUE (facility power / IT power)",
    "grid_kg_co2_per_kwh": "Grid carbon intensity",
    "gpu_power_fraction_compute_bound": "GPU power when compute-bound (of TDP)",
    "gpu_power_fraction_memory_bound": "GPU power when memory-bound (of TDP)",
    "gpu_power_fraction_idle": "GPU power when idle (of TDP)",
    "gpu_tdp_w": "GPU board power (TDP)",
    "server_overhead_nameplate_w_per_gpu": "Rest of the server, nameplate power per GPU",
    "server_overhead_fraction": "Rest of the server, drawn share of nameplate",
    "contracted_kw_per_gpu": "Contracted power per GPU (colocation)",
    "weight_bytes_per_param": "Weight bytes per parameter",
    "kv_cache_bytes_per_token": "KV cache per token",
    "serving_memory_fraction": "Usable share of GPU memory (serving)",
    "decode_step_overhead_s": "Fixed time per decode step",
    "serving_spread": "Serving time spread",
    "tpot_target_percentile": "Percentile a TPOT target is checked at",
    "input_tokens": "Prompt tokens per request",
    "output_tokens": "Output tokens per request",
    "peak_to_average": "Peak-to-average load",
}


def assumption_label(name: str) -> str:
    """An assumption's name in words: declared in ``ASSUMPTION_LABELS``, else ``gpu_tdp_w`` → ``Gpu tdp w``."""
    return ASSUMPTION_LABELS.get(name) or name.replace("_", " ").capitalize()


__all__ = [
    "ASSUMPTION_LABELS",
    "BAND",
    "FIGURES",
    "GROUPS",
    "INFERENCE",
    "METRICS",
    "OUTPUT_TOKENS_PER_GPU_HOUR",
    "RATIO_DIGITS",
    "TOKENS_PER_GPU_HOUR",
    "RECORD",
    "TRAINING",
    "VALUE",
    "WORKLOADS",
    "ENTRIES",
    "Figure",
    "Group",
    "Metric",
    "Serving",
    "Training",
    "assemble",
    "assumption_label",
    "find",
    "members",
    "metric",
    "ratio",
    "top_level",
]
