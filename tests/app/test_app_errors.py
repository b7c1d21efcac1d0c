"""Every error has the one problem-details shape; whole-payload assertions."""

from __future__ import annotations

import io
import json
import logging

import pytest

from estimator.app import create_app
from estimator.catalog import load_catalog
from estimator.cost import load_price_book
from estimator.errors import EstimatorError
from estimator.inputs import training_request
from estimator.training import estimate_training

URL = "/api/v1/estimates/training"
BASE = {"model": "llama-3.1-8b", "tokens": 1e12, "hardware": "h100-sxm"}
INVALID = "/problems/invalid-input"
BAD_JSON = "/problems/invalid-json"


def item(pointer, detail, code, **extra):
    return {"pointer": pointer, "detail": detail, "code": code, **extra}


def invalid(pointer, detail, code):
    """422 for one schema error."""
    return 422, INVALID, "Invalid input", f"{pointer[1:]}: {detail}", [item(pointer, detail, code)]


# (body changes, status, type, title, detail, errors): errors the app itself finds.
SCHEMA_CASES = {
    "tokens-zero": ({"tokens": 0}, *invalid("/tokens", "Must be greater than 0.", "out_of_range")),
    "tokens-negative": ({"tokens": -1e12}, *invalid("/tokens", "Must be greater than 0.", "out_of_range")),
    "tokens-string": ({"tokens": "1e12"}, *invalid("/tokens", "Not a valid number.", "invalid_number")),
    "tokens-bool": ({"tokens": True}, *invalid("/tokens", "Not a valid number.", "invalid_number")),
    "tokens-missing": ({"tokens": None}, *invalid("/tokens", "Field may not be null.", "null")),
    "gpus-fraction": ({"gpus": 2.5}, *invalid("/gpus", "Not a valid integer.", "invalid_integer")),
    "gpus-zero": ({"gpus": 0}, *invalid("/gpus", "Must be greater than 0.", "out_of_range")),
    "sequence-fraction": (
        {"sequence_tokens": 4096.5},
        *invalid("/sequence_tokens", "Not a valid integer.", "invalid_integer"),
    ),
    "unknown-field": ({"gpu": 8}, *invalid("/gpu", "Unknown field.", "unknown_field")),
    "precision-unknown": (
        {"precision": "int8"},
        *invalid("/precision", "Must be one of: fp64, tf32, bf16, fp16, fp8, fp4.", "invalid_choice"),
    ),
    "recompute-unknown": (
        {"recompute": "some"},
        *invalid("/recompute", "Must be one of: none, selective, full.", "invalid_choice"),
    ),
    "utilisation-above-1": (
        {"utilisation": 1.5},
        *invalid("/utilisation", "Must be greater than 0 and less than or equal to 1.", "out_of_range"),
    ),
    "pue-below-1": ({"pue": 0.9}, *invalid("/pue", "Must be greater than or equal to 1.", "out_of_range")),
    "model-number": (
        {"model": 405},
        *invalid("/model", "Not a valid id or object: give a catalog id string or an object.", "invalid_type"),
    ),
    "hardware-empty": ({"hardware": " "}, *invalid("/hardware", "Must not be empty.", "empty")),
    "inline-model-unknown-field": (
        {"model": {"total_params": 1e9, "layerz": 2}},
        *invalid("/model/layerz", "Unknown field.", "unknown_field"),
    ),
    "inline-hardware-incomplete": (
        {"hardware": {"bf16_dense_tflops": 100.0, "hbm_gb": 80}},
        422,
        INVALID,
        "Invalid input",
        "2 fields are invalid; see 'errors'.",
        [
            item("/hardware/hbm_bandwidth_tb_per_s", "Missing data for required field.", "required"),
            item("/hardware/tdp_w", "Missing data for required field.", "required"),
        ],
    ),
}


@pytest.mark.parametrize(
    ("changes", "status", "type_", "title", "detail", "errors"), SCHEMA_CASES.values(), ids=SCHEMA_CASES.keys()
)
def test_schema_errors(client, problem, changes, status, type_, title, detail, errors):
    body = {**BASE, **changes}
    response = client.post(URL, json=body)

    assert response.status_code == status
    assert response.mimetype == "application/problem+json"
    assert response.get_json() == problem(status, title, detail, type_=type_, errors=errors)


def test_required_field_missing(client, problem):
    response = client.post(URL, json={"model": "llama-3.1-8b", "tokens": 1e12})
    assert response.get_json() == problem(
        422,
        "Invalid input",
        "hardware: Missing data for required field.",
        type_=INVALID,
        errors=[item("/hardware", "Missing data for required field.", "required")],
    )


