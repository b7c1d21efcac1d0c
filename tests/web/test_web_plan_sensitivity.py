"""The page of an estimate's sensitivity (app/web/plan_sensitivity.py): the estimate form plus what to
explain, the API's tornado and Sobol figures, reached from a result page's "What matters most" link
and from /plans/sensitivity; errors next to their fields with 422."""

from __future__ import annotations

import re

TRAINING = "model=llama-3.1-70b&hardware=h100-sxm&tokens=15.6e12&gpus=1024"


def cells(html: str) -> dict[str, str]:
    return dict(re.findall(r'data-key="([^"]+)" data-value="([^"]*)"', html))


def test_page_shows_the_api_tornado_and_sobol(client):
    response = client.get(f"/plans/sensitivity/training?{TRAINING}&metric=cost_usd.own")
    html = response.get_data(as_text=True)
    api = client.post("/api/v1/sensitivity/training", json={
        "model": "llama-3.1-70b", "hardware": "h100-sxm", "tokens": 15.6e12, "gpus": 1024,
        "metric": "cost_usd.own"}).get_json()
    assert response.status_code == 200
    assert 'id="tornado"' in html and "Sobol ST" in html
    shown = cells(html)
    for i, bar in enumerate(api["tornado"]):
        assert float(shown[f"tornado.{i}.swing"]) == bar["swing"]
    assert f"{api['evaluations']} model evaluations" in html


def test_result_page_links_here_with_its_query(client):
    html = client.get(f"/training?{TRAINING}").get_data(as_text=True)
    link = re.search(r'<a href="([^"]+)" id="sensitivity-link">What matters most</a>', html)
    assert link is not None
    href = link.group(1).replace("&amp;", "&")
    assert href.startswith(f"/plans/sensitivity/training?{TRAINING}")
    page = client.get(href)
    assert page.status_code == 200 and 'id="tornado"' in page.get_data(as_text=True)
    html = client.get("/inference?model=llama-3.1-8b&hardware=h100-sxm").get_data(as_text=True)
    assert 'href="/plans/sensitivity/inference?model=llama-3.1-8b&amp;hardware=h100-sxm' in html


def test_reached_from_the_plan_sensitivity_page(client):
    html = client.get("/plans/sensitivity").get_data(as_text=True)
    assert 'href="/plans/sensitivity/training" id="sensitivity-training"' in html
    assert 'href="/plans/sensitivity/inference" id="sensitivity-inference"' in html


def test_first_visit_is_the_estimate_form_and_an_example(client):
    html = client.get("/plans/sensitivity/inference").get_data(as_text=True)
    assert 'id="result-title"' not in html and "<legend>What to explain</legend>" in html
    example = re.search(r'<a class="preset-link" href="([^"]+)">', html)
    assert example is not None
    page = client.get(example.group(1).replace("&amp;", "&"))
    assert page.status_code == 200 and 'id="tornado"' in page.get_data(as_text=True)


def test_errors_next_to_their_fields(client):
    response = client.get("/plans/sensitivity/training?model=llama-3.1-70b&hardware=h100-sxm&samples=100")
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    error = re.search(r'id="field-samples-error"><span class="visually-hidden">Error: </span>(.*?)</p>', html)
    assert error is not None and error.group(1) == "Must be one of: 16, 32, 64, 128."
    assert client.get("/plans/sensitivity/compare").status_code == 404


def test_query_is_made_canonical(client):
    response = client.get(f"/plans/sensitivity/training?{TRAINING}&metric=&pue=")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/plans/sensitivity/training?{TRAINING}"
