"""/api/v1/pricing-tables: upload, versions, activation, download, and estimates that use them."""

from __future__ import annotations

import io

import openpyxl
import pytest

from estimator.app import create_app
from estimator.app.state import ready_state

TOKEN = "t0ken-for-tests"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
HEADER = "provider,region,gpu,pricing_model,usd_per_gpu_hour,product,effective_date,source,notes\n"
ROW = "Acme Cloud,,h100-sxm,on_demand,{price},,2025-06-01,Acme quote 42,\n"
ESTIMATE = {"model": "llama-3.1-8b", "hardware": "h100-sxm", "tokens": 1e12, "gpus": 64}


@pytest.fixture
def app():
    return create_app({"TESTING": True, "ADMIN_TOKEN": TOKEN})


def upload(client, name, text, *, file_name="gpu.csv", sheet="gpu_prices", headers=AUTH, **form):
    data = {"file": (io.BytesIO(text.encode() if isinstance(text, str) else text), file_name), **form}
    if sheet:
        data["sheet"] = sheet
    return client.post(f"/api/v1/pricing-tables/{name}/versions", data=data, headers=headers,
                       content_type="multipart/form-data")


def gpu_csv(price):
    return HEADER + ROW.format(price=price)


def test_seed_table_is_listed_first_and_read_only(client):
    tables = client.get("/api/v1/pricing-tables").get_json()
    assert tables == [{
        "name": "seed", "read_only": True, "active_version": None, "latest_version": None, "versions": 0,
        "created_at": None, "updated_at": None,
        "row_counts": {"gpu_prices": 81, "hardware_costs": 16, "energy": 5, "colocation": 4, "api_prices": 8},
    }]


def test_upload_creates_a_version_that_estimates_use(client):
    response = upload(client, "acme", gpu_csv("1.99"), note="Q3 quote")
    assert response.status_code == 201
    info = response.get_json()
    assert response.headers["Location"] == "/api/v1/pricing-tables/acme/versions/1"
    assert {k: info[k] for k in ("table", "number", "ref", "created_by", "file_name", "row_counts", "rows", "note",
                                 "active")} == {
        "table": "acme", "number": 1, "ref": "acme@1", "created_by": "admin", "file_name": "gpu.csv",
        "row_counts": {"gpu_prices": 1}, "rows": 1, "note": "Q3 quote", "active": True}

    result = client.post("/api/v1/estimates/training", json={**ESTIMATE, "pricing_table": "acme"}).get_json()
    assert result["pricing"]["table"] == "acme"
    assert result["pricing"]["version"] == 1
    rent = [p for p in result["pricing"]["prices"] if p["kind"] == "rent"]
    assert rent == [{"kind": "rent", "value": 1.99, "unit": "usd_per_gpu_hour", "effective_date": "2025-06-01",
                     "source": "Acme quote 42", "table": "acme@1", "hardware_id": "h100-sxm",
                     "provider": "Acme Cloud", "pricing_model": "on_demand"}]
    purchase = [p for p in result["pricing"]["prices"] if p["kind"] == "purchase"]
    assert purchase and {p["table"] for p in purchase} == {"seed"}  # fell back to the seed table's
    # rent = GPU-hours x the one uploaded price, in every scenario
    for s in ("low", "mid", "high"):
        assert result["cost_usd"]["rent"][s] == pytest.approx(result["gpu_hours"][s] * 1.99, rel=1e-5)  # 6 digits
    assert "Only one rent (NVIDIA H100 80GB SXM5) price in pricing table acme@1: low = mid = high." in result["warnings"]
    # The table has no purchase, energy or colocation rows: the seed table's are used, with a warning each.
    for kind in ("purchase", "electricity", "hosting"):
        assert f"Pricing table acme@1 has no {kind} prices: used the seed table's." in result["warnings"]


def test_seed_estimate_names_the_seed_table(client):
    result = client.post("/api/v1/estimates/training", json=ESTIMATE).get_json()
    assert result["pricing"]["table"] == "seed"
    assert result["pricing"]["version"] is None
    assert {p["kind"] for p in result["pricing"]["prices"]} == {"rent", "purchase", "electricity", "hosting"}
    assert all(p["source"] and p["effective_date"] for p in result["pricing"]["prices"])


def test_cheaper_table_gives_a_cheaper_rent_and_versions_are_addressable(client):
    assert upload(client, "acme", gpu_csv("2.00")).status_code == 201
    assert upload(client, "acme", gpu_csv("1.00")).status_code == 201

    def rent(ref):
        body = client.post("/api/v1/estimates/training", json={**ESTIMATE, "pricing_table": ref}).get_json()
        return body["cost_usd"]["rent"]["mid"]

    assert rent("acme") == pytest.approx(rent("acme@1") / 2, rel=1e-5)  # the latest upload is active
    assert rent("acme@2") == rent("acme")


