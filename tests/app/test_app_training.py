"""POST /api/v1/estimates/training: the body is exactly the core's ``to_dict()``."""

from __future__ import annotations

import json

import pytest

BASE = {"model": "llama-3.1-70b", "tokens": 15.6e12, "hardware": "h100-sxm"}


@pytest.mark.parametrize(
    "body",
    [
        pytest.param({**BASE, "gpus": 1024}, id="catalog-ids-and-gpus"),
        pytest.param({**BASE, "deadline_days": 60}, id="deadline"),
        pytest.param({**BASE, "model": "LLaMA-3-70B", "gpus": 2048}, id="alias-any-case"),
        pytest.param(
            {
                **BASE,
                "gpus": 512,
                "precision": "fp8",
                "recompute": "selective",
                "sequence_tokens": 4096,
                "utilisation": 0.35,
                "goodput": 0.9,
                "pue": 1.3,
                "grid_kg_co2_per_kwh": 0.3,
                "usd_per_gpu_hour": 2.0,
                "capex_usd_per_gpu": 25000,
                "usd_per_kwh": 0.1,
            },
            id="every-option",
        ),
        pytest.param({"params": 7e9, "tokens": 2e12, "hardware": "a100-80gb-sxm", "gpus": 64}, id="params-only"),
        pytest.param(
            {"params": 47e9, "active_params": 13e9, "tokens": 1e12, "hardware": "h200-sxm", "gpus": 256},
            id="moe-params",
        ),
        pytest.param(
            {
                "model": {
                    "total_params": 1.3e9,
                    "layers": 24,
                    "hidden_size": 2048,
                    "attention_heads": 16,
                    "head_dim": 128,
                },
                "tokens": 2.6e10,
                "hardware": {"bf16_dense_tflops": 500.0, "hbm_gb": 96, "hbm_bandwidth_tb_per_s": 4.0, "tdp_w": 600},
                "gpus": 8,
            },
            id="inline-model-and-hardware",
        ),
    ],
)
def test_body_equals_core_to_dict(client, core, body):
    response = client.post("/api/v1/estimates/training", json=body)

    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    assert response.get_json() == core(body)


LAYOUT = {"tensor_parallel": 4, "pipeline_parallel": 2, "context_parallel": 2, "expert_parallel": 1,
          "global_batch_tokens": 8e6}


@pytest.mark.parametrize(
    "asked",
    [
        pytest.param(LAYOUT, id="whole-layout"),
        pytest.param({"tensor_parallel": 2}, id="tensor-only"),
        pytest.param({"pipeline_parallel": 4, "global_batch_tokens": 16e6}, id="pipeline-and-batch"),
    ],
)
def test_a_parallel_layout_is_the_one_used(client, core, asked):
    body = {**BASE, "gpus": 1024, **asked}
    response = client.post("/api/v1/estimates/training", json=body)

    assert response.status_code == 200, response.get_data(as_text=True)
    result = response.get_json()
    layout = result["steady_state"]["layout"]
    assert {k: layout[k] for k in asked} == asked
    assert result == core(body)
    default = client.post("/api/v1/estimates/training", json={**BASE, "gpus": 1024}).get_json()
    assert default["steady_state"]["layout"] != layout


def test_an_expert_parallel_layout_is_the_one_used(client):
    body = {"model": "deepseek-v3", "hardware": "h800-sxm", "gpus": 2048, "tokens": 14.8e12,
            "tensor_parallel": 1, "pipeline_parallel": 16, "expert_parallel": 64}
    result = client.post("/api/v1/estimates/training", json=body).get_json()
    layout = result["steady_state"]["layout"]
    assert (layout["tensor_parallel"], layout["pipeline_parallel"], layout["expert_parallel"]) == (1, 16, 64)
    assert layout["data_parallel"] == 2048 // 16


def test_a_comparison_takes_the_layout(client):
    body = {"workload": "training", "models": ["llama-3.1-8b", "llama-3.1-70b"], "hardware": "h100-sxm",
            "tokens": 1e12, "gpus": 512, **LAYOUT}
    response = client.post("/api/v1/compare", json=body)
    assert response.status_code == 200, response.get_data(as_text=True)
    for row in response.get_json()["rows"]:
        assert {k: row["steady_state"]["layout"][k] for k in LAYOUT} == LAYOUT


def test_key_order_is_the_cores(client, core):
    body = {**BASE, "gpus": 1024}
    assert list(client.post("/api/v1/estimates/training", json=body).get_json()) == list(core(body))


def test_deadline_gives_gpu_counts(client):
    result = client.post("/api/v1/estimates/training", json={**BASE, "deadline_days": 60}).get_json()
    assert set(result["gpu_count_for_deadline"]) == {"low", "mid", "high"}


