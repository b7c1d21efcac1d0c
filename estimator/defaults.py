"""Calibrated defaults, each derived from a published run or a measurement.

Every constant here has its derivation next to it. The anchors are in
``../shared/reference/calibration.md`` (copied into ``docs/validation.md`` with the results).
A ``Band`` of inputs holds the value used by the low, mid and high *estimate* (see bands.py).
Nothing here is tuned to hit a single reference figure; the validation report shows how the
estimates land on runs that were *not* used to derive them.
"""

from __future__ import annotations

from .bands import Band

# --- Exact unit conversions -----------------------------------------------------------------
SECONDS_PER_HOUR = 3600.0
HOURS_PER_DAY = 24.0
HOURS_PER_YEAR = 8766.0  # 365.25 days
HOURS_PER_MONTH = HOURS_PER_YEAR / 12.0  # 730.5
KG_PER_POUND = 0.45359237  # international avoirdupois pound, exact
TERA = 1e12
GIGA = 1e9

# --- Measured on one H200 SXM (calibration.md, "Ceilings measured") --------------------------
H200_BF16_SUSTAINED_TFLOPS = 668.0
H200_FP8_SUSTAINED_TFLOPS = 1211.0
H200_COPY_TB_PER_S = 4.15
H200_POWER_COMPUTE_W = 695.0
H200_POWER_MEMORY_W = 555.0
H200_POWER_IDLE_W = 130.0
H200_POWER_LIMIT_W = 700.0

#: Power draw as a fraction of the power limit, by phase (H200 at a 700 W limit):
#: compute-bound 695/700, memory-bound 555/700, idle after load 130/700.
POWER_FRACTION_COMPUTE = H200_POWER_COMPUTE_W / H200_POWER_LIMIT_W
POWER_FRACTION_MEMORY = H200_POWER_MEMORY_W / H200_POWER_LIMIT_W
POWER_FRACTION_IDLE = H200_POWER_IDLE_W / H200_POWER_LIMIT_W

# --- Training ---------------------------------------------------------------------------------
#: Goodput: share of reserved GPU-hours in a published run total that the steady-state model
#: accounts for. Everything else a total includes (failures and restarts, checkpoints, evaluation,
#: warm-up, annealing and context-extension phases, loss-spike rollbacks) lands here. Mid: the
#: median over the 38 scored whole-run rows of seeds/calibration/training_runs.csv of (steady-state
#: busy hours / published hours) = 0.6575 (folds 0.59-0.66). A figure the source states as a steady
#: rate x tokens (DeepSeek-V3's 2,664K = 180K GPU-hours per trillion x 14.8T; TinyLlama's 3,456 per
#: 300B at 24k tokens/s) is a throughput row, not a run: it would put its own goodput of 1 here. Low / high: set so the run band spans the
#: runs' 10th / 90th percentile cross-validated residuals (calibrate.defaults_from). For comparison,
#: Llama 3 reports ">90% effective training time" (arXiv:2407.21783 §3.3.4) for failures alone.
GOODPUT = Band(low=0.8223, mid=0.6575, high=0.4339)
GOODPUT_SOURCE = (
    "median busy / reserved GPU-hours over 38 published whole runs (seeds/calibration/training_runs.csv); "
    "band from their cross-validated spread (docs/validation.md)"
)

#: Attention FLOPs per token, PaLM (Chowdhery et al. 2022, arXiv:2204.02311, Appendix B):
#: 12 * L * H * Q * T, generalised to 6 * L * H * (d_qk + d_v) * T so MLA's 192-wide queries and
#: 128-wide values count as published.
ATTENTION_SOURCE = "PaLM (arXiv:2204.02311) Appendix B: 6N + 12·L·H·Q·T FLOPs per token"

