"""Batch estimates (issue 15): every row equals the single estimate, errors per row, columns from figures."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from estimator import batch, figures
from estimator.errors import EstimatorError
from estimator.inference import estimate_inference
from estimator.inputs import inference_request, training_request
from estimator.training import estimate_training

MODELS = ("llama-3.1-8b", "llama-3.1-70b", "mixtral-8x7b", "deepseek-v3", "qwen2.5-72b")
GPUS = ("h100-sxm", "a100-80gb-sxm", "h200-sxm", "b200", "l4")

training_rows = st.fixed_dictionaries(
    {"workload": st.just("training"), "model": st.sampled_from(MODELS), "hardware": st.sampled_from(GPUS),
     "tokens": st.floats(1e9, 2e13)},
    optional={"gpus": st.sampled_from([1, 8, 64, 1024, 16384]), "deadline_days": st.floats(1, 365),
              "precision": st.sampled_from(["bf16", "fp8"]), "utilisation": st.floats(0.05, 0.7),
              "pue": st.floats(1.0, 2.0), "usd_per_gpu_hour": st.floats(0.5, 10)},
)
serving_rows = st.fixed_dictionaries(
    {"workload": st.sampled_from(["inference", "serving"]), "model": st.sampled_from(MODELS),
     "hardware": st.sampled_from(GPUS)},
    optional={"requests_per_s": st.floats(0.1, 200), "tpot_ms": st.floats(5, 200), "input_tokens": st.integers(1, 8000),
              "output_tokens": st.integers(1, 4000), "precision": st.sampled_from(["bf16", "fp8"]),
              "gpus_per_replica": st.sampled_from([1, 2, 8])},
)


def _single(catalog, book, row: dict[str, Any]) -> dict[str, Any]:
    """What one estimate gives for the row, the way the CLI and the API call it: cells or the error."""
    values = {k: v for k, v in row.items() if k != "workload"}
    try:
        if row["workload"] == "training":
            result = estimate_training(training_request(catalog, values), book, catalog).to_dict()
            return batch.result_cells("training", result) | {"error": ""}
        result = estimate_inference(inference_request(catalog, values), book, catalog).to_dict()
        return batch.result_cells("inference", result) | {"error": ""}
    except EstimatorError as exc:
        return {"error": exc.message}


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=st.lists(st.one_of(training_rows, serving_rows), min_size=1, max_size=6))
def test_every_row_equals_its_single_estimate(catalog, book, rows) -> None:
    """Valid rows carry the single estimate's figures to the digit; a row the core refuses (does
    not fit, both gpus and deadline, fp8 on an A100) carries the core's message and blank figures."""
    out = list(batch.estimate_rows(rows, batch.single_estimate(catalog, lambda ref: book)))
    assert len(out) == len(rows)
    for row, got in zip(rows, out, strict=True):
        expected = _single(catalog, book, row)
        assert {k: got[k] for k in row} == row  # the input columns come back unchanged
        assert {k: got[k] for k in expected} == expected
        if expected["error"]:
            assert set(got) == {*row, "error"}


def test_result_columns_come_from_the_figure_declarations() -> None:
    names = [c.name for c in batch.result_columns("training")]
    # GPU-hours is a band in GPU·h (figures.Training.GPU_HOURS): mid first, then low and high.
    assert names[names.index("gpu_hours.mid (GPU·h)"):][:3] == [
        "gpu_hours.mid (GPU·h)", "gpu_hours.low (GPU·h)", "gpu_hours.high (GPU·h)"]
    assert "precision (used)" in names  # the echo of an input column is told apart from it
    assert "gpu_count (GPUs)" in names and "cost_usd.rent.mid (USD)" in names
    assert not {"workload", "model", "hardware", "assumptions", "pricing"} & set(names)
    bands = [f for f in figures.FIGURES["training"] if f.kind == figures.BAND]
    values = [f for f in figures.FIGURES["training"] if f.kind == figures.VALUE and f.key not in batch._ECHOED]
    assert len(names) == 3 * len(bands) + len(values)
    serving = batch.output_columns(["serving"])
    assert serving[-2:] == ["warnings", "error"]
    assert "cost_usd_per_million_tokens.output.rent.mid (USD per million tokens)" in serving


