"""The pricing page: the pricing tables and their versions; upload, activate and roll back.

- ``GET /pricing``: every table, the built-in ``seed`` first (read-only), each with its versions
  (when, by whom, from which file, rows per sheet), and the upload form.
- ``POST /pricing``: import a file (multipart) as the next version of a table.
- ``GET /pricing/<name>`` and ``/pricing/<name>@<n>``: a table's versions and one version's rows,
  sheet by sheet with their sources and dates (without ``@<n>``: the active version).
- ``POST /pricing/<name>/activate`` and ``/pricing/<name>/rollback``.

Reads are open. A write needs the session's CSRF token (``csrf.py``) and the server's admin token,
typed into the form's password field (a browser form cannot send the API's ``Authorization``
header); it is compared in constant time (``pricing_ops.authorise``) and never shown back. A write
that succeeds redirects (303) to the table's page, which confirms it once (a message flashed into
the session cookie: no script). One that fails shows the page again with the message next to the
field it concerns and the status the JSON API would answer: 401 / 403 token, 413 too large, 415
not a spreadsheet, 422 a file with problems (every one, by sheet, row and column; nothing is
imported), 404 no such table or version.

The downloads are the JSON API's download links; "use in an estimate" links are estimate
permalinks with the form's defaults and ``pricing_table=name@n``.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response as BaseResponse

from estimator.errors import EstimatorError
from pricing.errors import (
    FileTooLarge,
    ImportRejected,
    NothingToRollBack,
    PricingTableError,
    Problem,
    UnknownVersion,
    UnsupportedFile,
)
from pricing.read import ACCEPTED
from pricing.store import NOTE_MAX, PricingStore, StoredVersion, TableInfo, VersionInfo, parse_ref, validate_name
from pricing.tables import SEED_TABLE, TABLES, Column

from ..errors import ProblemError, problem_type
from ..pricing_ops import (
    authorise,
    parse,
    read_upload,
    seed_row_counts,
    seed_rows,
    store_of,
    version_number,
    writes_enabled,
)
from ..state import Ready, ready_state
from . import csrf
from .forms import default_query

log = logging.getLogger(__name__)

#: Versions listed per table on the overview; the table's own page lists them all.
OVERVIEW_VERSIONS = 5
#: Rows shown per sheet on a version's page; the downloads have them all.
MAX_ROWS_SHOWN = 500
#: A problem's cell value is cut to this many characters on the page.
VALUE_CHARS = 80
TOKEN_FIELD = "admin_token"
FLASH_CATEGORY = "pricing"
_DISABLED = (
    "Writes to pricing tables are disabled on this server: no admin token is configured. To enable "
    "uploads, activation and roll-back, set ESTIMATOR_ADMIN_TOKEN in the server's environment, restart "
    "it, and type that token here."
)
_REFUSED = "That is not the admin token: type the value of the server's ESTIMATOR_ADMIN_TOKEN."
_MISSING = "Type the admin token (the value of the server's ESTIMATOR_ADMIN_TOKEN) to change pricing tables."


# --- What the templates show ---------------------------------------------------------------------------
@dataclass(frozen=True)
class TableSummary:
    """One table on the overview: ``versions`` newest first (at most ``OVERVIEW_VERSIONS``)."""

    name: str
    read_only: bool
    active_version: int | None = None
    version_count: int = 0
    updated_at: datetime | None = None
    versions: tuple[VersionInfo, ...] = ()
    row_counts: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class SheetView:
    """One sheet of a version: its declared columns and the rows shown (``total`` in all)."""

    name: str
    description: str
    columns: tuple[Column, ...]
    rows: tuple[Mapping[str, Any], ...]
    total: int


@dataclass
class UploadForm:
    """The upload form's values (shown back; never the file or the token) and its errors."""

    name: str = ""
    sheet: str = ""
    activate: bool = True
    note: str = ""
    file_name: str = ""
    errors: dict[str, list[str]] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    status: int = 200

    def error(self, name: str, message: str, status: int = 422) -> None:
        self.errors.setdefault(name, []).append(message)
        if self.status < 400 or status in (413, 415):  # a file the server will not read outranks a 422
            self.status = status

    @property
    def summary(self) -> list[tuple[str, str]]:
        """(element id, message) for the error summary; a file's problems link to their table."""
        return [
            ("upload-problems" if name == "file" and self.problems else f"upload-{name}", message)
            for name, messages in self.errors.items()
            for message in messages
        ]


