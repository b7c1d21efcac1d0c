"""Batch estimates: many scenarios in, one result row per scenario out.

Inputs: rows, each a mapping with the API request's field names (``model``, ``tokens``,
``hardware``, ``gpus``, ``requests_per_s``, ``pricing_table`` …) plus ``workload`` (``training`` or
``inference``), already typed (numbers as numbers; ``app/batch_table`` and the app turn sheet text into
them and check them with the request schemas first); and a ``RowEstimate`` (``single_estimate``
builds it from a catalog and a price-book lookup).

Outputs: for each row, the row's own values followed by the result columns of its workload
(``result_columns``: every number, count and text figure of ``estimator.figures``, a band as
``<key>.mid``, ``.low`` and ``.high`` with the unit in the column name, e.g.
``gpu_hours.mid (GPU·h)``), a ``warnings`` column and an ``error`` column. A row whose estimate fails
carries, in ``error``, the message the single-estimate API gives for the same request (the problem's
``detail``), and blank result columns; it never stops the other rows.

Formulas: none here; every row goes through the single-estimate path (``inputs.training_request`` /
``inference_request`` -> ``estimate_training`` / ``estimate_inference`` -> ``to_dict``, exactly as
``app/run.py`` and the CLI do), in one of three ways (``estimate_columns``):

- training rows that give ``tokens`` and ``gpus`` are grouped by everything else (model, hardware,
  precision, GPUs, sequence, recompute, layout, pricing table, and which of the price, PUE, grid,
  goodput and utilisation overrides are given): the step model and the layout depend only on that;
  the token count and those overrides' values (``ROW_ARRAYS``) scale the rest. Each group runs the
  single pipeline once with those fields numpy arrays (its formulas are plain arithmetic;
  ``cost.given`` takes an array as given; ``Band.ascending`` and ``significant`` work element by
  element), so every row equals its single estimate bit for bit;
- serving rows that give ``requests_per_s`` are grouped by everything but the load and the price,
  PUE and grid overrides' values (``SERVING_ROW_ARRAYS``): ``inference.estimate_inference_rows``
  finds the replicas that meet the targets once, chooses each row's replica by the single path's
  own rule over the loads, and runs the rest of the single pipeline once per replica chosen;
- every other row (a deadline instead of a GPU count: its GPU count, step time and warnings
  depend on its token count; no load; a row whose figures overflow or that has fewer sequences than
  GPUs; every row of a group the core refuses) is estimated alone, each distinct scenario once,
  rows repeating it reusing its result (serving rows of one structure share the replica searches:
  ``inference.shared_replica_searches``).

The grouping is column by column (cells coded, sweeps found with numpy), and a sweep's cells are
checked together (``SingleEstimate.checked_sweep``: the request schema once for the shared cells,
the number columns by their fields' ranges; a row that fails is checked alone for its message).
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import json
import logging
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from . import figures
from .bands import Unrounded, rounding_deferred, significant_array
from .catalog import Catalog
from .cost import PriceBook
from .errors import EstimatorError, InvalidInputError
from .figures import BAND, RECORD, Figure
from .inference import estimate_inference, estimate_inference_rows, shared_replica_searches
from .inputs import INFERENCE_OPTIONAL, TRAINING_OPTIONAL, inference_request, training_request
from .training import estimate_training, few_sequences

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


@functools.lru_cache(maxsize=8)
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
    """One estimate's result as result cells (and its warnings joined into one): ``ResultColumn.cell``
    of each column, a band's figure read once for its three columns."""
    cells: dict[str, Any] = {}
    figure, value = None, None
    for c in result_columns(workload):
        if c.figure is not figure:
            figure, value = c.figure, c.figure.value(result)
        cells[c.name] = value.get(c.scenario) if c.scenario is not None and isinstance(value, Mapping) else value
    cells[WARNINGS_COLUMN] = WARNING_SEPARATOR.join(result.get("warnings") or ())
    return cells


