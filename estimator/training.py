"""Training: FLOPs -> GPU-hours -> GPUs, nodes and wall-clock; memory fit; power, energy, cost.

Inputs: a ``TrainingRequest`` (model and hardware records, tokens, precision, a GPU count or a
deadline, optional overrides), a ``PriceBook`` and the ``Catalog`` (for price fallbacks).
Output: a ``TrainingEstimate`` whose ``to_dict()`` is the result contract of the API and CLI.

Formulas (sources in ``defaults.py``; every formula is plain arithmetic that also runs on numpy
arrays, so batch estimates reuse them):

- model FLOPs        F = (6 * N_active + A) * D, A = 6 * L * H * (d_qk + d_v) * T   (PaLM App. B)
- hardware FLOPs     recomputation adds one forward pass: x 4/3 (full: all; selective: attention)
- busy GPU-seconds   F_main / (peak_p * g_p) + F_attn / (peak_a * g_a) + F * o / HBM bandwidth
                     (matrix products at the measured sustained fraction g of the dense peak, the
                     rest as memory traffic o bytes/FLOP calibrated on the Llama 3 405B run;
                     fp8/fp4 runs keep attention in bf16, as DeepSeek-V3 did)
- GPU-hours          busy seconds / 3600 / goodput
- wall-clock days    GPU-hours / GPUs / 24; GPUs for a deadline = ceil(GPU-hours / (24 * days));
                     neither GPUs nor a deadline: a 90-day deadline (``defaults.DEFAULT_DEADLINE_DAYS``)
- memory             16 bytes/param of weights, gradients and Adam states sharded over the GPUs,
                     plus activations with full recomputation, split over tensor parallelism
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from . import cost as cost_mod
from . import defaults as d
from . import figures, kernels, power, training_time
from .bands import SCENARIOS, Assumption, Band, significant
from .catalog import BYTES_PER_VALUE, PRECISIONS, Catalog, Hardware, Model
from .checks import check_positive, check_pue, record_warnings, show
from .cost import PriceBook
from .errors import ConflictError, DoesNotFitError, InvalidInputError, out_of_range
from .memo import kept
from .training_time import LOW_PRECISIONS, RECOMPUTE_FACTORS

RECOMPUTE_MODES = ("none", "selective", "full")


# --- Formulas (scalar or numpy) ----------------------------------------------------------------
def attention_forward_flops_per_token(layers: Any, heads: Any, qk_head_dim: Any, v_head_dim: Any, context_tokens: Any) -> Any:
    """Forward attention FLOPs of one token attending to ``context_tokens``: scores (2*H*d_qk per
    key) and the weighted sum of values (2*H*d_v per key), in every layer."""
    return 2.0 * layers * heads * (qk_head_dim + v_head_dim) * context_tokens


def attention_flops_per_token(layers: Any, heads: Any, qk_head_dim: Any, v_head_dim: Any, sequence_tokens: Any) -> Any:
    """Training (forward + backward = 3 x forward) over the full sequence, unmasked: PaLM Appendix
    B's 12*L*H*Q*T, written 6*L*H*(d_qk + d_v)*T (equal when d_qk = d_v = Q)."""
    return 3.0 * attention_forward_flops_per_token(layers, heads, qk_head_dim, v_head_dim, sequence_tokens)


def dense_flops(active_params: Any, tokens: Any) -> Any:
    """6 * N * D: forward (2N) and backward (4N) per token (Kaplan et al. 2020)."""
    return 6.0 * active_params * tokens


def gpu_hours_from_busy(busy_s: Any, goodput: Any) -> Any:
    return busy_s / d.SECONDS_PER_HOUR / goodput


def wall_clock_days(gpu_hours: Any, gpus: Any) -> Any:
    return gpu_hours / gpus / d.HOURS_PER_DAY


