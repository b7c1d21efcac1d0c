"""A capacity plan over a mix of GPUs through the API: strict schema (shares add up to 1 within 1e-9,
else a 422 naming 'hardware'), the body is the core's mix_dict, the single-GPU request unchanged."""

from __future__ import annotations

import pytest

from estimator.catalog import load_catalog
from estimator.cost import load_price_book
from estimator.planning import results
from estimator.planning.capacity import CapacityRequest, plan_capacity
from estimator.planning.mix import plan_mix
from estimator.planning.produce import training_output

CATALOG, BOOK = load_catalog(), load_price_book()
MIX = [{"id": "h100-sxm", "share": 0.5}, {"id": "gb200", "share": 0.5}]


def test_mix_is_the_core_result(client):
    response = client.post("/api/v1/plans/capacity", json={"hardware": MIX, "budget_usd": 60e9,
                                                            "train": [{"model": "llama-3.1-405b"}]})
    assert response.status_code == 200
    parts = [(CATALOG.get_hardware("h100-sxm"), 0.5), (CATALOG.get_hardware("gb200"), 0.5)]
    mixed = plan_mix(CapacityRequest(parts[0][0], budget_usd=60e9), parts, BOOK, CATALOG)
    training = [[training_output(p.plan, {"model": "llama-3.1-405b"}, BOOK, CATALOG)] for p in mixed.parts]
    body = response.get_json()
    assert body == results.mix_dict(mixed, training)
    assert body["gpus"]["mid"] == 479_640 + 412_128  # tests/core/test_planning_mix.py, by hand
    assert [p["plan"]["produces"]["training"][0]["model"] for p in body["mix"]] == ["llama-3.1-405b"] * 2


def test_single_gpu_request_unchanged(client):
    body = client.post("/api/v1/plans/capacity", json={"hardware": "gb200", "budget_usd": 30e9}).get_json()
    plan = plan_capacity(CapacityRequest(CATALOG.get_hardware("gb200"), budget_usd=30e9), BOOK, CATALOG)
    assert body == results.capacity_dict(plan) and "mix" not in body


def problem(pointer: str, detail: str, code: str) -> dict:
    field = pointer.lstrip("/")
    return {"type": "/problems/invalid-input", "title": "Invalid input", "status": 422,
            "detail": f"{field}: {detail}", "errors": [{"pointer": pointer, "detail": detail, "code": code}]}


def conflict(pointer: str, detail: str) -> dict:
    """Values valid each on its own that cannot be met together: a 409 (errors.py)."""
    return {"type": "/problems/conflicting-values", "title": "Values that cannot be met together", "status": 409,
            "detail": detail, "errors": [{"pointer": pointer, "detail": detail, "code": "invalid_input"}]}


@pytest.mark.parametrize(("hardware", "expected"), [
    ([{"id": "h100-sxm", "share": 0.5}, {"id": "gb200", "share": 0.6}],
     conflict("/hardware", "The shares of a mix must add up to 1 (within 1e-09); 0.5 + 0.6 = 1.1.")),
    ([{"id": "h100-sxm", "share": 0.5}, {"id": "gb200", "share": 0.5 - 1e-8}],
     conflict("/hardware", "The shares of a mix must add up to 1 (within 1e-09); 0.5 + 0.49999999 = 0.99999999.")),
    ([{"id": "h100-sxm", "share": 0.5}, {"id": "h100", "share": 0.5}],
     conflict("/hardware", "Each GPU of a mix once: h100-sxm, h100-sxm repeats one.")),
])
def test_shares_that_cannot_add_up_are_a_409(client, hardware, expected):
    response = client.post("/api/v1/plans/capacity", json={"hardware": hardware, "budget_usd": 60e9})
    assert response.status_code == 409
    assert response.get_json() == expected


@pytest.mark.parametrize(("hardware", "expected"), [
    ([{"id": "h100-sxm", "share": 1}], problem("/hardware", "A mix has 2 to 4 GPUs; for one GPU give its id alone.",
                                               "invalid")),
    ([{"id": "h100-sxm", "share": 0.5}, {"id": "gb200", "share": 0.5, "x": 1}],
     problem("/hardware/1/x", "Unknown field.", "unknown_field")),
    ([{"id": "h100-sxm", "share": 0}, {"id": "gb200", "share": 1}],
     problem("/hardware/0/share", "Must be greater than 0 and less than or equal to 1.", "out_of_range")),
])
def test_bad_mix_is_a_422_naming_the_field(client, hardware, expected):
    response = client.post("/api/v1/plans/capacity", json={"hardware": hardware, "budget_usd": 60e9})
    assert response.status_code == 422
    assert response.get_json() == expected


def test_shares_within_1e9_are_accepted(client):
    mix = [{"id": "h100-sxm", "share": 0.5}, {"id": "gb200", "share": 0.5 - 5e-10}]
    assert client.post("/api/v1/plans/capacity", json={"hardware": mix, "power_mw": 100}).status_code == 200


def test_unknown_gpu_in_a_mix_points_at_it(client):
    mix = [{"id": "h100-sxm", "share": 0.5}, {"id": "h999", "share": 0.5}]
    response = client.post("/api/v1/plans/capacity", json={"hardware": mix, "budget_usd": 60e9})
    assert response.status_code == 404
    assert response.get_json()["errors"][0]["pointer"] == "/hardware/1/id"


def test_openapi_documents_the_mix(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    schemas = spec["components"]["schemas"]
    request = next(s for n, s in schemas.items() if n.startswith("CapacityRequest"))
    assert request["properties"]["hardware"]["oneOf"][1]["type"] == "array"
    assert "mix" in schemas["CapacityPlan"]["properties"] and "MixPart" in schemas
