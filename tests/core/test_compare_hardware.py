"""Which GPU for this workload (estimator/compare_hardware.py): golden rankings, the ranking rule
as a property, the best-precision rule, rows that cannot run, and bad entries."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from estimator.compare_hardware import (
    DEFAULT_RANK,
    HEADLINES,
    MAX_ENTRIES,
    RANKABLE,
    best_precision,
    compare_hardware,
    rank_key,
    rank_rows,
)
from estimator.errors import DoesNotFitError, InvalidInputError, UnknownIdError, UnsupportedPrecisionError
from estimator.inference import estimate_inference
from estimator.inputs import inference_request, training_request
from estimator.training import estimate_training

SERVING = {"requests_per_s": 20, "input_tokens": 1000, "output_tokens": 500, "ttft_ms": 500, "tpot_ms": 30}
TRAINING = {"tokens": 15e12, "gpus": 1024}


def _order(result):
    return [(r["rank"], r["entry"]) for r in result["rows"]]


# --- Golden rankings ----------------------------------------------------------------------------
def test_golden_serving_ranking(catalog, book):
    """Llama 3.1 70B serving 20 requests/s (1,000 in / 500 out) within TTFT 500 ms and TPOT 30 ms,
    each GPU at its best precision (B200 fp4, H100/H200 fp8, A100 bf16, L4 fp8), ranked by the mid
    estimate of the cost owning the GPUs, USD per million output tokens:

        b200:fp4            0.0895  (low 0.0713, high 0.193)
        h200-sxm:fp8        0.255   (141 GB per GPU: fewer replicas than H100 at the same TFLOP/s)
        h100-sxm:fp8        0.301
        a100-80gb-sxm:bf16  0.747   (no fp8: twice the weight bytes, half the tensor peak)
        l4:fp8              cannot run: one sequence already takes 44.8 ms per output token (> 30)

    The order follows the mids by hand: 0.0895 < 0.255 < 0.301 < 0.747. The baseline is the
    first entry that runs (h100-sxm:fp8), so B200's ratio is 0.0895 / 0.301 = 0.297. (Seed book of
    issue 14, current points only (within 548 days of the newest of each kind and GPU): H100 capex
    mid $39,062.5/GPU (median of $30,000, $31,250, $46,875, $50,000; the 2023 DGX is history), B200
    $40,000 (the 2026 street price alone; the 2024-12 DGX B200 is history), H200 $40,000 (median of
    $35,000, $40,000 and $52,500; the 2025-01 HGX board is history), A100 80GB $17,499; electricity
    in the default market, United States: 0.066 / 0.0892 / 0.0929 USD/kWh (Texas, Virginia, US Jan
    2026; the EU's 0.2092 is another market); hosting mid $184.06/kW-month (median of 174.06, 184.06,
    194.95).)"""
    result = compare_hardware(catalog, book, "inference", "llama-3.1-70b",
                              ["h100-sxm", "h200-sxm", "b200", "a100-80gb-sxm", "l4"], SERVING)
    assert _order(result) == [(1, "b200:fp4"), (2, "h200-sxm:fp8"), (3, "h100-sxm:fp8"), (4, "a100-80gb-sxm:bf16"),
                              (None, "l4:fp8")]
    assert result["rank_by"] == "cost_usd_per_million_output_tokens_own"
    assert result["baseline"] == "h100-sxm:fp8"
    mids = [r["figures"]["cost_usd_per_million_output_tokens_own"]["mid"] for r in result["rows"][:4]]
    assert mids == pytest.approx([0.0894728, 0.254748, 0.301439, 0.747276], rel=1e-5)
    assert result["rows"][0]["ratios"]["cost_usd_per_million_output_tokens_own"] == pytest.approx(0.2968, abs=1e-4)
    assert result["rows"][2]["ratios"]["cost_usd_per_million_output_tokens_own"] == 1.0
    l4 = result["rows"][4]
    assert l4["error"]["code"] == "invalid_input" and l4["error"]["binding"] == "tpot"
    assert l4["latency"] == {"met": False, "binding": "tpot", "ttft_ms": None, "tpot_ms": None}
    assert "ratios" not in l4 and "figures" not in l4
    assert {r["precision_chosen"] for r in result["rows"]} == {"best"}


def test_golden_training_ranking(catalog, book):
    """Llama 3.1 70B on 15T tokens with 1,024 GPUs, ranked by the mid cost renting the GPUs (USD):

        b200:fp8            16.4M  (2.72M GPU-hours x $6.03, the highest mid rental price per hour)
        h100-sxm:fp8        17.7M  (4.59M GPU-hours x $3.85)
        h100-sxm:bf16       24.6M  (6.40M GPU-hours x $3.85: the same GPU without fp8)
        a100-80gb-sxm:bf16  26.8M  (16.7M GPU-hours x $1.60)
        l4:fp8              61.2M  (49.5M GPU-hours x $1.2368, the median of AWS g6.xlarge $0.8048 and
                                    g6.48xlarge $13.3504 / 8 = $1.6688, Aug 2026)

    Rent mids are the medians of the seed book's current points (issue 14: within 548 days of each
    GPU's newest; H100's 13 of 2025-2026, not its 7 older ones); GPU-hours with the whole-run goodput
    mid 0.6575 (defaults.GOODPUT). H100 fp8 has a lower low (7.25M) than B200 (7.44M) but a higher
    mid: ranked by mid, second."""
    result = compare_hardware(catalog, book, "training", "llama-3.1-70b",
                              ["h100-sxm", "h100-sxm:bf16", "a100-80gb-sxm", "b200", "l4"], TRAINING)
    assert _order(result) == [(1, "b200:fp8"), (2, "h100-sxm:fp8"), (3, "h100-sxm:bf16"), (4, "a100-80gb-sxm:bf16"),
                              (5, "l4:fp8")]
    mids = [r["figures"]["cost_usd_rent"]["mid"] for r in result["rows"]]
    assert mids == pytest.approx([16398200.0, 17661000.0, 24628300.0, 26762200.0, 61201700.0], rel=1e-5)
    assert result["rows"][1]["figures"]["cost_usd_rent"]["low"] < result["rows"][0]["figures"]["cost_usd_rent"]["low"]
    assert [r["precision_chosen"] for r in result["rows"]] == ["best", "best", "given", "best", "best"]
    assert result["rows"][0]["figures"]["gpus"] == 1024  # a fixed count is one value, not a band
    assert "latency" not in result["rows"][0]


@pytest.mark.parametrize("workload", ["inference", "training"])
def test_rows_are_the_ordinary_estimates(catalog, book, workload):
    """One code path: each row's estimate is estimate_<workload>(...).to_dict() for its GPU and
    precision, and its figures are read from that estimate."""
    values = SERVING if workload == "inference" else TRAINING
    result = compare_hardware(catalog, book, workload, "llama-3.1-8b", ["h100-sxm", "a100-80gb-sxm:bf16"], values)
    for row in result["rows"]:
        request = {**values, "model": "llama-3.1-8b", "hardware": row["hardware"], "precision": row["precision"]}
        if workload == "inference":
            single = estimate_inference(inference_request(catalog, request), book, catalog).to_dict()
        else:
            single = estimate_training(training_request(catalog, request), book, catalog).to_dict()
        assert row["estimate"] == single
        assert list(row["figures"]) == [h.name for h in HEADLINES[workload] if h.value(single) is not None]
        for h in HEADLINES[workload]:
            assert row["figures"].get(h.name) == h.value(single)


def test_serving_fleet_gpus_are_replicas_times_gpus_per_replica(catalog, book):
    result = compare_hardware(catalog, book, "inference", "llama-3.1-70b", ["h100-sxm"], SERVING)
    figures, estimate = result["rows"][0]["figures"], result["rows"][0]["estimate"]
    assert figures["gpus"] == {s: estimate["replicas_range"][s] * estimate["gpus_per_replica"] for s in ("low", "mid", "high")}
    assert figures["gpus"]["mid"] == estimate["gpu_count"]
    assert result["rows"][0]["latency"] == {"met": True, "binding": None, "ttft_ms": estimate["per_replica"]["ttft_ms"],
                                            "tpot_ms": estimate["per_replica"]["tpot_ms"]}


# --- The ranking rule ----------------------------------------------------------------------------
BANDS = st.lists(st.floats(0.001, 1e6, allow_nan=False), min_size=3, max_size=3).map(sorted)


@settings(max_examples=200, deadline=None)
@given(bands=st.lists(BANDS, min_size=1, max_size=12))
def test_a_gpu_is_never_ranked_cheaper_than_one_that_is_cheaper_in_every_scenario(bands):
    rows = [{"entry": f"gpu{i}:bf16", "figures": {"cost_usd_rent": dict(zip(("low", "mid", "high"), b, strict=True))}}
            for i, b in enumerate(bands)]
    result = rank_rows(rows + [{"entry": "late:bf16", "error": {}}], "cost_usd_rent")
    ranked = [r["figures"]["cost_usd_rent"] for r in result[:-1]]
    assert [r["rank"] for r in result[:-1]] == list(range(1, len(rows) + 1))
    assert result[-1]["entry"] == "late:bf16" and "rank" not in result[-1]
    for i, first in enumerate(ranked):
        for later in ranked[i + 1:]:
            assert not all(first[s] > later[s] for s in ("low", "mid", "high"))
            assert first["mid"] <= later["mid"]


def test_rank_key_is_mid_then_high_then_low():
    assert rank_key({"low": 1, "mid": 2, "high": 3}) == (2.0, 3.0, 1.0)
    assert rank_key(8) == (8.0, 8.0, 8.0)


def test_ranking_by_another_figure(catalog, book):
    result = compare_hardware(catalog, book, "inference", "llama-3.1-70b", ["h100-sxm", "b200", "a100-80gb-sxm"],
                              SERVING, rank_by="joules_per_token")
    joules = [r["figures"]["joules_per_token"]["mid"] for r in result["rows"]]
    assert joules == sorted(joules) and result["rank_by"] == "joules_per_token"


def test_every_rankable_figure_is_a_headline():
    for workload, names in RANKABLE.items():
        assert DEFAULT_RANK[workload] in names
        assert set(names) <= {h.name for h in HEADLINES[workload]}


# --- Precision ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("hardware", "serving", "training"),
    [("b200", "fp4", "fp8"), ("gb200", "fp4", "fp8"), ("h100-sxm", "fp8", "fp8"), ("l40s", "fp8", "fp8"),
     ("a100-80gb-sxm", "bf16", "bf16")],
)
def test_best_supported_precision(catalog, hardware, serving, training):
    hw = catalog.get_hardware(hardware)
    assert best_precision("inference", hw) == serving
    assert best_precision("training", hw) == training


def test_an_fp8_and_a_bf16_row_of_one_gpu(catalog, book):
    result = compare_hardware(catalog, book, "inference", "llama-3.1-8b", ["h100-sxm:fp8", "H100:BF16"], {})
    assert {r["entry"] for r in result["rows"]} == {"h100-sxm:fp8", "h100-sxm:bf16"}
    assert {r["precision_chosen"] for r in result["rows"]} == {"given"}


def test_a_fixed_precision_the_gpu_lacks_keeps_the_row(catalog, book):
    result = compare_hardware(catalog, book, "inference", "llama-3.1-405b", "all", {"precision": "fp4"})
    ran = [r["entry"] for r in result["rows"] if r["rank"]]
    assert ran == ["gb200:fp4", "b200:fp4", "gb300:fp4"]
    errors = [r for r in result["rows"] if "error" in r]
    assert len(errors) == len(catalog.hardware) - 3
    assert {r["error"]["code"] for r in errors} == {"unsupported_precision"}
    assert result["rows"][-1]["entry"] == "a100-80gb-pcie:fp4"  # catalog order among the rows that cannot run


def test_all_lists_every_catalog_gpu(catalog, book):
    result = compare_hardware(catalog, book, "training", "llama-3.1-8b", "all", {"tokens": 1e12, "gpus": 64})
    assert sorted(r["hardware"] for r in result["rows"]) == sorted(catalog.hardware)


# --- Errors ----------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("hardware", "kwargs", "error", "field", "message"),
    [
        ([], {}, InvalidInputError, "hardware", 'Give 1 to 24 hardware entries, or "all"; got 0.'),
        (["h100-sxm"] * (MAX_ENTRIES + 1), {}, InvalidInputError, "hardware",
         'Give 1 to 24 hardware entries, or "all"; got 25.'),
        ("everything", {}, InvalidInputError, "hardware",
         "'hardware' must be a list of hardware ids or \"all\", got 'everything'."),
        (["h100-sxm", "h1000"], {}, UnknownIdError, "hardware.1",
         "Unknown hardware 'h1000'. Closest: h100-sxm, h100-pcie, h20. See `estimator catalog hardware` for all ids."),
        (["h100-sxm", "h100:fp8"], {}, InvalidInputError, "hardware.1",
         "Entry 1 ('h100:fp8') is h100-sxm:fp8, like entry 0: each GPU and precision may appear once (give another "
         "precision with ':', e.g. ':bf16')."),
        (["h100-sxm:fp9"], {}, InvalidInputError, "hardware.0",
         "Unknown precision 'fp9' in entry 'h100-sxm:fp9': write '<hardware>:<precision>' with one of bf16, fp16, "
         "fp8, fp4, int4 (inference), e.g. 'h100-sxm:bf16'."),
        (["h100-sxm", "all"], {}, InvalidInputError, "hardware.1",
         "'all' stands alone: give \"all\" instead of a list, not inside one."),
        (["h100-sxm"], {"rank_by": "speed"}, InvalidInputError, "rank_by",
         "Cannot rank inference by 'speed': use one of gpus, replicas, cost_usd_per_million_output_tokens_own, "
         "cost_usd_per_million_output_tokens_rent, provisioned_power_kw, energy_mwh_per_day, joules_per_token, "
         "ttft_ms, tpot_ms."),
        (["h100-sxm"], {"baseline": "b200"}, InvalidInputError, "baseline",
         "The baseline 'b200' is not one of the entries (h100-sxm:fp8)."),
        (["h100-sxm:fp8", "h100-sxm:bf16"], {"baseline": "h100"}, InvalidInputError, "baseline",
         "The baseline 'h100' matches several entries: add its precision, e.g. ':fp8' (h100-sxm:fp8, h100-sxm:bf16)."),
    ],
)
def test_bad_entries(catalog, book, hardware, kwargs, error, field, message):
    with pytest.raises(error) as info:
        compare_hardware(catalog, book, "inference", "llama-3.1-8b", hardware, {}, **kwargs)
    assert info.value.field == field
    assert info.value.message == message


def test_a_baseline_that_cannot_run_fails_the_comparison(catalog, book):
    with pytest.raises(UnsupportedPrecisionError) as info:
        compare_hardware(catalog, book, "inference", "llama-3.1-8b", ["b200:fp4", "h100-sxm:fp4"], {},
                         baseline="h100-sxm")
    assert info.value.field == "baseline"
    assert info.value.message.startswith("The baseline h100-sxm:fp4 cannot run this workload: NVIDIA H100 80GB SXM5 "
                                         "has no fp4 tensor cores.")


def test_when_no_gpu_can_run_the_first_error_says_so(catalog, book):
    with pytest.raises(DoesNotFitError) as info:
        compare_hardware(catalog, book, "training", "llama-3.1-405b", ["l4", "a100-40gb-sxm"], {"tokens": 1e12, "gpus": 8})
    assert info.value.message.startswith("None of the 2 GPU entries can run this workload; the first, l4:fp8: ")
    assert info.value.data["min_gpus"] > 8


def test_an_input_error_common_to_every_row_is_raised(catalog, book):
    with pytest.raises(InvalidInputError) as info:
        compare_hardware(catalog, book, "inference", "llama-3.1-8b", ["h100-sxm", "b200"],
                         {"requests_per_s": 1, "tokens_per_day": 1e9})
    assert info.value.field == "requests_per_s"


def test_an_unknown_model_is_one_error(catalog, book):
    with pytest.raises(UnknownIdError) as info:
        compare_hardware(catalog, book, "inference", "llama-3.1-450b", ["h100-sxm"], {})
    assert info.value.field == "model"


# --- The default baseline -----------------------------------------------------------------------
def test_all_divides_by_the_h100_sxm_by_default(catalog, book):
    """With "all" the ratios divide by H100 SXM, the field's reference GPU, not by the first catalog
    GPU (A100 40GB). Same case as the golden serving ranking above, so by hand: H100 fp8 0.301,
    B200 fp4 0.0895 -> 0.0895 / 0.301 = 0.297x; A100 80GB bf16 0.747 -> 0.747 / 0.301 = 2.48x."""
    result = compare_hardware(catalog, book, "inference", "llama-3.1-70b", "all", SERVING)
    assert result["rows"][0]["entry"] != "h100-sxm:fp8"  # the baseline is not simply the first row
    assert result["baseline"] == "h100-sxm:fp8"
    ratios = {r["entry"]: r["ratios"]["cost_usd_per_million_output_tokens_own"] for r in result["rows"] if r["rank"]}
    assert ratios["h100-sxm:fp8"] == 1.0
    assert ratios["b200:fp4"] == pytest.approx(0.2968, abs=1e-4)
    assert ratios["a100-80gb-sxm:bf16"] == pytest.approx(0.747276 / 0.301439, rel=1e-5)


def test_all_without_a_running_h100_divides_by_the_first_catalog_gpu_that_runs(catalog, book):
    """fp4 for every GPU: H100 has no fp4 tensor cores, so its row cannot run; the first catalog GPU
    that can is B200 (catalog order: ..., h200-sxm, b200, gb200, ...), though GB200 ranks first."""
    result = compare_hardware(catalog, book, "inference", "llama-3.1-405b", "all", {"precision": "fp4"})
    assert result["rows"][0]["entry"] == "gb200:fp4"
    assert result["baseline"] == "b200:fp4"


def test_a_list_divides_by_its_first_entry_that_runs_even_when_h100_is_listed(catalog, book):
    """The order of a list is the user's: the H100 rule applies to "all" only."""
    result = compare_hardware(catalog, book, "inference", "llama-3.1-70b", ["l4", "b200", "h100-sxm"], SERVING)
    assert result["baseline"] == "b200:fp4"  # l4 cannot meet TPOT 30 ms (golden serving case)
