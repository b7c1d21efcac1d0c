"""The HTML pages: they render, show the core's numbers, and report errors next to the fields."""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

import pytest
from markupsafe import escape
from werkzeug.datastructures import MultiDict

from estimator.app import create_app
from estimator.app.schemas import COMPARE_REQUEST_SCHEMAS, InferenceRequestSchema, TrainingRequestSchema
from estimator.app.web.forms import DEFAULTS, NOT_ON_FORMS, PLACEHOLDERS, layout_names, number_from_text, plain
from estimator.app.web.present import fmt
from estimator.figures import Training as T

BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
TRAINING_FORM = {"model": "llama-3.1-405b", "hardware": "h100-sxm", "tokens": "15.6e12", "gpus": "16384"}
TRAINING_VALUES = {"model": "llama-3.1-405b", "hardware": "h100-sxm", "tokens": 15.6e12, "gpus": 16384}
INFERENCE_FORM = {
    "model": "deepseek-v3",
    "hardware": "h200-sxm",
    "precision": "fp8",
    "requests_per_s": "20",
    "input_tokens": "1000",
    "output_tokens": "500",
    "ttft_ms": "2000",
    "tpot_ms": "50",
}
INFERENCE_VALUES = {
    "model": "deepseek-v3",
    "hardware": "h200-sxm",
    "precision": "fp8",
    "requests_per_s": 20,
    "input_tokens": 1000,
    "output_tokens": 500,
    "ttft_ms": 2000,
    "tpot_ms": 50,
}
COMPARE_FORM = {
    "workload": "inference",
    "preset": "article",
    **{k: v for k, v in INFERENCE_FORM.items() if k != "model"},
}
COMPARE_VALUES = {
    "workload": "inference",
    "preset": "article",
    **{k: v for k, v in INFERENCE_VALUES.items() if k != "model"},
}
COMPARE_TRAINING_FORM = {
    "workload": "training",
    "preset": "article",
    "hardware": "h100-sxm",
    "tokens": "15e12",
    "gpus": "16384",
}
COMPARE_TRAINING_VALUES = {
    "workload": "training",
    "preset": "article",
    "hardware": "h100-sxm",
    "tokens": 15e12,
    "gpus": 16384,
}


# --- Helpers -----------------------------------------------------------------------------------------
def esc(text: str) -> str:
    """Text as the templates escape it (markupsafe writes ' as &#39;)."""
    return str(escape(text))


def figures(page: str) -> dict[str, str]:
    """data-key -> data-value of every figure cell."""
    return {html.unescape(k): html.unescape(v) for k, v in re.findall(r'data-key="([^"]+)" data-value="([^"]*)"', page)}


def lookup(result, key: str):
    """The value at a data-key: dotted path, except comparison keys whose model ids contain dots."""
    head, _, rest = key.partition(".")
    if head in ("metrics", "ratios"):
        model, _, metric = rest.rpartition(".")
        return result[head][model][metric]
    node = result
    for part in key.split("."):
        node = node[int(part)] if isinstance(node, list) else node[part]
    return node


def assert_page_shows(page: str, result) -> int:
    found = figures(page)
    assert found, "no figure cells"
    for key, text in found.items():
        value = lookup(result, key)
        if isinstance(value, int | float) and not isinstance(value, bool):
            assert float(text) == float(value), key
        else:
            assert text == str(value), key
    return len(found)


