"""Every error has the one problem-details shape: one table of bad requests with their exact,
whole expected bodies, then the errors that need more than a request to provoke."""

from __future__ import annotations

import io
import json
import logging
from typing import Any

import pytest

from estimator.app import create_app
from estimator.catalog import load_catalog
from estimator.cost import load_price_book
from estimator.errors import EstimatorError
from estimator.inputs import training_request
from estimator.training import estimate_training

TRAINING = "/api/v1/estimates/training"
INFERENCE = "/api/v1/estimates/inference"
COMPARE = "/api/v1/compare"
BASE = {"model": "llama-3.1-8b", "tokens": 1e12, "hardware": "h100-sxm"}
SERVING = {"model": "llama-3.1-8b", "hardware": "h100-sxm"}
INVALID = "/problems/invalid-input"
BAD_JSON = "/problems/invalid-json"
UNKNOWN_ID = "/problems/unknown-id"
JSON = "application/json"
TOO_DEEP = "The JSON body is nested more than 32 levels deep."
UNKNOWN_MODEL = (
    "Unknown model 'llama-3.1-450b'. Closest: llama-3.1-405b, llama-3.1-70b, llama-3.1-8b. "
    "See `estimator catalog models` for all ids."
)
UNKNOWN_HARDWARE = (
    "Unknown hardware 'h1000'. Closest: h100-sxm, h100-pcie, h20. See `estimator catalog hardware` for all ids."
)


def item(pointer, detail, code, **extra):
    return {"pointer": pointer, "detail": detail, "code": code, **extra}


def body(status, title, detail, type_="about:blank", errors=()):
    """A whole problem body, keys in the order the API writes them."""
    return {"type": type_, "title": title, "status": status, "detail": detail, "errors": list(errors)}


def invalid(pointer, detail, code):
    """422 for one schema error: the detail names the field."""
    return body(422, "Invalid input", f"{pointer[1:]}: {detail}", INVALID, [item(pointer, detail, code)])


def bad_number(pointer, detail, code):
    """422 for one number the JSON parser refused: the detail is the item's."""
    return body(422, "Invalid input", detail, INVALID, [item(pointer, detail, code)])


def malformed(detail, pointer=None, code="invalid_json", **extra):
    return body(400, "Malformed JSON body", detail, BAD_JSON, [item(pointer, detail, code, **extra)])


def syntax(detail, line, column):
    detail = f"The body is not valid JSON: {detail} at line {line} column {column}."
    return malformed(detail, line=line, column=column)


def unknown_id(detail, pointer, given, closest):
    error = item(pointer, detail, "unknown_id", given=given, closest=closest)
    return body(404, "Unknown model or hardware id", detail, UNKNOWN_ID, [error])


def raw(method, path, data, content_type=JSON, **kwargs) -> dict[str, Any]:
    """A request as ``client.open`` keyword arguments."""
    return {"method": method, "path": path, "data": data, "content_type": content_type, **kwargs}


def post(path, document) -> dict[str, Any]:
    return raw("POST", path, json.dumps(document))


def train(**changes) -> dict[str, Any]:
    return post(TRAINING, {k: v for k, v in {**BASE, **changes}.items() if v is not None})


def tokens(literal: str) -> dict[str, Any]:
    """A training body whose ``tokens`` is written as ``literal`` (which json.dumps cannot write)."""
    return raw("POST", TRAINING, f'{{"model": "llama-3.1-8b", "hardware": "h100-sxm", "tokens": {literal}}}')


def nested(depth: int) -> dict[str, Any]:
    """``tokens`` inside arrays so that the body is ``depth`` levels deep."""
    return raw("POST", TRAINING, '{"tokens": ' + "[" * (depth - 1) + "]" * (depth - 1) + "}")


def chunked(data: bytes) -> dict[str, Any]:
    """No Content-Length: the body arrives in chunks and its size is known only once read."""
    return {
        "method": "POST",
        "path": TRAINING,
        "input_stream": io.BytesIO(data),
        "content_type": JSON,
        "environ_overrides": {"HTTP_TRANSFER_ENCODING": "chunked", "wsgi.input_terminated": True},
    }


TOO_LARGE = body(413, "Request Entity Too Large", "The request body is larger than the limit of 1,000,000 bytes.")
PADDED = json.dumps({**BASE, "padding": "x" * 1_000_000})
NOT_ALLOWED = body(405, "Method Not Allowed", "This endpoint does not accept that method.")