def test_rejected_upload_lists_every_problem_and_changes_nothing(client):
    assert upload(client, "acme", gpu_csv("1.99")).status_code == 201
    bad = HEADER + ROW.format(price="-3").replace("h100-sxm", "h100-sx") + ROW.format(price="abc")
    response = upload(client, "acme", bad)
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    assert response.get_json() == {
        "type": "/problems/import-rejected",
        "title": "Pricing file rejected",
        "status": 422,
        "detail": "'gpu.csv' was not imported: 3 problems found. Fix them and upload again; nothing was changed.",
        "errors": [
            {"pointer": None, "code": "unknown_gpu", "sheet": "gpu_prices", "row": 2, "column": "gpu",
             "column_letter": "C", "value": "h100-sx",
             "detail": "Unknown hardware 'h100-sx'. Closest: h100-sxm, h800-sxm, h200-sxm. "
                       "See `estimator catalog hardware` for all ids."},
            {"pointer": None, "code": "out_of_range", "sheet": "gpu_prices", "row": 2, "column": "usd_per_gpu_hour",
             "column_letter": "E", "value": "-3",
             "detail": "-3 USD/GPU-hour is too small: a price must be greater than 0 USD/GPU-hour."},
            {"pointer": None, "code": "not_a_number", "sheet": "gpu_prices", "row": 3, "column": "usd_per_gpu_hour",
             "column_letter": "E", "value": "abc",
             "detail": response.get_json()["errors"][2]["detail"]},
        ],
    }
    versions = client.get("/api/v1/pricing-tables/acme/versions").get_json()
    assert [v["number"] for v in versions] == [1]


def test_rejected_first_upload_creates_no_table(client):
    assert upload(client, "fresh", HEADER + ROW.format(price="0")).status_code == 422
    assert [t["name"] for t in client.get("/api/v1/pricing-tables").get_json()] == ["seed"]
    response = client.post("/api/v1/estimates/training", json={**ESTIMATE, "pricing_table": "fresh"})
    assert response.status_code == 404
    assert response.get_json()["errors"][0]["pointer"] == "/pricing_table"


def test_workbook_upload_with_several_sheets(client):
    workbook = openpyxl.Workbook()
    gpu = workbook.active
    gpu.title = "GPU prices"
    gpu.append(["Provider", "Region", "GPU", "Pricing model", "USD per GPU hour", "Product", "Effective date",
                "Source", "Notes"])
    gpu.append(["Acme", "eu-west", "h200-sxm", "reserved_1y", 2.1, None, "2025-05-01", "contract", None])
    energy = workbook.create_sheet("energy")
    energy.append(["region", "usd_per_kwh", "pue", "grid_kgco2_per_kwh", "effective_date", "source", "notes"])
    energy.append(["Nordics", 0.05, 1.1, 0.03, "2025-05-01", "utility contract", None])
    buffer = io.BytesIO()
    workbook.save(buffer)
    response = upload(client, "nordic", buffer.getvalue(), file_name="nordic.xlsx", sheet=None)
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["row_counts"] == {"gpu_prices": 1, "energy": 1}

    result = client.post("/api/v1/estimates/inference", json={
        "model": "llama-3.1-70b", "hardware": "h200-sxm", "precision": "fp8", "pricing_table": "nordic"}).get_json()
    assumptions = {a["name"]: a for a in result["assumptions"]}
    point = {"low": 1.1, "mid": 1.1, "high": 1.1}
    assert assumptions["pue"]["value"] == point
    assert assumptions["grid_kg_co2_per_kwh"]["value"] == {"low": 0.03, "mid": 0.03, "high": 0.03}
    assert assumptions["electricity_usd_per_kwh"]["value"] == {"low": 0.05, "mid": 0.05, "high": 0.05}
    assert assumptions["pue"]["source"].startswith("pricing table nordic@1: ")


def test_activate_rollback_and_diff(client):
    for price in ("3", "2", "1"):
        assert upload(client, "acme", gpu_csv(price)).status_code == 201
    response = client.post("/api/v1/pricing-tables/acme/active", json={"version": 1}, headers=AUTH)
    assert response.status_code == 200
    assert response.get_json()["ref"] == "acme@1"
    assert client.get("/api/v1/pricing-tables/acme").get_json()["active_version"] == 1
    response = client.post("/api/v1/pricing-tables/acme/rollback", headers=AUTH)
    assert response.status_code == 200
    assert response.get_json()["number"] == 3
    diff = client.get("/api/v1/pricing-tables/acme/diff?from=1&to=2").get_json()
    assert (diff["from_version"], diff["to_version"], diff["identical"]) == (1, 2, False)
    assert diff["summary"] == {"added": 0, "removed": 0, "changed": 1}
    assert client.get("/api/v1/pricing-tables/acme/diff?from=1").status_code == 422


