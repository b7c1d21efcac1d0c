"""Serving: memory fit, prefill/decode roofline (MoE- and MLA-aware), replicas for a load, cost per token.

Inputs: an ``InferenceRequest`` (model and hardware records, precision, optional replica shape,
optional load and latency targets, overrides), a ``PriceBook`` and the ``Catalog``.
Output: an ``InferenceEstimate`` whose ``to_dict()`` is the API/CLI result contract.

Formulas (sources and derivations of the constants in ``defaults.py``):

- weights            total params x bytes per weight (bf16 2, fp8 1, fp4/int4 0.5)
- KV cache / token   GQA/MHA: 2 x L x KV heads x head dim x bytes; MLA: L x (kv_lora_rank + rope dim) x bytes
- fit                weights + batch x context x KV/token <= GPUs x HBM x 0.9
- prefill (compute)  FLOPs = 2 x N_active + L x H x (d_qk + d_v) x S per prompt token (causal mean S/2);
                     time = max(FLOPs / (GPUs x peak x f_c), weights / (GPUs x bandwidth x f_b)) + all-reduce
- decode step        bytes = weights touched + batch x context x KV/token; FLOPs = batch x (2 N_active + attention);
                     step = max(bytes / (GPUs x bandwidth x f_b), FLOPs / (GPUs x peak x f_c)) + all-reduce
                     MoE weights touched per layer: shared + E x (1 - (1 - k/E)^b) routed experts
- serving            continuous batching: each sequence waits step + (b / output) x prefill per token
                     (prefills share the GPUs), so a replica serves b x output / (output x step + b x prefill)
                     requests/s; replicas = ceil(peak requests/s / that)
"""

from __future__ import annotations

import contextlib
import contextvars
import dataclasses
import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from . import cost as cost_mod
from . import defaults as d
from . import figures, kernels, power, training_time
from .bands import SCENARIOS, Assumption, Band, significant
from .catalog import Catalog, Hardware, Model
from .checks import check_positive, check_pue, record_warnings
from .cost import PriceBook
from .errors import ConflictError, DoesNotFitError, InvalidInputError, UnsupportedPrecisionError, out_of_range
from .training import _each_end, attention_forward_flops_per_token, ceil, rows

MAX_BATCH = d.MAX_CONCURRENT_SEQUENCES  # engines cap concurrent sequences (defaults.py)
MAX_GPUS_PER_REPLICA = 512  # largest replica the search tries
MAX_GPUS_PER_REPLICA_GIVEN = 4096  # largest replica a request may ask for
#: Tensor-parallel group sizes a replica may use inside one NVLink domain (NVL72 included).
TENSOR_PARALLEL_SIZES = (1, 2, 4, 8, 16, 32, 64, 72)
#: Pipeline stage counts the search tries beyond one tensor-parallel group (a stage count that
#: divides the layers evenly is what deployments use; powers of two and their 1.5x).
PIPELINE_STAGES = (2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64)


# --- Formulas (scalar or numpy) ----------------------------------------------------------------
def kv_cache_bytes_per_token(model: Model, kv_bytes: float) -> float:
    """Bytes of KV cache one token adds (GQA-aware; MLA stores the compressed latent)."""
    if model.attention == "mla" and model.kv_lora_rank and model.qk_rope_head_dim and model.layers:
        return model.layers * (model.kv_lora_rank + model.qk_rope_head_dim) * kv_bytes
    if model.layers and model.head_dim and (model.kv_heads or model.attention_heads):
        kv_heads = model.kv_heads or model.attention_heads
        return 2.0 * model.layers * kv_heads * model.head_dim * kv_bytes  # type: ignore[operator]
    raise InvalidInputError(
        f"{model.name} has no layers/head_dim/kv_heads (or MLA latent sizes): the KV cache cannot be sized. "
        "Give the architecture inline or pick a catalog model.",
        field="model",
    )


def expected_distinct_experts(experts: Any, experts_per_token: Any, batch: Any) -> Any:
    """Expected routed experts a batch of ``batch`` tokens touches per layer, E(1 - (1 - k/E)^b)."""
    return experts * (1.0 - (1.0 - experts_per_token / experts) ** batch)


def weight_params_touched(model: Model, batch: Any) -> Any:
    """Parameters read in one decode step. Dense: all. MoE: everything but the routed experts,
    plus the routed experts the batch activates. Routed-expert size is implied by the published
    counts: (total - active) / (E - k) per expert (all layers), so no FFN shape is needed."""
    e, k = model.experts, model.experts_per_token
    if not model.is_moe or not k or not e or k >= e:
        return model.total_params
    per_expert = (model.total_params - model.active_params) / (e - k)
    always = model.total_params - e * per_expert
    return always + expected_distinct_experts(e, k, batch) * per_expert


# --- Request and result ------------------------------------------------------------------------
@dataclass(frozen=True)
class InferenceRequest:
    model: Model
    hardware: Hardware
    precision: str = "bf16"
    gpus_per_replica: int | None = None
    batch_size: int | None = None
    context_tokens: int | None = None
    input_tokens: int | None = None
    output_tokens: int | None = None
    requests_per_s: float | None = None
    tokens_per_day: float | None = None
    peak_to_average: float | None = None
    ttft_ms: float | None = None
    tpot_ms: float | None = None
    pue: float | None = None
    grid_kg_co2_per_kwh: float | None = None
    usd_per_gpu_hour: float | None = None
    capex_usd_per_gpu: float | None = None
    usd_per_kwh: float | None = None
    #: The energy rows to read (cost.electricity_market): None, the default market.
    electricity_market: str | None = None


@dataclass(frozen=True)
class _Shape:
    """What the physics of one replica needs, fixed per request."""

    weight_bytes_per_param: float
    kv_bytes_per_token: float
    peak_flops: float
    bandwidth_bytes_per_s: float
    usable_bytes_per_gpu: float
    input_tokens: int
    output_tokens: int
    context_max: int  # KV tokens each sequence may hold (memory)
    context_mean: float  # mean KV tokens during decode (step time)
    prefill_flops: float  # per request
    decode_flops_per_token: float  # per generated token at context_mean
    prefill_attention_flops_per_token: float = 0.0
    #: Measured kernels of this GPU at this precision (kernels.py), looked up once per request.
    gemm: kernels.Roofline = kernels.Roofline(1.0, 1.0, 0.0)
    moe: kernels.Roofline = kernels.Roofline(1.0, 1.0, 0.0)
    decode_attention: tuple[float, float, float] = (0.0, 0.0, 1.0)
    prefill_attention_efficiency: float = 1.0
    collectives: dict[tuple[str, int], kernels.Collective] = field(default_factory=dict, compare=False)

    def collective(self, hw: Hardware, op: str, gpus: int) -> kernels.Collective:
        found = self.collectives.get((op, gpus))
        if found is None:
            found = self.collectives[(op, gpus)] = kernels.collective(hw, op, gpus)
        return found


@dataclass(frozen=True)
class _Replica:
    gpus: int
    batch: int
    step_s: float
    step_compute_s: float
    step_memory_s: float
    prefill_s: float  # one prompt alone: the time to first token
    prefill_work_s: float  # replica time a prompt costs inside continuous batching
    tpot_s: float  # step + prefill interference
    requests_per_s: float
    mode: str = "tp"  # "tp": tensor (+ pipeline) parallel; "ep": expert parallel with data-parallel attention
    tpot_mean_s: float = 0.0  # mean seconds per output token (tpot_s is the p99 tail)

    def phase_seconds(self, output_tokens: int) -> tuple[float, float]:
        """Replica-seconds one request keeps the replica compute-bound and memory-bound: its share
        of prefill (compute) and of the decode steps, counted by the step's binding resource."""
        decode_s = output_tokens * self.step_s / self.batch
        decode_compute_share = 1.0 if self.step_compute_s >= self.step_memory_s else 0.0
        return self.prefill_work_s + decode_s * decode_compute_share, decode_s * (1.0 - decode_compute_share)


