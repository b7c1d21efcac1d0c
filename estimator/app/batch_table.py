"""Batch estimates as tables: a sheet of scenarios in, the same sheet with results out (issue 15).

Inputs: an uploaded or local file (xlsx, ods or csv: read by ``pricing.read.read_upload``, with the
same size, zip and text caps as a pricing import), or rows already as mappings (the JSON API).
The first sheet not called README holds one scenario per row; row 1 its header (the API request's
field names and ``workload``).
Outputs: result rows (``estimator.batch``: input columns, result columns, ``warnings``, ``error``),
as csv or xlsx bytes (``to_csv``, ``to_xlsx``: XlsxWriter with formulas and URLs off, a leading
``= + - @`` in CSV text neutralised as ``pricing.export`` does).

Engines (``run_batch``): ``"local"`` estimates in this process; ``"dask"`` splits the rows into
partitions and runs the same per-partition function (``estimate_partition``) with
``dask.dataframe.map_partitions`` on the distributed scheduler: a ``LocalCluster`` started for the
call, or the cluster at ``scheduler`` (``tcp://host:port``; its workers need this package installed).

The table layer sits in the app package, above the core: pandas and the file formats live here,
and the core (``estimator.batch`` and the formulas) never imports it. The request-schema check of
each row (``batch_rows.check_text_row`` / ``check_text_rows`` / ``check_text_sweep``, or
``check_row``) is given by the caller in ``Context`` (the CLI, the app, the benchmark).
"""

from __future__ import annotations

import functools
import io
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from estimator import batch, figures
from estimator.catalog import SEEDS_DIR, load_catalog
from estimator.cost import PriceBook, load_price_book
from estimator.errors import InvalidInputError

#: Rows one batch may hold, by default (the CLI's --max-rows, the app's BATCH_MAX_ROWS).
MAX_ROWS = 100_000
README_SHEET = "README"
ENGINES = ("local", "dask")
#: Rows per Dask partition (each partition groups its own rows: larger ones share more structure).
PARTITION_ROWS = 100_000
#: Rows estimated between two progress reports (each chunk is grouped on its own).
PROGRESS_ROWS = 100_000


@dataclass(frozen=True)
class Context:
    """What a worker needs to build the estimator itself (picklable: sent to Dask workers)."""

    seeds_dir: str = str(SEEDS_DIR)
    database_url: str | None = None
    #: The check of one row's values (a module-level function, so it pickles by name): the
    #: request schema, e.g. ``estimator.app.batch_rows.check_text_row`` for sheet text. None: the
    #: rows are already typed and checked.
    check: batch.RowCheck | None = None
    #: The same check over many rows (``app.batch_rows.check_text_rows``); None: ``check`` row by row.
    check_rows: batch.RowsCheck | None = None
    #: The same check over a sweep's columns (``app.batch_rows.check_text_sweep``); None: by rows.
    check_sweep: batch.SweepCheck | None = None


@functools.lru_cache(maxsize=4)
def estimator_for(context: Context) -> batch.SingleEstimate:
    """The single-estimate path with the context's row check, built once per process."""
    from pricing.cli import book_for  # the one place the CLI resolves --pricing-table

    catalog = load_catalog(Path(context.seeds_dir))
    seed = load_price_book(Path(context.seeds_dir) / "pricing")
    cache: dict[str | None, PriceBook] = {}

    def books(ref: str | None) -> PriceBook:
        if ref not in cache:
            cache[ref] = book_for(ref, context.database_url, seed)
        return cache[ref]

    return batch.single_estimate(catalog, books, context.check, context.check_rows, context.check_sweep)


def read_scenarios(data: bytes, file_name: str, *, max_rows: int = MAX_ROWS, media_type: str = "") -> list[dict[str, str]]:
    """The scenario rows of a file as text cells by header name (blank rows left out); ``media_type``:
    the upload's declared Content-Type (``pricing.read.detect_kind``)."""
    from pricing.read import Limits, read_upload

    base = Limits()  # a pricing table's caps, scaled with the rows allowed (a scenario row is short)
    raw = read_upload(data, file_name, media_type=media_type, limits=Limits(
        max_rows=max_rows, max_cells=max(base.max_cells, max_rows * 40),
        max_file_bytes=max(base.max_file_bytes, max_rows * 160), max_unpacked_bytes=max(base.max_unpacked_bytes, max_rows * 2000),
        max_text_bytes=max(base.max_text_bytes, max_rows * 640)))
    sheets = [s for s in raw.sheets if s.name.strip().upper() != README_SHEET] or raw.sheets
    sheet = sheets[0]
    header = [h.strip() for h in sheet.header]
    if batch.WORKLOAD_COLUMN not in header:
        raise InvalidInputError(f"The first sheet needs a '{batch.WORKLOAD_COLUMN}' column (training or inference) "
                                "and the request's fields as its header; `estimator batch --template` writes one.",
                                field=batch.WORKLOAD_COLUMN)
    named = [i for i, h in enumerate(header) if h]  # a column without a header is not read
    if len(named) == len(header):
        rows = [dict(zip(header, row.cells, strict=True)) for row in sheet.rows if "".join(row.cells).strip()]
    else:
        rows = [{header[i]: row.cells[i] for i in named} for row in sheet.rows if "".join(row.cells).strip()]
    if len(rows) > max_rows:
        raise InvalidInputError(f"{len(rows):,} scenarios; the limit is {max_rows:,}. Split the file.", field="file")
    return rows