def not_json(got):
    detail = f"The request body must be JSON, sent with 'Content-Type: application/json' (got {got})."
    return body(415, "Unsupported Media Type", detail)


NO_ENDPOINT = body(
    404, "Not Found", "No such endpoint. The API lives under /api/v1; its OpenAPI document is /api/v1/openapi.json."
)
NUMBER = "Not a valid number."
INTEGER = "Not a valid integer."
REQUIRED = "Missing data for required field."

# id: (request, status, whole expected body, headers expected besides Content-Type)
BAD_REQUESTS: dict[str, tuple[dict[str, Any], int, dict[str, Any], dict[str, str]]] = {
    # --- 400: not a JSON document this API reads
    "syntax-error": (
        raw("POST", TRAINING, "{bad"),
        400,
        syntax("Expecting property name enclosed in double quotes", 1, 2),
        {},
    ),
    "missing-value": (raw("POST", TRAINING, '{"tokens": }'), 400, syntax("Expecting value", 1, 12), {}),
    "empty-body": (raw("POST", TRAINING, ""), 400, syntax("Expecting value", 1, 1), {}),
    "two-documents": (
        raw("POST", TRAINING, '{"tokens": 1}\n{"tokens": 2}'),
        400,
        syntax("Extra data", 2, 1),
        {},
    ),
    "compare-syntax-error": (
        raw("POST", COMPARE, "{"),
        400,
        syntax("Expecting property name enclosed in double quotes", 1, 2),
        {},
    ),
    "not-utf8": (
        raw("POST", TRAINING, b'{"model": "\xff"}'),
        400,
        malformed("The body is not UTF-8 text (byte 11).", code="invalid_encoding"),
        {},
    ),
    "duplicate-key": (
        raw("POST", TRAINING, '{"tokens": 1e12, "hardware": "h100-sxm", "model": "llama-3.1-8b", "tokens": 1}'),
        400,
        malformed("Key 'tokens' appears more than once in one object.", "/tokens", "duplicate_key"),
        {},
    ),
    "duplicate-key-nested-escaped": (
        raw("POST", TRAINING, '{"hardware": {"a/b": 1, "a/b": 2}}'),
        400,
        malformed("Key 'a/b' appears more than once in one object.", "/hardware/a~1b", "duplicate_key"),
        {},
    ),
    # parsed, then measured: the pointer names the first container too deep
    "nesting-33": (nested(33), 400, malformed(TOO_DEEP, "/tokens" + "/0" * 31, "too_deep"), {}),
    "nesting-200": (nested(200), 400, malformed(TOO_DEEP, "/tokens" + "/0" * 31, "too_deep"), {}),
    # too deep for Python's parser to finish: refused without a pointer, never a 500
    "nesting-5000": (nested(5_000), 400, malformed(TOO_DEEP, None, "too_deep"), {}),
    "nesting-100000": (nested(100_000), 400, malformed(TOO_DEEP, None, "too_deep"), {}),
    "shorter-than-content-length": (
        raw("POST", TRAINING, b'{"tokens": 1}', environ_overrides={"CONTENT_LENGTH": "100"}),
        400,
        body(400, "Bad Request", "The request body ended after 13 of the 100 bytes announced."),
        {},
    ),
    # --- bounded work: an oversized array or object is refused before any schema walks it (issue 13:
    # a 1 MB body of 450,000 list items answered a 37.7 MB problem after 4.2 s; 75,000 unknown keys 5.3 MB)
    "compare-330000-models": (
        post(COMPARE, {"workload": "training", "tokens": 1e12, "hardware": "h100-sxm", "models": [1] * 330_000}),
        400,
        malformed(
            "The JSON array at '/models' has 330,000 items; at most 1,000 are read "
            "(no field of this API takes more than a few dozen).",
            "/models",
            "too_many_items",
        ),
        {},
    ),
    "75000-unknown-keys": (
        post(TRAINING, {**BASE, **{f"k{i}": 1 for i in range(75_000)}}),
        400,
        malformed(
            "The JSON object at '/' has 75,003 keys; at most 1,000 are read "
            "(no field of this API takes more than a few dozen).",
            "",
            "too_many_items",
        ),
        {},
    ),
    # under the item limit, the problem lists 20 errors (by pointer) and counts the rest
    "1000-bad-models-listed-20": (
        post(COMPARE, {"workload": "training", "tokens": 1e12, "hardware": "h100-sxm", "models": [1] * 1_000}),
        422,
        body(
            422,
            "Invalid input",
            "1000 fields are invalid (980 more not listed); see 'errors'.",
            INVALID,
            [item(p, "Not a valid string.", "invalid_string") for p in sorted(f"/models/{i}" for i in range(1_000))[:20]],
        ),
        {},
    ),
    "997-unknown-keys-listed-20": (
        post(TRAINING, {**BASE, **{f"k{i:03}": 1 for i in range(997)}}),
        422,
        body(
            422,
            "Invalid input",
            "997 fields are invalid (977 more not listed); see 'errors'.",
            INVALID,
            [item(f"/k{i:03}", "Unknown field.", "unknown_field") for i in range(20)],
        ),
        {},
    ),
    # --- 404: unknown ids, with the closest ones; unknown routes
    "unknown-model-in-path": (
        raw("GET", "/api/v1/models/llama-3.1-450b", None, None),
        404,
        unknown_id(UNKNOWN_MODEL, None, "llama-3.1-450b", ["llama-3.1-405b", "llama-3.1-70b", "llama-3.1-8b"]),
        {},
    ),
    "unknown-hardware-in-path": (
        raw("GET", "/api/v1/hardware/h1000", None, None),
        404,
        unknown_id(UNKNOWN_HARDWARE, None, "h1000", ["h100-sxm", "h100-pcie", "h20"]),
        {},
    ),
    "unknown-model-in-body": (
        train(model="llama-3.1-450b"),
        404,
        unknown_id(UNKNOWN_MODEL, "/model", "llama-3.1-450b", ["llama-3.1-405b", "llama-3.1-70b", "llama-3.1-8b"]),
        {},
    ),
    "unknown-hardware-in-body": (
        post(INFERENCE, {**SERVING, "hardware": "h1000"}),
        404,
        unknown_id(UNKNOWN_HARDWARE, "/hardware", "h1000", ["h100-sxm", "h100-pcie", "h20"]),
        {},
    ),
    "unknown-route": (raw("GET", "/api/v1/trainings", None, None), 404, NO_ENDPOINT, {}),
    "pre-v1-path": (post("/api/v1/training", BASE), 404, NO_ENDPOINT, {}),
    # --- 405
    "get-an-estimate": (raw("GET", TRAINING, None, None), 405, NOT_ALLOWED, {"Allow": "OPTIONS, POST"}),
    "delete-a-list": (raw("DELETE", "/api/v1/models", None, None), 405, NOT_ALLOWED, {"Allow": "GET, HEAD, OPTIONS"}),
    # --- 413: checked against what arrives, with or without Content-Length
    "too-large": (raw("POST", TRAINING, PADDED), 413, TOO_LARGE, {}),
    "too-large-chunked": (chunked(PADDED.encode()), 413, TOO_LARGE, {}),
    # --- 415
    "text-plain": (
        raw("POST", TRAINING, json.dumps(BASE), "text/plain"),
        415,
        not_json("text/plain"),
        {"Accept-Post": JSON},
    ),
    "form": (
        raw("POST", TRAINING, json.dumps(BASE), "application/x-www-form-urlencoded"),
        415,
        not_json("application/x-www-form-urlencoded"),
        {"Accept-Post": JSON},
    ),
    "no-content-type": (
        raw("POST", TRAINING, json.dumps(BASE), None),
        415,
        not_json("no Content-Type"),
        {"Accept-Post": JSON},
    ),
    "compare-text-plain": (
        raw("POST", COMPARE, "{}", "text/plain"),
        415,
        not_json("text/plain"),
        {"Accept-Post": JSON},
    ),
    # --- 422: numbers JSON does not have, or a float cannot hold
    "nan": (
        tokens("NaN"),
        422,
        bad_number("/tokens", "NaN is not a number JSON allows; send a finite number.", "non_finite_number"),
        {},
    ),
    "infinity": (
        tokens("Infinity"),
        422,
        bad_number("/tokens", "Infinity is not a number JSON allows; send a finite number.", "non_finite_number"),
        {},
    ),
    "minus-infinity": (
        tokens("-Infinity"),
        422,
        bad_number("/tokens", "-Infinity is not a number JSON allows; send a finite number.", "non_finite_number"),
        {},
    ),
    "1e400": (
        tokens("1e400"),
        422,
        bad_number("/tokens", "1e400 overflows a 64-bit float; send a finite number.", "number_out_of_range"),
        {},
    ),
    "-1.5e999": (
        tokens("-1.5e999"),
        422,
        bad_number("/tokens", "-1.5e999 overflows a 64-bit float; send a finite number.", "number_out_of_range"),
        {},
    ),
    "integer-401-digits": (
        tokens("1" + "0" * 400),
        422,
        bad_number(
            "/tokens", "10000000000000000000...(401 digits) is too large for a 64-bit float.", "number_out_of_range"
        ),
        {},
    ),
    "integer-5000-digits": (
        tokens("9" * 5000),
        422,
        bad_number(
            "/tokens", "99999999999999999999...(5000 digits) is too large for a 64-bit float.", "number_out_of_range"
        ),
        {},
    ),
    "nan-as-the-body": (
        raw("POST", COMPARE, "NaN"),
        422,
        bad_number("", "NaN is not a number JSON allows; send a finite number.", "non_finite_number"),
        {},
    ),
    "several-non-finite": (
        raw("POST", TRAINING, '{"tokens": NaN, "hardware": {"tdp_w": Infinity, "hbm_gb": 1e999}}'),
        422,
        body(
            422,
            "Invalid input",
            "3 problems in the JSON body; see 'errors'.",
            INVALID,
            [
                item("/tokens", "NaN is not a number JSON allows; send a finite number.", "non_finite_number"),
                item(
                    "/hardware/tdp_w",
                    "Infinity is not a number JSON allows; send a finite number.",
                    "non_finite_number",
                ),
                item(
                    "/hardware/hbm_gb", "1e999 overflows a 64-bit float; send a finite number.", "number_out_of_range"
                ),
            ],
        ),
        {},
    ),
    # --- 422: floats where integers belong (strict: 2.0 is not an integer either)
    "gpus-fraction": (train(gpus=2.5), 422, invalid("/gpus", INTEGER, "invalid_integer"), {}),
    "sequence-fraction": (
        train(sequence_tokens=4096.5),
        422,
        invalid("/sequence_tokens", INTEGER, "invalid_integer"),
        {},
    ),
    "tensor-parallel-fraction": (
        train(tensor_parallel=2.5),
        422,
        invalid("/tensor_parallel", INTEGER, "invalid_integer"),
        {},
    ),
    "expert-parallel-bool": (train(expert_parallel=True), 422, invalid("/expert_parallel", INTEGER, "invalid_integer"), {}),
    "batch-size-fraction": (
        post(INFERENCE, {**SERVING, "batch_size": 2.5}),
        422,
        invalid("/batch_size", INTEGER, "invalid_integer"),
        {},
    ),
    # 2.0 is an integer in JSON Schema (OpenAPI 3.1) and is accepted; a fraction is not.
    "batch-size-2.5": (
        post(INFERENCE, {**SERVING, "batch_size": 2.5}),
        422,
        invalid("/batch_size", INTEGER, "invalid_integer"),
        {},
    ),
    "compare-replica-fraction": (
        post(COMPARE, {"workload": "inference", "preset": "article", "hardware": "h100-sxm", "gpus_per_replica": 1.5}),
        422,
        invalid("/gpus_per_replica", INTEGER, "invalid_integer"),
        {},
    ),
    # --- 422: unknown fields, at the top and inside inline objects
    "unknown-field": (train(gpu=8), 422, invalid("/gpu", "Unknown field.", "unknown_field"), {}),
    "inline-model-unknown-field": (
        train(model={"total_params": 1e9, "layerz": 2}),
        422,
        invalid("/model/layerz", "Unknown field.", "unknown_field"),
        {},
    ),
    "inference-inline-model-unknown-field": (
        post(INFERENCE, {**SERVING, "model": {"total_params": 1e9, "layerz": 2}}),
        422,
        invalid("/model/layerz", "Unknown field.", "unknown_field"),
        {},
    ),
    "compare-unknown-field": (
        post(COMPARE, {"workload": "inference", "preset": "article", "hardware": "h100-sxm", "model": "x"}),
        422,
        invalid("/model", "Unknown field.", "unknown_field"),
        {},
    ),
    # --- 422: other invalid input the schemas find
    "tokens-zero": (train(tokens=0), 422, invalid("/tokens", "Must be greater than 0.", "out_of_range"), {}),
    "tokens-negative": (train(tokens=-1e12), 422, invalid("/tokens", "Must be greater than 0.", "out_of_range"), {}),
    "tokens-string": (train(tokens="1e12"), 422, invalid("/tokens", NUMBER, "invalid_number"), {}),
    "tokens-bool": (train(tokens=True), 422, invalid("/tokens", NUMBER, "invalid_number"), {}),
    "tokens-null": (
        raw("POST", TRAINING, json.dumps({**BASE, "tokens": None})),
        422,
        invalid("/tokens", "Field may not be null.", "null"),
        {},
    ),
    "gpus-zero": (train(gpus=0), 422, invalid("/gpus", "Must be greater than 0.", "out_of_range"), {}),
    "pipeline-parallel-zero": (
        train(pipeline_parallel=0),
        422,
        invalid("/pipeline_parallel", "Must be greater than 0.", "out_of_range"),
        {},
    ),
    "context-parallel-too-large": (
        train(context_parallel=2_000_000),
        422,
        invalid("/context_parallel", "Must be less than or equal to 1000000.", "out_of_range"),
        {},
    ),
    "global-batch-negative": (
        train(global_batch_tokens=-4e6),
        422,
        invalid("/global_batch_tokens", "Must be greater than 0.", "out_of_range"),
        {},
    ),
    "global-batch-string": (
        train(global_batch_tokens="4e6"),
        422,
        invalid("/global_batch_tokens", NUMBER, "invalid_number"),
        {},
    ),
    "compare-tensor-parallel-zero": (
        post(COMPARE, {"workload": "training", "preset": "article", "hardware": "h100-sxm", "tensor_parallel": 0}),
        422,
        invalid("/tensor_parallel", "Must be greater than 0.", "out_of_range"),
        {},
    ),
    "hardware-missing": (train(hardware=None), 422, invalid("/hardware", REQUIRED, "required"), {}),
    "precision-unknown": (
        train(precision="int8"),
        422,
        invalid("/precision", "Must be one of: fp64, tf32, bf16, fp16, fp8, fp4.", "invalid_choice"),
        {},
    ),
    "recompute-unknown": (
        train(recompute="some"),
        422,
        invalid("/recompute", "Must be one of: none, selective, full.", "invalid_choice"),
        {},
    ),
    "utilisation-above-1": (
        train(utilisation=1.5),
        422,
        invalid("/utilisation", "Must be greater than 0 and less than or equal to 1.", "out_of_range"),
        {},
    ),
    "pue-below-1": (train(pue=0.9), 422, invalid("/pue", "Must be greater than or equal to 1 and less than or equal to 5: the plausible range of "
                                                  "energy.pue in a pricing table.", "out_of_range"), {}),
    "model-number": (
        train(model=405),
        422,
        invalid("/model", "Not a valid id or object: give a catalog id string or an object.", "invalid_type"),
        {},
    ),
    "hardware-blank": (train(hardware=" "), 422, invalid("/hardware", "Must not be empty.", "empty"), {}),
    "inline-hardware-incomplete": (
        train(hardware={"bf16_dense_tflops": 100.0, "hbm_gb": 80}),
        422,
        body(
            422,
            "Invalid input",
            "2 fields are invalid; see 'errors'.",
            INVALID,
            [
                item("/hardware/hbm_bandwidth_tb_per_s", REQUIRED, "required"),
                item("/hardware/tdp_w", REQUIRED, "required"),
            ],
        ),
        {},
    ),
    "body-not-an-object": (
        post(TRAINING, [BASE]),
        422,
        body(422, "Invalid input", "Invalid input type.", INVALID, [item("", "Invalid input type.", "invalid_type")]),
        {},
    ),
    # nesting at the limit is parsed and reaches the schema
    "nesting-at-the-limit": (
        raw("POST", TRAINING, '{"model": "llama-3.1-8b", "tokens": ' + "[" * 31 + "]" * 31 + "}"),
        422,
        body(
            422,
            "Invalid input",
            "2 fields are invalid; see 'errors'.",
            INVALID,
            [item("/hardware", REQUIRED, "required"), item("/tokens", NUMBER, "invalid_number")],
        ),
        {},
    ),
}