@dataclass(frozen=True)
class InferenceEstimate:
    model: str
    hardware: str
    precision: str
    gpus_per_replica: int
    replicas: Band
    gpu_count: int
    node_count: int
    per_replica: dict[str, Any]
    memory_gb: dict[str, float]
    min_gpus_per_replica: int
    input_tokens: int
    output_tokens: int
    load_requests_per_s: float | None
    utilisation: Band
    throughput_output_tokens_per_s: Band
    cost_input: Band
    cost_output: Band
    own_input: Band
    own_output: Band
    power_it_kw: Band
    provisioned_it_kw: Band
    provisioned_facility_kw: Band
    power_facility_kw: Band
    energy_mwh_per_day: Band
    co2_t_per_day: Band
    joules_per_token: Band
    api_price: dict[str, Any] | None
    assumptions: tuple[Assumption, ...]
    warnings: tuple[str, ...] = field(default=())
    #: The pricing table and version behind the costs, and every price point used (source, date).
    pricing: dict[str, Any] = field(default_factory=dict)

    def to_dict(self, *, assumptions: bool = True) -> dict[str, Any]:
        """The result contract: every value at its path declared in ``figures.Serving``, bands
        rounded to the figure's declared significant digits. ``assumptions=False``: the assumptions
        list left empty (a batch estimate's result columns do not read it)."""
        f = figures.Serving

        def band(figure: figures.Figure, value: Band) -> dict[str, float]:
            return value.to_dict(figure.digits or 6)

        def at(key: str) -> figures.Figure | None:
            return figures.find(figures.INFERENCE, key)

        entries: list[tuple[Any, Any]] = [
            (f.WORKLOAD, "inference"), (f.MODEL, self.model), (f.HARDWARE, self.hardware), (f.PRECISION, self.precision),
            (f.GPUS_PER_REPLICA, self.gpus_per_replica), (f.REPLICAS, _whole(self.replicas.mid)),
            (f.REPLICAS_RANGE, {s: _whole(self.replicas[s]) for s in SCENARIOS}), (f.GPU_COUNT, self.gpu_count),
            (f.NODE_COUNT, self.node_count),
        ]
        entries += [(at(f"per_replica.{k}"), v) for k, v in self.per_replica.items()]
        entries += [(at(f"memory_gb.{k}"), significant(v)) for k, v in self.memory_gb.items()]
        entries += [
            (f.MIN_GPUS_PER_REPLICA, self.min_gpus_per_replica), (f.INPUT_TOKENS, self.input_tokens),
            (f.OUTPUT_TOKENS, self.output_tokens),
            # A float is rounded by ``assemble``; rows (a batch estimate) here, by the same ``significant``.
            (f.LOAD_REQUESTS_PER_S, significant(self.load_requests_per_s, f.LOAD_REQUESTS_PER_S.digits or 6)
             if rows(self.load_requests_per_s) else self.load_requests_per_s),
            (f.UTILISATION, band(f.UTILISATION, self.utilisation)),
            (f.OUTPUT_TOKENS_PER_S, band(f.OUTPUT_TOKENS_PER_S, self.throughput_output_tokens_per_s)),
            (f.COST_INPUT_RENT, band(f.COST_INPUT_RENT, self.cost_input)), (f.COST_INPUT_OWN, band(f.COST_INPUT_OWN, self.own_input)),
            (f.COST_OUTPUT_RENT, band(f.COST_OUTPUT_RENT, self.cost_output)),
            (f.COST_OUTPUT_OWN, band(f.COST_OUTPUT_OWN, self.own_output)), (f.API_PRICE, self.api_price),
            (f.POWER_IT, band(f.POWER_IT, self.power_it_kw)), (f.POWER_FACILITY, band(f.POWER_FACILITY, self.power_facility_kw)),
            (f.PROVISIONED_IT, band(f.PROVISIONED_IT, self.provisioned_it_kw)),
            (f.PROVISIONED_FACILITY, band(f.PROVISIONED_FACILITY, self.provisioned_facility_kw)),
            (f.ENERGY_PER_DAY, band(f.ENERGY_PER_DAY, self.energy_mwh_per_day)),
            (f.CO2_PER_DAY, band(f.CO2_PER_DAY, self.co2_t_per_day)),
            (f.JOULES_PER_TOKEN, band(f.JOULES_PER_TOKEN, self.joules_per_token)),
            (f.ASSUMPTIONS, [a.to_dict() for a in self.assumptions] if assumptions else []), (f.WARNINGS, list(self.warnings)),
            (f.PRICING, self.pricing),
        ]
        return figures.assemble(entries)


# --- Validation --------------------------------------------------------------------------------
def validate(req: InferenceRequest) -> None:
    for name in ("gpus_per_replica", "batch_size", "context_tokens", "input_tokens", "output_tokens"):
        check_positive(getattr(req, name), name, integer=True)
    for name in ("requests_per_s", "tokens_per_day", "ttft_ms", "tpot_ms", "grid_kg_co2_per_kwh",
                 "usd_per_gpu_hour", "capex_usd_per_gpu", "usd_per_kwh", "peak_to_average"):
        _each_end(check_positive, getattr(req, name), name)  # a batch's rows: at the two ends
    _each_end(check_pue, req.pue)
    if req.peak_to_average is not None and req.peak_to_average < 1.0:
        raise InvalidInputError(
            f"'peak_to_average' is peak / average load and cannot be below 1, got {req.peak_to_average!r}.",
            field="peak_to_average")
    if req.requests_per_s is not None and req.tokens_per_day is not None:
        raise InvalidInputError("Give the load as 'requests_per_s' or 'tokens_per_day', not both.", field="requests_per_s")
    if req.precision not in d.SERVING_PRECISIONS:
        raise InvalidInputError(
            f"'precision' must be one of {', '.join(d.SERVING_PRECISIONS)} for serving, got {req.precision!r}.",
            field="precision")
    if req.gpus_per_replica and req.gpus_per_replica > MAX_GPUS_PER_REPLICA_GIVEN:
        raise InvalidInputError(
            f"'gpus_per_replica' must be at most {MAX_GPUS_PER_REPLICA_GIVEN:,} (the largest serving replicas published, "
            f"DeepSeek's, span 144 GPUs), got {req.gpus_per_replica:.4g}.", field="gpus_per_replica")
    if req.gpus_per_replica:
        limit = tensor_parallel_limit(req.hardware)
        heads = req.model.attention_heads
        if req.gpus_per_replica > limit and req.gpus_per_replica % limit:
            raise ConflictError(
                f"'gpus_per_replica' beyond one {req.hardware.name} tensor-parallel group ({limit}) must be a multiple "
                f"of it (pipeline stages), got {req.gpus_per_replica}. Try {req.gpus_per_replica // limit * limit or limit} "
                f"or {(req.gpus_per_replica // limit + 1) * limit}.", field="gpus_per_replica")
        if req.gpus_per_replica <= limit and heads and heads % req.gpus_per_replica and not req.model.is_moe:
            sizes = [t for t in TENSOR_PARALLEL_SIZES if t <= limit and heads % t == 0]
            raise ConflictError(
                f"Tensor parallelism over {req.gpus_per_replica} GPUs must divide {req.model.name}'s {heads} attention "
                f"heads; use one of {', '.join(map(str, sizes))}.", field="gpus_per_replica")
    compute = d.SERVING_COMPUTE_PRECISION[req.precision]
    try:
        req.hardware.peak_tflops(compute)
    except UnsupportedPrecisionError as exc:
        hint = " (fp8 needs Hopper, Ada or later; fp4 needs Blackwell; int4 weight-only works everywhere)"
        raise UnsupportedPrecisionError(exc.message.rstrip(".") + hint + ".", field="precision", **exc.data) from None
    if req.model.max_context_tokens:
        ctx = req.context_tokens or ((req.input_tokens or 0) + (req.output_tokens or 0))
        if ctx > req.model.max_context_tokens:
            raise ConflictError(
                f"{req.model.name} supports at most {req.model.max_context_tokens:,} tokens of context; "
                f"the request needs {ctx:,}. Shorten the prompt or output.",
                field="context_tokens" if req.context_tokens else "input_tokens")