#: Checks a row's request values as the API's request schema does: (workload, values) -> checked values;
#: raises EstimatorError with the API's problem detail as its message.
RowCheck = Callable[[str, Mapping[str, Any]], Mapping[str, Any]]
#: ``RowCheck`` of many rows at once: each row's checked values, or its error (the same as RowCheck's).
RowsCheck = Callable[[str, Sequence[Mapping[str, Any]]], Sequence["Mapping[str, Any] | EstimatorError"]]
#: ``RowCheck`` of a sweep: rows sharing the cells ``base`` and differing in the number cells
#: ``varying`` (a column of cells each) -> the checked base values (None: they fail), each varying
#: field as floats, and which rows pass (a row that does not is checked alone, for its message).
Sweep = tuple["Mapping[str, Any] | None", dict[str, np.ndarray], np.ndarray]
SweepCheck = Callable[[str, Mapping[str, Any], Mapping[str, np.ndarray]], Sweep]


_BUILD: dict[str, Callable[..., Any]] = {figures.TRAINING: training_request, figures.INFERENCE: inference_request}
_RUN: dict[str, Callable[..., Any]] = {figures.TRAINING: estimate_training, figures.INFERENCE: estimate_inference}


@dataclass(frozen=True)
class SingleEstimate:
    """The single-estimate path for one row: ``check`` (the request schema, in ``app/batch_rows.py``)
    then ``book_for(pricing_table)``, the price book the row names (the CLI's ``pricing.cli.book_for``,
    the app's ``Ready.price_book``), then the estimate."""

    catalog: Catalog
    book_for: Callable[[str | None], PriceBook]
    check: RowCheck | None = None
    #: The same check over many rows (faster for a sweep); None: ``check`` row by row.
    check_rows: RowsCheck | None = None
    #: The same check over a sweep's columns (``SweepCheck``); None: ``checked_rows`` of its rows.
    check_sweep: SweepCheck | None = None

    def checked(self, workload: str, values: Mapping[str, Any]) -> Mapping[str, Any]:
        return values if self.check is None else self.check(workload, values)

    def checked_rows(self, workload: str, rows: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any] | EstimatorError]:
        if self.check_rows is not None:
            return list(self.check_rows(workload, rows))
        out: list[Mapping[str, Any] | EstimatorError] = []
        for values in rows:
            try:
                out.append(self.checked(workload, values))
            except EstimatorError as exc:
                out.append(exc)
        return out

    def checked_sweep(self, workload: str, base: Mapping[str, Any], varying: Mapping[str, np.ndarray]) -> Sweep:
        """``SweepCheck`` by ``check_sweep``, or by ``checked_rows`` of the sweep's rows."""
        if self.check_sweep is not None:
            return self.check_sweep(workload, base, varying)
        n = len(next(iter(varying.values())))
        checked = self.checked_rows(workload, [{**base, **{k: c[j] for k, c in varying.items()}} for j in range(n)])
        ok = np.array([not isinstance(c, EstimatorError) and all(_number(c.get(k)) for k in varying) for c in checked],
                      dtype=bool)
        first = next((c for c, good in zip(checked, ok, strict=True) if good), None)
        if not isinstance(first, Mapping):
            return None, {}, ok
        arrays = {k: np.array([c[k] if good else np.nan for c, good in zip(checked, ok, strict=True)],  # type: ignore[index]
                              dtype=float) for k in varying}  # type: ignore[type-var]
        return {k: v for k, v in first.items() if k not in varying}, arrays, ok

    def run_rows(self, workload: str, values: Mapping[str, Any], arrays: Mapping[str, np.ndarray]
                 ) -> list[tuple[np.ndarray, Mapping[str, Any]]]:
        """Serving rows of one structure (``arrays``: the load and overrides, one value per row):
        (which rows, their estimate) per replica chosen (``inference.estimate_inference_rows``)."""
        rest = {k: v for k, v in values.items() if k != "pricing_table"}
        request = dataclasses.replace(inference_request(self.catalog, rest), **arrays)  # type: ignore[arg-type]
        book = self.book_for(values.get("pricing_table"))
        return [(where, estimate.to_dict(assumptions=False))
                for where, estimate in estimate_inference_rows(request, book, self.catalog)]

    def run(self, workload: str, values: Mapping[str, Any], arrays: Mapping[str, np.ndarray] | None = None,
            *, assumptions: bool = True) -> Mapping[str, Any]:
        """The estimate of checked values (``arrays``: one value per row of some request fields,
        numpy arrays in place of the values' own; ``assumptions=False``: none listed, as no result
        column reads them)."""
        rest = {k: v for k, v in values.items() if k != "pricing_table"}
        request = _BUILD[workload](self.catalog, rest)
        if arrays:
            request = dataclasses.replace(request, **arrays)
        estimate = _RUN[workload](request, self.book_for(values.get("pricing_table")), self.catalog)
        return estimate.to_dict(assumptions=assumptions)  # type: ignore[no-any-return]

    def __call__(self, workload: str, values: Mapping[str, Any]) -> Mapping[str, Any]:
        return self.run(workload, self.checked(workload, values))


