"""The result pages' newer parts, through Flask's test client: permalinks, downloads, custom
records, summary and charts, per-model warnings, the pricing table select, and CSRF."""

from __future__ import annotations

import csv
import html
import io
import re
from urllib.parse import parse_qsl, urlsplit

import openpyxl
import pytest
from flask import Flask

from estimator.app import create_app
from estimator.app.web import csrf

TRAINING = {"model": "llama-3.1-405b", "hardware": "h100-sxm", "tokens": "15.6e12", "gpus": "16384"}
INFERENCE = {"model": "deepseek-v3", "hardware": "h200-sxm", "precision": "fp8", "requests_per_s": "20"}
ARTICLE = {
    "workload": "inference",
    "preset": "article",
    "hardware": "h200-sxm",
    "precision": "fp8",
    "requests_per_s": "20",
}
CUSTOM_MODEL = {
    "model": "custom",
    "model.name": "My 70B",
    "model.total_params": "70.6e9",
    "model.layers": "80",
    "model.hidden_size": "8192",
    "model.attention_heads": "64",
    "model.kv_heads": "8",
    "model.head_dim": "128",
}


def page_of(response) -> str:
    return response.get_data(as_text=True)


def figures(page: str) -> dict[str, str]:
    return {html.unescape(k): html.unescape(v) for k, v in re.findall(r'data-key="([^"]+)" data-value="([^"]*)"', page)}


def link(page: str, element_id: str) -> str:
    match = re.search(rf'<a href="([^"]+)"[^>]*id="{element_id}"', page)
    assert match, element_id
    return html.unescape(match.group(1))


def field_error(page: str, field_id: str) -> str:
    match = re.search(rf'<p class="error-message" id="{field_id}-error">(.*?)</p>', page, re.S)
    assert match, f"no error shown for {field_id}"
    return html.unescape(re.sub(r"<[^>]+>", "", match.group(1))).removeprefix("Error: ")


# --- Permalinks ----------------------------------------------------------------------------------------
@pytest.mark.parametrize(("url", "query"), [("/training", TRAINING), ("/inference", INFERENCE), ("/compare", ARTICLE)])
def test_the_permalink_reproduces_the_result(client, url, query):
    first = page_of(client.get(url, query_string=query))
    permalink = link(first, "permalink")
    assert urlsplit(permalink).path == url
    assert sorted(parse_qsl(urlsplit(permalink).query)) == sorted(query.items())
    again = client.get(permalink)
    assert again.status_code == 200
    assert figures(page_of(again)) == figures(first) != {}


def test_a_query_with_empty_and_unused_fields_redirects_to_its_canonical_form(client):
    query = {**TRAINING, "deadline_days": "", "pue": " ", "model.layers": "80", "utm_source": "x", "format": "csv"}
    response = client.get("/training", query_string=query)
    assert response.status_code == 302
    location = urlsplit(response.headers["Location"])
    assert location.path == "/training"
    # form order, then the download format; the custom model's fields are dropped while model is a catalog id
    assert parse_qsl(location.query) == [*TRAINING.items(), ("format", "csv")]
    assert client.get(response.headers["Location"]).status_code == 200


def test_the_canonical_query_does_not_redirect_again(client):
    response = client.get("/compare", query_string={**ARTICLE, "preset": "", "models": ["deepseek-v3", "qwen2.5-72b"]})
    assert response.status_code == 302
    assert client.get(response.headers["Location"]).status_code == 200


def test_a_first_visit_and_the_workload_switch_are_not_submissions(client):
    for url in ("/training", "/compare?workload=training", "/inference?utm_source=x"):
        response = client.get(url)
        assert response.status_code == 200
        assert 'id="result-title"' not in page_of(response)


