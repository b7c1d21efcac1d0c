"""The planning forms follow the estimate forms' rule (forms.py): blank means the sourced default. A first
visit fills in choices only, each number field shows what empty means as its placeholder (read from
seeds/planning/defaults.csv), and worked examples are one-click links."""

from __future__ import annotations

import re

import pytest

from estimator.app.web.plans import PAGES


def inputs(html: str) -> dict[str, tuple[str, str]]:
    """name -> (value, placeholder) of every text input of a page's form."""
    out = {}
    for tag in re.findall(r"<input [^>]*>", html):
        name = re.search(r'name="([^"]+)"', tag)
        if name:
            value = re.search(r'value="([^"]*)"', tag)
            placeholder = re.search(r'placeholder="([^"]*)"', tag)
            out[name.group(1)] = (value.group(1) if value else "", placeholder.group(1) if placeholder else "")
    return out


@pytest.mark.parametrize("kind", list(PAGES))
def test_first_visit_fills_in_no_number(client, kind):
    response = client.get(f"/plans/{kind}")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and 'id="result-title"' not in html
    assert {name: value for name, (value, _) in inputs(html).items() if value} == {}
    assert "Leave a field empty for its default" in html


def test_placeholders_show_the_sourced_defaults(client):
    shown = inputs(client.get("/plans/capacity").get_data(as_text=True))
    # seeds/planning/defaults.csv: building 9.3M / 11.7M / 15M $ per MW (Cushman & Wakefield 2025);
    # utilisation 0.8 / 0.6 / 0.4; storage 3 / 5 / 8 % of the server bill.
    assert shown["building_usd_per_mw"][1] == "9.3e6 / 11.7e6 / 15e6"
    assert shown["utilisation"][1] == "0.8 / 0.6 / 0.4"
    assert shown["storage_share"][1] == "0.03 / 0.05 / 0.08"
    assert shown["budget_usd"][1] == "e.g. 60e9" and shown["pue"][1] == "pricing table"
    rent = inputs(client.get("/plans/rent-vs-buy").get_data(as_text=True))
    assert rent["horizon_months"][1] == "60"
    demand = inputs(client.get("/plans/demand").get_data(as_text=True))
    assert demand["elasticities"][1] == "0.4, 1.2, 2"
    assert rent["cost_of_capital"][1] == "0.051 / 0.063 / 0.074"


def test_blank_fields_mean_the_defaults(client):
    """A browser sends every field, most of them empty: the plan is the API's with nothing overridden."""
    blank = {s.name: "" for s in PAGES["capacity"].fields}
    response = client.get("/plans/capacity", query_string={**blank, "hardware": "h100-sxm", "budget_usd": "60e9"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/plans/capacity?hardware=h100-sxm&budget_usd=60e9"
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    api = client.post("/api/v1/plans/capacity", json={"hardware": "h100-sxm", "budget_usd": 60e9}).get_json()
    assert f'data-key="gpus.mid" data-value="{api["gpus"]["mid"]}"' in html


def test_choices_only_gives_a_message_not_a_number(client):
    response = client.get("/plans/capacity?hardware=h100-sxm")
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Give exactly one of &#39;budget_usd&#39;" in html


@pytest.mark.parametrize("kind", list(PAGES))
def test_every_example_is_one_click(client, kind):
    html = client.get(f"/plans/{kind}").get_data(as_text=True)
    links = re.findall(r'<a class="preset-link" href="([^"]+)"><strong>([^<]+)</strong>', html)
    assert [title.replace("&amp;", "&") for _, title in links][:len(PAGES[kind].examples)] == [
        e.title for e in PAGES[kind].examples]
    for href, _ in links:
        page = client.get(href.replace("&amp;", "&"))
        assert page.status_code == 200, href
        assert 'id="result-title"' in page.get_data(as_text=True)


def test_capacity_examples_name_the_article(client):
    html = client.get("/plans/capacity").get_data(as_text=True)
    assert '<a class="preset-link" href="/plans/article"><strong>The article</strong>' in html
    assert ('href="/plans/capacity?hardware=h100-sxm&amp;budget_usd=60e9&amp;train=deepseek-v3%2C+llama-3.1-405b'
            '&amp;serve=llama-3.1-405b"><strong>$60B on H100</strong>') in html
    assert 'href="/plans/capacity?hardware=gb200&amp;power_mw=1000&amp;train=llama-3.1-405b"' in html


MIX = "/plans/capacity?hardware=h100-sxm&hardware_mix=h100-sxm%3A0.5%2C+gb200%3A0.5&budget_usd=60e9"


def test_mix_field_plans_each_gpu_and_the_total(client):
    response = client.get(MIX)
    html = response.get_data(as_text=True)
    api = client.post("/api/v1/plans/capacity", json={
        "hardware": [{"id": "h100-sxm", "share": 0.5}, {"id": "gb200", "share": 0.5}], "budget_usd": 60e9}).get_json()
    assert response.status_code == 200
    assert f'data-key="gpus.mid" data-value="{api["gpus"]["mid"]}"' in html and api["gpus"]["mid"] == 891_768
    assert "50 % on NVIDIA H100 80GB SXM5: every figure" in html
    assert "50 % on NVIDIA GB200 (per Blackwell GPU in NVL72): every figure" in html


@pytest.mark.parametrize(("mix", "message"), [
    ("h100-sxm:0.5, gb200:0.6", "The shares of a mix must add up to 1 (within 1e-09); 0.5 + 0.6 = 1.1."),
    ("h100-sxm, gb200:0.5", "GPU 1 of the mix, its share: Missing data for required field."),
    ("h100-sxm:0.5, h999:0.5", "GPU 2 of the mix, its id: Unknown hardware &#39;h999&#39;"),
])
def test_mix_errors_next_to_the_mix_field(client, mix, message):
    response = client.get("/plans/capacity", query_string={"hardware": "h100-sxm", "hardware_mix": mix,
                                                           "budget_usd": "60e9"})
    html = response.get_data(as_text=True)
    assert response.status_code in (404, 422)
    error = re.search(r'id="field-hardware_mix-error"><span class="visually-hidden">Error: </span>(.*?)</p>', html)
    assert error is not None and error.group(1).startswith(message)
