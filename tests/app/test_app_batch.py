"""POST /api/v1/estimates/batch (issue 15): rows equal the single endpoints, errors as they give them."""

from __future__ import annotations

import csv
import io

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from estimator import batch
from estimator.app import create_app

URL = "/api/v1/estimates/batch"
TRAINING = {"workload": "training", "model": "llama-3.1-70b", "tokens": 15.6e12, "hardware": "h100-sxm", "gpus": 1024}
SERVING = {"workload": "serving", "model": "llama-3.1-8b", "hardware": "l4", "requests_per_s": 2}

values = st.one_of(st.integers(-5, 5000), st.floats(-1, 1e13, allow_nan=False), st.text(alphabet="ab1.e -", max_size=4), st.none())
rows = st.fixed_dictionaries(
    {"workload": st.sampled_from(["training", "inference"]), "model": st.sampled_from(["llama-3.1-8b", "mixtral-8x7b", "nope"]),
     "hardware": st.sampled_from(["h100-sxm", "l4"])},
    optional={"tokens": values, "gpus": values, "requests_per_s": values, "tpot_ms": values, "precision": values},
)


@pytest.fixture(scope="module")
def module_client():
    return create_app({"TESTING": True}).test_client()


def _single(client, row):
    """The single endpoint's answer for the row: its result cells, or its problem detail. A null or
    empty value in a batch row is a blank cell: the default, as if the field were left out."""
    workload = "training" if row["workload"] == "training" else "inference"
    body = {k: v for k, v in row.items() if k != "workload" and v is not None and v != ""}
    response = client.post(f"/api/v1/estimates/{workload}", json=body)
    if response.status_code != 200:
        return {"error": response.get_json()["detail"]}
    return {**batch.result_cells(workload, response.get_json()), "error": ""}


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(scenarios=st.lists(rows, min_size=1, max_size=4))
def test_every_row_is_what_the_single_endpoint_answers(module_client, scenarios) -> None:
    response = module_client.post(URL, json={"rows": scenarios})
    assert response.status_code == 200
    body = response.get_json()
    assert len(body["rows"]) == len(scenarios)
    for row, got in zip(scenarios, body["rows"], strict=True):
        expected = _single(module_client, row)
        assert {k: got[k] for k in expected} == expected
        assert {k: got[k] for k in row} == row
    assert body["errors"] == sum(1 for r in body["rows"] if r["error"])


def test_a_json_batch(client) -> None:
    response = client.post(URL, json={"rows": [TRAINING, SERVING, {"workload": "mining"}]})
    assert response.status_code == 200
    body = response.get_json()
    assert body["columns"][:6] == ["workload", "model", "tokens", "hardware", "gpus", "requests_per_s"]
    assert body["columns"][-2:] == ["warnings", "error"]
    assert body["errors"] == 1
    assert body["rows"][0]["gpu_count (GPUs)"] == 1024
    assert body["rows"][2] == {**dict.fromkeys(body["columns"]), "workload": "mining",
                               "error": "workload: Must be one of: training, inference, serving."}


def test_not_a_list_of_rows(client) -> None:
    response = client.post(URL, json=[TRAINING])
    assert response.status_code == 422
    assert response.get_json() == {
        "type": "/problems/invalid-input", "title": "Invalid input", "status": 422,
        "detail": "The body must be {\"rows\": [ {...}, ... ]}: a list of scenario objects.",
        "errors": [{"pointer": "/rows", "detail": "A list of objects is required.", "code": "invalid_type"}]}


def test_more_rows_than_the_limit_is_413() -> None:
    client = create_app({"TESTING": True, "BATCH_MAX_ROWS": 2}).test_client()
    response = client.post(URL, json={"rows": [TRAINING] * 3})
    assert response.status_code == 413
    assert response.get_json() == {
        "type": "about:blank", "title": "Request Entity Too Large", "status": 413,
        "detail": "3 scenarios; the limit is 2 per request. Split them over several requests.", "errors": []}


def test_a_csv_upload_comes_back_as_csv(client) -> None:
    data = (b"workload,model,tokens,hardware,gpus\n"
            b"training,llama-3.1-70b,15.6e12,h100-sxm,1024\n"
            b"training,llama-3.1-70b,15.6e12,h100-sxm,many\n")
    response = client.post(URL, data={"file": (io.BytesIO(data), "s.csv")}, content_type="multipart/form-data")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == 'attachment; filename="results.csv"'
    out = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    single = client.post("/api/v1/estimates/training", json={k: v for k, v in TRAINING.items() if k != "workload"})
    assert float(out[0]["gpu_hours.mid (GPU·h)"]) == single.get_json()["gpu_hours"]["mid"]
    assert out[1]["error"] == "gpus: Not a valid integer."


def test_the_endpoint_is_in_the_openapi_document(client) -> None:
    spec = client.get("/api/v1/openapi.json").get_json()
    operation = spec["paths"]["/api/v1/estimates/batch"]["post"]
    assert set(operation["requestBody"]["content"]) == {"application/json", "multipart/form-data"}
    assert {"200", "413", "415", "422"} <= set(operation["responses"])


sweep_values = st.one_of(st.floats(1e9, 2e13), st.integers(1, 10**13), st.sampled_from([0, -1.5, "abc", "", None, True]))
price_values = st.one_of(st.floats(0.5, 10), st.sampled_from([0, -2, 1e9, "x", None]))


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(tokens=st.lists(sweep_values, min_size=2, max_size=8), prices=st.lists(price_values, min_size=8, max_size=8),
       loads=st.lists(st.one_of(st.floats(0.05, 500), st.sampled_from([0, -1, "2", None])), min_size=2, max_size=8))
def test_a_sweep_of_json_rows_is_what_the_single_endpoint_answers(module_client, tokens, prices, loads) -> None:
    """Rows alike but for tokens, load and price (a sweep: one group, one check of the shared
    fields): each row as the single endpoint answers it, a bad value the endpoint's own problem."""
    scenarios = [{**TRAINING, "tokens": t, "usd_per_gpu_hour": p} for t, p in zip(tokens, prices, strict=False)]
    scenarios += [{**SERVING, "model": "llama-3.1-70b", "hardware": "h100-sxm", "tpot_ms": 50, "requests_per_s": r,
                   "usd_per_gpu_hour": p} for r, p in zip(loads, prices, strict=False)]
    body = module_client.post(URL, json={"rows": scenarios}).get_json()
    for row, got in zip(scenarios, body["rows"], strict=True):
        expected = _single(module_client, row)
        assert {k: got[k] for k in expected} == expected, row
