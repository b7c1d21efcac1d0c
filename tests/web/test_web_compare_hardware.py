"""The GPU comparison page (/compare/hardware) through Flask's test client: the form, the ranked
result with every figure equal to the API's, the permalink, the downloads, the ranked SVG chart,
errors next to their fields, and the pricing table."""

from __future__ import annotations

import csv
import html
import io
import re
import xml.etree.ElementTree as ET

import openpyxl
import pytest

from estimator.app.web.charts import Bar, Chart, bar_chart

URL = "/compare/hardware"
API = "/api/v1/compare/hardware"
QUERY = {"workload": "inference", "model": "llama-3.1-70b", "hardware": "h100-sxm, h200-sxm, b200, l4",
         "input_tokens": "1000", "output_tokens": "500", "requests_per_s": "20", "ttft_ms": "500", "tpot_ms": "30"}
BODY = {"workload": "inference", "model": "llama-3.1-70b", "hardware": ["h100-sxm", "h200-sxm", "b200", "l4"],
        "input_tokens": 1000, "output_tokens": 500, "requests_per_s": 20, "ttft_ms": 500, "tpot_ms": 30}
TRAINING_QUERY = {"workload": "training", "model": "llama-3.1-70b", "hardware": "h100-sxm:fp8, h100-sxm:bf16, b200",
                  "tokens": "15e12", "gpus": "1024", "rank_by": "energy_mwh"}
SVG = "{http://www.w3.org/2000/svg}"


def page_of(response) -> str:
    return response.get_data(as_text=True)


def figures(page: str) -> dict[str, str]:
    return {html.unescape(k): html.unescape(v) for k, v in re.findall(r'data-key="([^"]+)" data-value="([^"]*)"', page)}


def link(page: str, element_id: str) -> str:
    match = re.search(rf'<a href="([^"]+)"[^>]*id="{element_id}"', page)
    assert match, element_id
    return html.unescape(match.group(1))


def at(result, key: str):
    node = result
    for part in key.split("."):
        node = node[int(part)] if isinstance(node, list) else node[part]
    return node


def result_page(client, query=QUERY):
    response = client.get(URL, query_string=query, follow_redirects=True)
    assert response.status_code == 200, page_of(response)[:2000]
    return page_of(response)


@pytest.mark.parametrize("workload", ["inference", "training"])
def test_a_first_visit_shows_the_form_with_defaults(client, workload):
    response = client.get(URL, query_string={"workload": workload})
    page = page_of(response)
    assert response.status_code == 200
    assert "<h1>Compare GPUs</h1>" in page and "<svg" not in page
    default = "all" if workload == "inference" else "h100-sxm, h200-sxm, b200, gb200"
    assert re.search(rf'id="field-hardware" name="hardware" value="{default}"', page)
    assert 'name="usd_per_gpu_hour"' not in page and 'name="capex_usd_per_gpu"' not in page
    assert '<option value="" selected>Default: Cost' in page  # rank_by, by the figures' headings


def test_the_compare_page_links_both_modes(client):
    page = page_of(client.get("/compare", query_string={"workload": "training"}))
    assert 'href="/compare/hardware?workload=training"' in page
    page = page_of(client.get(URL, query_string={"workload": "training"}))
    assert 'href="/compare?workload=training"' in page


def test_every_figure_on_the_page_is_the_apis(client):
    page = result_page(client)
    result = client.post(API, json=BODY).get_json()
    shown = figures(page)
    assert len(shown) > 200
    for key, value in shown.items():
        expected = at(result, key)
        if isinstance(expected, str):
            assert value == expected, key
        else:
            assert float(value) == pytest.approx(float(expected)), key


def test_the_ranking_reads_in_rank_order(client):
    page = result_page(client)
    headline = html.unescape(re.search(r'<p class="headline">(.*?)</p>', page, re.S).group(1))
    assert headline == ("NVIDIA B200 180GB (HGX B200), fp4 ranks first for Llama 3.1 70B: 0.0895 USD per million tokens "
                        "(Cost per million output tokens, owning, mid estimate; 0.0713 to 0.193). 3 of 4 GPU entries can "
                        "run this workload.")
    ranking = page.split('id="table-1"', 1)[1].split("</table>", 1)[0]
    labels = [html.unescape(x) for x in re.findall(r'<th scope="row">(.*?)</th>', ranking)]
    assert labels == ["1. NVIDIA B200 180GB (HGX B200), fp4", "2. NVIDIA H200 141GB SXM5, fp8",
                      "3. NVIDIA H100 80GB SXM5, fp8"]
    errors = re.search(r'<ul class="row-errors">(.*?)</ul>', page, re.S).group(1)
    assert "<strong>NVIDIA L4 24GB, fp8</strong>: No batch meets tpot_ms=30" in html.unescape(errors)