def test_the_one_click_presets_run_the_comparison(client, seeds_catalog):
    page = page_of(client.get("/compare"))
    hrefs = re.findall(r'<a class="preset-link" href="([^"]+)"', page)
    assert len(hrefs) == 3
    response = client.get(html.unescape(hrefs[0]))
    assert response.status_code == 200  # canonical already: no redirect
    result = page_of(response)
    for model in ("llama-3.1-405b", "deepseek-v3", "mistral-large-2"):
        assert f'data-key="metrics.{model}.gpu_count"' in result
        assert html.escape(seeds_catalog.models[model].name) in result


# --- Downloads -----------------------------------------------------------------------------------------
def read_csv(response) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(response.get_data().decode("utf-8-sig"))))


def test_csv_download_has_every_figure_of_the_page(client):
    page = page_of(client.get("/training", query_string=TRAINING))
    response = client.get(link(page, "download-csv"))
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == 'attachment; filename="training-llama-3.1-405b.csv"'
    rows = read_csv(response)
    assert rows[0]["row"] == "Permalink" and rows[0]["value"].endswith(link(page, "permalink"))
    by_key = {r["key"]: r for r in rows if r["key"]}
    assert by_key["gpu_hours.mid"]["unit"] == "GPU·h" and by_key["gpu_hours.mid"]["column"] == "Mid"
    assert by_key["tokens"]["value"] == "15600000000000.0" or float(by_key["tokens"]["value"]) == 15.6e12
    assert any(r["table"] == "Assumptions" and r["source"] for r in rows)
    assert any(r["table"] == "Warnings" for r in rows)


# (url, API path, form query): each result page, and the API call that gives its JSON
DOWNLOADS = [
    ("/training", "/api/v1/estimates/training", TRAINING),
    ("/inference", "/api/v1/estimates/inference", INFERENCE),
    ("/compare", "/api/v1/compare", ARTICLE),
    ("/compare", "/api/v1/compare", {"workload": "training", "preset": "article", "hardware": "h100-sxm",
                                     "tokens": "15e12", "gpus": "16384"}),
]


def api_body(query: dict[str, str]) -> dict:
    """The form's query as the JSON body the API takes (numbers as numbers)."""
    body: dict = {}
    for key, value in query.items():
        try:
            body[key] = int(value) if value.isdigit() else float(value)
        except ValueError:
            body[key] = value
    return body


def price_lists(result: dict) -> list[tuple[str, dict]]:
    """(key prefix, pricing) of a result: its own, or each model's of a comparison."""
    if "rows" not in result:
        return [("", result["pricing"])]
    return [(f"rows.{i}.", row["pricing"]) for i, row in enumerate(result["rows"]) if "error" not in row]


@pytest.mark.parametrize(("url", "api", "query"), DOWNLOADS)
def test_the_download_has_every_figure_the_page_shows(client, url, api, query):
    page = page_of(client.get(url, query_string=query))
    shown = figures(page)
    assert len(shown) > 50
    rows = read_csv(client.get(link(page, "download-csv")))
    by_key = {r["key"]: r for r in rows if r["key"] and r["table"] != "Inputs"}
    missing = sorted(set(shown) - set(by_key))
    assert missing == []
    for key, value in shown.items():
        try:
            assert float(by_key[key]["value"]) == float(value), key
        except ValueError:
            assert by_key[key]["value"] == value, key


