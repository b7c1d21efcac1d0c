"""The planning pages (app/web/plans.py): the figures the API returns, GET permalinks, errors next to
their fields with 422, server-drawn charts, CSV/xlsx downloads."""

from __future__ import annotations

import csv
import io
import re

import openpyxl
import pytest

CAPACITY = "/plans/capacity?hardware=h100-sxm&budget_usd=60e9"
RENT = "/plans/rent-vs-buy?hardware=h100-sxm&gpus=1024&horizon_months=60"


def cells(html: str) -> dict[str, str]:
    """data-key -> data-value of every figure cell on a page."""
    return dict(re.findall(r'data-key="([^"]+)" data-value="([^"]*)"', html))


def test_capacity_page_shows_the_api_figures(client):
    page = client.get(CAPACITY)
    api = client.post("/api/v1/plans/capacity", json={"hardware": "h100-sxm", "budget_usd": 60e9}).get_json()
    assert page.status_code == 200
    shown = cells(page.get_data(as_text=True))
    assert float(shown["gpus.mid"]) == api["gpus"]["mid"] == 959_288
    assert float(shown["capex_usd.building.high"]) == api["capex_usd"]["building"]["high"]
    html = page.get_data(as_text=True)
    assert 'role="img"' in html and "Capex by category" in html
    assert "Cushman &amp; Wakefield" in html  # the assumptions with their sources
    assert 'href="/plans/capacity?hardware=h100-sxm&amp;budget_usd=60e9"' in html  # the permalink


def test_query_is_made_canonical(client):
    response = client.get(CAPACITY + "&pue=&train=")
    assert response.status_code == 302 and response.headers["Location"] == CAPACITY


@pytest.mark.parametrize(("url", "field", "message"), [
    ("/plans/capacity?hardware=h100-sxm&budget_usd=0", "budget_usd", "Must be greater than 0."),
    ("/plans/capacity?hardware=h100-sxm&budget_usd=1e9&storage_share=1.5", "storage_share",
     "Must be greater than or equal to 0 and less than or equal to 1."),
    ("/plans/rent-vs-buy?hardware=h100-sxm&gpus=8&horizon_months=0", "horizon_months", "Must be greater than 0."),
    ("/plans/demand?efficiency_gain=10&elasticities=9", "elasticities",
     "Must be greater than or equal to 0 and less than or equal to 5.0."),
    ("/plans/demand?efficiency_gain=10&fleet_hardware=h100-sxm&fleet_budget_usd=-5", "fleet_budget_usd",
     "Must be greater than 0."),
])
def test_errors_next_to_their_field(client, url, field, message):
    response = client.get(url)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    error = re.search(rf'id="field-{field}-error"><span class="visually-hidden">Error: </span>(.*?)</p>', html)
    assert error is not None and error.group(1).replace("&#39;", "'") == message


def test_rent_vs_buy_chart_marks_the_crossing(client):
    html = client.get(RENT).get_data(as_text=True)
    api = client.post("/api/v1/plans/rent-vs-buy", json={"hardware": "h100-sxm", "gpus": 1024,
                                                          "horizon_months": 60}).get_json()
    assert f"break-even: month {api['break_even_month']['mid']:.3g}" in html
    assert html.count('class="chart-line"') == 2 and 'class="chart-marker"' in html


def test_demand_and_sensitivity_pages(client):
    html = client.get("/plans/demand?efficiency_gain=10").get_data(as_text=True)
    assert "at elasticity 1.2 demand for compute rises (1.58x today&#39;s)" in html
    assert 'id="demand-curve"' in html
    html = client.get("/plans/sensitivity?hardware=h100-sxm&budget_usd=60e9&samples=64").get_data(as_text=True)
    assert 'id="tornado"' in html and "Sobol ST" in html


def test_article_page(client):
    response = client.get("/plans/article")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Stargate" in html and "deepseek-v3 runs a year" in html
    assert html.count('href="/plans/capacity?hardware=') == 9


def test_downloads(client):
    response = client.get(RENT + "&format=csv")
    assert response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    keys = {r["key"]: r["value"] for r in rows}
    api = client.post("/api/v1/plans/rent-vs-buy", json={"hardware": "h100-sxm", "gpus": 1024,
                                                          "horizon_months": 60}).get_json()
    assert float(keys["capex_usd.mid"]) == api["capex_usd"]["mid"]
    assert float(keys["by_month.buy_usd.60"]) == api["by_month"]["buy_usd"][60]
    book = openpyxl.load_workbook(io.BytesIO(client.get(CAPACITY + "&format=xlsx").data), read_only=True)
    values = {row[6]: row[3] for row in book.active.iter_rows(min_row=2, values_only=True) if row[6]}
    assert values["gpus.mid"] == 959_288
    assert client.get("/plans/capacity?format=csv").status_code == 400


def test_navigation(client):
    html = client.get("/").get_data(as_text=True)
    assert 'href="/plans"' in html
    assert client.get("/plans").status_code == 200


@pytest.mark.parametrize("page", ["/plans/capacity", "/plans/rent-vs-buy", "/plans/sensitivity"])
def test_plan_pages_take_the_electricity_market(client, page):
    """The plan pages whose requests take 'electricity_market' (capacity, rent-vs-buy, sensitivity) offer
    the table's markets as the estimate pages do; a capacity plan in the EU reads the Eurostat row."""
    form = client.get(page).get_data(as_text=True)
    select = re.search(r'<select id="field-electricity_market" name="electricity_market".*?</select>', form, re.S)
    assert select is not None
    assert re.findall(r'<option value="([^"]*)"[^>]*>([^<]*)</option>', select.group(0)) == [
        ("", "Default: United States"), ("European Union", "European Union"), ("United States", "United States")]


def test_a_capacity_plan_in_the_eu_prices_its_electricity_there(client):
    query = "/plans/capacity?hardware=h100-sxm&budget_usd=1e9&electricity_market="
    eu = client.get(query + "European+Union")
    assert eu.status_code == 200
    assert '<option value="European Union" selected>' in eu.get_data(as_text=True)
    api = client.post("/api/v1/plans/capacity", json={"hardware": "h100-sxm", "budget_usd": 1e9,
                                                      "electricity_market": "European Union"}).get_json()
    us = client.post("/api/v1/plans/capacity", json={"hardware": "h100-sxm", "budget_usd": 1e9}).get_json()
    # The same fleet and power, electricity at the EU's 0.2092 USD/kWh instead of the US rows' mid 0.0892.
    assert api["energy_usd_per_year"]["mid"] / us["energy_usd_per_year"]["mid"] == pytest.approx(0.2092 / 0.0892,
                                                                                                rel=1e-4)