#: Deadline of a training run that gives neither a GPU count nor a deadline: 90 days, about a
#: quarter. Sizing on the fewest GPUs that fit in memory (the old default) gave runs of decades
#: (Llama 3.1 405B on 15.6T tokens: 38 years on 96 H100s). Published pre-training runs took
#: 21-118 days: LLaMA 65B ~21 days on 2,048 A100s (arXiv:2302.13971 §2.4), Llama 3.1 405B 54 days
#: on 16,384 H100s (arXiv:2407.21783 §3.3.4), DeepSeek-V3 ~55 days on 2,048 H800s (3.7 days per
#: trillion tokens × 14.8T, arXiv:2412.19437 §1), BLOOM ~118 days on 384 A100s (arXiv:2211.02001);
#: 90 days is also the corpus's run length where a run's GPU count is unpublished (corpus.py).
DEFAULT_DEADLINE_DAYS = 90.0
DEFAULT_DEADLINE_SOURCE = (
    "default when neither gpus nor deadline_days is given: about a quarter; published pre-training runs took "
    "21-118 days (LLaMA 65B ~21, Llama 3.1 405B 54, DeepSeek-V3 ~55, BLOOM ~118; defaults.py)"
)

#: Pre-training sequence length when the model record has none: 4,096 tokens, the length used by
#: DeepSeek-V3 (arXiv:2412.19437 §4.2), Llama 2 (arXiv:2307.09288) and Qwen2.5's first stage.
DEFAULT_SEQUENCE_TOKENS = 4096

#: Bytes of training state per parameter with mixed-precision Adam: 2 (bf16 weights) + 2 (bf16
#: gradients) + 12 (fp32 master weights, momentum, variance); ZeRO, Rajbhandari et al. 2020
#: (arXiv:1910.02054) section 3.1. fp64 training doubles every term.
TRAINING_STATE_BYTES_PER_PARAM = {"fp64": 32.0}
TRAINING_STATE_BYTES_DEFAULT = 16.0
TRAINING_STATE_SOURCE = "ZeRO (Rajbhandari et al. 2020, arXiv:1910.02054) §3.1: 2+2+12 bytes/param"

#: Activations per layer per token: 34 * h bytes kept for the backward pass (Korthikanti et al.
#: 2022, arXiv:2205.05198, eq. 1, with flash attention removing the 5*a*s/h term); with full
#: recomputation only the layer input, 2 * h bytes in bf16, plus one layer's 34 * h working set.
#: They divide across tensor/sequence parallelism (at most one NVLink domain of 8 GPUs) and
#: context parallelism (at most 64-way).
ACTIVATION_CHECKPOINT_BYTES_PER_TOKEN_HIDDEN = 2.0
ACTIVATION_WORKING_BYTES_PER_TOKEN_HIDDEN = 34.0
ACTIVATION_SOURCE = "Korthikanti et al. 2022 (arXiv:2205.05198) eq. 1; micro-batch of 1"
MAX_TENSOR_PARALLEL = 8
MAX_CONTEXT_PARALLEL = 64

#: Bytes in a datasheet "GB" of GPU memory. NVIDIA's memory sizes are binary: an "80 GB" H100
#: reports 81,559 MiB (85.5e9 bytes) in nvidia-smi and a "141 GB" H200 143,771 MiB, i.e. 80 and
#: 141 GiB less a reserved sliver. Bandwidths (TB/s) and everything else stay decimal.
HBM_BYTES_PER_GB = 2.0**30

#: Share of HBM usable for tensors: the CUDA context, NCCL buffers and allocator fragmentation
#: take the rest. Engineering assumption (PyTorch's caching allocator commonly reserves 5-10 %).
USABLE_HBM_FRACTION = 0.90

# --- Power ------------------------------------------------------------------------------------
#: Share of a server's nameplate non-GPU power (max kW - GPUs x TDP) drawn under load. Derived
#: from the measured 8x B200 MLPerf system (calibration: 10.40 kW at the wall) against the DGX
#: B200 nameplate (14.3 kW; GPUs 8 x 1 kW): with the GPUs at 100 % / 95 % / 90 % of their limit
#: the rest of the server drew 2.40 / 2.80 / 3.20 kW of a 6.3 kW nameplate -> 0.38 / 0.44 / 0.51.
NODE_OVERHEAD_FRACTION = Band(low=0.38, mid=0.44, high=0.51)
NODE_OVERHEAD_SOURCE = (
    "derived: MLPerf v5.1 Lenovo SR680a V3 8x B200 measured 10.40 kW at the wall vs DGX B200 "
    "nameplate 14.3 kW with 8 x 1,000 W GPUs"
)
#: For a GPU without a published server power: non-GPU nameplate per GPU = TDP x (10.2 - 5.6) /
#: 5.6 = 0.821 x TDP, the DGX H100 ratio (10.2 kW max, 8 x 700 W).
NODE_NAMEPLATE_OVERHEAD_PER_TDP = (10.2 - 8 * 0.7) / (8 * 0.7)