@pytest.mark.parametrize(("url", "api", "query"), DOWNLOADS)
def test_the_download_has_every_price_used(client, url, api, query):
    result = client.post(api, json=api_body(query)).get_json()
    page = page_of(client.get(url, query_string=query))
    rows = read_csv(client.get(link(page, "download-csv")))
    by_key = {r["key"]: r for r in rows if r["key"]}
    units = {"usd_per_gpu_hour": "USD per GPU-hour", "usd_per_gpu": "USD per GPU", "usd_per_kwh": "USD per kWh",
             "usd_per_kw_month": "USD per kW-month"}
    lists = price_lists(result)
    assert lists and all(pricing["prices"] for _, pricing in lists)
    for prefix, pricing in lists:
        for i, price in enumerate(pricing["prices"]):
            key = f"{prefix}pricing.prices.{i}"
            value, date, table = by_key[f"{key}.value"], by_key[f"{key}.effective_date"], by_key[f"{key}.table"]
            assert float(value["value"]) == price["value"]
            assert (value["unit"], value["source"]) == (units[price["unit"]], price["source"])
            assert (date["value"], table["value"]) == (price["effective_date"], price["table"])
            assert value["table"] == date["table"] == table["table"]
            assert value["table"].endswith(f"Prices used, from pricing table {pricing['table']}")
            assert value["row"].startswith(price["kind"].capitalize())
            for part in ("provider", "product", "region"):
                assert str(price.get(part) or "") in value["row"]
    if url == "/compare":  # under each model's name
        tables = {r["table"] for r in rows if ".pricing.prices." in r["key"]}
        assert tables == {f"{name}: Prices used, from pricing table seed" for name in
                          ("Llama 3.1 405B", "DeepSeek-V3", "Mistral Large 2 (2407)")}


def test_xlsx_download_matches_the_csv(client):
    page = page_of(client.get("/compare", query_string=ARTICLE))
    xlsx = client.get(link(page, "download-xlsx"))
    assert xlsx.status_code == 200
    assert xlsx.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert xlsx.headers["Content-Disposition"] == 'attachment; filename="compare-inference.xlsx"'
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.get_data()))["Result"]
    from_xlsx = list(sheet.iter_rows(min_row=2, values_only=True))
    from_csv = read_csv(client.get(link(page, "download-csv")))
    assert len(from_xlsx) == len(from_csv)
    metrics = [r for r in from_xlsx if r[6] and str(r[6]).startswith("metrics.")]
    assert {r[1] for r in metrics} == {"Llama 3.1 405B", "DeepSeek-V3", "Mistral Large 2 (2407)"}
    assert all(isinstance(r[3], int | float) for r in metrics)


def test_a_custom_models_formula_name_is_neutralised_in_the_csv(client):
    query = {**TRAINING, **CUSTOM_MODEL, "model.name": '=HYPERLINK("http://example.invalid","x")', "format": "csv"}
    rows = read_csv(client.get("/training", query_string=query))
    names = [r["value"] for r in rows if r["row"] == "model.name"]
    assert names == ['\'=HYPERLINK("http://example.invalid","x")']


@pytest.mark.parametrize(
    ("query", "status", "text"),
    [
        ({**TRAINING, "format": "pdf"}, 400, "Unknown download format &#39;pdf&#39;: use csv or xlsx."),
        ({"format": "csv"}, 400, "Nothing to download"),
        ({**TRAINING, "tokens": "-1", "format": "csv"}, 422, "Must be greater than 0."),
    ],
)
def test_download_errors_are_pages(client, query, status, text):
    response = client.get("/training", query_string=query)
    assert response.status_code == status
    assert response.mimetype == "text/html"
    assert text in page_of(response)


# --- Custom records ------------------------------------------------------------------------------------
def test_a_custom_model_is_estimated_under_its_name(client):
    response = client.get("/inference", query_string={**INFERENCE, **CUSTOM_MODEL})
    assert response.status_code == 200
    page = page_of(response)
    assert page.count("My 70B") >= 2  # the headline and the charts' descriptions
    assert re.search(r"<details class=\"group group-custom\" open>\s*<summary>Custom model", page)


def test_a_custom_model_missing_its_size_shows_the_error_next_to_that_field(client):
    response = client.get("/training", query_string={**TRAINING, "model": "custom", "model.layers": "80"})
    assert response.status_code == 422
    page = page_of(response)
    assert field_error(page, "field-model-total_params") == "Missing data for required field."
    assert 'href="#field-model-total_params"' in page
    assert re.search(r"<details class=\"group group-custom\" open>\s*<summary>Custom model", page)