def _columns(rows: Sequence[Mapping[str, Any]]) -> list[str]:
    inputs = list(dict.fromkeys(k for r in rows for k in r))
    outputs = batch.output_columns({r.get(batch.WORKLOAD_COLUMN) for r in rows})
    return [c for c in inputs if c not in outputs] + outputs


def estimate_partition(frame: pd.DataFrame, context: Context, columns: Sequence[str]) -> pd.DataFrame:
    """One partition's rows estimated (the function Dask maps over partitions): a missing cell
    (None, NaN) is blank; the result columns of ``columns`` only, in its order (the caller has the
    input columns: they are not sent back)."""
    records = [{k: _cell(v) for k, v in r.items()} for r in frame.to_dict("records")]
    outputs = [c for c in columns if c not in frame.columns]
    cells = batch.estimate_columns(records, estimator_for(context), outputs)
    return _frame(cells, outputs).set_axis(frame.index)


def _concatenate(parts: list[np.ndarray]) -> np.ndarray:
    if not parts:
        return np.array([], dtype=object)
    if all(p.dtype.kind == "f" for p in parts):
        return np.concatenate(parts)
    return np.concatenate([p.astype(object) for p in parts])


def _tidy(table: pd.DataFrame) -> pd.DataFrame:
    """A column of floats and blanks (or blanks only) as float64 (a blank is NaN), a blank in any
    other column None, however the rows were split (as ``batch.estimate_columns`` gives one part)."""
    for name in table.columns:
        column = table[name]
        if column.dtype != object:
            continue
        if pd.api.types.infer_dtype(column, skipna=True) in ("floating", "empty"):
            table[name] = column.astype(float)
        else:
            values = column.to_numpy(copy=True)
            values[pd.isna(values)] = None
            table[name] = pd.Series(values, index=table.index, dtype=object)
    return table


def _frame(cells: Mapping[str, np.ndarray], columns: Sequence[str]) -> pd.DataFrame:
    """Columns of cells as they are: float64 or objects (pandas infers no string dtype)."""
    return pd.DataFrame({c: pd.Series(cells[c], dtype=float if cells[c].dtype.kind == "f" else object, copy=False)
                         for c in columns}, columns=list(columns))


def run_batch(rows: Sequence[Mapping[str, Any]], *, engine: str = "local", scheduler: str | None = None,
              context: Context | None = None, progress: Callable[[int], None] | None = None,
              estimate: batch.RowEstimate | None = None, processes: bool = False) -> pd.DataFrame:
    """Every row estimated, in order, as a table of the input and result columns. ``estimate``
    (local engine only; the app's, with its catalog and pricing store) replaces the context's.
    ``processes``: the local Dask cluster's two workers as processes (both cores) rather than threads."""
    context = context or Context()
    columns = _columns(rows)
    if engine == "local":
        estimate = estimate or estimator_for(context)
        out: dict[str, Any] = {c: [] for c in columns}
        for start in range(0, len(rows), PROGRESS_ROWS):  # chunks, for the progress bar
            part = rows[start:start + PROGRESS_ROWS]
            for c, values in batch.estimate_columns(part, estimate, columns).items():
                out[c].append(values)
            if progress is not None:
                progress(len(part))
        if len(rows) <= PROGRESS_ROWS:  # one chunk: its columns as they are
            return _frame({c: v[0] if v else np.array([], dtype=object) for c, v in out.items()}, columns)
        return _tidy(_frame({c: _concatenate(v) for c, v in out.items()}, columns))
    if engine == "dask":
        return _run_dask(rows, context, columns, scheduler, processes)
    raise InvalidInputError(f"Unknown engine '{engine}': use one of {', '.join(ENGINES)}.", field="engine")


