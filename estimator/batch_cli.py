"""``estimator batch``: a sheet of scenarios in, every row estimated, the results written out.

    estimator batch scenarios.xlsx -o results.xlsx            (or .csv; no -o: CSV on stdout)
    estimator batch scenarios.csv -o results.csv --engine dask [--scheduler tcp://host:8786]
    estimator batch --template scenarios.xlsx                 (the input columns and a README sheet)

Rows, columns and errors are those of ``estimator/batch.py`` (via ``app/batch_table.py``); a bad row is
reported in its own ``error`` cell and the command still exits 0. A file that cannot be read, or
a bad option, exits with status 2 and the reason on stderr (``cli.run``). A progress bar goes to
stderr only when it is a terminal (rich).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from . import batch
from .app import batch_table
from .errors import InvalidInputError

OUTPUT_KINDS = (".csv", ".xlsx")


def add_parser(sub: Any) -> None:
    p = sub.add_parser("batch", help="estimate every scenario (row) of an xlsx, ods or csv file")
    p.add_argument("file", nargs="?", type=Path, help="the scenarios: row 1 the API's field names and 'workload'")
    p.add_argument("-o", "--output", type=Path, help="results file, .csv or .xlsx (default: CSV on stdout)")
    p.add_argument("--template", type=Path, metavar="OUT.xlsx", help="write a scenarios template and stop")
    p.add_argument("--engine", choices=batch_table.ENGINES, default="local",
                   help="local: this process; dask: a Dask cluster (a local one unless --scheduler)")
    p.add_argument("--scheduler", help="a running Dask scheduler, tcp://host:port (with --engine dask)")
    p.add_argument("--max-rows", type=int, default=batch_table.MAX_ROWS, help="rows a file may hold (default %(default)s)")
    p.add_argument("--database-url", help="pricing store for rows naming a pricing_table (default: "
                   "ESTIMATOR_DATABASE_URL or the app's SQLite file)")


def _write(path: Path, data: bytes) -> None:
    try:
        path.write_bytes(data)
    except OSError as exc:
        raise InvalidInputError(f"Cannot write '{path}': {exc.strerror}.", field="output") from None


def _progress(total: int) -> tuple[Callable[[int], None] | None, Callable[[], None]]:
    """A rich progress bar on stderr when it is a terminal; otherwise nothing."""
    if not sys.stderr.isatty():
        return None, lambda: None
    from rich.console import Console
    from rich.progress import Progress

    bar = Progress(console=Console(stderr=True), transient=True)
    task = bar.add_task("estimating", total=total)
    bar.start()
    return (lambda n: bar.advance(task, n)), bar.stop


def run(args: argparse.Namespace, out: Callable[[str], None]) -> int:
    if args.template is not None:
        from .app.batch_rows import template_xlsx

        _write(args.template, template_xlsx())
        print(f"wrote {args.template}", file=sys.stderr)
        return 0
    if args.file is None:
        raise InvalidInputError("Give the scenarios file (xlsx, ods or csv), or --template OUT.xlsx.", field="file")
    if args.output is not None and args.output.suffix.lower() not in OUTPUT_KINDS:
        raise InvalidInputError(f"-o must end in {' or '.join(OUTPUT_KINDS)}: '{args.output}'.", field="output")
    if args.scheduler and args.engine != "dask":
        raise InvalidInputError("--scheduler goes with --engine dask.", field="scheduler")
    try:
        data = args.file.read_bytes()
    except OSError as exc:
        raise InvalidInputError(f"Cannot read '{args.file}': {exc.strerror}.", field="file") from None
    from .app.batch_rows import check_text_row, check_text_rows, check_text_sweep  # the API's request schemas

    rows = batch_table.read_scenarios(data, args.file.name, max_rows=args.max_rows)
    advance, stop = _progress(len(rows)) if args.engine == "local" else (None, lambda: None)
    try:
        table = batch_table.run_batch(rows, engine=args.engine, scheduler=args.scheduler, progress=advance,
                                      context=batch_table.Context(database_url=args.database_url, check=check_text_row,
                                                                  check_rows=check_text_rows, check_sweep=check_text_sweep))
    finally:
        stop()
    failed = int((table[batch.ERROR_COLUMN] != "").sum()) if len(table) else 0
    if args.output is None:
        out(batch_table.to_csv(table).decode().rstrip("\n"))
    else:
        to = batch_table.to_xlsx if args.output.suffix.lower() == ".xlsx" else batch_table.to_csv
        _write(args.output, to(table))
    print(f"{len(table):,} rows estimated, {failed:,} with an error" +
          (f"; wrote {args.output}" if args.output else ""), file=sys.stderr)
    return 0
