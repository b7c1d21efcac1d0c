"""The pages in a real browser: Debian's chromium driven by Playwright, with JavaScript off.

The app runs in a thread (werkzeug's ``make_server`` on 127.0.0.1 and a free port). Every
request the page makes goes through a route handler that lets loopback addresses through and
records and aborts anything else; a test with such a request fails. Chromium is launched from
``/usr/bin/chromium`` (``apt-get install chromium``; ``.ci/run`` installs it): never
``playwright install``, which downloads a browser of its own.

Without playwright or chromium (a laptop) these tests skip, saying why; with
``ESTIMATOR_REQUIRE_BROWSER=1`` (set by ``.ci/run``) they fail instead. Screenshots at laptop
and phone widths go to ``test-output/browser/`` (or ``$ESTIMATOR_TEST_OUTPUT/browser/``), which
git ignores, for a person to look at.
"""

from __future__ import annotations

import csv
import io
import ipaddress
import os
import re
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from werkzeug.serving import make_server

from estimator.app import create_app

CHROMIUM = os.environ.get("ESTIMATOR_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
REQUIRE = os.environ.get("ESTIMATOR_REQUIRE_BROWSER") == "1"
OUTPUT = (
    Path(os.environ.get("ESTIMATOR_TEST_OUTPUT") or Path(__file__).resolve().parents[2] / "test-output") / "browser"
)
VIEWPORTS = {"laptop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}
ARTICLE_MODELS = ("Llama 3.1 405B", "DeepSeek-V3", "Mistral Large 2 (2407)")
ADMIN_TOKEN = "browser-test-token"


def browser_missing() -> str | None:
    """Why the browser tests cannot run here, or None."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is not installed: .venv/bin/pip install -e '.[test]'"
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        return f"no chromium at {CHROMIUM}: apt-get install chromium (never 'playwright install')"
    return None


def is_loopback(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class NetworkGuard:
    """A Playwright route handler: loopback requests go on, any other is recorded and aborted."""

    def __init__(self) -> None:
        self.blocked: list[str] = []

    def __call__(self, route: Any) -> None:
        url = route.request.url
        if is_loopback(url) or url.startswith(("data:", "blob:", "about:")):
            route.continue_()
        else:
            self.blocked.append(url)
            route.abort()


# --- Fixtures ------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    missing = browser_missing()
    if missing:
        if REQUIRE:
            pytest.fail(f"ESTIMATOR_REQUIRE_BROWSER=1 but {missing}")
        pytest.skip(missing)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def live_server(tmp_path_factory) -> Iterator[str]:
    """The app on 127.0.0.1 and a free port, served from a thread. Its pricing store is a SQLite
    file (an in-memory one serves one thread only), and writes need ``ADMIN_TOKEN``."""
    database = tmp_path_factory.mktemp("browser-store") / "pricing.sqlite3"
    config = {"TESTING": True, "DATABASE_URL": f"sqlite:///{database}", "ADMIN_TOKEN": ADMIN_TOKEN}
    server = make_server("127.0.0.1", 0, create_app(config), threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)


@pytest.fixture
def open_page(browser, live_server, request) -> Iterator[Any]:
    """``open_page(viewport="laptop")``: a new page with JavaScript off and the network guard on.
    The test fails if any page asked for a non-loopback address or logged a console error (a
    Content-Security-Policy violation, a missing file)."""
    contexts: list[Any] = []
    guard = NetworkGuard()
    seen: list[str] = []

    def make(viewport: str = "laptop") -> Any:
        context = browser.new_context(
            viewport=VIEWPORTS[viewport], java_script_enabled=False, base_url=live_server, accept_downloads=True
        )
        context.route("**/*", guard)
        context.on("request", lambda r: seen.append(r.url))
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(20_000)
        page.on(
            "console", lambda m: errors.append(m.text) if m.type == "error" and "status of 422" not in m.text else None
        )
        return page

    # e.g. "Refused to apply inline style because it violates … Content Security Policy" (a form page
    # answered with 422 is logged too: that one is expected)
    errors: list[str] = []
    yield make
    for context in contexts:
        context.close()
    assert guard.blocked == [], f"requests to non-loopback addresses: {guard.blocked}"
    assert errors == [], f"console errors (CSP violations, missing files): {errors}"
    assert all(is_loopback(u) or u.startswith(("data:", "about:")) for u in seen), seen


def screenshot(page: Any, name: str) -> Path:
    OUTPUT.mkdir(parents=True, exist_ok=True)
    path = OUTPUT / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def figures(page: Any) -> dict[str, str]:
    """data-key -> data-value of every figure on the page."""
    cells = page.locator("[data-key]")
    return {
        cells.nth(i).get_attribute("data-key"): cells.nth(i).get_attribute("data-value") for i in range(cells.count())
    }


# --- Tests ---------------------------------------------------------------------------------------------
def test_guard_lets_loopback_through_and_aborts_the_rest():
    class Route:
        def __init__(self, url: str) -> None:
            self.request = type("Request", (), {"url": url})()
            self.done = ""

        def continue_(self) -> None:
            self.done = "continued"

        def abort(self) -> None:
            self.done = "aborted"

    guard = NetworkGuard()
    for url, done in [
        ("http://127.0.0.1:5000/training", "continued"),
        ("http://127.8.9.10/", "continued"),
        ("http://localhost/x", "continued"),
        ("http://[::1]:80/", "continued"),
        ("https://cdn.example.com/chart.js", "aborted"),
        ("http://10.0.0.1/", "aborted"),
        ("http://192.168.1.1/", "aborted"),
        ("http://127.0.0.1.example.com/", "aborted"),
    ]:
        route = Route(url)
        guard(route)
        assert route.done == done, url
    assert guard.blocked == [
        "https://cdn.example.com/chart.js",
        "http://10.0.0.1/",
        "http://192.168.1.1/",
        "http://127.0.0.1.example.com/",
    ]


@pytest.mark.parametrize("viewport", ["laptop", "phone"])
def test_fill_the_estimate_form_and_see_the_table_and_the_chart(open_page, viewport):
    page = open_page(viewport)
    page.goto("/training")
    page.get_by_label("Model", exact=True).select_option("llama-3.1-70b")
    page.get_by_label("GPU", exact=True).select_option("h100-sxm")
    page.get_by_label(re.compile(r"^Training tokens")).fill("15,000,000,000,000")
    page.get_by_label(re.compile(r"^GPUs \(")).fill("2048")
    page.get_by_role("button", name="Estimate the run").click()
    page.wait_for_url(re.compile(r"/training\?model=llama-3.1-70b&hardware=h100-sxm&tokens=15%2C000"))

    assert page.get_by_role("heading", name="Result", exact=True).is_visible()
    assert page.locator(".headline").inner_text().startswith("Llama 3.1 70B trained on 15 trillion tokens with 2,048")
    table = page.get_by_role("table", name="Compute and time")
    assert not table.is_visible()  # folded: the first screen is the answer
    page.locator("summary", has_text="Compute and time").click()  # a <details>: no script needed
    assert table.is_visible()
    assert table.locator("td[data-key='gpu_hours.mid']").inner_text().endswith("million")
    assert page.locator("td.num").first.evaluate("e => getComputedStyle(e).textAlign") == "right"
    chart = page.get_by_role("img", name=re.compile(r"^Cost of the run \(USD\)"))
    assert chart.is_visible()
    assert chart.locator("rect.chart-bar").count() == 2
    box = chart.bounding_box()
    assert box and 0 < box["x"] and box["x"] + box["width"] <= VIEWPORTS[viewport]["width"]
    assert page.evaluate("document.documentElement.scrollWidth") <= VIEWPORTS[viewport]["width"]  # no sideways scroll
    screenshot(page, f"training-result-{viewport}")


def test_the_article_preset_shows_three_models(open_page):
    page = open_page("laptop")
    page.goto("/compare")
    page.get_by_role("link", name=re.compile(r"^article ")).click()
    page.wait_for_url(re.compile(r"/compare\?workload=inference&preset=article"))
    assert "3 models estimated" in page.locator(".headline").inner_text()
    cards = page.locator(".model-card")
    assert cards.locator("h4").all_inner_texts() == ["Llama 3.1 405B baseline", *ARTICLE_MODELS[1:]]
    assert cards.first.locator("dt").all_inner_texts() == [
        "GPUs in the fleet", "GPU-hours per day", "Facility power to supply", "Energy per day",
        "Cost per million output tokens",
    ]
    table = page.get_by_role("table", name="Headline figures per model (mid estimates)")
    assert table.locator("tbody th").all_inner_texts() == list(ARTICLE_MODELS)
    charts = page.get_by_role("img")
    assert charts.count() == 5
    for i in range(charts.count()):
        assert charts.nth(i).locator("text.chart-label").all_text_contents() == list(ARTICLE_MODELS)
    screenshot(page, "compare-article-laptop")
    phone = open_page("phone")
    phone.goto(page.url)
    assert phone.evaluate("document.documentElement.scrollWidth") <= VIEWPORTS["phone"]["width"]
    screenshot(phone, "compare-article-phone")


@pytest.mark.parametrize("viewport", ["laptop", "phone"])
def test_open_one_models_details_on_the_compare_page(open_page, viewport):
    page = open_page(viewport)
    page.goto("/compare?workload=training&preset=article&hardware=h100-sxm&tokens=15e12&gpus=16384")
    details = page.locator("details.model-details")
    assert details.count() == 3
    assert all(not details.nth(i).evaluate("e => e.open") for i in range(3))  # closed until asked for
    assumptions = page.get_by_role("table", name=re.compile(r"^DeepSeek-V3: Assumptions"))
    assert not assumptions.is_visible()
    details.nth(1).locator("summary").click()  # <details> opens without script
    assert details.nth(1).evaluate("e => e.open")
    assert assumptions.is_visible()
    assert assumptions.locator("tbody tr").count() > 10
    sources = assumptions.locator("td.source").all_inner_texts()
    assert any("pricing table seed" in s for s in sources) and all(sources)
    prices = page.get_by_role("table", name=re.compile(r"^DeepSeek-V3: Prices used, from pricing table seed"))
    assert prices.is_visible() and prices.locator("tbody tr").count() > 5
    compute = page.get_by_role("table", name="DeepSeek-V3: Compute and time")
    assert compute.locator("thead th").all_inner_texts() == ["Figure", "Unit", "Low", "Mid", "High"]
    assert compute.locator("td[data-key='rows.1.gpu_hours.mid']").is_visible()
    assert not page.get_by_role("table", name=re.compile(r"^Llama 3.1 405B: Assumptions")).is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= VIEWPORTS[viewport]["width"]
    screenshot(page, f"compare-training-details-{viewport}")
    OUTPUT.mkdir(parents=True, exist_ok=True)
    page.locator(".model-cards").screenshot(path=str(OUTPUT / f"compare-training-cards-{viewport}.png"))


def test_the_permalink_reproduces_the_result(open_page):
    page = open_page("laptop")
    page.goto("/inference")
    page.get_by_label(re.compile(r"^Load \(requests")).fill("35")
    page.get_by_role("button", name="Estimate serving").click()
    page.wait_for_url(re.compile(r"requests_per_s=35"))
    shown = figures(page)
    assert shown
    permalink = page.locator("#permalink").get_attribute("href")
    assert permalink and permalink.startswith("/inference?") and "requests_per_s=35" in permalink

    other = open_page("phone")
    other.goto(permalink)
    assert figures(other) == shown
    assert other.get_by_label(re.compile(r"^Load \(requests")).input_value() == "35"
    screenshot(other, "inference-permalink-phone")


def test_download_the_csv(open_page):
    page = open_page("laptop")
    page.goto("/training")
    page.get_by_role("button", name="Estimate the run").click()  # the defaults: one click
    page.wait_for_url(re.compile(r"/training\?"))
    with page.expect_download() as info:
        page.locator("#download-csv").click()
    download = info.value
    assert download.suggested_filename == "training-llama-3.1-405b.csv"
    rows = list(csv.DictReader(io.StringIO(Path(download.path()).read_text(encoding="utf-8-sig"))))
    by_key = {r["key"]: r for r in rows if r["key"]}
    shown = page.locator("td[data-key='gpu_hours.mid']").get_attribute("data-value")
    assert float(by_key["gpu_hours.mid"]["value"]) == pytest.approx(float(shown))
    assert rows[0]["row"] == "Permalink" and "/training?" in rows[0]["value"]


def test_invalid_input_is_shown_next_to_the_field(open_page):
    page = open_page("phone")
    page.goto("/training")
    page.get_by_label(re.compile(r"^Training tokens")).fill("-1")
    page.get_by_role("button", name="Estimate the run").click()
    page.wait_for_url(re.compile(r"tokens=-1"))
    summary = page.get_by_role("alert")
    assert "There is a problem" in summary.inner_text()
    error = page.locator("#field-tokens-error")
    assert error.text_content() == "Error: Must be greater than 0."  # "Error: " for screen readers only
    box, field = error.bounding_box(), page.get_by_label(re.compile(r"^Training tokens")).bounding_box()
    assert box and field and 0 < field["y"] - box["y"] < 120  # right above its box
    assert page.get_by_label(re.compile(r"^Training tokens")).get_attribute("aria-invalid") == "true"
    summary.get_by_role("link").first.click()  # the summary's link moves focus to the field
    assert page.evaluate("document.activeElement.id") == "field-tokens"
    screenshot(page, "training-error-phone")


def test_a_custom_model_without_javascript(open_page):
    page = open_page("laptop")
    page.goto("/inference")
    page.get_by_label("Model", exact=True).select_option("custom")
    page.locator("summary", has_text="Custom model").click()  # <details> opens without script
    page.get_by_label(re.compile(r"^Name")).first.fill("Team model")
    page.get_by_label(re.compile(r"^Parameters \(all")).fill("8e9")
    page.get_by_label(re.compile(r"^Layers \(")).fill("32")
    page.get_by_label(re.compile(r"^Key/value heads")).fill("8")
    page.get_by_label(re.compile(r"^Head width")).fill("128")
    page.get_by_label(re.compile(r"^Query heads")).fill("32")
    page.get_by_role("button", name="Estimate serving").click()
    page.wait_for_url(re.compile(r"model=custom"))
    assert page.locator(".headline").inner_text().startswith("Team model on NVIDIA H200")
    screenshot(page, "inference-custom-model-laptop")


def test_keyboard_skip_link_comes_first(open_page):
    page = open_page("laptop")
    page.goto("/training")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to the content"
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    # after skipping, the next stop is inside the main content: the first form control
    assert page.evaluate("document.activeElement.closest('main') !== null")


# --- The pricing page ----------------------------------------------------------------------------------
GPU_COLUMNS = ("provider", "region", "gpu", "pricing_model", "usd_per_gpu_hour", "product", "effective_date", "source")


def workbook(path: Path, sheets: dict[str, list[tuple[Any, ...]]]) -> Path:
    """An xlsx file with a sheet per table: a header row, then the rows."""
    import openpyxl

    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(list(row))
    book.save(path)
    return path


def gpu_workbook(path: Path, price: float, source: str) -> Path:
    row = ("Browser Cloud", "", "h100-sxm", "on_demand", price, "8x H100", "2025-06-01", source)
    return workbook(path, {"gpu_prices": [GPU_COLUMNS, row]})


def upload_file(page: Any, name: str, path: Path, *, token: str = ADMIN_TOKEN) -> None:
    page.goto("/pricing")
    page.get_by_label("Table name").fill(name)
    page.get_by_label("File", exact=True).set_input_files(str(path))
    page.get_by_label("Admin token").fill(token)
    page.get_by_role("button", name="Upload and check").click()


@pytest.mark.parametrize("viewport", ["laptop", "phone"])
def test_upload_a_broken_workbook_and_see_its_row_errors(open_page, tmp_path, viewport):
    broken = workbook(tmp_path / "broken.xlsx", {
        "gpu_prices": [
            GPU_COLUMNS,
            ("Browser Cloud", "", "h100-sxm", "on_demand", 2.5, "", "2025-06-01", "Quote 1"),
            ("Browser Cloud", "", "h999-imaginary", "on_demand", -3, "", "2025-06-01", "Quote 2"),
            ("Browser Cloud", "", "h200-sxm", "hourly", 3.1, "", "2025-06-01", ""),
        ],
        "energy": [("region", "usd_per_kwh", "effective_date", "source"), ("Texas", "cheap", "2025-01-01", "EIA")],
    })
    page = open_page(viewport)
    upload_file(page, f"broken-{viewport}", broken)
    page.wait_for_load_state()
    assert page.title().startswith("Error: Pricing tables")
    assert "There is a problem" in page.get_by_role("alert").inner_text()
    table = page.get_by_role("table", name=re.compile(r"^5 problems in broken\.xlsx; nothing was imported"))
    assert table.is_visible()
    rows = [[c.strip() for c in r.locator("td").all_inner_texts()] for r in table.locator("tbody tr").all()]
    assert [r[:4] for r in rows] == [
        ["gpu_prices", "3", "gpu (C)", "h999-imaginary"],
        ["gpu_prices", "3", "usd_per_gpu_hour (E)", "-3"],
        ["gpu_prices", "4", "pricing_model (D)", "hourly"],
        ["gpu_prices", "4", "source (H)", "blank"],
        ["energy", "2", "usd_per_kwh (B)", "cheap"],
    ]
    assert all(r[4] for r in rows)  # every problem says what is wrong
    # next to what it concerns: the table is right under the file field
    field, box = page.get_by_label("File", exact=True).bounding_box(), table.bounding_box()
    assert field and box and 0 < box["y"] - field["y"] < 150
    assert page.get_by_label("Table name").input_value() == f"broken-{viewport}"  # kept; the token is not
    assert page.get_by_label("Admin token").input_value() == ""
    assert page.evaluate("document.documentElement.scrollWidth") <= VIEWPORTS[viewport]["width"]
    screenshot(page, f"pricing-upload-errors-{viewport}")
    page.goto("/pricing")
    assert page.get_by_role("heading", name=f"broken-{viewport}").count() == 0  # nothing was imported


def test_upload_a_good_workbook_and_the_next_estimate_uses_it(open_page, tmp_path):
    page = open_page("laptop")
    upload_file(page, "browser-quotes", gpu_workbook(tmp_path / "quotes-v1.xlsx", 1.5, "Browser quote v1"))
    page.wait_for_url(re.compile(r"/pricing/browser-quotes$"))
    confirmation = page.get_by_role("status")
    assert "Imported version 1 of browser-quotes" in confirmation.inner_text()
    with page.expect_navigation():
        confirmation.get_by_role("link", name="training run").click()
    assert "pricing_table=browser-quotes%401" in page.url
    page.locator("#prices-fold > summary").click()  # the prices are folded under the answer
    prices = page.get_by_role("table", name="Prices used, from pricing table browser-quotes, version 1")
    assert "Browser quote v1" in prices.inner_text()

    # a second version, active at once: the next estimate naming the table uses it
    upload_file(page, "browser-quotes", gpu_workbook(tmp_path / "quotes-v2.xlsx", 1.25, "Browser quote v2"))
    page.wait_for_url(re.compile(r"/pricing/browser-quotes$"))
    assert "Imported version 2 of browser-quotes" in page.get_by_role("status").inner_text()
    assert page.locator("table.versions tbody th").all_inner_texts() == ["2 active", "1"]
    screenshot(page, "pricing-table-laptop")
    phone = open_page("phone")
    phone.goto(page.url)
    assert phone.evaluate("document.documentElement.scrollWidth") <= VIEWPORTS["phone"]["width"]
    screenshot(phone, "pricing-table-phone")

    page.goto("/training")
    page.get_by_label(re.compile(r"^Pricing table")).select_option("browser-quotes")
    page.get_by_role("button", name="Estimate the run").click()
    page.wait_for_url(re.compile(r"pricing_table=browser-quotes$"))
    assert "pricing_table=browser-quotes%402" in (page.locator("#permalink").get_attribute("href") or "")  # pinned
    page.locator("#prices-fold > summary").click()  # the prices are folded under the answer
    prices = page.get_by_role("table", name="Prices used, from pricing table browser-quotes, version 2")
    rent = prices.locator("tr", has_text="Browser quote v2")
    assert rent.count() == 1 and "1.25" in rent.inner_text()
    assert "Browser quote v1" not in prices.inner_text()
    OUTPUT.mkdir(parents=True, exist_ok=True)
    prices.screenshot(path=str(OUTPUT / "pricing-estimate-prices-used-laptop.png"))  # the part to look at

    page.goto("/pricing")
    assert page.get_by_role("heading", name=re.compile(r"^browser-quotes")).is_visible()
    screenshot(page, "pricing-overview-laptop")
    phone.goto("/pricing")
    assert phone.evaluate("document.documentElement.scrollWidth") <= VIEWPORTS["phone"]["width"]
    screenshot(phone, "pricing-overview-phone")


def test_roll_back_in_the_browser(open_page, tmp_path):
    page = open_page("laptop")
    for n, price in ((1, 2.0), (2, 2.5)):
        upload_file(page, "browser-rollback", gpu_workbook(tmp_path / f"r{n}.xlsx", price, f"Rollback quote {n}"))
        page.wait_for_url(re.compile(r"/pricing/browser-rollback$"))
    page.get_by_label("Admin token").fill(ADMIN_TOKEN)
    page.get_by_role("button", name="Roll back the last activation").click()
    page.wait_for_url(re.compile(r"/pricing/browser-rollback$"))
    assert "version 1 of browser-rollback is active again" in page.get_by_role("status").inner_text()
    assert page.locator("table.versions tbody th").all_inner_texts() == ["2", "1 active"]


# --- Layout at phone and laptop width (issue 14) ----------------------------------------------------------
RESULT_PAGES = {
    "training": "/training?model=llama-3.1-70b&hardware=h100-sxm&gpus=1024",
    "serving": "/inference?model=deepseek-v3&hardware=h200-sxm&precision=fp8&requests_per_s=20&tpot_ms=50",
    "compare": "/compare?workload=inference&preset=article&hardware=h200-sxm&precision=fp8&requests_per_s=20",
    "gpus": "/compare/hardware?workload=inference&model=llama-3.1-70b&hardware=all&requests_per_s=20&tpot_ms=50",
}
#: Every visible table cell: cut off inside its own box (text wider than the cell), or past the
#: window's edge without a scrolling container; and every scrolling container without its cue.
CLIPPED = """() => {
  const problems = [];
  for (const cell of document.querySelectorAll('td, th')) {
    const box = cell.getBoundingClientRect();
    if (box.width === 0 || !cell.checkVisibility()) continue;
    const head = cell.closest('thead');
    if (head && getComputedStyle(head).position === 'absolute') continue;  // a stacked table's hidden headings
    const wrap = cell.closest('.table-wrap');
    const scrolls = wrap && wrap.scrollWidth > wrap.clientWidth && getComputedStyle(wrap).overflowX === 'auto';
    if (cell.scrollWidth > cell.clientWidth + 1) problems.push(['cut inside the cell', cell.textContent.trim().slice(0, 40)]);
    else if (box.right > innerWidth + 0.5 && !scrolls) problems.push(['past the edge', cell.textContent.trim().slice(0, 40)]);
  }
  for (const wrap of document.querySelectorAll('.table-wrap')) {
    if (!wrap.checkVisibility() || wrap.scrollWidth <= wrap.clientWidth) continue;
    if (wrap.getBoundingClientRect().right > innerWidth + 0.5) problems.push(['scroller past the edge', wrap.id]);
    if (!getComputedStyle(wrap).backgroundImage.includes('radial-gradient')) problems.push(['no scroll cue', wrap.id]);
    if (wrap.getAttribute('tabindex') !== '0') problems.push(['cannot scroll by keyboard', wrap.id]);
  }
  return problems;
}"""


def open_every_fold(page: Any) -> None:
    """Open every <details> (the test's own script: the page has none)."""
    page.evaluate("document.querySelectorAll('details').forEach(d => { d.open = true; })")


@pytest.mark.parametrize("viewport", ["phone", "laptop"])
@pytest.mark.parametrize("name", list(RESULT_PAGES))
def test_no_table_cell_is_clipped_and_the_answer_is_on_the_first_screen(open_page, viewport, name):
    page = open_page(viewport)
    page.goto(RESULT_PAGES[name])
    height = VIEWPORTS[viewport]["height"]
    headline, change = page.locator(".headline"), page.locator("#change-inputs")
    for element in (page.get_by_role("heading", name="Result", exact=True), headline, change):
        box = element.bounding_box()
        assert box and box["y"] >= 0 and box["y"] + box["height"] <= height, (element, box)
    screenshot(page, f"first-screen-{name}-{viewport}")
    open_every_fold(page)  # folded tables too, once opened
    assert page.evaluate(CLIPPED) == []
    assert page.evaluate("document.documentElement.scrollWidth") <= VIEWPORTS[viewport]["width"]
    change.click()  # an in-page link: the form's heading comes into view
    box = page.get_by_role("heading", name="Change the inputs").bounding_box()
    assert box and -1 <= box["y"] < height  # at the top of the window (sub-pixel scrolling)


def test_the_catalog_fits_a_laptop_and_scrolls_with_a_cue_on_a_phone(open_page):
    laptop = open_page("laptop")
    laptop.goto("/catalog")
    assert laptop.evaluate(CLIPPED) == []
    assert laptop.evaluate("[...document.querySelectorAll('.table-wrap')].filter(w => w.scrollWidth > w.clientWidth)"
                           ".length") == 0  # every column, Source included, shows at 1280 px
    phone = open_page("phone")
    phone.goto("/catalog")
    assert phone.evaluate(CLIPPED) == []
    assert phone.evaluate("[...document.querySelectorAll('.table-wrap')].filter(w => w.scrollWidth > w.clientWidth)"
                          ".length") == 3  # hardware, models, API prices: scroll sideways, with the cue
    screenshot(phone, "catalog-phone")


@pytest.mark.parametrize("viewport", ["phone", "laptop"])
def test_chart_labels_end_inside_the_chart(open_page, viewport):
    """Rendered text, measured by the browser: every label of the ranked GPU charts ('13. NVIDIA GB300
    (per Blackwell Ultra GPU in NVL72), fp4') ends inside its SVG's viewBox."""
    page = open_page(viewport)
    page.goto(RESULT_PAGES["gpus"])
    overflow = page.evaluate("""() => [...document.querySelectorAll('svg.chart')].flatMap(svg => {
        const width = svg.viewBox.baseVal.width;
        return [...svg.querySelectorAll('text.chart-label')]
          .map(t => [t.textContent, t.getBBox().x + t.getBBox().width, width])
          .filter(([, end, w]) => end > w);
      })""")
    assert page.locator("svg.chart text.chart-label").count() > 20
    assert overflow == []
    charts = page.locator("svg.chart")
    widths = [charts.nth(i).bounding_box()["width"] for i in range(charts.count())]
    main = page.locator("main").bounding_box()["width"]
    # phone: the whole width; laptop: the row shared by as many charts as fit
    assert min(widths) >= (main - 40 if viewport == "phone" else 340)
    page.goto(RESULT_PAGES["training"])  # two charts share a laptop's row: wider than the old 28rem (448 px) cap
    charts = page.locator("svg.chart")
    widths = [charts.nth(i).bounding_box()["width"] for i in range(charts.count())]
    assert len(widths) == 2 and min(widths) >= (main - 40 if viewport == "phone" else 500)