def test_a_custom_model_the_core_refuses_shows_its_message(client):
    response = client.get("/inference", query_string={**INFERENCE, "model": "custom", "model.total_params": "7e9"})
    assert response.status_code == 422
    assert "the KV cache cannot be sized" in field_error(page_of(response), "field-model")


def test_a_custom_gpu(client):
    gpu = {
        "hardware": "custom",
        "hardware.name": "My GPU",
        "hardware.bf16_dense_tflops": "500",
        "hardware.hbm_gb": "96",
        "hardware.hbm_bandwidth_tb_per_s": "3",
        "hardware.tdp_w": "600",
    }
    response = client.get(
        "/training", query_string={**TRAINING, **gpu, "usd_per_gpu_hour": "2", "capex_usd_per_gpu": "20000"}
    )
    assert response.status_code == 200, re.findall(r'class="error-message"[^>]*>(.*?)</p>', page_of(response), re.S)
    assert "16,384 × My GPU" in page_of(response)


def test_custom_fields_are_folded_away_until_used(client):
    page = page_of(client.get("/training"))
    assert '<option value="custom">Custom: give its architecture below</option>' in page
    assert '<details class="group group-custom">' in page  # closed
    assert 'id="field-model-total_params" name="model.total_params"' in page


# --- Summary, charts, warnings, pricing table -----------------------------------------------------------
def test_summary_figures_come_first(client):
    page = page_of(client.get("/training", query_string=TRAINING))
    stats = page.index('<dl class="stats">')
    assert page.index('id="result-title"') < stats < page.index('id="charts-title"') < page.index('id="tables-title"')
    for label in ("GPUs", "Wall-clock time", "Facility power", "Cost, renting"):
        assert f"<dt>{label}</dt>" in page
    assert re.search(r'<dd class="stat-value">[\d.]+ <span class="stat-unit">MW</span>', page)  # 16.6 MW, not kW


@pytest.mark.parametrize(
    ("url", "query", "count"), [("/training", TRAINING, 2), ("/inference", INFERENCE, 3), ("/compare", ARTICLE, 5)]
)
def test_charts_are_inline_svg(client, url, query, count):
    page = page_of(client.get(url, query_string=query))
    assert page.count('role="img"') == count
    assert "<script" not in page and "style=" not in page
    if url == "/compare":
        svg = page[page.index("<svg") : page.index("</svg>")]
        for name in ("Llama 3.1 405B", "DeepSeek-V3", "Mistral Large 2 (2407)"):
            assert f">{name}</text>" in svg


def test_compare_shows_each_models_own_warnings(client):
    query = {"workload": "training", "preset": "article", "hardware": "h100-sxm", "tokens": "15e12", "gpus": "16384"}
    page = page_of(client.get("/compare", query_string=query))
    assert "For every model:" in page
    assert "For Mistral Large 2 (2407) only:" in page
    own = page[page.index("For Mistral Large 2 (2407) only:") :]
    assert "sequence length" in own[: own.index("</ul>")]


def test_pricing_table_select(client):
    page = page_of(client.get("/training"))
    assert '<select id="field-pricing_table" name="pricing_table"' in page
    assert '<option value="" selected>seed: the built-in prices, with their sources (default)</option>' in page
    response = client.get("/training", query_string={**TRAINING, "pricing_table": "seed"})
    assert response.status_code == 200
    assert "Prices used, from pricing table seed" in page_of(response)
    response = client.get("/training", query_string={**TRAINING, "pricing_table": "acme"})
    assert response.status_code == 422
    page = page_of(response)
    assert "acme" in field_error(page, "field-pricing_table")
    assert '<option value="acme" selected>acme</option>' in page  # what was asked for stays shown


def test_user_text_never_becomes_markup_or_a_script_url(client):
    attack = "javascript:alert(1)//<img src=x onerror=alert(1)>"
    response = client.get("/training", query_string={**TRAINING, **CUSTOM_MODEL, "model.name": attack})
    assert response.status_code == 200
    page = page_of(response)
    assert "<img" not in page
    assert html.escape(attack, quote=True).replace("&#x27;", "&#39;") in page
    assert not re.search(r'href="\s*javascript:', page)
    assert link(page, "permalink").startswith("/training?")


