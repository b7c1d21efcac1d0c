"""POST /api/v1/estimates/inference: the body is exactly the core's ``to_dict()``; errors are whole problems."""

from __future__ import annotations

import pytest

from estimator.errors import EstimatorError

URL = "/api/v1/estimates/inference"
BASE = {"model": "llama-3.1-70b", "hardware": "h100-sxm"}
#: The MLPerf Inference Llama 2 70B shape (mean 294 output tokens for ~300 input).
GOLDEN = {"model": "llama-2-70b", "hardware": "h100-sxm", "precision": "fp8", "input_tokens": 300, "output_tokens": 294}
INVALID = "/problems/invalid-input"
CONFLICT = "/problems/conflicting-values"


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(GOLDEN, id="golden-llama-2-70b-fp8"),
        pytest.param(BASE, id="defaults"),
        pytest.param({**GOLDEN, "requests_per_s": 20, "peak_to_average": 2, "ttft_ms": 2000, "tpot_ms": 50}, id="load"),
        pytest.param(
            {
                "model": "deepseek-v3",
                "hardware": "h200-sxm",
                "precision": "fp8",
                "requests_per_s": 20,
                "input_tokens": 1000,
                "output_tokens": 500,
                "ttft_ms": 2000,
                "tpot_ms": 50,
            },
            id="moe-with-api-price",
        ),
        pytest.param({**BASE, "tokens_per_day": 5e9, "precision": "int4"}, id="tokens-per-day-int4"),
        pytest.param({**BASE, "model": "LLaMA-3-70B", "hardware": "H100"}, id="aliases-any-case"),
        pytest.param(
            {
                **BASE,
                "precision": "fp8",
                "gpus_per_replica": 4,
                "batch_size": 32,
                "context_tokens": 4096,
                "input_tokens": 2000,
                "output_tokens": 1000,
                "requests_per_s": 5.5,
                "peak_to_average": 1.5,
                "ttft_ms": 5000,
                "tpot_ms": 200,
                "pue": 1.3,
                "grid_kg_co2_per_kwh": 0.3,
                "usd_per_gpu_hour": 2.0,
                "capex_usd_per_gpu": 25000,
                "usd_per_kwh": 0.1,
            },
            id="every-option",
        ),
        pytest.param(
            {
                "model": {
                    "total_params": 8e9,
                    "layers": 32,
                    "hidden_size": 4096,
                    "attention_heads": 32,
                    "kv_heads": 8,
                    "head_dim": 128,
                },
                "hardware": {"bf16_dense_tflops": 500.0, "hbm_gb": 96, "hbm_bandwidth_tb_per_s": 4.0, "tdp_w": 600},
                "requests_per_s": 2,
            },
            id="inline-model-and-hardware",
        ),
    ],
)
def test_body_equals_core_to_dict(client, core_inference, body):
    response = client.post(URL, json=body)

    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    assert response.get_json() == core_inference(body)


def test_key_order_is_the_cores(client, core_inference):
    assert list(client.post(URL, json=GOLDEN).get_json()) == list(core_inference(GOLDEN))


def test_api_price_is_returned_next_to_the_cost(client, seeds):
    _, _, api_prices = seeds
    body = client.post(URL, json={"model": "deepseek-v3", "hardware": "h200-sxm", "precision": "fp8"}).get_json()
    assert body["api_price_usd_per_million_tokens"] == api_prices["deepseek-v3"]
    assert client.post(URL, json=GOLDEN).get_json()["api_price_usd_per_million_tokens"] is None


def item(pointer, detail, code, **extra):
    return {"pointer": pointer, "detail": detail, "code": code, **extra}


def invalid(pointer, detail, code):
    return 422, f"{pointer[1:]}: {detail}", [item(pointer, detail, code)]


# (body changes, status, detail, errors): errors the schema finds.
SCHEMA_CASES = {
    "rps-zero": ({"requests_per_s": 0}, *invalid("/requests_per_s", "Must be greater than 0.", "out_of_range")),
    "rps-negative": ({"requests_per_s": -3}, *invalid("/requests_per_s", "Must be greater than 0.", "out_of_range")),
    "tokens-per-day-zero": (
        {"tokens_per_day": 0},
        *invalid("/tokens_per_day", "Must be greater than 0.", "out_of_range"),
    ),
    "peak-to-average-half": (
        {"peak_to_average": 0.5},
        *invalid("/peak_to_average", "Must be greater than or equal to 1.", "out_of_range"),
    ),
    "tpot-zero": ({"tpot_ms": 0}, *invalid("/tpot_ms", "Must be greater than 0.", "out_of_range")),
    "gpus-per-replica-fraction": (
        {"gpus_per_replica": 2.5},
        *invalid("/gpus_per_replica", "Not a valid integer.", "invalid_integer"),
    ),
    "input-tokens-string": (
        {"input_tokens": "300"},
        *invalid("/input_tokens", "Not a valid integer.", "invalid_integer"),
    ),
    "batch-bool": ({"batch_size": True}, *invalid("/batch_size", "Not a valid integer.", "invalid_integer")),
    "rps-string": ({"requests_per_s": "20"}, *invalid("/requests_per_s", "Not a valid number.", "invalid_number")),
    "precision-training-only": (
        {"precision": "tf32"},
        *invalid("/precision", "Must be one of: bf16, fp16, fp8, fp4, int4.", "invalid_choice"),
    ),
    "model-missing": ({"model": None}, *invalid("/model", "Field may not be null.", "null")),
    "training-field": ({"tokens": 1e12}, *invalid("/tokens", "Unknown field.", "unknown_field")),
    "active-params": ({"active_params": 1e9}, *invalid("/active_params", "Unknown field.", "unknown_field")),
    "two-fields": (
        {"requests_per_s": 0, "output_tokens": 0.5},
        422,
        "2 fields are invalid; see 'errors'.",
        [
            item("/output_tokens", "Not a valid integer.", "invalid_integer"),
            item("/requests_per_s", "Must be greater than 0.", "out_of_range"),
        ],
    ),
}