def text_of(fragment: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def model_cards(page: str) -> dict[str, list[tuple[str, str, str]]]:
    """model name -> [(label, value and unit, low-to-high range)] of each summary card."""
    cards = {}
    for name, body in re.findall(r'<section class="model-card"[^>]*>\s*<h4[^>]*>(.*?)</h4>(.*?)</section>', page, re.S):
        stats = []
        for stat in re.findall(r'<div class="card-stat">(.*?)</div>', body, re.S):
            found = {
                cls: text_of(m) for cls, m in re.findall(r'<d[td](?: class="([^"]+)")?[^>]*>(.*?)</d[td]>', stat, re.S)
            }
            stats.append((found[""], found["card-value"], found.get("stat-range", "")))
        cards[text_of(name.split("<span")[0])] = stats
    return cards


def model_details(page: str) -> list[str]:
    """The <details> of each model on a comparison page, whole."""
    return re.findall(r'<details class="model-details" id="model-\d+">.*?</details>', page, re.S)


def band_texts(band, unit: str, factor: float | None = None) -> tuple[str, str]:
    """A band as a summary card shows it: the mid value with its unit, and low to high (a count
    stays a whole number)."""
    low, mid, high = (band[s] * factor if factor else band[s] for s in ("low", "mid", "high"))
    return f"{fmt(mid)} {unit}", "" if low == high else f"{fmt(low)} to {fmt(high)} {unit}"


def field_error(page: str, name: str) -> str:
    match = re.search(rf'<p class="error-message" id="field-{name}-error">(.*?)</p>', page, re.S)
    assert match, f"no error shown for {name}"
    return html.unescape(re.sub(r"<[^>]+>", "", match.group(1)))


class Labels(HTMLParser):
    """Collects form controls and the ids labels point at."""

    def __init__(self) -> None:
        super().__init__()
        self.controls: list[dict[str, str | None]] = []
        self.labelled: set[str] = set()

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag in ("input", "select", "textarea") and a.get("type") != "hidden":
            self.controls.append(a)
        if tag == "label" and a.get("for"):
            self.labelled.add(a["for"])


# --- Pages render -------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("url", "heading"),
    [
        ("/", "What does AI compute cost?"),
        ("/training", "Estimate a training run"),
        ("/inference", "Estimate serving a model"),
        ("/compare", "Compare models"),
        ("/compare?workload=training", "Compare models"),
        ("/catalog", "Catalog"),
        ("/pricing", "Pricing tables"),
        ("/pricing/seed", "Pricing table seed"),
    ],
)
def test_page_renders(client, url, heading):
    response = client.get(url)
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    assert response.headers["Content-Security-Policy"] == "default-src 'self'; frame-ancestors 'none'"
    page = response.get_data(as_text=True)
    assert f"<h1>{heading}</h1>" in page
    assert '<html lang="en">' in page
    assert "<script" not in page and "style=" not in page and "javascript:" not in page
    assert 'href="/static/site.css"' in page


def test_landing_page_links_everywhere(client):
    page = client.get("/").get_data(as_text=True)
    for href in ("/training", "/inference", "/compare", "/pricing", "/catalog", "/api/v1/docs"):
        assert f'href="{href}"' in page
    with client.get("/static/site.css") as stylesheet:
        assert stylesheet.status_code == 200
        assert stylesheet.mimetype == "text/css"


def test_forms_show_the_defaults(client, seeds):
    catalog, _, _ = seeds
    page = client.get("/training").get_data(as_text=True)
    assert '<option value="llama-3.1-405b" selected>' in page
    assert '<option value="h100-sxm" selected>' in page
    # Blank means default: numbers that belong to one model are placeholders, never values
    assert 'name="tokens" value="" placeholder="the model&#39;s own, e.g. 15.6e12"' in page
    assert 'name="gpus" value="" placeholder="e.g. 16,384"' in page
    for model in catalog.models.values():  # every model offered, by name
        assert esc(model.name) in page
    page = client.get("/inference").get_data(as_text=True)
    assert '<option value="deepseek-v3" selected>' in page and '<option value="fp8" selected>' in page
    assert set(DEFAULTS["inference"]) == {"model", "hardware", "precision"}
    for name in ("requests_per_s", "input_tokens", "output_tokens", "ttft_ms", "tpot_ms"):
        assert f'name="{name}" value="" placeholder="{esc(PLACEHOLDERS[name])}"' in page
    page = client.get("/compare").get_data(as_text=True)
    assert '<option value="article" selected>' in page
    assert '<input type="hidden" name="workload" value="inference">' in page


@pytest.mark.parametrize("url", ["/training", "/inference", "/compare", "/compare?workload=training", "/pricing"])
def test_every_control_has_a_label(client, url):
    parser = Labels()
    parser.feed(client.get(url).get_data(as_text=True))
    assert parser.controls
    for control in parser.controls:
        assert control.get("id") in parser.labelled, control


def test_forms_cover_the_schemas():
    """A form shows every field of its API schema (except those NOT_ON_FORMS says it leaves out)."""
    assert layout_names("training") | set(NOT_ON_FORMS) == set(TrainingRequestSchema().fields)
    assert layout_names("inference") | {"pricing_table"} == set(InferenceRequestSchema().fields)
    for workload, schema in COMPARE_REQUEST_SCHEMAS.items():
        shown = (layout_names(workload) - {"model"}) | {"preset", "models", "baseline", "workload", "pricing_table"}
        assert shown == set(schema().fields) - set(NOT_ON_FORMS), workload


