"""A version's downloads are built when it is imported and stored with it (issue 13, defect 9): the
first anonymous xlsx download of a 150,000-row version took 10-14 s of CPU building the workbook;
now it reads the bytes the import stored (``pricing_files``, revision 0002). A version imported
before that revision has none and is built on request, as before."""

from __future__ import annotations

import pytest

import estimator.app.api.pricing as api_pricing
from estimator.app import create_app
from pricing.export import download_files, to_csv, to_xlsx
from pricing.tables import TABLES

TOKEN = "stored-downloads-token-of-32-characters"
H100 = {"provider": "Lambda", "region": "us-east-1", "gpu": "h100-sxm", "pricing_model": "on_demand",
        "usd_per_gpu_hour": 2.99, "product": "8x H100 SXM", "effective_date": "2025-03-01",
        "source": "Lambda pricing page", "notes": None}


def test_every_download_of_a_version_is_stored_at_import() -> None:
    app = create_app({"TESTING": True, "ADMIN_TOKEN": TOKEN})
    store = app.extensions["pricing_store"]
    store.import_version("acme", {"gpu_prices": [H100]}, file_name="a.csv", created_by="admin")
    assert {f"csv:{name}" for name in TABLES} | {"xlsx"} == set(download_files({"gpu_prices": [H100]}))
    assert store.file("acme", 1, "csv:gpu_prices") == to_csv("gpu_prices", [H100])
    assert store.file("acme", 1, "csv:energy") == to_csv("energy", [])  # a sheet it lacks: the header
    assert store.file("acme", 1, "xlsx")[:2] == b"PK"
    assert store.file("acme", 2, "xlsx") is None and store.file("nope", 1, "xlsx") is None


def test_a_download_reads_the_stored_file_and_builds_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    app = create_app({"TESTING": True, "ADMIN_TOKEN": TOKEN})
    store = app.extensions["pricing_store"]
    store.import_version("acme", {"gpu_prices": [H100]}, file_name="a.csv", created_by="admin")

    def refuse(*args: object, **kwargs: object) -> bytes:
        raise AssertionError("a stored download was built again")

    monkeypatch.setattr(api_pricing, "to_xlsx", refuse)
    monkeypatch.setattr(api_pricing, "to_csv", refuse)
    monkeypatch.setattr(store, "version", refuse)  # not even the rows are read
    client = app.test_client()
    xlsx = client.get("/api/v1/pricing-tables/acme/download?version=1")
    assert xlsx.status_code == 200 and xlsx.get_data() == store.file("acme", 1, "xlsx")
    assert xlsx.mimetype == api_pricing.XLSX_MIMETYPE
    csv = client.get("/api/v1/pricing-tables/acme/download?version=1&format=csv&sheet=gpu_prices")
    assert csv.status_code == 200 and csv.get_data() == to_csv("gpu_prices", [H100])


def test_a_version_imported_before_stored_downloads_is_built_on_request() -> None:
    app = create_app({"TESTING": True, "ADMIN_TOKEN": TOKEN})
    store = app.extensions["pricing_store"]
    store.import_version("old", {"gpu_prices": [H100]}, file_name="a.csv", created_by="admin", files={})
    assert store.file("old", 1, "xlsx") is None
    client = app.test_client()
    csv = client.get("/api/v1/pricing-tables/old/download?format=csv&sheet=gpu_prices")
    assert csv.status_code == 200 and csv.get_data() == to_csv("gpu_prices", [H100])
    xlsx = client.get("/api/v1/pricing-tables/old/download")
    assert xlsx.status_code == 200 and len(xlsx.get_data()) == len(to_xlsx({"gpu_prices": [H100]}))
    assert client.get("/api/v1/pricing-tables/old/download?version=2").status_code == 404


def test_stored_files_read_back_whole_on_both_backends(store) -> None:
    """SQLite BLOB and PostgreSQL bytea alike: the bytes stored are the bytes read."""
    big = [{**H100, "product": f"type {i}", "notes": "é" * 50} for i in range(2_000)]
    store.import_version("acme", {"gpu_prices": big}, file_name="a.csv", created_by="admin")
    assert store.file("acme", 1, "csv:gpu_prices") == to_csv("gpu_prices", big)
    assert isinstance(store.file("acme", 1, "xlsx"), bytes)