def test_the_ranked_chart_has_whiskers_the_baseline_and_the_gpu_that_cannot_run(client):
    page = result_page(client)
    svg = ET.fromstring(re.search(r'<svg class="chart" id="chart-1".*?</svg>', page, re.S).group(0))
    desc = "".join(svg.find(f"{SVG}desc").itertext())
    assert desc == ("Cost per million output tokens, owning, in USD per million tokens. "
                    "1. NVIDIA B200 180GB (HGX B200), fp4: 0.0895 (low 0.0713, high 0.193); "
                    "2. NVIDIA H200 141GB SXM5, fp8: 0.255 (low 0.146, high 0.587); "
                    "3. NVIDIA H100 80GB SXM5, fp8: 0.301 (low 0.137, high 0.627) (baseline); "
                    "NVIDIA L4 24GB, fp8: cannot run.")
    rects = svg.findall(f".//{SVG}rect")
    assert [r.get("class") for r in rects] == ["chart-bar", "chart-bar", "chart-bar chart-bar-baseline"]
    assert len(svg.findall(f".//{SVG}path[@class='chart-whisker']")) == 3
    widths = [float(r.get("width")) for r in rects]
    assert widths == sorted(widths)  # ranked: lowest first


def test_the_permalink_reproduces_the_result(client):
    page = result_page(client)
    permalink = link(page, "permalink")
    assert permalink.startswith(URL + "?workload=inference&model=llama-3.1-70b&hardware=h100-sxm")
    again = page_of(client.get(permalink))
    assert figures(again) == figures(page)


def test_the_download_has_every_figure_the_page_shows(client):
    page = result_page(client)
    body = client.get(link(page, "download-csv"))
    assert body.headers["Content-Disposition"] == 'attachment; filename="hardware-inference-llama-3.1-70b.csv"'
    rows = list(csv.DictReader(io.StringIO(body.get_data(as_text=True).lstrip("\ufeff"))))
    by_key = {r["key"]: r for r in rows if r["key"] and r["table"] != "Inputs"}
    shown = figures(page)
    assert sorted(set(shown) - set(by_key)) == []
    for key, value in shown.items():
        assert by_key[key]["value"] == value or float(by_key[key]["value"]) == float(value), key
    assert any(r["table"] == "GPUs that cannot run this workload" and r["row"] == "NVIDIA L4 24GB, fp8" for r in rows)
    assert any(r["key"].startswith("rows.0.estimate.pricing.prices.") for r in rows)
    workbook = openpyxl.load_workbook(io.BytesIO(client.get(link(page, "download-xlsx")).data), read_only=True)
    assert sum(1 for _ in workbook["Result"].iter_rows()) == len(rows) + 1


def test_a_training_ranking_by_another_figure(client):
    page = result_page(client, TRAINING_QUERY)
    shown = figures(page)
    energy = [float(shown[f"rows.{i}.figures.energy_mwh.mid"]) for i in range(3)]
    assert energy == sorted(energy)
    assert "Ranked by Energy (MWh), lowest mid first" in page


@pytest.mark.parametrize(
    ("hardware", "message"),
    [
        ("h100-sxm, h1000", "Unknown hardware &#39;h1000&#39;. Closest: h100-sxm, h100-pcie, h20."),
        ("h100-sxm:fp9", "Unknown precision &#39;fp9&#39; in entry &#39;h100-sxm:fp9&#39;"),
        ("h100-sxm, h100:fp8", "Entry 1 (&#39;h100:fp8&#39;) is h100-sxm:fp8, like entry 0"),
        ("h100-sxm,,b200", "Must not be empty."),
    ],
)
def test_bad_gpus_show_the_error_next_to_the_field(client, hardware, message):
    response = client.get(URL, query_string={**QUERY, "hardware": hardware})
    assert response.status_code == 422
    error = re.search(r'<p class="error-message" id="field-hardware-error">(.*?)</p>', page_of(response), re.S)
    assert error and message in error.group(1)


def test_the_pricing_table_is_used_and_kept_in_the_permalink(client):
    page = result_page(client, {**QUERY, "pricing_table": "seed"})
    assert "pricing_table=seed" in link(page, "permalink")
    assert "Prices used, from pricing table seed" in page


def test_a_bar_without_a_value_says_why_and_the_baseline_is_outlined():
    chart = Chart("Cost", "USD", (Bar("a", 1.0, 0.5, 2.0, highlight=True), Bar("b", None, missing="cannot run")))
    root = ET.fromstring(str(bar_chart(chart, "c")))
    assert [r.get("class") for r in root.iter(f"{SVG}rect")] == ["chart-bar chart-bar-baseline"]
    assert "".join(root.find(f"{SVG}desc").itertext()) == "Cost, in USD. a: 1 (low 0.5, high 2) (baseline); b: cannot run."


def test_a_custom_model_is_ranked_under_its_name(client):
    query = {"workload": "inference", "model": "custom", "model.name": "My 70B", "model.total_params": "70.6e9",
             "model.layers": "80", "model.hidden_size": "8192", "model.attention_heads": "64", "model.kv_heads": "8",
             "model.head_dim": "128", "hardware": "h100-sxm, b200", "requests_per_s": "5"}
    page = result_page(client, query)
    assert "ranks first for My 70B:" in html.unescape(page)


def test_all_gpus_are_compared_with_the_h100_sxm_and_the_page_says_so(client):
    """The default baseline of "all" is H100 SXM (estimator/compare_hardware.py), named under the
    ranking and in the baseline field's hint."""
    page = result_page(client, {**QUERY, "hardware": "all"})
    text = html.unescape(page)
    assert "The baseline is NVIDIA H100 80GB SXM5, fp8." in text
    assert "Default: with 'all', the H100 SXM (the field's reference GPU) when it can run it" in text