def single_estimate(catalog: Catalog, book_for: Callable[[str | None], PriceBook],
                    check: RowCheck | None = None, check_rows: RowsCheck | None = None,
                    check_sweep: SweepCheck | None = None) -> SingleEstimate:
    """The single-estimate path for one row (``SingleEstimate``)."""
    return SingleEstimate(catalog, book_for, check, check_rows, check_sweep)


def request_values(row: Mapping[str, Any]) -> dict[str, Any]:
    """A row's request: its values other than ``workload`` and the output columns, blanks left out
    (a blank cell means the default, as an omitted field does)."""
    return {k: v for k, v in row.items() if k not in (WORKLOAD_COLUMN, WARNINGS_COLUMN, ERROR_COLUMN)
            and v is not None and v != ""}


def _scenario_key(row: Mapping[str, Any]) -> str:
    return json.dumps([row.get(WORKLOAD_COLUMN), request_values(row)], sort_keys=True, default=repr)


def estimate_row(row: Mapping[str, Any], estimate: RowEstimate,
                 checked: Mapping[str, Any] | EstimatorError | None = None) -> dict[str, Any]:
    """The result cells of one row, or its error (the single API's message) in ``error``.
    ``checked``: the row's values already checked by ``estimate`` (a ``SingleEstimate``), or why not."""
    given = row.get(WORKLOAD_COLUMN)
    workload = WORKLOAD_NAMES.get(given.strip().lower()) if isinstance(given, str) else None
    try:
        if workload is None:
            raise InvalidInputError(WORKLOAD_ERROR, field=WORKLOAD_COLUMN)
        if isinstance(checked, EstimatorError):
            raise checked
        if isinstance(estimate, SingleEstimate):  # the assumptions, which no column reads, left out
            values = checked if checked is not None else estimate.checked(workload, request_values(row))
            cells = result_cells(workload, estimate.run(workload, values, assumptions=False))
        else:
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


# --- Columns: training rows grouped, the pipeline run once per group over the token counts -------
#: Training values that, given, send a row to the row-by-row path: a deadline sizes the fleet from
#: the row's own token count (so its GPU count, and step time, differ row by row).
_ALONE = ("deadline_days",)
#: Training values that may differ between the rows of a group: each becomes a numpy array of the
#: rows' values (``training`` and ``cost`` take arrays of them: plain arithmetic, the override
#: branches by ``cost.given``, the core's range checks at the array's two ends). Whether each is
#: given is part of the structure (a given price replaces the price book's, with other warnings).
ROW_ARRAYS = ("tokens", "utilisation", "goodput", "pue", "grid_kg_co2_per_kwh", "usd_per_gpu_hour",
              "capex_usd_per_gpu", "usd_per_kwh")
