"""The HTML pages: a landing page, a form per estimate, and the catalog.

Server-rendered, no JavaScript, nothing from elsewhere (the stylesheet is ``static/site.css``).
A form's values go through the JSON API's request schemas and then the same core calls
(``run.py``), so a page shows the numbers the API returns; schema and core errors are shown next
to the fields they concern, with status 422.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from flask import Blueprint, Flask, current_app, render_template, request
from marshmallow import ValidationError

from estimator.compare import PRESETS
from estimator.errors import EstimatorError

from ..errors import ProblemError, problem_from_core, problem_from_messages
from ..run import run_compare, run_inference, run_training
from ..state import Ready, ready_state
from . import present
from .forms import build_form

bp = Blueprint("web", __name__)

#: The site's navigation: (endpoint, label).
NAV = (
    ("web.index", "Home"),
    ("web.training", "Training"),
    ("web.inference", "Serving"),
    ("web.compare", "Compare"),
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
}
_RUN: dict[str, Callable[[Ready, Mapping[str, Any]], dict[str, Any]]] = {
    "training": run_training,
    "inference": run_inference,
    "compare": run_compare,
}


@bp.app_context_processor
def _site() -> dict[str, Any]:
    return {"nav": NAV, "version": current_app.config["API_VERSION"]}


@bp.get("/")
def index() -> str:
    return render_template("index.html", pages=PAGES, presets=PRESETS)


def _names(ready: Ready) -> dict[str, str]:
    return {
        **{h.id: h.name for h in ready.catalog.hardware.values()},
        **{m.id: m.name for m in ready.catalog.models.values()},
    }


def _estimate_page(kind: str) -> tuple[str, int]:
    ready = ready_state()
    posted = request.method == "POST"
    workload = request.values.get("workload") if kind == "compare" else kind
    form = build_form(kind, ready.catalog, request.form if posted else None, workload)
    if kind == "compare":
        workload = form.hidden["workload"]
    result: dict[str, Any] | None = None
    if posted:
        try:
            result = _RUN[kind](ready, form.load())
        except ValidationError as exc:
            form.add_problem(problem_from_messages(exc.messages))
        except ProblemError as exc:
            form.add_problem(exc)
        except EstimatorError as exc:
            form.add_problem(problem_from_core(exc))
    names = _names(ready)
    tables: list[present.Table] = []
    row_errors: list[tuple[str, str]] = []
    if result is not None and kind == "compare":
        tables = present.comparison_tables(result, names)
        row_errors = present.comparison_errors(result, names)
    elif result is not None:
        tables = present.training_tables(result) if kind == "training" else present.inference_tables(result)
    page = render_template(
        "estimate.html",
        kind=kind,
        workload=workload,
        page=PAGES[kind],
        form=form,
        result=result,
        tables=tables,
        row_errors=row_errors,
        assumptions=present.assumptions_table(result.get("assumptions", ())) if result and kind != "compare" else None,
        headline=present.headline(kind, result, names) if result else "",
    )
    return page, 422 if form.has_errors else 200


@bp.route("/training", methods=["GET", "POST"])
def training() -> tuple[str, int]:
    return _estimate_page("training")


@bp.route("/inference", methods=["GET", "POST"])
def inference() -> tuple[str, int]:
    return _estimate_page("inference")


@bp.route("/compare", methods=["GET", "POST"])
def compare() -> tuple[str, int]:
    return _estimate_page("compare")


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
    app.register_blueprint(bp)
    app.add_template_filter(present.fmt, "fmt")