def test_tokens_are_required_without_a_published_count(client, problem):
    body = {"params": 8e9, "hardware": "h100-sxm"}
    with pytest.raises(EstimatorError) as info:
        training_request(load_catalog(), body)
    response = client.post(URL, json=body)
    assert response.get_json() == problem(
        422,
        "Invalid input",
        info.value.message,
        type_=INVALID,
        errors=[item("/tokens", info.value.message, "invalid_input")],
    )


def test_body_not_an_object(client, problem):
    response = client.post(URL, json=[BASE])
    assert response.get_json() == problem(
        422,
        "Invalid input",
        "Invalid input type.",
        type_=INVALID,
        errors=[item("", "Invalid input type.", "invalid_type")],
    )


def core_error(changes):
    """The error the core raises for ``BASE`` + ``changes`` (so messages are the core's own)."""
    catalog, book = load_catalog(), load_price_book()
    with pytest.raises(EstimatorError) as info:
        estimate_training(training_request(catalog, {**BASE, **changes}), book, catalog)
    return info.value


# (body changes, status, type, title, code, pointer, extra members expected in the item)
CORE_CASES = {
    "unknown-model": (
        {"model": "llama-3.1-450b"},
        404,
        "/problems/unknown-id",
        "Unknown model or hardware id",
        "unknown_id",
        "/model",
        {"given": "llama-3.1-450b", "closest": ["llama-3.1-405b", "llama-3.1-70b", "llama-3.1-8b"]},
    ),
    "unknown-hardware": (
        {"hardware": "h1000"},
        404,
        "/problems/unknown-id",
        "Unknown model or hardware id",
        "unknown_id",
        "/hardware",
        {"given": "h1000"},
    ),
    "fp8-on-a100": (
        {"hardware": "a100-80gb-sxm", "precision": "fp8"},
        422,
        "/problems/unsupported-precision",
        "Precision not supported by the hardware",
        "unsupported_precision",
        "/precision",
        {"hardware": "a100-80gb-sxm", "supported": ["fp64", "tf32", "bf16", "fp16"]},
    ),
    "fp4-on-h100": (
        {"precision": "fp4"},
        422,
        "/problems/unsupported-precision",
        "Precision not supported by the hardware",
        "unsupported_precision",
        "/precision",
        {"hardware": "h100-sxm", "supported": ["fp64", "tf32", "bf16", "fp16", "fp8"]},
    ),
    "405b-on-8-gpus": (
        {"model": "llama-3.1-405b", "gpus": 8},
        422,
        "/problems/does-not-fit",
        "Workload does not fit in GPU memory",
        "does_not_fit",
        "/gpus",
        {"min_gpus": 92, "given_gpus": 8},
    ),
    "gpus-and-deadline": (
        {"gpus": 8, "deadline_days": 30},
        422,
        INVALID,
        "Invalid input",
        "invalid_input",
        "/gpus",
        {},
    ),
    "model-and-params": (
        {"params": 8e9},
        422,
        INVALID,
        "Invalid input",
        "invalid_input",
        "/model",
        {},
    ),
    "inline-model-bad-value": (
        {"model": {"total_params": 1e9, "hidden_size": -3}},
        422,
        INVALID,
        "Invalid input",
        "invalid_input",
        "/model/hidden_size",
        {},
    ),
}


@pytest.mark.parametrize(
    ("changes", "status", "type_", "title", "code", "pointer", "extra"), CORE_CASES.values(), ids=CORE_CASES.keys()
)
def test_core_errors(client, assert_core_problem, changes, status, type_, title, code, pointer, extra):
    exc = core_error(changes)
    response = client.post(URL, json={**BASE, **changes})
    assert_core_problem(response, exc, status, type_, title, code, pointer, extra)


# --- JSON hardening -------------------------------------------------------------------------------
def post_raw(client, data, content_type="application/json", **kwargs):
    return client.post(URL, data=data, content_type=content_type, **kwargs)


@pytest.mark.parametrize(
    ("literal", "code", "detail"),
    [
        ("NaN", "non_finite_number", "NaN is not a number JSON allows; send a finite number."),
        ("Infinity", "non_finite_number", "Infinity is not a number JSON allows; send a finite number."),
        ("-Infinity", "non_finite_number", "-Infinity is not a number JSON allows; send a finite number."),
        ("1e400", "number_out_of_range", "1e400 overflows a 64-bit float; send a finite number."),
        ("-1.5e999", "number_out_of_range", "-1.5e999 overflows a 64-bit float; send a finite number."),
        (
            "1" + "0" * 400,
            "number_out_of_range",
            "10000000000000000000...(401 digits) is too large for a 64-bit float.",
        ),
    ],
)
def test_non_finite_numbers_are_422(client, problem, literal, code, detail):
    response = post_raw(client, f'{{"model": "llama-3.1-8b", "hardware": "h100-sxm", "tokens": {literal}}}')
    assert response.status_code == 422
    assert response.get_json() == problem(
        422, "Invalid input", detail, type_=INVALID, errors=[item("/tokens", detail, code)]
    )