# --- Physics of one replica --------------------------------------------------------------------
def _shape(req: InferenceRequest) -> _Shape:
    model, hw = req.model, req.hardware
    compute = d.SERVING_COMPUTE_PRECISION[req.precision]
    kv_bytes = d.SERVING_KV_BYTES[req.precision]
    input_tokens, output_tokens = _request_shape(req)
    # KV tokens a sequence holds at its longest (the context may include history before this prompt),
    # and on average while its output is generated.
    context_max = req.context_tokens or input_tokens + output_tokens
    context_mean = context_max - output_tokens / 2.0
    if model.has_attention_shape:
        heads, layers = model.attention_heads, model.layers
        prefill_attn = attention_forward_flops_per_token(layers, heads, model.qk_head_dim, model.value_head_dim, input_tokens / 2.0)
        if model.attention == "mla" and model.kv_lora_rank and model.qk_rope_head_dim:
            # Decoding with MLA attends in the latent space (weights absorbed): queries and keys are
            # kv_lora_rank + rope wide, values kv_lora_rank wide (DeepSeek-V2 report, §2.1.2).
            qk, v = model.kv_lora_rank + model.qk_rope_head_dim, model.kv_lora_rank
        else:
            qk, v = model.qk_head_dim or 0, model.value_head_dim or 0
        decode_attn = attention_forward_flops_per_token(layers, heads, qk, v, context_mean)
    else:
        prefill_attn = decode_attn = 0.0
    return _Shape(
        weight_bytes_per_param=d.SERVING_WEIGHT_BYTES[req.precision],
        kv_bytes_per_token=kv_cache_bytes_per_token(model, kv_bytes),
        peak_flops=hw.peak_tflops(compute) * d.TERA,
        bandwidth_bytes_per_s=hw.hbm_bandwidth_tb_per_s * d.TERA,
        usable_bytes_per_gpu=hw.hbm_gb * d.HBM_BYTES_PER_GB * d.SERVING_MEMORY_FRACTION,
        input_tokens=input_tokens,
        output_tokens=output_tokens,
        context_max=int(context_max),
        context_mean=float(context_mean),
        prefill_flops=input_tokens * (2.0 * model.active_params + prefill_attn),
        decode_flops_per_token=2.0 * model.active_params + decode_attn,
        prefill_attention_flops_per_token=prefill_attn,
        gemm=kernels.gemm(hw, compute),
        moe=kernels.moe(hw, compute),
        decode_attention=kernels.decode_attention(hw, kv_bytes, model.attention == "mla"),
        prefill_attention_efficiency=kernels.prefill_attention_efficiency(hw),
    )


def _resident_params_per_gpu(model: Model, gpus: int, mode: str) -> float:
    """Parameters each GPU stores: a 1/gpus share under tensor parallelism; under expert
    parallelism every GPU keeps the shared part (attention, dense layers, shared experts) and a
    1/gpus share of the routed experts."""
    if mode == "tp":
        return model.total_params / gpus
    always = weight_params_touched(model, 0)
    return always + (model.total_params - always) / gpus


def kv_copies(model: Model, tp: int) -> float:
    """How many times a tensor-parallel group of ``tp`` GPUs stores each token's KV cache.

    GQA/MHA split the KV heads over the group, so each GPU holds 1/tp of them, until there are
    more GPUs than KV heads: then heads are replicated (tp / kv_heads copies). MLA's latent is
    shared by all heads, so every GPU keeps all of it (tp copies)."""
    if model.attention == "mla":
        return float(tp)
    kv_heads = model.kv_heads or model.attention_heads or tp
    return max(1.0, tp / kv_heads)


