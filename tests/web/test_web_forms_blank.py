"""Blank means default (issue 14): a first visit fills in choices, never another model's numbers;
a number field says what leaving it empty means; worked examples are one-click links. Through
Flask's test client, submitting a form the way a browser does (every field, empty ones too)."""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urlsplit

import pytest

from estimator.app.web.forms import EXAMPLES, HARDWARE_EXAMPLES


class FormValues(HTMLParser):
    """The (name, value) pairs a browser sends for the page's estimate form, as first shown."""

    def __init__(self) -> None:
        super().__init__()
        self.pairs: list[tuple[str, str]] = []
        self._form = False
        self._select: str | None = None
        self._options: list[tuple[str, bool]] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and "estimate-form" in (a.get("class") or ""):
            self._form = True
        if not self._form:
            return
        if tag == "input" and a.get("type") in ("text", "hidden") and a.get("name"):
            self.pairs.append((a["name"], a.get("value") or ""))
        elif tag == "input" and a.get("type") == "checkbox" and "checked" in a:
            self.pairs.append((a["name"], a.get("value") or ""))
        elif tag == "select":
            self._select, self._options = a["name"], []
        elif tag == "option" and self._select:
            self._options.append((a.get("value") or "", "selected" in a))

    def handle_endtag(self, tag):
        if tag == "select" and self._select:
            chosen = [v for v, s in self._options if s] or [self._options[0][0]]
            self.pairs.append((self._select, chosen[0]))
            self._select = None
        if tag == "form":
            self._form = False


def form_of(page: str) -> list[tuple[str, str]]:
    parser = FormValues()
    parser.feed(page)
    assert parser.pairs
    return parser.pairs


def submit(client, url, pairs):
    response = client.get(url, query_string=pairs, follow_redirects=True)
    return response.status_code, response.get_data(as_text=True)


def figures(page: str) -> dict[str, str]:
    return {html.unescape(k): html.unescape(v) for k, v in re.findall(r'data-key="([^"]+)" data-value="([^"]*)"', page)}


def test_choosing_deepseek_on_the_training_form_estimates_deepseek_on_its_own_tokens(client, seeds_catalog):
    """The form used to be pre-filled with Llama 3.1 405B's 15.6e12 tokens and 16,384 GPUs, so
    choosing DeepSeek-V3 silently estimated it on those. Now only the model and GPU change; the
    tokens are DeepSeek-V3's published 14.8T (seeds/models.csv) and the GPUs those that finish the
    run in the default 90 days, both said in the warnings."""
    pairs = form_of(client.get("/training").get_data(as_text=True))
    assert dict(pairs)["tokens"] == "" and dict(pairs)["gpus"] == ""
    changed = [(k, {"model": "deepseek-v3", "hardware": "h800-sxm"}.get(k, v)) for k, v in pairs]
    status, page = submit(client, "/training", changed)
    assert status == 200
    shown = figures(page)
    assert float(shown["tokens"]) == seeds_catalog.models["deepseek-v3"].training_tokens == 14.8e12
    assert 89 < float(shown["wall_clock_days.mid"]) <= 90
    text = html.unescape(page)
    assert "No 'tokens' given: used DeepSeek-V3's published 1.48e+13 pre-training tokens." in text
    assert "the fleet is sized to finish in 90 days, the default deadline" in text


def test_the_serving_form_sends_no_load_or_targets_unless_given(client):
    pairs = form_of(client.get("/inference").get_data(as_text=True))
    status, page = submit(client, "/inference", pairs)
    assert status == 200
    permalink = html.unescape(re.search(r'<a href="([^"]+)"[^>]*id="permalink"', page).group(1))
    assert parse_qsl(urlsplit(permalink).query) == [("model", "deepseek-v3"), ("hardware", "h200-sxm"),
                                                    ("precision", "fp8")]


@pytest.mark.parametrize(("url", "query"), [("/compare", {"workload": "training"}), ("/compare/hardware", {}),
                                            ("/compare/hardware", {"workload": "training"})])
def test_the_comparison_forms_fill_in_choices_only(client, url, query):
    pairs = dict(form_of(client.get(url, query_string=query).get_data(as_text=True)))
    for name in ("tokens", "gpus", "requests_per_s", "ttft_ms", "tpot_ms", "input_tokens", "output_tokens"):
        assert pairs.get(name, "") == "", name


def test_empty_number_fields_say_what_empty_means(client):
    page = client.get("/training").get_data(as_text=True)
    assert 'placeholder="90 when no GPUs are given"' in page
    assert "Leave it and the deadline empty for a 90-day deadline." in page
    assert "Leave a field empty for its default: the hint under it says what that is." in page


@pytest.mark.parametrize(("url", "query", "examples"), [
    ("/training", {}, EXAMPLES["training"]),
    ("/inference", {}, EXAMPLES["inference"]),
    ("/compare/hardware", {"workload": "training"}, HARDWARE_EXAMPLES["training"]),
])
def test_each_worked_example_is_one_click(client, url, query, examples):
    page = client.get(url, query_string=query).get_data(as_text=True)
    hrefs = [html.unescape(h) for h in re.findall(r'<a class="preset-link" href="([^"]+)"', page)]
    assert len(hrefs) == len(examples)
    for href, example in zip(hrefs, examples, strict=True):
        assert set(example.values.items()) <= set(parse_qsl(urlsplit(href).query))
        response = client.get(href)
        assert response.status_code == 200  # canonical already: no redirect
        assert 'id="result-title"' in response.get_data(as_text=True)