#: Power usage effectiveness. Low: PaLM's 1.08 (arXiv:2204.02311 App. B); mid: 1.2, the upper
#: end of the values reported for LLM training (GPT-3 1.10, LLaMA 1.1, OLMo 2 7B 1.2); high:
#: the 2023 industry average of 1.58 (Uptime Institute Global Data Center Survey).
PUE = Band(low=1.08, mid=1.2, high=1.58)
PUE_SOURCE = "PaLM App. B (1.08); OLMo 2 Table 19 (1.2); Uptime Institute 2023 survey average (1.58)"

#: Grid carbon intensity: US utility-scale generation 2023, 0.81 lb CO2/kWh (EIA FAQ id=74).
GRID_KG_CO2_PER_KWH = 0.81 * KG_PER_POUND
GRID_SOURCE = "US EIA FAQ 'How much carbon dioxide is produced per kWh' (2023: 0.81 lb/kWh)"

# --- Ownership --------------------------------------------------------------------------------
#: Useful life over which purchased servers are amortised. Low estimate 6 years (Microsoft's
#: server life since FY2022 10-K), mid 5 years (Amazon's server life from 2025), high 4 years
#: (an accelerator retired after two NVIDIA generations; assumption).
CAPEX_LIFE_YEARS = Band(low=6.0, mid=5.0, high=4.0)
CAPEX_LIFE_SOURCE = (
    "hyperscaler depreciation schedules: Microsoft 6 years (FY2022 10-K), Amazon 5 years "
    "(2025); 4 years assumed for two GPU generations"
)

#: Used only when a price book has no electricity or hosting row (the seed book has both).
ELECTRICITY_FALLBACK = 0.0806
ELECTRICITY_FALLBACK_SOURCE = "US EIA 2023 average industrial retail price (8.06 c/kWh)"
HOSTING_FALLBACK = 174.06
HOSTING_FALLBACK_SOURCE = "CBRE North America Data Center Trends H1 2024 (250-500 kW asking rate)"

# --- Inference --------------------------------------------------------------------------------
H200_BF16_BURST_TFLOPS = 788.0
H200_FP8_BURST_TFLOPS = 1420.0
H200_DATASHEET_HBM_TB_PER_S = 4.8

#: Share of HBM a serving engine may fill with weights and KV cache: vLLM's default
#: gpu_memory_utilization of 0.9 (vLLM engine arguments); the rest is activations and workspace.
SERVING_MEMORY_FRACTION = 0.90
SERVING_MEMORY_SOURCE = "vLLM default gpu_memory_utilization = 0.9"

#: GPUs without NVLink use PCIe: Gen4 x16 31.5 GB/s each way, Gen5 x16 63 GB/s (H100 PCIe and later).
PCIE_GEN4_X16_GB_PER_S = 31.5
PCIE_GEN5_X16_GB_PER_S = 63.0
ALLREDUCES_PER_LAYER = 2  # after attention and after the FFN (Megatron-LM tensor parallelism)

#: Weight and KV-cache bytes per value when serving at each precision. int4 means weight-only
#: 4-bit quantisation (AWQ/GPTQ) with bf16 compute and KV cache; fp8/fp4 serve with an fp8 KV cache.
SERVING_PRECISIONS = ("bf16", "fp16", "fp8", "fp4", "int4")
SERVING_WEIGHT_BYTES = {"bf16": 2.0, "fp16": 2.0, "fp8": 1.0, "fp4": 0.5, "int4": 0.5}
SERVING_KV_BYTES = {"bf16": 2.0, "fp16": 2.0, "fp8": 1.0, "fp4": 1.0, "int4": 2.0}
SERVING_COMPUTE_PRECISION = {"bf16": "bf16", "fp16": "fp16", "fp8": "fp8", "fp4": "fp4", "int4": "bf16"}