def _parallel_shape(hw: Hardware, gpus: int) -> tuple[int, int]:
    """(tensor-parallel size, pipeline stages) of a tensor/pipeline replica."""
    tp = min(gpus, tensor_parallel_limit(hw))
    return tp, max(1, gpus // tp)


def _kv_bytes_per_sequence_per_gpu(req: InferenceRequest, sh: _Shape, gpus: int, mode: str, context: float) -> float:
    """KV cache one sequence of ``context`` tokens puts on each GPU that holds it."""
    per_sequence = sh.kv_bytes_per_token * context
    if mode == "ep":
        return per_sequence  # data-parallel attention: a sequence lives on one GPU, whole
    tp, pp = _parallel_shape(req.hardware, gpus)
    return per_sequence * kv_copies(req.model, tp) / tp / pp


def _request_shape(req: InferenceRequest) -> tuple[int, int]:
    """(input, output) tokens per request. Defaults fill what is not given; with only a
    ``context_tokens`` shorter than the defaults, the defaults shrink to fit it (2/3 prompt)."""
    given_in, given_out, ctx = req.input_tokens, req.output_tokens, req.context_tokens
    if ctx is not None and given_in is None and given_out is None and ctx < d.DEFAULT_INPUT_TOKENS + d.DEFAULT_OUTPUT_TOKENS:
        input_tokens = max(1, math.ceil(ctx * 2 / 3))
        return input_tokens, max(1, ctx - input_tokens)
    input_tokens = given_in or d.DEFAULT_INPUT_TOKENS
    output_tokens = given_out or d.DEFAULT_OUTPUT_TOKENS
    if ctx is not None and ctx < input_tokens + output_tokens:
        raise ConflictError(
            f"'context_tokens' ({ctx:,}) is the KV cache a sequence holds, so it must be at least input + output "
            f"tokens ({input_tokens:,} + {output_tokens:,}). Raise it, or leave it out to use input + output.",
            field="context_tokens")
    return input_tokens, output_tokens


def _max_batch(req: InferenceRequest, sh: _Shape, gpus: int, mode: str = "tp") -> int:
    free_per_gpu = sh.usable_bytes_per_gpu - _resident_params_per_gpu(req.model, gpus, mode) * sh.weight_bytes_per_param
    if free_per_gpu <= 0:
        return 0
    per_gpu = _kv_bytes_per_sequence_per_gpu(req, sh, gpus, mode, sh.context_max)
    sequences_per_gpu_group = free_per_gpu / per_gpu  # on each GPU; EP spreads sequences over all GPUs
    total = sequences_per_gpu_group * gpus if mode == "ep" else sequences_per_gpu_group
    return max(0, min(MAX_BATCH, int(total)))


def tensor_parallel_limit(hw: Hardware) -> int:
    """Largest tensor-parallel group: the NVLink domain, or the server over PCIe for GPUs without one."""
    return max(hw.nvlink_domain_gpus, hw.gpus_per_node)


def _link_bytes_per_s(hw: Hardware, tp: int) -> float:
    """One-way bandwidth per GPU inside a tensor-parallel group: NVLink (half the bidirectional
    figure) when the group fits its NVLink domain, PCIe otherwise (Gen5 x16 on Hopper and
    Blackwell, Gen4 x16 before)."""
    if hw.nvlink_gb_per_s and tp <= hw.nvlink_domain_gpus:
        return hw.nvlink_gb_per_s / 2.0 * d.GIGA
    return training_time.pcie_bytes_per_s(hw)


def _replica(req: InferenceRequest, sh: _Shape, gpus: int, batch: int, scenario: str, mode: str = "tp") -> _Replica:
    """One replica of ``gpus`` GPUs serving ``batch`` sequences (see ``_ReplicaModel``)."""
    return _ReplicaModel(req, sh, gpus, scenario, mode).at(batch)


class _ReplicaModel:
    """One replica size, parallelism and scenario, as a function of the batch.

    The terms that do not depend on the batch (the prompt's prefill, the parallel shape, the
    kernel rooflines) are computed once here, so that the batch search (``_best_batch``), which
    tries a dozen batches per replica size, evaluates only what the batch changes.

    A decode step is the sum of its kernels on one GPU, each from NVIDIA's measured tables
    (``kernels.py``): the dense matrix products (roofline: per-call overhead + max(FLOPs, weight
    bytes)), the routed experts (the MoE-layer roofline over the experts the batch touches), decode
    attention (per-layer fixed time + KV bytes at the measured bandwidth), tensor-parallel
    all-reduces (measured latency + bytes at the measured bus bandwidth), and the engine's per-step
    overhead (scheduling, sampling; ``DECODE_STEP_OVERHEAD_S``, fitted on the serving corpus).
    The scenario multiplies every time by ``SERVING_SPREAD`` (low: a tuned vendor stack; high: a
    typical deployment).

    ``mode`` "tp": tensor parallelism over tp GPUs, pipeline stages beyond: the batch runs as pp
    micro-batches of b/pp, and a token crosses every stage, so the time per output token is pp
    stage-times, each stage reading its weights for its micro-batch.

    ``mode`` "ep": expert parallelism with data-parallel attention (how DeepSeek serves V3/R1):
    each GPU runs attention for batch/gpus sequences with its own copy of the shared weights and
    holds 1/gpus of the routed experts; tokens travel to their experts and back by all-to-all (fp8
    dispatch, bf16 combine), over NVLink inside the domain and the scale-out network beyond, the
    busiest GPU setting the pace (Poisson maximum over the GPUs), a share ``EP_OVERLAP`` of the
    all-to-all hidden behind compute.
    """

    __slots__ = ("req", "sh", "gpus", "mode", "tp", "pp", "spread", "hidden", "layers", "moe_layers", "k", "experts",
                 "dense_params", "expert_params", "gemm", "moe", "attn_fixed", "attn_bw", "ar_latency", "ar_bw",
                 "kv_copies", "on_node", "a2a_bw", "gemm_calls", "prefill", "prefill_work", "peak", "hbm", "attn_per_seq",
                 "elementwise_s_per_sequence")

    def __init__(self, req: InferenceRequest, sh: _Shape, gpus: int, scenario: str, mode: str = "tp") -> None:
        model, hw = req.model, req.hardware
        self.req, self.sh, self.gpus, self.mode = req, sh, gpus, mode
        self.spread = d.SERVING_SPREAD['moe' if model.is_moe else 'dense'][scenario]
        self.hidden = float(model.hidden_size or 0)
        self.layers = float(model.layers or 0)
        self.moe_layers = float((model.layers or 0) - (model.dense_layers or 0)) if model.is_moe else 0.0
        self.k = float(model.experts_per_token or 0)
        self.experts = float(model.experts or 1)
        self.dense_params = weight_params_touched(model, 0)
        self.expert_params = model.total_params - self.dense_params
        self.gemm, self.moe = sh.gemm, sh.moe
        self.attn_fixed, self.attn_per_seq, self.attn_bw = sh.decode_attention
        self.attn_bw = min(self.attn_bw, d.MAX_ACHIEVED_BANDWIDTH_FRACTION)
        self.peak, self.hbm = sh.peak_flops, sh.bandwidth_bytes_per_s
        # kernel calls per layer: q/k/v + output projections, then gate/up + down of the FFN
        # (shared experts too); the routed experts are one grouped call
        self.gemm_calls = 4.0 * self.layers + (2.0 * self.moe_layers if model.shared_experts else 0.0)
        if mode == "ep":
            self.tp, self.pp = 1, 1
            self.kv_copies = 1.0
            self.on_node = min(gpus, hw.nvlink_domain_gpus) / gpus
            self.a2a_bw = _link_bytes_per_s(hw, min(gpus, hw.nvlink_domain_gpus)) * sh.collective(
                hw, "alltoall_nccl", min(gpus, hw.nvlink_domain_gpus or 1)).link_fraction
            self.ar_latency, self.ar_bw = 0.0, 1.0
        else:
            self.tp, self.pp = _parallel_shape(hw, gpus)
            self.kv_copies = kv_copies(model, self.tp)
            self.on_node, self.a2a_bw = 1.0, 1.0
            comm = sh.collective(hw, "all_reduce_trtllm_custom", self.tp)
            self.ar_latency = comm.latency_s
            self.ar_bw = _link_bytes_per_s(hw, self.tp) * (comm.link_fraction if hw.nvlink_gb_per_s else 1.0)
        # Element-wise kernels (norms, residuals, RoPE, activation) and the logits of each sequence, per
        # step on one GPU, at the copy rate x the factor fitted on training (training_time.py).
        per_token = self.layers * training_time.elementwise_bytes_per_token_layer(model, self.tp) + 8.0 * (
            model.vocab_size or 0)
        self.elementwise_s_per_sequence = d.ELEMENTWISE_FACTOR * per_token / (self.hbm * d.COPY_BANDWIDTH_FRACTION)
        self.prefill, self.prefill_work = self._prefill()

    # --- prefill -------------------------------------------------------------------------------
    def _prefill(self) -> tuple[float, float]:
        """(seconds to first token for one prompt alone, replica-seconds a prompt costs inside
        continuous batching). A prompt is compute-bound: its matrix products at the measured
        large-GEMM rate and its attention at the measured prefill-attention rate."""
        sh, req = self.sh, self.req
        tokens = float(sh.input_tokens)
        attn_flops = tokens * sh.prefill_attention_flops_per_token
        gemm_flops = sh.prefill_flops - attn_flops
        attn_eff = sh.prefill_attention_efficiency
        attn_peak = req.hardware.peak_tflops("bf16") * d.TERA
        if self.mode == "ep":
            # attention and the shared weights run on one GPU, the routed experts spread over all
            share = self.dense_params / req.model.active_params
            gemm_s = self.gemm.seconds(gemm_flops * share, self.dense_params * sh.weight_bytes_per_param, self.peak, self.hbm)
            expert_s = self.moe.seconds(gemm_flops * (1 - share) / self.gpus,
                                        self.expert_params / self.gpus * sh.weight_bytes_per_param, self.peak, self.hbm)
            alone = gemm_s + expert_s + attn_flops / (attn_peak * attn_eff) + self._all_to_all(tokens)
            work = (gemm_flops / self.gpus) / (self.gemm.compute_eff * self.peak) + attn_flops / self.gpus / (
                attn_peak * attn_eff) + self._all_to_all(tokens / self.gpus)
            return alone * self.spread, work * self.spread
        compute = gemm_flops / (self.tp * self.gemm.compute_eff * self.peak) + attn_flops / (self.tp * attn_peak * attn_eff)
        weights = req.model.total_params * sh.weight_bytes_per_param / (self.tp * self.gemm.hbm_fraction * self.hbm)
        comm = self._allreduce(tokens) * self.pp
        alone = max(compute, weights) + self.gemm.overhead_s * self.gemm_calls + comm
        # inside continuous batching the weights are read by the decode steps anyway: only compute counts
        work = (compute + comm) / self.pp
        return alone * self.spread, work * self.spread

    def _allreduce(self, tokens: float) -> float:
        """Two all-reduces per layer of the hidden states (Megatron tensor parallelism) on one stage."""
        if self.tp <= 1:
            return 0.0
        calls = d.ALLREDUCES_PER_LAYER * self.layers / self.pp
        return calls * (self.ar_latency + 2.0 * (self.tp - 1) / self.tp * tokens * self.hidden * 2.0 / self.ar_bw)

    def _all_to_all(self, tokens: float) -> float:
        """Seconds to send ``tokens`` tokens' hidden states to their experts and back (EP), exposed share."""
        moved = tokens * self.moe_layers * self.k * self.hidden * d.EP_BYTES_PER_HIDDEN_VALUE
        wire = moved * self.on_node / self.a2a_bw + moved * (1.0 - self.on_node) / (
            d.SCALE_OUT_GB_PER_S * d.GIGA * d.SCALE_OUT_EFFICIENCY)
        return wire * (1.0 - d.EP_OVERLAP)

    # --- decode --------------------------------------------------------------------------------
    def _step(self, batch: int) -> tuple[float, float, float]:
        """(decode step, its compute-bound part, its memory-bound part) in seconds."""
        sh = self.sh
        bpw = sh.weight_bytes_per_param
        if self.mode == "ep":
            per_gpu = batch / self.gpus
            dense = self.gemm.seconds(2.0 * per_gpu * self.dense_params, self.dense_params * bpw, self.peak, self.hbm)
            pairs = batch * self.k / self.gpus  # (token, expert) pairs per GPU, balanced
            imbalance = 1.0 + math.sqrt(2.0 * math.log(max(2.0, self.gpus)) / pairs) if pairs > 0 else 1.0
            touched = expected_distinct_experts(self.experts / self.gpus, 1.0, pairs * self.gpus / self.experts
                                                ) if self.experts >= self.gpus else 1.0
            per_expert = self.expert_params / self.experts
            experts = self.moe.seconds(2.0 * pairs * per_expert * imbalance, touched * per_expert * bpw, self.peak, self.hbm)
            kv = per_gpu * sh.context_mean * sh.kv_bytes_per_token
            comm = self._all_to_all(per_gpu)
            tp_comm = 0.0
        else:
            micro = batch / self.pp
            touched = weight_params_touched(self.req.model, micro)
            dense_params = self.dense_params / (self.tp * self.pp)
            dense = self.gemm.seconds(2.0 * micro * dense_params, dense_params * bpw, self.peak, self.hbm)
            expert_params = (touched - self.dense_params) / (self.tp * self.pp)
            experts = self.moe.seconds(2.0 * micro * self.k * self.expert_params / self.experts / (self.tp * self.pp),
                                       expert_params * bpw, self.peak, self.hbm) if self.expert_params else 0.0
            kv = micro * sh.context_mean * sh.kv_bytes_per_token * self.kv_copies / (self.tp * self.pp)
            comm = 0.0
            tp_comm = self._allreduce(micro)
        sequences = batch / self.gpus if self.mode == "ep" else batch / self.pp
        attention = (self.attn_fixed + self.attn_per_seq * sequences) * self.layers / self.pp + kv / (self.attn_bw * self.hbm)
        elementwise = sequences * self.elementwise_s_per_sequence / self.pp
        kernels_s = (dense + experts + attention + elementwise + self.gemm.overhead_s * (self.gemm_calls / self.pp - 1)
                     ) * self.pp
        overhead = d.DECODE_STEP_OVERHEAD_S + d.DECODE_SEQUENCE_OVERHEAD_S * batch
        step = (kernels_s + (tp_comm + comm) * self.pp + overhead) * self.spread
        compute = batch * sh.decode_flops_per_token / (self.gpus * self.peak * self.gemm.compute_eff)
        return step, min(step, compute * self.spread), max(0.0, step - compute * self.spread)

    def tpot_s(self, batch: int) -> float:
        """p99 seconds per output token at this batch (``_prefills_per_step`` at z = TPOT_TAIL_Z)."""
        step = self._step(batch)[0]
        return step + self._prefills_per_step(batch, d.TPOT_TAIL_Z) * self.prefill_work

    def _prefills_per_step(self, batch: int, z: float) -> float:
        """Prompts prefilled per step that a request's decode shares: while it generates its
        ``output`` tokens the other sequences are replaced about ``batch`` times (a Poisson count),
        so the mean is batch / output per step and its p99 (batch + z sqrt(batch)) / output."""
        return (batch + z * math.sqrt(batch)) / self.sh.output_tokens

    def at(self, batch: int) -> _Replica:
        step, comp, mem = self._step(batch)
        mean = step + self._prefills_per_step(batch, 0.0) * self.prefill_work
        tail = step + self._prefills_per_step(batch, d.TPOT_TAIL_Z) * self.prefill_work
        rps = batch / (self.sh.output_tokens * mean)
        return _Replica(self.gpus, batch, step, comp, mem, self.prefill, self.prefill_work, tail, rps, self.mode, mean)


def _candidate_gpus(req: InferenceRequest, sh: _Shape) -> list[tuple[int, str]]:
    """(GPUs per replica, parallelism) pairs whose memory holds the weights and the batch."""
    shared = _SHARED.get()
    if shared is not None:  # batch rows of one structure (``shared_replica_searches``)
        if "candidates" not in shared:
            token = _SHARED.set(None)
            try:
                shared["candidates"] = _candidate_gpus(req, sh)
            finally:
                _SHARED.reset(token)
        return list(shared["candidates"])
    hw = req.hardware
    if req.gpus_per_replica:
        options = [req.gpus_per_replica]
    else:
        limit = tensor_parallel_limit(hw)
        inside = [t for t in TENSOR_PARALLEL_SIZES if t <= limit]
        stages = [n * limit for n in PIPELINE_STAGES if n * limit <= MAX_GPUS_PER_REPLICA]
        options = sorted({t for t in inside + stages if t <= MAX_GPUS_PER_REPLICA})
    modes = ("tp", "ep") if req.model.is_moe and req.model.experts_per_token else ("tp",)
    return [(t, m) for t in options for m in modes
            if (m == "tp" or t > 1) and _max_batch(req, sh, t, m) >= (req.batch_size or 1)]


_USER_BATCH = -1
#: Replica searches shared by requests that differ only in load, TTFT target and prices (batch
#: estimates, ``estimator.batch``): ``_best_batch`` reads none of those. None: nothing shared.
_SHARED: contextvars.ContextVar[dict[Any, Any] | None] = contextvars.ContextVar("replica_searches", default=None)


@contextlib.contextmanager
def shared_replica_searches() -> Iterator[None]:
    """Within the block, every request has the same model, hardware, precision, shape, batch,
    GPUs per replica and TPOT target (the caller groups them): the candidate sizes and each size's
    search run once."""
    token = _SHARED.set({})
    try:
        yield
    finally:
        _SHARED.reset(token)


def _best_batch(req: InferenceRequest, sh: _Shape, gpus: int, scenario: str, mode: str = "tp",
                fixed_batch: int | None = _USER_BATCH) -> _Replica | None:
    """Largest batch within memory that meets the TPOT target (throughput grows with batch), or
    the fixed batch (by default the request's ``batch_size``; ``None`` ignores it)."""
    shared = _SHARED.get()
    if shared is not None:
        key = (gpus, scenario, mode, fixed_batch)
        if key not in shared:
            token = _SHARED.set(None)
            try:
                shared[key] = _best_batch(req, sh, gpus, scenario, mode, fixed_batch)
            finally:
                _SHARED.reset(token)
        return shared[key]  # type: ignore[no-any-return]
    fixed = req.batch_size if fixed_batch == _USER_BATCH else fixed_batch
    top = fixed or _max_batch(req, sh, gpus, mode)
    if top < 1:
        return None
    physics = _ReplicaModel(req, sh, gpus, scenario, mode)
    if req.tpot_ms is None or fixed:
        return physics.at(top)
    # Largest b with tpot(b) <= target; tpot grows with b, so when the largest batch that fits
    # meets the target it is the answer, and otherwise a binary search below it finds the answer.
    if physics.tpot_s(top) * 1000.0 <= req.tpot_ms:
        return physics.at(top)
    lo, hi = 0, top - 1
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if physics.tpot_s(mid) * 1000.0 <= req.tpot_ms:
            lo = mid
        else:
            hi = mid - 1
    return physics.at(lo) if lo >= 1 else None


def _choose(req: InferenceRequest, sh: _Shape, candidates: list[tuple[int, str]], load_rps: float | None,
            peak: float, prune: bool = True) -> _Replica | None:
    """The replica to deploy, on the mid scenario.

    For each size, the parallelism (tensor or expert) is the one with more throughput at its own
    best batch, so it does not change with the batch the user fixes. Among sizes that meet the
    latency targets: with a load, the fewest GPUs in total (ties: more output per GPU); with a
    fixed batch and no load, the smallest replica that holds it; otherwise the smallest replica
    within 2 % of the best output per GPU. ``prune=False`` tries every size (the tests' reference).
    """
    viable = _viable(req, sh, candidates, load_rps, peak, prune)
    if not viable:
        return None
    per_gpu = {id(r): r.requests_per_s / r.gpus for r in viable}
    if load_rps is not None:
        # Fewest GPUs for the peak load; among equals, the most output per GPU (more headroom).
        return min(viable, key=lambda r: (math.ceil(load_rps * peak / r.requests_per_s) * r.gpus, -per_gpu[id(r)]))
    # Without a load: the smallest replica within 2 % of the best output per GPU.
    top = max(per_gpu.values())
    return min((r for r in viable if per_gpu[id(r)] >= top * (1.0 - d.REPLICA_SIZE_TOLERANCE)), key=lambda r: r.gpus)


def _choose_rows(viable: list[_Replica], load_rps: np.ndarray, peak: float) -> np.ndarray:
    """``_choose`` for many loads at once (a batch's rows): the position in ``viable`` of each
    row's replica, by the same key (fewest GPUs for the peak load, then the most output per GPU;
    the first of equals, as ``min`` takes)."""
    best = np.zeros(len(load_rps), dtype=np.int64)
    best_total = np.full(len(load_rps), np.inf)
    best_per_gpu = np.full(len(load_rps), -np.inf)
    for k, r in enumerate(viable):
        total = np.ceil(load_rps * peak / r.requests_per_s) * r.gpus
        per_gpu = r.requests_per_s / r.gpus
        better = (total < best_total) | ((total == best_total) & (per_gpu > best_per_gpu))
        best = np.where(better, k, best)
        best_total = np.where(better, total, best_total)
        best_per_gpu = np.where(better, per_gpu, best_per_gpu)
    return best


def _viable(req: InferenceRequest, sh: _Shape, candidates: list[tuple[int, str]], load_rps: Any,
            peak: float, prune: bool) -> list[_Replica]:
    """The replicas (one per size, its parallelism chosen) that meet the latency targets, in
    ascending size; with ``prune``, none above the fewest GPUs some replica serves the load on."""
    modes_by_size: dict[int, list[str]] = {}
    for t, mode in candidates:
        modes_by_size.setdefault(t, []).append(mode)
    viable: list[_Replica] = []
    # With a load, a size of t GPUs needs at least t GPUs in all (one replica), so once some replica
    # serves the load on `fewest` GPUs, no size above `fewest` can win: the sizes come in ascending
    # order, and the search stops there. Exact: what it skips has a strictly larger total than the
    # chosen one (ties on the total still go to the per-GPU output, as below).
    prune = prune and load_rps is not None and load_rps * peak > 0
    fewest = math.inf
    for t, modes in modes_by_size.items():
        if t > fewest:
            break
        mode = modes[0]
        free: dict[str, _Replica | None] = {}
        if len(modes) > 1:
            free = {m: _best_batch(req, sh, t, "mid", m, fixed_batch=None) for m in modes}
            passing = [m for m in modes if _meets_targets(req, free[m])] or modes
            mode = max(passing, key=lambda m: free[m].requests_per_s if free[m] else -1.0)  # type: ignore[union-attr]
        # Without a batch of the user's, the best batch is the free one just found.
        rep = free[mode] if mode in free and not req.batch_size else _best_batch(req, sh, t, "mid", mode)
        if rep is None or not _meets_targets(req, rep):
            continue
        viable.append(rep)
        if req.batch_size and load_rps is None:
            break  # sizes are ascending: the smallest replica that holds the batch
        if prune:
            fewest = min(fewest, math.ceil(load_rps * peak / rep.requests_per_s) * rep.gpus)
    return viable


def min_gpus_per_replica(model: Model, sh: _Shape, batch: int) -> int:
    """Fewest GPUs whose usable memory holds the weights and ``batch`` sequences' KV cache."""
    need = model.total_params * sh.weight_bytes_per_param + batch * sh.context_max * sh.kv_bytes_per_token
    return math.ceil(need / sh.usable_bytes_per_gpu)


def _fit_error(req: InferenceRequest, sh: _Shape) -> DoesNotFitError:
    model, hw = req.model, req.hardware
    weights_gb = model.total_params * sh.weight_bytes_per_param / d.GIGA
    per_gpu = sh.usable_bytes_per_gpu / d.GIGA
    min_gpus = min_gpus_per_replica(model, sh, req.batch_size or 1)
    hints = []
    if req.gpus_per_replica:
        hints.append(f"use at least {min_gpus} GPUs per replica")
    if sh.weight_bytes_per_param > 1 and req.hardware.fp8_dense_tflops:
        hints.append("serve in fp8")
    elif sh.weight_bytes_per_param > 0.5:
        hints.append("use int4 weights" + (" or fp4" if req.hardware.fp4_dense_tflops else ""))
    hints.append("shorten the context or the batch")
    given = f"{req.gpus_per_replica} x " if req.gpus_per_replica else "up to " + str(MAX_GPUS_PER_REPLICA) + " x "
    return DoesNotFitError(
        f"{model.name} in {req.precision} needs {weights_gb:,.0f} GB of weights plus "
        f"{sh.kv_bytes_per_token * sh.context_max * (req.batch_size or 1) / d.GIGA:,.1f} GB of KV cache "
        f"({req.batch_size or 1} x {sh.context_max:,} tokens); {given}{hw.name} hold {per_gpu:,.0f} GB usable each. "
        f"To fit: {'; '.join(hints)}.",
        field="gpus_per_replica" if req.gpus_per_replica else ("batch_size" if req.batch_size else "model"),
        min_gpus_per_replica=min_gpus,
    )


def _meets_targets(req: InferenceRequest, rep: _Replica | None) -> bool:
    if rep is None:
        return False
    if req.tpot_ms is not None and rep.tpot_s * 1000.0 > req.tpot_ms:
        return False
    return req.ttft_ms is None or rep.prefill_s * 1000.0 <= req.ttft_ms


def _sequences(batch: int) -> str:
    """'1 sequence takes', '4 sequences take': the count and its verb in the right number."""
    return "1 sequence takes" if batch == 1 else f"{batch:,} sequences take"


def _no_target_error(req: InferenceRequest, sh: _Shape, candidates: list[tuple[int, str]]) -> ConflictError:
    """Say which latency limit binds: the best first-token time any replica reaches, else the best
    time per output token at the smallest batch."""
    batch = req.batch_size or 1
    shared = _SHARED.get()
    tries = shared.get("tries") if shared is not None else None
    if tries is None:  # rows of one structure (``shared_replica_searches``) share these replicas
        tries = [_replica(req, sh, t, batch, "mid", mode) for t, mode in candidates]
        if shared is not None:
            shared["tries"] = tries
    fastest_first = min(tries, key=lambda r: r.prefill_s)
    if req.ttft_ms is not None and fastest_first.prefill_s * 1000.0 > req.ttft_ms:
        return ConflictError(
            f"No configuration meets ttft_ms={req.ttft_ms:g}: prefilling {sh.input_tokens:,} tokens takes at least "
            f"{fastest_first.prefill_s * 1000:,.0f} ms (on {fastest_first.gpus} x {req.hardware.name}). Raise the target, "
            "shorten the prompt, or use faster hardware.",
            field="ttft_ms", binding="ttft", best_ms=fastest_first.prefill_s * 1000.0)
    within_ttft = [r for r in tries if req.ttft_ms is None or r.prefill_s * 1000.0 <= req.ttft_ms]
    fastest = min(within_ttft, key=lambda r: r.tpot_s)
    target = f"tpot_ms={req.tpot_ms:g}" if req.tpot_ms is not None else "the targets"
    extra = f" within ttft_ms={req.ttft_ms:g}" if req.ttft_ms is not None else ""
    return ConflictError(
        f"No batch meets {target}{extra}: {_sequences(batch)} at least {fastest.tpot_s * 1000:,.1f} ms per output "
        f"token (on {fastest.gpus} x {req.hardware.name}). Raise the target, use a lower precision, more GPUs per "
        "replica or faster hardware.",
        field="tpot_ms" if req.tpot_ms is not None else "ttft_ms", binding="tpot", best_ms=fastest.tpot_s * 1000.0)


# --- The estimate ------------------------------------------------------------------------------
def estimate_inference(req: InferenceRequest, book: PriceBook, catalog: Catalog | None = None) -> InferenceEstimate:
    """The serving estimate (formulas in the module docstring)."""
    try:
        estimate = _estimate_inference(req, book, catalog)
    except (ZeroDivisionError, OverflowError) as exc:
        raise out_of_range(exc) from None
    _check_finite(estimate)
    return estimate


def _check_finite(estimate: InferenceEstimate) -> None:
    """An input far outside anything physical overflows: refused. (Rows of a batch estimate are
    checked by ``estimator.batch``, each row by itself.)"""
    bands = (estimate.cost_input, estimate.cost_output, estimate.own_input, estimate.own_output, estimate.power_it_kw,
             estimate.provisioned_it_kw, estimate.energy_mwh_per_day, estimate.joules_per_token, estimate.replicas)
    if rows(estimate.load_requests_per_s):
        return
    if not all(math.isfinite(b[s]) for b in bands for s in SCENARIOS):
        raise out_of_range(OverflowError("non-finite result"))


def estimate_inference_rows(req: InferenceRequest, book: PriceBook, catalog: Catalog | None = None
                            ) -> list[tuple[np.ndarray, InferenceEstimate]]:
    """The serving estimates of many rows at once (batch estimates): ``req`` holds numpy arrays,
    one value per row, in ``requests_per_s`` and any of the price, PUE and grid overrides, and is
    otherwise one request. The replicas that meet the targets are found once; each row's replica is
    chosen by ``_choose``'s rule (``_choose_rows``); the rows choosing the same replica run the rest
    of the single pipeline together. Returns (which rows, their estimate with arrays) per replica
    chosen. Raises as ``estimate_inference`` does for anything all rows share (no replica fits, none
    meets the targets); a row's own overflow is left to the caller (non-finite figures)."""
    validate(req)
    sh = _shape(req)
    load = _load(req, sh)
    load_rps: Any = load.requests_per_s
    if not rows(load_rps):
        raise InvalidInputError("estimate_inference_rows needs 'requests_per_s' as an array of rows.",
                                field="requests_per_s")
    candidates = _candidate_gpus(req, sh)
    if not candidates:
        raise _fit_error(req, sh)
    viable = _viable(req, sh, candidates, load_rps, load.peak_to_average, prune=False)
    if not viable:
        raise _no_target_error(req, sh, candidates)
    chosen = _choose_rows(viable, load_rps, load.peak_to_average)
    out = []
    for k in np.unique(chosen).tolist():
        where = chosen == k
        part = dataclasses.replace(req, **{f.name: getattr(req, f.name)[where] for f in dataclasses.fields(req)
                                           if rows(getattr(req, f.name))})
        try:
            out.append((where, _pipeline(part, book, catalog, sh, _load(part, sh), viable[k])))
        except (ZeroDivisionError, OverflowError) as exc:
            raise out_of_range(exc) from None
    return out


def _whole(value: Any) -> Any:
    """A count as an int, or rows of counts as an int64 array."""
    return value.astype(np.int64) if rows(value) else int(value)


def _estimate_inference(req: InferenceRequest, book: PriceBook, catalog: Catalog | None) -> InferenceEstimate:
    """The pipeline: request shape -> replica (chosen on the mid scenario) -> each scenario's batch
    -> fleet for the load -> prices -> power -> cost."""
    validate(req)
    sh = _shape(req)
    return _pipeline(req, book, catalog, sh, _load(req, sh))


def _pipeline(req: InferenceRequest, book: PriceBook, catalog: Catalog | None, sh: _Shape, load: _Load,
              best: _Replica | None = None) -> InferenceEstimate:
    """The pipeline from the load on (``best``: the mid replica, already chosen)."""
    model, hw = req.model, req.hardware
    replicas = _replicas(req, sh, load, best)
    fleet = _fleet(req, sh, load, replicas.by_scenario)
    prices = cost_mod.prices_for(book, hw, catalog, req)
    reps, t = replicas.by_scenario, replicas.gpus
    energy = power.serving_power(
        hw, t, fleet.replicas, fleet.utilisation,
        {s: power.ReplicaLoad(reps[s].requests_per_s, *reps[s].phase_seconds(sh.output_tokens), sh.output_tokens)
         for s in SCENARIOS},
        prices.pue, prices.grid_kg_co2_per_kwh)
    prefill_share = Band(*(reps[s].prefill_work_s / (reps[s].prefill_work_s + sh.output_tokens * reps[s].step_s / reps[s].batch)
                           for s in SCENARIOS))
    money = cost_mod.serving_cost(hw, Band(*(fleet.replicas[s] * t for s in SCENARIOS)), prefill_share, fleet.requests_per_s,
                                  sh.input_tokens, sh.output_tokens, energy.facility_kw_by_scenario, prices)
    return InferenceEstimate(
        model=model.id, hardware=hw.id, precision=req.precision, gpus_per_replica=t, replicas=fleet.replicas,
        gpu_count=fleet.gpu_count, node_count=fleet.node_count, per_replica=_per_replica(sh, reps["mid"]),
        memory_gb=_memory_gb(req, sh, reps["mid"]), min_gpus_per_replica=min_gpus_per_replica(model, sh, reps["mid"].batch),
        input_tokens=sh.input_tokens, output_tokens=sh.output_tokens, load_requests_per_s=load.requests_per_s,
        utilisation=fleet.utilisation.ascending(), throughput_output_tokens_per_s=fleet.output_tokens_per_s.ascending(),
        cost_input=money.rent_input, cost_output=money.rent_output, own_input=money.own_input, own_output=money.own_output,
        power_it_kw=energy.it_kw, power_facility_kw=energy.facility_kw, energy_mwh_per_day=energy.energy_mwh_per_day,
        provisioned_it_kw=energy.provisioned_it_kw, provisioned_facility_kw=energy.provisioned_facility_kw,
        co2_t_per_day=energy.co2_t_per_day, joules_per_token=energy.joules_per_token, api_price=book.api_price(model.id),
        pricing=prices.pricing_dict(),
        assumptions=_physics_assumptions(req, sh, load) + energy.assumptions + prices.assumptions,
        warnings=record_warnings(model, hw)
        + load.warnings + replicas.warnings + energy.warnings + prices.warnings,
    )


@dataclass(frozen=True)
class _Load:
    """The load to serve in requests/s (None: one replica at full throughput) and its peak factor."""

    requests_per_s: float | None
    peak_to_average: float
    warnings: tuple[str, ...]


def _load(req: InferenceRequest, sh: _Shape) -> _Load:
    warnings = []
    if req.input_tokens is None or req.output_tokens is None:
        warnings.append(f"Request shape not fully given: {sh.input_tokens} input and {sh.output_tokens} output tokens assumed.")
    load_rps: float | None = None
    if req.requests_per_s is not None:
        load_rps = req.requests_per_s
    elif req.tokens_per_day is not None:
        load_rps = req.tokens_per_day / (sh.input_tokens + sh.output_tokens) / d.SECONDS_PER_DAY
    if load_rps is not None and req.peak_to_average is None:
        warnings.append("No 'peak_to_average' given: capacity is sized for the average load (1.0).")
    return _Load(load_rps, req.peak_to_average or 1.0, tuple(warnings))


@dataclass(frozen=True)
class _Replicas:
    """The replica to deploy (size and parallelism chosen on the mid scenario) in each scenario."""

    gpus: int
    by_scenario: dict[str, _Replica]
    warnings: tuple[str, ...]


def _replicas(req: InferenceRequest, sh: _Shape, load: _Load, best: _Replica | None = None) -> _Replicas:
    if best is None:
        candidates = _candidate_gpus(req, sh)
        if not candidates:
            raise _fit_error(req, sh)
        best = _choose(req, sh, candidates, load.requests_per_s, load.peak_to_average)
        if best is None:
            raise _no_target_error(req, sh, candidates)
    warnings = list(_parallelism_warnings(req, sh, best))
    reps: dict[str, _Replica] = {"mid": best}
    for s in ("low", "high"):
        # Same replica size and parallelism; each scenario's own largest batch within the targets.
        rep = _best_batch(req, sh, best.gpus, s, best.mode)
        if rep is None or (req.tpot_ms is not None and rep.tpot_s * 1000.0 > req.tpot_ms):
            rep = _replica(req, sh, best.gpus, 1, s, best.mode)
            warnings.append(f"In the {s} estimate even one sequence per replica misses tpot_ms={req.tpot_ms:g} "
                            f"({rep.tpot_s * 1000:,.1f} ms).")
        if req.ttft_ms is not None and rep.prefill_s * 1000.0 > req.ttft_ms:
            warnings.append(f"In the {s} estimate the first token takes {rep.prefill_s * 1000:,.0f} ms, "
                            f"over ttft_ms={req.ttft_ms:g}.")
        reps[s] = rep
    return _Replicas(best.gpus, {s: reps[s] for s in SCENARIOS}, tuple(warnings))


def _parallelism_warnings(req: InferenceRequest, sh: _Shape, best: _Replica) -> list[str]:
    hw, t = req.hardware, best.gpus
    warnings = []
    if best.mode == "tp" and t > tensor_parallel_limit(hw):
        warnings.append(f"A replica spans {t} GPUs: tensor parallelism over {tensor_parallel_limit(hw)}, "
                        f"{t // tensor_parallel_limit(hw)} pipeline stages (hand-over between stages not modelled).")
    elif best.mode == "tp" and t > hw.nvlink_domain_gpus:
        warnings.append(f"Tensor parallelism over {t} GPUs crosses PCIe ({d.PCIE_GEN4_X16_GB_PER_S:g} GB/s each way): "
                        f"{hw.name} has no NVLink domain that large.")
    other = "ep" if best.mode == "tp" else "tp"
    if req.batch_size and req.model.is_moe and (other == "tp" or t > 1) and _max_batch(req, sh, t, other) < req.batch_size:
        alt = _best_batch(req, sh, t, "mid", other, fixed_batch=None)
        if alt is not None and alt.requests_per_s > best.requests_per_s:
            names = {"tp": "tensor", "ep": "expert"}
            warnings.append(f"{names[other].capitalize()} parallelism would serve more on {t} GPUs but cannot hold "
                            f"batch_size={req.batch_size}; {names[best.mode]} parallelism is used.")
    return warnings


@dataclass(frozen=True)
class _Fleet:
    """Replicas for the peak load, GPUs and nodes, utilisation and the traffic served."""

    replicas: Band
    gpu_count: int
    node_count: int
    utilisation: Band
    requests_per_s: Band
    output_tokens_per_s: Band


def _fleet(req: InferenceRequest, sh: _Shape, load: _Load, reps: dict[str, _Replica]) -> _Fleet:
    """replicas = ceil(peak requests/s / a replica's requests/s); without a load, one replica at full throughput."""
    t = reps["mid"].gpus
    served = load.requests_per_s
    if served is not None:
        replicas = Band(*(_whole(ceil(served * load.peak_to_average / reps[s].requests_per_s)) for s in SCENARIOS))
    else:
        replicas = Band.point(1)
    gpu_count = _whole(replicas.mid) * t
    nodes_per_replica = math.ceil(t / req.hardware.gpus_per_node)
    node_count = (_whole(replicas.mid) * nodes_per_replica if t >= req.hardware.gpus_per_node
                  else _whole(ceil(gpu_count / req.hardware.gpus_per_node)))
    utilisation = Band(*((served / (replicas[s] * reps[s].requests_per_s)) if served is not None else 1.0 for s in SCENARIOS))
    rps = Band(*((served if served is not None else reps[s].requests_per_s) for s in SCENARIOS))
    return _Fleet(replicas, gpu_count, node_count, utilisation, rps,
                  Band(*(rps[s] * sh.output_tokens for s in SCENARIOS)))


def _per_replica(sh: _Shape, mid: _Replica) -> dict[str, Any]:
    return {
        "batch_size": mid.batch,
        "context_tokens": sh.context_max,
        "prefill_tokens_per_s": significant(sh.input_tokens / mid.prefill_s),
        "decode_tokens_per_s": significant(mid.batch / mid.step_s),
        "ttft_ms": _sig_down(mid.prefill_s * 1000.0),
        "tpot_ms": _sig_down(mid.tpot_s * 1000.0),
        "tpot_ms_mean": significant(mid.tpot_mean_s * 1000.0),
        "decode_step_ms": significant(mid.step_s * 1000.0),
        "bound": "compute" if mid.step_compute_s >= mid.step_memory_s else "memory",
        "parallelism": "expert" if mid.mode == "ep" else "tensor",
        "requests_per_s": significant(mid.requests_per_s),
        "output_tokens_per_s": significant(mid.requests_per_s * sh.output_tokens),
    }


def _memory_gb(req: InferenceRequest, sh: _Shape, mid: _Replica) -> dict[str, float]:
    """Weights and KV cache as stored on the replica (under expert parallelism every GPU keeps its
    own copy of the shared weights; KV copies of tensor parallelism included)."""
    t, b = mid.gpus, mid.batch
    weights_gb = _resident_params_per_gpu(req.model, t, mid.mode) * t * sh.weight_bytes_per_param / d.GIGA
    kv_gb = b * _kv_bytes_per_sequence_per_gpu(req, sh, t, mid.mode, sh.context_max) * (
        1 if mid.mode == "ep" else t) / d.GIGA
    return {"weights": weights_gb, "kv_cache": kv_gb, "total": weights_gb + kv_gb,
            "available": t * sh.usable_bytes_per_gpu / d.GIGA, "kv_cache_per_token_mb": sh.kv_bytes_per_token / 1e6}


def _physics_assumptions(req: InferenceRequest, sh: _Shape, load: _Load) -> tuple[Assumption, ...]:
    hw = req.hardware
    return (
        Assumption("weight_bytes_per_param", sh.weight_bytes_per_param, "B", f"{req.precision} weights"),
        Assumption("kv_cache_bytes_per_token", sh.kv_bytes_per_token, "B",
                   "MLA: L x (kv_lora_rank + rope dim) x bytes" if req.model.attention == "mla" else "2 x L x KV heads x head dim x bytes"),
        Assumption("serving_memory_fraction", d.SERVING_MEMORY_FRACTION, "of HBM", d.SERVING_MEMORY_SOURCE),
        Assumption("peak_tflops", sh.peak_flops / d.TERA, "TFLOP/s", f"{hw.name} dense {d.SERVING_COMPUTE_PRECISION[req.precision]}: {hw.source}"),
        Assumption("gemm_roofline", _roofline_text(kernels.gemm(hw, d.SERVING_COMPUTE_PRECISION[req.precision])), "",
                   kernels.SOURCE),
        Assumption("moe_roofline", _roofline_text(kernels.moe(hw, d.SERVING_COMPUTE_PRECISION[req.precision])), "",
                   kernels.SOURCE + " (fit: scripts/fit_moe_kernels.py)"),
        Assumption("decode_step_overhead_s", d.DECODE_STEP_OVERHEAD_S, "s", d.SERVING_FIT_SOURCE),
        Assumption("serving_spread", d.SERVING_SPREAD["moe" if req.model.is_moe else "dense"], "x step and prefill time",
                   d.SPREAD_SOURCE),
        Assumption("tpot_target_percentile", "p99", "", "per-request mean TPOT (as MLPerf and vLLM report it); its p99 "
                   "counts the prompts prefilled during the request's decode as Poisson: (b + 2.326 sqrt(b)) / output "
                   "per step instead of b / output"),
        Assumption("input_tokens", sh.input_tokens, "tokens", "request" if req.input_tokens else "default"),
        Assumption("output_tokens", sh.output_tokens, "tokens", "request" if req.output_tokens else "default"),
        Assumption("peak_to_average", load.peak_to_average, "", "request" if req.peak_to_average else "default (average load)"),
    )


def _roofline_text(roof: kernels.Roofline) -> str:
    return (f"compute {roof.compute_eff:.3f} of peak, HBM {roof.hbm_fraction:.3f} of bandwidth, "
            f"{roof.overhead_s * 1e6:.1f} us per call")


def _sig_down(value: float) -> float:
    """6 significant digits, never above the value (a latency that meets its target must not be
    rounded past it)."""
    rounded = significant(value)
    if rounded <= value:
        return rounded
    exponent = math.floor(math.log10(abs(value))) - 5 if value else 0
    # One unit of the sixth figure down, rounded again so the float is the six-figure number
    # (49.9588 - 0.0001 is 49.95869999999999 in binary; its rounding, 49.9587, is still below).
    return significant(rounded - 10.0**exponent)
