"""The batch page (issue 15): a sheet of scenarios in, the filled workbook back, its first rows shown.

GET /batch: the upload form (a scenarios file, xlsx or csv back) and a link to the template.
POST /batch: the file read and estimated exactly as ``POST /api/v1/estimates/batch`` does (the
pricing upload's checks, each row through the request schema and the single estimate, an error per
row); "Estimate and download" answers with the filled workbook as an attachment, "Estimate and
show" renders the page with a summary, a chart of the first rows' headline cost (per workload: a
training run's rent, a serving fleet's rent per million output tokens; mid bars, low-high whiskers;
``summary_charts``, drawn by ``charts.py`` as inline SVG) and the first rows (``SHOWN_ROWS``). The
file is never kept.
GET /batch/template.xlsx: the scenarios template with its README sheet.

Server-rendered, no script: the form needs the session's CSRF token (``csrf.py``).
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd
from flask import Blueprint, current_app, render_template
from werkzeug.wrappers import Response as BaseResponse

from estimator import batch
from estimator.errors import EstimatorError

from .. import batch_table
from ..api.batch import XLSX, _estimator, _max_rows
from ..batch_rows import template_xlsx
from ..errors import ProblemError
from ..pricing_ops import read_upload
from ..state import ready_state
from . import csrf
from .charts import Bar, Chart, charts_html

#: Rows shown on the page (the download holds them all).
SHOWN_ROWS = 20
#: Result columns shown beside the input columns, when the sheet has them.
HEADLINE = ("gpu_count (GPUs)", "gpu_hours.mid (GPU·h)", "wall_clock_days.mid (days)", "energy_mwh.mid (MWh)",
            "cost_usd.rent.mid (USD)", "replicas.mid (replicas)",
            "cost_usd_per_million_tokens.output.rent.mid (USD per million tokens)")
FORMATS = ("xlsx", "csv")
#: The summary chart's figure per workload: (title, the column of its mid estimate, its unit).
CHARTED = (("training", "Training run, rented", "cost_usd.rent", "USD"),
           ("inference", "Serving, rented, per million output tokens", "cost_usd_per_million_tokens.output.rent",
            "USD per million tokens"))


def _page(status: int = 200, **context: Any) -> tuple[str, int]:
    defaults: dict[str, Any] = {"error": None, "summary": None, "columns": [], "rows": [], "fmt": "xlsx",
                                "max_rows": _max_rows(), "shown": SHOWN_ROWS, "charts": []}
    return render_template("batch.html", **(defaults | context)), status


def page() -> tuple[str, int]:
    return _page()


def template() -> BaseResponse:
    response = current_app.response_class(template_xlsx(), mimetype=XLSX)
    response.headers["Content-Disposition"] = 'attachment; filename="scenarios-template.xlsx"'
    return response


def _cell(value: Any) -> str:
    value = batch_table._cell(value)
    if isinstance(value, float):
        return f"{value:,.6g}" if abs(value) < 1e6 else f"{value:,.0f}" if abs(value) < 1e15 else f"{value:.4g}"
    return str(value)


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value) \
        else None


def summary_charts(table: pd.DataFrame) -> list[Chart]:
    """Per workload among the first ``SHOWN_ROWS`` rows, a bar per row of its headline cost (mid,
    with low to high); a row without an estimate says so in place of its bar."""
    first = table.head(SHOWN_ROWS)
    workloads = [batch.WORKLOAD_NAMES.get(str(w).strip().lower()) for w in first.get(batch.WORKLOAD_COLUMN, [])]
    charts = []
    for workload, title, key, unit in CHARTED:
        columns = {s: f"{key}.{s} ({unit})" for s in ("mid", "low", "high")}
        if columns["mid"] not in first.columns:
            continue
        bars = []
        for number, (row, kind) in enumerate(zip(first.to_dict("records"), workloads, strict=True), 1):
            if kind != workload:
                continue
            label = f"Scenario {number}: {row.get('model') or '?'} on {row.get('hardware') or '?'}"
            bars.append(Bar(label, _number(row[columns["mid"]]), _number(row[columns["low"]]),
                            _number(row[columns["high"]]), missing="no estimate (see its error)"))
        if bars:
            charts.append(Chart(title, unit, tuple(bars), note=f"Scenarios numbered in the file's order (blank rows "
                                                           f"skipped), the first {SHOWN_ROWS} at most."))
    return charts


@csrf.deferred
def run() -> BaseResponse | tuple[str, int]:
    """Estimate the uploaded scenarios; the workbook back, or the page with the first rows."""
    try:
        sent = read_upload()
    except ProblemError as exc:  # not multipart (415), too large (413), cut short (400)
        return _page(exc.status, error=exc.detail)
    csrf.verify(sent.form.get(csrf.FIELD))
    fmt = sent.form.get("format", "xlsx") if sent.form.get("format") in FORMATS else "xlsx"
    if not sent.data:
        return _page(422, error="Choose a scenarios file (xlsx, ods or csv) to upload.", fmt=fmt)
    try:
        rows = batch_table.read_scenarios(sent.data, sent.file_name, max_rows=_max_rows())
        table = batch_table.run_batch(rows, estimate=_estimator(ready_state(), text=True))
    except EstimatorError as exc:
        return _page(422, error=exc.message, fmt=fmt)
    if sent.form.get("action") == "download":
        body, mimetype = (batch_table.to_csv(table), "text/csv") if fmt == "csv" else (batch_table.to_xlsx(table), XLSX)
        response = current_app.response_class(body, mimetype=mimetype)
        response.headers["Content-Disposition"] = f'attachment; filename="results.{fmt}"'
        return response
    errors = int((table[batch.ERROR_COLUMN] != "").sum()) if len(table) else 0
    inputs = [c for c in table.columns if c not in batch.output_columns(["training", "inference"])]
    columns = inputs + [c for c in HEADLINE if c in table.columns] + [batch.WARNINGS_COLUMN, batch.ERROR_COLUMN]
    shown = [[_cell(v) for v in values] for values in table[columns].head(SHOWN_ROWS).itertuples(index=False)]
    summary = {"file": sent.file_name, "rows": len(table), "errors": errors, "columns": len(table.columns)}
    return _page(summary=summary, columns=columns, rows=shown, fmt=fmt,
                 charts=charts_html(summary_charts(table), prefix="batch-chart"))


def register(bp: Blueprint) -> None:
    """Add the batch page to the web blueprint (its CSRF check and HTML error pages apply)."""
    bp.add_url_rule("/batch", "batch", page, methods=["GET"])
    bp.add_url_rule("/batch", "batch_run", run, methods=["POST"])
    bp.add_url_rule("/batch/template.xlsx", "batch_template", template, methods=["GET"])