def test_catalog_page_lists_records_with_sources(client, seeds):
    catalog, _, api_prices = seeds
    page = client.get("/catalog").get_data(as_text=True)
    for record in (*catalog.hardware.values(), *catalog.models.values()):
        assert esc(record.name) in page
        assert esc(record.source) in page
        assert record.as_of in page
    for price in api_prices.values():
        assert esc(price["source"]) in page


# --- Results are the core's numbers -----------------------------------------------------------------
def test_training_result_is_the_cores(client, core):
    response = client.get("/training", query_string=TRAINING_FORM)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    result = core(TRAINING_VALUES)

    assert assert_page_shows(page, result) > 20
    for path in ("gpu_hours", "wall_clock_days", "energy_mwh", "co2_t", "cost_usd.rent", "cost_usd.own"):
        band = lookup(result, path)
        assert f'data-key="{path}.mid"' in page
        assert f">{fmt(band['mid'])}</td>" in page
    for warning in result["warnings"]:
        assert esc(warning) in page
    for assumption in result["assumptions"]:
        assert esc(assumption["source"]) in page


def test_training_page_shows_the_steady_state_and_the_layout(client, core):
    page = client.get("/training", query_string=TRAINING_FORM).get_data(as_text=True)
    result = core(TRAINING_VALUES)
    found = figures(page)

    for f in (T.TOKENS_PER_S_PER_GPU, T.MFU_STEADY):  # low / mid / high, labelled as declared
        band = f.band(result)
        assert band is not None
        for s in ("low", "mid", "high"):
            assert float(found[f"{f.key}.{s}"]) == band[s]
        assert esc(f.label) in page
    layout = T.LAYOUT.value(result)
    assert layout
    for name, value in layout.items():
        assert float(found[f"{T.LAYOUT.key}.{name}"]) == value
    for name in T.STEP_SHARE.value(result) or {}:
        assert f"{T.STEP_SHARE.key}.{name}" in found
    assert "Steady-state throughput" in page and "Parallel layout" in page


def test_training_page_without_the_step_model_leaves_the_steady_state_out(client, core):
    response = client.get("/training", query_string={**TRAINING_FORM, "utilisation": "0.4"})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    result = core({**TRAINING_VALUES, "utilisation": 0.4})

    assert T.STEADY_STATE.value(result) is None  # a 'utilisation' override: no step model, no section
    assert assert_page_shows(page, result) > 20
    assert not any(key.startswith("steady_state.") for key in figures(page))
    assert "Steady-state throughput" not in page and "Parallel layout" not in page


def test_inference_result_is_the_cores(client, core_inference):
    response = client.get("/inference", query_string=INFERENCE_FORM)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    result = core_inference(INFERENCE_VALUES)

    assert_page_shows(page, result)
    found = figures(page)
    for key in (
        "gpu_count",
        "node_count",
        "gpus_per_replica",
        "per_replica.batch_size",
        "per_replica.ttft_ms",
        "per_replica.tpot_ms",
        "cost_usd_per_million_tokens.output.rent.mid",
        "cost_usd_per_million_tokens.input.own.mid",
        "energy_mwh_per_day.mid",
        "api_price_usd_per_million_tokens.output",
    ):
        assert key in found, key
    assert result["api_price_usd_per_million_tokens"]["provider"] in page
    for warning in result["warnings"]:
        assert esc(warning) in page


def test_compare_result_is_the_cores(client, core_compare):
    response = client.get("/compare", query_string=COMPARE_FORM)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    result = core_compare(COMPARE_VALUES)

    assert_page_shows(page, result)  # the summary cards and every model's own tables too
    side_by_side = [k for k in figures(page) if k.startswith(("metrics.", "ratios."))]
    assert len(side_by_side) == sum(len(m) for m in result["metrics"].values()) * 2  # every metric and ratio
    assert "Ratio to the baseline, Llama 3.1 405B" in page


