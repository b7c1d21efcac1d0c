"""The pricing page through Flask's test client: every route, and every error path of the upload,
activate and roll-back forms (token, CSRF, size, file type, file problems, unknown tables)."""

from __future__ import annotations

import dataclasses
import html
import io
import re
from urllib.parse import parse_qsl, urlsplit

import openpyxl
import pytest
from flask import Flask
from flask.testing import FlaskClient

from estimator.app import create_app, state
from estimator.app.web import pricing as pages
from pricing.errors import ImportRejected
from pricing.read import ACCEPTED
from pricing.validate import parse_upload

TOKEN = "page-test-token"
HEADER = "provider,region,gpu,pricing_model,usd_per_gpu_hour,product,effective_date,source,notes\n"
ROW = "Acme Cloud,,h100-sxm,on_demand,{price},,2025-06-01,Acme quote {price},\n"
BROKEN = HEADER + ROW.format(price="2") + "Acme Cloud,,h999,hourly,-1,,2025-06-01,,\n"


def gpu_csv(price: str = "1.99") -> str:
    return HEADER + ROW.format(price=price)


@pytest.fixture
def app() -> Flask:
    return create_app({"TESTING": True, "ADMIN_TOKEN": TOKEN})


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def page_of(response) -> str:
    return response.get_data(as_text=True)


def text(fragment: str) -> str:
    """Markup as a reader sees it: tags dropped, entities decoded, white space collapsed."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", "", fragment.replace("<br>", " "))).split())


def csrf_token(client: FlaskClient, path: str = "/pricing") -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', page_of(client.get(path)))
    assert match, "no CSRF field"
    return match.group(1)


def upload(client: FlaskClient, content: str | bytes, *, name="acme", file_name="gpu.csv", sheet="gpu_prices",
           activate=True, note="", token: str | None = TOKEN, csrf: str | None = "fetch", with_file=True):
    data: dict[str, object] = {"name": name, "sheet": sheet, "note": note}
    if with_file:
        raw = content.encode() if isinstance(content, str) else content
        data["file"] = (io.BytesIO(raw), file_name)
    if activate:
        data["activate"] = "on"
    if token is not None:
        data["admin_token"] = token
    if csrf == "fetch":
        csrf = csrf_token(client)
    if csrf is not None:
        data["csrf_token"] = csrf
    return client.post("/pricing", data=data, content_type="multipart/form-data")


def post_form(client: FlaskClient, path: str, table: str = "acme", **form):
    form.setdefault("csrf_token", csrf_token(client, f"/pricing/{table}"))
    return client.post(path, data=form)


def field_error(page: str, field_id: str) -> str:
    match = re.search(rf'<p class="error-message" id="{field_id}-error">(.*?)</p>', page, re.S)
    assert match, f"no error shown for {field_id}"
    return text(match.group(1)).removeprefix("Error: ")


def summary_links(page: str) -> list[tuple[str, str]]:
    match = re.search(r'<div class="error-summary".*?</div>', page, re.S)
    assert match, "no error summary"
    return [(href, text(label)) for href, label in re.findall(r'<a href="#([^"]+)">(.*?)</a>', match.group(0), re.S)]


def table_rows(page: str, css: str) -> list[list[str]]:
    """Each body row's cells (th and td) as text, of the first table with class ``css``."""
    match = re.search(rf'<table class="{css}[^"]*".*?</table>', page, re.S)
    assert match, f"no table {css}"
    body = match.group(0).split("<tbody", 1)[1]
    return [[text(c) for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)]
            for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S)]


def stored(app: Flask) -> list[str]:
    return [t.name for t in app.extensions[state.EXTENSION].store.tables()]


