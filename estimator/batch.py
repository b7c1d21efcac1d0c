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

Formulas: none here; every row goes through the single-estimate path (``inputs.training_request`` /
``inference_request`` -> ``estimate_training`` / ``estimate_inference`` -> ``to_dict``, exactly as
``app/run.py`` and the CLI do), in one of two ways (``estimate_columns``):

- training rows that give ``tokens`` and ``gpus`` are grouped by everything else (model, hardware,
  precision, GPUs, sequence, recompute, layout, overrides, prices, pricing table): the step model
  and the layout depend only on that, the token count scales the rest. Each group runs the single
  pipeline once with ``tokens`` a numpy array (its formulas are plain arithmetic; ``Band.ascending``
  and ``significant`` work element by element), so every row equals its single estimate bit for bit.
  A row whose figures overflow or that has fewer sequences than GPUs (a warning of its own) goes the
  second way, as does every row of a group the core refuses;
- every other row (serving, a deadline instead of a GPU count: its GPU count depends on its token
  count and so its step time) is estimated alone, each distinct scenario once, rows repeating it
  reusing its result (the serving search for one scenario is cached in ``inference``).
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
from .inference import estimate_inference, shared_replica_searches
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
    """One estimate's result as result cells (and its warnings joined into one)."""
    cells = {c.name: c.cell(result) for c in result_columns(workload)}
    cells[WARNINGS_COLUMN] = WARNING_SEPARATOR.join(result.get("warnings") or ())
    return cells


#: Checks a row's request values as the API's request schema does: (workload, values) -> checked values;
#: raises EstimatorError with the API's problem detail as its message.
RowCheck = Callable[[str, Mapping[str, Any]], Mapping[str, Any]]
#: ``RowCheck`` of many rows at once: each row's checked values, or its error (the same as RowCheck's).
RowsCheck = Callable[[str, Sequence[Mapping[str, Any]]], Sequence["Mapping[str, Any] | EstimatorError"]]


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

    def run(self, workload: str, values: Mapping[str, Any],
            arrays: Mapping[str, np.ndarray] | None = None) -> Mapping[str, Any]:
        """The estimate of checked values (``arrays``: one value per row of some request fields,
        numpy arrays in place of the values' own)."""
        rest = {k: v for k, v in values.items() if k != "pricing_table"}
        request = _BUILD[workload](self.catalog, rest)
        if arrays:
            request = dataclasses.replace(request, **arrays)
        return _RUN[workload](request, self.book_for(values.get("pricing_table")), self.catalog).to_dict()  # type: ignore[no-any-return]

    def __call__(self, workload: str, values: Mapping[str, Any]) -> Mapping[str, Any]:
        return self.run(workload, self.checked(workload, values))


def single_estimate(catalog: Catalog, book_for: Callable[[str | None], PriceBook],
                    check: RowCheck | None = None, check_rows: RowsCheck | None = None) -> SingleEstimate:
    """The single-estimate path for one row (``SingleEstimate``)."""
    return SingleEstimate(catalog, book_for, check, check_rows)


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
        if checked is not None and isinstance(estimate, SingleEstimate):
            cells = result_cells(workload, estimate.run(workload, checked))
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


def _workload(row: Mapping[str, Any]) -> str | None:
    given = row.get(WORKLOAD_COLUMN)
    return WORKLOAD_NAMES.get(given.strip().lower()) if isinstance(given, str) else None


def _number(value: Any) -> bool:
    return isinstance(value, float | int) and not isinstance(value, bool)


def _group_key(values: Mapping[str, Any]) -> tuple[Any, ...] | None:
    """The structural key of checked training values (all but the values of ``ROW_ARRAYS``, which
    must be numbers), or None: alone."""
    if not _number(values.get("tokens")) or values.get("gpus") is None \
            or any(values.get(k) is not None for k in _ALONE) \
            or not all(_number(values[k]) for k in ROW_ARRAYS if k in values):
        return None
    # Equal keys mean equal values (the type too: True == 1); equal values written in another order
    # only make another group.
    key = tuple((k,) if k in ROW_ARRAYS else (k, type(v), v) for k, v in values.items())
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
    inputs = {c: np.full(n, None, dtype=object) for c in dict.fromkeys(k for r in rows for k in r) if c in out.names}
    for i, row in enumerate(rows):
        for c, v in row.items():
            if c in inputs:
                inputs[c][i] = v
    out.arrays.update(inputs)
    if isinstance(estimate, SingleEstimate):
        groups, alone, checked = _groups(rows, estimate)
        for values, index, arrays in groups.values():
            alone += _estimate_group(estimate, values, np.array(index),
                                     {k: np.array(v, dtype=float) for k, v in arrays.items()}, out)
        out.round_deferred()
    else:
        alone, checked = list(range(n)), {}
    done: dict[str, dict[str, Any]] = {}
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
                        out.put(c, i, v)
    return {c: out.column(c) for c in columns}


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


