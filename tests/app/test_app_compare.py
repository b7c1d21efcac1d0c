"""POST /api/v1/compare: the body is exactly ``compare(...)``; errors are whole problems."""

from __future__ import annotations

import pytest

from estimator.errors import EstimatorError

URL = "/api/v1/compare"
INFERENCE = {"workload": "inference", "preset": "article", "hardware": "h200-sxm", "precision": "fp8"}
TRAINING = {"workload": "training", "preset": "article", "hardware": "h100-sxm", "tokens": 15.6e12, "gpus": 16384}
INVALID = "/problems/invalid-input"
CONFLICT = "/problems/conflicting-values"


@pytest.mark.parametrize(
    "body",
    [
        pytest.param({**INFERENCE, "requests_per_s": 20, "ttft_ms": 2000, "tpot_ms": 50}, id="inference-article"),
        pytest.param(TRAINING, id="training-article"),
        pytest.param({**INFERENCE, "preset": "mistral", "tokens_per_day": 1e9}, id="inference-mistral"),
        pytest.param(
            {
                "workload": "inference",
                "models": ["llama-3.1-8b", "LLaMA-3-70B", "mixtral-8x7b"],
                "baseline": "llama-3.1-70b",
                "hardware": "h100-sxm",
                "requests_per_s": 5,
            },
            id="inference-models-and-baseline",
        ),
        pytest.param(
            {
                "workload": "training",
                "models": ["llama-3.1-8b", "llama-3.1-405b"],
                "hardware": "h100-sxm",
                "tokens": 1e12,
                "gpus": 8,
            },
            id="training-row-that-does-not-fit",
        ),
    ],
)
def test_body_equals_core_compare(client, core_compare, body):
    response = client.post(URL, json=body)

    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    assert response.get_json() == core_compare(body)


def test_a_model_that_cannot_run_gets_a_row_with_its_error(client):
    body = {"workload": "training", "models": ["llama-3.1-8b", "llama-3.1-405b"], "hardware": "h100-sxm"}
    result = client.post(URL, json={**body, "tokens": 1e12, "gpus": 8}).get_json()
    assert result["rows"][1]["model"] == "llama-3.1-405b"
    assert result["rows"][1]["error"]["code"] == "does_not_fit"
    assert set(result["ratios"]) == {"llama-3.1-8b"}


def item(pointer, detail, code, **extra):
    return {"pointer": pointer, "detail": detail, "code": code, **extra}


def invalid(pointer, detail, code):
    return f"{pointer[1:]}: {detail}" if pointer else detail, [item(pointer, detail, code)]


# (body, detail, errors): 422s the schemas find.
SCHEMA_CASES = {
    "one-model": (
        {**INFERENCE, "preset": None, "models": ["llama-3.1-8b"]},
        *invalid("/models", "Length must be between 2 and 10.", "invalid_length"),
    ),
    "eleven-models": (
        {"workload": "training", "models": ["llama-3.1-8b"] * 11, "hardware": "h100-sxm", "tokens": 1e12},
        *invalid("/models", "Length must be between 2 and 10.", "invalid_length"),
    ),
    "empty-id": (
        {"workload": "inference", "models": ["llama-3.1-8b", ""], "hardware": "h100-sxm"},
        *invalid("/models/1", "Shorter than minimum length 1.", "invalid_length"),
    ),
    "preset-unknown": (
        {**INFERENCE, "preset": "frontier"},
        *invalid("/preset", "Must be one of: article, mistral, deepseek.", "invalid_choice"),
    ),
    "neither-models-nor-preset": (
        {"workload": "inference", "hardware": "h100-sxm"},
        *invalid(
            "/models",
            "Missing 'models' or 'preset': give 2 to 10 catalog ids, or one of article, mistral, deepseek.",
            "required",
        ),
    ),
    "models-and-preset": (
        {**INFERENCE, "models": ["llama-3.1-8b", "llama-3.1-70b"]},
        *invalid("/preset", "Conflicts with 'models': give 'models' or 'preset', not both.", "conflict"),
    ),
    "workload-missing": (
        {"preset": "article", "hardware": "h100-sxm"},
        *invalid("/workload", "Missing data for required field.", "required"),
    ),
    "workload-unknown": (
        {**INFERENCE, "workload": "serving"},
        *invalid("/workload", "Must be one of: training, inference.", "invalid_choice"),
    ),
    "not-an-object": ([INFERENCE], *invalid("", "Invalid input type.", "invalid_type")),
    "model-field": ({**INFERENCE, "model": "llama-3.1-8b"}, *invalid("/model", "Unknown field.", "unknown_field")),
    "training-field-in-inference": (
        {**INFERENCE, "tokens": 1e12},
        *invalid("/tokens", "Unknown field.", "unknown_field"),
    ),
    "inference-field-in-training": (
        {**TRAINING, "requests_per_s": 1},
        *invalid("/requests_per_s", "Unknown field.", "unknown_field"),
    ),
    "load-zero": (
        {**INFERENCE, "requests_per_s": 0},
        *invalid("/requests_per_s", "Must be greater than 0.", "out_of_range"),
    ),
    "peak-to-average-half": (
        {**INFERENCE, "peak_to_average": 0.5},
        *invalid("/peak_to_average", "Must be greater than or equal to 1.", "out_of_range"),
    ),
}


