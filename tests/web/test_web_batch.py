"""The batch page (issue 15) through Flask's test client: the form, the download, the first rows,
and its errors (no file, a file without a workload column, a missing CSRF token)."""

from __future__ import annotations

import csv
import html
import io
import re

import openpyxl
import pytest
from flask.testing import FlaskClient

SCENARIOS = (b"workload,model,tokens,hardware,gpus,requests_per_s\n"
             b"training,llama-3.1-70b,15.6e12,h100-sxm,1024,\n"
             b"training,llama-3.1-70b,abc,h100-sxm,1024,\n"
             b"serving,llama-3.1-8b,,l4,,2\n")


def page_of(response) -> str:
    return response.get_data(as_text=True)


def text(fragment: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", "", fragment)).split())


def post(client: FlaskClient, content: bytes | None, *, action: str = "show", fmt: str = "xlsx",
         file_name: str = "scenarios.csv", csrf: bool = True):
    data: dict[str, object] = {"action": action, "format": fmt}
    if content is not None:
        data["file"] = (io.BytesIO(content), file_name)
    if csrf:
        match = re.search(r'name="csrf_token" value="([^"]+)"', page_of(client.get("/batch")))
        assert match
        data["csrf_token"] = match.group(1)
    return client.post("/batch", data=data, content_type="multipart/form-data")


def test_the_page_has_the_form_the_template_and_no_script(client) -> None:
    response = client.get("/batch")
    page = page_of(response)
    assert response.status_code == 200
    assert 'enctype="multipart/form-data"' in page and 'name="csrf_token"' in page
    assert "<script" not in page
    assert 'href="/batch/template.xlsx"' in page and 'href="/batch"' in page  # in the site's navigation
    template = client.get("/batch/template.xlsx")
    assert template.status_code == 200
    assert openpyxl.load_workbook(io.BytesIO(template.data)).sheetnames == ["Scenarios", "README"]


def test_show_gives_the_first_rows_with_their_errors(client) -> None:
    response = post(client, SCENARIOS)
    page = page_of(response)
    assert response.status_code == 200
    assert "3 rows estimated, 1 with an error" in text(page)
    body = page.split("<tbody>", 1)[1]
    rows = re.findall(r"<tr>(.*?)</tr>", body, flags=re.S)
    assert len(rows) == 3
    assert rows[0].count("<td>1024</td>") == 2  # the input gpus and the result's GPU count
    assert "tokens: Not a valid number." in text(rows[1])
    assert "gpu_hours.mid (GPU·h)" in page


@pytest.mark.parametrize(("fmt", "mimetype"), [("csv", "text/csv"), ("xlsx", "application/vnd.openxmlformats-")])
def test_download_is_the_filled_workbook(client, fmt, mimetype) -> None:
    response = post(client, SCENARIOS, action="download", fmt=fmt)
    assert response.status_code == 200
    assert response.mimetype.startswith(mimetype)
    assert response.headers["Content-Disposition"] == f'attachment; filename="results.{fmt}"'
    if fmt == "csv":
        rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    else:
        sheet = openpyxl.load_workbook(io.BytesIO(response.data)).active
        values = [[c if c is not None else "" for c in r] for r in sheet.iter_rows(values_only=True)]
        rows = [dict(zip(values[0], r, strict=True)) for r in values[1:]]
    assert [r["error"] for r in rows] == ["", "tokens: Not a valid number.", ""]
    assert float(rows[0]["gpu_count (GPUs)"]) == 1024


@pytest.mark.parametrize(("content", "status", "message"), [
    (None, 422, "Choose a scenarios file"),
    (b"model,tokens\nllama-3.1-70b,1e12\n", 422, "needs a 'workload' column"),
])
def test_errors_are_shown_on_the_page(client, content, status, message) -> None:
    response = post(client, content)
    assert response.status_code == status
    assert message in text(page_of(response))
    assert 'aria-invalid="true"' in page_of(response)


def test_without_the_csrf_token_nothing_is_estimated(client) -> None:
    assert post(client, SCENARIOS, csrf=False).status_code == 400


def test_show_draws_a_summary_chart_of_the_first_rows(client) -> None:
    """An inline SVG per workload (no script): a bar per row at its mid cost, the row without an
    estimate said in place of its bar, and the figures the table's download holds."""
    page = page_of(post(client, SCENARIOS))
    charts = re.findall(r"<svg .*?</svg>", page, flags=re.S)
    assert len(charts) == 2 and "<script" not in page
    training, serving = charts
    assert "Training run, rented" in training and "USD per million tokens" in serving
    assert "Scenario 1: llama-3.1-70b on h100-sxm" in training
    assert "Scenario 2: llama-3.1-70b on h100-sxm" in training and "no estimate (see its error)" in training
    assert "Scenario 3: llama-3.1-8b on l4" in serving and "Scenario 1" not in serving
    # The bar's value is the table's: the mid rent of row 1, as the CSV download gives it.
    rows = list(csv.DictReader(io.StringIO(post(client, SCENARIOS, action="download", fmt="csv").get_data(as_text=True))))
    from estimator.app.web.charts import number_text

    assert html.escape(number_text(float(rows[0]["cost_usd.rent.mid (USD)"]))) in training
