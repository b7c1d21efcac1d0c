"""Two app instances sharing one PostgreSQL store (ESTIMATOR_DATABASE_URL), as several servers
behind a load balancer would: what one imports, the other estimates with."""

from __future__ import annotations

import io

from estimator.app import create_app

TOKEN = "shared-token"
CSV = ("provider,region,gpu,pricing_model,usd_per_gpu_hour,product,effective_date,source,notes\n"
       "Acme,,h100-sxm,reserved_3y,{price},,2025-06-01,contract 7,\n")
ESTIMATE = {"model": "llama-3.1-8b", "hardware": "h100-sxm", "tokens": 1e12, "gpus": 64}


def test_instances_share_versions_through_postgres(postgres_schema_url):
    url = postgres_schema_url.render_as_string(hide_password=False)
    apps = [create_app({"TESTING": True, "DATABASE_URL": url, "ADMIN_TOKEN": TOKEN}) for _ in range(2)]
    try:
        check(*(app.test_client() for app in apps))
    finally:
        for app in apps:
            app.extensions["pricing_store"].dispose()


def check(first, second):
    assert second.get("/readyz").get_json()["pricing_store"] == "postgresql"

    for client, price in ((first, "1.25"), (second, "2.50")):
        response = client.post("/api/v1/pricing-tables/shared/versions",
                               data={"file": (io.BytesIO(CSV.format(price=price).encode()), "p.csv"),
                                     "sheet": "gpu_prices"},
                               headers={"Authorization": f"Bearer {TOKEN}"}, content_type="multipart/form-data")
        assert response.status_code == 201, response.get_json()
    # Version numbers are shared: the second instance's import is version 2, and active on both.
    assert [v["number"] for v in first.get("/api/v1/pricing-tables/shared/versions").get_json()] == [1, 2]
    for client in (first, second):
        result = client.post("/api/v1/estimates/training", json={**ESTIMATE, "pricing_table": "shared"}).get_json()
        assert (result["pricing"]["table"], result["pricing"]["version"]) == ("shared", 2)
        rent = [p for p in result["pricing"]["prices"] if p["kind"] == "rent"]
        assert [p["value"] for p in rent] == [2.5]
    # Rolling back on one instance is seen by the other.
    assert first.post("/api/v1/pricing-tables/shared/rollback",
                      headers={"Authorization": f"Bearer {TOKEN}"}).get_json()["number"] == 1
    result = second.post("/api/v1/estimates/training", json={**ESTIMATE, "pricing_table": "shared"}).get_json()
    assert result["pricing"]["version"] == 1
