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

pandas lives here (and in the app), never in the pure core modules.
"""

from __future__ import annotations

import csv
import functools
import io
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from . import batch, figures
from .catalog import SEEDS_DIR, load_catalog
from .cost import PriceBook, load_price_book
from .errors import InvalidInputError

#: Rows one batch may hold, by default (the CLI's --max-rows, the app's BATCH_MAX_ROWS).
MAX_ROWS = 100_000
README_SHEET = "README"
ENGINES = ("local", "dask")
#: Rows per Dask partition.
PARTITION_ROWS = 20_000


@dataclass(frozen=True)
class Context:
    """What a worker needs to build the estimator itself (picklable: sent to Dask workers)."""

    seeds_dir: str = str(SEEDS_DIR)
    database_url: str | None = None
    #: Rows of sheet text (typed by ``app.batch_rows.typed_cells`` first), or of JSON values.
    text_cells: bool = True


@functools.lru_cache(maxsize=4)
def estimator_for(context: Context) -> batch.RowEstimate:
    """The single-estimate path with the request schemas' checks, built once per process."""
    from pricing.cli import book_for  # the one place the CLI resolves --pricing-table

    from .app.batch_rows import check_row, check_text_row

    catalog = load_catalog(Path(context.seeds_dir))
    seed = load_price_book(Path(context.seeds_dir) / "pricing")
    cache: dict[str | None, PriceBook] = {}

    def books(ref: str | None) -> PriceBook:
        if ref not in cache:
            cache[ref] = book_for(ref, context.database_url, seed)
        return cache[ref]

    return batch.single_estimate(catalog, books, check_text_row if context.text_cells else check_row)


def read_scenarios(data: bytes, file_name: str, *, max_rows: int = MAX_ROWS) -> list[dict[str, str]]:
    """The scenario rows of a file as text cells by header name (blank rows left out)."""
    from pricing.read import Limits, read_upload

    raw = read_upload(data, file_name, limits=Limits(max_rows=max_rows, max_cells=max(2_000_000, max_rows * 40)))
    sheets = [s for s in raw.sheets if s.name.strip().upper() != README_SHEET] or raw.sheets
    sheet = sheets[0]
    header = [h.strip() for h in sheet.header]
    if batch.WORKLOAD_COLUMN not in header:
        raise InvalidInputError(f"The first sheet needs a '{batch.WORKLOAD_COLUMN}' column (training or inference) "
                                "and the request's fields as its header; `estimator batch --template` writes one.",
                                field=batch.WORKLOAD_COLUMN)
    rows = []
    for row in sheet.rows:
        if any(c.strip() for c in row.cells):
            rows.append({h: c for h, c in zip(header, row.cells, strict=True) if h})
    if len(rows) > max_rows:
        raise InvalidInputError(f"{len(rows):,} scenarios; the limit is {max_rows:,}. Split the file.", field="file")
    return rows


def _columns(rows: Sequence[Mapping[str, Any]]) -> list[str]:
    inputs = list(dict.fromkeys(k for r in rows for k in r))
    outputs = batch.output_columns({r.get(batch.WORKLOAD_COLUMN) for r in rows})
    return [c for c in inputs if c not in outputs] + outputs


def estimate_partition(frame: pd.DataFrame, context: Context, columns: Sequence[str]) -> pd.DataFrame:
    """One partition's rows estimated (the function Dask maps over partitions; local runs call it
    once): a missing cell (None, NaN) is blank, result columns in ``columns`` order."""
    records = [{k: _cell(v) for k, v in r.items()} for r in frame.to_dict("records")]
    out = list(batch.estimate_rows(records, estimator_for(context)))
    return pd.DataFrame.from_records(out, columns=list(columns)).astype(object).set_axis(frame.index)


def run_batch(rows: Sequence[Mapping[str, Any]], *, engine: str = "local", scheduler: str | None = None,
              context: Context | None = None, progress: Callable[[int], None] | None = None,
              estimate: batch.RowEstimate | None = None) -> pd.DataFrame:
    """Every row estimated, in order, as a table of the input and result columns. ``estimate``
    (local engine only; the app's, with its catalog and pricing store) replaces the context's."""
    context = context or Context()
    columns = _columns(rows)
    if engine == "local":
        estimate = estimate or estimator_for(context)
        out = []
        for done, row in enumerate(batch.estimate_rows(rows, estimate), 1):
            out.append(row)
            if progress is not None and done % 1000 == 0:
                progress(1000)
        if progress is not None:
            progress(len(out) % 1000)
        return pd.DataFrame.from_records(out, columns=columns)
    if engine == "dask":
        return _run_dask(rows, context, columns, scheduler)
    raise InvalidInputError(f"Unknown engine '{engine}': use one of {', '.join(ENGINES)}.", field="engine")


def _run_dask(rows: Sequence[Mapping[str, Any]], context: Context, columns: list[str],
              scheduler: str | None) -> pd.DataFrame:
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
    meta = pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
    mapped = ddf.map_partitions(estimate_partition, context, columns, meta=meta)
    if scheduler is not None:
        with Client(scheduler) as client:
            return client.compute(mapped).result()  # type: ignore[no-any-return]
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None) as cluster, \
            Client(cluster) as client:
        return client.compute(mapped).result()  # type: ignore[no-any-return]


def _cell(value: Any) -> Any:
    if value is None or (isinstance(value, float) and value != value):
        return ""
    return value


def to_csv(table: pd.DataFrame) -> bytes:
    """The table as UTF-8 CSV; text starting ``= + - @`` neutralised (``pricing.export``)."""
    from pricing.export import _csv_text

    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(table.columns)
    writer.writerows([_csv_text(_cell(v)) for v in values] for values in table.itertuples(index=False, name=None))
    return buffer.getvalue().encode()


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