#: Request shape when none is given: 1,000 prompt tokens and 500 generated (a chat/RAG-like
#: request; the issue's example); a stated default, not a measurement.
DEFAULT_INPUT_TOKENS = 1000
DEFAULT_OUTPUT_TOKENS = 500
SECONDS_PER_DAY = 86400.0

#: Expert parallelism: bytes moved per routed copy of a token per MoE layer, fp8 dispatch (1 B per
#: hidden value) plus bf16 combine (2 B), as DeepSeek-V3 serves (arXiv:2412.19437 §3.3.2);
#: scale-out bandwidth per GPU: one 400 Gb/s InfiniBand NDR port per GPU (NVIDIA DGX H100 user
#: guide: eight ConnectX-7 400 Gb/s compute-fabric ports) = 50 GB/s each way.
EP_BYTES_PER_HIDDEN_VALUE = 3.0
SCALE_OUT_GB_PER_S = 50.0

#: Without a load, the smallest replica whose output per GPU is within this share of the best
#: (a 440-GPU replica for a 1 % gain is not what anyone deploys).
REPLICA_SIZE_TOLERANCE = 0.02

# --- Training performance model (training_time.py) ---------------------------------------------
#: Matrix products run for hours at the power limit: the measured sustained / burst ratio on one
#: H200 (calibration.md: bf16 668 / 788 = 0.848, fp8 1211 / 1420 = 0.853; mean 0.85) scales the
#: burst kernel efficiencies of aiconfigurator's tables (measured in short timed loops).
SUSTAINED_GEMM_DERATE = (H200_BF16_SUSTAINED_TFLOPS / H200_BF16_BURST_TFLOPS
                         + H200_FP8_SUSTAINED_TFLOPS / H200_FP8_BURST_TFLOPS) / 2.0
#: Element-wise kernels stream memory at the measured copy rate (H200: 4.15 / 4.8 TB/s = 0.865).
COPY_BANDWIDTH_FRACTION = H200_COPY_TB_PER_S / H200_DATASHEET_HBM_TB_PER_S
#: Bytes per stored weight at each training/serving precision (fp4: 4 bits + an fp8 scale per 16).
BYTES_PER_WEIGHT = {"bf16": 2.0, "fp16": 2.0, "fp8": 1.0, "fp4": 0.5625, "tf32": 4.0, "fp64": 8.0}
#: Adam step with a distributed optimizer: read fp32 master, m, v and the gradient (16 B), write
#: master, m, v (12 B) and the bf16 weight (2 B) = 30 B per parameter of the GPU's shard.
OPTIMIZER_BYTES_PER_PARAM = 30.0
#: Global batch when the request gives none: 4M tokens, Llama 2's (arXiv:2307.09288 §2.2), the
#: smallest of the published large runs (Llama 3 405B: 16M; DeepSeek-V3: up to 63M).
DEFAULT_GLOBAL_BATCH_TOKENS = 4.0 * 2**20
#: Scale-out links reach this share of the 400 Gb/s NIC in NCCL collectives (NCCL's ring bus
#: bandwidth over InfiniBand NDR is typically ~40-45 GB/s of 50; the measured NVLink all-reduce
#: share on 8 H100 in seeds/kernels is 0.7-0.99): 0.8.
SCALE_OUT_EFFICIENCY = 0.8
#: Under the DualPipe schedule (training_time.SCHEDULES) the all-to-all kernels run beside the
#: computation on SMs of their own: DeepSeek-V3 "only 20 SMs are sufficient to fully utilize the
#: bandwidths of IB and NVLink" (arXiv:2412.19437 §3.2.2) of the H800's 132, so matrix products and
#: attention get 112 / 132 of the GPU while they overlap (the whole step under DualPipe).
DUALPIPE_COMM_SM_FRACTION = 20.0 / 132.0

