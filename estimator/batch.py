"""Batch estimates: many scenarios in, one result row per scenario out.

Inputs: rows, each a mapping with the API request's field names (``model``, ``tokens``,
``hardware``, ``gpus``, ``requests_per_s``, ``pricing_table`` …) plus ``workload`` (``training`` or
``inference``), already typed (numbers as numbers; ``batch_table`` and the app turn sheet text into
them and check them with the request schemas first); and a ``RowEstimate`` (``single_estimate``
builds it from a catalog and a price-book lookup).

Outputs: for each row, the row's own values followed by the result columns of its workload
(``result_columns``: every number, count and text figure of ``estimator.figures``, a band as
``<key>.mid``, ``.low`` and ``.high`` with the unit in the column name, e.g.
``gpu_hours.mid (GPU·h)``), a ``warnings`` column and an ``error`` column. A row whose estimate fails
carries, in ``error``, the message the single-estimate API gives for the same request (the problem's
``detail``), and blank result columns; it never stops the other rows.

Formulas: none here. Each distinct scenario is estimated once through the single-estimate path
(``inputs.training_request`` / ``inference_request`` -> ``estimate_training`` / ``estimate_inference``
-> ``to_dict``, exactly as ``app/run.py`` and the CLI do), and rows repeating a scenario reuse its
result: one copy of the physics, and every batch row equals the single estimate to the digit.
(Not vectorised over rows: see the closing note of issue 15 in docs/benchmarks.md for the measured
rate and what vectorising would need.)
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from . import figures
from .catalog import Catalog
from .cost import PriceBook
from .errors import EstimatorError, InvalidInputError
from .figures import BAND, RECORD, Figure
from .inference import estimate_inference
from .inputs import INFERENCE_OPTIONAL, TRAINING_OPTIONAL, inference_request, training_request
from .training import estimate_training

log = logging.getLogger(__name__)

WORKLOAD_COLUMN = "workload"
WARNINGS_COLUMN = "warnings"
ERROR_COLUMN = "error"
#: Warnings of one row joined into one cell.
WARNING_SEPARATOR = " | "
#: The request's own fields (the input columns a sheet may have), besides ``workload``.
REQUEST_FIELDS = frozenset(
    ("model", "params", "active_params", "tokens", "hardware", "pricing_table", *TRAINING_OPTIONAL, *INFERENCE_OPTIONAL)
)
#: Echoes of the request in the result (the input columns already hold them).
_ECHOED = ("workload", "model", "hardware")
#: What the single-estimate API answers for an unexpected failure (``app/errors._HTTP_DETAILS[500]``).
UNEXPECTED = "An unexpected error occurred on the server. It has been logged."
#: ``workload`` values: the API's names, and 'serving' (the pages' word) for inference.
WORKLOAD_NAMES = {figures.TRAINING: figures.TRAINING, figures.INFERENCE: figures.INFERENCE, "serving": figures.INFERENCE}
WORKLOAD_ERROR = "workload: Must be one of: training, inference, serving."

#: One scenario's estimate: (workload, values) -> the result dict (``to_dict()``); raises EstimatorError.
RowEstimate = Callable[[str, Mapping[str, Any]], Mapping[str, Any]]


@dataclass(frozen=True)
class ResultColumn:
    """One result column: a figure, read at one scenario of its band (None: a single value)."""

    name: str
    figure: Figure
    scenario: str | None

    def cell(self, result: Mapping[str, Any]) -> Any:
        value = self.figure.value(result)
        if self.scenario is not None and isinstance(value, Mapping):
            return value.get(self.scenario)
        return value


def _column_name(figure: Figure, scenario: str | None) -> str:
    name = figure.key if scenario is None else f"{figure.key}.{scenario}"
    if figure.unit:
        return f"{name} ({figure.unit})"
    return f"{name} (used)" if name in REQUEST_FIELDS else name  # 'precision' is also an input column


def result_columns(workload: str) -> tuple[ResultColumn, ...]:
    """The result columns of a workload, from its figure declarations: bands as mid, low, high."""
    out: list[ResultColumn] = []
    for figure in figures.FIGURES[workload]:
        if figure.kind == RECORD or figure.key in _ECHOED:
            continue
        scenarios: tuple[str | None, ...] = ("mid", "low", "high") if figure.kind == BAND else (None,)
        out.extend(ResultColumn(_column_name(figure, s), figure, s) for s in scenarios)
    return tuple(out)


def output_columns(workloads: Iterable[Any]) -> list[str]:
    """Result, warnings and error column names for a sheet holding these workloads (training's
    first; a name both share, such as ``gpu_count (GPUs)``, once)."""
    present = {WORKLOAD_NAMES.get(w.strip().lower()) for w in workloads if isinstance(w, str)}
    names = dict.fromkeys(c.name for w in figures.WORKLOADS if w in present for c in result_columns(w))
    return [*names, WARNINGS_COLUMN, ERROR_COLUMN]


def result_cells(workload: str, result: Mapping[str, Any]) -> dict[str, Any]:
    """One estimate's result as result cells (and its warnings joined into one)."""
    cells = {c.name: c.cell(result) for c in result_columns(workload)}
    cells[WARNINGS_COLUMN] = WARNING_SEPARATOR.join(result.get("warnings") or ())
    return cells


