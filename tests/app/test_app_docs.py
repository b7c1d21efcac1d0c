"""Nothing loads from the internet: the docs page, templates and static files stay local."""

from __future__ import annotations

import hashlib
import importlib.util
import os
import re
from pathlib import Path

import pytest

import estimator.app

APP_DIR = Path(estimator.app.__file__).parent
VENDORED_DIR = APP_DIR / "static" / "swagger-ui"
URL = re.compile(rb"https?://", re.IGNORECASE)


def vendored_hashes() -> dict[str, str]:
    """file -> sha256 from the table in VENDORED.md."""
    text = (VENDORED_DIR / "VENDORED.md").read_text(encoding="utf-8")
    return dict(re.findall(r"^\| ([\w.-]+) \| ([0-9a-f]{64}) \|$", text, re.MULTILINE))


def own_files() -> list[Path]:
    """Every template and static file except the pinned, unchanged third-party files."""
    pinned = {VENDORED_DIR / name for name in vendored_hashes()} | {
        VENDORED_DIR / name for name in ("LICENSE", "NOTICE", "swagger-ui-bundle.js.LICENSE.txt")
    }
    files = [p for d in ("templates", "static") for p in (APP_DIR / d).rglob("*") if p.is_file()]
    return [p for p in files if p not in pinned]


def test_templates_and_static_files_reference_no_remote_url():
    files = own_files()
    assert any(p.suffix == ".html" for p in files) and any(p.suffix == ".js" for p in files)
    offenders = [str(p.relative_to(APP_DIR)) for p in files if URL.search(p.read_bytes())]
    assert offenders == []


@pytest.mark.parametrize("name", ["swagger-ui.css", "swagger-ui-bundle.js"])
def test_vendored_files_are_unchanged(name):
    digest = hashlib.sha256((VENDORED_DIR / name).read_bytes()).hexdigest()
    assert digest == vendored_hashes()[name]


def test_docs_page_loads_only_local_files(client):
    response = client.get("/api/v1/docs")
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    assert response.headers["Content-Security-Policy"] == "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'"
    page = response.get_data(as_text=True)
    assert not URL.search(page.encode())
    assert "<script>" not in page and "style=" not in page  # nothing inline for CSP to block
    assets = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert sorted(assets) == [
        "/static/api-docs.js",
        "/static/swagger-ui/swagger-ui-bundle.js",
        "/static/swagger-ui/swagger-ui.css",
    ]
    for asset in assets:
        with client.get(asset) as served:
            assert served.status_code == 200, asset
    assert 'data-spec-url="/api/v1/openapi.json"' in page


def test_swagger_ui_never_calls_the_online_validator():
    script = (APP_DIR / "static" / "api-docs.js").read_text(encoding="utf-8")
    assert re.search(r"validatorUrl:\s*null", script)


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("/api/docs", "/api/v1/docs"),
        ("/api/openapi.json", "/api/v1/openapi.json"),
        ("/api/openapi.json?x=1", "/api/v1/openapi.json?x=1"),
    ],
)
def test_old_docs_addresses_redirect_permanently(client, old, new):
    response = client.get(old)
    assert response.status_code == 308
    assert response.headers["Location"] == new
    assert response.get_data() == b""
    assert client.get(old, follow_redirects=True).status_code == 200


CHROMIUM = Path("/usr/bin/chromium")  # Debian's; never a browser downloaded by playwright
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture
def live_server():
    """The app on a free loopback port, in a thread (werkzeug's server: enough for one browser)."""
    import threading

    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, estimator.app.create_app({"TESTING": True}), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)


def test_docs_page_in_a_browser_requests_only_this_server(live_server):
    """Swagger UI renders every operation, and every request the page makes (scripts, styles, the
    document, anything the bundle would fetch, such as the online validator) goes to this server."""
    if not CHROMIUM.exists() or importlib.util.find_spec("playwright") is None:
        if os.environ.get("ESTIMATOR_REQUIRE_BROWSER") == "1":  # set by .ci/run
            pytest.fail(f"ESTIMATOR_REQUIRE_BROWSER=1 but {CHROMIUM} or playwright is missing")
        pytest.skip(f"needs {CHROMIUM} and playwright")
    from playwright.sync_api import sync_playwright

    requested: list[str] = []
    elsewhere: list[str] = []
    console_errors: list[str] = []  # a Content-Security-Policy violation shows up here

    def only_local(route):
        if route.request.url.startswith(live_server + "/"):
            route.continue_()
        else:  # recorded and refused, so a miss shows up here rather than as a call to the internet
            elsewhere.append(route.request.url)
            route.abort()

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            context = browser.new_context()
            context.route("**/*", only_local)
            page = context.new_page()
            page.on("request", lambda request: requested.append(request.url))
            page.on("console", lambda message: message.type == "error" and console_errors.append(message.text))
            page.goto(f"{live_server}/api/v1/docs")
            page.wait_for_selector(".opblock", timeout=20_000)
            paths = page.locator(".opblock-summary-path").all_inner_texts()
            page.locator(".opblock").first.click()  # expanding an operation fetches nothing either
            page.wait_for_timeout(300)
        finally:
            browser.close()

    assert elsewhere == []
    assert console_errors == []
    assert sorted(url.removeprefix(live_server) for url in requested) == [
        "/api/v1/docs",
        "/api/v1/openapi.json",
        "/static/api-docs.js",
        "/static/swagger-ui/swagger-ui-bundle.js",
        "/static/swagger-ui/swagger-ui.css",
    ]
    assert "/api/v1/estimates/training" in paths and "/api/v1/models/{model_id}" in paths