@pytest.mark.parametrize(("changes", "status", "detail", "errors"), SCHEMA_CASES.values(), ids=SCHEMA_CASES.keys())
def test_schema_errors(client, problem, changes, status, detail, errors):
    response = client.post(URL, json={**BASE, **changes})

    assert response.status_code == status
    assert response.mimetype == "application/problem+json"
    assert response.get_json() == problem(status, "Invalid input", detail, type_=INVALID, errors=errors)


def test_model_is_required(client, problem):
    response = client.post(URL, json={"hardware": "h100-sxm"})
    assert response.get_json() == problem(
        422,
        "Invalid input",
        "model: Missing data for required field.",
        type_=INVALID,
        errors=[item("/model", "Missing data for required field.", "required")],
    )


# (body, status, type, title, code, pointer, data the item must carry)
CORE_CASES = {
    "both-load-forms": (
        {**BASE, "requests_per_s": 10, "tokens_per_day": 1e9},
        422,
        INVALID,
        "Invalid input",
        "invalid_input",
        "/requests_per_s",
        {},
    ),
    "tpot-out-of-reach": (
        {**BASE, "tpot_ms": 0.5},
        409,
        CONFLICT,
        "Values that cannot be met together",
        "invalid_input",
        "/tpot_ms",
        {"binding": "tpot"},
    ),
    "ttft-out-of-reach": (
        {**BASE, "ttft_ms": 0.01},
        409,
        CONFLICT,
        "Values that cannot be met together",
        "invalid_input",
        "/ttft_ms",
        {"binding": "ttft"},
    ),
    "fp8-on-a100": (
        {**BASE, "hardware": "a100-80gb-sxm", "precision": "fp8"},
        422,
        "/problems/unsupported-precision",
        "Precision not supported by the hardware",
        "unsupported_precision",
        "/precision",
        {"hardware": "a100-80gb-sxm", "supported": ["fp64", "tf32", "bf16", "fp16"]},
    ),
    "fp4-on-h100": (
        {**BASE, "precision": "fp4"},
        422,
        "/problems/unsupported-precision",
        "Precision not supported by the hardware",
        "unsupported_precision",
        "/precision",
        {"hardware": "h100-sxm"},
    ),
    "405b-on-8-l4": (
        {"model": "llama-3.1-405b", "hardware": "l4", "gpus_per_replica": 8},
        409,
        "/problems/does-not-fit",
        "Workload does not fit in GPU memory",
        "does_not_fit",
        "/gpus_per_replica",
        {"min_gpus_per_replica": 36},
    ),
    "prompt-beyond-context": (
        {**BASE, "input_tokens": 200_000},
        409,
        CONFLICT,
        "Values that cannot be met together",
        "invalid_input",
        "/input_tokens",
        {},
    ),
    "params-instead-of-model": (
        {"params": 7e9, "model": "llama-3.1-8b", "hardware": "h100-sxm"},
        422,
        INVALID,
        "Invalid input",
        "invalid_input",
        "/params",
        {},
    ),
    "params-of-any-type": (
        {**BASE, "params": "seven billion"},
        422,
        INVALID,
        "Invalid input",
        "invalid_input",
        "/params",
        {},
    ),
    "inline-model-without-architecture": (
        {"model": {"total_params": 7e9}, "hardware": "h100-sxm"},
        422,
        INVALID,
        "Invalid input",
        "invalid_input",
        "/model",
        {},
    ),
    "unknown-model": (
        {**BASE, "model": "llama-3.1-450b"},
        404,
        "/problems/unknown-id",
        "Unknown model or hardware id",
        "unknown_id",
        "/model",
        {"given": "llama-3.1-450b", "closest": ["llama-3.1-405b", "llama-3.1-70b", "llama-3.1-8b"]},
    ),
    "unknown-hardware": (
        {**BASE, "hardware": "h1000"},
        404,
        "/problems/unknown-id",
        "Unknown model or hardware id",
        "unknown_id",
        "/hardware",
        {"given": "h1000"},
    ),
}


@pytest.mark.parametrize(
    ("body", "status", "type_", "title", "code", "pointer", "extra"), CORE_CASES.values(), ids=CORE_CASES.keys()
)
def test_core_errors(client, assert_core_problem, core_inference, body, status, type_, title, code, pointer, extra):
    with pytest.raises(EstimatorError) as info:
        core_inference(body)
    exc = info.value
    response = client.post(URL, json=body)
    assert_core_problem(response, exc, status, type_, title, code, pointer, extra)


def test_params_message_explains_the_architecture(client):
    body = client.post(URL, json={**BASE, "params": 7e9}).get_json()
    assert "architecture" in body["detail"] and body["errors"][0]["pointer"] == "/params"


def test_latency_error_carries_the_best_reachable(client):
    error = client.post(URL, json={**BASE, "tpot_ms": 0.5}).get_json()["errors"][0]
    assert error["binding"] == "tpot" and error["best_ms"] > 0.5
