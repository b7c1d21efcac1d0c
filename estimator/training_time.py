"""Training throughput from physics: the time of one optimizer step on each GPU, term by term.

Inputs: a model, a GPU, the GPU count, precision, sequence length, recomputation and the
parallel layout (given, or chosen by ``default_layout``). Output: ``StepTime`` — seconds per step
per GPU split into the terms below, tokens/s per GPU and the model FLOPs utilisation.

Per token, summed over the GPUs that handle it (GPU-seconds per token):

- dense matrix products   2 x 3 x N_dense x recompute / (peak x gemm compute_eff x sustained derate)
- routed experts          the measured MoE-layer roofline at the tokens each local expert gets per
                          micro-batch (S x k x ep / E), x 3 for forward + backward, x load imbalance
- attention               causal flash-attention FLOPs / (bf16 peak x measured prefill efficiency)
- element-wise traffic    counted bytes (norms, residuals, RoPE, SwiGLU, MoE permutation, logits),
                          forward + backward, / achieved HBM copy bandwidth, x ``ELEMENTWISE_FACTOR``
- tensor parallel         four all-reduce-equivalents of h x 2 bytes per layer (Megatron with
                          sequence parallelism), over NVLink at the measured bus bandwidth
- expert parallel         dispatch + combine all-to-all, forward and backward, NVLink inside the
                          domain and scale-out beyond, (1 - ``EP_OVERLAP``) exposed under the 1F1B
                          schedule; under DualPipe only what exceeds the computation it runs beside
                          (max(compute, comm)), with the matrix products on the SMs it leaves

Per step and GPU: those seconds x tokens per GPU per step, plus the pipeline bubble
(pp - 1) / (v x micro-batches) of it (DualPipe: (pp/2 - 1) x 2/3 / micro-batches), plus the data-parallel gradient reduce-scatter and parameter
all-gather (6 bytes per parameter of the GPU's shard) beyond what the backward pass hides, plus
the optimizer's memory traffic. Kernel efficiencies are measured (``kernels.py``); the fitted
numbers (``ELEMENTWISE_FACTOR``, ``EP_OVERLAP``) are in ``defaults.py`` with their derivation.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from . import defaults as d
from . import kernels
from .catalog import Hardware, Model
from .errors import ConflictError
from .memo import kept

LOW_PRECISIONS = ("fp8", "fp4")
#: Pipeline schedules: "1f1b" (Megatron's interleaved one-forward-one-backward; the expert-parallel
#: all-to-all sits between the computations of one micro-batch, ``EP_OVERLAP`` of it hidden) and
#: "dualpipe" (DeepSeek-V3, arXiv:2412.19437 §3.2.1: a forward and a backward chunk of two micro-batches
#: run together, each one's all-to-all under the other's computation, so the all-to-all costs only what
#: exceeds the computation; the communication kernels hold ``DUALPIPE_COMM_SM_FRACTION`` of the SMs).
SCHEDULES = ("1f1b", "dualpipe")
#: Extra forward pass under recomputation: (main GEMMs, attention) multipliers.
RECOMPUTE_FACTORS = {"none": (1.0, 1.0), "selective": (1.0, 4.0 / 3.0), "full": (4.0 / 3.0, 4.0 / 3.0)}


@dataclass(frozen=True)
class Layout:
    """How a run is split: tensor, pipeline, context, expert and data parallel degrees, the
    global batch in tokens, and the interleaving of pipeline stages."""

    tp: int
    pp: int
    cp: int
    ep: int
    dp: int
    global_batch_tokens: float
    virtual_stages: int
    given: tuple[str, ...] = ()  # which fields the request set
    schedule: str = "1f1b"  # pipeline schedule, one of SCHEDULES

    def to_dict(self) -> dict[str, float]:
        return {"tensor_parallel": self.tp, "pipeline_parallel": self.pp, "context_parallel": self.cp,
                "expert_parallel": self.ep, "data_parallel": self.dp,
                "global_batch_tokens": float(self.global_batch_tokens)}


@dataclass(frozen=True)
class StepTime:
    """Seconds per optimizer step on each GPU, by term, and what they give."""

    dense_gemm_s: float
    expert_gemm_s: float
    attention_s: float
    elementwise_s: float
    tensor_parallel_s: float
    expert_parallel_s: float
    bubble_s: float
    data_parallel_exposed_s: float
    optimizer_s: float
    tokens_per_gpu: float  # per step

    @property
    def step_s(self) -> float:
        return (self.compute_s + self.elementwise_s + self.tensor_parallel_s + self.expert_parallel_s
                + self.bubble_s + self.data_parallel_exposed_s + self.optimizer_s)

    @property
    def compute_s(self) -> float:
        """Seconds in matrix products and attention (the compute-bound phase)."""
        return self.dense_gemm_s + self.expert_gemm_s + self.attention_s

    @property
    def tokens_per_s_per_gpu(self) -> float:
        return self.tokens_per_gpu / self.step_s

    def breakdown(self) -> dict[str, float]:
        """Share of the step each term takes."""
        step = self.step_s
        return {name: getattr(self, name) / step for name in (
            "dense_gemm_s", "expert_gemm_s", "attention_s", "elementwise_s", "tensor_parallel_s",
            "expert_parallel_s", "bubble_s", "data_parallel_exposed_s", "optimizer_s")}


# --- Parameters by role --------------------------------------------------------------------------
def expert_params(model: Model) -> tuple[float, float]:
    """(routed-expert parameters in all, routed-expert parameters active per token). Without an
    expert shape the published counts imply them: (total - active) / (E - k) per expert."""
    e, k = model.experts or 0, model.experts_per_token or 0
    if not model.is_moe or not k or k >= e:
        return 0.0, 0.0
    per_expert = (model.total_params - model.active_params) / (e - k)
    return per_expert * e, per_expert * k


def _moe_layers(model: Model) -> int:
    return max(0, (model.layers or 0) - (model.dense_layers or 0)) if model.is_moe else 0


def ffn_width(model: Model) -> float:
    """Width of the FFN activations a token produces per layer (active experts for MoE)."""
    if model.is_moe and model.moe_ffn_size:
        return ((model.experts_per_token or 0) + (model.shared_experts or 0)) * model.moe_ffn_size
    return float(model.ffn_size or 4 * (model.hidden_size or 0))


def elementwise_bytes_per_token_layer(model: Model, tensor_parallel: int = 1) -> float:
    """Forward element-wise traffic of one token in one layer, bf16 activations: norms 4h, residual
    adds 6h, RoPE 2.5h (12.5h, replicated across tensor-parallel GPUs) and the FFN activation 3 x its
    width (split across them). Backward moves about twice the forward (training_time.step_time)."""
    return (12.5 * (model.hidden_size or 0) + 3.0 * ffn_width(model) / tensor_parallel) * 2.0


# --- The layout --------------------------------------------------------------------------------
def _fits(model: Model, hw: Hardware, tp: int, pp: int, cp: int, ep: int, gpus: int, seq: int, recompute: str) -> bool:
    """Weights and gradients (4 B/param) of the GPU's shard, its share of the distributed optimizer
    (12 B/param), and the activations of the micro-batches in flight fit the usable memory."""
    experts_all, _ = expert_params(model)
    dense = model.total_params - experts_all
    shard = dense / (tp * pp) + experts_all / (ep * pp)
    dp_total = max(1, gpus // (tp * pp * cp))
    state = 4.0 * shard + 12.0 * shard / dp_total
    h, layers = model.hidden_size or 0, model.layers or 0
    per_layer = d.ACTIVATION_CHECKPOINT_BYTES_PER_TOKEN_HIDDEN if recompute == "full" else d.ACTIVATION_WORKING_BYTES_PER_TOKEN_HIDDEN
    activations = seq * h * layers * per_layer / (tp * cp)  # 1F1B: pp micro-batches of L/pp layers in flight
    return state + activations <= hw.hbm_gb * d.HBM_BYTES_PER_GB * d.USABLE_HBM_FRACTION


def check_layout(model: Model, gpus: int, tp: int | None, pp: int | None, cp: int | None, ep: int | None,
                 global_batch_tokens: float | None, seq: int) -> None:
    """A given layout must add up: tensor x pipeline x context parallel within the GPUs, expert
    parallelism only for MoE models (and at most their experts), a global batch of at least one
    sequence per data-parallel copy. Raises ConflictError naming the field."""
    model_parallel = (tp or 1) * (pp or 1) * (cp or 1)
    if model_parallel > gpus:
        raise ConflictError(
            f"tensor_parallel x pipeline_parallel x context_parallel = {model_parallel:,} is more than the {gpus:,} GPUs "
            "of the run: lower one of them or give more GPUs.",
            field="tensor_parallel" if tp else ("pipeline_parallel" if pp else "context_parallel"))
    if ep and ep > 1 and not model.is_moe:
        raise ConflictError(f"'expert_parallel' needs a mixture-of-experts model; {model.name} is dense. Leave it out.",
                                field="expert_parallel")
    if ep and ep > gpus:
        raise ConflictError(f"'expert_parallel' ({ep:,}) is more than the {gpus:,} GPUs of the run.",
                                field="expert_parallel")
    data_parallel = max(1, gpus // model_parallel)
    if global_batch_tokens and global_batch_tokens < seq * data_parallel:
        raise ConflictError(
            f"'global_batch_tokens' ({global_batch_tokens:,.0f}) is less than one {seq:,}-token sequence for each of the "
            f"{data_parallel:,} data-parallel copies ({seq * data_parallel:,} tokens): raise it or use fewer GPUs.",
            field="global_batch_tokens")


def default_layout(model: Model, hw: Hardware, gpus: int, seq: int, recompute: str,
                   tp: int | None = None, pp: int | None = None, cp: int | None = None, ep: int | None = None,
                   global_batch_tokens: float | None = None, schedule: str | None = None) -> Layout:
    """The layout a practitioner would pick (Megatron-style), with what the request fixed kept:
    the smallest model-parallel size that fits, tensor parallel first (up to 8 inside the NVLink
    domain), then context parallel for long sequences, then pipeline stages; experts spread over
    up to 64 GPUs; a global batch of at least 4M tokens and 4 x pp micro-batches per pipeline
    (so the bubble stays small), interleaved over up to 4 virtual stages."""
    given = tuple(n for n, v in (("tp", tp), ("pp", pp), ("cp", cp), ("ep", ep),
                                 ("global_batch_tokens", global_batch_tokens)) if v)
    tp_limit = max(1, min(d.MAX_TENSOR_PARALLEL, hw.nvlink_domain_gpus or 1, gpus))
    choice = None
    for mp_exp in range(0, 15):
        mp = 1 << mp_exp
        if mp > gpus:
            break
        t = tp or min(mp, tp_limit)
        rest = max(1, mp // t)
        c = cp or (min(rest, max(1, seq // 8192)) if seq > 8192 else 1)
        p = pp or max(1, rest // c)
        e = ep or (min(model.experts or 1, 64, max(1, gpus // (t * p))) if model.is_moe else 1)
        if _fits(model, hw, t, p, c, e, gpus, seq, recompute):
            choice = (t, p, c, e)
            break
    t, p, c, e = choice or (tp or tp_limit, pp or max(1, gpus // tp_limit), cp or 1, ep or 1)
    dp = max(1, gpus // (t * p * c))
    batch = global_batch_tokens or max(d.DEFAULT_GLOBAL_BATCH_TOKENS, 4.0 * p * dp * seq)
    layers_per_stage = (model.layers or p) / p
    virtual = max(1, min(4, int(layers_per_stage // 2))) if p > 1 else 1
    if schedule == "dualpipe":  # DualPipe pairs micro-batches from both ends: no interleaving
        virtual = 1
    return Layout(t, p, c, e, dp, batch, virtual, given + (("schedule",) if schedule else ()), schedule or "1f1b")


@kept(1024)
def planned_step(model: Model, hw: Hardware, gpus: int, precision: str, seq: int, recompute: str,
                 tp: int | None, pp: int | None, cp: int | None, ep: int | None, global_batch_tokens: float | None,
                 elementwise_factor: float, ep_overlap: float, schedule: str | None = None) -> tuple[Layout, StepTime]:
    """The layout (a given one checked, ``check_layout``; the rest chosen, ``default_layout``) and
    its step time (``step_time``). Neither depends on the run's token count, so the answers are
    kept by configuration (``memo.kept``; issue 14: about a third of a training estimate's core time)."""
    check_layout(model, gpus, tp, pp, cp, ep, global_batch_tokens, seq)
    layout = default_layout(model, hw, gpus, seq, recompute, tp, pp, cp, ep, global_batch_tokens, schedule)
    return layout, step_time(model, hw, gpus, precision, seq, recompute, layout, elementwise_factor, ep_overlap)


# --- The step ------------------------------------------------------------------------------------
def step_time(model: Model, hw: Hardware, gpus: int, precision: str, seq: int, recompute: str,
              layout: Layout, elementwise_factor: float, ep_overlap: float) -> StepTime:
    """Seconds per optimizer step on each GPU (module docstring)."""
    h, layers = float(model.hidden_size or 0), float(model.layers or 0)
    peak = hw.peak_tflops(precision) * d.TERA
    attn_peak = hw.peak_tflops("bf16" if precision in LOW_PRECISIONS else precision) * d.TERA
    hbm = hw.hbm_bandwidth_tb_per_s * d.TERA
    rc_main, rc_attn = RECOMPUTE_FACTORS[recompute]
    derate = d.SUSTAINED_GEMM_DERATE
    tokens_per_gpu = layout.global_batch_tokens / gpus

    # Matrix products: dense part at the large-GEMM rate; routed experts at the MoE-layer roofline.
    experts_all, experts_active = expert_params(model)
    gemm = kernels.gemm(hw, "fp8_block" if precision == "fp8" and hw.architecture == "blackwell" else precision)
    dense_s = 6.0 * (model.active_params - experts_active) * rc_main / (peak * gemm.compute_eff * derate)
    moe_layers = _moe_layers(model)
    expert_s = _expert_seconds_per_token(model, hw, precision, seq, layout, rc_main) if experts_active and moe_layers else 0.0
    attention_flops = 3.0 * 2.0 * layers * (model.attention_heads or 0) * ((model.qk_head_dim or 0) + (model.value_head_dim or 0)) * seq / 2.0
    attention_s = attention_flops * rc_attn / (attn_peak * kernels.prefill_attention_efficiency(hw))

    # Element-wise traffic (bf16 activations): per layer forward, norms 4h + residual adds 6h + RoPE 2.5h
    # + activation function 3 x FFN width; backward twice the forward; logits 4 passes of V x 4 B.
    act_bytes = 2.0
    per_layer = elementwise_bytes_per_token_layer(model) * 3.0
    if moe_layers:
        per_layer += 12.0 * (model.experts_per_token or 0) * h * act_bytes * moe_layers / layers  # permute + unpermute
    elementwise_bytes = layers * per_layer * rc_main + 16.0 * (model.vocab_size or 0)
    elementwise_s = elementwise_factor * elementwise_bytes / (hbm * d.COPY_BANDWIDTH_FRACTION)

    micro_batches = layout.global_batch_tokens / (layout.dp * seq)
    if layout.schedule == "dualpipe":
        # Matrix products and attention run on the SMs the all-to-all kernels leave; the all-to-all
        # (all of it, unhidden) costs only what exceeds the paired chunk's computation: max(compute, comm).
        # Bubble (arXiv:2412.19437 Table 2): (PP/2 - 1)(F&B + B - 3W) against 1F1B's (PP - 1)(F + B);
        # with a forward F, a backward for inputs and one for weights W each taking F (B = 2F) and the
        # overlapped pair F&B = F + B, that is (PP/2 - 1) x 2F per micro-batch's 3F of work.
        sm_share = 1.0 - d.DUALPIPE_COMM_SM_FRACTION
        dense_s, expert_s, attention_s = dense_s / sm_share, expert_s / sm_share, attention_s / sm_share
        tp_s, comm_s = _parallel_seconds_per_token(model, hw, precision, layout, rc_main, 0.0)
        ep_s = max(0.0, comm_s - (dense_s + expert_s + attention_s + elementwise_s))
        step_work = (dense_s + expert_s + attention_s + elementwise_s + tp_s + ep_s) * tokens_per_gpu
        bubble = step_work * max(0.0, layout.pp / 2.0 - 1.0) * (2.0 / 3.0) / micro_batches
    else:
        tp_s, ep_s = _parallel_seconds_per_token(model, hw, precision, layout, rc_main, ep_overlap)
        step_work = (dense_s + expert_s + attention_s + elementwise_s + tp_s + ep_s) * tokens_per_gpu
        bubble = step_work * (layout.pp - 1) / (layout.virtual_stages * micro_batches) if layout.pp > 1 else 0.0

    dp_exposed, optimizer_s = _data_parallel_seconds(model, hw, gpus, layout, step_work, hbm)
    n = tokens_per_gpu
    return StepTime(dense_s * n, expert_s * n, attention_s * n, elementwise_s * n, tp_s * n, ep_s * n, bubble,
                    dp_exposed, optimizer_s, n)


def _expert_seconds_per_token(model: Model, hw: Hardware, precision: str, seq: int, layout: Layout,
                              rc_main: float) -> float:
    """Routed experts, GPU-seconds per token: the measured MoE-layer roofline (kernels.moe) for the
    tokens each local expert gets per micro-batch of one sequence per rank, x the load imbalance."""
    peak, hbm = hw.peak_tflops(precision) * d.TERA, hw.hbm_bandwidth_tb_per_s * d.TERA
    experts_all, _ = expert_params(model)
    moe_layers = _moe_layers(model)
    e, k = float(model.experts or 1), float(model.experts_per_token or 1)
    tokens_per_expert = seq / layout.cp * k * layout.ep / e
    per_expert_layer = experts_all / e / moe_layers
    local = max(1.0, e / layout.ep)
    fwd = kernels.moe(hw, precision).seconds(
        2.0 * per_expert_layer * tokens_per_expert * local, per_expert_layer * local * d.BYTES_PER_WEIGHT.get(precision, 2.0),
        peak * d.SUSTAINED_GEMM_DERATE, hbm)
    pairs_on_gpu = tokens_per_expert * local  # (token, expert) pairs one GPU computes per layer
    # The busiest of ep GPUs: a Poisson count's maximum, n + sqrt(2 n ln ep) (balanced routing).
    imbalance = 1.0 + math.sqrt(2.0 * math.log(max(2.0, layout.ep)) / max(1.0, pairs_on_gpu))
    # forward x 3 (forward + backward) x recompute, every MoE layer, over the pairs_on_gpu / k tokens served
    return 3.0 * rc_main * fwd * imbalance * moe_layers * k / pairs_on_gpu


def _parallel_seconds_per_token(model: Model, hw: Hardware, precision: str, layout: Layout, rc_main: float,
                                ep_overlap: float) -> tuple[float, float]:
    """(tensor-parallel, exposed expert-parallel) GPU-seconds per token. Tensor parallel: 4
    all-reduce-equivalents of h x 2 B per layer, 2(t-1)/t of it per GPU. Expert parallel: k copies
    of h dispatched (1 B fp8 / 2 B) and combined (2 B), forward and backward, NVLink inside the
    domain and scale-out beyond, (1 - ep_overlap) of it exposed."""
    h, layers = float(model.hidden_size or 0), float(model.layers or 0)
    tp_s = ep_s = 0.0
    if layout.tp > 1:
        link = _link_bytes_per_s(hw, layout.tp, "all_reduce_nccl")
        tp_s = 4.0 * layers * 2.0 * (layout.tp - 1) / layout.tp * h * 2.0 / link * layout.tp * rc_main
    moe_layers = _moe_layers(model)
    if moe_layers and layout.ep > 1:
        dispatch = 1.0 if precision in LOW_PRECISIONS else 2.0
        moved = 2.0 * moe_layers * (model.experts_per_token or 0) * h * (dispatch + 2.0) * (layout.ep - 1) / layout.ep
        inside = min(layout.ep, hw.nvlink_domain_gpus or 1) / layout.ep
        nvlink = _link_bytes_per_s(hw, min(layout.ep, hw.nvlink_domain_gpus or 1), "alltoall_nccl")
        ep_s = (1.0 - ep_overlap) * moved * (inside / nvlink + (1.0 - inside) / _scale_out_bytes_per_s(hw))
    return tp_s, ep_s


def _data_parallel_seconds(model: Model, hw: Hardware, gpus: int, layout: Layout, step_work: float,
                           hbm: float) -> tuple[float, float]:
    """(data-parallel seconds per step not hidden by the backward pass, optimizer seconds per step):
    reduce-scatter fp32 gradients + all-gather bf16 parameters of this GPU's shard (6 B/param), and
    the Adam step's memory traffic on the GPU's share of the distributed optimizer."""
    experts_all, _ = expert_params(model)
    dense_shard = (model.total_params - experts_all) / (layout.tp * layout.pp)
    expert_shard = experts_all / (layout.ep * layout.pp)
    dp_group = layout.dp * layout.cp
    dp_bytes = 6.0 * (dense_shard + expert_shard) * (dp_group - 1) / dp_group if dp_group > 1 else 0.0
    spans_nodes = gpus > (hw.nvlink_domain_gpus or 1)
    dp_link = _scale_out_bytes_per_s(hw) if spans_nodes else _link_bytes_per_s(hw, min(dp_group, 8), "all_reduce_nccl")
    dp_exposed = max(0.0, dp_bytes / dp_link - step_work * 2.0 / 3.0)
    optimizer_s = d.OPTIMIZER_BYTES_PER_PARAM * (dense_shard + expert_shard) / dp_group / (hbm * d.COPY_BANDWIDTH_FRACTION)
    return dp_exposed, optimizer_s


def _link_bytes_per_s(hw: Hardware, gpus: int, op: str) -> float:
    """Bus bandwidth of a collective over ``gpus`` GPUs in one NVLink domain (measured share of the
    one-way NVLink figure), or PCIe for GPUs without NVLink."""
    if not hw.nvlink_gb_per_s:
        return pcie_bytes_per_s(hw)
    return hw.nvlink_gb_per_s / 2.0 * d.GIGA * kernels.collective(hw, op, gpus).link_fraction


def pcie_bytes_per_s(hw: Hardware) -> float:
    """One-way PCIe x16 bandwidth per GPU: Gen5 on Hopper and Blackwell, Gen4 before."""
    gen5 = hw.architecture in ("hopper", "blackwell")
    return (d.PCIE_GEN5_X16_GB_PER_S if gen5 else d.PCIE_GEN4_X16_GB_PER_S) * d.GIGA


def _scale_out_bytes_per_s(hw: Hardware) -> float:
    """One 400 Gb/s NIC per GPU (DGX H100/B200, GB200 NVL72 compute trays) at the measured NCCL share."""
    return d.SCALE_OUT_GB_PER_S * d.GIGA * d.SCALE_OUT_EFFICIENCY