def test_a_bad_row_never_fails_the_others(catalog, book) -> None:
    rows = [
        {"workload": "training", "model": "llama-3.1-70b", "tokens": 15.6e12, "hardware": "h100-sxm", "gpus": 1024},
        {"workload": "training", "model": "llama-3.1-70b", "tokens": 15.6e12, "hardware": "h100-sxmm", "gpus": 1024},
        {"workload": "rendering", "model": "llama-3.1-70b"},
        {"workload": None},
        {"workload": "training", "model": "llama-3.1-405b", "tokens": 15.6e12, "hardware": "h100-sxm", "gpus": 8},
    ]
    out = list(batch.estimate_rows(rows, batch.single_estimate(catalog, lambda ref: book)))
    # 1,024 H100s for Llama 3.1 70B on 15.6T tokens: the same number as the single estimate.
    assert out[0]["gpu_count (GPUs)"] == 1024 and out[0]["error"] == ""
    assert out[0]["gpu_hours.mid (GPU·h)"] == _single(catalog, book, rows[0])["gpu_hours.mid (GPU·h)"]
    assert out[1]["error"] == ("Unknown hardware 'h100-sxmm'. Closest: h100-sxm, h800-sxm, h200-sxm. "
                               "See `estimator catalog hardware` for all ids.")
    assert out[2]["error"] == out[3]["error"] == "workload: Must be one of: training, inference, serving."
    assert out[4]["error"] == _single(catalog, book, rows[4])["error"]
    assert out[4]["error"].startswith("Llama 3.1 405B")  # does not fit: the core's message says what would


def test_each_distinct_scenario_is_estimated_once() -> None:
    calls: list[tuple[str, dict[str, Any]]] = []

    def estimate(workload: str, values: Any) -> dict[str, Any]:
        calls.append((workload, dict(values)))
        return {"gpu_count": 8, "warnings": ["a", "b"]}

    rows = [{"workload": "training", "model": "m", "tokens": 1.0, "blank": ""},
            {"workload": "training", "tokens": 1.0, "model": "m"},  # same scenario, other column order, no blank
            {"workload": "training", "model": "m", "tokens": 2.0}]
    out = list(batch.estimate_rows(rows, estimate))
    assert calls == [("training", {"model": "m", "tokens": 1.0}), ("training", {"model": "m", "tokens": 2.0})]
    assert [r["gpu_count (GPUs)"] for r in out] == [8, 8, 8]
    assert out[0]["warnings"] == "a | b"


def test_an_unexpected_failure_is_the_api_500_message(caplog: pytest.LogCaptureFixture) -> None:
    def broken(workload: str, values: Any) -> dict[str, Any]:
        raise ZeroDivisionError("bug")

    out = list(batch.estimate_rows([{"workload": "training"}], broken))
    assert out == [{"workload": "training", "error": "An unexpected error occurred on the server. It has been logged."}]
    assert "Batch row failed unexpectedly" in caplog.text


# --- Grouped training rows: the pipeline once per structure, over the rows' token counts --------
structures = st.fixed_dictionaries(
    {"workload": st.just("training"), "model": st.sampled_from(MODELS), "hardware": st.sampled_from(GPUS)},
    optional={"gpus": st.sampled_from([8, 64, 1024, 16384]), "deadline_days": st.floats(1, 365),
              "precision": st.sampled_from(["bf16", "fp8"]), "utilisation": st.floats(0.05, 0.7),
              "pue": st.floats(1.0, 2.0), "usd_per_gpu_hour": st.floats(0.5, 10), "recompute": st.just("full")},
)
# Down to a few sequences per GPU (the warning of its own) and up to the schema's 1e18.
token_counts = st.one_of(st.floats(1e9, 2e13), st.floats(1e5, 1e9), st.floats(1e13, 1e18))


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sweeps=st.lists(st.tuples(structures, st.lists(token_counts, min_size=1, max_size=8)), min_size=1, max_size=4),
       shuffle=st.randoms())
def test_grouped_rows_equal_their_single_estimates(catalog, book, sweeps, shuffle) -> None:
    """Rows sharing everything but tokens run the pipeline once over an array of token counts; each
    row still equals its single estimate to the digit, warnings and errors included."""
    rows = [{**structure, "tokens": t} for structure, tokens in sweeps for t in tokens]
    shuffle.shuffle(rows)
    _assert_batch_equals_single(catalog, book, rows, "training")