# --- Fitted on the calibration corpus (estimator/calibrate.py; rows in seeds/calibration) -------
# Each value below is the full-corpus fit that `estimator validate` reports in docs/validation.md
# ("Fitted numbers"), with the range the leave-one-source-family-out folds gave and the rows it
# was fitted on; tests/core/test_validation_report.py fails if they drift apart. Refit by running
# `estimator validate` and copying the values it prints under "Fitted numbers" and "Spreads".
FIT_SOURCE = "fitted on the corpus in seeds/calibration (estimator/calibrate.py; docs/validation.md)"
SPREAD_SOURCE = "10th / 90th percentile of cross-validated residuals (docs/validation.md)"
#: Multiplier on the counted element-wise bytes of a training step (kernels below the copy rate,
#: small ops not counted): L1 fit on log throughput over the 96 steady-state training rows,
#: grid 0.5-8; folds 2-3.
ELEMENTWISE_FACTOR = 3.0
#: Share of the expert-parallel all-to-all hidden behind computation under the 1F1B schedule
#: (training_time.SCHEDULES): same fit, grid 0-0.9; folds 0-0.25. NVIDIA's Megatron tables (most MoE
#: rows) expose most of it. DeepSeek-V3's DualPipe row (dsv3-h800-fp8) is not a share of this kind: its
#: schedule hides the all-to-all up to the paired micro-batch's computation (training_time.step_time);
#: scored as 1F1B it pulled the fold without the Megatron-Bridge rows to 0.75.
EP_OVERLAP = 0.25
#: Spread of steady-state busy time around the model, by kind: 1 / the 90th and 1 / the 10th
#: percentile of the cross-validated published / estimate throughput ratios.
STEADY_SPREAD = {"dense": Band(low=0.8027, mid=1.0, high=1.24), "moe": Band(low=0.8199, mid=1.0, high=1.401)}

# --- Serving performance model (inference._ReplicaModel; kernels from seeds/kernels) -------------
#: Achieved bandwidth can exceed the datasheet in a kernel table when data sits in L2 (A100's decode
#: attention fit gives 1.38): never above the measured H200 copy rate's share of HBM plus cache, 0.95.
MAX_ACHIEVED_BANDWIDTH_FRACTION = 0.95
#: Engines cap concurrent sequences: vLLM V1's default max_num_seqs on large-memory GPUs is 1,024
#: (vllm/engine/arg_utils.py, default_max_num_seqs); TensorRT-LLM and SGLang cap by token budget.
MAX_CONCURRENT_SEQUENCES = 1024
#: Latency targets are read as p99 of the per-request mean time per output token (MLPerf's TPOT
#: and vLLM's are per-request means; MLPerf's limits are p99): z of the normal 99th percentile.
TPOT_TAIL_Z = 2.326
#: Per decode step, outside the kernels: scheduling, sampling, detokenisation, launch gaps. Fitted
#: on the serving throughput rows (estimator/calibrate.py).
#: L1 fit over the 68 serving rows (throughput and latency), grid 0-8 ms: 0 (folds 0-1 ms).
DECODE_STEP_OVERHEAD_S = 0.0
#: Per sequence per decode step outside the kernel tables (sampling over the vocabulary, logits,
#: scheduler bookkeeping): fitted with DECODE_STEP_OVERHEAD_S, grid 0-30 us: 15 us (every fold).
DECODE_SEQUENCE_OVERHEAD_S = 1.5e-05
SERVING_FIT_SOURCE = "fitted on seeds/calibration/serving_*.csv (estimator/calibrate.py; docs/validation.md)"
#: Spread of serving step and prefill times around the model, by kind (1 / the 90th and 1 / the
#: 10th percentile of the cross-validated throughput ratios on the serving rows).
SERVING_SPREAD = {"dense": Band(low=0.8494, mid=1.0, high=1.213), "moe": Band(low=0.6894, mid=1.0, high=1.518)}
