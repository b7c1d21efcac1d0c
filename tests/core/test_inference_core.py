"""Serving estimates: MLPerf golden result, roofline limits, MoE/MLA memory, properties, bad input."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from estimator import inference as inf
from estimator.bands import Band
from estimator.compare import PRESETS, compare
from estimator.errors import DoesNotFitError, InvalidInputError, UnknownIdError, UnsupportedPrecisionError
from estimator.inputs import inference_request


def estimate(catalog, book, **values):
    return inf.estimate_inference(inference_request(catalog, values), book, catalog)


# --- Golden and physical limits ------------------------------------------------------------------
def test_mlperf_llama2_70b_offline_fp8_8x_h100(catalog, book):
    # MLPerf Inference v5.0 closed, NVIDIA DGX-H100 llama2-70b-99 Offline: 31,306.8 output tokens/s
    # for 8 x H100-SXM-80GB in FP8 (calibration.md). About 290-294 output tokens per request
    # (reference README: 294.45 tokens per sample); prompts "a few hundred tokens": 300 assumed.
    # Offline = no latency limit, so maximum throughput within memory; prefill and decode share
    # the GPUs. MLPerf submissions are tuned past the vendor's published tables (about 1.1 PFLOP/s of
    # useful fp8 work per H100): the estimate from the measured kernels and the corpus fit is 32 %
    # below, so the test holds it within 35 % and below the published figure. MLPerf rows are not in
    # the corpus (the dataset's mean prompt length is not published; 300 tokens is an assumption).
    est = estimate(catalog, book, model="llama-2-70b", hardware="h100-sxm", precision="fp8",
                   input_tokens=300, output_tokens=294)
    per_replica = est.per_replica["output_tokens_per_s"]
    system = per_replica * 8 / est.gpus_per_replica
    assert system == pytest.approx(31306.8, rel=0.35)
    assert system < 31306.8


def test_single_gpu_8b_bf16_batch_1_is_memory_bound(catalog, book, ):
    # Decode at batch 1 must read every weight once per token: it cannot beat bytes / bandwidth, and
    # with the measured weight-read rate (0.80 of HBM on H100, seeds/kernels/gemm_fit.csv) plus the
    # per-call overheads it stays within 1.6x of that floor.
    est = estimate(catalog, book, model="llama-3.1-8b", hardware="h100-sxm", precision="bf16",
                   gpus_per_replica=1, batch_size=1, input_tokens=1000, output_tokens=200)
    weights_bytes = 8.03e9 * 2
    floor_ms = weights_bytes / 3.35e12 * 1000
    assert est.per_replica["bound"] == "memory"
    assert floor_ms / 0.7956 <= est.per_replica["decode_step_ms"] <= 1.7 * floor_ms


def test_kv_cache_is_gqa_and_mla_aware(catalog):
    llama = catalog.get_model("llama-3.1-70b")
    deepseek = catalog.get_model("deepseek-v3")
    assert inf.kv_cache_bytes_per_token(llama, 2.0) == 2 * 80 * 8 * 128 * 2  # GQA: 8 KV heads, not 64
    assert inf.kv_cache_bytes_per_token(deepseek, 2.0) == 61 * (512 + 64) * 2  # MLA latent


def test_moe_batch_1_reads_active_and_large_batch_reads_all(catalog):
    ds = catalog.get_model("deepseek-v3")
    assert inf.weight_params_touched(ds, 1) == pytest.approx(37e9)
    assert inf.weight_params_touched(ds, 4096) == pytest.approx(671e9, rel=1e-3)
    dense = catalog.get_model("llama-3.1-70b")
    assert inf.weight_params_touched(dense, 1) == dense.total_params


def test_fp4_fits_where_bf16_does_not(catalog, book):
    with pytest.raises(DoesNotFitError):
        estimate(catalog, book, model="llama-3.1-405b", hardware="b200", precision="bf16", gpus_per_replica=4)
    est = estimate(catalog, book, model="llama-3.1-405b", hardware="b200", precision="fp4", gpus_per_replica=4)
    assert est.memory_gb["weights"] == pytest.approx(405.85 / 2)


def test_smallest_replica_that_holds_a_fixed_batch(catalog, book):
    # 70B in bf16 is 141 GB of weights: two 80 GiB H100s (77 GB usable each) cannot hold it with
    # 64 x 4,096 tokens of KV cache (0.33 MB/token x 262k tokens = 86 GB); three could, and four
    # is the smallest tensor-parallel size that divides the model's 8 KV heads.
    est = estimate(catalog, book, model="llama-3.1-70b", hardware="h100-sxm", precision="bf16", batch_size=64,
                   context_tokens=4096, input_tokens=2048, output_tokens=512)
    assert est.min_gpus_per_replica == 3
    assert est.gpus_per_replica == 4
    assert est.memory_gb["total"] <= est.memory_gb["available"]


def test_load_sizing_and_targets(catalog, book):
    est = estimate(catalog, book, model="llama-3.1-70b", hardware="h100-sxm", precision="fp8", requests_per_s=20,
                   input_tokens=1000, output_tokens=500, ttft_ms=2000, tpot_ms=50, peak_to_average=1.5)
    r = est.to_dict()
    assert r["per_replica"]["tpot_ms"] <= 50
    assert r["per_replica"]["ttft_ms"] <= 2000
    assert r["replicas"] * r["per_replica"]["requests_per_s"] >= 20 * 1.5
    assert r["gpu_count"] == r["replicas"] * r["gpus_per_replica"]
    assert set(r["memory_gb"]) >= {"weights", "kv_cache", "total", "available"}
    assert set(r["cost_usd_per_million_tokens"]) == {"input", "output"}
    for side in ("input", "output"):
        for kind in ("rent", "own"):
            band = r["cost_usd_per_million_tokens"][side][kind]
            assert 0 < band["low"] <= band["mid"] <= band["high"]


def test_provisioned_power_covers_the_peak(catalog, book):
    r = estimate(catalog, book, model="llama-3.1-70b", hardware="h100-sxm", precision="fp8", requests_per_s=10,
                 peak_to_average=3).to_dict()
    for s in ("low", "mid", "high"):
        assert r["provisioned_power_kw"]["it"][s] >= r["power_kw"]["it"][s]
    # every provisioned GPU at its compute-bound draw (99 % of 700 W) plus its server share
    assert r["provisioned_power_kw"]["it"]["mid"] > r["gpu_count"] * 0.99 * 0.7


def test_mla_kv_cache_is_stored_whole_on_every_tensor_parallel_gpu(catalog, book):
    # MLA's latent is shared by all heads, so tensor parallelism cannot split it.
    est = estimate(catalog, book, model="deepseek-v3", hardware="h200-sxm", precision="fp8", gpus_per_replica=8,
                   batch_size=64, context_tokens=4096, input_tokens=2048, output_tokens=512)
    per_sequence_gb = 4096 * 61 * 576 * 1 / 1e9
    if est.per_replica["parallelism"] == "tensor":
        assert est.memory_gb["kv_cache"] == pytest.approx(64 * per_sequence_gb * 8, rel=1e-6)
    else:
        assert est.memory_gb["kv_cache"] == pytest.approx(64 * per_sequence_gb, rel=1e-6)


def test_a_forced_switch_of_parallelism_is_said(catalog, book):
    # Past expert parallelism's memory the batch may still fit tensor parallelism, at lower
    # throughput; that must not happen silently.
    values = dict(model="mixtral-8x7b", hardware="h100-sxm", precision="bf16", gpus_per_replica=8,
                  input_tokens=16000, output_tokens=4000)
    sh = inf._shape(inference_request(catalog, values))
    req = inference_request(catalog, values)
    ep_most = inf._max_batch(req, sh, 8, "ep")
    assert ep_most < inf._max_batch(req, sh, 8, "tp")
    fits = estimate(catalog, book, batch_size=ep_most, **values)
    forced = estimate(catalog, book, batch_size=ep_most + 1, **values)
    assert fits.per_replica["parallelism"] == "expert"
    assert forced.per_replica["parallelism"] == "tensor"
    assert (f"Expert parallelism would serve more on 8 GPUs but cannot hold batch_size={ep_most + 1}; tensor "
            "parallelism is used.") in forced.warnings


def test_reported_latency_never_rounds_past_its_target(catalog, book):
    # Targets just above what the replica reaches: six significant digits must round down, not up.
    values = dict(model="mixtral-8x7b", hardware="gb200", precision="fp4", output_tokens=2267, gpus_per_replica=4)
    req = inference_request(catalog, values)
    rep = inf._replica(req, inf._shape(req), 4, 1, "mid", "ep")
    ttft, tpot = rep.prefill_s * 1000 * (1 + 1e-9), rep.tpot_s * 1000 * (1 + 1e-9)
    est = estimate(catalog, book, ttft_ms=ttft, tpot_ms=tpot, **values)
    assert est.per_replica["ttft_ms"] <= ttft
    assert est.per_replica["tpot_ms"] <= tpot


def test_api_price_is_shown_next_to_the_estimate(catalog, book):
    r = estimate(catalog, book, model="deepseek-r1", hardware="h200-sxm", precision="fp8").to_dict()
    assert r["api_price_usd_per_million_tokens"]["output"] == 2.19


def test_article_comparison(catalog, book):
    result = compare(catalog, book, "inference", PRESETS["article"],
                     {"hardware": "h200-sxm", "precision": "fp8", "requests_per_s": 10})
    assert result["baseline"] == "llama-3.1-405b"
    assert [r["model"] for r in result["rows"]] == list(PRESETS["article"])
    assert result["ratios"]["llama-3.1-405b"]["output_tokens_per_gpu_hour"] == 1.0
    # DeepSeek-V3 activates 37B of 671B parameters: more output per GPU-hour than a dense 405B.
    assert result["ratios"]["deepseek-v3"]["output_tokens_per_gpu_hour"] > 1.0


def test_training_comparison_tokens_per_gpu_hour(catalog, book):
    result = compare(catalog, book, "training", ["llama-3.1-405b", "deepseek-v3"],
                     {"hardware": "h100-sxm", "tokens": 15e12, "gpus": 16384})
    ratio = result["ratios"]["deepseek-v3"]["tokens_per_gpu_hour"]
    assert 5 < ratio < 15  # 405B dense vs 37B active: roughly the article's "10x for the same compute"


def test_comparison_keeps_rows_that_do_not_fit(catalog, book):
    result = compare(catalog, book, "inference", ["llama-3.1-8b", "llama-3.1-405b"],
                     {"hardware": "l4", "precision": "bf16", "gpus_per_replica": 1})
    assert result["rows"][1]["model"] == "llama-3.1-405b"
    assert result["rows"][1]["error"]["code"] == "does_not_fit"
    assert list(result["ratios"]) == ["llama-3.1-8b"]


# --- Bad input -----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("values", "error", "field", "fragment"),
    [
        ({"requests_per_s": 0}, InvalidInputError, "requests_per_s", "'requests_per_s' must be a finite number greater than 0, got 0."),
        ({"requests_per_s": -3}, InvalidInputError, "requests_per_s", "'requests_per_s' must be a finite number greater than 0, got -3."),
        ({"tokens_per_day": float("nan")}, InvalidInputError, "tokens_per_day", "got nan"),
        ({"requests_per_s": 1, "tokens_per_day": 1e9}, InvalidInputError, "requests_per_s", "not both"),
        ({"peak_to_average": 0.5}, InvalidInputError, "peak_to_average", "cannot be below 1"),
        ({"batch_size": 2.5}, InvalidInputError, "batch_size", "'batch_size' must be a whole number, got 2.5."),
        ({"tpot_ms": 0.2}, InvalidInputError, "tpot_ms", "No batch meets tpot_ms=0.2: 1 sequence takes at least"),
        ({"ttft_ms": 0.01}, InvalidInputError, "ttft_ms", "No configuration meets ttft_ms=0.01: prefilling 1,000 tokens takes"),
        ({"hardware": "a100-80gb-sxm", "precision": "fp8"}, UnsupportedPrecisionError, "precision",
         "has no fp8 tensor cores. Use one of: fp64, tf32, bf16, fp16, or other hardware (fp8 needs Hopper, Ada or later"),
        ({"precision": "fp4"}, UnsupportedPrecisionError, "precision", "fp4 needs Blackwell"),
        ({"model": "llama-3.1-405b", "hardware": "l4", "gpus_per_replica": 8}, DoesNotFitError, "gpus_per_replica",
         "Llama 3.1 405B in bf16 needs 812 GB of weights"),
        ({"input_tokens": 200_000}, InvalidInputError, "input_tokens", "supports at most 131,072 tokens of context"),
        ({"model": "gpt-4-estimate"}, InvalidInputError, "model", "the KV cache cannot be sized"),
        ({"gpus_per_replica": 12}, InvalidInputError, "gpus_per_replica",
         "'gpus_per_replica' beyond one NVIDIA H100 80GB SXM5 tensor-parallel group (8) must be a multiple of it "
         "(pipeline stages), got 12. Try 8 or 16."),
        ({"gpus_per_replica": 3}, InvalidInputError, "gpus_per_replica",
         "Tensor parallelism over 3 GPUs must divide Llama 3.1 8B's 32 attention heads; use one of 1, 2, 4, 8."),
        ({"context_tokens": 1200}, InvalidInputError, "context_tokens",
         "'context_tokens' (1,200) is the KV cache a sequence holds, so it must be at least input + output tokens "
         "(1,000 + 500)."),
        ({"params": 7e9, "model": None}, InvalidInputError, "params", "Serving needs the architecture"),
    ],
)
def test_bad_input(catalog, book, values, error, field, fragment):
    base = {"model": "llama-3.1-8b", "hardware": "h100-sxm", "input_tokens": 1000, "output_tokens": 500}
    with pytest.raises(error) as info:
        estimate(catalog, book, **{**base, **values})
    assert info.value.field == field
    assert fragment in str(info.value)


def test_unknown_ids(catalog, book):
    with pytest.raises(UnknownIdError) as info:
        estimate(catalog, book, model="deepseek-v4", hardware="h200-sxm")
    assert "deepseek-v3" in info.value.data["closest"]


def test_ttft_target_picks_a_parallelism_that_meets_it(catalog, book):
    # Found by API fuzzing: expert parallelism wins on throughput but misses the first-token target;
    # the tensor-parallel layout meets it and must be chosen instead of failing.
    est = estimate(catalog, book, model="deepseek-v3", hardware="h100-sxm", precision="fp8", ttft_ms=50)
    assert est.per_replica["ttft_ms"] <= 50


@pytest.mark.parametrize(
    "values",
    [{"requests_per_s": 5e-324}, {"requests_per_s": 1e308}, {"requests_per_s": 1, "peak_to_average": 1e308},
     {"batch_size": 10**300}],
)
def test_absurd_numbers_are_clean_errors(catalog, book, values):
    with pytest.raises(InvalidInputError) as info:
        estimate(catalog, book, model="llama-3.1-8b", hardware="h100-sxm", **values)
    assert "too large or too small" in str(info.value) or "must be" in str(info.value)


def test_binding_limit_is_named(catalog, book):
    with pytest.raises(InvalidInputError) as info:
        estimate(catalog, book, model="llama-3.1-70b", hardware="h100-sxm", tpot_ms=0.5)
    assert info.value.data["binding"] == "tpot"


# --- Properties ----------------------------------------------------------------------------------
MODELS = st.sampled_from(["llama-3.1-8b", "llama-3.1-70b", "deepseek-v3", "mixtral-8x7b", "mistral-small-3"])


def _fixed(catalog, book, model, batch, context, gpus=8):
    return estimate(catalog, book, model=model, hardware="h200-sxm", precision="fp8", gpus_per_replica=gpus,
                    batch_size=batch, context_tokens=context, input_tokens=min(context - 128, 512), output_tokens=128)


@settings(max_examples=50, deadline=None)
@given(model=MODELS, batch=st.integers(1, 512), extra=st.integers(1, 512), context=st.integers(256, 8192))
def test_larger_batch_never_lowers_throughput_or_tpot(catalog, book, model, batch, extra, context):
    try:
        small = _fixed(catalog, book, model, batch, context)
        large = _fixed(catalog, book, model, batch + extra, context)
    except DoesNotFitError:
        return  # memory ran out: the property holds only until then
    assert large.per_replica["output_tokens_per_s"] >= small.per_replica["output_tokens_per_s"] * (1 - 1e-9)
    assert large.per_replica["tpot_ms"] >= small.per_replica["tpot_ms"]


@settings(max_examples=50, deadline=None)
@given(model=MODELS, batch=st.integers(1, 256), context=st.integers(256, 8192), extra=st.integers(1, 8192))
def test_longer_context_never_makes_a_step_faster(catalog, book, model, batch, context, extra):
    try:
        short = _fixed(catalog, book, model, batch, context)
        long = _fixed(catalog, book, model, batch, context + extra)
    except (DoesNotFitError, InvalidInputError):
        return
    assert long.per_replica["decode_step_ms"] >= short.per_replica["decode_step_ms"]


@settings(max_examples=40, deadline=None)
@given(model=MODELS, rps=st.floats(0.01, 500), factor=st.floats(1.0, 50.0))
def test_more_load_never_needs_fewer_gpus(catalog, book, model, rps, factor):
    base = dict(model=model, hardware="h200-sxm", precision="fp8", input_tokens=1000, output_tokens=300, tpot_ms=80)
    low = estimate(catalog, book, requests_per_s=rps, **base)
    high = estimate(catalog, book, requests_per_s=rps * factor, **base)
    assert high.gpu_count >= low.gpu_count


@settings(max_examples=40, deadline=None)
@given(model=MODELS, rps=st.floats(0.01, 200))
def test_scenarios_are_ordered_before_any_sorting(catalog, book, model, rps):
    """The low scenario is the fast one: per replica it serves the most and the fleet needs the
    fewest replicas. Checked on the scenario values as computed, before reporting sorts a band."""
    from estimator import inference

    req = inference.InferenceRequest(catalog.get_model(model), catalog.get_hardware("h100-sxm"), precision="fp8",
                                     requests_per_s=rps)
    sh = inference._shape(req)
    load = inference._load(req, sh)
    reps = inference._replicas(req, sh, load).by_scenario
    assert reps["low"].requests_per_s >= reps["mid"].requests_per_s >= reps["high"].requests_per_s
    fleet = inference._fleet(req, sh, load, reps)
    assert fleet.replicas.low <= fleet.replicas.mid <= fleet.replicas.high


@settings(max_examples=60, deadline=None)
@given(model=MODELS, hardware=st.sampled_from(["h100-sxm", "h200-sxm", "l40s"]), gpus=st.sampled_from([1, 2, 4, 8, 16]),
       mode=st.sampled_from(["tp", "ep"]), tpot_ms=st.floats(5.0, 400.0), scenario=st.sampled_from(["low", "mid", "high"]))
def test_batch_search_finds_the_largest_batch_within_the_tpot_target(catalog, book, model, hardware, gpus, mode,
                                                                       tpot_ms, scenario):
    """``_best_batch`` against a linear scan of every batch that fits: the largest batch whose time
    per output token meets the target (the search checks the largest batch first, then bisects)."""
    req = inference_request(catalog, {"model": model, "hardware": hardware, "precision": "fp8", "tpot_ms": tpot_ms})
    if mode == "ep" and (not req.model.is_moe or gpus == 1):
        return
    sh = inf._shape(req)
    top = inf._max_batch(req, sh, gpus, mode)
    found = inf._best_batch(req, sh, gpus, scenario, mode)
    meeting = [b for b in range(1, top + 1) if inf._replica(req, sh, gpus, b, scenario, mode).tpot_s * 1000.0 <= tpot_ms]
    if not meeting:
        assert found is None
        return
    assert found is not None
    assert found.batch == max(meeting)
    assert found == inf._replica(req, sh, gpus, found.batch, scenario, mode)


@pytest.mark.parametrize("value", [float("inf"), float("-inf"), float("nan")])
def test_a_non_finite_figure_is_an_input_error_not_json(value):
    """Every reported figure is rounded in one place; a non-finite one stops there with the message
    out_of_range gives, since JSON has no such numbers."""
    with pytest.raises(InvalidInputError, match=r"too large or too small for the estimate to be computed \(OverflowError\)"):
        Band(1.0, value, 2.0).to_dict()


@settings(max_examples=150, deadline=None)
@given(
    model=st.sampled_from(["llama-3.1-8b", "llama-3.1-70b", "llama-3.1-405b", "deepseek-v3", "mixtral-8x7b",
                           "mixtral-8x22b", "mistral-small-3"]),
    hardware=st.sampled_from(["h100-sxm", "h200-sxm", "b200", "a100-80gb-sxm", "l40s", "l4", "gb200"]),
    precision=st.sampled_from(["fp8", "bf16"]),
    rps=st.one_of(st.floats(1e-4, 5e4), st.sampled_from([1e-9, 0.5, 1.0, 20.0])),
    peak=st.one_of(st.none(), st.floats(1.0, 20.0)),
    ttft_ms=st.one_of(st.none(), st.floats(50.0, 20000.0)),
    tpot_ms=st.one_of(st.none(), st.floats(5.0, 400.0)),
    tokens=st.tuples(st.integers(16, 16000), st.integers(1, 4000)),
    batch=st.one_of(st.none(), st.integers(1, 256)),
)
def test_pruned_replica_search_equals_the_full_search(catalog, book, model, hardware, precision, rps, peak, ttft_ms,
                                                      tpot_ms, tokens, batch):
    """With a load, ``_choose`` stops at replica sizes above the fewest GPUs in total found so far
    (issue 14); the replica it picks (and so every figure) is the one the search over every size picks."""
    values = {"model": model, "hardware": hardware, "precision": precision, "requests_per_s": rps,
              "input_tokens": tokens[0], "output_tokens": tokens[1], "peak_to_average": peak, "ttft_ms": ttft_ms,
              "tpot_ms": tpot_ms, "batch_size": batch}
    try:
        req = inference_request(catalog, {k: v for k, v in values.items() if v is not None})
        inf.validate(req)
        sh = inf._shape(req)
    except (InvalidInputError, UnsupportedPrecisionError, DoesNotFitError):
        return
    load = inf._load(req, sh)
    candidates = inf._candidate_gpus(req, sh)

    def outcome(prune: bool):
        try:
            return inf._choose(req, sh, candidates, load.requests_per_s, load.peak_to_average, prune=prune)
        except (ArithmeticError, ValueError) as exc:
            return type(exc)

    assert outcome(True) == outcome(False)