# Per row: the overrides a price / utilisation sweep varies (each present or not, a value each row).
row_overrides = st.fixed_dictionaries({}, optional={
    "utilisation": st.floats(0.05, 0.7), "goodput": st.floats(0.5, 1.0), "pue": st.floats(1.0, 2.0),
    "grid_kg_co2_per_kwh": st.floats(0.01, 1.0), "usd_per_gpu_hour": st.floats(0.5, 10),
    "capex_usd_per_gpu": st.floats(5_000, 80_000), "usd_per_kwh": st.floats(0.01, 0.5)})


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sweeps=st.lists(st.tuples(structures, st.lists(st.tuples(token_counts, row_overrides), min_size=1, max_size=8)),
                       min_size=1, max_size=4),
       shuffle=st.randoms())
def test_rows_differing_in_prices_and_utilisation_equal_their_single_estimates(catalog, book, sweeps, shuffle) -> None:
    """Rows that differ in tokens and in the price, PUE, grid and utilisation overrides share a group
    where the same overrides are given (arrays of the rows' values); each row still equals its single
    estimate, the stale-price warnings of rows without a price included."""
    rows = [{**structure, **overrides, "tokens": t} for structure, group in sweeps for t, overrides in group]
    shuffle.shuffle(rows)
    _assert_batch_equals_single(catalog, book, rows, "training")


def test_a_price_sweep_runs_one_group_per_structure(catalog, book, monkeypatch: pytest.MonkeyPatch) -> None:
    """Four rental prices and two utilisations over one model x GPU x count: one pipeline run for
    the rows giving both, arrays of their values."""
    runs: list[dict[str, Any]] = []
    real = batch.SingleEstimate.run

    def counted(self, workload, values, arrays=None):
        runs.append({k: len(v) for k, v in (arrays or {}).items()})
        return real(self, workload, values, arrays)

    monkeypatch.setattr(batch.SingleEstimate, "run", counted)
    rows = [{"workload": "training", "model": "llama-3.1-70b", "hardware": "h100-sxm", "gpus": 1024,
             "tokens": 1e12 * (1 + i), "usd_per_gpu_hour": 1.5 + 0.5 * (i % 4), "utilisation": 0.3 + 0.1 * (i % 2)}
            for i in range(16)]
    _assert_batch_equals_single(catalog, book, rows, "training")
    assert runs == [{"tokens": 16, "utilisation": 16, "usd_per_gpu_hour": 16}]


def _assert_batch_equals_single(catalog, book, rows: list[dict[str, Any]], workload: str) -> None:
    """Every row of one batch run equals its single estimate (NaN cells read as missing)."""
    columns = [*dict.fromkeys(k for r in rows for k in r), *batch.output_columns([workload])]
    out = batch.estimate_columns(rows, batch.single_estimate(catalog, lambda ref: book), columns)
    for i, row in enumerate(rows):
        expected = _single(catalog, book, row)
        got = {k: out[k][i] for k in expected}
        got = {k: None if isinstance(v, float) and v != v else v for k, v in got.items()}
        assert got == expected, (row, {k: (got[k], expected[k]) for k in expected if got[k] != expected[k]})


def test_sheet_rows_are_checked_together_as_one_by_one() -> None:
    from estimator.app.batch_rows import check_text_row, check_text_rows

    base = {"model": "llama-3.1-70b", "hardware": "h100-sxm", "gpus": "1024"}
    tokens = ["15.6e12", "1e12", " 2e12 ", "abc", "-1", "1e999", "0", "", "2.5", "1e19", "5"]
    rows = [{**base, "tokens": t} for t in tokens] + [{**base, "gpus": "2.5", "tokens": "1e12"}, dict(base)]
    together = check_text_rows("training", rows)
    for row, got in zip(rows, together, strict=True):
        try:
            expected: Any = check_text_row("training", row)
        except EstimatorError as exc:
            expected = exc.message
        assert (got.message if isinstance(got, EstimatorError) else got) == expected