# --- The overview ----------------------------------------------------------------------------------------
def test_the_overview_lists_the_seed_table_first_and_the_upload_form(client):
    response = client.get("/pricing")
    assert response.status_code == 200
    assert response.headers["Content-Security-Policy"] == "default-src 'self'; frame-ancestors 'none'"
    page = page_of(response)
    assert "<h1>Pricing tables</h1>" in page
    assert '<a href="/pricing" aria-current="page">Pricing</a>' in page  # in the site navigation
    assert "<script" not in page and "style=" not in page
    seed = page[page.index('id="table-seed"'):page.index("</section>", page.index('id="table-seed"'))]
    assert "built in, read-only" in seed
    assert text(seed).count("gpu_prices 81 hardware_costs 16 energy 5 colocation 4 api_prices 8") == 1
    assert '<a href="/api/v1/pricing-tables/seed/download?format=xlsx" download>' in seed
    assert '<a href="/pricing/seed">Rows and sources</a>' in seed
    assert "No uploaded tables yet" in page
    assert '<a href="/api/v1/pricing-template.xlsx" download>template (xlsx)</a>' in page
    form = page[page.index('<form class="pricing-form"'):page.index("</form>")]
    assert 'method="post" action="/pricing" enctype="multipart/form-data"' in form
    assert '<input type="hidden" name="csrf_token"' in form
    assert '<input class="input-text" type="password" id="upload-token" name="admin_token"' in form
    assert '<input type="checkbox" id="upload-activate" name="activate" value="on" checked' in form
    assert 'type="file" id="upload-file" name="file"' in form
    assert "disabled" not in form


def test_without_a_configured_token_the_form_says_how_to_enable_writes():
    page = page_of(create_app({"TESTING": True}).test_client().get("/pricing"))
    assert "Uploads are disabled on this server" in text(page)
    assert "set ESTIMATOR_ADMIN_TOKEN in the server's environment and restart it" in text(page)
    assert '<fieldset class="group" disabled aria-describedby="writes-disabled">' in page
    assert 'id="upload-token"' not in page  # no token field to type into


def test_the_overview_lists_each_tables_newest_versions(app, client):
    for i in range(pages.OVERVIEW_VERSIONS + 1):
        assert upload(client, gpu_csv(f"1.{i}"), note=f"quote {i}", activate=i < 2).status_code == 303
    page = page_of(client.get("/pricing"))
    section = page[page.index('id="table-acme"'):page.index("</section>", page.index('id="table-acme"'))]
    assert "version 2 active" in text(section)
    assert f"{pages.OVERVIEW_VERSIONS + 1} versions; last change" in text(section)
    assert '<a href="/pricing/acme">all versions</a>' in section
    rows = table_rows(section, "versions")
    assert [r[0] for r in rows] == ["Version 6", "Version 5", "Version 4", "Version 3", "Version 2 active"]
    version, uploaded, by, file_name, counts, note, links = rows[-1]
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d UTC", uploaded)
    assert (by, file_name, counts, note) == ("admin", "gpu.csv", "gpu_prices 1", "quote 1")
    assert links == "Rows and sources Download xlsx Estimate: training run · serving estimate"
    assert '<a href="/api/v1/pricing-tables/acme/download?format=xlsx&amp;version=2" download>' in section
    assert "pricing_table=acme%402" in section


def test_an_unreadable_store_leaves_the_seed_table(app, caplog):
    class Broken:
        def tables(self):
            raise OSError("database is locked")

    app.extensions[state.EXTENSION] = dataclasses.replace(app.extensions[state.EXTENSION], store=Broken())
    response = app.test_client().get("/pricing")
    assert response.status_code == 200
    assert "The uploaded tables cannot be read right now" in page_of(response)
    assert 'id="table-seed"' in page_of(response)
    assert "Could not read the pricing store" in caplog.text


# --- Uploads that work -------------------------------------------------------------------------------------
def test_a_good_file_is_imported_and_confirmed_once(app, client):
    response = upload(client, gpu_csv("1.99"), note="Q3 quote")
    assert response.status_code == 303
    assert response.headers["Location"] == "/pricing/acme"
    info = app.extensions[state.EXTENSION].store.versions("acme")[0]
    assert (info.number, info.created_by, info.file_name, info.note, info.active, info.row_counts) == (
        1, "admin", "gpu.csv", "Q3 quote", True, {"gpu_prices": 1})

    page = page_of(client.get("/pricing/acme"))
    confirmation = page[page.index('<div class="confirmation"'):page.index("</div>", page.index("confirmation"))]
    assert 'role="status"' in confirmation
    assert text(confirmation) == (
        "Imported version 1 of acme gpu.csv: 1 row, every one valid. It is now the active version: estimates that "
        "name acme use it. Run an estimate with acme@1: training run · serving estimate")
    training = html.unescape(re.search(r'<a href="(/training\?[^"]+)">training run', confirmation).group(1))
    assert dict(parse_qsl(urlsplit(training).query))["pricing_table"] == "acme@1"
    result = client.get(training)
    assert result.status_code == 200
    assert "Prices used, from pricing table acme, version 1" in page_of(result)
    assert "Acme quote 1.99" in page_of(result)
    assert 'class="confirmation"' not in page_of(client.get("/pricing/acme"))  # shown once