@dataclass
class ManageForm:
    """The activate / roll back form of a table's page, and its errors."""

    version: str = ""
    errors: dict[str, list[str]] = field(default_factory=dict)
    status: int = 200

    def error(self, name: str, message: str, status: int) -> None:
        self.errors.setdefault(name, []).append(message)
        self.status = status

    @property
    def summary(self) -> list[tuple[str, str]]:
        return [(f"manage-{name}", message) for name, messages in self.errors.items() for message in messages]


def cell_text(value: Any) -> str:
    """A stored cell as written: exact numbers (no rounding: these are the inputs), thousands grouped."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{int(value):,}" if value.is_integer() and abs(value) < 1e15 else format(value, ",")
    return str(value)


def size_text(n: int) -> str:
    """A byte count as people read it: 16 MiB, 500 KiB, 900 bytes."""
    for unit, scale in (("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= scale:
            return f"{n / scale:,.3g} {unit}"
    return f"{n:,} bytes"


def shown_value(value: str | None) -> str:
    if value is None:
        return ""
    return value if len(value) <= VALUE_CHARS else value[: VALUE_CHARS - 1] + "…"


def estimate_links(ref: str) -> list[tuple[str, str]]:
    """(label, address) of a training and a serving estimate with the forms' defaults and ``ref``."""
    links = []
    for kind, label in (("training", "training run"), ("inference", "serving estimate")):
        query = default_query(kind, **({"pricing_table": ref} if ref != SEED_TABLE else {}))
        links.append((label, f"{url_for(f'web.{kind}')}?{urlencode(query)}"))
    return links


def download_url(name: str, number: int | None, fmt: str, sheet: str | None = None) -> str:
    args: dict[str, Any] = {"format": fmt}
    if number is not None:
        args["version"] = number
    if sheet is not None:
        args["sheet"] = sheet
    return url_for("pricing.download", name=name, **args)


def _when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC") if value is not None else ""


def _iso(value: datetime | None) -> str:
    return value.isoformat() if value is not None else ""


def _render(template: str, status: int, **context: Any) -> tuple[str, int]:
    page = render_template(
        template,
        writes_enabled=writes_enabled(),
        tables_declared=TABLES,
        estimate_links=estimate_links,
        download_url=download_url,
        cell_text=cell_text,
        shown_value=shown_value,
        when=_when,
        iso=_iso,
        token_field_name=TOKEN_FIELD,
        note_max=NOTE_MAX,
        accepted=ACCEPTED,
        max_upload=size_text(current_app.config["MAX_UPLOAD_BYTES"]),
        **context,
    )
    return page, status


# --- The overview and the upload -----------------------------------------------------------------------
def _summaries(ready: Ready) -> tuple[list[TableSummary], bool]:
    """The seed table, then each stored table; and whether the store could be read."""
    seed = TableSummary(SEED_TABLE, True, row_counts=seed_row_counts(ready))
    if ready.store is None:
        return [seed], False
    try:
        stored: list[TableSummary] = []
        for table in ready.store.tables():
            versions = ready.store.versions(table.name)
            stored.append(_summary(table, versions))
    except Exception:  # an unreadable store must not take the page (or the seed table) down
        log.exception("Could not read the pricing store for the pricing page")
        return [seed], False
    return [seed, *stored], True


def _summary(table: TableInfo, versions: Sequence[VersionInfo]) -> TableSummary:
    active = next((v for v in versions if v.number == table.active_version), None)
    return TableSummary(
        table.name,
        False,
        table.active_version,
        table.versions,
        table.updated_at,
        tuple(reversed(versions))[:OVERVIEW_VERSIONS],
        active.row_counts if active else {},
    )