#: Checks a row's request values as the API's request schema does: (workload, values) -> checked values;
#: raises EstimatorError with the API's problem detail as its message.
RowCheck = Callable[[str, Mapping[str, Any]], Mapping[str, Any]]


def single_estimate(catalog: Catalog, book_for: Callable[[str | None], PriceBook],
                    check: RowCheck | None = None) -> RowEstimate:
    """The single-estimate path for one row: ``check`` (the request schema, in ``app/batch_rows.py``)
    then ``book_for(pricing_table)``, the price book the row names (the CLI's ``pricing.cli.book_for``,
    the app's ``Ready.price_book``), then the estimate."""
    build: dict[str, Callable[..., Any]] = {figures.TRAINING: training_request, figures.INFERENCE: inference_request}
    run: dict[str, Callable[..., Any]] = {figures.TRAINING: estimate_training, figures.INFERENCE: estimate_inference}

    def estimate(workload: str, values: Mapping[str, Any]) -> Mapping[str, Any]:
        if check is not None:
            values = check(workload, values)
        rest = {k: v for k, v in values.items() if k != "pricing_table"}
        book = book_for(values.get("pricing_table"))
        return run[workload](build[workload](catalog, rest), book, catalog).to_dict()  # type: ignore[no-any-return]

    return estimate


def request_values(row: Mapping[str, Any]) -> dict[str, Any]:
    """A row's request: its values other than ``workload`` and the output columns, blanks left out
    (a blank cell means the default, as an omitted field does)."""
    return {k: v for k, v in row.items() if k not in (WORKLOAD_COLUMN, WARNINGS_COLUMN, ERROR_COLUMN)
            and v is not None and v != ""}


def _scenario_key(row: Mapping[str, Any]) -> str:
    return json.dumps([row.get(WORKLOAD_COLUMN), request_values(row)], sort_keys=True, default=repr)


def estimate_row(row: Mapping[str, Any], estimate: RowEstimate) -> dict[str, Any]:
    """The result cells of one row, or its error (the single API's message) in ``error``."""
    given = row.get(WORKLOAD_COLUMN)
    workload = WORKLOAD_NAMES.get(given.strip().lower()) if isinstance(given, str) else None
    try:
        if workload is None:
            raise InvalidInputError(WORKLOAD_ERROR, field=WORKLOAD_COLUMN)
        cells = result_cells(workload, estimate(workload, request_values(row)))
    except EstimatorError as exc:
        return {ERROR_COLUMN: exc.message}
    except Exception:  # a bug: the row says what the API would say, the log has the traceback
        log.exception("Batch row failed unexpectedly: %r", dict(row))
        return {ERROR_COLUMN: UNEXPECTED}
    cells[ERROR_COLUMN] = ""
    return cells


def estimate_rows(rows: Iterable[Mapping[str, Any]], estimate: RowEstimate) -> Iterator[dict[str, Any]]:
    """Each row followed by its result cells, in order; each distinct scenario estimated once."""
    done: dict[str, dict[str, Any]] = {}
    for row in rows:
        key = _scenario_key(row)
        cells = done.get(key)
        if cells is None:
            cells = done[key] = estimate_row(row, estimate)
        yield {**row, **cells}