#: Serving values that may differ between the rows of a group (``inference.estimate_inference_rows``):
#: the load and the price, PUE and grid overrides; the replica search reads none of them.
SERVING_ROW_ARRAYS = ("requests_per_s", "pue", "grid_kg_co2_per_kwh", "usd_per_gpu_hour", "capex_usd_per_gpu",
                      "usd_per_kwh")
#: Per workload: the fields that may vary within a group, and the one a group needs (varying).
_SWEEPS: dict[str, tuple[tuple[str, ...], str]] = {figures.TRAINING: (ROW_ARRAYS, "tokens"),
                                                   figures.INFERENCE: (SERVING_ROW_ARRAYS, "requests_per_s")}


def _workload(row: Mapping[str, Any]) -> str | None:
    given = row.get(WORKLOAD_COLUMN)
    return WORKLOAD_NAMES.get(given.strip().lower()) if isinstance(given, str) else None


def _number(value: Any) -> bool:
    return isinstance(value, float | int) and not isinstance(value, bool)


def _group_key(workload: str, base: Mapping[str, Any], varying: tuple[str, ...]) -> tuple[Any, ...] | None:
    """The structural key of a sweep's checked values (``base``: all but the ``varying`` fields of
    ``_SWEEPS``), or None: its rows go alone (training: no token count, no GPU count, a deadline;
    serving: no load in requests/s)."""
    if _SWEEPS[workload][1] not in varying:
        return None
    if workload == figures.TRAINING and (base.get("gpus") is None or any(base.get(k) is not None for k in _ALONE)):
        return None
    # Equal keys mean equal values (the type too: True == 1); equal values written in another order
    # only make another group.
    key = (workload, tuple((k, type(v), v) for k, v in base.items()), varying)
    try:
        hash(key)
    except TypeError:  # an inline record
        return None
    return key


def _sequence_tokens(result: Mapping[str, Any]) -> Any:
    for a in result.get("assumptions") or ():
        if a.get("name") == "sequence_tokens":
            return a.get("value")
    return None


def estimate_columns(rows: Sequence[Mapping[str, Any]], estimate: RowEstimate,
                     columns: Sequence[str]) -> dict[str, np.ndarray]:
    """Every row's cells as columns (in ``columns``; float64 where every cell is a float, a blank
    being NaN; otherwise objects, a cell a row lacks being None).

    With a ``SingleEstimate``, training rows are grouped (module docstring); any other ``estimate``
    runs row by row (``estimate_rows``)."""
    n = len(rows)
    out = _Columns(n, columns)
    given = {c: np.fromiter((r.get(c) for r in rows), dtype=object, count=n)
             for c in dict.fromkeys(k for r in rows for k in r)}
    out.arrays.update({c: v for c, v in given.items() if c in out.names})
    if isinstance(estimate, SingleEstimate):
        groups, alone, checked = _groups(rows, given, estimate)
        for key, (values, parts, arrays) in groups.items():
            members, varied = np.concatenate(parts), {k: np.concatenate(v) for k, v in arrays.items()}
            left = _estimate_group(estimate, key[0], values, members, varied, out)
            if left:  # their checked values, for the row-by-row path
                position = {i: j for j, i in enumerate(members.tolist())}
                for i in left:
                    checked[i] = {**values, **{k: float(c[position[i]]) for k, c in varied.items()}}
            alone += left
        out.flush()
        out.round_deferred()
    else:
        alone, checked = list(range(n)), {}
    done: dict[str, dict[str, Any]] = {}
    by_column: dict[str, tuple[list[int], list[Any]]] = {}  # the rows' cells, put a column at a time
    for same, index in _serving_structures(rows, sorted(alone)):
        with shared_replica_searches() if same is not None else contextlib.nullcontext():
            for i in index:
                row = rows[i]
                scenario = _scenario_key(row)
                cells = done.get(scenario)
                if cells is None:
                    cells = done[scenario] = estimate_row(row, estimate, checked.get(i))
                for c, v in cells.items():
                    if c in out.names:
                        at, given_cells = by_column.setdefault(c, ([], []))
                        at.append(i)
                        given_cells.append(v)
    for c, (at, given_cells) in by_column.items():
        out.put(c, np.array(at, dtype=np.int64), _cells_array(given_cells))
    return {c: out.column(c) for c in columns}