@pytest.mark.parametrize("accept", [None, "text/html,application/xhtml+xml,*/*;q=0.8"], ids=["no-accept", "browser"])
@pytest.mark.parametrize(("request_", "status", "expected", "headers"), BAD_REQUESTS.values(), ids=BAD_REQUESTS.keys())
def test_bad_request(client, request_, status, expected, headers, accept):
    """The whole body, exactly; problem JSON under /api/ even for a browser (never an HTML page)."""
    request_ = dict(request_)
    if "input_stream" in request_:
        request_["input_stream"] = io.BytesIO(request_["input_stream"].getvalue())
    response = client.open(**request_, headers={"Accept": accept} if accept else {})

    assert response.status_code == status
    assert response.mimetype == "application/problem+json"
    assert response.get_json() == expected
    assert list(response.get_json()) == ["type", "title", "status", "detail", "errors"]
    for name, value in headers.items():
        if name == "Allow":
            assert sorted(response.headers[name].split(", ")) == value.split(", ")
        else:
            assert response.headers[name] == value


# --- Errors the core finds: the problem carries the core's message and data -----------------------------
def test_tokens_are_required_without_a_published_count(client, problem):
    body = {"params": 8e9, "hardware": "h100-sxm"}
    with pytest.raises(EstimatorError) as info:
        training_request(load_catalog(), body)
    response = client.post(TRAINING, json=body)
    assert response.get_json() == problem(
        422,
        "Invalid input",
        info.value.message,
        type_=INVALID,
        errors=[item("/tokens", info.value.message, "invalid_input")],
    )


