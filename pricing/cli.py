"""``estimator pricing …``: the pricing store from the command line.

    estimator pricing list
    estimator pricing import prices.xlsx --name acme            (a CSV: add --sheet gpu_prices)
    estimator pricing versions acme
    estimator pricing show acme@2 [--json]
    estimator pricing diff acme 1 2
    estimator pricing activate acme 1
    estimator pricing rollback acme
    estimator pricing export acme@2 --output acme.xlsx          (--format csv --sheet gpu_prices)
    estimator pricing template --output pricing-template.xlsx

The store is ``--database-url`` or ``ESTIMATOR_DATABASE_URL``, else the app's default (SQLite in
its instance folder), so the CLI and a local service see the same tables. Writing to the
database needs no token: whoever can open it may write; versions record ``--by`` (default
``cli:<user>``). Every estimate command takes ``--pricing-table NAME[@VERSION]``.
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from estimator.catalog import Catalog
from estimator.cost import PriceBook
from estimator.instance import instance_path

from .books import resolve, seed_sheets
from .errors import ImportRejected, PricingTableError
from .store import PricingStore, parse_ref
from .tables import SEED_TABLE, TABLES


def default_database_url() -> str:
    """ESTIMATOR_DATABASE_URL, else SQLite in the service's instance folder (``estimator.instance``,
    the folder ``create_app`` gives Flask), so the CLI opens the store a local service uses."""
    url = os.environ.get("ESTIMATOR_DATABASE_URL", "")
    if url:
        return url
    return "sqlite:///" + str(Path(instance_path()) / "pricing.sqlite3")


def open_store(url: str | None) -> PricingStore:
    url = url or default_database_url()
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    store = PricingStore(url)
    store.create_schema()
    return store


def add_database_option(p: Any) -> None:
    p.add_argument("--database-url", help="pricing store (default: ESTIMATOR_DATABASE_URL or the app's SQLite file)")


def add_pricing_table_option(p: Any) -> None:
    p.add_argument("--pricing-table", help="prices from this table: NAME (its active version), NAME@VERSION or seed")
    add_database_option(p)


def book_for(ref: str | None, database_url: str | None, seed: PriceBook) -> PriceBook:
    """The price book an estimate command names with --pricing-table."""
    if ref is None or ref == SEED_TABLE:
        return seed
    store = open_store(database_url)
    try:
        return resolve(ref, seed, store)
    finally:
        store.dispose()


def add_parser(sub: Any) -> None:
    p = sub.add_parser("pricing", help="pricing tables: import spreadsheets, versions, export")
    cmds = p.add_subparsers(dest="pricing_command", required=True)

    def cmd(name: str, help_text: str) -> Any:
        c = cmds.add_parser(name, help=help_text)
        add_database_option(c)
        return c

    c = cmd("list", "list pricing tables")
    c.add_argument("--json", action="store_true")
    c = cmd("import", "import an xlsx, ods or csv file as a new version of a table")
    c.add_argument("file", type=Path)
    c.add_argument("--name", required=True, help="table name, e.g. acme-2026q3")
    c.add_argument("--sheet", choices=list(TABLES), help="for a CSV without a 'table' column: which sheet it holds")
    c.add_argument("--no-activate", action="store_true", help="store the version without making it active")
    c.add_argument("--note", help="a note kept with the version")
    c.add_argument("--by", default=None, help="who imports it (default cli:<user>)")
    c.add_argument("--json", action="store_true")
    c = cmd("versions", "list a table's versions")
    c.add_argument("name")
    c.add_argument("--json", action="store_true")
    c = cmd("show", "show a version's rows (NAME: the active one, NAME@N)")
    c.add_argument("ref")
    c.add_argument("--json", action="store_true")
    c = cmd("diff", "rows added, removed and changed between two versions")
    c.add_argument("name")
    c.add_argument("a", type=int)
    c.add_argument("b", type=int)
    c.add_argument("--json", action="store_true")
    c = cmd("index", "store the row digests a diff compares for versions imported before they were stored")
    c.add_argument("name")
    c = cmd("activate", "make a version the active one")
    c.add_argument("name")
    c.add_argument("version", type=int)
    c = cmd("rollback", "activate the version that was active before the current one")
    c.add_argument("name")
    c = cmd("export", "write a version (or the seed table) to xlsx or csv")
    c.add_argument("ref")
    c.add_argument("--output", "-o", type=Path, required=True)
    c.add_argument("--format", choices=("xlsx", "csv"), default=None, help="default: from the output's extension")
    c.add_argument("--sheet", choices=list(TABLES), help="csv: the sheet to write")
    c = cmd("template", "write an empty pricing workbook with every column documented")
    c.add_argument("--output", "-o", type=Path, required=True)


def describe_problem(problem: Any) -> str:
    where = [f"sheet '{problem.sheet}'" if problem.sheet else "", f"row {problem.row}" if problem.row else "",
             f"column {problem.column} ({problem.column_letter})" if problem.column else ""]
    place = ", ".join(w for w in where if w)
    value = f" [value: {problem.value!r}]" if problem.value not in (None, "") else ""
    return f"{place + ': ' if place else ''}{problem.message} ({problem.code}){value}"


def _sheets_for(ref: str, store: PricingStore, seed_dir: Path,
                catalog: Catalog) -> tuple[str, dict[str, list[dict[str, Any]]]]:
    if ref == SEED_TABLE:
        return SEED_TABLE, seed_sheets(seed_dir, catalog)
    name, number = parse_ref(ref)
    if name == SEED_TABLE:
        raise PricingTableError("The seed table is built in and has no versions: use 'seed'.", field="ref")
    stored = store.version(name, number)
    return stored.info.ref, stored.sheets


def run(args: argparse.Namespace, catalog: Catalog, seed_dir: Path, out: Callable[[str], None],
        err: Callable[[str], None]) -> int:
    """Run one ``estimator pricing`` command; EstimatorErrors propagate to the caller (exit 2)."""
    command = args.pricing_command
    try:
        if command == "template":
            from .export import template_xlsx

            args.output.write_bytes(template_xlsx())
            out(f"wrote {args.output}")
            return 0
        store = open_store(args.database_url)
        try:
            return _run(args, store, catalog, seed_dir, out, err)
        finally:
            store.dispose()
    except OSError as exc:  # a file that cannot be read or written: say which, no traceback
        err(f"estimator: error: {exc.strerror or exc}: {exc.filename or ''}".rstrip(": "))
        return 2


@dataclass(frozen=True)
class _Context:
    """What every ``estimator pricing`` subcommand reads besides its arguments."""

    store: PricingStore
    catalog: Catalog
    seed_dir: Path
    out: Callable[[str], None]
    err: Callable[[str], None]


def _run(args: argparse.Namespace, store: PricingStore, catalog: Catalog, seed_dir: Path,
         out: Callable[[str], None], err: Callable[[str], None]) -> int:
    return _COMMANDS[args.pricing_command](args, _Context(store, catalog, seed_dir, out, err))


def _list(args: argparse.Namespace, ctx: _Context) -> int:
    tables = [t.to_dict() for t in ctx.store.tables()]
    if getattr(args, "json", False):
        ctx.out(json.dumps(tables, indent=2))
        return 0
    ctx.out(f"{'name':28}{'active':>8}{'latest':>8}  updated")
    ctx.out(f"{SEED_TABLE:28}{'-':>8}{'-':>8}  built in (seeds/pricing)")
    for t in tables:
        ctx.out(f"{t['name']:28}{t['active_version'] or '-':>8}{t['latest_version']:>8}  {t['updated_at']}")
    return 0


def _import(args: argparse.Namespace, ctx: _Context) -> int:
    from .validate import parse_upload

    if args.name == SEED_TABLE:
        raise PricingTableError("The seed table is built in and read-only: import under another name.",
                                field="name")
    data = args.file.read_bytes()
    try:
        sheets = parse_upload(data, args.file.name, catalog=ctx.catalog, table=args.sheet)
    except ImportRejected as exc:
        ctx.err(exc.message)
        for problem in exc.problems:
            ctx.err("  - " + describe_problem(problem))
        return 2
    info = ctx.store.import_version(args.name, sheets, file_name=args.file.name,
                                    created_by=args.by or f"cli:{getpass.getuser()}",
                                    activate=not args.no_activate, note=args.note)
    ctx.out(json.dumps(info.to_dict(), indent=2) if getattr(args, "json", False) else
            f"imported {args.file.name} as {info.ref} ({info.rows} rows{', active' if info.active else ''})")
    return 0


def _versions(args: argparse.Namespace, ctx: _Context) -> int:
    if args.name == SEED_TABLE:
        raise PricingTableError("The seed table is built in and has no versions (see `estimator pricing show seed`).",
                                field="name")
    versions = [v.to_dict() for v in ctx.store.versions(args.name)]
    if getattr(args, "json", False):
        ctx.out(json.dumps(versions, indent=2))
        return 0
    for v in versions:
        counts = ", ".join(f"{k} {n}" for k, n in v["row_counts"].items() if n)
        ctx.out(f"{v['ref']:24}{'*' if v['active'] else ' '} {v['created_at']}  {v['created_by']}  "
                f"{v['file_name']}  ({counts})")
    return 0


def _show(args: argparse.Namespace, ctx: _Context) -> int:
    label, sheets = _sheets_for(args.ref, ctx.store, ctx.seed_dir / "pricing", ctx.catalog)
    if getattr(args, "json", False):
        ctx.out(json.dumps({"ref": label, "sheets": sheets}, indent=2))
        return 0
    ctx.out(label)
    for sheet, rows in sheets.items():
        ctx.out(f"  {sheet}: {len(rows)} rows")
        for row in rows:
            ctx.out("    " + ", ".join(f"{k}={v}" for k, v in row.items() if v not in (None, "")))
    return 0


def _diff(args: argparse.Namespace, ctx: _Context) -> int:
    ctx.out(json.dumps(ctx.store.diff(args.name, args.a, args.b).to_dict(), indent=2))
    return 0


def _index(args: argparse.Namespace, ctx: _Context) -> int:
    indexed = ctx.store.index_versions(args.name)
    ctx.out(f"indexed {', '.join(f'{args.name}@{n}' for n in indexed)}" if indexed else
            f"every version of {args.name} is indexed already")
    return 0


def _activate(args: argparse.Namespace, ctx: _Context) -> int:
    info = ctx.store.activate(args.name, args.version, activated_by=f"cli:{getpass.getuser()}")
    ctx.out(f"{info.ref} is active")
    return 0


def _rollback(args: argparse.Namespace, ctx: _Context) -> int:
    info = ctx.store.rollback(args.name, activated_by=f"cli:{getpass.getuser()}")
    ctx.out(f"{info.ref} is active again")
    return 0


def _export(args: argparse.Namespace, ctx: _Context) -> int:
    from .export import to_csv, to_xlsx

    label, sheets = _sheets_for(args.ref, ctx.store, ctx.seed_dir / "pricing", ctx.catalog)
    fmt = args.format or ("csv" if args.output.suffix.lower() == ".csv" else "xlsx")
    if fmt == "csv":
        if not args.sheet:
            raise PricingTableError(f"A CSV holds one sheet: add --sheet, one of {', '.join(TABLES)}.",
                                    field="sheet")
        args.output.write_bytes(to_csv(args.sheet, sheets.get(args.sheet, [])))
    else:
        args.output.write_bytes(to_xlsx(sheets))
    ctx.out(f"wrote {label} to {args.output}")
    return 0


#: Each store subcommand (``template`` needs no store and is handled in ``run``).
_COMMANDS: dict[str, Callable[[argparse.Namespace, _Context], int]] = {
    "list": _list, "import": _import, "versions": _versions, "show": _show, "diff": _diff, "index": _index,
    "activate": _activate, "rollback": _rollback, "export": _export,
}
