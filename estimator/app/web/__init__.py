"""The HTML pages: a landing page, a form per estimate, and the catalog.

Server-rendered, no JavaScript, nothing from elsewhere (the stylesheet is ``static/site.css``,
the charts are inline SVG drawn by ``charts.py``). A form's values go through the JSON API's
request schemas and then the same core calls (``run.py``), so a page shows the numbers the API
returns; schema and core errors are shown next to the fields they concern, with status 422.

The estimate forms submit with GET, so a result's address reproduces it (its permalink). A
submitted query with empty or unused fields is redirected to its canonical form (non-empty
fields in form order), and a bare name of an uploaded pricing table in the permalink is pinned to
the version the result used. ``?format=csv`` or ``?format=xlsx`` on a result's address downloads
it (``export.py``). ``/compare/hardware`` ranks GPUs for one model (``hardware.py``: its tables,
ranked charts and download lines). The pricing page (``pricing.py``) lists the pricing tables and their versions
and uploads, activates and rolls them back; its state-changing forms carry a CSRF token (``csrf.py``).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, Flask, Response, current_app, redirect, render_template, request, url_for
from marshmallow import ValidationError
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response as BaseResponse

from estimator.compare import PRESETS
from estimator.cost import DEFAULT_MARKET, electricity_market
from estimator.errors import EstimatorError

from ..errors import ProblemError, problem_from_core, problem_from_messages
from ..run import run_compare, run_hardware_compare, run_inference, run_training
from ..state import Ready, ready_state
from . import batch, csrf, export, plans, present, pricing, summary
from . import hardware as gpu_page
from .charts import charts_html
from .forms import Option, build_form, default_query, examples

#: What a page view returns: the rendered page and its status, or a response (a redirect, a download).
Page = BaseResponse | tuple[str, int]

bp = Blueprint("web", __name__)
pricing.register(bp)  # the pricing page (pricing.py)
plans.register(bp)  # the planning pages (plans.py)
batch.register(bp)  # the batch upload page (batch.py)

#: The site's navigation: (endpoint, label).
NAV = (
    ("web.index", "Home"),
    ("web.training", "Training"),
    ("web.inference", "Serving"),
    ("web.compare", "Compare"),
    ("web.plans", "Plan"),
    ("web.batch", "Batch"),
    ("web.pricing", "Pricing"),
    ("web.catalog", "Catalog"),
    ("docs.api_docs", "API"),
)
PAGES: dict[str, dict[str, Any]] = {
    "training": {
        "title": "Estimate a training run",
        "intro": "How many GPU-hours, GPUs, days, megawatt-hours, tonnes of CO₂ and dollars it takes to "
        "pre-train a model on a number of tokens.",
        "submit": "Estimate the run",
    },
    "inference": {
        "title": "Estimate serving a model",
        "intro": "How many GPUs it takes to serve a model at a load and latency, what a million tokens cost, "
        "next to the public API price where one is known, and the power and energy it draws.",
        "submit": "Estimate serving",
    },
    "compare": {
        "title": "Compare models",
        "intro": "Several models on the same hardware and workload, side by side, with each figure as a multiple "
        "of a baseline: how much more work the same compute buys.",
        "submit": "Compare",
    },
    "hardware": {
        "title": "Compare GPUs",
        "intro": "Which GPU for this workload: one model's training run or serving load on several GPUs, each at its "
        "best supported precision unless you choose one, ranked by the cost (or the figure you choose), with every "
        "figure's low-to-high range.",
        "submit": "Compare GPUs",
    },
}
#: The comparison pages (their workload comes from the query).
COMPARISONS = ("compare", "hardware")
_RUN: dict[str, Callable[[Ready, Mapping[str, Any]], dict[str, Any]]] = {
    "training": run_training,
    "inference": run_inference,
    "compare": run_compare,
    "hardware": run_hardware_compare,
}


@bp.app_context_processor
def _site() -> dict[str, Any]:
    return {"nav": NAV, "version": current_app.config["API_VERSION"]}


@bp.get("/")
def index() -> str:
    try:
        ready: Ready | None = ready_state()
    except ProblemError:  # the landing page needs no data; its one-click links do
        ready = None
    article: dict[str, str] = {}
    if ready is not None:
        article = {w: _preset_url(ready, w, "article") for w in ("inference", "training")}
        article["models"] = ", ".join(_names(ready).get(m, m) for m in PRESETS["article"])
    return render_template("index.html", pages=PAGES, article=article)


def _names(ready: Ready) -> dict[str, str]:
    return {
        **{h.id: h.name for h in ready.catalog.hardware.values()},
        **{m.id: m.name for m in ready.catalog.models.values()},
    }


SEED_TABLE = "seed"
FORMATS = ("csv", "xlsx")
log = logging.getLogger(__name__)


def pricing_table_options(ready: Ready) -> list[Option]:
    """The pricing tables an estimate can use: the built-in one (the default), then each stored
    table with an active version."""
    options = [Option("", "seed: the built-in prices, with their sources (default)")]
    if ready.store is None:
        return options
    try:
        tables = ready.store.tables()
    except Exception:  # a store that cannot be read must not take the estimate pages down
        log.exception("Could not list the pricing tables for the estimate forms")
        return options
    for table in tables:
        if table.active_version is not None:
            options.append(Option(table.name, f"{table.name}: active version {table.active_version}", "Uploaded"))
    return options


def estimate_choices(ready: Ready, submitted: Mapping[str, str] | None) -> dict[str, list[Option]]:
    """The options of the estimate forms' selects that depend on the app's state: the pricing tables,
    and the electricity markets of the table the form names (the seed table's when it names none or
    one that does not resolve: the estimate then reports that table's own error)."""
    book = ready.seed_book
    table = (submitted or {}).get("pricing_table") or None
    if table is not None:
        try:
            book = ready.price_book(table)
        except Exception:  # an unknown table or an unreadable store: the estimate says why
            book = ready.seed_book
    default = (f"Default: {DEFAULT_MARKET}" if electricity_market(book, None) is not None
               else "Default: every energy row of the table")
    markets = [Option("", default), *(Option(m, m) for m in book.markets())]
    return {"pricing_table": pricing_table_options(ready), "electricity_market": markets}


def _pinned(pairs: list[tuple[str, str]], result: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The permalink's query with a bare stored table name pinned to the version the result used,
    so the link keeps giving this result after another version is activated."""
    pricing = result.get("pricing")
    if not isinstance(pricing, Mapping) or pricing.get("version") is None:
        return pairs
    used = f"{pricing.get('table')}@{pricing.get('version')}"
    return [
        (k, used if k == "pricing_table" and v == pricing.get("table") and v != SEED_TABLE else v) for k, v in pairs
    ]


def _preset_url(ready: Ready, workload: str | None, name: str) -> str:
    """The canonical address of comparison preset ``name`` on the default ``workload``."""
    query = MultiDict(default_query("compare", workload, preset=name))
    form = build_form("compare", ready.catalog, query, workload)  # (no choices needed: only its query is used)
    return f"{url_for('web.compare')}?{urlencode(form.query())}"


def _preset_links(ready: Ready, workload: str | None) -> list[tuple[str, str, str]]:
    """(name, models, address) of each comparison preset run on the page's default workload."""
    links = []
    for name, models in PRESETS.items():
        label = " vs ".join(ready.catalog.models[m].name if m in ready.catalog.models else m for m in models)
        links.append((name, label, _preset_url(ready, workload, name)))
    return links


def _example_links(ready: Ready, kind: str, workload: str | None) -> list[tuple[str, str, str]]:
    """(title, what it shows, address) of each worked example of page ``kind`` (``forms.EXAMPLES``);
    the model comparison's are its presets."""
    if kind == "compare":
        return _preset_links(ready, workload)
    hidden = [("workload", workload)] if kind in COMPARISONS and workload else []
    links = []
    for example in examples(kind, workload):
        form = build_form(kind, ready.catalog, MultiDict(hidden + list(example.values.items())), workload)
        links.append((example.title, example.label, f"{url_for(request.endpoint or 'web.index')}?{urlencode(form.query())}"))
    return links


def _url(pairs: list[tuple[str, str]]) -> str:
    path = url_for(request.endpoint or "web.index")
    return f"{path}?{urlencode(pairs)}" if pairs else path


def _download(
    kind: str,
    fmt: str,
    values: Mapping[str, Any],
    result: Mapping[str, Any],
    permalink: str,
    tables: list[present.Table],
    names: Mapping[str, str],
    sections: list[present.ModelSection],
) -> Response:
    """The page's figures as one long table (``export.py``): every figure the page shows is in it."""
    records = export.header_records(request.host_url.rstrip("/") + permalink, values, current_app.config["API_VERSION"])
    if kind == "hardware":
        records += gpu_page.hardware_records(result, tables, sections, names)
    elif kind == "compare":
        records += export.comparison_records(result, names)
        records += export.model_records(result, sections)
        records += export.note_records("Models that cannot run this workload", present.comparison_errors(result, names))
        common, own = present.comparison_warnings(result, names)
        records += export.note_records("Warnings", [("All models", w) for w in common])
        records += export.note_records("Warnings", [(model, w) for model, ws in own for w in ws])
    else:
        records += export.estimate_records(result, tables)
        records += export.note_records("Warnings", [("", str(w)) for w in result.get("warnings", ())])
    subject = result.get("model") if kind != "compare" else result.get("workload")
    subject = f"{result.get('workload')}-{subject}" if kind == "hardware" else subject
    stem = re.sub(r"[^a-z0-9.-]+", "-", f"{kind}-{subject or 'estimate'}".lower()).strip("-")[:80]
    if fmt == "csv":
        body, mimetype = export.to_csv(records), "text/csv"
    else:
        body, mimetype = export.to_xlsx(records), export.XLSX_MIMETYPE
    response = current_app.response_class(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{stem}.{fmt}"'
    return response


def _estimate_page(kind: str) -> Page:
    ready = ready_state()
    args = request.args
    workload = args.get("workload") if kind in COMPARISONS else kind
    choices = estimate_choices(ready, args)  # once: it reads the store's tables and the named table's markets
    blank = build_form(kind, ready.catalog, None, workload, choices)
    submitted = blank.is_submission(args)
    form = build_form(kind, ready.catalog, args, workload, choices) if submitted else blank
    if kind in COMPARISONS:
        workload = form.hidden["workload"]
    fmt = args.get("format")
    if fmt is not None and fmt not in FORMATS:
        raise ProblemError(400, f"Unknown download format {fmt[:20]!r}: use csv or xlsx.")
    if fmt is not None and not submitted:
        raise ProblemError(400, "Nothing to download: fill in the form and use the download links under the result.")
    if submitted:
        canonical = form.query() + ([("format", fmt)] if fmt else [])
        if sorted(canonical) != sorted(args.items(multi=True)):
            return redirect(_url(canonical), 302)

    values: dict[str, Any] = {}
    result: dict[str, Any] | None = None
    if submitted:
        try:
            values = form.load()
            result = _RUN[kind](ready, values)
        except ValidationError as exc:
            form.add_problem(problem_from_messages(exc.messages))
        except ProblemError as exc:
            form.add_problem(exc)
        except EstimatorError as exc:
            form.add_problem(problem_from_core(exc))
    names = _names(ready)
    model = values.get("model")
    if result is not None and isinstance(model, Mapping):
        names[str(result.get("model"))] = str(model.get("name") or result.get("model"))
    hardware = values.get("hardware")
    if result is not None and isinstance(hardware, Mapping):
        shown = str(result.get("hardware") or (result.get("rows") or [{}])[0].get("hardware", ""))
        names[shown] = str(hardware.get("name") or shown)

    tables: list[present.Table] = []
    sections: list[present.ModelSection] = []
    row_errors: list[tuple[str, str]] = []
    warnings_common: list[str] = []
    warnings_own: list[tuple[str, list[str]]] = []
    permalink = ""
    if result is not None and kind == "hardware":
        first: Mapping[str, Any] = next((r["estimate"] for r in result.get("rows", ()) if "estimate" in r), {})
        permalink = _url(_pinned(form.query(), first))  # the rows' prices come from one table version
        tables = gpu_page.hardware_tables(result, names)
        sections = gpu_page.hardware_sections(result, names)
        row_errors = gpu_page.hardware_errors(result, names)
        warnings_common, warnings_own = gpu_page.hardware_warnings(result, names)
        if fmt is not None:
            return _download(kind, fmt, values, result, permalink, tables, names, sections)
    elif result is not None:
        permalink = _url(_pinned(form.query(), result))
        if kind == "compare":
            tables = present.comparison_tables(result, names)
            sections = present.model_sections(result, names)
            row_errors = present.comparison_errors(result, names)
            warnings_common, warnings_own = present.comparison_warnings(result, names)
        else:
            tables = present.training_tables(result) if kind == "training" else present.inference_tables(result)
            warnings_common = [str(w) for w in result.get("warnings", ())]
        if fmt is not None:
            return _download(kind, fmt, values, result, permalink, tables, names, sections)

    page = render_template(
        "estimate.html",
        kind=kind,
        presets=_example_links(ready, kind, workload),
        workload=workload,
        page=PAGES[kind],
        form=form,
        result=result,
        tables=tables,
        row_errors=row_errors,
        warnings_common=warnings_common,
        warnings_own=warnings_own,
        stats=summary.stats(kind, result) if result else [],
        cards=summary.model_cards(result, names) if result and kind == "compare" else [],
        sections=sections,
        charts=charts_html(_charts(kind, result, names)) if result else [],
        prices=present.prices_table(result) if result and kind not in COMPARISONS else None,
        permalink=permalink,
        downloads=[(f, f"{permalink}&{urlencode({'format': f})}") for f in FORMATS] if permalink else [],
        assumptions=present.assumptions_table(result.get("assumptions", ())) if result and kind not in COMPARISONS else None,
        headline=_headline(kind, result, names) if result else "",
    )
    return page, 422 if form.has_errors else 200


def _charts(kind: str, result: Mapping[str, Any], names: Mapping[str, str]) -> list[Any]:
    return gpu_page.hardware_charts(result, names) if kind == "hardware" else summary.charts(kind, result, names)


def _headline(kind: str, result: Mapping[str, Any], names: Mapping[str, str]) -> str:
    return gpu_page.headline_text(result, names) if kind == "hardware" else present.headline(kind, result, names)


@bp.get("/training")
def training() -> Page:
    return _estimate_page("training")


@bp.get("/inference")
def inference() -> Page:
    return _estimate_page("inference")


@bp.get("/compare")
def compare() -> Page:
    return _estimate_page("compare")


@bp.get("/compare/hardware")
def compare_hardware() -> Page:
    return _estimate_page("hardware")


@bp.get("/catalog")
def catalog() -> str:
    ready = ready_state()
    return render_template(
        "catalog.html",
        hardware=list(ready.catalog.hardware.values()),
        models=list(ready.catalog.models.values()),
        api_prices=ready.seed_book.api_prices,
        names=_names(ready),
    )


def init_app(app: Flask) -> None:
    csrf.init_app(app)
    app.register_blueprint(bp)
    app.add_template_filter(present.fmt, "fmt")