def test_writes_need_the_token(client, problem):
    response = upload(client, "acme", gpu_csv("1"), headers={})
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="pricing"'
    assert response.get_json() == problem(401, "Unauthorized",
                                          "This write needs 'Authorization: Bearer <ESTIMATOR_ADMIN_TOKEN>'.")
    wrong = upload(client, "acme", gpu_csv("1"), headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401
    assert client.post("/api/v1/pricing-tables/acme/rollback", headers={}).status_code == 401


def test_writes_are_disabled_without_a_configured_token(problem):
    client = create_app({"TESTING": True}).test_client()
    response = upload(client, "acme", gpu_csv("1"))
    assert response.status_code == 403
    assert response.get_json() == problem(
        403, "Forbidden", "Writes to pricing tables are disabled: set ESTIMATOR_ADMIN_TOKEN on the server and send "
                          "'Authorization: Bearer <token>'.")
    assert client.get("/api/v1/pricing-tables").status_code == 200  # reads stay open


def test_the_seed_table_cannot_be_written(client):
    response = upload(client, "seed", gpu_csv("1"))
    assert response.status_code == 403  # a valid name (from the list of tables) of a read-only table
    assert response.get_json()["detail"] == "The seed table is built in and read-only: upload under another name."
    for action, body in (("active", {"version": 1}), ("rollback", None)):
        response = client.post(f"/api/v1/pricing-tables/seed/{action}", json=body, headers=AUTH)
        assert response.status_code == 403, action
        assert response.get_json()["detail"].startswith("The 'seed' pricing table is built in and read-only")


@pytest.mark.parametrize(("path", "detail"), [
    ("/api/v1/pricing-tables/acm", "Unknown pricing table 'acm'. Closest: acme. Known tables: acme, seed."),
    ("/api/v1/pricing-tables/acme/versions/9", None),
])
def test_unknown_table_or_version_is_404(client, path, detail):
    upload(client, "acme", gpu_csv("1"))
    response = client.get(path)
    assert response.status_code == 404
    body = response.get_json()
    assert body["type"] == "/problems/unknown-pricing-table"
    assert body["errors"][0]["pointer"] is None
    if detail:
        assert body["detail"] == detail


def test_upload_must_be_multipart(client):
    response = client.post("/api/v1/pricing-tables/acme/versions", json={"rows": []}, headers=AUTH)
    assert response.status_code == 415
    assert response.get_json()["detail"] == ("Upload the file as multipart/form-data with a 'file' field "
                                             "(got application/json).")


def test_upload_over_the_limit_is_413():
    client = create_app({"TESTING": True, "ADMIN_TOKEN": TOKEN, "MAX_UPLOAD_BYTES": 2000}).test_client()
    response = upload(client, "acme", HEADER + ROW.format(price="1") * 40)
    assert response.status_code == 413
    assert [t["name"] for t in client.get("/api/v1/pricing-tables").get_json()] == ["seed"]


def test_truncated_multipart_body_is_never_imported(client):
    boundary = "XyZ"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"sheet\"\r\n\r\ngpu_prices\r\n"
            f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"gpu.csv\"\r\n"
            f"Content-Type: text/csv\r\n\r\n{HEADER}{ROW.format(price='1')}{ROW.format(price='2')}").encode()
    cut = body[: len(body) - 30]  # the closing boundary never arrives
    response = client.post("/api/v1/pricing-tables/acme/versions", data=cut, headers=AUTH,
                           content_type=f"multipart/form-data; boundary={boundary}")
    assert response.status_code == 400
    assert response.get_json()["detail"].startswith("The upload ended before its closing multipart boundary")
    assert [t["name"] for t in client.get("/api/v1/pricing-tables").get_json()] == ["seed"]


@pytest.mark.parametrize("table", ["seed", "acme"])
def test_download_round_trips(client, table):
    upload(client, "acme", gpu_csv("1.5"))
    response = client.get(f"/api/v1/pricing-tables/{table}/download?format=xlsx")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith("attachment; filename=")
    # The downloaded workbook imports back as a table with the same rows.
    again = upload(client, "copy", response.data, file_name="copy.xlsx", sheet=None)
    assert again.status_code == 201, again.get_json()
    original = client.get(f"/api/v1/pricing-tables/{table}/download?format=csv&sheet=gpu_prices").data
    copied = client.get("/api/v1/pricing-tables/copy/download?format=csv&sheet=gpu_prices").data
    assert copied == original


