"""The OpenAPI document: valid references, the endpoints, and schemas in step with the core."""

from __future__ import annotations

import csv

import pytest

from estimator.app.schemas import HardwareSpecSchema, ModelSpecSchema, TrainingEstimateSchema, TrainingRequestSchema
from estimator.catalog import SEEDS_DIR
from estimator.inputs import TRAINING_OPTIONAL


@pytest.fixture
def spec(client):
    response = client.get("/api/openapi.json")
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
    assert spec["openapi"] == "3.0.3"
    assert spec["info"]["title"] and spec["info"]["version"]


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
        "/api/v1/training",
        "/api/v1/catalog/hardware",
        "/api/v1/catalog/hardware/{hardware_id}",
        "/api/v1/catalog/models",
        "/api/v1/catalog/models/{model_id}",
    }
    training = spec["paths"]["/api/v1/training"]["post"]
    assert training["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/TrainingRequest"
    }
    assert set(training["responses"]) == {"200", "400", "404", "413", "415", "422", "503", "default"}
    assert "application/problem+json" in training["responses"]["422"]["content"]


def test_request_schema_is_documented(spec):
    schema = spec["components"]["schemas"]["TrainingRequest"]
    assert set(schema["required"]) == {"tokens", "hardware"}
    for name, prop in schema["properties"].items():
        assert prop.get("description"), f"{name} has no description"
        assert "example" in prop, f"{name} has no example"
    assert schema["properties"]["tokens"]["exclusiveMinimum"] is True
    assert schema["properties"]["hardware"]["oneOf"] == [
        {"type": "string"},
        {"$ref": "#/components/schemas/HardwareSpec"},
    ]
    assert spec["components"]["schemas"]["Problem"]["required"] == ["detail", "errors", "status", "title", "type"]
    assert "application/problem+json" in spec["components"]["responses"]["DEFAULT_ERROR"]["content"]


def test_request_schema_fields_match_the_core():
    fields = set(TrainingRequestSchema().fields)
    assert fields == {"model", "params", "active_params", "tokens", "hardware", *TRAINING_OPTIONAL}


@pytest.mark.parametrize(
    ("schema", "csv_name"), [(HardwareSpecSchema, "hardware.csv"), (ModelSpecSchema, "models.csv")]
)
def test_inline_objects_take_the_seed_columns(schema, csv_name):
    with (SEEDS_DIR / csv_name).open(newline="", encoding="utf-8") as handle:
        columns = next(csv.reader(handle))
    assert set(schema().fields) == set(columns)


def test_documented_response_fields_exist(client):
    """Every field the response schema documents is in the real body (to_dict) with that shape."""
    body = client.post(
        "/api/v1/training", json={"model": "llama-3.1-8b", "tokens": 1e12, "hardware": "h100-sxm", "deadline_days": 10}
    ).get_json()
    documented = set(TrainingEstimateSchema().fields)
    assert documented <= set(body)
    TrainingEstimateSchema(only=sorted(documented & set(body))).load({k: body[k] for k in documented})