def test_templates_are_autoescaped(app):
    for name in ("base.html", "estimate.html", "_macros.html", "catalog.html", "index.html", "error.html",
                 "pricing.html", "pricing_table.html", "_pricing.html"):
        assert app.jinja_env.autoescape(name) is True


# --- CSRF ----------------------------------------------------------------------------------------------
@pytest.fixture
def csrf_app() -> Flask:
    """The app with a state-changing page (as the pricing page will be) under the web blueprint."""
    app = create_app({"TESTING": True, "SECRET_KEY": "test-key"})

    def form_page():
        from flask import render_template_string, request

        if request.method == "POST":
            return "changed"
        return render_template_string('<form method="post">{{ csrf_field() }}</form>')

    app.add_url_rule("/csrf-probe", endpoint="web.csrf_probe", view_func=form_page, methods=["GET", "POST"])
    return app


def token_from(page: str) -> str:
    match = re.search(r'<input type="hidden" name="csrf_token" value="([^"]+)">', page)
    assert match
    return match.group(1)


def test_a_state_changing_form_needs_the_sessions_token(csrf_app):
    client = csrf_app.test_client()
    token = token_from(page_of(client.get("/csrf-probe")))
    cookie = client.get_cookie("session")
    assert cookie is not None and cookie.http_only and cookie.same_site == "Lax"
    assert page_of(client.post("/csrf-probe", data={"csrf_token": token})) == "changed"
    assert page_of(client.post("/csrf-probe", headers={csrf.HEADER: token})) == "changed"
    assert token_from(page_of(client.get("/csrf-probe"))) == token  # one token per session


@pytest.mark.parametrize("sent", [None, "", "forged"])
def test_a_missing_or_wrong_token_is_a_400_page(csrf_app, sent):
    client = csrf_app.test_client()
    client.get("/csrf-probe")
    response = client.post("/csrf-probe", data={} if sent is None else {"csrf_token": sent})
    assert response.status_code == 400
    assert response.mimetype == "text/html"
    assert "did not carry a valid security token" in page_of(response)


def test_another_sessions_token_is_refused(csrf_app):
    mine, theirs = csrf_app.test_client(), csrf_app.test_client()
    token = token_from(page_of(theirs.get("/csrf-probe")))
    mine.get("/csrf-probe")
    assert mine.post("/csrf-probe", data={"csrf_token": token}).status_code == 400


def test_the_json_api_needs_no_token(client):
    body = {"model": "llama-3.1-8b", "hardware": "h100-sxm", "gpus": 8, "tokens": 1e11}
    assert client.post("/api/v1/estimates/training", json=body).status_code == 200


def test_a_secret_key_is_made_when_none_is_set(caplog):
    made = create_app({"TESTING": True})
    assert len(made.config["SECRET_KEY"]) == 64
    assert create_app({"TESTING": True}).config["SECRET_KEY"] != made.config["SECRET_KEY"]
    assert create_app({"TESTING": True, "SECRET_KEY": "kept"}).config["SECRET_KEY"] == "kept"
    caplog.set_level("WARNING")
    create_app({"SECRET_KEY": ""})
    assert "ESTIMATOR_SECRET_KEY" in caplog.text


def test_the_landing_page_links_the_article_preset(client):
    page = page_of(client.get("/"))
    hrefs = [html.unescape(h) for h in re.findall(r'<a href="(/compare\?[^"]+)"', page)]
    assert [dict(parse_qsl(urlsplit(h).query))["workload"] for h in hrefs] == ["inference", "training"]
    for href in hrefs:
        response = client.get(href)
        assert response.status_code == 200
        assert page_of(response).count('data-key="metrics.') > 0
        assert "3 models estimated" in page_of(response)


