"""POST /api/v1/compare/hardware: the body is exactly ``compare_hardware(...)``; errors are whole problems."""

from __future__ import annotations

import pytest

from estimator.compare_hardware import compare_hardware

URL = "/api/v1/compare/hardware"
INFERENCE = {"workload": "inference", "model": "llama-3.1-70b", "hardware": ["h100-sxm", "h200-sxm", "b200", "l4"],
             "requests_per_s": 20, "ttft_ms": 500, "tpot_ms": 30}
TRAINING = {"workload": "training", "model": "llama-3.1-70b", "hardware": ["h100-sxm:fp8", "h100-sxm:bf16", "b200"],
            "tokens": 15e12, "gpus": 1024}
INVALID = "/problems/invalid-input"
KEYS = ("workload", "model", "hardware", "baseline", "rank_by")


def _core(seeds, body):
    catalog, book, _ = seeds
    values = {k: v for k, v in body.items() if k not in KEYS}
    return compare_hardware(catalog, book, body["workload"], body["model"], body["hardware"], values,
                            body.get("baseline"), body.get("rank_by"))


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(INFERENCE, id="inference-with-a-row-that-cannot-meet-tpot"),
        pytest.param({**TRAINING, "baseline": "h100-sxm:bf16", "rank_by": "energy_mwh"}, id="training-baseline-rank"),
        pytest.param({"workload": "inference", "model": "llama-3.1-8b", "hardware": "all", "precision": "fp8"},
                     id="inference-all-fp8"),
    ],
)
def test_body_equals_core_compare_hardware(client, seeds, body):
    response = client.post(URL, json=body)

    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    assert response.get_json() == _core(seeds, {**body, "tokens": float(body["tokens"])} if "tokens" in body else body)


def test_an_inline_model(client, seeds):
    model = {"id": "my-70b", "name": "My 70B", "total_params": 70.6e9, "layers": 80, "hidden_size": 8192,
             "attention_heads": 64, "kv_heads": 8, "head_dim": 128}
    body = {"workload": "inference", "model": model, "hardware": ["h100-sxm", "b200"], "requests_per_s": 5}
    response = client.post(URL, json=body)
    assert response.status_code == 200
    assert response.get_json() == _core(seeds, {**body, "requests_per_s": 5.0})
    assert response.get_json()["model"] == "my-70b"


def test_ranked_rows_then_the_rows_that_cannot_run(client):
    result = client.post(URL, json=INFERENCE).get_json()
    assert [(r["rank"], r["entry"]) for r in result["rows"]] == [
        (1, "b200:fp4"), (2, "h200-sxm:fp8"), (3, "h100-sxm:fp8"), (None, "l4:fp8")]
    assert result["rows"][3]["error"]["binding"] == "tpot"
    assert result["baseline"] == "h100-sxm:fp8"


def test_a_pricing_table_is_taken(client):
    result = client.post(URL, json={**TRAINING, "pricing_table": "seed"}).get_json()
    assert {r["estimate"]["pricing"]["table"] for r in result["rows"]} == {"seed"}


def item(pointer, detail, code, **extra):
    return {"pointer": pointer, "detail": detail, "code": code, **extra}


def problem_body(status, title, detail, errors, type_=INVALID):
    return {"type": type_, "title": title, "status": status, "detail": detail, "errors": errors}


def invalid(pointer, detail, code, **extra):
    shown = f"{pointer[1:]}: {detail}" if pointer else detail
    return problem_body(422, "Invalid input", shown, [item(pointer, detail, code, **extra)])


def core_invalid(pointer, detail, **extra):
    return problem_body(422, "Invalid input", detail, [item(pointer, detail, "invalid_input", **extra)])


def core_conflict(pointer, detail, **extra):
    """Values valid each on its own that cannot be met together: 409 (errors.py)."""
    return problem_body(409, "Values that cannot be met together", detail,
                        [item(pointer, detail, "invalid_input", **extra)], type_="/problems/conflicting-values")


UNKNOWN = ("Unknown hardware 'h1000'. Closest: h100-sxm, h100-pcie, h20. See `estimator catalog hardware` for "
           "all ids.")
TWICE = ("Entry 1 ('h100:fp8') is h100-sxm:fp8, like entry 0: each GPU and precision may appear once (give another "
         "precision with ':', e.g. ':bf16').")
FP9 = ("Unknown precision 'fp9' in entry 'h100-sxm:fp9': write '<hardware>:<precision>' with one of bf16, fp16, fp8, "
       "fp4, int4 (inference), e.g. 'h100-sxm:bf16'.")
RANKS = ("Must be one of: gpus, replicas, cost_usd_per_million_output_tokens_own, cost_usd_per_million_output_tokens_rent, "
         "provisioned_power_kw, energy_mwh_per_day, joules_per_token, ttft_ms, tpot_ms.")