def test_an_upload_left_inactive_is_stored_for_review(app, client):
    upload(client, gpu_csv("1"))
    assert upload(client, gpu_csv("2"), activate=False).status_code == 303
    page = page_of(client.get("/pricing/acme"))
    assert "It was stored but not activated: the active version is unchanged." in text(page)
    assert "Version 1 is active: estimates that name acme use it." in text(page)
    assert [r[0] for r in table_rows(page, "versions")] == ["Version 2", "Version 1 active"]


def test_a_workbook_with_several_sheets(app, client):
    book = openpyxl.Workbook()
    gpu = book.active
    gpu.title = "gpu_prices"
    for row in (HEADER.strip().split(","), ROW.format(price="3").strip().split(",")):
        gpu.append(row)
    energy = book.create_sheet("energy")
    energy.append(["region", "usd_per_kwh", "effective_date", "source"])
    energy.append(["Texas", 0.05, "2025-01-01", "PPA quote"])
    data = io.BytesIO()
    book.save(data)
    assert upload(client, data.getvalue(), file_name="acme.xlsx", sheet="").status_code == 303
    page = page_of(client.get("/pricing/acme"))
    assert [r[3:6] for r in table_rows(page, "versions")] == [["acme.xlsx", "gpu_prices 1 energy 1", ""]]
    energy_rows = table_rows(page[page.index('id="sheet-energy"'):], "rows")
    # market (blank: the region's) is the column after region; a workbook without it imports as before
    assert energy_rows == [["Row 2", "Texas", "", "0.05", "", "", "2025-01-01", "PPA quote", ""]]


# --- A table's page ------------------------------------------------------------------------------------------
def test_a_versions_page_shows_its_rows_with_sources_and_dates(client):
    upload(client, gpu_csv("1.5"))
    upload(client, gpu_csv("2.5"))
    page = page_of(client.get("/pricing/acme@1"))
    assert "<h1>Pricing table acme, version 1</h1>" in page
    assert '<a href="/pricing/acme@1" aria-current="page">version 1</a>' in page
    head = re.search(r'<table class="rows.*?</thead>', page, re.S).group(0)
    assert [text(h) for h in re.findall(r"<th[^>]*>(.*?)</th>", head, re.S)] == [
        "Row", "provider", "region", "gpu", "pricing_model", "usd_per_gpu_hour USD/GPU-hour", "product",
        "effective_date", "source", "notes"]
    assert table_rows(page, "rows") == [
        ["Row 2", "Acme Cloud", "", "h100-sxm", "on_demand", "1.5", "", "2025-06-01", "Acme quote 1.5", ""]]
    assert '<tr role="row" class="row-shown">' in page
    assert "No hardware_costs, energy, colocation, api_prices rows in this version" in page
    assert 'href="/api/v1/pricing-tables/acme/download?format=xlsx&amp;version=1" download id="download-xlsx"' in page
    assert 'href="/api/v1/pricing-tables/acme/download?format=csv&amp;version=1&amp;sheet=gpu_prices" download' in page
    # without a version: the active one
    page = page_of(client.get("/pricing/acme"))
    assert "<h1>Pricing table acme</h1>" in page
    assert "Acme quote 2.5" in page and "Acme quote 1.5" not in page


def test_the_download_links_download(client):
    upload(client, gpu_csv("1.5"))
    page = page_of(client.get("/pricing/acme"))
    links = [html.unescape(h) for h in re.findall(r'<a href="(/api/v1/[^"]+)" download', page)]
    assert links
    for link in {*links, "/api/v1/pricing-template.xlsx"}:
        response = client.get(link)
        assert response.status_code == 200, link
        assert response.headers["Content-Disposition"].startswith("attachment"), link
    csv = client.get("/api/v1/pricing-tables/acme/download?format=csv&version=1&sheet=gpu_prices")
    assert "Acme quote 1.5" in page_of(csv)


