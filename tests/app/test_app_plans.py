"""The planning endpoints (app/api/plans.py): the body is the planning core's dict unchanged, bad input
is one whole problem body naming the field, and the OpenAPI document carries the schemas."""

from __future__ import annotations

import pytest

from estimator.catalog import load_catalog
from estimator.cost import load_price_book
from estimator.planning import results
from estimator.planning.capacity import CapacityRequest, plan_capacity
from estimator.planning.demand import demand_scenario
from estimator.planning.produce import training_output
from estimator.planning.rent_vs_buy import RentVsBuyRequest, rent_vs_buy

CATALOG, BOOK = load_catalog(), load_price_book()


def invalid(pointer: str, detail: str, code: str = "out_of_range") -> dict:
    """A schema error's problem names the field first; a core error's detail names it itself."""
    field = pointer.lstrip("/")
    return {"type": "/problems/invalid-input", "title": "Invalid input", "status": 422,
            "detail": f"{field}: {detail}" if code != "invalid_input" else detail,
            "errors": [{"pointer": pointer, "detail": detail, "code": code}]}


def test_capacity_is_the_core_result(client):
    body = {"hardware": "h100-sxm", "budget_usd": 60e9, "train": [{"model": "deepseek-v3"}]}
    response = client.post("/api/v1/plans/capacity", json=body)
    assert response.status_code == 200
    plan = plan_capacity(CapacityRequest(CATALOG.get_hardware("h100-sxm"), budget_usd=60e9), BOOK, CATALOG)
    assert response.get_json() == results.capacity_dict(plan, [training_output(plan, {"model": "deepseek-v3"}, BOOK,
                                                                               CATALOG)])
    assert response.get_json()["gpus"]["mid"] == 959_288  # tests/core/test_planning_capacity.py works it out


def test_rent_vs_buy_and_demand_are_the_core_results(client):
    response = client.post("/api/v1/plans/rent-vs-buy", json={"hardware": "gb200", "gpus": 72, "horizon_months": 36})
    request = RentVsBuyRequest(CapacityRequest(CATALOG.get_hardware("gb200")), gpus=72, horizon_months=36)
    assert response.get_json() == results.rent_vs_buy_dict(rent_vs_buy(request, BOOK, CATALOG))
    response = client.post("/api/v1/scenarios/demand", json={"efficiency_gain": 10, "elasticities": [0.5, 1, 1.5]})
    assert response.get_json() == results.demand_dict(demand_scenario(10, [0.5, 1.0, 1.5]))
    assert [p["direction"] for p in response.get_json()["points"]] == ["falls", "unchanged", "rises"]


def test_sensitivity_and_article(client):
    response = client.post("/api/v1/sensitivity", json={"hardware": "h100-sxm", "power_mw": 1000, "samples": 128})
    body = response.get_json()
    assert response.status_code == 200 and body["samples"] == 128 and body["evaluations"] >= 1000
    assert body["tornado"][0]["name"] in {s["name"] for s in body["sobol"][:2]}
    article = client.get("/api/v1/plans/presets/article").get_json()
    assert len(article["plans"]) == 9 and article["demand"]["efficiency_gain"] == 10