def ceil(x: Any) -> Any:
    """Ceiling that works on floats and numpy arrays alike."""
    return -(-x // 1)


def gpus_for_deadline(gpu_hours: Any, deadline_days: Any) -> Any:
    return ceil(gpu_hours / (deadline_days * d.HOURS_PER_DAY))


def few_sequences(tokens: Any, sequence_tokens: Any, gpus: Any) -> Any:
    """Fewer sequences than GPUs: a step cannot keep every GPU busy (the wall-clock is a lower bound)."""
    return tokens / sequence_tokens < gpus


def rows(value: Any) -> bool:
    """Whether ``value`` holds one value per row (a batch estimate runs the pipeline once over a
    numpy array of token counts; ``estimator.batch`` checks those rows' tokens and overflows itself)."""
    return isinstance(value, np.ndarray)


# --- Request and result ------------------------------------------------------------------------
@dataclass(frozen=True)
class TrainingRequest:
    model: Model
    hardware: Hardware
    tokens: float
    precision: str = "bf16"
    gpus: int | None = None
    deadline_days: float | None = None
    sequence_tokens: int | None = None
    recompute: str = "none"
    utilisation: float | None = None
    goodput: float | None = None
    pue: float | None = None
    grid_kg_co2_per_kwh: float | None = None
    usd_per_gpu_hour: float | None = None
    capex_usd_per_gpu: float | None = None
    usd_per_kwh: float | None = None
    #: The energy rows to read (cost.electricity_market): None, the default market.
    electricity_market: str | None = None
    tokens_source: str = "request"
    #: Parallel layout and global batch, when known (otherwise training_time.default_layout chooses).
    tensor_parallel: int | None = None
    pipeline_parallel: int | None = None
    context_parallel: int | None = None
    expert_parallel: int | None = None
    global_batch_tokens: float | None = None
    #: Pipeline schedule (training_time.SCHEDULES): "1f1b" unless given; "dualpipe" overlaps the
    #: expert-parallel all-to-all with a paired micro-batch's computation (DeepSeek-V3).
    pipeline_schedule: str | None = None


@dataclass(frozen=True)
class TrainingEstimate:
    model: str
    hardware: str
    precision: str
    tokens: float
    flops: Band
    flops_dense: float
    flops_attention: float
    gpu_hours: Band
    wall_clock_days: Band
    gpu_count: int
    node_count: int
    power_it_kw: Band
    power_facility_kw: Band
    energy_mwh: Band
    co2_t: Band
    rent_usd: Band
    own_usd: Band
    utilisation: Band
    memory: dict[str, float]
    gpu_count_for_deadline: Band | None
    assumptions: tuple[Assumption, ...]
    warnings: tuple[str, ...] = field(default=())
    #: Steady-state throughput (no failures or restarts), to compare with a profiler or a benchmark.
    tokens_per_s_per_gpu: Band | None = None
    mfu_steady: Band | None = None
    layout: dict[str, float] = field(default_factory=dict)
    step_breakdown: dict[str, float] = field(default_factory=dict)
    #: The pricing table and version behind the costs, and every price point used (source, date).
    pricing: dict[str, Any] = field(default_factory=dict)

    def to_dict(self, *, assumptions: bool = True) -> dict[str, Any]:
        """The result contract: every value at its path declared in ``figures.Training``, rounded
        to the figure's declared significant digits. ``assumptions=False``: the assumptions list
        left empty (a batch estimate's result columns do not read it)."""
        t = figures.Training
        entries: list[tuple[Any, Any]] = [
            (t.WORKLOAD, "training"), (t.MODEL, self.model), (t.HARDWARE, self.hardware), (t.PRECISION, self.precision),
            (t.TOKENS, self.tokens if rows(self.tokens) else float(self.tokens)), (t.FLOPS, _band(t.FLOPS, self.flops)),
            _single(t.FLOPS_DENSE, self.flops_dense), _single(t.FLOPS_ATTENTION, self.flops_attention),
            (t.GPU_HOURS, _band(t.GPU_HOURS, self.gpu_hours)), (t.WALL_CLOCK_DAYS, _band(t.WALL_CLOCK_DAYS, self.wall_clock_days)),
            (t.GPU_COUNT, self.gpu_count), (t.NODE_COUNT, self.node_count),
            (t.POWER_IT, _band(t.POWER_IT, self.power_it_kw)), (t.POWER_FACILITY, _band(t.POWER_FACILITY, self.power_facility_kw)),
            (t.ENERGY, _band(t.ENERGY, self.energy_mwh)), (t.CO2, _band(t.CO2, self.co2_t)),
            (t.RENT, _band(t.RENT, self.rent_usd)), (t.OWN, _band(t.OWN, self.own_usd)),
            (t.UTILISATION, _band(t.UTILISATION, self.utilisation)),
        ]
        entries += [_single(figures.find(figures.TRAINING, f"memory.{k}"), v) for k, v in self.memory.items()]
        entries += [(t.ASSUMPTIONS, [a.to_dict() for a in self.assumptions] if assumptions else []), (t.WARNINGS, list(self.warnings)),
                    (t.PRICING, self.pricing)]
        if self.gpu_count_for_deadline is not None:
            entries.append((t.GPUS_FOR_DEADLINE, {s: int(self.gpu_count_for_deadline[s]) for s in SCENARIOS}))
        if self.tokens_per_s_per_gpu is not None and self.mfu_steady is not None:
            entries += [(t.TOKENS_PER_S_PER_GPU, _band(t.TOKENS_PER_S_PER_GPU, self.tokens_per_s_per_gpu)),
                        (t.MFU_STEADY, _band(t.MFU_STEADY, self.mfu_steady))]
            entries += [_single(figures.find(figures.TRAINING, f"steady_state.layout.{k}"), v)
                        for k, v in self.layout.items()]
            entries += [_single(figures.find(figures.TRAINING, f"steady_state.step_share.{k}"), v)
                        for k, v in self.step_breakdown.items()]
        return figures.assemble(entries)


def _band(figure: figures.Figure, band: Band) -> dict[str, float]:
    return band.to_dict(figure.digits or 6)


def _single(figure: Any, value: Any) -> tuple[Any, Any]:
    """A figure's single value for ``figures.assemble``, which rounds a float to the figure's declared
    digits itself (issue 14: rounding it here too cost ~10 us an estimate); an int (a layout's
    degree, written 8.0) or an array of rows is rounded here, to the same digits."""
    return figure, value if value.__class__ is float else significant(value, figure.digits or 6)


# --- Validation --------------------------------------------------------------------------------
def validate(req: TrainingRequest) -> None:
    """Raise ``InvalidInputError`` / ``UnsupportedPrecisionError`` for unusable input."""
    if not rows(req.tokens):
        check_positive(req.tokens, "tokens")
    for name in ("deadline_days", "grid_kg_co2_per_kwh", "usd_per_gpu_hour", "capex_usd_per_gpu", "usd_per_kwh"):
        _each_end(check_positive, getattr(req, name), name)
    for name in ("gpus", "sequence_tokens", "tensor_parallel", "pipeline_parallel", "context_parallel", "expert_parallel"):
        check_positive(getattr(req, name), name, integer=True)
    check_positive(req.global_batch_tokens, "global_batch_tokens")
    for name in ("utilisation", "goodput"):
        _each_end(check_positive, getattr(req, name), name, upper=1.0)
    _each_end(check_pue, req.pue)
    if req.gpus is not None and req.deadline_days is not None:
        raise InvalidInputError(
            "Give either 'gpus' (to get the wall-clock time) or 'deadline_days' (to get the GPUs needed), not both.",
            field="gpus",
        )
    if req.recompute not in RECOMPUTE_MODES:
        raise InvalidInputError(
            f"'recompute' must be one of {', '.join(RECOMPUTE_MODES)}, got {req.recompute!r}.", field="recompute"
        )
    if req.pipeline_schedule is not None and req.pipeline_schedule not in training_time.SCHEDULES:
        raise InvalidInputError(f"'pipeline_schedule' must be one of {', '.join(training_time.SCHEDULES)}, "
                                f"got {req.pipeline_schedule!r}.", field="pipeline_schedule")
    if req.pipeline_schedule is not None and req.utilisation is not None:
        raise InvalidInputError("Give either 'utilisation' (an assumed MFU) or a 'pipeline_schedule', not both: the "
                                "schedule sets the step time that 'utilisation' replaces.", field="pipeline_schedule")
    stages = req.pipeline_parallel or 1
    if req.pipeline_schedule == "dualpipe" and stages > 1 and stages % 2:
        raise ConflictError(f"DualPipe runs micro-batches from both ends of the pipeline, so it needs an even "
                            f"'pipeline_parallel' (2, 4, 8, 16 ...), got {req.pipeline_parallel}: use 1f1b or an "
                            "even degree.", field="pipeline_parallel")
    if req.precision not in PRECISIONS:
        raise InvalidInputError(
            f"'precision' must be one of {', '.join(PRECISIONS)}, got {req.precision!r}.", field="precision"
        )
    req.hardware.peak_tflops(req.precision)  # raises UnsupportedPrecisionError


def _each_end(check: Any, value: Any, *args: Any, **kwargs: Any) -> None:
    """``check`` of a value, or of an array of rows' values (a batch estimate) at its two ends:
    these checks are ranges (finite, above 0, at most / at least a bound), so the smallest and the
    largest pass only if every value does (a NaN fails both)."""
    if rows(value):
        for end in (float(np.min(value)), float(np.max(value))):
            check(end, *args, **kwargs)
    else:
        check(value, *args, **kwargs)


# --- Memory ------------------------------------------------------------------------------------
def activation_bytes_per_sequence(model: Model, sequence_tokens: int, recompute: str) -> float:
    """Activation memory of one sequence (micro-batch of 1) over all layers, before sharding.

    Korthikanti et al. 2022 (arXiv:2205.05198) eq. 1 with flash attention (no 5*a*s/h term):
    34*s*h bytes per layer kept for the backward pass; full recomputation keeps only each layer's
    input (2*s*h) plus one layer's working set (34*s*h); selective recomputation of attention
    saves nothing more once flash attention already avoids storing the score matrix."""
    s_h = sequence_tokens * (model.hidden_size or 0)
    layers = model.layers or 0
    if recompute == "full":
        return s_h * (layers * d.ACTIVATION_CHECKPOINT_BYTES_PER_TOKEN_HIDDEN + d.ACTIVATION_WORKING_BYTES_PER_TOKEN_HIDDEN)
    return s_h * layers * d.ACTIVATION_WORKING_BYTES_PER_TOKEN_HIDDEN


def _activation_split(hw: Hardware, gpus: int) -> int:
    """GPUs one sequence's activations spread over: tensor/sequence parallelism inside the NVLink
    domain (at most 8), times context parallelism across groups (at most 64-way; Llama 3 §3.3.2
    trained 131K-token sequences with 16-way context parallelism)."""
    tp = min(gpus, hw.nvlink_domain_gpus, d.MAX_TENSOR_PARALLEL)
    return tp * min(max(1, gpus // tp), d.MAX_CONTEXT_PARALLEL)


def minimum_gpus(model: Model, hw: Hardware, precision: str, sequence_tokens: int,
                 recompute: str = "none") -> tuple[int, dict[str, float], list[str]]:
    """Fewest GPUs whose memory holds the sharded training state plus each GPU's share of one
    sequence's activations (fits(g): state/g + activations/split(g) <= usable, monotone in g)."""
    warnings: list[str] = []
    state_bytes = d.TRAINING_STATE_BYTES_PER_PARAM.get(precision, d.TRAINING_STATE_BYTES_DEFAULT) * model.total_params
    usable_bytes = hw.hbm_gb * d.HBM_BYTES_PER_GB * d.USABLE_HBM_FRACTION
    if model.layers and model.hidden_size:
        act_bytes = activation_bytes_per_sequence(model, sequence_tokens, recompute)
    else:
        act_bytes = 0.0
        warnings.append(f"{model.name} has no layer count or hidden size: activation memory left out of the fit check.")

    def per_gpu(g: int) -> float:
        return state_bytes / g + act_bytes / _activation_split(hw, g)

    most = 1 << 24
    if per_gpu(most) > usable_bytes:
        split = _activation_split(hw, most)
        hint = " or recompute='full'" if recompute != "full" else ""
        raise DoesNotFitError(
            f"One {sequence_tokens:,}-token sequence of {model.name} needs {act_bytes / d.GIGA:,.0f} GB of activations; "
            f"spread over {split} GPUs (tensor x context parallel) that is {act_bytes / split / d.GIGA:,.0f} GB per GPU, "
            f"and each {hw.name} has {usable_bytes / d.GIGA:,.0f} GB usable. Use a shorter 'sequence_tokens'{hint}, "
            "or a GPU with more memory.",
            field="sequence_tokens",
            activation_gb_per_gpu=act_bytes / split / d.GIGA,
            usable_gb_per_gpu=usable_bytes / d.GIGA,
        )
    lo, hi = 1, most
    while lo < hi:
        mid = (lo + hi) // 2
        if per_gpu(mid) <= usable_bytes:
            hi = mid
        else:
            lo = mid + 1
    memory = {
        "state_gb": state_bytes / d.GIGA,
        "activation_gb_per_sequence": act_bytes / d.GIGA,
        "activation_gb_per_gpu": act_bytes / _activation_split(hw, lo) / d.GIGA,
        "usable_gb_per_gpu": usable_bytes / d.GIGA,
        "min_gpus": float(lo),
    }
    return lo, memory, warnings


#: The records' own warnings (a tuple), by model and GPU.
_kept_record_warnings = kept(1024)(record_warnings)

#: ``minimum_gpus`` by configuration (it does not depend on the token count; issue 14): the answers
#: are shared, so the caller copies the dict and the list it changes.
_kept_minimum_gpus = kept(1024)(minimum_gpus)


@kept(64)
def _memory_assumptions(precision: str) -> tuple[Assumption, ...]:
    """The memory fit's assumptions, the same objects for every run in ``precision`` (issue 14)."""
    return (
        Assumption("training_state_bytes_per_param", d.TRAINING_STATE_BYTES_PER_PARAM.get(precision, d.TRAINING_STATE_BYTES_DEFAULT),
                   "B/param", d.TRAINING_STATE_SOURCE),
        Assumption("usable_hbm_fraction", d.USABLE_HBM_FRACTION, "", "engineering assumption (defaults.py)"),
    )


def _fit_error(model: Model, hw: Hardware, gpus: int, min_gpus: int, memory: dict[str, float]) -> DoesNotFitError:
    nodes = math.ceil(min_gpus / hw.gpus_per_node)
    return DoesNotFitError(
        f"{model.name} needs {memory['state_gb']:,.0f} GB for weights, gradients and optimizer states "
        f"plus {memory['activation_gb_per_sequence']:,.1f} GB of activations per sequence; {gpus} x {hw.name} hold "
        f"{gpus * memory['usable_gb_per_gpu']:,.0f} GB usable. Use at least {min_gpus} GPUs ({nodes} nodes of "
        f"{hw.gpus_per_node}), or a GPU with more memory.",
        field="gpus",
        min_gpus=min_gpus,
        given_gpus=gpus,
    )


# --- The estimate ------------------------------------------------------------------------------
def estimate_training(req: TrainingRequest, book: PriceBook, catalog: Catalog | None = None) -> TrainingEstimate:
    """The training estimate (formulas in the module docstring)."""
    try:
        return _estimate_training(req, book, catalog)
    except (ZeroDivisionError, OverflowError) as exc:
        raise out_of_range(exc) from None


def _estimate_training(req: TrainingRequest, book: PriceBook, catalog: Catalog | None) -> TrainingEstimate:
    """The pipeline: FLOPs -> time on the GPUs -> memory and GPU count -> prices -> power -> cost."""
    validate(req)
    model, hw = req.model, req.hardware
    work = _flops(req)
    fleet, time = _fleet_and_time(req, work)
    prices = cost_mod.prices_for(book, hw, catalog, req)
    energy = power.training_power(hw, time.gemm_s, time.other_s, time.gpu_hours, fleet.gpu_count,
                                  prices.pue, prices.grid_kg_co2_per_kwh)
    money = cost_mod.training_cost(hw, time.gpu_hours, energy.energy_mwh, prices)
    _check_finite(req, time.gpu_hours, energy.energy_mwh, money)
    return TrainingEstimate(
        model=model.id, hardware=hw.id, precision=req.precision, tokens=req.tokens,
        flops=Band.point(work.model_flops), flops_dense=work.main_flops, flops_attention=work.attention_flops,
        gpu_hours=time.gpu_hours, wall_clock_days=fleet.days, gpu_count=fleet.gpu_count, node_count=fleet.node_count,
        power_it_kw=energy.it_kw, power_facility_kw=energy.facility_kw, energy_mwh=energy.energy_mwh, co2_t=energy.co2_t,
        rent_usd=money.rent_usd, own_usd=money.own_usd, utilisation=time.utilisation, memory=fleet.memory,
        gpu_count_for_deadline=fleet.deadline_gpus, tokens_per_s_per_gpu=time.tokens_per_s_per_gpu,
        mfu_steady=time.mfu_steady, layout=time.layout, step_breakdown=time.step_breakdown,
        assumptions=work.assumptions + time.assumptions + fleet.assumptions + prices.assumptions + energy.assumptions
        + money.assumptions,
        warnings=_kept_record_warnings(model, hw)
        + work.warnings + time.warnings + fleet.warnings + energy.warnings + prices.warnings,
        pricing=prices.pricing_dict(),
    )


@dataclass(frozen=True)
class _Work:
    """The run's FLOPs: model FLOPs (what MFU counts) and hardware FLOPs (with recomputation)."""

    sequence_tokens: int
    main_flops: float
    attention_flops: float
    hardware_main_flops: float
    hardware_attention_flops: float
    assumptions: tuple[Assumption, ...]
    warnings: tuple[str, ...]

    @property
    def model_flops(self) -> float:
        return self.main_flops + self.attention_flops


def _flops(req: TrainingRequest) -> _Work:
    """F = (6 N_active + A) D with A the attention FLOPs per token (PaLM App. B); x 4/3 on what is recomputed."""
    model = req.model
    warnings = []
    seq = req.sequence_tokens or model.training_sequence_tokens or d.DEFAULT_SEQUENCE_TOKENS
    if req.sequence_tokens is None and model.training_sequence_tokens is None and model.has_attention_shape:
        warnings.append(f"No pre-training sequence length recorded for {model.name}: {seq} tokens assumed.")
    if model.has_attention_shape:
        attn_per_token = attention_flops_per_token(
            model.layers, model.attention_heads, model.qk_head_dim, model.value_head_dim, seq
        )
    else:
        attn_per_token = 0.0
        warnings.append(f"No attention shape for {model.name}: FLOPs are 6·N·D only (attention left out).")
    main_flops = dense_flops(model.active_params, req.tokens)
    attn_flops = attn_per_token * req.tokens
    rc_main, rc_attn = RECOMPUTE_FACTORS[req.recompute]
    if req.tokens_source != "request":
        warnings.append(f"No 'tokens' given: used {model.name}'s published {req.tokens:.3g} pre-training tokens.")
    assumptions = (Assumption("tokens", req.tokens, "tokens", req.tokens_source),
                   *_work_assumptions(model, attn_per_token, seq, bool(req.sequence_tokens), req.recompute))
    return _Work(seq, main_flops, attn_flops, main_flops * rc_main, attn_flops * rc_attn, assumptions, tuple(warnings))


@kept(1024)
def _work_assumptions(model: Model, attn_per_token: float, seq: int, seq_given: bool,
                      recompute: str) -> tuple[Assumption, ...]:
    """``_flops``' assumptions but the tokens, kept by what they say (the same objects request after
    request, whose dicts ``Assumption.to_dict`` keeps beside them; issue 14)."""
    return (
        Assumption("flops_per_token", 6 * model.active_params + attn_per_token, "FLOP/token",
                   f"6·N_active ({model.active_params:.4g}) + attention; {d.ATTENTION_SOURCE}"),
        Assumption("sequence_tokens", seq, "tokens", "request" if seq_given else
                   (model.source if model.training_sequence_tokens else "default (defaults.DEFAULT_SEQUENCE_TOKENS)")),
        Assumption("recompute", recompute, "", "request; recomputation adds one forward pass (x4/3) to recomputed FLOPs"),
    )


@dataclass(frozen=True)
class _Time:
    """GPU time of the run: busy GPU-seconds in the compute-bound phase (matrix products,
    attention) and in the rest (summed over GPUs), reserved GPU-hours (with goodput), steady-state
    tokens/s per GPU and MFU, and the model FLOPs utilisation over the whole reservation."""

    gemm_s: Band
    other_s: Band
    gpu_hours: Band
    utilisation: Band
    tokens_per_s_per_gpu: Band | None
    mfu_steady: Band | None
    layout: dict[str, float]
    step_breakdown: dict[str, float]
    assumptions: tuple[Assumption, ...]
    warnings: tuple[str, ...]


@dataclass(frozen=True)
class _Rate:
    """What a run's time takes from its configuration alone, not from its token count: the peak
    (FLOP/s), goodput, the compute-bound share of busy time, and either the peak times the request's
    utilisation or the step with its steady-state spread, layout and step shares; and the
    assumptions behind them."""

    peak: float
    goodput: Band
    compute_share: Any
    utilised_peak: Any
    step: training_time.StepTime | None
    spread: Band | None
    layout: dict[str, float]
    shares: dict[str, float]
    assumptions: tuple[Assumption, ...]


@kept(1024)
def _rate(model: Model, hw: Hardware, gpus: int, precision: str, seq: int, recompute: str, tp: int | None,
          pp: int | None, cp: int | None, ep: int | None, global_batch_tokens: float | None, utilisation: Any,
          goodput_given: Any, default_goodput: Band, default_spread: Band, elementwise_factor: float,
          ep_overlap: float, schedule: str | None = None) -> _Rate:
    """``_time``'s part that depends on the configuration only, kept by it (``memo.kept``; issue 14:
    request after request on the same model, GPU and count, only the tokens change). The defaults
    ``calibrate.patched`` sets while fitting are arguments, so that they are part of the key."""
    peak = hw.peak_tflops(precision) * d.TERA
    goodput = Band.point(goodput_given) if cost_mod.given(goodput_given) else default_goodput
    gemm_eff = kernels.gemm(hw, precision).compute_eff * d.SUSTAINED_GEMM_DERATE
    assumptions = [
        Assumption("peak_tflops", hw.peak_tflops(precision), "TFLOP/s", f"{hw.name} dense {precision}: {hw.source}"),
        Assumption("gemm_compute_efficiency", gemm_eff, "of peak",
                   f"{kernels.SOURCE}; x {d.SUSTAINED_GEMM_DERATE:.3f} sustained/burst (H200, calibration.md)"),
    ]
    utilised_peak: Any = None
    step: training_time.StepTime | None = None
    spread: Band | None = None
    layout: dict[str, float] = {}
    shares: dict[str, float] = {}
    if utilisation is not None and cost_mod.given(utilisation):
        utilised_peak = peak * utilisation
        share = utilisation / gemm_eff
        compute_share = np.minimum(1.0, share) if rows(share) else min(1.0, share)
        assumptions.append(Assumption("utilisation_override", utilisation, "of peak", "request"))
    else:
        plan, step = training_time.planned_step(model, hw, gpus, precision, seq, recompute, tp, pp, cp, ep,
                                                global_batch_tokens, elementwise_factor, ep_overlap, schedule)
        spread = default_spread
        compute_share = step.compute_s / step.step_s
        layout, shares = plan.to_dict(), step.breakdown()
        assumptions += [
            # Whole numbers grouped (global_batch_tokens=67,108,864, not 6.71089e+07).
            Assumption("parallel_layout", ", ".join(f"{k}={v:,.0f}" if float(v).is_integer() else f"{k}={v:g}"
                                                    for k, v in layout.items()), "",
                       "request" if {"tp", "pp", "cp", "ep", "global_batch_tokens"} <= set(plan.given) else
                       "training_time.default_layout (smallest model-parallel size that fits; "
                       + (f"given: {', '.join(plan.given)})" if plan.given else "nothing given)")),
            Assumption("elementwise_factor", elementwise_factor, "x counted bytes", d.FIT_SOURCE),
            *((Assumption("pipeline_schedule", "dualpipe", "",
                          "request; all-to-all hidden up to the paired micro-batch's computation, "
                          f"{d.DUALPIPE_COMM_SM_FRACTION:.3f} of the SMs kept for it (DeepSeek-V3, arXiv:2412.19437 §3.2)"),)
              if plan.schedule == "dualpipe" else
              (Assumption("expert_parallel_overlap", ep_overlap, "of all-to-all hidden", d.FIT_SOURCE),)),
            Assumption("steady_state_spread", spread, "x busy time", d.SPREAD_SOURCE),
        ]
    if precision in LOW_PRECISIONS:
        assumptions.append(Assumption("attention_precision", "bf16", "",
                                      "DeepSeek-V3 report §3.3: attention kept in BF16 under FP8 training"))
    assumptions.append(Assumption("goodput", goodput, "of reserved time",
                                  "request" if cost_mod.given(goodput_given) else d.GOODPUT_SOURCE))
    return _Rate(peak, goodput, compute_share, utilised_peak, step, spread, layout, shares, tuple(assumptions))


def _time(req: TrainingRequest, work: _Work, gpus: int) -> _Time:
    """Busy GPU-seconds from the step model (``training_time.step_time``), or from the request's
    utilisation; reserved GPU-hours = busy / 3,600 / goodput."""
    rate = _rate(req.model, req.hardware, gpus, req.precision, work.sequence_tokens, req.recompute,
                 req.tensor_parallel, req.pipeline_parallel, req.context_parallel, req.expert_parallel,
                 req.global_batch_tokens, req.utilisation, req.goodput, d.GOODPUT,
                 d.STEADY_SPREAD["moe" if req.model.is_moe else "dense"], d.ELEMENTWISE_FACTOR, d.EP_OVERLAP,
                 req.pipeline_schedule)
    peak, goodput, compute_share = rate.peak, rate.goodput, rate.compute_share
    tps: Band | None = None
    mfu: Band | None = None
    if rate.step is not None and rate.spread is not None:
        busy_mid = req.tokens / rate.step.tokens_per_s_per_gpu
        spread = rate.spread
        busy = Band(*(busy_mid * spread[s] for s in SCENARIOS))
        tps = Band(*(req.tokens / busy[s] for s in SCENARIOS)).ascending()
        mfu = Band(*(work.model_flops / (busy[s] * peak) for s in SCENARIOS)).ascending()
    else:  # the request's utilisation
        busy = Band.point((work.hardware_main_flops + work.hardware_attention_flops) / rate.utilised_peak)
    gpu_hours = Band(*(gpu_hours_from_busy(busy[s], goodput[s]) for s in SCENARIOS))
    utilisation = Band(*(work.model_flops / (gpu_hours[s] * d.SECONDS_PER_HOUR * peak) for s in SCENARIOS))
    return _Time(Band(*(busy[s] * compute_share for s in SCENARIOS)), Band(*(busy[s] * (1 - compute_share) for s in SCENARIOS)),
                 gpu_hours, utilisation.ascending(), tps, mfu, dict(rate.layout), dict(rate.shares), rate.assumptions,
                 ())


@dataclass(frozen=True)
class _Fleet:
    """GPUs, nodes and wall-clock days of the run, and the memory fit behind the GPU count."""

    gpu_count: int
    node_count: int
    days: Band
    deadline_gpus: Band | None
    memory: dict[str, float]
    assumptions: tuple[Assumption, ...]
    warnings: tuple[str, ...]


def _fleet_and_time(req: TrainingRequest, work: _Work) -> tuple[_Fleet, _Time]:
    """The request's GPUs, or the GPUs a deadline needs (``defaults.DEFAULT_DEADLINE_DAYS`` when
    neither is given), never fewer than fit in memory; and the run's time on them (the step time depends on the GPU count, so a deadline is met by
    sizing on the fewest nodes first and re-timing once on the count that gives)."""
    model, hw = req.model, req.hardware
    seq = work.sequence_tokens
    min_gpus, kept_memory, kept_warnings = _kept_minimum_gpus(model, hw, req.precision, seq, req.recompute)
    memory, warnings = dict(kept_memory), list(kept_warnings)  # the kept ones are shared
    assumptions = _memory_assumptions(req.precision)
    fewest_nodes = math.ceil(min_gpus / hw.gpus_per_node) * hw.gpus_per_node
    deadline_gpus: Band | None = None
    if req.gpus is not None:
        if req.gpus < min_gpus:
            raise _fit_error(model, hw, req.gpus, min_gpus, memory)
        gpu_count = int(req.gpus)
        time = _time(req, work, gpu_count)
    else:
        deadline = req.deadline_days if req.deadline_days is not None else d.DEFAULT_DEADLINE_DAYS
        if req.deadline_days is None:
            # Neither a GPU count nor a deadline: a sourced default deadline, said first among the
            # fleet's warnings and listed as an assumption (the fewest nodes that fit gave decades).
            warnings.insert(0, f"Neither 'gpus' nor 'deadline_days' given: the fleet is sized to finish in "
                            f"{deadline:g} days, the default deadline (published pre-training runs took 21-118 days). "
                            "Give a GPU count or a deadline for your own.")
            assumptions += (Assumption("deadline_days", deadline, "days", d.DEFAULT_DEADLINE_SOURCE),)
        first = _time(req, work, fewest_nodes)
        time = _time(req, work, max(min_gpus, int(gpus_for_deadline(first.gpu_hours.mid, deadline))))
        deadline_gpus = Band(*(int(gpus_for_deadline(time.gpu_hours[s], deadline)) for s in SCENARIOS))
        gpu_count = max(int(deadline_gpus.mid), min_gpus)
        if gpu_count > deadline_gpus.mid:
            warnings.append(f"The deadline needs only {deadline_gpus.mid} GPUs, but memory needs {min_gpus}.")
        if deadline_gpus.high > gpu_count:
            warnings.append(
                f"With {gpu_count} GPUs the high estimate misses the {deadline:g}-day deadline; "
                f"{deadline_gpus.high} GPUs meet it even then."
            )
    if not rows(req.tokens) and few_sequences(req.tokens, seq, gpu_count):
        sequences = req.tokens / seq
        warnings.append(
            f"{gpu_count:,} GPUs but only {sequences:,.0f} sequences of {seq:,} tokens: a step cannot keep every GPU busy, "
            "so the wall-clock time is a lower bound."
        )
    days = Band(*(wall_clock_days(time.gpu_hours[s], gpu_count) for s in SCENARIOS))
    fleet = _Fleet(gpu_count, math.ceil(gpu_count / hw.gpus_per_node), days, deadline_gpus, memory, assumptions,
                   tuple(warnings))
    return fleet, time


def _check_finite(req: TrainingRequest, gpu_hours: Band, energy_mwh: Band, money: cost_mod.TrainingCost) -> None:
    if rows(req.tokens):
        return
    for name, band in (("GPU-hours", gpu_hours), ("energy", energy_mwh), ("cost", money.rent_usd), ("cost", money.own_usd)):
        if not all(math.isfinite(band[s]) for s in SCENARIOS):
            raise InvalidInputError(
                f"The {name} estimate overflows for tokens={show(req.tokens)}: use a number of tokens a training run "
                "could process (the largest published runs are about 1e13-1e14).", field="tokens")


__all__ = ["TrainingRequest", "TrainingEstimate", "estimate_training", "minimum_gpus", "BYTES_PER_VALUE"]
