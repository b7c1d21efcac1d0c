"""Property-based fuzzing of the JSON API: no request gets a 500 or a traceback, and every error is
the one problem shape.

schemathesis reads ``/api/v1/openapi.json`` and calls the app in-process (WSGI), twice:

- ``test_api_never_fails_and_speaks_problem_details``: every operation of the published document,
  with its examples, the invalid "coverage" cases (each field just outside its minimum or maximum,
  missing required fields, wrong types, undeclared methods and media types) and hypothesis-generated
  requests, valid (positive) and invalid (negative);
- ``test_estimates_with_catalog_ids_never_fail``: the three estimates again with valid requests only,
  the model and hardware ids narrowed to the catalog's and one field of each exclusive pair dropped,
  so that the boundary values of every number (at its minimum, at its maximum) reach the core's
  arithmetic instead of stopping at a 404 for an unknown id or a 422 for 'model' and 'params' both.

Each response goes through schemathesis's checks and ``problem_details`` below.
``positive_data_acceptance`` (every request the document calls valid is accepted) runs over real
HTTP in ``test_app_schemathesis.py``, with the command line against the served document; here the
catalog bodies below are narrowed and thinned by hand (``consistent``), so they are not the
document's own.

Bounded for CI: ``MAX_EXAMPLES`` generated requests per operation and run, plus the examples and
coverage cases (about 3,000 requests, 30 s); deterministic (derandomized, no example database, so
nothing is written to ``.hypothesis/``). ``ESTIMATOR_FUZZ_EXAMPLES=2000`` digs deeper locally.
"""

from __future__ import annotations

import copy
import json
import os
import zlib
from typing import Any

import pytest
import schemathesis
from schemathesis import GenerationMode
from schemathesis.checks import (
    allow_header_conformance,
    content_type_conformance,
    negative_data_rejection,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
    unsupported_method,
)
from schemathesis.config import SchemathesisConfig

from estimator.app import create_app
from estimator.app.errors import PROBLEM_MIMETYPE, PROBLEM_TYPES
from estimator.catalog import load_catalog
from estimator.compare import PRESETS

MAX_EXAMPLES = int(os.environ.get("ESTIMATOR_FUZZ_EXAMPLES", "40"))
PROBLEM_KEYS = {"type", "title", "status", "detail", "errors"}
PROBLEM_TYPE_URIS = {"about:blank"} | {f"/problems/{slug}" for slug in PROBLEM_TYPES}
#: What the client is told instead of a traceback (errors.py); seeing it means the app crashed.
SERVER_ERROR_DETAIL = "An unexpected error occurred on the server. It has been logged."

# The app as gunicorn serves it: an unhandled exception becomes a 500 problem (Flask logs the
# traceback, which pytest shows with the failure) instead of propagating into the test.
# Writes are enabled (the requests carry the token) and a pricing table 'fuzz' with one version is
# stored, so uploads, activation, roll-back, diffs and downloads are fuzzed past the token check.
TOKEN = "fuzz-token"
APP = create_app({"TESTING": True, "PROPAGATE_EXCEPTIONS": False, "ADMIN_TOKEN": TOKEN})
APP.extensions["pricing_store"].import_version(
    "fuzz",
    {"gpu_prices": [{"provider": "Fuzz", "region": "", "gpu": "h100-sxm", "pricing_model": "spot",
                     "usd_per_gpu_hour": 1.5, "product": "", "effective_date": "2025-01-01", "source": "fuzz",
                     "notes": ""}]},
    file_name="fuzz.csv", created_by="tests")
AUTH = {"Authorization": f"Bearer {TOKEN}"}
# An explicit config: a schemathesis.toml found by discovery must not change what CI runs.
schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", APP, config=SchemathesisConfig())
schema.config.generation.update(
    modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE],
    max_examples=MAX_EXAMPLES,
    deterministic=True,  # hypothesis derandomize=True: the same requests on every run
    database="none",
)
# The valid boundary cases are generated below, with ids that reach the core.
schema.config.phases.coverage.generation.update(modes=[GenerationMode.NEGATIVE])


