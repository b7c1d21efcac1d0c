"""/healthz (no I/O) and /readyz (catalog and price book loaded)."""

from __future__ import annotations

from estimator.app import create_app
from estimator.catalog import load_catalog
from estimator.cost import SHEETS, load_price_book


def test_healthz(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_readyz_when_loaded(client):
    catalog, book = load_catalog(), load_price_book()
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.get_json() == {
        "status": "ok",
        "hardware": len(catalog.hardware),
        "models": len(catalog.models),
        "price_points": len(book.points),
        "price_book_version": "seed",
        "api_prices": len(book.api_prices),
        "pricing_store": "sqlite",
    }


def test_not_ready_when_the_seeds_do_not_load(tmp_path, problem):
    app = create_app({"TESTING": True, "SEEDS_DIR": str(tmp_path)})  # empty directory
    client = app.test_client()
    unavailable = problem(
        503, "Service Unavailable", "The catalog or price book did not load at start-up; see the server log."
    )

    assert client.get("/healthz").status_code == 200  # alive, just not ready
    for response in (
        client.get("/readyz"),
        client.get("/api/v1/hardware"),
        client.post("/api/v1/estimates/training", json={"params": 1e9, "tokens": 1e10, "hardware": "h100-sxm"}),
        client.post("/api/v1/estimates/inference", json={"model": "llama-3.1-8b", "hardware": "h100-sxm"}),
        client.post("/api/v1/compare", json={"workload": "inference", "preset": "article", "hardware": "h100-sxm"}),
    ):
        assert response.status_code == 503
        assert response.get_json() == unavailable


def test_not_ready_when_a_seed_file_is_empty(tmp_path):
    from estimator.catalog import SEEDS_DIR

    for name in ("hardware.csv", "models.csv"):
        (tmp_path / name).write_bytes((SEEDS_DIR / name).read_bytes())
    (tmp_path / "pricing").mkdir()
    for sheet in SHEETS:  # every sheet with its header and no rows
        header = (SEEDS_DIR / "pricing" / f"{sheet}.csv").read_text(encoding="utf-8").splitlines()[0]
        (tmp_path / "pricing" / f"{sheet}.csv").write_text(header + "\n", encoding="utf-8")

    client = create_app({"TESTING": True, "SEEDS_DIR": str(tmp_path)}).test_client()
    assert client.get("/readyz").status_code == 503


def test_not_ready_without_the_seed_pricing_table(tmp_path, problem):
    from estimator.catalog import SEEDS_DIR

    for name in ("hardware.csv", "models.csv"):
        (tmp_path / name).write_bytes((SEEDS_DIR / name).read_bytes())

    client = create_app({"TESTING": True, "SEEDS_DIR": str(tmp_path)}).test_client()
    assert client.get("/readyz").status_code == 503
    response = client.post("/api/v1/estimates/inference", json={"model": "llama-3.1-8b", "hardware": "h100-sxm"})
    assert response.status_code == 503


def test_not_ready_when_the_pricing_store_is_unreachable(problem):
    # Nothing listens on port 1 of loopback: the connection is refused at once.
    app = create_app({"TESTING": True, "DATABASE_URL": "postgresql+psycopg://postgres@127.0.0.1:1/test"})
    client = app.test_client()
    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.get_json()
    assert body["detail"].startswith("The pricing store is not reachable: The pricing store "
                                     "(postgresql+psycopg://postgres@127.0.0.1:1/test) is unavailable:")
    assert client.get("/healthz").status_code == 200
    # The seed table needs no store: estimates still work.
    estimate = client.post("/api/v1/estimates/training", json={"model": "llama-3.1-8b", "hardware": "h100-sxm"})
    assert estimate.status_code == 200