def test_huge_integer_is_not_a_500(client):
    response = post_raw(client, '{"tokens": ' + "9" * 5000 + "}")
    assert response.status_code == 422
    assert response.get_json()["errors"][0]["pointer"] == "/tokens"


def test_several_non_finite_numbers_are_all_reported(client, problem):
    response = post_raw(client, '{"tokens": NaN, "hardware": {"tdp_w": Infinity, "hbm_gb": 1e999}}')
    assert response.get_json() == problem(
        422,
        "Invalid input",
        "3 problems in the JSON body; see 'errors'.",
        type_=INVALID,
        errors=[
            item("/tokens", "NaN is not a number JSON allows; send a finite number.", "non_finite_number"),
            item("/hardware/tdp_w", "Infinity is not a number JSON allows; send a finite number.", "non_finite_number"),
            item("/hardware/hbm_gb", "1e999 overflows a 64-bit float; send a finite number.", "number_out_of_range"),
        ],
    )


def test_duplicate_keys_are_400(client, problem):
    response = post_raw(client, '{"tokens": 1e12, "hardware": "h100-sxm", "model": "llama-3.1-8b", "tokens": 1}')
    detail = "Key 'tokens' appears more than once in one object."
    assert response.status_code == 400
    assert response.get_json() == problem(
        400, "Malformed JSON body", detail, type_=BAD_JSON, errors=[item("/tokens", detail, "duplicate_key")]
    )


def test_nested_duplicate_key_pointer_is_escaped(client):
    response = post_raw(client, '{"hardware": {"a/b": 1, "a/b": 2}}')
    assert response.status_code == 400
    assert response.get_json()["errors"] == [
        item("/hardware/a~1b", "Key 'a/b' appears more than once in one object.", "duplicate_key")
    ]


@pytest.mark.parametrize("depth", [33, 200, 5_000, 100_000])
def test_deep_nesting_is_400(client, problem, depth):
    response = post_raw(client, '{"tokens": ' + "[" * (depth - 1) + "]" * (depth - 1) + "}")
    detail = "The JSON body is nested more than 32 levels deep."
    body = response.get_json()
    assert response.status_code == 400
    assert body == problem(
        400,
        "Malformed JSON body",
        detail,
        type_=BAD_JSON,
        errors=[item(body["errors"][0]["pointer"], detail, "too_deep")],
    )
    if depth < 900:  # parsed, then measured: the pointer names the first container too deep
        assert body["errors"][0]["pointer"] == "/tokens" + "/0" * 31


def test_nesting_at_the_limit_reaches_the_schema(client):
    response = post_raw(client, '{"model": "llama-3.1-8b", "tokens": ' + "[" * 31 + "]" * 31 + "}")
    assert response.status_code == 422
    assert [e["pointer"] for e in response.get_json()["errors"]] == ["/hardware", "/tokens"]


@pytest.mark.parametrize(
    ("data", "detail", "line", "column"),
    [
        (
            "{bad",
            "The body is not valid JSON: Expecting property name enclosed in double quotes at line 1 column 2.",
            1,
            2,
        ),
        ('{"tokens": }', "The body is not valid JSON: Expecting value at line 1 column 12.", 1, 12),
        ("", "The body is not valid JSON: Expecting value at line 1 column 1.", 1, 1),
        ('{"tokens": 1}\n{"tokens": 2}', "The body is not valid JSON: Extra data at line 2 column 1.", 2, 1),
    ],
)
def test_malformed_json_is_400(client, problem, data, detail, line, column):
    response = post_raw(client, data)
    assert response.status_code == 400
    assert response.get_json() == problem(
        400,
        "Malformed JSON body",
        detail,
        type_=BAD_JSON,
        errors=[item(None, detail, "invalid_json", line=line, column=column)],
    )


def test_invalid_utf8_is_400(client, problem):
    response = post_raw(client, b'{"model": "\xff"}')
    detail = "The body is not UTF-8 text (byte 11)."
    assert response.get_json() == problem(
        400, "Malformed JSON body", detail, type_=BAD_JSON, errors=[item(None, detail, "invalid_encoding")]
    )