def core_error(changes):
    """The error the core raises for ``BASE`` + ``changes`` (so messages are the core's own)."""
    catalog, book = load_catalog(), load_price_book()
    with pytest.raises(EstimatorError) as info:
        estimate_training(training_request(catalog, {**BASE, **changes}), book, catalog)
    return info.value


# (body changes, status, type, title, code, pointer, extra members expected in the item)
CORE_CASES = {
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
        409,
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
    "layout-and-utilisation": (
        {"utilisation": 0.4, "pipeline_parallel": 2},
        422,
        INVALID,
        "Invalid input",
        "invalid_input",
        "/pipeline_parallel",
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
    response = client.post(TRAINING, json={**BASE, **changes})
    assert_core_problem(response, exc, status, type_, title, code, pointer, extra)


def test_chunked_small_body_is_read_whole(client, core):
    data = json.dumps({**BASE, "gpus": 64}).encode()
    response = client.post(
        TRAINING,
        input_stream=io.BytesIO(data),
        content_type="application/json",
        environ_overrides={"HTTP_TRANSFER_ENCODING": "chunked", "wsgi.input_terminated": True},
    )
    assert response.status_code == 200
    assert response.get_json() == core({**BASE, "gpus": 64})


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


# --- Control and bidirectional formatting characters (issue 13): a custom model's name is shown on the
# pages and written to CSV downloads; NUL, ESC (terminal colours) and overrides never get that far.
@pytest.mark.parametrize(
    ("name", "shown"),
    [("My\u0000model", "the control character U+0000"), ("My\u001b[31mmodel", "the control character U+001B"),
     ("My\u009bmodel", "the control character U+009B"), ("My\u202emodel", "the bidirectional formatting character U+202E")],
    ids=["NUL", "ESC", "CSI (C1)", "right-to-left override"],
)
def test_json_strings_with_control_characters_are_refused(client, name, shown):
    model = {"name": name, "total_params": 7e9}
    response = client.post(TRAINING, data=json.dumps({**BASE, "model": model}), content_type=JSON)
    assert response.status_code == 422
    assert response.get_json() == bad_number("/model/name", f"Holds {shown}; remove it.", "control_character")


def test_a_control_character_in_a_key_is_refused_with_its_pointer(client):
    response = client.post(TRAINING, data='{"tok\\u001bens": 1}', content_type=JSON)
    detail = "Holds the control character U+001B; remove it."
    # the pointer names the key as sent, escaped in the JSON text (the app's strict reader refuses it back)
    assert b'"pointer":"/tok\\u001bens"' in response.data
    assert json.loads(response.data) == bad_number("/tok\u001bens", detail, "control_character")


def test_tabs_and_line_breaks_in_strings_are_fine(client):
    model = {"name": "My\tmodel\nsecond line", "total_params": 7e9}
    assert client.post(TRAINING, data=json.dumps({**BASE, "model": model}), content_type=JSON).status_code == 200


def test_a_page_address_with_a_control_character_is_refused(client):
    query = {"model": "custom", "model.name": "My\x1b[31m70B", "model.total_params": "70.6e9", "tokens": "1e12",
             "hardware": "h100-sxm"}
    response = client.get("/training", query_string=query)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "The address&#39;s parameter &#39;model.name&#39; holds the control character U+001B; remove it." in page
    assert "\x1b" not in page
    api = client.get("/api/v1/models", query_string={"q": "\u202e"})
    detail = "The address's parameter 'q' holds the bidirectional formatting character U+202E; remove it."
    assert api.get_json() == body(422, "Invalid input", detail, INVALID,
                                  [item(None, detail, "control_character", parameter="q")])


# --- Price overrides read their plausible ranges from pricing/tables.py (issue 13, defect 5) ----------
#: Each override with the table column that declares its range, and values just outside it. Before,
#: 1e-320 USD/GPU-hour or 1e-300 USD/kWh answered 200 with figures of ~1e-317 USD; a PUE of 9 or a price
#: of 5,000 USD/GPU-hour were taken too.
OVERRIDES = {
    "usd_per_gpu_hour": ("0.01 and less than or equal to 1,000 USD/GPU-hour", "gpu_prices.usd_per_gpu_hour", (1e-320, 0.009, 1000.5)),
    "capex_usd_per_gpu": ("100 and less than or equal to 1,000,000,000 USD", "hardware_costs.usd_capex", (1e-300, 99, 2e9)),
    "usd_per_kwh": ("0.001 and less than or equal to 10 USD/kWh", "energy.usd_per_kwh", (1e-300, 0.0009, 10.5)),
    "pue": ("1 and less than or equal to 5", "energy.pue", (0.9, 5.01)),
    # 0 is a valid table cell (an intensity the estimate then does not use) but the core refuses it as an override
    "grid_kg_co2_per_kwh": ("0 and less than or equal to 2 kg CO2/kWh", "energy.grid_kgco2_per_kwh", (0, -1e-300, 2.5)),
}


@pytest.mark.parametrize(("field", "value"), [(f, v) for f, (_, _, vs) in OVERRIDES.items() for v in vs])
@pytest.mark.parametrize("path", [TRAINING, INFERENCE])
def test_price_overrides_outside_the_declared_range_are_refused(client, path, field, value):
    range_text, column, _ = OVERRIDES[field]
    document = {**(BASE if path == TRAINING else SERVING), field: value}
    response = client.post(path, json=document)
    low = "greater than" if field == "grid_kg_co2_per_kwh" else "greater than or equal to"
    detail = f"Must be {low} {range_text}: the plausible range of {column} in a pricing table."
    assert (response.status_code, response.get_json()) == (422, invalid(f"/{field}", detail, "out_of_range"))


@pytest.mark.parametrize("field", OVERRIDES)
def test_price_override_ranges_are_in_openapi(client, field):
    from pricing.tables import TABLES

    table, column = OVERRIDES[field][1].split(".")
    declared = TABLES[table].column(column)
    spec = client.get("/api/v1/openapi.json").get_json()
    for schema in ("TrainingRequest", "InferenceRequest"):
        prop = spec["components"]["schemas"][schema]["properties"][field]
        bound = "exclusiveMinimum" if field == "grid_kg_co2_per_kwh" else "minimum"  # JSON Schema 2020-12
        assert (prop[bound], prop["maximum"]) == (declared.minimum, declared.maximum)
        assert {"minimum", "exclusiveMinimum"} & set(prop) == {bound}


def test_price_overrides_at_the_declared_bounds_are_taken(client):
    lowest = {"usd_per_gpu_hour": 0.01, "capex_usd_per_gpu": 100, "usd_per_kwh": 0.001, "pue": 1,
              "grid_kg_co2_per_kwh": 0.001}
    highest = {"usd_per_gpu_hour": 1000, "capex_usd_per_gpu": 1e9, "usd_per_kwh": 10, "pue": 5,
               "grid_kg_co2_per_kwh": 2}
    for overrides in (lowest, highest):
        response = client.post(TRAINING, json={**BASE, "gpus": 64, **overrides})
        assert response.status_code == 200, response.get_json()
        assert response.get_json()["cost_usd"]["rent"]["low"] > 0