def _cells_array(values: list[Any]) -> np.ndarray:
    """Cells as a float array (a blank, None, as NaN) where all are floats or blank, else objects."""
    if all(v is None or isinstance(v, float) for v in values):
        return np.array([np.nan if v is None else v for v in values], dtype=float)
    return np.fromiter(values, dtype=object, count=len(values))


#: Serving values the replica search does not read (``inference.shared_replica_searches``).
_NOT_SEARCHED = frozenset(("requests_per_s", "tokens_per_day", "peak_to_average", "ttft_ms", "pue",
                           "grid_kg_co2_per_kwh", "usd_per_gpu_hour", "capex_usd_per_gpu", "usd_per_kwh",
                           "pricing_table"))


def _serving_structures(rows: Sequence[Mapping[str, Any]], index: list[int]) -> list[tuple[Any, list[int]]]:
    """Row numbers by serving structure (the cells the replica search reads; None: not serving
    rows, or cells that cannot be compared), each structure's rows in order."""
    out: dict[Any, list[int]] = {}
    for i in index:
        row = rows[i]
        key: Any = None
        if _workload(row) == figures.INFERENCE:
            key = tuple((k, type(v), v) for k, v in request_values(row).items() if k not in _NOT_SEARCHED)
            try:
                hash(key)
            except TypeError:
                key = None
        out.setdefault(key, []).append(i)
    return list(out.items())


#: A group: its sweeps' checked values (but ``ROW_ARRAYS``), the rows' numbers and each varying
#: ``ROW_ARRAYS`` field's values, sweep by sweep.
_Group = tuple[Mapping[str, Any], list[np.ndarray], dict[str, list[np.ndarray]]]


_BLANK = -1


def _codes(column: np.ndarray) -> np.ndarray:
    """Each cell's code: equal cells (and types: 1 and 1.0 differ) one code, blanks (None, '') -1,
    an unhashable cell (an inline record) a code of its own."""
    seen: dict[Any, int] = {"": _BLANK}
    values = column.tolist()
    if all(v.__class__ is str or v is None for v in values):  # sheet text: the cells themselves
        seen[None] = _BLANK
        codes = [seen.setdefault(v, len(seen)) for v in values]
    else:
        codes = []
        for v in values:
            if v is None or v == "":
                codes.append(_BLANK)
                continue
            try:
                codes.append(seen.setdefault((v.__class__, v), len(seen)))
            except TypeError:
                codes.append(seen.setdefault(object(), len(seen)))
    return np.array(codes, dtype=np.int64)


def _blanks(column: np.ndarray) -> np.ndarray:
    """1 where a cell is blank (None, ''), else 0."""
    return np.fromiter((v is None or v == "" for v in column.tolist()), dtype=np.int64, count=len(column))


def _workloads(column: np.ndarray | None, n: int) -> np.ndarray:
    """Each row's workload (``WORKLOAD_NAMES``) or None, as an object array."""
    if column is None:
        return np.full(n, None, dtype=object)
    names = {v: WORKLOAD_NAMES.get(v.strip().lower()) if isinstance(v, str) else None
             for v in dict.fromkeys(c if c.__class__ is str else None for c in column.tolist())}
    return np.fromiter((names.get(c) if c.__class__ is str else None for c in column.tolist()), dtype=object, count=n)