def _overview(ready: Ready, form: UploadForm) -> tuple[str, int]:
    tables, readable = _summaries(ready)
    return _render("pricing.html", form.status, tables=tables, store_readable=readable, form=form)


def overview() -> tuple[str, int]:
    return _overview(ready_state(), UploadForm())


@csrf.deferred
def upload() -> BaseResponse | tuple[str, int]:
    """Import the uploaded file as the next version of the named table, or show every problem."""
    ready = ready_state()
    form = UploadForm()
    try:
        sent = read_upload()
    except ProblemError as exc:  # not multipart (415), too large (413), cut short (400): nothing was read
        form.error("file", exc.detail, exc.status)
        return _overview(ready, form)
    csrf.verify(sent.form.get(csrf.FIELD))
    form.name = sent.form.get("name", "").strip()
    form.sheet = sent.form.get("sheet", "").strip()
    form.activate = "activate" in sent.form
    form.note = sent.form.get("note", "").strip()
    form.file_name = sent.file_name
    try:
        created_by = _authorise(sent.form.get(TOKEN_FIELD))
    except ProblemError as exc:
        form.error("token", exc.detail, exc.status)
        return _overview(ready, form)
    store = store_of(ready)

    if not form.name:
        form.error("name", "Give the table a name, e.g. 'acme-2026q3': a new name creates the table.")
    elif form.name == SEED_TABLE:
        form.error("name", "The seed table is built in and read-only: upload under another name.")
    else:
        try:
            validate_name(form.name)
        except PricingTableError as exc:
            form.error("name", exc.message)
    if form.sheet and form.sheet not in TABLES:
        form.error("sheet", f"Choose one of the listed tables ({', '.join(TABLES)}), or leave it empty.")
    sheets: dict[str, list[dict[str, Any]]] = {}
    if sent.data is None or (not sent.data and not sent.file_name):
        form.error("file", f"Choose a file to upload: {ACCEPTED}.")
    elif "sheet" not in form.errors:
        try:
            sheets = parse(ready, sent, form.sheet or None)
        except ImportRejected as exc:
            form.problems = list(exc.problems)
            form.error("file", exc.message)
        except UnsupportedFile as exc:
            form.error("file", exc.message, 415)
        except FileTooLarge as exc:
            form.error("file", exc.message, 413)
        except EstimatorError as exc:  # any other refusal of the file: shown, never a 500
            form.error("file", exc.message)
    if form.errors:
        return _overview(ready, form)

    try:
        info = store.import_version(
            form.name,
            sheets,
            file_name=sent.file_name,
            created_by=created_by,
            activate=form.activate,
            note=form.note or None,
        )
    except PricingTableError as exc:  # a note or file name past the store's limits
        form.error({"note": "note", "name": "name"}.get(str(exc.field), "file"), exc.message)
        return _overview(ready, form)
    return _confirmed("imported", info)


def _authorise(given: str | None) -> str:
    return authorise(given or None, disabled=_DISABLED, refused=_REFUSED if given else _MISSING)


def _confirmed(action: str, info: VersionInfo) -> BaseResponse:
    """Flash what was done (shown once by the table's page, ``_pricing.html``) and redirect there (303)."""
    # flash() is annotated ``message: str`` but stores any value the session serialiser takes; the
    # template reads the confirmation's fields, so it is flashed as a dict.
    flash({"action": action, **_flashed(info)}, FLASH_CATEGORY)  # type: ignore[arg-type]
    return redirect(url_for("web.pricing_table", ref=info.table), 303)


def _flashed(info: VersionInfo) -> dict[str, Any]:
    return {
        "table": info.table,
        "number": info.number,
        "ref": info.ref,
        "active": info.active,
        "file_name": info.file_name,
        "rows": info.rows,
        "row_counts": dict(info.row_counts),
    }


# --- A table's page ------------------------------------------------------------------------------------
def _not_found(detail: str) -> ProblemError:
    return ProblemError(404, detail, type_=problem_type("unknown-pricing-table"))


def _parse(ref: str) -> tuple[str, int | None]:
    try:
        return parse_ref(ref)
    except PricingTableError as exc:
        raise _not_found(f"There is no pricing table at this address. {exc.message}") from None