#: A group: the first row's checked values, the rows' numbers, each ``ROW_ARRAYS`` field's values.
_Group = tuple[Mapping[str, Any], list[int], dict[str, list[float]]]


def _groups(rows: Sequence[Mapping[str, Any]], estimate: SingleEstimate
            ) -> tuple[dict[Any, _Group], list[int], dict[int, Mapping[str, Any] | EstimatorError]]:
    """Training rows grouped by structure (checked values, row numbers, token counts), the rows
    left to the row-by-row path, and each training row's checked values (or why not). Rows whose
    cells differ only in the values of ``ROW_ARRAYS`` are checked together."""
    alone: list[int] = []
    checked_of: dict[int, Mapping[str, Any] | EstimatorError] = {}
    sweeps: dict[Any, tuple[list[int], list[Mapping[str, Any]]]] = {}
    for i, row in enumerate(rows):
        if _workload(row) != figures.TRAINING:
            alone.append(i)
            continue
        values = request_values(row)
        try:
            same = sweeps.setdefault(tuple((k,) if k in ROW_ARRAYS else (k, type(v), v) for k, v in values.items()),
                                     ([], []))
        except TypeError:
            alone.append(i)
            continue
        same[0].append(i)
        same[1].append(values)
    groups: dict[Any, _Group] = {}
    for index, cells in sweeps.values():
        key: tuple[Any, ...] | None = None
        varying: tuple[str, ...] = ()
        for i, checked in zip(index, estimate.checked_rows(figures.TRAINING, cells), strict=True):
            checked_of[i] = checked
            if isinstance(checked, EstimatorError):
                alone.append(i)  # refused: the row-by-row path reports it
                continue
            if key is None:  # the sweep's other values are equal: its first valid row's key is theirs
                key = _group_key(checked)
                varying = tuple(k for k in ROW_ARRAYS if k in checked)
            if key is None or not all(_number(checked.get(k)) for k in varying):
                alone.append(i)  # no token count, a deadline, or a value that is not a number
                continue
            group = groups.get(key)
            if group is None:
                group = groups[key] = (checked, [], {k: [] for k in varying})
            group[1].append(i)
            for k, column in group[2].items():
                column.append(checked[k])
    return groups, alone, checked_of


class _Columns:
    """Result columns filled group by group: float64 while only floats arrive, objects after."""

    def __init__(self, n: int, names: Sequence[str]) -> None:
        self.n, self.names = n, frozenset(names)
        self.arrays: dict[str, np.ndarray] = {}
        self.deferred: dict[tuple[str, int], list[np.ndarray]] = {}

    def put(self, name: str, where: Any, value: Any) -> None:
        array = self.arrays.get(name)
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
        return np.full(self.n, None, dtype=object) if array is None else array


def _estimate_group(estimate: SingleEstimate, values: Mapping[str, Any], index: np.ndarray,
                    arrays: Mapping[str, np.ndarray], out: _Columns) -> list[int]:
    """One group's rows through the pipeline at once; the rows it leaves to the row-by-row path."""
    if len(index) == 1:
        return [int(index[0])]
    tokens = arrays["tokens"]
    try:
        with np.errstate(all="ignore"), rounding_deferred():
            result = estimate.run(figures.TRAINING, values, arrays)
            cells = result_cells(figures.TRAINING, result)
        # The reported sequence length is rounded to 6 digits (off by < 5e-6): rows that might have
        # fewer sequences than GPUs (a warning of their own) go row by row, where the core decides.
        seq = _sequence_tokens(result) * (1 + 1e-5)
        keep = ~few_sequences(tokens, seq, result["gpu_count"])
    except Exception:  # noqa: BLE001 - refused (not a token-count matter): each row says why itself
        return [int(i) for i in index]
    arrays = {c: v for c, v in cells.items() if isinstance(v, np.ndarray)}
    for v in arrays.values():
        keep &= np.isfinite(v)
    rows = index[keep]
    for c, v in cells.items():
        if c in out.names:
            if isinstance(v, Unrounded):
                out.defer(c, rows, v.digits)
            out.put(c, rows, np.asarray(v)[keep] if c in arrays else v)
    if ERROR_COLUMN in out.names:
        out.put(ERROR_COLUMN, rows, "")
    return [int(i) for i in index[~keep]]