# --- HTTP-level errors ------------------------------------------------------------------------------
@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", None])
def test_wrong_content_type_is_415(client, problem, content_type):
    kwargs = {"content_type": content_type} if content_type else {}
    response = client.post(URL, data=json.dumps(BASE), **kwargs)
    got = content_type or "no Content-Type"
    assert response.status_code == 415
    assert response.headers["Accept-Post"] == "application/json"
    assert response.get_json() == problem(
        415,
        "Unsupported Media Type",
        f"The request body must be JSON, sent with 'Content-Type: application/json' (got {got}).",
    )


def test_too_large_is_413(client, problem):
    data = json.dumps({**BASE, "padding": "x" * 1_000_000})
    response = post_raw(client, data)
    assert response.status_code == 413
    assert response.get_json() == problem(
        413, "Request Entity Too Large", "The request body is larger than the limit of 1,000,000 bytes."
    )


def test_chunked_too_large_is_413_not_truncated(client):
    """No Content-Length: the limit is checked against the bytes actually read."""
    data = json.dumps({**BASE, "padding": "x" * 1_000_000}).encode()
    response = client.post(
        URL,
        input_stream=io.BytesIO(data),
        content_type="application/json",
        environ_overrides={"HTTP_TRANSFER_ENCODING": "chunked", "wsgi.input_terminated": True},
    )
    assert response.status_code == 413


def test_chunked_small_body_is_read_whole(client, core):
    data = json.dumps({**BASE, "gpus": 64}).encode()
    response = client.post(
        URL,
        input_stream=io.BytesIO(data),
        content_type="application/json",
        environ_overrides={"HTTP_TRANSFER_ENCODING": "chunked", "wsgi.input_terminated": True},
    )
    assert response.status_code == 200
    assert response.get_json() == core({**BASE, "gpus": 64})


def test_body_shorter_than_content_length_is_400(client):
    response = client.post(
        URL, data=b'{"tokens": 1}', content_type="application/json", environ_overrides={"CONTENT_LENGTH": "100"}
    )
    assert response.status_code == 400
    assert response.mimetype == "application/problem+json"
    assert response.get_json()["type"] == "about:blank"


def test_unknown_route_is_404(client, problem):
    response = client.get("/api/v1/estimates/trainings")
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"
    assert response.get_json() == problem(
        404, "Not Found", "No such endpoint. The API lives under /api/v1; its OpenAPI document is /api/v1/openapi.json."
    )


def test_wrong_method_is_405(client, problem):
    response = client.get(URL)
    assert response.status_code == 405
    assert set(response.headers["Allow"].split(", ")) == {"POST", "OPTIONS"}
    assert response.get_json() == problem(405, "Method Not Allowed", "This endpoint does not accept that method.")


def test_unexpected_exception_is_500_without_traceback(problem, caplog):
    app = create_app()  # not TESTING: exceptions are handled, not propagated

    @app.get("/boom")
    def boom():
        raise RuntimeError("secret internals /etc/passwd")

    with caplog.at_level(logging.ERROR):
        response = app.test_client().get("/boom")

    assert response.status_code == 500
    assert response.mimetype == "application/problem+json"
    assert response.get_json() == problem(
        500, "Internal Server Error", "An unexpected error occurred on the server. It has been logged."
    )
    text = response.get_data(as_text=True)
    assert "secret" not in text and "Traceback" not in text
    logged = [r for r in caplog.records if r.exc_info and isinstance(r.exc_info[1], RuntimeError)]
    assert logged, "the exception and its traceback are logged"


def test_problem_types_are_documented(client):
    for slug in ("invalid-json", "invalid-input", "unknown-id", "unsupported-precision", "does-not-fit"):
        response = client.get(f"/problems/{slug}")
        assert response.status_code == 200
        assert response.get_json()["type"] == f"/problems/{slug}"
    assert client.get("/problems/nope").status_code == 404


def test_core_error_data_is_always_plain_json(app):
    from fractions import Fraction

    from estimator.app.errors import problem_from_core
    from estimator.errors import DoesNotFitError

    exc = DoesNotFitError("no", field="gpus", ratio=Fraction(1, 4), big=float("inf"), ids=("a", "b"), other=object)
    with app.app_context():
        item = problem_from_core(exc).errors[0]
        json.loads(problem_from_core(exc).to_response().get_data())
    assert item["ratio"] == 0.25 and item["big"] == "inf" and item["ids"] == ["a", "b"]
    assert item["other"] == "<class 'object'>"