def _name(name: str) -> str:
    try:
        return validate_name(name)
    except PricingTableError as exc:
        raise _not_found(f"There is no pricing table at this address. {exc.message}") from None


def _table_page(ready: Ready, ref: str, manage: ManageForm | None = None) -> tuple[str, int]:
    name, number = _parse(ref)
    manage = manage or ManageForm()
    if name == SEED_TABLE:
        if number is not None:
            raise _not_found("The seed table has no versions: it is read from seeds/pricing/. Use 'seed'.")
        return _render(
            "pricing_table.html",
            manage.status,
            name=name,
            read_only=True,
            versions=[],
            shown=None,
            sheets=_sheets(seed_rows(ready)),
            manage=manage,
            ref=SEED_TABLE,
            pinned=False,
        )
    store = store_of(ready)
    versions = store.versions(name)  # UnknownPricingTable: a 404 page with the closest names
    active = next((v.number for v in versions if v.active), None)
    stored: StoredVersion = store.version(name, number or active or versions[-1].number)
    if not manage.version:
        manage.version = str(stored.info.number)
    return _render(
        "pricing_table.html",
        manage.status,
        name=name,
        read_only=False,
        versions=list(reversed(versions)),
        active_version=active,
        shown=stored.info,
        sheets=_sheets(stored.sheets),
        manage=manage,
        ref=stored.info.ref,
        pinned=number is not None,
    )


def _sheets(sheets: Mapping[str, Sequence[Mapping[str, Any]]]) -> list[SheetView]:
    out = []
    for name, table in TABLES.items():
        rows = sheets.get(name)
        if rows is None:
            continue
        out.append(SheetView(name, table.description, table.columns, tuple(rows[:MAX_ROWS_SHOWN]), len(rows)))
    return out


def table_page(ref: str) -> tuple[str, int]:
    return _table_page(ready_state(), ref)


def _manage(name: str, action: str) -> BaseResponse | tuple[str, int]:
    """Activate the form's version, or roll back; the table's page again with any error."""
    ready = ready_state()
    store: PricingStore = store_of(ready)
    _name(name)
    manage = ManageForm(version=request.form.get("version", "").strip())
    try:
        who = _authorise(request.form.get(TOKEN_FIELD))
    except ProblemError as exc:
        manage.error("token", exc.detail, exc.status)
        return _table_page(ready, name, manage)
    if name == SEED_TABLE:
        raise ProblemError(422, "The seed table is built in and read-only: it has no versions to activate.")
    try:
        if action == "activate":
            number = version_number(manage.version)
            if number is None:
                manage.error("version", "Choose the version to activate.", 422)
                return _table_page(ready, name, manage)
            info = store.activate(name, number, activated_by=who)
        else:
            info = store.rollback(name, activated_by=who)
    except UnknownVersion as exc:
        manage.error("version", exc.message, 404)
        return _table_page(ready, name, manage)
    except PricingTableError as exc:  # nothing to roll back to (NothingToRollBack: the API's 409)
        manage.error("rollback", exc.message, 409 if isinstance(exc, NothingToRollBack) else 422)
        return _table_page(ready, name, manage)
    return _confirmed("activated" if action == "activate" else "rolled_back", info)


def activate(name: str) -> BaseResponse | tuple[str, int]:
    return _manage(name, "activate")


def rollback(name: str) -> BaseResponse | tuple[str, int]:
    return _manage(name, "rollback")


def register(bp: Blueprint) -> None:
    """Add the pricing pages to the web blueprint (its CSRF check and HTML error pages apply)."""
    bp.add_url_rule("/pricing", "pricing", overview, methods=["GET"])
    bp.add_url_rule("/pricing", "pricing_upload", upload, methods=["POST"])
    bp.add_url_rule("/pricing/<ref>", "pricing_table", table_page, methods=["GET"])
    bp.add_url_rule("/pricing/<name>/activate", "pricing_activate", activate, methods=["POST"])
    bp.add_url_rule("/pricing/<name>/rollback", "pricing_rollback", rollback, methods=["POST"])