def test_compare_training_summary_cards_are_the_cores(client, core_compare):
    page = client.get("/compare", query_string=COMPARE_TRAINING_FORM).get_data(as_text=True)
    result = core_compare(COMPARE_TRAINING_VALUES)
    names = {
        "llama-3.1-405b": "Llama 3.1 405B",
        "deepseek-v3": "DeepSeek-V3",
        "mistral-large-2": "Mistral Large 2 (2407)",
    }
    assert max(r["power_kw"]["facility"]["high"] for r in result["rows"]) >= 1000  # so every card is in MW
    expected = {
        names[r["model"]]: [
            ("GPUs", f"{fmt(r['gpu_count'])} GPUs", ""),  # as given: no deadline to size them for
            ("Wall-clock time", *band_texts(r["wall_clock_days"], "days")),
            ("Facility power", *band_texts(r["power_kw"]["facility"], "MW", 1e-3)),
            ("Cost, renting", *band_texts(r["cost_usd"]["rent"], "USD")),
            ("Cost, owning", *band_texts(r["cost_usd"]["own"], "USD")),
        ]
        for r in result["rows"]
    }
    assert model_cards(page) == expected
    assert page.index('id="cards-title"') < page.index('id="charts-title"') < page.index('id="tables-title"')
    assert re.search(r'<h4 id="card-1">Llama 3.1 405B <span class="tag">baseline</span></h4>', page)


def test_compare_serving_summary_cards_are_the_cores(client, core_compare):
    page = client.get("/compare", query_string=COMPARE_FORM).get_data(as_text=True)
    result = core_compare(COMPARE_VALUES)
    expected = {}
    for r in result["rows"]:
        gpus = {s: n * r["gpus_per_replica"] for s, n in r["replicas_range"].items()}
        assert gpus["mid"] == r["gpu_count"]
        per_day = {s: n * 24 for s, n in gpus.items()}
        name = {"llama-3.1-405b": "Llama 3.1 405B", "deepseek-v3": "DeepSeek-V3"}.get(
            r["model"], "Mistral Large 2 (2407)"
        )
        expected[name] = [
            ("GPUs in the fleet", *band_texts(gpus, "GPUs")),
            ("GPU-hours per day", *band_texts(per_day, "GPU·h")),
            ("Facility power to supply", *band_texts(r["provisioned_power_kw"]["facility"], "kW")),
            ("Energy per day", *band_texts(r["energy_mwh_per_day"], "MWh")),
            ("Cost per million output tokens", *band_texts(r["cost_usd_per_million_tokens"]["output"]["rent"], "USD")),
        ]
    assert model_cards(page) == expected


@pytest.mark.parametrize(
    ("form", "values", "single"),
    [
        (COMPARE_FORM, COMPARE_VALUES, ("/inference", INFERENCE_FORM)),
        (COMPARE_TRAINING_FORM, COMPARE_TRAINING_VALUES, ("/training", {**TRAINING_FORM, "tokens": "15e12"})),
    ],
)
def test_compare_shows_each_model_in_full_as_its_own_estimate(client, core_compare, seeds, form, values, single):
    page = client.get("/compare", query_string=form).get_data(as_text=True)
    result = core_compare(values)
    details = model_details(page)
    assert len(details) == len(result["rows"]) == 3
    url, single_form = single
    for i, (section, row) in enumerate(zip(details, result["rows"], strict=True)):
        assert section.startswith(f'<details class="model-details" id="model-{i + 1}">')  # closed
        summary = text_of(re.search(r"<summary>(.*?)</summary>", section, re.S).group(1))
        assert summary.startswith(seeds[0].models[row["model"]].name)
        # the same figures, with the same values, as the model's own estimate page, each under rows.<i>.
        own = figures(client.get(url, query_string={**single_form, "model": row["model"]}).get_data(as_text=True))
        here = figures(section)
        assert all(k.startswith(f"rows.{i}.") for k in here)
        assert {k.removeprefix(f"rows.{i}."): v for k, v in here.items()} == own
        assert len(own) > 40
        for caption in ("Prices used, from pricing table seed", "Assumptions: every input the estimate used"):
            assert caption in section
        for price in row["pricing"]["prices"]:
            assert esc(price["source"]) in section
        for assumption in row["assumptions"]:
            assert esc(assumption["source"]) in section
    assert_page_shows(page, result)


def test_compare_training_shows_rows_that_cannot_run(client, core_compare):
    form = {"workload": "training", "models": ["llama-3.1-8b", "llama-3.1-405b"], "hardware": "h100-sxm"}
    response = client.get("/compare", query_string={**form, "tokens": "1e12", "gpus": "8"})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    result = core_compare({**form, "tokens": 1e12, "gpus": 8})
    assert_page_shows(page, result)
    assert "Models that cannot run this workload" in page
    assert esc(result["rows"][1]["error"]["detail"]) in page
    assert list(model_cards(page)) == ["Llama 3.1 8B"]  # no card nor details for a model that cannot run
    assert len(model_details(page)) == 1