def _groups(rows: Sequence[Mapping[str, Any]], cells: Mapping[str, np.ndarray], estimate: SingleEstimate
            ) -> tuple[dict[Any, _Group], list[int], dict[int, Mapping[str, Any] | EstimatorError]]:
    """Rows grouped by workload and structure (checked values, row numbers, the values of the
    fields ``_SWEEPS`` lets vary), the rows left to the row-by-row path, and the checked values of
    rows left alone that were checked here (any other is checked on the row-by-row path). Column by column: rows
    whose cells differ only in those fields' values (a sweep) are checked together
    (``SingleEstimate.checked_sweep``)."""
    n = len(rows)
    workloads = _workloads(cells.get(WORKLOAD_COLUMN), n)
    alone = np.flatnonzero(~np.isin(workloads, list(_SWEEPS))).tolist()
    groups: dict[Any, _Group] = {}
    names = [c for c in cells if c not in (WORKLOAD_COLUMN, WARNINGS_COLUMN, ERROR_COLUMN)]
    checked_of: dict[int, Mapping[str, Any] | EstimatorError] = {}
    for workload, (may_vary, _) in _SWEEPS.items():
        these = np.flatnonzero(workloads == workload)
        if not len(these):
            continue
        sweep_of = np.zeros(len(these), dtype=np.int64)
        for c in names:  # the sweep number so far x the column's codes, renumbered 0.. (never overflows)
            codes = _blanks(cells[c][these]) if c in may_vary else _codes(cells[c][these]) + 1
            _, sweep_of = np.unique(sweep_of * (int(codes.max()) + 1) + codes, return_inverse=True)
        order = np.argsort(sweep_of, kind="stable")
        bounds = np.flatnonzero(np.diff(sweep_of[order])) + 1
        for part in np.split(these[order], bounds):
            alone += _sweep(rows, cells, estimate, workload, part, names, groups, checked_of)
    return groups, alone, checked_of


def _sweep(rows: Sequence[Mapping[str, Any]], cells: Mapping[str, np.ndarray], estimate: SingleEstimate,
           workload: str, part: np.ndarray, names: list[str], groups: dict[Any, _Group],
           checked_of: dict[int, Mapping[str, Any] | EstimatorError]) -> list[int]:
    """One sweep's rows checked and added to their group; the rows left to the row-by-row path
    (those that passed the check with their checked values in ``checked_of``)."""
    may_vary, needed = _SWEEPS[workload]
    first = rows[int(part[0])]
    base = {k: v for k, v in request_values(first).items() if k not in may_vary}
    varying = tuple(k for k in may_vary if k in names and cells[k][part[0]] is not None and cells[k][part[0]] != "")
    if needed not in varying or len(part) == 1:
        return part.tolist()
    checked, arrays, ok = estimate.checked_sweep(workload, base, {k: cells[k][part] for k in varying})
    key = None if checked is None else _group_key(workload, checked, varying)
    if key is None or checked is None:  # refused, or not for a group: each row estimated alone
        if checked is not None:
            for j in np.flatnonzero(ok).tolist():
                checked_of[int(part[j])] = {**checked, **{k: float(arrays[k][j]) for k in varying}}
        return part.tolist()
    if ok.any():
        group = groups.get(key)
        if group is None:  # the first row's values stand for the group's (a token count, not the model's)
            first_ok = int(np.argmax(ok))
            group = groups[key] = ({**checked, **{k: float(arrays[k][first_ok]) for k in varying}}, [],
                                   {k: [] for k in varying})
        group[1].append(part[ok])
        for k, column in group[2].items():
            column.append(arrays[k][ok])
    return part[~ok].tolist()