def test_the_seed_tables_page_shows_every_row_with_its_source(client, seeds_catalog):
    response = client.get("/pricing/seed")
    assert response.status_code == 200
    page = page_of(response)
    assert "Built in and read-only" in page
    assert 'id="manage"' not in page  # nothing to activate
    assert '<a href="/api/v1/pricing-tables/seed/download?format=csv&amp;sheet=energy" download>' in page
    from pathlib import Path

    from pricing.books import seed_sheets

    sheets = seed_sheets(Path(client.application.config["SEEDS_DIR"]) / "pricing", seeds_catalog)
    for sheet, rows in sheets.items():
        shown = table_rows(page[page.index(f'id="sheet-{sheet}"'):], "rows")
        assert len(shown) == len(rows)
        for row, cells in zip(rows, shown, strict=True):
            assert row["source"] in cells and row["effective_date"] in cells
    # "use in an estimate" for the seed table: the forms' defaults, which use it
    assert "pricing_table" not in re.search(r'<a href="(/training\?[^"]+)">training run', page).group(1)


@pytest.mark.parametrize(("path", "detail"), [
    ("/pricing/acm", "Unknown pricing table 'acm'. Closest: acme."),
    ("/pricing/acme@9", "Pricing table 'acme' has no version 9: 'acme' has version 1 (1 is active)."),
    ("/pricing/Bad!Name", "There is no pricing table at this address. Invalid pricing table reference"),
    ("/pricing/acme@0", "There is no pricing table at this address. Invalid version"),
    ("/pricing/seed@1", "The seed table has no versions"),
])
def test_an_unknown_table_or_version_is_a_404_page(client, path, detail):
    upload(client, gpu_csv())
    response = client.get(path)
    assert response.status_code == 404
    assert response.mimetype == "text/html"
    assert detail in text(page_of(response))


def test_many_rows_are_cut_on_the_page_not_in_the_downloads(client, monkeypatch):
    monkeypatch.setattr(pages, "MAX_ROWS_SHOWN", 2)
    upload(client, HEADER + "".join(ROW.format(price=f"1.{i}").replace("Acme Cloud", f"P{i}") for i in range(3)))
    page = page_of(client.get("/pricing/acme"))
    assert len(table_rows(page, "rows")) == 2
    assert "The first 2 of 3 rows; the downloads have them all." in page


# --- Rejected uploads: the page again, every problem, nothing imported -------------------------------------
def test_a_broken_file_shows_every_problem_next_to_the_file_field(app, client, seeds_catalog):
    response = upload(client, BROKEN, note="my note", token=TOKEN)
    assert response.status_code == 422
    page = page_of(response)
    with pytest.raises(ImportRejected) as rejected:
        parse_upload(BROKEN.encode(), "gpu.csv", catalog=seeds_catalog, table="gpu_prices")
    problems = rejected.value.problems
    assert len(problems) == 4
    assert table_rows(page, "problems") == [
        [p.sheet or "", str(p.row), f"{p.column} ({p.column_letter})", p.value or "blank", p.message] for p in problems
    ]
    assert "4 problems in gpu.csv; nothing was imported" in text(page)
    assert field_error(page, "upload-file") == rejected.value.message
    assert summary_links(page) == [("upload-problems", rejected.value.message)]
    # the table sits in the file field, right after its input
    file_field = page.index('id="upload-file"')
    assert file_field < page.index('<table class="problems') < page.index('id="upload-sheet"')
    # what was typed comes back, except the file and the token
    assert 'id="upload-name" name="name" value="acme"' in page
    assert 'id="upload-note" name="note" value="my note"' in page
    assert '<option value="gpu_prices" selected>' in page
    assert 'name="admin_token" autocomplete' in page and TOKEN not in page
    assert stored(app) == []


def test_a_long_cell_value_is_cut_on_the_page(client):
    long = "x" * 500
    response = upload(client, HEADER + f"Acme,,h100-sxm,on_demand,{long},,2025-06-01,q,\n")
    assert response.status_code == 422
    assert "x" * (pages.VALUE_CHARS - 1) + "…" in page_of(response)
    assert "x" * pages.VALUE_CHARS not in page_of(response)


def test_problem_text_is_escaped(client):
    attack = "<img src=x onerror=alert(1)>"
    response = upload(client, HEADER + f"{attack},,h100-sxm,on_demand,-1,,2025-06-01,src,\n",
                      file_name=f"{attack}.csv", note=attack)
    assert response.status_code == 422
    page = page_of(response)
    assert "<img" not in page and "<script>" not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page