def test_empty_boxes_are_missing_fields(client, core):
    empty = dict.fromkeys(layout_names("training"), "")
    response = client.get("/training", query_string={**empty, **TRAINING_FORM}, follow_redirects=True)
    assert response.status_code == 200
    assert_page_shows(response.get_data(as_text=True), core(TRAINING_VALUES))


def test_numbers_typed_as_people_write_them(client, core):
    response = client.get(
        "/training", query_string={**TRAINING_FORM, "tokens": " 15,600,000,000,000 ", "gpus": "16,384"}
    )
    assert response.status_code == 200
    assert_page_shows(response.get_data(as_text=True), core(TRAINING_VALUES))


@pytest.mark.parametrize(
    ("text", "integer", "expected"),
    [
        ("15.6e12", False, 15.6e12),
        ("16384", True, 16384),
        ("16,384", True, 16384),
        ("1,234.5", False, 1234.5),
        ("1.6e4", True, 16000),
        ("2.5", True, 2.5),  # the schema then says "Not a valid integer."
        ("-1", True, -1),
        (".5", False, 0.5),
        ("1,5", False, "1,5"),  # not a grouping: left for the schema to reject
        ("abc", False, "abc"),
        ("nan", False, "nan"),
        ("inf", False, "inf"),
        ("1_000", False, "1_000"),
        ("0x10", True, "0x10"),
        ("1" * 41, True, "1" * 41),
    ],
)
def test_number_from_text(text, integer, expected):
    assert number_from_text(text, integer=integer) == expected


# --- Errors are shown next to the fields, with 422 --------------------------------------------------
@pytest.mark.parametrize(
    ("url", "form", "field", "message"),
    [
        ("/training", {**TRAINING_FORM, "tokens": "-1"}, "tokens", "Must be greater than 0."),
        ("/training", {**TRAINING_FORM, "tokens": "abc"}, "tokens", "Not a valid number."),
        (
            "/training",
            {**TRAINING_FORM, "tokens": "1e400"},
            "tokens",
            "Special numeric values (nan or infinity) are not permitted.",
        ),
        ("/training", {**TRAINING_FORM, "gpus": "2.5"}, "gpus", "Not a valid integer."),
        (
            "/training",
            {**TRAINING_FORM, "precision": "int8"},
            "precision",
            "Must be one of: fp64, tf32, bf16, fp16, fp8, fp4.",
        ),
        (
            "/inference",
            {**INFERENCE_FORM, "peak_to_average": "0.5"},
            "peak_to_average",
            "Must be greater than or equal to 1.",
        ),
        ("/inference", {**INFERENCE_FORM, "requests_per_s": "0"}, "requests_per_s", "Must be greater than 0."),
        (
            "/compare",
            {**COMPARE_FORM, "preset": "", "models": ["deepseek-v3"]},
            "models",
            "Length must be between 2 and 10.",
        ),
        ("/compare", {**COMPARE_FORM, "preset": "frontier"}, "preset", "Must be one of: article, mistral, deepseek."),
    ],
)
def test_schema_error_next_to_the_field(client, url, form, field, message):
    response = client.get(url, query_string=form, follow_redirects=True)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert field_error(page, field) == f"Error: {message}"
    assert f'href="#field-{field}"' in page  # the summary links to it
    assert 'aria-invalid="true"' in page or field == "models"
    assert "Result" not in page


def core_message(run, values) -> str:
    from estimator.errors import EstimatorError

    with pytest.raises(EstimatorError) as info:
        run(values)
    return info.value.message


@pytest.mark.parametrize(
    ("url", "form", "values", "field"),
    [
        (
            "/training",
            {**TRAINING_FORM, "model": "llama-3.1-450b"},
            {**TRAINING_VALUES, "model": "llama-3.1-450b"},
            "model",
        ),
        ("/training", {**TRAINING_FORM, "gpus": "8"}, {**TRAINING_VALUES, "gpus": 8}, "gpus"),
        (
            "/inference",
            {**INFERENCE_FORM, "hardware": "a100-80gb-sxm"},
            {**INFERENCE_VALUES, "hardware": "a100-80gb-sxm"},
            "precision",
        ),
        ("/inference", {**INFERENCE_FORM, "tpot_ms": "0.5"}, {**INFERENCE_VALUES, "tpot_ms": 0.5}, "tpot_ms"),
        (
            "/inference",
            {**INFERENCE_FORM, "requests_per_s": "1", "tokens_per_day": "1e9"},
            {**INFERENCE_VALUES, "requests_per_s": 1, "tokens_per_day": 1e9},
            "requests_per_s",
        ),
    ],
)
def test_core_error_next_to_the_field(client, core, core_inference, url, form, values, field):
    message = core_message(core if url == "/training" else core_inference, values)
    response = client.get(url, query_string=form)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert field_error(page, field) == f"Error: {plain(message)}"  # the core's `code` marks as quotes
    assert "Traceback" not in page


