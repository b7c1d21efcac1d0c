"""Wording on the pages (issue 14): counts in the right number, no code marks from the core or the
API docs in HTML or OpenAPI text, readable assumption labels, and assumption columns labelled by
the estimate each value feeds."""

from __future__ import annotations

import html
import json
import re

import pytest

from estimator import figures
from estimator.app.web.forms import plain
from estimator.app.web.present import ASSUMPTION_VALUE_HEADING, assumptions_table, counted, headline

TRAINING = {"model": "llama-3.1-70b", "hardware": "h100-sxm", "gpus": "1024"}
ONE_REPLICA = {"model": "llama-3.1-8b", "hardware": "h100-sxm", "gpus_per_replica": "1", "batch_size": "1"}


def text_of(page: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


@pytest.mark.parametrize(("value", "singular", "text"), [
    (1, "replica", "1 replica"), (3, "replica", "3 replicas"), (0, "model", "0 models"), (1.5, "GPU", "1.5 GPUs"),
    (16384, "GPU", "16,384 GPUs"),
])
def test_counted(value, singular, text):
    assert counted(value, singular) == text


def test_one_replica_of_one_gpu_is_singular(client):
    page = client.get("/inference", query_string=ONE_REPLICA).get_data(as_text=True)
    text = text_of(page)
    assert "1 replica of 1 GPU, 1 GPU in all" in text  # the headline
    assert "1 replica of 1 GPU" in re.search(r'<dl class="stats">(.*?)</dl>', page, re.S).group(1)  # the card
    assert "(s)" not in text


def test_a_comparison_counts_its_models(client):
    page = client.get("/compare", query_string={"workload": "inference", "models": ["llama-3.1-8b", "llama-3.1-70b"],
                                                 "hardware": "h100-sxm"}).get_data(as_text=True)
    assert "2 models estimated on NVIDIA H100 80GB SXM5" in text_of(page)
    result = {"metrics": {"a": {}}, "baseline": "a", "rows": [{"hardware": "h100-sxm", "precision": "bf16"}]}
    assert headline("compare", result, {}).startswith("1 model estimated on h100-sxm in bf16")


def test_code_marks_become_quotes_on_pages(client):
    page = client.get("/training", query_string={**TRAINING, "hardware": "h1000"}).get_data(as_text=True)
    text = text_of(page)
    assert "See ‘estimator catalog hardware’ for all ids." in text
    assert "`" not in text
    assert plain("use ``x`` or `y`") == "use ‘x’ or ‘y’"


def test_no_rest_code_marks_in_the_openapi_document(client):
    document = json.dumps(client.get("/api/v1/openapi.json").get_json())
    assert "``" not in document


def test_every_assumption_of_an_estimate_has_a_readable_label(client):
    for url, query in (("/api/v1/estimates/training", {"model": "deepseek-v3", "hardware": "h800", "precision": "fp8"}),
                       ("/api/v1/estimates/inference", {"model": "deepseek-v3", "hardware": "h200-sxm",
                                                         "precision": "fp8", "requests_per_s": 20, "tpot_ms": 50})):
        names = [a["name"] for a in client.post(url, json=query).get_json()["assumptions"]]
        assert set(names) <= set(figures.ASSUMPTION_LABELS), set(names) - set(figures.ASSUMPTION_LABELS)


def test_the_assumptions_table_reads_labels_units_and_which_estimate_each_value_feeds(client):
    page = client.get("/training", query_string=TRAINING).get_data(as_text=True)
    table = page.split('id="assumptions"', 1)[1].split("</table>", 1)[0]
    assert f"<th scope=\"col\" role=\"columnheader\">{html.escape(ASSUMPTION_VALUE_HEADING)}</th>" in table
    rows = {html.unescape(label): html.unescape(rest) for label, rest in
            re.findall(r'<th scope="row" role="rowheader">(.*?)</th>(.*?)</tr>', table, re.S)}
    assert "GPU board power (TDP)" in rows and "gpu tdp w" not in rows
    assert ">W</td>" in rows["GPU board power (TDP)"]
    # goodput's three values are those behind the low / mid / high estimate: highest first
    assert "0.822 / 0.657 / 0.434" in rows["Goodput (useful share of reserved GPU time)"]
    assert "kg CO₂ per kWh" in rows["Grid carbon intensity"]
    table = assumptions_table([{"name": "something_new_w", "value": 1, "unit": "W", "source": "x"}])
    assert table.rows[0].label == "Something new w"