def test_content_type_with_charset_is_json(client, core):
    body = {**BASE, "gpus": 1024}
    response = client.post(
        "/api/v1/estimates/training", data=json.dumps(body), content_type="application/json; charset=utf-8"
    )
    assert response.status_code == 200
    assert response.get_json() == core(body)


def test_security_headers(client):
    for response in (
        client.post("/api/v1/estimates/training", json={**BASE, "gpus": 1024}),
        client.get("/healthz"),
        client.get("/no-such-page"),
        client.get("/api/v1/openapi.json"),
    ):
        assert response.headers["Content-Security-Policy"] == "default-src 'self'; frame-ancestors 'none'"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "no-referrer"


ELECTRICITY = "electricity_usd_per_kwh"


@pytest.mark.parametrize("path, body", [
    ("/api/v1/estimates/training", {**BASE, "gpus": 1024}),
    ("/api/v1/estimates/inference", {"model": "llama-3.1-70b", "hardware": "h100-sxm", "requests_per_s": 10}),
])
def test_electricity_market_chooses_the_energy_rows(client, path, body):
    """Issue 14: the seed table's US rows (Texas 0.066, Virginia 0.0892, US Jan 2026 0.0929; the 2024-03
    US 0.0806 is history) by default; the Eurostat row alone for 'European Union', with the one-price warning."""
    default = client.post(path, json=body).get_json()
    eu = client.post(path, json={**body, "electricity_market": "European Union"}).get_json()
    price = {name: next(a for a in result["assumptions"] if a["name"] == ELECTRICITY) for name, result in
             (("default", default), ("eu", eu))}
    assert price["default"]["value"] == {"low": 0.066, "mid": 0.0892, "high": 0.0929}
    assert price["default"]["source"].startswith("pricing table seed: market United States: Texas (2024-10-01)")
    assert price["eu"]["value"] == {"low": 0.2092, "mid": 0.2092, "high": 0.2092}
    assert price["eu"]["source"].startswith("pricing table seed: market European Union: European Union (2025-06-30)")
    assert "Only one electricity price in pricing table seed: low = mid = high." in eu["warnings"]
    assert "Only one electricity price in pricing table seed: low = mid = high." not in default["warnings"]


def test_an_unknown_electricity_market_is_a_409_naming_the_markets(client):
    """The body matches the document; its market and the table's rows conflict (an uploaded table has
    markets of its own, which no document states): 409, like the other conflicts."""
    response = client.post("/api/v1/estimates/training", json={**BASE, "gpus": 1024, "electricity_market": "Mars"})
    detail = ("Pricing table seed has no electricity market 'Mars': its energy rows are for European Union, "
              "United States. Give one of those as 'electricity_market', or leave it out (for United States).")
    assert response.status_code == 409
    assert response.mimetype == "application/problem+json"
    assert response.get_json() == {
        "type": "/problems/conflicting-values", "title": "Values that cannot be met together", "status": 409,
        "detail": detail,
        "errors": [{"pointer": "/electricity_market", "detail": detail, "code": "unknown_market", "given": "Mars",
                    "markets": ["European Union", "United States"]}]}


@pytest.mark.parametrize("path, body, market", [
    ("/api/v1/compare", {"workload": "training", "models": ["llama-3.1-8b", "llama-3.1-70b"], "hardware": "h100-sxm",
                         "gpus": 64}, "Mars"),
    ("/api/v1/compare/hardware", {"workload": "training", "model": "llama-3.1-8b", "hardware": ["h100-sxm", "b200"],
                                  "gpus": 64}, "Mars"),
    ("/api/v1/plans/capacity", {"hardware": "h100-sxm", "budget_usd": 1e9}, "mars"),
    ("/api/v1/plans/rent-vs-buy", {"hardware": "h100-sxm", "gpus": 64}, "mars"),
    ("/api/v1/sensitivity", {"hardware": "h100-sxm", "budget_usd": 1e9, "samples": 64}, "Mars"),
    ("/api/v1/sensitivity/training", {**BASE, "gpus": 1024, "samples": 16}, "Mars"),
])
def test_requests_that_embed_an_estimate_take_the_market_too(client, path, body, market):
    eu = client.post(path, json={**body, "electricity_market": "European Union"})
    assert eu.status_code == 200, eu.get_data(as_text=True)
    assert eu.get_data() != client.post(path, json=body).get_data()  # the EU rows, not the US ones
    refused = client.post(path, json={**body, "electricity_market": market})
    detail = (f"Pricing table seed has no electricity market '{market}': its energy rows are for European Union, "
              "United States. Give one of those as 'electricity_market', or leave it out (for United States).")
    assert refused.status_code == 409
    assert refused.get_json() == {
        "type": "/problems/conflicting-values", "title": "Values that cannot be met together", "status": 409,
        "detail": detail,
        "errors": [{"pointer": "/electricity_market", "detail": detail, "code": "unknown_market", "given": market,
                    "markets": ["European Union", "United States"]}]}