@pytest.mark.parametrize(("body", "detail", "errors"), SCHEMA_CASES.values(), ids=SCHEMA_CASES.keys())
def test_schema_errors(client, problem, body, detail, errors):
    if isinstance(body, dict):
        body = {k: v for k, v in body.items() if v is not None}
    response = client.post(URL, json=body)

    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    assert response.get_json() == problem(422, "Invalid input", detail, type_=INVALID, errors=errors)


# (body, status, type, title, code, pointer, data the item must carry): errors the core finds.
CORE_CASES = {
    "unknown-model": (
        {"workload": "inference", "models": ["llama-3.1-8b", "llama-3.1-450b"], "hardware": "h100-sxm"},
        404,
        "/problems/unknown-id",
        "Unknown model or hardware id",
        "unknown_id",
        "/models/1",
        {"given": "llama-3.1-450b", "closest": ["llama-3.1-405b", "llama-3.1-70b", "llama-3.1-8b"]},
    ),
    "unknown-baseline": (
        {**INFERENCE, "baseline": "llama-3.1-450b"},
        404,
        "/problems/unknown-id",
        "Unknown model or hardware id",
        "unknown_id",
        "/baseline",
        {"given": "llama-3.1-450b"},
    ),
    "unknown-hardware": (
        {**INFERENCE, "hardware": "h1000"},
        404,
        "/problems/unknown-id",
        "Unknown model or hardware id",
        "unknown_id",
        "/hardware",
        {"given": "h1000"},
    ),
    "baseline-not-compared": (
        {**INFERENCE, "baseline": "llama-3.1-8b"},
        409,
        CONFLICT,
        "Values that cannot be met together",
        "invalid_input",
        "/baseline",
        {},
    ),
    "same-model-twice": (
        {"workload": "inference", "models": ["llama-3.1-8b", "llama-3-8b"], "hardware": "h100-sxm"},
        409,
        CONFLICT,
        "Values that cannot be met together",
        "invalid_input",
        "/models",
        {},
    ),
    "baseline-does-not-fit": (
        {
            "workload": "training",
            "models": ["llama-3.1-405b", "llama-3.1-8b"],
            "hardware": "h100-sxm",
            "tokens": 1e12,
            "gpus": 8,
        },
        409,
        "/problems/does-not-fit",
        "Workload does not fit in GPU memory",
        "does_not_fit",
        "/gpus",
        {"min_gpus": 92},
    ),
    "fp8-on-a100": (
        {**INFERENCE, "hardware": "a100-80gb-sxm"},
        422,
        "/problems/unsupported-precision",
        "Precision not supported by the hardware",
        "unsupported_precision",
        "/precision",
        {"hardware": "a100-80gb-sxm"},
    ),
    "both-load-forms": (
        {**INFERENCE, "requests_per_s": 1, "tokens_per_day": 1e9},
        422,
        INVALID,
        "Invalid input",
        "invalid_input",
        "/requests_per_s",
        {},
    ),
    "tpot-out-of-reach": (
        {**INFERENCE, "tpot_ms": 0.5},
        409,
        CONFLICT,
        "Values that cannot be met together",
        "invalid_input",
        "/tpot_ms",
        {"binding": "tpot"},
    ),
}


@pytest.mark.parametrize(
    ("body", "status", "type_", "title", "code", "pointer", "extra"), CORE_CASES.values(), ids=CORE_CASES.keys()
)
def test_core_errors(client, assert_core_problem, core_compare, body, status, type_, title, code, pointer, extra):
    with pytest.raises(EstimatorError) as info:
        core_compare(body)
    exc = info.value
    response = client.post(URL, json=body)
    assert_core_problem(response, exc, status, type_, title, code, pointer, extra)


def test_a_ratio_to_zero_is_null_not_nan(app, monkeypatch):
    from estimator.app import run

    def fake_compare(*args, **kwargs):
        return {
            "workload": "inference",
            "baseline": "a",
            "rows": [],
            "metrics": {},
            "ratios": {"b": {"x": float("nan")}},
        }

    monkeypatch.setattr(run, "compare", fake_compare)
    response = app.test_client().post(URL, json=INFERENCE)
    assert response.status_code == 200
    assert response.get_json()["ratios"] == {"b": {"x": None}}