def with_catalog_ids(document: dict[str, Any]) -> dict[str, Any]:
    """The document with every model and hardware id narrowed to the seed catalog's ids.

    Random strings are unknown ids (a 404 before any arithmetic), so the published document alone
    rarely gets a request into the core; with real ids, the boundary values of every number reach
    the estimate itself.
    """
    catalog = load_catalog()
    models, hardware = (
        {"type": "string", "enum": list(catalog.models)},
        {"type": "string", "enum": list(catalog.hardware)},
    )
    document = copy.deepcopy(document)
    for component in document["components"]["schemas"].values():
        properties = component.get("properties", {})
        entries = properties.get("hardware", {}).get("oneOf", [{}, {}])[-1].get("type") == "array"
        for name, ids in (("model", models), ("hardware", hardware)):
            if "oneOf" in properties.get(name, {}) and not (name == "hardware" and entries):
                properties[name]["oneOf"][0] = ids
        if entries:  # a hardware comparison: "all" stays, and the list's entries are catalog ids
            properties["hardware"]["oneOf"][1]["items"] = hardware
        if "models" in properties:
            properties["models"]["items"] = models
        if "baseline" in properties and "rows" not in properties:
            # A request's baseline: one of the models compared, or a GPU of a hardware comparison
            # (a response's, with its rows, is left as documented).
            properties["baseline"] = {**properties["baseline"], **(hardware if entries else models)}
    # Pricing tables by a name that exists (or the seed table, or one that does not), so uploads,
    # activations and roll-backs reach the store instead of stopping at a 404.
    for item in document["paths"].values():
        for parameter in item.get("parameters", []):
            if parameter["in"] == "path" and parameter["name"] == "name":
                parameter["schema"] = {"type": "string", "enum": ["fuzz", "seed", "missing"]}
    return document


# The estimates again, with catalog ids: valid requests only (the invalid ones are above), so that
# every generated request that the cross-field rules let through is computed by the core.
with APP.test_client() as client:
    catalog_schema = schemathesis.openapi.from_dict(
        with_catalog_ids(client.get("/api/v1/openapi.json").get_json()), config=SchemathesisConfig()
    )
catalog_schema.app = APP  # as from_wsgi does: requests go to the app in-process
catalog_schema.config.generation.update(
    modes=[GenerationMode.POSITIVE], max_examples=MAX_EXAMPLES, deterministic=True, database="none"
)
catalog_schema = catalog_schema.include(method="POST")

#: Fields a body may not give together, which the document cannot say: one of each pair is dropped.
EXCLUSIVE = (("model", "params"), ("gpus", "deadline_days"), ("requests_per_s", "tokens_per_day"), ("models", "preset"))


def consistent(body: dict[str, Any]) -> dict[str, Any]:
    """``body`` with one field of each exclusive pair, chosen by a checksum of the body (so either
    can stay, the same on every run), and a baseline only if it is among the compared models."""
    body = dict(body)
    checksum = zlib.crc32(json.dumps(body, sort_keys=True).encode())
    for bit, pair in enumerate(EXCLUSIVE):
        if all(name in body for name in pair):
            del body[pair[checksum >> bit & 1]]
    if "params" not in body:
        body.pop("active_params", None)  # it goes with 'params' only
    if body.get("baseline") not in body.get("models", PRESETS.get(body.get("preset", ""), ())):
        body.pop("baseline", None)
    return body


def problem_details(ctx: Any, response: Any, case: Any) -> None:
    """Every 4xx and 5xx is RFC 9457 problem JSON in the one shape, and never a traceback."""
    if response.status_code < 400:
        return
    assert "Traceback" not in response.text, "a traceback reached the client"
    media_type = response.headers.get("content-type", [""])[0].split(";")[0].strip()
    assert media_type == PROBLEM_MIMETYPE, f"{response.status_code} answered with {media_type!r}"
    body = response.json()
    assert isinstance(body, dict) and set(body) == PROBLEM_KEYS, f"not the problem shape: {body!r}"
    assert body["status"] == response.status_code, body
    assert body["type"] in PROBLEM_TYPE_URIS, body
    assert isinstance(body["title"], str) and body["title"], body
    assert isinstance(body["detail"], str) and body["detail"], body
    assert isinstance(body["errors"], list), body
    for item in body["errors"]:
        assert isinstance(item, dict), body
        assert isinstance(item.get("detail"), str) and item["detail"], body
        assert isinstance(item.get("code"), str) and item["code"], body
        pointer = item.get("pointer", "missing")
        assert pointer is None or (isinstance(pointer, str) and (pointer == "" or pointer.startswith("/"))), body
    if response.status_code >= 500:
        assert body["detail"] == SERVER_ERROR_DETAIL or response.status_code == 503, body


CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    negative_data_rejection,
    unsupported_method,
    allow_header_conformance,
    problem_details,
]


@schema.parametrize()
def test_api_never_fails_and_speaks_problem_details(case):
    case.call_and_validate(checks=CHECKS, headers=AUTH)