def test_csv_download_is_one_sheet_the_first_by_default(client):
    # A rule between two query parameters (csv needs a sheet) is one OpenAPI cannot state: the sheet has
    # a default instead, and a sheet that does not exist is refused with either format.
    first = client.get("/api/v1/pricing-tables/seed/download?format=csv")
    named = client.get("/api/v1/pricing-tables/seed/download?format=csv&sheet=gpu_prices")
    assert (first.status_code, first.data) == (200, named.data)
    assert first.headers["Content-Disposition"] == 'attachment; filename="seed-gpu_prices.csv"'
    for query in ("format=csv&sheet=prices", "sheet=prices"):
        response = client.get(f"/api/v1/pricing-tables/seed/download?{query}")
        assert response.status_code == 422
        assert response.get_json()["detail"] == ("?sheet= must be one of gpu_prices, hardware_costs, energy, colocation, "
                                                 "api_prices, got 'prices'.")


def test_template_documents_every_column(client):
    response = client.get("/api/v1/pricing-template.xlsx")
    assert response.status_code == 200
    workbook = openpyxl.load_workbook(io.BytesIO(response.data), read_only=True)
    assert workbook.sheetnames[:5] == ["gpu_prices", "hardware_costs", "energy", "colocation", "api_prices"]


def test_estimate_with_unknown_pricing_table_is_404(client):
    response = client.post("/api/v1/estimates/training", json={**ESTIMATE, "pricing_table": "sed"})
    assert response.status_code == 404
    body = response.get_json()
    assert body["errors"][0] == {"pointer": "/pricing_table", "code": "unknown_pricing_table", "given": "sed",
                                 "closest": ["seed"],
                                 "detail": "Unknown pricing table 'sed'. Closest: seed. Known tables: seed."}


def test_compare_uses_the_named_table(client):
    upload(client, "acme", gpu_csv("1.0"))
    body = {"workload": "training", "models": ["llama-3.1-8b", "llama-3.1-70b"], "hardware": "h100-sxm",
            "tokens": 1e12, "gpus": 512, "pricing_table": "acme"}
    result = client.post("/api/v1/compare", json=body).get_json()
    assert all(row["pricing"]["table"] == "acme" for row in result["rows"])


@pytest.mark.parametrize(("data", "file_name"), [
    (b"\x89PNG\r\n\x1a\n" + b"\0" * 64, "prices.xlsx"),  # an image named like a workbook
    (b"col\n1\n", "prices.pdf"),  # a file type that is not accepted
])
def test_wrong_file_type_is_415_and_imports_nothing(client, data, file_name):
    response = upload(client, "acme", data, file_name=file_name, sheet=None)
    assert response.status_code == 415
    assert response.mimetype == "application/problem+json"
    assert response.get_json()["title"] == "Unsupported Media Type"
    assert [t["name"] for t in client.get("/api/v1/pricing-tables").get_json()] == ["seed"]


def test_unreachable_store_is_503_without_its_address(problem):
    app = create_app({"TESTING": True, "ADMIN_TOKEN": TOKEN,
                      "DATABASE_URL": "postgresql+psycopg://postgres@127.0.0.1:1/test"})
    client = app.test_client()
    unavailable = problem(503, "Service Unavailable",
                          "The pricing store is unavailable; try again shortly. The server log has the cause.")
    assert client.get("/api/v1/pricing-tables").get_json() == unavailable
    response = client.post("/api/v1/estimates/training", json={**ESTIMATE, "pricing_table": "acme"})
    assert (response.status_code, response.get_json()) == (503, unavailable)
    # The seed table needs no store.
    assert client.post("/api/v1/estimates/training", json=ESTIMATE).status_code == 200


@pytest.mark.parametrize("query", ["download?version=%C2%B2", "download?version=0", "download?version=1.0",
                                   "diff?from=%C2%B2&to=1", "diff?from=%D9%A1&to=1", "diff?from=1&to=-2"])
def test_version_numbers_must_be_ascii_digits(client, query):
    upload(client, "acme", gpu_csv("1"))
    response = client.get(f"/api/v1/pricing-tables/acme/{query}")
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"


@pytest.mark.parametrize("path", ["/api/v1/pricing-tables/seed/versions/1", "/api/v1/pricing-tables/seed/diff?from=1&to=2"])
def test_the_seed_table_has_no_versions(client, path):
    response = client.get(path)
    assert response.status_code == 404
    assert response.get_json()["detail"] == ("The seed table is built in and has no versions: read it with "
                                             "GET /api/v1/pricing-tables/seed/download.")


def test_upload_without_a_chosen_file_is_422(client):
    response = upload(client, "acme", b"", file_name="", sheet=None)
    assert response.status_code == 422
    assert response.get_json()["detail"] == "The upload has no file: send the spreadsheet as the form field 'file'."