CASES = {
    "empty-list": ({**INFERENCE, "hardware": []}, invalid("/hardware", "Length must be between 1 and 24.", "invalid_length")),
    "too-many": ({**INFERENCE, "hardware": ["h100-sxm"] * 25},
                 invalid("/hardware", "Length must be between 1 and 24.", "invalid_length")),
    "not-all": ({**INFERENCE, "hardware": "every"},
                invalid("/hardware", 'Not a valid list of hardware ids (each optionally with a precision: '
                        '"h100-sxm:fp8") or "all".', "invalid_type")),
    "not-a-string": ({**INFERENCE, "hardware": ["h100-sxm", 7]},
                     invalid("/hardware/1", "Not a valid string.", "invalid_string")),
    "unknown-gpu": ({**INFERENCE, "hardware": ["h100-sxm", "h1000"]},
                    problem_body(404, "Unknown model or hardware id", UNKNOWN,
                                 [item("/hardware/1", UNKNOWN, "unknown_id", given="h1000",
                                       closest=["h100-sxm", "h100-pcie", "h20"])], "/problems/unknown-id")),
    "duplicate": ({**INFERENCE, "hardware": ["h100-sxm", "h100:fp8"]}, core_invalid("/hardware/1", TWICE)),
    "bad-precision-suffix": ({**INFERENCE, "hardware": ["h100-sxm:fp9"]}, core_invalid("/hardware/0", FP9)),
    "unknown-rank": ({**INFERENCE, "rank_by": "speed"}, invalid("/rank_by", RANKS, "invalid_choice")),
    "rank-of-the-other-workload": ({**TRAINING, "rank_by": "joules_per_token"},
                                   invalid("/rank_by", "Must be one of: gpus, cost_usd_rent, cost_usd_own, gpu_hours, "
                                           "wall_clock_days, power_kw, energy_mwh.", "invalid_choice")),
    "baseline-not-listed": ({**INFERENCE, "baseline": "a100-80gb-sxm"},
                            core_conflict("/baseline", "The baseline 'a100-80gb-sxm' is not one of the entries "
                                         "(h100-sxm:fp8, h200-sxm:fp8, b200:fp4, l4:fp8).")),
    "per-gpu-price": ({**INFERENCE, "usd_per_gpu_hour": 2.0},
                      invalid("/usd_per_gpu_hour", "Unknown field.", "unknown_field")),
    "model-missing": ({k: v for k, v in INFERENCE.items() if k != "model"},
                      invalid("/model", "Missing data for required field.", "required")),
}


@pytest.mark.parametrize(("body", "expected"), CASES.values(), ids=CASES.keys())
def test_error_bodies(client, body, expected):
    response = client.post(URL, json=body)

    assert response.status_code == expected["status"]
    assert response.mimetype == "application/problem+json"
    assert response.get_json() == expected


def test_baseline_that_cannot_run(client):
    body = {**INFERENCE, "baseline": "l4"}
    response = client.post(URL, json=body)
    detail = response.get_json()["detail"]
    assert response.status_code == 409
    assert detail.startswith("The baseline l4:fp8 cannot run this workload: No batch meets tpot_ms=30 within ttft_ms=500")
    assert response.get_json()["errors"][0]["pointer"] == "/baseline"
    assert response.get_json()["errors"][0]["binding"] == "tpot"


def test_no_entry_can_run(client):
    response = client.post(URL, json={**INFERENCE, "hardware": ["l4", "a100-40gb-sxm:fp4"]})
    body = response.get_json()
    assert response.status_code == 409
    assert body["detail"].startswith("None of the 2 GPU entries can run this workload; the first, l4:fp8: No batch meets")
    assert body["errors"][0]["pointer"] == "/tpot_ms"


def test_openapi_documents_the_operation(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    operation = spec["paths"]["/api/v1/compare/hardware"]["post"]
    body = operation["requestBody"]["content"]["application/json"]
    assert set(body["examples"]) == {"inference-three-gpus", "inference-all-fp8-and-bf16", "training-precisions"}
    assert body["schema"]["discriminator"]["mapping"] == {
        "training": "#/components/schemas/TrainingHardwareCompareRequest",
        "inference": "#/components/schemas/InferenceHardwareCompareRequest",
    }
    hardware = spec["components"]["schemas"]["InferenceHardwareCompareRequest"]["properties"]["hardware"]
    assert hardware["oneOf"][1]["maxItems"] == 24
    assert "usd_per_gpu_hour" not in spec["components"]["schemas"]["TrainingHardwareCompareRequest"]["properties"]
    assert operation["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/HardwareComparison"}