def _run_dask(rows: Sequence[Mapping[str, Any]], context: Context, columns: list[str],
              scheduler: str | None, processes: bool = False) -> pd.DataFrame:
    try:
        import dask
        import dask.dataframe as dd
        from distributed import Client, LocalCluster
    except ImportError:
        raise InvalidInputError("The dask engine needs Dask: pip install 'compute-cost-estimator[batch]'.",
                                field="engine") from None

    inputs = [c for c in columns if c not in batch.output_columns(figures.WORKLOADS)]
    frame = pd.DataFrame.from_records(list(rows), columns=inputs).astype(object)
    parts = max(1, -(-len(frame) // PARTITION_ROWS))
    with dask.config.set({"dataframe.convert-string": False}):  # cells stay as read (no pyarrow strings)
        ddf = dd.from_pandas(frame, npartitions=parts, sort=False)
    meta = pd.DataFrame({c: pd.Series(dtype=object) for c in columns if c not in inputs})
    mapped = ddf.map_partitions(estimate_partition, context, columns, meta=meta)

    def table(results: pd.DataFrame) -> pd.DataFrame:
        return _tidy(pd.concat([frame, results], axis=1)[columns])

    if scheduler is not None:
        with Client(scheduler) as client:
            return table(client.compute(mapped).result())
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=processes, dashboard_address=None) as cluster, \
            Client(cluster) as client:
        return table(client.compute(mapped).result())


def _cell(value: Any) -> Any:
    if value is None or (isinstance(value, float) and value != value):
        return ""
    return value


def to_csv(table: pd.DataFrame) -> bytes:
    """The table as UTF-8 CSV; text starting ``= + - @`` neutralised (``pricing.export``).

    Column by column (pandas' Arrow engine writes it): a column of floats (and blanks) as numbers
    (shortest round-trip text; a whole number without '.0', as ``pricing.export`` writes it), a
    column of whole numbers as integers, any other through ``pricing.export``'s cell text once per
    distinct value."""
    import pyarrow as pa
    from pyarrow import csv as pa_csv

    columns = [pa.array(_csv_column(table[name].to_numpy()), from_pandas=True) for name in table.columns]
    buffer = io.BytesIO()
    pa_csv.write_csv(pa.Table.from_arrays(columns, names=[str(c) for c in table.columns]), buffer,
                     pa_csv.WriteOptions(quoting_style="needed"))
    return buffer.getvalue()


def _csv_column(values: np.ndarray) -> Any:
    from pricing.export import _FORMULA_START, _csv_text

    if values.dtype.kind == "f":
        return values  # NaN -> blank
    kind = pd.api.types.infer_dtype(values, skipna=True)  # None is a blank
    if kind == "floating":
        return values.astype(float)  # None -> NaN -> blank
    if kind == "integer":
        return pd.array(values, dtype="Int64")
    if kind == "empty":
        return np.full(len(values), "", dtype=object)
    if kind != "string":  # mixed (True and 1 would be one value to pandas), or records: one by one
        return np.array([_csv_text(_cell(v)) for v in values], dtype=object)
    # Text (and blanks): ``_csv_text`` of a text is the text, with a leading quote before a formula start.
    def text(v: Any) -> str:
        return "" if not isinstance(v, str) else ("'" + v if v.startswith(_FORMULA_START) else v)

    codes, distinct = pd.factorize(values, use_na_sentinel=True)  # None and NaN: -1, a blank
    if len(distinct) * 4 < len(values):  # few distinct texts: each written once
        return np.array([*(text(v) for v in distinct), ""], dtype=object)[codes]
    return np.fromiter((text(v) for v in values.tolist()), dtype=object, count=len(values))


def to_xlsx(table: pd.DataFrame, sheet: str = "Results") -> bytes:
    """The table as an xlsx workbook (strings never become formulas or links)."""
    import xlsxwriter

    from pricing.export import WORKBOOK_OPTIONS

    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {**WORKBOOK_OPTIONS, "in_memory": True})
    ws = workbook.add_worksheet(sheet)
    bold = workbook.add_format({"bold": True})
    ws.write_row(0, 0, list(table.columns), bold)
    for r, values in enumerate(table.itertuples(index=False), 1):
        for c, value in enumerate(values):
            value = _cell(value)
            if isinstance(value, str):
                ws.write_string(r, c, value)
            elif value != "":
                ws.write(r, c, value)
    ws.freeze_panes(1, 0)
    workbook.close()
    return buffer.getvalue()