def test_a_missing_choice_is_not_shown_as_the_first_option(client):
    response = client.get("/training", query_string={k: v for k, v in TRAINING.items() if k != "hardware"})
    assert response.status_code == 422
    page = page_of(response)
    select = page[
        page.index('<select id="field-hardware"') : page.index("</select>", page.index('id="field-hardware"'))
    ]
    assert '<option value="" selected>Choose one</option>' in select
    assert field_error(page, "field-hardware") == "Missing data for required field."


def test_custom_fields_say_how_to_type_their_example(client):
    page = page_of(client.get("/training"))
    assert "All parameters (MoE: every expert). Example: 70.6 billion (type 70.6e9)" in page


def test_the_permalink_pins_a_stored_tables_version():
    from estimator.app.web import _pinned

    pairs = [("model", "m"), ("pricing_table", "acme")]
    assert _pinned(pairs, {"pricing": {"table": "acme", "version": 3}}) == [("model", "m"), ("pricing_table", "acme@3")]
    assert _pinned([("pricing_table", "acme@2")], {"pricing": {"table": "acme", "version": 2}}) == [
        ("pricing_table", "acme@2")
    ]
    assert _pinned(pairs, {"pricing": {"table": "seed", "version": None}}) == pairs
    assert _pinned([("model", "m")], {"pricing": {"table": "seed", "version": None}}) == [("model", "m")]


def test_the_pricing_select_lists_stored_tables_with_an_active_version(app):
    import dataclasses
    from types import SimpleNamespace

    from estimator.app import state

    class Store:
        def tables(self):
            return [SimpleNamespace(name="acme", active_version=3), SimpleNamespace(name="draft", active_version=None)]

    app.extensions[state.EXTENSION] = dataclasses.replace(app.extensions[state.EXTENSION], store=Store())
    page = page_of(app.test_client().get("/training"))
    select = page[
        page.index('<select id="field-pricing_table"') : page.index("</select>", page.index("field-pricing_table"))
    ]
    assert '<optgroup label="Uploaded">' in select
    assert '<option value="acme">acme: active version 3</option>' in select
    assert "draft" not in select


def test_an_unreadable_store_leaves_the_seed_table(app, caplog):
    import dataclasses

    from estimator.app import state

    class Broken:
        def tables(self):
            raise OSError("database is locked")

    app.extensions[state.EXTENSION] = dataclasses.replace(app.extensions[state.EXTENSION], store=Broken())
    response = app.test_client().get("/training")
    assert response.status_code == 200
    assert "seed: the built-in prices" in page_of(response)
    assert "Could not list the pricing tables" in caplog.text


@pytest.mark.parametrize("page", ["/training", "/inference"])
def test_the_electricity_market_is_a_select_of_the_tables_markets(client, page):
    form = client.get(page).get_data(as_text=True)
    select = re.search(r'<select id="field-electricity_market" name="electricity_market".*?</select>', form, re.S)
    options = re.findall(r'<option value="([^"]*)"[^>]*>([^<]*)</option>', select.group(0))
    assert options == [("", "Default: United States"), ("European Union", "European Union"),
                       ("United States", "United States")]


def test_an_estimate_page_prices_electricity_in_the_market_chosen(client):
    query = "/training?model=llama-3.1-8b&hardware=h100-sxm&gpus=64&tokens=1e11&electricity_market="
    eu = html.unescape(client.get(query + "European+Union").get_data(as_text=True))
    assert "market European Union: European Union (2025-06-30): 0.2092" in eu
    assert '<option value="European Union" selected>' in eu
    mars = client.get(query + "Mars")
    assert mars.status_code == 422  # a page answers every refused form 422, the message beside the field
    assert ('<a href="#field-electricity_market">Electricity market (where you build): Pricing table seed has no '
            "electricity market 'Mars': its energy rows are for European Union, United States. Give one of those as "
            "'electricity_market', or leave it out (for United States).</a>") in html.unescape(mars.get_data(as_text=True))