@pytest.mark.parametrize(("url", "body", "problem"), [
    ("/api/v1/plans/capacity", {"hardware": "h100-sxm", "budget_usd": 0}, invalid("/budget_usd", "Must be greater than 0.")),
    ("/api/v1/plans/capacity", {"hardware": "h100-sxm", "power_mw": -5}, invalid("/power_mw", "Must be greater than 0.")),
    ("/api/v1/plans/capacity", {"hardware": "h100-sxm"},
     invalid("/budget_usd", "Give exactly one of 'budget_usd' (capex in US dollars, e.g. 60e9) or 'power_mw' (facility "
                            "power in MW, e.g. 1000).", "invalid")),
    ("/api/v1/plans/capacity", {"hardware": "h100-sxm", "budget_usd": 1e9, "storage_share": 1.5},
     invalid("/storage_share", "Must be greater than or equal to 0 and less than or equal to 1.")),
    ("/api/v1/plans/rent-vs-buy", {"hardware": "h100-sxm", "gpus": 8, "horizon_months": 0},
     invalid("/horizon_months", "Must be greater than 0.")),
    ("/api/v1/plans/rent-vs-buy", {"hardware": "h100-sxm", "gpus": 8, "cost_of_capital": 2},
     invalid("/cost_of_capital", "Must be greater than or equal to 0 and less than or equal to 1.")),
    ("/api/v1/scenarios/demand", {"efficiency_gain": 10, "elasticity": 6},
     invalid("/elasticity", "Must be greater than or equal to 0 and less than or equal to 5.0.")),
    ("/api/v1/scenarios/demand", {"elasticity": 1},
     invalid("/efficiency_gain", "Give exactly one of 'efficiency_gain' (a number, e.g. 10) or 'compare' (two models "
                                 "whose output per GPU-hour gives the gain).", "invalid")),
    ("/api/v1/sensitivity", {"hardware": "h100-sxm", "budget_usd": 1e9, "samples": 100},
     invalid("/samples", "Must be one of: 64, 128, 256, 512, 1024, 2048, 4096, 8192.", "invalid_choice")),
])
def test_bad_input_is_one_problem(client, url, body, problem):
    response = client.post(url, json=body)
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    assert response.get_json() == problem


def test_errors_inside_items_point_at_the_item(client):
    response = client.post("/api/v1/plans/capacity", json={"hardware": "h100-sxm", "budget_usd": 1e9,
                                                            "train": [{"model": "deepseek-v3"}, {"model": "llama-9"}]})
    assert response.status_code == 404
    error = response.get_json()["errors"][0]
    assert error["pointer"] == "/train/1/model" and error["code"] == "unknown_id"
    response = client.post("/api/v1/scenarios/demand", json={"efficiency_gain": 10,
                                                             "fleet": {"hardware": "h100-sxn", "budget_usd": 1e9}})
    assert response.status_code == 404
    assert response.get_json()["errors"][0]["pointer"] == "/fleet/hardware"


def test_openapi_documents_the_plans(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    capacity = doc["paths"]["/api/v1/plans/capacity"]["post"]
    assert set(capacity["requestBody"]["content"]["application/json"]["examples"]) == {"meta-60b-h100",
                                                                                        "gigawatt-gb200", "mix"}
    schemas = doc["components"]["schemas"]
    assert schemas["CapacityRequest"]["additionalProperties"] is False
    assert "Cushman & Wakefield" in schemas["CapacityRequest"]["properties"]["building_usd_per_mw"]["description"]
    assert "Computed in estimator.planning.capacity.plan_capacity" in schemas["CapacityPlan"]["properties"]["gpus"][
        "description"]
    assert schemas["DemandRequest"]["properties"]["elasticity"]["maximum"] == 5.0
    for path in ("/api/v1/plans/rent-vs-buy", "/api/v1/scenarios/demand", "/api/v1/sensitivity"):
        assert "422" in doc["paths"][path]["post"]["responses"]


def test_estimate_sensitivity_endpoints(client):
    body = {"model": "llama-3.1-70b", "tokens": 15.6e12, "hardware": "h100-sxm", "gpus": 1024}
    response = client.post("/api/v1/sensitivity/training", json={**body, "metric": "cost_usd.own"})
    result = response.get_json()
    assert response.status_code == 200
    assert result["estimate"] == client.post("/api/v1/estimates/training", json=body).get_json()
    assert result["label"] == "Owning them (capex share, energy, hosting) (USD)"
    assert result["tornado"][0]["name"] == "goodput"
    response = client.post("/api/v1/sensitivity/inference", json={"model": "llama-3.1-8b", "hardware": "l4",
                                                                  "metric": "gpu_hours"})
    assert response.status_code == 422
    assert response.get_json()["errors"][0]["pointer"] == "/metric"
