"""The page of an estimate's sensitivity: which input matters most for a training or serving estimate
(``/plans/sensitivity/training``, ``/plans/sensitivity/inference``).

The form is the estimate page's own (``forms.build_form``: the same fields, labels, placeholders and
blank-means-default rule) with a "What to explain" fieldset added (the figure and the Sobol base
samples), so a result page's "What matters most" link only has to carry the estimate's query. The
values are loaded through the API's request schemas (``TrainingSensitivityRequestSchema``,
``InferenceSensitivityRequestSchema``) and run by ``plan_run.estimate_sensitivity_json``, as
``POST /api/v1/sensitivity/training|inference``; the result is drawn by the plan sensitivity page's
view (tornado chart and the tornado + Sobol table), with the estimate's prices and assumptions.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, redirect, render_template, request, url_for
from marshmallow import ValidationError
from werkzeug.datastructures import MultiDict

from estimator.errors import EstimatorError
from estimator.planning.estimate_sensitivity import DEFAULT_SAMPLES, METRICS

from .. import plan_run
from ..errors import ProblemError, problem_from_core, problem_from_messages
from ..plan_schemas import (
    ESTIMATE_SENSITIVITY_EXAMPLES,
    InferenceSensitivityRequestSchema,
    TrainingSensitivityRequestSchema,
)
from ..state import Ready, ready_state
from .forms import Fieldset, Form, FormField, Option, build_form

SCHEMAS = {"training": TrainingSensitivityRequestSchema, "inference": InferenceSensitivityRequestSchema}
WHAT = {"training": "a training run", "inference": "serving a model"}
INPUTS = {"training": "the rental and purchase prices, electricity, PUE and goodput",
          "inference": "the rental and purchase prices, electricity and PUE"}


def _explain_fields(workload: str, submitted: MultiDict[str, str] | None) -> Fieldset:
    figures = METRICS[workload]
    first = next(iter(figures))
    metric = FormField("metric", "Figure to explain", "The estimate's figure (mid) whose sensitivity is shown.",
                       "select", options=(Option("", f"Default: {figures[first].heading}"),
                                          *(Option(k, f.heading) for k, f in figures.items())))
    samples = FormField("samples", "Sobol base samples", f"A power of 2 from 16 to 128; each sample is several whole "
                        f"estimates. Default: {DEFAULT_SAMPLES}.", "number", integer=True,
                        placeholder=str(DEFAULT_SAMPLES))
    for f in (metric, samples):
        f.value = submitted.get(f.name, "") if submitted is not None else ""
    return Fieldset("What to explain", [metric, samples])


def _form(workload: str, ready: Ready, submitted: MultiDict[str, str] | None) -> Form:
    from . import estimate_choices  # web/__init__.py imports the planning pages

    form = build_form(workload, ready.catalog, submitted, choices=estimate_choices(ready, submitted))
    form.fieldsets.insert(1, _explain_fields(workload, submitted))
    return form


def example_links(workload: str) -> list[tuple[str, str, str]]:
    """The API's example of each workload as a one-click link."""
    values = ESTIMATE_SENSITIVITY_EXAMPLES[workload]
    query = urlencode([(k, f"{v:g}" if isinstance(v, float) else str(v)) for k, v in values.items()])
    heading = METRICS[workload][str(values["metric"])].heading
    what = "15.6T tokens on 1,024 H100s" if workload == "training" else "on H100 in fp8 at 10 requests/s"
    return [(f"Llama 3.1 70B, {what}", heading, f"{url_for('web.plans_estimate_sensitivity', workload=workload)}"
                                                 f"?{query}")]


def estimate_sensitivity_page(workload: str) -> Any:
    """GET /plans/sensitivity/<workload>: the form, and the tornado and Sobol indices once submitted."""
    from .plans import VIEWS, PageSpec, View  # plans.py registers this page

    if workload not in SCHEMAS:
        raise ProblemError(404, f"No sensitivity page for {workload[:40]!r}: use training or inference.")
    ready = ready_state()
    args = request.args
    blank = _form(workload, ready, None)
    submitted = blank.is_submission(args)
    form = _form(workload, ready, args) if submitted else blank
    if submitted and sorted(form.query()) != sorted(args.items(multi=True)):
        path = url_for("web.plans_estimate_sensitivity", workload=workload)
        return redirect(f"{path}?{urlencode(form.query())}", 302)
    result: dict[str, Any] | None = None
    if submitted:
        try:
            values = SCHEMAS[workload]().load(form.values())
            result = plan_run.estimate_sensitivity(ready, workload, values)
        except ValidationError as exc:
            form.add_problem(problem_from_messages(exc.messages))
        except ProblemError as exc:
            form.add_problem(exc)
        except EstimatorError as exc:
            form.add_problem(problem_from_core(exc))
    page = PageSpec(f"What matters most for {WHAT[workload]}", f"Each uncertain input of the estimate "
                    f"({INPUTS[workload]}; those you give stay fixed) moved from its low to its high value, the "
                    "others at mid (tornado), and variance-based Sobol indices over the same inputs (SALib). Each "
                    "evaluation is the estimate itself.", "Analyse", SCHEMAS[workload], (), {})
    view = VIEWS["sensitivity"](result) if result is not None else View()
    permalink = f"{request.path}?{urlencode(form.query())}" if result is not None else ""
    html = render_template("plans.html", kind="sensitivity", page=page, form=form, result=result, view=view,
                           permalink=permalink, pages=_pages(), examples=example_links(workload), downloads=[],
                           workload=workload)
    return html, 422 if form.has_errors else 200


def _pages() -> Any:
    from .plans import PAGES

    return PAGES


def register(bp: Blueprint) -> None:
    bp.add_url_rule("/plans/sensitivity/<workload>", "plans_estimate_sensitivity", estimate_sensitivity_page,
                    methods=["GET"])