class _Columns:
    """Result columns filled group by group: float64 while only floats and blanks (None) arrive,
    objects after."""

    def __init__(self, n: int, names: Sequence[str]) -> None:
        self.n, self.names = n, frozenset(names)
        self.arrays: dict[str, np.ndarray] = {}
        self.deferred: dict[tuple[str, int], list[np.ndarray]] = {}
        self.pending: dict[str, list[tuple[np.ndarray, Any]]] = {}

    def put_later(self, name: str, where: np.ndarray, value: Any) -> None:
        """One value for the cells ``where``, put with the column's others by ``flush``."""
        self.pending.setdefault(name, []).append((where, value))

    def flush(self) -> None:
        """The values ``put_later`` kept: one assignment per column."""
        for name, parts in self.pending.items():
            column = _cells_array([v for _, v in parts])
            self.put(name, np.concatenate([w for w, _ in parts]), np.repeat(column, [len(w) for w, _ in parts]))
        self.pending.clear()

    def put(self, name: str, where: Any, value: Any) -> None:
        array = self.arrays.get(name)
        if value is None:  # a blank: NaN in a float column
            value = np.nan if array is None or array.dtype.kind == "f" else None
        floats = isinstance(value, float) or (isinstance(value, np.ndarray) and value.dtype.kind == "f")
        if array is None:
            array = self.arrays[name] = np.full(self.n, np.nan) if floats else np.full(self.n, None, dtype=object)
        elif array.dtype.kind == "f" and not floats:
            blank = np.isnan(array)
            array = self.arrays[name] = array.astype(object)
            array[blank] = None
        array[where] = value

    def defer(self, name: str, where: np.ndarray, digits: int) -> None:
        """Cells put unrounded, to be rounded to ``digits`` by ``round_deferred``."""
        self.deferred.setdefault((name, digits), []).append(where)

    def round_deferred(self) -> None:
        """``significant_array`` over each column's cells put unrounded, all groups at once."""
        for (name, digits), parts in self.deferred.items():
            where = np.concatenate(parts)
            array = self.arrays[name]
            array[where] = significant_array(np.asarray(array[where], dtype=float), digits)
        self.deferred.clear()

    def column(self, name: str) -> np.ndarray:
        array = self.arrays.get(name)
        return np.full(self.n, np.nan) if array is None else array  # never put: blanks


def _estimate_group(estimate: SingleEstimate, workload: str, values: Mapping[str, Any], index: np.ndarray,
                    arrays: Mapping[str, np.ndarray], out: _Columns) -> list[int]:
    """One group's rows through the pipeline at once; the rows it leaves to the row-by-row path."""
    if len(index) == 1:
        return [int(index[0])]
    try:
        with np.errstate(all="ignore"), rounding_deferred():
            if workload == figures.TRAINING:
                result = estimate.run(workload, values, arrays)
                # The reported sequence length is rounded to 6 digits (off by < 5e-6): rows that might
                # have fewer sequences than GPUs (a warning of their own) go row by row.
                seq = _sequence_tokens(result) * (1 + 1e-5)
                parts = [(index, ~few_sequences(arrays["tokens"], seq, result["gpu_count"]), result)]
            else:  # serving: the rows that choose the same replica, together
                parts = [(index[where], np.ones(int(where.sum()), dtype=bool), result)
                         for where, result in estimate.run_rows(workload, values, arrays)]
            cells = [(rows, keep, result_cells(workload, result)) for rows, keep, result in parts]
    except Exception:  # noqa: BLE001 - refused (not a row's own matter): each row says why itself
        return [int(i) for i in index]
    left: list[int] = []
    for rows, keep, part in cells:
        left += _put_group(out, rows, keep, part)
    return left


def _put_group(out: _Columns, index: np.ndarray, keep: np.ndarray, cells: Mapping[str, Any]) -> list[int]:
    """A group's cells (arrays over ``index``'s rows) where ``keep``; rows with a non-finite figure
    are not put but returned, with the others not kept (the row-by-row path reports them)."""
    arrays = {c: v for c, v in cells.items() if isinstance(v, np.ndarray)}
    for v in arrays.values():
        keep &= np.isfinite(v)
    rows = index[keep]
    for c, v in cells.items():
        if c in out.names:
            if isinstance(v, Unrounded):
                out.defer(c, rows, v.digits)
            if c in arrays:
                out.put(c, rows, np.asarray(v)[keep])
            else:
                out.put_later(c, rows, v)
    if ERROR_COLUMN in out.names:
        out.put_later(ERROR_COLUMN, rows, "")
    return [int(i) for i in index[~keep]]