@pytest.mark.parametrize(("form", "field", "message"), [
    ({"name": ""}, "upload-name", "Give the table a name, e.g. 'acme-2026q3': a new name creates the table."),
    ({"name": "seed"}, "upload-name", "The seed table is built in and read-only: upload under another name."),
    ({"name": "Acme Q3"}, "upload-name", "Invalid pricing table name 'Acme Q3': use 1 to 63 characters"),
    ({"sheet": "prices"}, "upload-sheet", "Choose one of the listed tables (gpu_prices, hardware_costs, energy"),
    ({"with_file": False}, "upload-file", f"Choose a file to upload: {ACCEPTED}."),
    ({"file_name": "", "content": b""}, "upload-file", f"Choose a file to upload: {ACCEPTED}."),
])
def test_form_errors_are_shown_next_to_their_field(app, client, form, field, message):
    response = upload(client, **{"content": gpu_csv(), **form})
    assert response.status_code == 422
    page = page_of(response)
    assert field_error(page, field).startswith(message)
    assert summary_links(page)[0][0] == field
    assert page.count('aria-invalid="true"') == 1
    assert stored(app) == []


def test_a_name_error_and_the_files_problems_are_shown_together(client):
    page = page_of(upload(client, BROKEN, name="Bad Name"))
    assert [target for target, _ in summary_links(page)] == ["upload-name", "upload-problems"]
    assert len(table_rows(page, "problems")) == 4


@pytest.mark.parametrize(("file_name", "content", "shown"), [
    ("prices.pdf", b"%PDF-1.4", "'prices.pdf' has the extension '.pdf'"),
    ("prices.xlsx", b"provider,region\n", "'prices.xlsx' is named .xlsx but holds"),
    ("prices.csv", "provider,gpu\n".encode("utf-16"), "'prices.csv' is encoded as UTF-16"),
])
def test_a_wrong_file_type_is_a_415_page_saying_what_is_accepted(app, client, file_name, content, shown):
    response = upload(client, content, file_name=file_name)
    assert response.status_code == 415
    page = page_of(response)
    assert field_error(page, "upload-file").startswith(shown)
    assert f"Accepted: {ACCEPTED}." in text(page)
    assert stored(app) == []


def test_a_body_that_is_not_multipart_is_a_415_page(client):
    response = client.post("/pricing", data={"name": "acme", "csrf_token": csrf_token(client)})
    assert response.status_code == 415
    assert field_error(page_of(response), "upload-file").startswith("Upload the file as multipart/form-data")


def test_an_upload_over_the_limit_is_a_413_page():
    app = create_app({"TESTING": True, "ADMIN_TOKEN": TOKEN, "MAX_UPLOAD_BYTES": 2000})
    client = app.test_client()
    response = upload(client, HEADER + ROW.format(price="1") * 40)
    assert response.status_code == 413
    page = page_of(response)
    assert field_error(page, "upload-file") == "The upload is larger than the limit of 2,000 bytes."
    assert "at most 1.95 KiB" in text(page)  # the hint says the limit
    assert stored(app) == []


def test_a_spreadsheet_past_its_row_cap_is_a_413_page(app, client, monkeypatch):
    from estimator.app import pricing_ops
    from pricing.read import Limits

    monkeypatch.setattr(pricing_ops, "upload_limits", lambda: Limits(max_rows=3))
    response = upload(client, HEADER + "".join(ROW.format(price=f"1.{i}") for i in range(6)))
    assert response.status_code == 413
    assert "rows" in field_error(page_of(response), "upload-file")
    assert stored(app) == []


