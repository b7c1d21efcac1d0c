"""The OpenAPI document: valid references, the endpoints, and schemas in step with the core."""

from __future__ import annotations

import csv
import json

import jsonschema_rs
import pytest
from openapi_spec_validator import OpenAPIV31SpecValidator, validate

from estimator import figures
from estimator.app.schemas import (
    ID_TEXT,
    ComparisonSchema,
    HardwareComparisonSchema,
    HardwareSpecSchema,
    InferenceCompareRequestSchema,
    InferenceEstimateSchema,
    InferenceRequestSchema,
    ModelSpecSchema,
    TrainingCompareRequestSchema,
    TrainingEstimateSchema,
    TrainingRequestSchema,
)
from estimator.catalog import SEEDS_DIR
from estimator.inputs import INFERENCE_OPTIONAL, TRAINING_OPTIONAL


@pytest.fixture
def spec(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    return response.get_json()


def refs(node):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref":
                yield value
            else:
                yield from refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from refs(value)


def test_document_header(spec):
    assert spec["openapi"] == "3.1.0"
    assert spec["info"]["title"] and spec["info"]["version"]


def test_document_passes_openapi_spec_validator(spec):
    """The document as served is valid OpenAPI 3.1 (openapi-spec-validator raises on the first error)."""
    validate(spec, cls=OpenAPIV31SpecValidator)


def test_old_document_address_redirects_to_the_valid_one(client, spec):
    response = client.get("/api/openapi.json", follow_redirects=True)
    assert response.request.path == "/api/v1/openapi.json"
    assert response.get_json() == spec


def test_every_ref_resolves(spec):
    found = list(refs(spec))
    assert found
    for ref in found:
        assert ref.startswith("#/"), ref
        node = spec
        for part in ref[2:].split("/"):
            assert part in node, f"dangling {ref}"
            node = node[part]


def test_paths(spec):
    assert set(spec["paths"]) == {
        "/api/v1/estimates/training",
        "/api/v1/estimates/inference",
        "/api/v1/estimates/batch",
        "/api/v1/compare",
        "/api/v1/compare/hardware",
        "/api/v1/hardware",
        "/api/v1/hardware/{hardware_id}",
        "/api/v1/models",
        "/api/v1/models/{model_id}",
        "/api/v1/pricing-tables",
        "/api/v1/pricing-tables/{name}",
        "/api/v1/pricing-tables/{name}/versions",
        "/api/v1/pricing-tables/{name}/versions/{number}",
        "/api/v1/pricing-tables/{name}/diff",
        "/api/v1/pricing-tables/{name}/active",
        "/api/v1/pricing-tables/{name}/rollback",
        "/api/v1/pricing-tables/{name}/download",
        "/api/v1/pricing-template.xlsx",
        "/api/v1/plans/capacity",
        "/api/v1/plans/rent-vs-buy",
        "/api/v1/plans/presets/article",
        "/api/v1/scenarios/demand",
        "/api/v1/sensitivity",
        "/api/v1/sensitivity/training",
        "/api/v1/sensitivity/inference",
    }
    training = spec["paths"]["/api/v1/estimates/training"]["post"]
    assert training["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/TrainingRequest"
    }
    for path in ("/api/v1/estimates/training", "/api/v1/estimates/inference", "/api/v1/compare"):
        responses = spec["paths"][path]["post"]["responses"]
        assert set(responses) == {"200", "400", "404", "409", "413", "415", "422", "503", "default"}, path
        assert "application/problem+json" in responses["422"]["content"]
        assert "application/problem+json" in responses["409"]["content"]
    inference = spec["paths"]["/api/v1/estimates/inference"]["post"]
    assert inference["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/InferenceRequest"
    }
    assert inference["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/InferenceEstimate"
    }


def test_compare_body_is_one_schema_per_workload(spec):
    body = spec["paths"]["/api/v1/compare"]["post"]["requestBody"]
    assert body["required"] is True
    content = body["content"]["application/json"]
    refs_by_workload = {
        "training": "#/components/schemas/TrainingCompareRequest",
        "inference": "#/components/schemas/InferenceCompareRequest",
    }
    assert content["schema"]["oneOf"] == [{"$ref": ref} for ref in refs_by_workload.values()]
    assert content["schema"]["discriminator"] == {"propertyName": "workload", "mapping": refs_by_workload}
    for workload, ref in refs_by_workload.items():
        schema = spec["components"]["schemas"][ref.rsplit("/", 1)[1]]
        assert schema["properties"]["workload"]["enum"] == [workload]
        assert "workload" in schema["required"]
    assert {example["value"]["workload"] for example in content["examples"].values()} == set(refs_by_workload)


@pytest.mark.parametrize(
    ("name", "required"),
    [
        ("TrainingRequest", {"hardware"}),
        ("InferenceRequest", {"model", "hardware"}),
        ("TrainingCompareRequest", {"workload", "hardware"}),
        ("InferenceCompareRequest", {"workload", "hardware"}),
    ],
)
def test_request_schema_is_documented(spec, name, required):
    schema = spec["components"]["schemas"][name]
    assert set(schema["required"]) == required
    for field, prop in schema["properties"].items():
        assert prop.get("description"), f"{name}.{field} has no description"
        assert "example" in prop, f"{name}.{field} has no example"


def test_training_request_details(spec):
    schema = spec["components"]["schemas"]["TrainingRequest"]
    assert schema["properties"]["tokens"]["exclusiveMinimum"] == 1  # TOKENS: above 1
    assert schema["properties"]["hardware"]["oneOf"] == [
        ID_TEXT,  # an id: not blank, no control character
        {"$ref": "#/components/schemas/HardwareSpec"},
    ]
    assert spec["components"]["schemas"]["Problem"]["required"] == ["detail", "errors", "status", "title", "type"]
    assert "application/problem+json" in spec["components"]["responses"]["DEFAULT_ERROR"]["content"]


def test_request_schema_fields_match_the_core():
    assert set(TrainingRequestSchema().fields) == {
        "model",
        "params",
        "active_params",
        "tokens",
        "hardware",
        *TRAINING_OPTIONAL,
        "pricing_table",  # chosen by the app (run.py), not a field of the core's request
    }
    assert set(InferenceRequestSchema().fields) == {"model", "hardware", *INFERENCE_OPTIONAL, "pricing_table"}


@pytest.mark.parametrize(
    ("compare_schema", "request_schema"),
    [(TrainingCompareRequestSchema, TrainingRequestSchema), (InferenceCompareRequestSchema, InferenceRequestSchema)],
)
def test_compare_takes_the_workload_fields_without_the_model(compare_schema, request_schema):
    compare_fields = set(compare_schema().fields) - {"workload", "models", "preset", "baseline"}
    assert compare_fields == set(request_schema().fields) - {"model", "params", "active_params"}


@pytest.mark.parametrize(
    ("schema", "csv_name"), [(HardwareSpecSchema, "hardware.csv"), (ModelSpecSchema, "models.csv")]
)
def test_inline_objects_take_the_seed_columns(schema, csv_name):
    with (SEEDS_DIR / csv_name).open(newline="", encoding="utf-8") as handle:
        columns = next(csv.reader(handle))
    assert set(schema().fields) == set(columns)


@pytest.mark.parametrize(
    ("url", "body", "schema", "optional"),
    [
        (
            "/api/v1/estimates/training",
            {"model": "llama-3.1-8b", "tokens": 1e12, "hardware": "h100-sxm", "deadline_days": 10},
            TrainingEstimateSchema,
            set(),
        ),
        (
            "/api/v1/estimates/inference",
            {"model": "deepseek-v3", "hardware": "h200-sxm", "precision": "fp8", "requests_per_s": 5},
            InferenceEstimateSchema,
            set(),
        ),
        (
            "/api/v1/compare",
            {"workload": "inference", "preset": "article", "hardware": "h200-sxm", "precision": "fp8"},
            ComparisonSchema,
            set(),
        ),
        (
            "/api/v1/compare/hardware",
            {"workload": "inference", "model": "llama-3.1-8b", "hardware": ["h100-sxm", "b200"], "requests_per_s": 5},
            HardwareComparisonSchema,
            set(),
        ),
    ],
)
def test_documented_response_fields_exist(client, url, body, schema, optional):
    """Every field the response schema documents is in the real body, with that shape, and the
    body has no field the schema does not document."""
    result = client.post(url, json=body).get_json()
    documented = set(schema().fields)
    assert documented == set(result)
    schema().load(result)


def _target(spec, prop):
    """The component a property refers to (directly, or wrapped in allOf / anyOf for a description)."""
    ref = prop.get("$ref") or next(p["$ref"] for p in prop.get("allOf", prop.get("anyOf", ())) if "$ref" in p)
    return spec["components"]["schemas"][ref.rsplit("/", 1)[1]]


def test_every_per_replica_figure_is_documented(spec):
    """per_replica is an object with every declared key (not a free dict), each described from the declaration."""
    prop = spec["components"]["schemas"]["InferenceEstimate"]["properties"]["per_replica"]
    per_replica = _target(spec, prop)
    declared = {f.name: f for f in figures.members(figures.Serving.PER_REPLICA)}
    assert set(per_replica["properties"]) == set(declared) == set(per_replica["required"])
    assert per_replica["additionalProperties"] is False
    for name, documented in per_replica["properties"].items():
        assert documented["description"] == declared[name].doc
        assert documented["type"] == declared[name].type


@pytest.mark.parametrize(("workload", "component"), [("training", "TrainingEstimate"), ("inference", "InferenceEstimate")])
def test_every_declared_figure_is_documented(spec, workload, component):
    """Each figure of estimator/figures.py is in the document at its path, described with its own words:
    on its property, or (in a shape several places share, like Power) on the property that uses the shape."""
    top = spec["components"]["schemas"][component]
    assert set(top["properties"]) == {e.name for e in figures.top_level(workload)}
    assert set(top["required"]) == {e.name for e in figures.top_level(workload)
                                    if not getattr(e, "optional", False)}
    for figure in figures.FIGURES[workload]:
        node, around = top, ""
        for part in figure.path[:-1]:
            around = node["properties"][part].get("description", "")
            node = _target(spec, node["properties"][part])
        documented = node["properties"][figure.name]
        assert figure.doc == documented.get("description") or figure.doc in around, figure.key


def test_info_description_and_bearer_scheme_on_writes(spec):
    assert "Bearer" in spec["info"]["description"]
    assert spec["components"]["securitySchemes"] == {"bearerAuth": {
        "type": "http", "scheme": "bearer",
        "description": "The server's ESTIMATOR_ADMIN_TOKEN (at least 32 characters), for writes to pricing tables."}}
    secured = {(path, method) for path, item in spec["paths"].items() for method, op in item.items()
               if isinstance(op, dict) and op.get("security")}
    assert secured == {("/api/v1/pricing-tables/{name}/versions", "post"),
                       ("/api/v1/pricing-tables/{name}/active", "post"),
                       ("/api/v1/pricing-tables/{name}/rollback", "post")}


def exclusive(first: str, *others: str) -> dict:
    """schemas.not_both: ``others`` may not be given with ``first``."""
    return {"dependentSchemas": {first: {"properties": dict.fromkeys(others, False)}}}


@pytest.mark.parametrize(("name", "rule"), [
    ("TrainingRequest", {"oneOf": [{"required": ["model"]}, {"required": ["params"]}]}),
    ("TrainingRequest", exclusive("model", "active_params")),
    ("TrainingRequest", exclusive("gpus", "deadline_days")),
    ("InferenceRequest", exclusive("requests_per_s", "tokens_per_day")),
    ("InferenceCompareRequest", exclusive("requests_per_s", "tokens_per_day")),
    ("InferenceCompareRequest", exclusive("models", "preset")),
    ("CapacityRequest", {"oneOf": [{"required": ["budget_usd"]}, {"required": ["power_mw"]}]}),
    ("DemandRequest", exclusive("elasticity", "elasticities")),
])
def test_rules_across_fields_are_stated(spec, name, rule):
    assert rule in spec["components"]["schemas"][name]["allOf"]


def test_compare_states_models_or_a_preset(spec):
    (rule,) = [r for r in spec["components"]["schemas"]["TrainingCompareRequest"]["allOf"]
               if r.get("anyOf", [{}])[0] == {"required": ["models"]}]
    assert {branch["properties"]["preset"]["const"] for branch in rule["anyOf"][1:]} == {"article", "mistral",
                                                                                         "deepseek"}


def validates(spec, name: str, body: dict) -> bool:
    """Whether the served document calls ``body`` a valid ``name`` (JSON Schema 2020-12)."""
    schemas = spec["components"]["schemas"]
    root = json.loads(json.dumps({**schemas[name], "$defs": schemas}).replace("#/components/schemas/", "#/$defs/"))
    return jsonschema_rs.validator_for(root).is_valid(body)


TRAINING = {"model": "llama-3.1-8b", "tokens": 1e12, "hardware": "h100-sxm", "gpus": 64}
SERVING = {"model": "llama-3.1-8b", "hardware": "h100-sxm"}
#: (schema, body, valid): the rules the catalog gives, read from the catalog the app loaded.
CATALOG_RULES = {
    "fp4-on-b200": ("TrainingRequest", {**TRAINING, "hardware": "b200", "precision": "fp4"}, True),
    "fp4-on-h100": ("TrainingRequest", {**TRAINING, "precision": "fp4"}, False),
    "fp4-on-h100-any-case": ("TrainingRequest", {**TRAINING, "hardware": " H100-SXM ", "precision": "fp4"}, False),
    "fp4-on-h100-alias": ("TrainingRequest", {**TRAINING, "hardware": "h100", "precision": "fp4"}, False),
    "fp8-inline-without-its-peak": ("InferenceRequest", {**SERVING, "precision": "fp8", "hardware": {
        "bf16_dense_tflops": 989.4, "hbm_gb": 80, "hbm_bandwidth_tb_per_s": 3.35, "tdp_w": 700}}, False),
    "int4-on-a100": ("InferenceRequest", {**SERVING, "hardware": "a100-80gb-sxm", "precision": "int4"}, True),
    "fp8-on-a100": ("InferenceRequest", {**SERVING, "hardware": "a100-80gb-sxm", "precision": "fp8"}, False),
    "published-tokens": ("TrainingRequest", {k: v for k, v in TRAINING.items() if k != "tokens"}, True),
    "no-published-tokens": ("TrainingRequest", {**{k: v for k, v in TRAINING.items() if k != "tokens"},
                                                "model": "mistral-large-2"}, False),
    "preset-without-tokens": ("TrainingCompareRequest", {"workload": "training", "preset": "mistral",
                                                         "hardware": "h100-sxm", "gpus": 64}, False),
    "models-and-preset": ("InferenceCompareRequest", {"workload": "inference", "preset": "article",
                                                      "models": ["llama-3.1-8b", "llama-3.1-70b"],
                                                      "hardware": "h100-sxm"}, False),
    "serving-model-without-kv-shape": ("InferenceRequest", {**SERVING, "model": {"total_params": 7e9}}, False),
    "mla-without-latent-sizes": ("InferenceRequest", {**SERVING, "model": {
        "total_params": 7e9, "attention": "mla", "layers": 30, "kv_lora_rank": 512, "qk_rope_head_dim": 64}}, False),
    "plan-serving-fp8-on-a100": ("CapacityRequest", {"hardware": "a100-80gb-sxm", "budget_usd": 1e9,
                                                     "serve": [{"model": "llama-3.1-8b", "precision": "fp8"}]}, False),
}


@pytest.mark.parametrize(("name", "body", "valid"), CATALOG_RULES.values(), ids=CATALOG_RULES.keys())
def test_the_document_and_the_service_agree(spec, client, name, body, valid):
    assert validates(spec, name, body) is valid
    url = {"TrainingRequest": "/api/v1/estimates/training", "InferenceRequest": "/api/v1/estimates/inference",
           "TrainingCompareRequest": "/api/v1/compare", "InferenceCompareRequest": "/api/v1/compare",
           "CapacityRequest": "/api/v1/plans/capacity"}[name]
    status = client.post(url, json=body).status_code
    assert (status == 200) is valid, status
    assert valid or status == 422  # what the document states is a 422, never a 409


def test_pricing_table_name_parameters(spec):
    paths = spec["paths"]
    name = paths["/api/v1/pricing-tables/{name}"]["parameters"][0]["schema"]
    assert name["pattern"] == "^[a-z0-9][a-z0-9_-]{0,62}$" and "not" not in name
    for path in ("/api/v1/pricing-tables/{name}/diff", "/api/v1/pricing-tables/{name}/active",
                 "/api/v1/pricing-tables/{name}/rollback", "/api/v1/pricing-tables/{name}/versions/{number}"):
        assert paths[path]["parameters"][0]["schema"]["not"] == {"enum": ["seed"]}, path
    upload = paths["/api/v1/pricing-tables/{name}/versions"]["post"]["parameters"][0]
    assert upload["schema"]["not"] == {"enum": ["seed"]}


def test_sheet_diff_documents_unchanged(spec):
    assert "unchanged" in spec["components"]["schemas"]["SheetDiff"]["required"]