def test_compare_unknown_model_is_a_page_error(client):
    response = client.get(
        "/compare",
        query_string={**COMPARE_FORM, "preset": "", "models": ["deepseek-v3", "gpt-7"]},
        follow_redirects=True,
    )
    assert response.status_code == 422
    assert field_error(response.get_data(as_text=True), "models").startswith("Error: Unknown model 'gpt-7'.")


def test_a_value_sent_twice_is_an_error(client):
    response = client.get("/training", query_string={**TRAINING_FORM, "gpus": ["8", "16"]})
    assert response.status_code == 422
    assert field_error(response.get_data(as_text=True), "gpus") == "Error: Give one value, not several."


def test_submitted_text_is_escaped_when_shown_back(client):
    attack = '"><script>alert(1)</script>'
    response = client.get("/training", query_string={**TRAINING_FORM, "tokens": attack, "model": attack})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "<script" not in page
    assert 'value="&#34;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"' in page


# --- Error pages ------------------------------------------------------------------------------------
def test_unknown_page_is_an_html_404_for_browsers(client):
    response = client.get("/no-such-page", headers=BROWSER)
    assert response.status_code == 404
    assert response.mimetype == "text/html"
    assert "There is no page at this address." in response.get_data(as_text=True)
    api = client.get("/api/v1/nope", headers=BROWSER)
    assert api.mimetype == "application/problem+json"  # the API always answers in JSON


def test_wrong_method_on_a_page(client):
    response = client.put("/training", headers=BROWSER)
    assert response.status_code == 405
    assert response.mimetype == "text/html"
    assert set(response.headers["Allow"].split(", ")) == {"GET", "HEAD", "OPTIONS"}
    assert client.post("/training", data=TRAINING_FORM, headers=BROWSER).status_code == 405  # the forms use GET


def test_pages_when_not_ready_are_503_pages(tmp_path):
    client = create_app({"TESTING": True, "SEEDS_DIR": str(tmp_path)}).test_client()
    for response in (
        client.get("/training"),
        client.get("/inference", query_string=INFERENCE_FORM),
        client.get("/catalog"),
    ):
        assert response.status_code == 503
        assert response.mimetype == "text/html"
        assert "did not load" in response.get_data(as_text=True)
    assert client.get("/").status_code == 200  # the landing page needs no data


def test_unexpected_error_on_a_page_has_no_traceback(monkeypatch):
    from estimator.app import web

    app = create_app()

    def boom(*args, **kwargs):
        raise RuntimeError("secret internals")

    monkeypatch.setitem(web._RUN, "training", boom)
    response = app.test_client().get("/training", query_string=TRAINING_FORM)
    assert response.status_code == 500
    assert response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    assert "secret" not in page and "Traceback" not in page


class Submission(HTMLParser):
    """What a browser would send for a page's form as it is first shown."""

    def __init__(self) -> None:
        super().__init__()
        self.data: list[tuple[str, str]] = []
        self._select: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "input" and (a.get("type") != "checkbox" or "checked" in a):
            self.data.append((a["name"], a.get("value") or ""))
        elif tag == "select":
            self._select = a["name"]
        elif tag == "option" and "selected" in a and self._select:
            self.data.append((self._select, a.get("value") or ""))

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None


@pytest.mark.parametrize("url", ["/training", "/inference", "/compare", "/compare?workload=training"])
def test_submitting_the_defaults_gives_a_result(client, url):
    parser = Submission()
    parser.feed(client.get(url).get_data(as_text=True))
    response = client.get(url.split("?")[0], query_string=MultiDict(parser.data), follow_redirects=True)
    page = response.get_data(as_text=True)
    assert response.status_code == 200, re.findall(r'<p class="error-message".*?</p>', page, re.S)
    assert '<h2 id="result-title">Result</h2>' in page