@catalog_schema.parametrize()
def test_estimates_with_catalog_ids_never_fail(case):
    if isinstance(case.body, dict):
        case.body = consistent(case.body)
    case.call_and_validate(checks=CHECKS, headers=AUTH)


H100 = {"bf16_dense_tflops": 989.4, "hbm_gb": 80, "hbm_bandwidth_tb_per_s": 3.35, "tdp_w": 700}
TRAINING = {"model": "llama-3.1-70b", "tokens": 1e12, "hardware": "h100-sxm", "gpus": 1024}
SERVING = {"model": "llama-2-70b", "hardware": "h100-sxm", "requests_per_s": 20}
#: Numbers beyond the realistic ranges (schemas.py), each now a 422 at its field before the core runs.
#: Found by probing the corners the fuzzing above reaches too rarely: on the core of commit 20180c8,
#: every one was a 500 (overflow or division by zero in the core, or a non-finite figure that the
#: JSON encoder refused).
OUT_OF_RANGE = {
    "params-1e308": ("/api/v1/estimates/training", {**TRAINING, "model": None, "params": 1e308}, "/params"),
    "tokens-5e-324": ("/api/v1/estimates/training", {**TRAINING, "tokens": 5e-324}, "/tokens"),
    "pue-1e308": ("/api/v1/estimates/training", {**TRAINING, "pue": 1e308}, "/pue"),
    "price-1e308": ("/api/v1/estimates/training", {**TRAINING, "usd_per_gpu_hour": 1e308}, "/usd_per_gpu_hour"),
    "deadline-1e-300": (
        "/api/v1/estimates/training",
        {**TRAINING, "gpus": None, "deadline_days": 1e-300},
        "/deadline_days",
    ),
    "utilisation-1e-300": ("/api/v1/estimates/training", {**TRAINING, "utilisation": 1e-300}, "/utilisation"),
    "inline-gpu-slow": (
        "/api/v1/estimates/training",
        {**TRAINING, "hardware": {**H100, "bf16_dense_tflops": 1e-300}},
        "/hardware/bf16_dense_tflops",
    ),
    "inline-model-huge": (
        "/api/v1/estimates/training",
        {**TRAINING, "model": {"total_params": 1e308}},
        "/model/total_params",
    ),
    "inline-model-wide": (
        "/api/v1/estimates/training",
        {**TRAINING, "model": {"total_params": 7e9, "layers": 32, "attention_heads": 32, "head_dim": 10**300}},
        "/model/head_dim",
    ),
    "load-1e308": ("/api/v1/estimates/inference", {**SERVING, "requests_per_s": 1e308}, "/requests_per_s"),
    "load-5e-324": ("/api/v1/estimates/inference", {**SERVING, "requests_per_s": 5e-324}, "/requests_per_s"),
    "peak-1e308": ("/api/v1/estimates/inference", {**SERVING, "peak_to_average": 1e308}, "/peak_to_average"),
    "replica-10e300": ("/api/v1/estimates/inference", {**SERVING, "gpus_per_replica": 10**300}, "/gpus_per_replica"),
    "batch-10e300": ("/api/v1/estimates/inference", {**SERVING, "batch_size": 10**300}, "/batch_size"),
    "inline-gpu-no-memory": (
        "/api/v1/estimates/inference",
        {**SERVING, "hardware": {**H100, "hbm_gb": 5e-324}},
        "/hardware/hbm_gb",
    ),
    "inline-gpu-nvlink-sliver": (
        "/api/v1/estimates/inference",
        {**SERVING, "hardware": {**H100, "nvlink_gb_per_s": 5e-324}},
        "/hardware/nvlink_gb_per_s",
    ),
    "compare-load-1e308": (
        "/api/v1/compare",
        {"workload": "inference", "preset": "article", "hardware": "h100-sxm", "requests_per_s": 1e308},
        "/requests_per_s",
    ),
}


@pytest.mark.parametrize(("url", "body", "pointer"), OUT_OF_RANGE.values(), ids=OUT_OF_RANGE.keys())
def test_numbers_beyond_the_realistic_range_are_422(client, url, body, pointer):
    response = client.post(url, json={k: v for k, v in body.items() if v is not None})

    assert response.status_code == 422
    assert response.mimetype == PROBLEM_MIMETYPE
    problem = response.get_json()
    assert problem["type"] == "/problems/invalid-input"
    assert [(item["pointer"], item["code"]) for item in problem["errors"]] == [(pointer, "out_of_range")]