def test_a_body_cut_short_is_never_imported(app, client):
    token = csrf_token(client)
    boundary = "XyZ"
    parts = [("csrf_token", token), ("admin_token", TOKEN), ("name", "acme"), ("sheet", "gpu_prices")]
    body = "".join(f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n' for k, v in parts)
    body += (f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="gpu.csv"\r\n'
             f"Content-Type: text/csv\r\n\r\n{gpu_csv()}{ROW.format(price='2')}")  # no closing boundary
    response = client.post("/pricing", data=body.encode(), content_type=f"multipart/form-data; boundary={boundary}")
    assert response.status_code == 400
    assert field_error(page_of(response), "upload-file").startswith("The upload ended before its closing")
    assert stored(app) == []


# --- The admin token and the CSRF token --------------------------------------------------------------------
@pytest.mark.parametrize(("token", "message"), [
    (None, pages._MISSING),
    ("", pages._MISSING),
    ("wrong", pages._REFUSED),
    (TOKEN + " ", pages._REFUSED),
])
def test_a_missing_or_wrong_admin_token_is_a_401_page_with_the_form(app, client, token, message):
    response = upload(client, BROKEN, token=token, note="kept")
    assert response.status_code == 401
    page = page_of(response)
    assert field_error(page, "upload-token") == message
    assert summary_links(page) == [("upload-token", message)]
    assert 'class="problems' not in page  # the file is not read for someone without the token
    assert 'name="note" value="kept"' in page
    assert stored(app) == []


def test_writes_without_a_configured_token_are_a_403_page():
    app = create_app({"TESTING": True})
    client = app.test_client()
    response = upload(client, gpu_csv(), token="anything")
    assert response.status_code == 403
    assert field_error(page_of(response), "upload-token") == pages._DISABLED
    assert stored(app) == []


@pytest.mark.parametrize("sent", [None, "", "forged"])
def test_an_upload_without_the_sessions_csrf_token_is_refused(app, client, sent):
    client.get("/pricing")
    response = upload(client, gpu_csv(), csrf=sent)
    assert response.status_code == 400
    assert "did not carry a valid security token" in page_of(response)
    assert stored(app) == []


def test_another_sessions_csrf_token_is_refused(app):
    mine, theirs = app.test_client(), app.test_client()
    mine.get("/pricing")
    assert upload(mine, gpu_csv(), csrf=csrf_token(theirs)).status_code == 400
    assert stored(app) == []


def test_the_csrf_token_may_come_in_the_header(app, client):
    token = csrf_token(client)
    data = {"name": "acme", "sheet": "gpu_prices", "activate": "on", "admin_token": TOKEN,
            "file": (io.BytesIO(gpu_csv().encode()), "gpu.csv")}
    response = client.post("/pricing", data=data, content_type="multipart/form-data", headers={"X-CSRF-Token": token})
    assert response.status_code == 303


def test_only_the_upload_reads_its_own_body_for_the_csrf_check(app):
    deferred = {name for name, view in app.view_functions.items() if getattr(view, "_csrf_deferred", False)}
    assert deferred == {"web.pricing_upload", "web.batch_run"}  # the two uploads (batch: web/batch.py)


# --- Activate and roll back --------------------------------------------------------------------------------
@pytest.fixture
def two_versions(app, client) -> FlaskClient:
    upload(client, gpu_csv("1"))
    upload(client, gpu_csv("2"))
    return client


def active(app) -> int | None:
    return {t.name: t.active_version for t in app.extensions[state.EXTENSION].store.tables()}["acme"]


def test_activate_a_version(app, two_versions):
    client = two_versions
    page = page_of(client.get("/pricing/acme"))
    form = page[page.index('id="manage"'):page.index("</form>", page.index('id="manage"'))]
    assert 'action="/pricing/acme/activate"' in form and 'formaction="/pricing/acme/rollback"' in form
    assert '<option value="2" selected>' in form
    response = post_form(client, "/pricing/acme/activate", version="1", admin_token=TOKEN)
    assert response.status_code == 303
    assert response.headers["Location"] == "/pricing/acme"
    assert active(app) == 1
    page = page_of(client.get("/pricing/acme"))
    assert "Version 1 of acme is active Estimates that name acme now use version 1." in text(page)
    assert "Run an estimate with acme@1" in text(page)


def test_roll_back(app, two_versions):
    client = two_versions
    response = post_form(client, "/pricing/acme/rollback", version="2", admin_token=TOKEN)  # the version is ignored
    assert response.status_code == 303
    assert active(app) == 1
    assert "Rolled back: version 1 of acme is active again" in text(page_of(client.get("/pricing/acme")))


def test_nothing_to_roll_back_to_is_shown_by_the_buttons(app, client):
    upload(client, gpu_csv())
    response = post_form(client, "/pricing/acme/rollback", admin_token=TOKEN)
    assert response.status_code == 409  # the JSON API's answer: the table's state stands in the way
    page = page_of(response)
    assert field_error(page, "manage-rollback").startswith("Nothing to roll back to")
    assert summary_links(page)[0][0] == "manage-rollback"
    assert active(app) == 1


@pytest.mark.parametrize(("form", "status", "field", "message"), [
    ({"version": "1"}, 401, "manage-token", pages._MISSING),
    ({"version": "1", "admin_token": "nope"}, 401, "manage-token", pages._REFUSED),
    ({"version": "", "admin_token": TOKEN}, 422, "manage-version", "Choose the version to activate."),
    ({"version": "x1", "admin_token": TOKEN}, 422, "manage-version", "Choose the version to activate."),
    ({"version": "9", "admin_token": TOKEN}, 404, "manage-version", "Pricing table 'acme' has no version 9"),
])
def test_activation_errors_show_the_tables_page_again(app, two_versions, form, status, field, message):
    response = post_form(two_versions, "/pricing/acme/activate", **form)
    assert response.status_code == status
    page = page_of(response)
    assert field_error(page, field).startswith(message)
    assert "<h1>Pricing table acme</h1>" in page and 'class="versions' in page
    assert active(app) == 2


def test_activation_without_a_configured_token_is_a_403_page():
    app = create_app({"TESTING": True})
    client = app.test_client()
    app.extensions[state.EXTENSION].store.import_version("acme", {"gpu_prices": []}, file_name="x.csv",
                                                         created_by="cli")
    page = page_of(client.get("/pricing/acme"))
    assert "Activation and roll-back are disabled on this server" in text(page)
    response = post_form(client, "/pricing/acme/activate", version="1", admin_token="x")
    assert response.status_code == 403
    assert field_error(page_of(response), "manage-token") == pages._DISABLED


@pytest.mark.parametrize("path", ["/pricing/acme/activate", "/pricing/acme/rollback"])
def test_activation_needs_the_csrf_token(app, two_versions, path):
    response = two_versions.post(path, data={"version": "1", "admin_token": TOKEN})
    assert response.status_code == 400
    assert "did not carry a valid security token" in page_of(response)
    assert active(app) == 2


@pytest.mark.parametrize(("path", "status", "detail"), [
    ("/pricing/acm/activate", 404, "Unknown pricing table 'acm'"),
    ("/pricing/Bad!/rollback", 404, "There is no pricing table at this address"),
    ("/pricing/seed/activate", 422, "The seed table is built in and read-only"),
])
def test_activating_what_is_not_there(two_versions, path, status, detail):
    response = post_form(two_versions, path, version="1", admin_token=TOKEN)
    assert response.status_code == status
    assert response.mimetype == "text/html"
    assert detail in text(page_of(response))


def test_the_write_routes_answer_405_to_get(client):
    for path in ("/pricing/acme/activate", "/pricing/acme/rollback"):
        response = client.get(path, headers={"Accept": "text/html"})
        assert response.status_code == 405
        assert response.mimetype == "text/html"


# --- Never a 500 ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("body", [
    b"", b"--", b"garbage", b"--XyZ--\r\n", b'--XyZ\r\nContent-Disposition: form-data; name="file"\r\n\r\n--XyZ--\r\n',
])
def test_malformed_bodies_are_never_a_500(app, client, body):
    client.get("/pricing")
    response = client.post("/pricing", data=body, content_type="multipart/form-data; boundary=XyZ")
    assert 400 <= response.status_code < 500
    assert response.mimetype == "text/html"
    assert stored(app) == []


def test_every_control_of_the_pricing_pages_has_a_label(client):
    from html.parser import HTMLParser

    class Labels(HTMLParser):
        def __init__(self) -> None:
            super().__init__()
            self.controls: list[dict[str, str | None]] = []
            self.labelled: set[str | None] = set()

        def handle_starttag(self, tag, attrs):
            a = dict(attrs)
            if tag in ("input", "select", "textarea") and a.get("type") != "hidden":
                self.controls.append(a)
            if tag == "label":
                self.labelled.add(a.get("for"))

    upload(client, gpu_csv())
    for path in ("/pricing", "/pricing/acme"):
        parser = Labels()
        parser.feed(page_of(client.get(path)))
        assert parser.controls, path
        assert all(c.get("id") in parser.labelled for c in parser.controls), path


def test_the_page_module_helpers():
    assert pages.cell_text(None) == ""
    assert pages.cell_text(300000.0) == "300,000"
    assert pages.cell_text(0.066) == "0.066"
    assert pages.cell_text(1234.5) == "1,234.5"
    assert pages.cell_text(8) == "8"
    assert pages.size_text(16 * 1024 * 1024) == "16 MiB"
    assert pages.size_text(900) == "900 bytes"
    assert pages.shown_value(None) == ""