def test_a_sweep_is_checked_column_by_column_as_one_by_one() -> None:
    """check_text_sweep: the base once, the varying number columns by their fields' ranges; a row it
    lets through loads to the same values as check_text_row, a row it stops is one check_text_row refuses
    or one that reads differently (left to the row-by-row path)."""
    import numpy as np

    from estimator.app.batch_rows import check_text_row, check_text_sweep

    base = {"model": "llama-3.1-70b", "hardware": "h100-sxm", "gpus": "1024"}
    tokens = ["15.6e12", "1e12", " 2e12 ", "abc", "-1", "1e999", "0", "2.5", "1e19", "5", "nan", "1_000", 3e12]
    prices = ["2", "0", "2.5", "1e9", "x", "3", "", "-2", "2", "2", "2", "2", 1.5]
    util = ["0.4", "0.4", "1.5", "0.4", "0.4", "0.4", "0.4", "0.4", "0.4", "0.0001", "0.4", "0.4", 0.3]
    varying = {"tokens": np.array(tokens, dtype=object), "usd_per_gpu_hour": np.array(prices, dtype=object),
               "utilisation": np.array(util, dtype=object)}
    loaded, arrays, ok = check_text_sweep("training", base, varying)
    assert loaded is not None and ok.tolist() == [True] + [False] * 11 + [True]
    for j in range(len(tokens)):
        row = {**base, **{k: v[j] for k, v in varying.items()}}
        try:
            expected: Any = check_text_row("training", row)
        except EstimatorError:
            expected = None
        if ok[j]:
            assert {**loaded, **{k: float(a[j]) for k, a in arrays.items()}} == expected
        else:
            assert expected is None or any(isinstance(v[j], str) and not v[j].strip() for v in varying.values())
    assert check_text_sweep("training", {**base, "gpus": "2.5"}, varying)[0] is None


serving_structures = st.fixed_dictionaries(
    {"workload": st.sampled_from(["inference", "serving"]), "model": st.sampled_from(MODELS),
     "hardware": st.sampled_from(GPUS)},
    optional={"tpot_ms": st.floats(5, 200), "input_tokens": st.integers(1, 8000), "output_tokens": st.integers(1, 4000),
              "precision": st.sampled_from(["bf16", "fp8"]), "gpus_per_replica": st.sampled_from([1, 2, 8]),
              "batch_size": st.sampled_from([1, 16, 256])},
)
loads = st.fixed_dictionaries({}, optional={"requests_per_s": st.floats(0.1, 500), "ttft_ms": st.floats(50, 5000),
                                            "usd_per_gpu_hour": st.floats(0.5, 10), "pue": st.floats(1.0, 2.0)})


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sweeps=st.lists(st.tuples(serving_structures, st.lists(loads, min_size=1, max_size=5)), min_size=1, max_size=3),
       shuffle=st.randoms())
def test_serving_rows_sharing_a_search_equal_their_single_estimates(catalog, book, sweeps, shuffle) -> None:
    """Rows differing only in load, TTFT target and prices share each replica size's search; each
    still equals its single estimate."""
    rows = [{**structure, **load} for structure, group in sweeps for load in group]
    shuffle.shuffle(rows)
    _assert_batch_equals_single(catalog, book, rows, "inference")


def test_serving_rows_of_one_structure_choose_their_replicas_together(catalog, book, monkeypatch) -> None:
    """Loads from 0.05 to 2,000 requests/s over one model x GPU x TPOT target: one search, each
    row's replica chosen by the single path's rule (here more than one size), each row equal to
    its single estimate; a row with its own price and PUE too."""
    calls: list[int] = []
    real = batch.SingleEstimate.run_rows

    def counted(self, workload, values, arrays):
        out = real(self, workload, values, arrays)
        calls.append(len(out))
        return out

    monkeypatch.setattr(batch.SingleEstimate, "run_rows", counted)
    loads = [0.05 * 1.6**k for k in range(24)]
    rows = [{"workload": "inference", "model": "llama-3.1-70b", "hardware": "h100-sxm", "tpot_ms": 50,
             "requests_per_s": rps, **({"usd_per_gpu_hour": 1 + k / 10, "pue": 1.1 + k / 100} if k % 2 else {})}
            for k, rps in enumerate(loads)]
    _assert_batch_equals_single(catalog, book, rows, "inference")
    assert len(calls) == 2 and max(calls) > 1  # with and without the overrides; several replica sizes chosen