def test_the_reader_uses_the_configured_upload_limit():
    row = ROW.replace("Acme quote 42", "Acme quote 42 - page 7 of the 2025 framework agreement")
    big = HEADER + "".join(row.format(price=f"1.{i:04d}").replace(",,2025", f",p{i},2025") for i in range(180_000))
    assert 16 * 1024 * 1024 < len(big) < 20 * 1024 * 1024
    client = create_app({"TESTING": True, "ADMIN_TOKEN": TOKEN, "MAX_UPLOAD_BYTES": 20 * 1024 * 1024}).test_client()
    # The body is built here: werkzeug's test EnvironBuilder leaves its temporary file of a large
    # multipart body open (a ResourceWarning of the test client, not of the app).
    body = (b'--B\r\nContent-Disposition: form-data; name="sheet"\r\n\r\ngpu_prices\r\n'
            b'--B\r\nContent-Disposition: form-data; name="file"; filename="big.csv"\r\n\r\n'
            + big.encode() + b"\r\n--B--\r\n")
    response = client.post("/api/v1/pricing-tables/big/versions", data=body, headers=AUTH,
                           content_type="multipart/form-data; boundary=B")
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["rows"] == 180_000


def test_pricing_table_ref_with_a_trailing_newline_is_rejected(client):
    response = client.post("/api/v1/estimates/training", json={**ESTIMATE, "pricing_table": "seed\n"})
    assert response.status_code == 422
    assert response.get_json()["errors"][0]["pointer"] == "/pricing_table"


def test_seed_download_rejects_a_version(client):
    assert client.get("/api/v1/pricing-tables/seed/download?version=abc").status_code == 422
    # A well-formed version the seed table does not have: 404, as for any table (the document cannot
    # rule a query parameter out by the path's value, so a 422 would refuse a request it calls valid).
    response = client.get("/api/v1/pricing-tables/seed/download?version=2")
    assert response.status_code == 404
    assert response.get_json()["detail"].startswith("The seed table is built in and has no versions")


def test_estimate_refuses_a_stored_version_with_an_implausible_value(app, client, problem):
    """A version stored before the plausible ranges (issue 13: amortisation 1e-300 years made an own cost
    of 2.48e+307 USD, answered 200) is refused by an estimate, naming the row and the range."""
    row = {"item": "h100-sxm", "product": "DGX H100", "vendor": "NVIDIA", "scope": "server", "usd_capex": 300000.0,
           "gpus_per_unit": 8, "amortization_years": 1e-300, "effective_date": "2025-06-01", "source": "quote",
           "notes": ""}
    app.extensions["pricing_store"].import_version("old", {"hardware_costs": [row]}, file_name="old.csv",
                                                   created_by="admin")
    response = client.post("/api/v1/estimates/training", json={**ESTIMATE, "pricing_table": "old"})
    detail = ("Pricing table old@1, sheet hardware_costs row 2: amortization_years 1e-300 years is outside its "
              "plausible range (1 to 30 years); estimates do not use this version. Import a corrected version.")
    assert response.status_code == 422
    assert response.get_json() == problem(
        422, "Invalid input", detail, type_="/problems/invalid-input",
        errors=[{"pointer": "/pricing_table", "detail": detail, "code": "invalid_pricing_table"}])


def test_a_locked_store_answers_503_with_retry_after_once_its_busy_timeout_passes(tmp_path, problem):
    """An import waits for SQLite's write lock up to the store's busy timeout (15 s by default; 0.1 s
    here), then answers 503 with Retry-After, and nothing is imported (issue 13: 9 of 96 concurrent
    heavy uploads got a bare 503)."""
    import dataclasses
    import sqlite3

    from estimator.app.state import EXTENSION
    from pricing.store import PricingStore

    path = tmp_path / "pricing.sqlite3"
    app = create_app({"TESTING": True, "ADMIN_TOKEN": TOKEN, "DATABASE_URL": f"sqlite:///{path}"})
    impatient = PricingStore(f"sqlite:///{path}", busy_timeout_ms=100)
    app.extensions[EXTENSION] = dataclasses.replace(app.extensions[EXTENSION], store=impatient)
    client = app.test_client()
    writer = sqlite3.connect(path, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")  # another process holds the write lock
    try:
        response = upload(client, "acme", gpu_csv("1.99"))
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    assert (response.status_code, response.headers.get("Retry-After")) == (503, "5")
    assert response.get_json() == problem(
        503, "Service Unavailable", "The pricing store is unavailable; try again shortly. The server log has the cause.")
    assert client.get("/api/v1/pricing-tables/acme/versions").status_code == 404
    assert upload(client, "acme", gpu_csv("1.99")).status_code == 201  # the lock released: it goes through
    impatient.dispose()


def test_upload_expanding_to_too_much_text_is_413_naming_the_limit(client):
    """Issue 13: a 49 KB ods repeating one 100 KB text over 9,000 cells took a worker to 2.75 GiB before
    its 422. Built here small on disk (random letters pack ~1.3x): refused by the scan, 413 with the limit."""
    import random
    import string
    import zipfile

    text = "".join(random.Random(7).choices(string.ascii_letters, k=100_000))
    content = (
        '<?xml version="1.0" encoding="UTF-8"?><office:document-content '
        'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
        '<office:body><office:spreadsheet><table:table table:name="gpu_prices">'
        '<table:table-row table:number-rows-repeated="1000"><table:table-cell table:number-columns-repeated="9" '
        f'office:value-type="string"><text:p>{text}</text:p></table:table-cell></table:table-row>'
        "</table:table></office:spreadsheet></office:body></office:document-content>"
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        zf.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        zf.writestr("content.xml", content, zipfile.ZIP_DEFLATED)
    assert len(buffer.getvalue()) < 100_000
    response = upload(client, "bomb", buffer.getvalue(), file_name="bomb.ods", sheet=None)
    assert response.status_code == 413
    [item] = response.get_json()["errors"]
    assert (item["code"], item["limit"]) == ("file_too_large", 64 * 1024 * 1024)
    assert item["detail"].startswith("'bomb.ods' expands to more than 67,108,864 bytes of cell text")


@pytest.mark.parametrize("number", ["\u0663", "\u0661", "\uff11", "\u00b9"], ids=["arabic-3", "arabic-1", "full-width-1", "superscript-1"])
def test_a_version_number_in_a_path_is_ascii_digits_only(client, number):
    """'/versions/٣' resolved to version 3 (werkzeug's int converter takes any Unicode digit)."""
    upload(client, "acme", gpu_csv("1"))
    assert client.get("/api/v1/pricing-tables/acme/versions/1").status_code == 200
    response = client.get(f"/api/v1/pricing-tables/acme/versions/{number}")
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"


def test_a_pages_csrf_token_expires(app, client, monkeypatch):
    """A form's CSRF token is good for CSRF_TOKEN_MAX_AGE seconds (2 h) after the page was served."""
    import re
    import time

    from estimator.app.web import csrf

    page = client.get("/pricing").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    form = {"name": "acme", "csrf_token": token, "admin_token": TOKEN, "sheet": "gpu_prices", "activate": "on",
            "file": (io.BytesIO(gpu_csv("1.99").encode()), "gpu.csv")}
    served = time.time()
    monkeypatch.setattr(csrf.time, "time", lambda: served + 2 * 3600 + 1)
    response = client.post("/pricing", data=form, content_type="multipart/form-data")
    assert response.status_code == 400
    assert csrf.EXPIRED in response.get_data(as_text=True)
    monkeypatch.setattr(csrf.time, "time", lambda: served + 2 * 3600 - 60)
    form["file"] = (io.BytesIO(gpu_csv("1.99").encode()), "gpu.csv")
    assert client.post("/pricing", data=form, content_type="multipart/form-data").status_code in (200, 303)


def test_failed_authentication_is_rate_limited_per_address(client, problem):
    """Ten wrong tokens a minute from one address on one endpoint; the eleventh request is 429 with
    Retry-After (even with the right token, until the window passes); other addresses are not affected,
    and requests that authenticate are not counted (Flask-Limiter, AUTH_FAILURES_LIMIT)."""
    here, there = {"REMOTE_ADDR": "192.0.2.7"}, {"REMOTE_ADDR": "192.0.2.8"}
    wrong = {"Authorization": "Bearer not-the-token"}

    def post(headers, environ):
        data = {"file": (io.BytesIO(gpu_csv("1.99").encode()), "gpu.csv"), "sheet": "gpu_prices"}
        return client.post("/api/v1/pricing-tables/acme/versions", data=data, headers=headers,
                           content_type="multipart/form-data", environ_base=environ)

    for _ in range(12):
        assert post(AUTH, there).status_code == 201  # successes are not counted
    for _ in range(10):
        assert post(wrong, here).status_code == 401
    response = post(AUTH, here)
    detail = ("Too many failed authentications from this address (10 per 1 minute); try again in 60 s.")
    assert (response.status_code, response.headers["Retry-After"]) == (429, "60")
    assert response.get_json() == problem(429, "Too Many Requests", detail)
    assert post(wrong, there).status_code == 401
    assert client.get("/api/v1/pricing-tables", environ_base=here).status_code == 200  # reads never fail auth


# --- Big tables read anonymously (issue 13, defect 9) -------------------------------------------------
def rows_csv(prices):
    return HEADER + "".join(f"Acme Cloud,,h100-sxm,on_demand,{p},type {i},2025-06-01,Acme quote 42,\n"
                            for i, p in enumerate(prices))


def test_a_diff_answers_a_page_at_a_time_with_every_difference_counted(client):
    """Before, a diff answered every row of both versions' differences at once (two 150,000-row versions:
    5.1 s and 637 MiB), with no way to ask for less."""
    assert upload(client, "acme", rows_csv(["1"] * 5)).status_code == 201
    assert upload(client, "acme", rows_csv(["2"] * 5 + ["3"])).status_code == 201
    response = client.get("/api/v1/pricing-tables/acme/diff?from=1&to=2&per_page=2")
    change = {"usd_per_gpu_hour": {"before": 1.0, "after": 2.0}}
    key = {"provider": "Acme Cloud", "region": "", "gpu": "h100-sxm", "pricing_model": "on_demand",
           "effective_date": "2025-06-01"}
    assert response.get_json() == {
        "table": "acme", "from_version": 1, "to_version": 2, "identical": False,
        "summary": {"added": 1, "removed": 0, "changed": 5}, "page": 1, "per_page": 2, "pages": 3,
        "next": "/api/v1/pricing-tables/acme/diff?from=1&to=2&page=2&per_page=2",
        "sheets": {"gpu_prices": {
            "in_from": True, "in_to": True, "counts": {"added": 1, "removed": 0, "changed": 5}, "unchanged": 0,
            "added": [{"provider": "Acme Cloud", "region": "", "gpu": "h100-sxm", "pricing_model": "on_demand",
                       "usd_per_gpu_hour": 3.0, "product": "type 5", "effective_date": "2025-06-01",
                       "source": "Acme quote 42", "notes": ""}],
            "removed": [],
            "changed": [{"key": {**key, "product": f"type {i}"}, "changes": change} for i in (0, 1)]}},
    }
    last = client.get("/api/v1/pricing-tables/acme/diff?from=1&to=2&page=3&per_page=2").get_json()
    assert (last["next"], last["sheets"]["gpu_prices"]["added"]) == (None, [])
    assert [c["key"]["product"] for c in last["sheets"]["gpu_prices"]["changed"]] == ["type 4"]
    default = client.get("/api/v1/pricing-tables/acme/diff?from=1&to=2").get_json()
    assert (default["per_page"], default["pages"], default["next"]) == (100, 1, None)


@pytest.mark.parametrize(("query", "shown"), [("page=0", "page= must be a whole number from 1 to 999,999,999, "
                                                          "got '0'"),
                                              ("per_page=1001", "per_page= must be a whole number from 1 to 1,000, "
                                                                "got '1001'"),
                                              ("per_page=%D9%A1", "per_page= must be a whole number from 1 to 1,000, "
                                                                  "got '\u0661'")])
def test_a_bad_page_is_a_422(client, problem, query, shown):
    assert upload(client, "acme", rows_csv(["1"])).status_code == 201
    response = client.get(f"/api/v1/pricing-tables/acme/diff?from=1&to=1&{query}")
    assert response.get_json() == problem(422, "Unprocessable Entity", f"?{shown}.")


def test_a_diff_reads_the_digests_stored_at_import_and_answers_as_the_computed_diff(client, app, monkeypatch):
    """Issue 13: the first diff of two 150,000-row versions compared every row of both (~1.4 s of CPU, an
    anonymous request). Now each import stores its rows' digests; a diff compares those and reads only the rows
    of its page, and answers what the diff computed from the rows themselves answers."""
    from pricing.store import PricingStore, pricing_digests

    assert upload(client, "acme", rows_csv(["1", "2", "3", "4"])).status_code == 201
    assert upload(client, "acme", rows_csv(["1", "5", "3"]) + "Acme Cloud,,h100-sxm,on_demand,6,type 9,"
                                                               "2025-06-01,Acme quote 42,\n").status_code == 201
    with monkeypatch.context() as m:
        m.setattr(PricingStore, "_texts", lambda *a: pytest.fail("a version's rows were read whole"))
        served = {(a, b): client.get(f"/api/v1/pricing-tables/acme/diff?from={a}&to={b}").get_json()
                  for a, b in ((1, 2), (2, 1))}
    gpu = served[1, 2]["sheets"]["gpu_prices"]
    assert (served[1, 2]["summary"], gpu["unchanged"]) == ({"added": 1, "removed": 1, "changed": 1}, 2)
    assert (gpu["removed"][0]["product"], gpu["added"][0]["product"]) == ("type 3", "type 9")
    assert gpu["changed"] == [{"key": {"provider": "Acme Cloud", "region": "", "gpu": "h100-sxm",
                                       "pricing_model": "on_demand", "product": "type 1",
                                       "effective_date": "2025-06-01"},
                               "changes": {"usd_per_gpu_hour": {"before": 2.0, "after": 5.0}}}]
    with app.app_context():
        store = ready_state().store
    with store.engine.begin() as conn:  # the same diffs computed from the rows themselves
        conn.execute(pricing_digests.delete())
    for (a, b), body in served.items():
        assert body == {**store.diff("acme", a, b, page=1, per_page=100).to_dict(), "next": None}


def test_a_diff_of_a_big_version_stored_before_digests_is_refused_with_what_to_do(client, app, problem,
                                                                                  monkeypatch):
    """A version imported before revision 0003 has no stored digests: an anonymous diff digests it from its
    rows only within a budget (50 ms of CPU per anonymous request, issue 13), else a 422 saying what works."""
    from estimator.app.api import pricing as api
    from pricing.store import pricing_digests

    assert upload(client, "acme", rows_csv(["1", "2", "3"])).status_code == 201
    assert upload(client, "acme", rows_csv(["1", "2"])).status_code == 201
    with app.app_context():
        store = ready_state().store
    with store.engine.begin() as conn:
        conn.execute(pricing_digests.delete().where(pricing_digests.c.version == 1))
    monkeypatch.setattr(api, "DIGEST_ON_REQUEST_ROWS", 2)
    response = client.get("/api/v1/pricing-tables/acme/diff?from=2&to=1")
    detail = ("Version 1 of 'acme' (3 rows) was imported before versions were indexed for comparison, and comparing "
              "it means reading every row: more than a request may (2 rows). Ask an administrator to index it "
              "(estimator pricing index acme); versions imported since are compared at any size.")
    assert response.status_code == 422
    assert response.get_json() == problem(422, "Invalid input", detail, type_="/problems/invalid-input", errors=[
        {"pointer": None, "detail": detail, "code": "diff_too_large", "table": "acme", "version": 1, "rows": 3,
         "limit": 2}])
    assert store.index_versions("acme") == [1]
    summary = client.get("/api/v1/pricing-tables/acme/diff?from=2&to=1").get_json()["summary"]
    assert summary == {"added": 1, "removed": 0, "changed": 0}


def test_diffs_and_downloads_are_built_once_per_version(client, app, monkeypatch):
    """Versions never change, so a diff built once, or a file read once from the store (where the import
    put it), is answered again from the worker's cache (before, every request rebuilt it: 7.7 s for each
    download of a 150,000-row xlsx)."""
    from estimator.app.api import pricing as api
    from pricing.store import PricingStore

    assert upload(client, "acme", rows_csv(["1"])).status_code == 201
    assert upload(client, "acme", rows_csv(["2"])).status_code == 201
    built = []
    to_xlsx, diff, file = api.to_xlsx, PricingStore.diff_index, PricingStore.file
    monkeypatch.setattr(api, "to_xlsx", lambda sheets: built.append("built xlsx") or to_xlsx(sheets))
    monkeypatch.setattr(PricingStore, "file", lambda self, *a: built.append(a[-1]) or file(self, *a))
    monkeypatch.setattr(PricingStore, "diff_index", lambda self, *a, **k: built.append("diff") or diff(self, *a, **k))
    files = [client.get(f"/api/v1/pricing-tables/acme/download{q}").data
             for q in ("", "?version=2", "?version=1", "", "?version=1")]
    pages = [client.get(f"/api/v1/pricing-tables/acme/diff?from=1&to=2&page={p}").status_code for p in (1, 2, 1)]
    assert (built, pages) == (["xlsx", "xlsx", "diff"], [200, 200, 200])  # two files read, none built
    assert files[0] == files[1] == files[3] != files[2] == files[4]
    # Activating another version changes what the plain download answers, not what is cached for each version.
    assert client.post("/api/v1/pricing-tables/acme/active", json={"version": 1}, headers=AUTH).status_code == 200
    assert client.get("/api/v1/pricing-tables/acme/download").data == files[2]
    assert app.extensions["estimator_pricing_reads"].downloads.total == len(files[0]) + len(files[2])


def test_openapi_documents_the_rate_limit_and_the_json_caps(client):
    """Issue 13: the 429 of rate-limited failed authentication and the 400 too_many_items / 413 of a JSON
    body were answered but not documented for the operations that answer them."""
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    tables = "/api/v1/pricing-tables/{name}"
    limited = "Too many failed authentications from this address: past AUTH_FAILURES_LIMIT (default 10 per " \
              "minute) answers of 401 to one endpoint, it answers 429 with Retry-After until the window passes."
    for path in (f"{tables}/versions", f"{tables}/active", f"{tables}/rollback"):
        assert paths[path]["post"]["responses"]["429"]["description"] == limited
    assert all("429" not in op["responses"] for path, ops in paths.items() for method, op in ops.items()
               if isinstance(op, dict) and (path, method) not in {(f"{tables}/{p}", "post") for p in ("versions", "active", "rollback")})
    too_many = "an array or object of more than MAX_JSON_ITEMS (default 1,000) items (code too_many_items"
    for path, method in (("/api/v1/estimates/training", "post"), ("/api/v1/compare", "post"),
                         (f"{tables}/active", "post")):
        responses = paths[path][method]["responses"]
        assert too_many in responses["400"]["description"], path
        assert responses["413"]["description"] == "Body larger than MAX_CONTENT_LENGTH (default 1,000,000 bytes)."
