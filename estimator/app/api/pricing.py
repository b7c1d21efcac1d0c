"""Pricing tables over HTTP: list, upload a new version, show, diff, activate, roll back, download.

Reads are open. Writes need ``Authorization: Bearer <ESTIMATOR_ADMIN_TOKEN>``; without a
configured token they answer 403 saying how to enable them. An upload is read whole and checked
against ``MAX_UPLOAD_BYTES`` by what actually arrived (chunked bodies too) and must end with its
multipart closing boundary: a truncated body is never imported as a shorter table.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Response, jsonify, request, url_for
from marshmallow import Schema, fields, validate

from estimator.errors import EstimatorError
from pricing.books import table_info
from pricing.export import download_name, template_xlsx, to_csv, to_xlsx
from pricing.store import DIGEST_ON_REQUEST_ROWS, NAME_PATTERN, NOTE_MAX, PricingStore, StoredVersion, validate_name
from pricing.tables import SEED_TABLE, TABLES

from ..config import DefaultConfig
from ..errors import PROBLEM_MIMETYPE, ProblemError, problem_from_core, respond
from ..pricing_ops import (
    FILE_ENCODING,
    Upload,
    authorise,
    parse,
    read_caches,
    read_upload,
    seed_row_counts,
    seed_rows,
    version_number,
)
from ..pricing_ops import store_of as _store
from ..schemas import ProblemSchema, StrictInteger
from ..state import Ready, ready_state
from . import BEARER, Blueprint

blp = Blueprint("pricing", __name__, url_prefix="/api/v1", description="Pricing tables: upload, versions, download")

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_PROBLEMS = {"schema": ProblemSchema, "content_type": PROBLEM_MIMETYPE}
_RATE_LIMITED = (f"Too many failed authentications from this address: past AUTH_FAILURES_LIMIT (default "
                 f"{DefaultConfig.AUTH_FAILURES_LIMIT}) answers of 401 to one endpoint, it answers 429 with "
                 "Retry-After until the window passes.")


# --- Schemas (documentation of the bodies) ------------------------------------------------------
class TableInfoSchema(Schema):
    name = fields.String(required=True)
    read_only = fields.Boolean(required=True, metadata={"description": "True for the built-in seed table"})
    active_version = fields.Integer(allow_none=True, required=True)
    latest_version = fields.Integer(allow_none=True, required=True)
    versions = fields.Integer(required=True)
    created_at = fields.String(allow_none=True, required=True)
    updated_at = fields.String(allow_none=True, required=True)
    row_counts = fields.Dict(keys=fields.String(), values=fields.Integer())


class VersionInfoSchema(Schema):
    table = fields.String(required=True)
    number = fields.Integer(required=True)
    ref = fields.String(required=True, metadata={"description": "name@number, for an estimate's pricing_table"})
    created_at = fields.String(required=True)
    created_by = fields.String(required=True)
    file_name = fields.String(required=True)
    row_counts = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True)
    rows = fields.Integer(required=True)
    note = fields.String(allow_none=True, required=True)
    active = fields.Boolean(required=True)


class VersionSchema(VersionInfoSchema):
    sheets = fields.Dict(keys=fields.String(), values=fields.List(fields.Dict()), required=True)


class SheetDiffSchema(Schema):
    in_from = fields.Boolean(required=True)
    in_to = fields.Boolean(required=True)
    counts = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True, metadata={
        "description": "Rows added, removed and changed in this sheet, all of them (the lists show one page)"})
    added = fields.List(fields.Dict(), required=True)
    removed = fields.List(fields.Dict(), required=True)
    changed = fields.List(fields.Dict(), required=True, metadata={
        "description": "{key: the row's key columns, changes: {column: {before, after}}}"})
    unchanged = fields.Integer(required=True, metadata={"description": "Rows the same in both versions"})


class DiffSchema(Schema):
    table = fields.String(required=True)
    from_version = fields.Integer(required=True)
    to_version = fields.Integer(required=True)
    identical = fields.Boolean(required=True)
    summary = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True,
                          metadata={"description": "Rows added, removed and changed over all sheets"})
    page = fields.Integer(required=True, metadata={"description": "This page (from 1)"})
    per_page = fields.Integer(required=True, metadata={"description": "Rows of each list per page"})
    pages = fields.Integer(required=True, metadata={"description": "Pages needed to show every difference"})
    next = fields.String(required=True, allow_none=True, metadata={"description": "The next page's URL; null on "
                                                                                 "the last"})
    sheets = fields.Dict(keys=fields.String(), values=fields.Nested(SheetDiffSchema), required=True)


#: The path parameter ``name``: ``validate_name``'s rule (else 422), and, where ``seed`` is refused (it has
#: no versions and is read-only: 422), not ``seed``.
_NAME_SCHEMA = {"type": "string", "pattern": NAME_PATTERN.pattern, "minLength": 1, "maxLength": 63}
_NAME = [{"in": "path", "name": "name", "description": "The pricing table (GET /api/v1/pricing-tables)",
          "schema": _NAME_SCHEMA}]
_STORED_NAME = [{**_NAME[0], "description": f"An uploaded pricing table (not the built-in '{SEED_TABLE}', which has "
                                            "no versions and is read-only)",
                 "schema": {**_NAME_SCHEMA, "not": {"enum": [SEED_TABLE]}}}]
#: Writes: the bearer token (``require_admin``).
_WRITE = {"security": BEARER}


def _query(name: str, description: str, schema: dict[str, Any], *, required: bool = False) -> dict[str, Any]:
    return {"in": "query", "name": name, "description": description, "required": required, "schema": schema}


_VERSION_SCHEMA = {"type": "integer", "minimum": 1, "maximum": 999_999_999}
#: The sheet a CSV download holds when ?sheet= is not given: the first.
DEFAULT_CSV_SHEET = next(iter(TABLES))
#: Rows of each added / removed / changed list a diff page shows: by default, and at most.
DIFF_PER_PAGE, DIFF_PER_PAGE_MAX = 100, 1_000


class ActivateSchema(Schema):
    version = StrictInteger(required=True, validate=validate.Range(min=1))


class UploadSchema(Schema):
    file = fields.Raw(required=True, metadata={
        "type": "string", "format": "binary",
        "description": "An xlsx, ods or csv file (UTF-8): a sheet per table, named after it (or a CSV of one table), "
                       "row 1 the column names; GET /api/v1/pricing-template.xlsx is one. Its kind is read from the file "
                       "name's extension, or from the part's Content-Type when the name has none of .xlsx, .ods, .csv."})
    sheet = fields.String(validate=validate.OneOf(list(TABLES)), metadata={
        "description": "For a CSV without a 'table' column: which table it holds (a workbook names its sheets)"})
    activate = fields.Boolean(metadata={"description": "Make the new version active (default true)"})
    note = fields.String(validate=validate.Length(max=NOTE_MAX), metadata={
        "description": "Kept with the version", "pattern": "^[^\\u0000]*$"})


@blp.errorhandler(EstimatorError)
def _path_error(exc: EstimatorError) -> Response:
    """The table name and version come from the URL, not a JSON body: no pointer."""
    return respond(problem_from_core(exc, in_body=False))


# --- Helpers ------------------------------------------------------------------------------------
def require_admin() -> str:
    """The token name of an authorised writer, or a 401 / 403 problem."""
    scheme, _, given = (request.headers.get("Authorization") or "").partition(" ")
    return authorise(given.strip() if scheme.lower() == "bearer" else None,
                     disabled="Writes to pricing tables are disabled: set ESTIMATOR_ADMIN_TOKEN on the server "
                              "and send 'Authorization: Bearer <token>'.",
                     refused="This write needs 'Authorization: Bearer <ESTIMATOR_ADMIN_TOKEN>'.",
                     headers={"WWW-Authenticate": 'Bearer realm="pricing"'})


def _seed_info(ready: Ready) -> dict[str, Any]:
    return {"name": SEED_TABLE, "read_only": True, "active_version": None, "latest_version": None, "versions": 0,
            "created_at": None, "updated_at": None, "row_counts": seed_row_counts(ready)}


#: The seed table is no stored table: it has no versions (404, as for a version that does not exist)
#: and it cannot be written (403). The document rules the name out of these operations (``_STORED_NAME``);
#: a client that takes it from the list of tables gets an answer it may expect, not a 422 for a valid name.
_READ_ONLY = ("The 'seed' pricing table is built in and read-only (it is read from seeds/pricing/): import your "
              "prices under another name, e.g. 'acme-2026q3'.")


def _not_seed(name: str) -> None:
    if name == SEED_TABLE:
        raise ProblemError(404, "The seed table is built in and has no versions: read it with "
                                "GET /api/v1/pricing-tables/seed/download.")


def _writable(name: str) -> None:
    if name == SEED_TABLE:
        raise ProblemError(403, _READ_ONLY)


def _version(store: PricingStore, name: str, number: int | None) -> StoredVersion:
    _not_seed(name)
    validate_name(name, field="name")
    return store.version(name, number)


def _upload() -> Upload:
    """The uploaded file's bytes and name, and the other form fields, from a body read in full."""
    upload = read_upload()
    if upload.data is None or (not upload.data and not upload.file_name):
        raise ProblemError(422, "The upload has no file: send the spreadsheet as the form field 'file'.")
    return upload


def _flag(value: str | None, default: bool) -> bool:
    if value is None or value == "":
        return default
    if value.lower() in ("true", "1", "yes", "on"):
        return True
    if value.lower() in ("false", "0", "no", "off"):
        return False
    raise ProblemError(422, f"'activate' must be true or false, got {value!r}.")


# --- Routes ---------------------------------------------------------------------------------------
@blp.route("/pricing-tables", methods=["GET"])
@blp.alt_response(200, schema=TableInfoSchema(many=True), success=True,
                  description="The built-in seed table first, then the uploaded ones by name.")
def list_tables() -> Response:
    """List pricing tables."""
    ready = ready_state()
    stored = [{**t.to_dict(), "read_only": False} for t in _store(ready).tables()]
    return jsonify([_seed_info(ready), *stored])


def _table_info(store: PricingStore, name: str) -> dict[str, Any]:
    validate_name(name, field="name")
    return {**table_info(store, name).to_dict(), "read_only": False}


@blp.route("/pricing-tables/<name>", methods=["GET"], parameters=_NAME)
@blp.alt_response(200, schema=TableInfoSchema, success=True, description="One pricing table.")
@blp.alt_response(404, **_PROBLEMS, description="No such table; 'closest' lists the nearest names.")
def get_table(name: str) -> Response:
    """One pricing table."""
    ready = ready_state()
    if name == SEED_TABLE:
        return jsonify(_seed_info(ready))
    return jsonify(_table_info(_store(ready), name))


@blp.route("/pricing-tables/<name>/versions", methods=["GET"], parameters=_NAME)
@blp.alt_response(200, schema=VersionInfoSchema(many=True), success=True, description="Oldest first.")
@blp.alt_response(404, **_PROBLEMS, description="No such table.")
def list_versions(name: str) -> Response:
    """A table's versions: when, who, which file, how many rows, which is active."""
    ready = ready_state()
    if name == SEED_TABLE:
        return jsonify([])
    validate_name(name, field="name")
    return jsonify([v.to_dict() for v in _store(ready).versions(name)])


@blp.route("/pricing-tables/<name>/versions", methods=["POST"], parameters=_NAME)
@blp.doc(**_WRITE, parameters=_STORED_NAME)  # the operation's own: GET lists the seed table's (no) versions
@blp.doc(requestBody={"required": True, "content": {"multipart/form-data": {"schema": UploadSchema,
                                                                         "encoding": FILE_ENCODING}}})
@blp.alt_response(201, schema=VersionInfoSchema, success=True, description="The new version.")
@blp.alt_response(401, **_PROBLEMS, description="Missing or wrong bearer token.")
@blp.alt_response(403, **_PROBLEMS, description="Writes are disabled (no ESTIMATOR_ADMIN_TOKEN), or the table is "
                                                "the built-in seed table (read-only).")
@blp.alt_response(429, **_PROBLEMS, description=_RATE_LIMITED)
@blp.alt_response(413, **_PROBLEMS, description="Larger than MAX_UPLOAD_BYTES, or a spreadsheet past its caps.")
@blp.alt_response(415, **_PROBLEMS, description="Not multipart, or not an xlsx / ods / UTF-8 csv file.")
@blp.alt_response(422, **_PROBLEMS, description="The file has problems: every one, by sheet, row and column.")
def upload_version(name: str) -> tuple[Response, int, dict[str, str]]:
    """Import a spreadsheet as the next version of `name` (created on first upload).

    All or nothing: a file with any problem changes nothing and the 422 lists every problem.
    """
    created_by = require_admin()
    ready = ready_state()
    store = _store(ready)
    if name == SEED_TABLE:
        raise ProblemError(403, "The seed table is built in and read-only: upload under another name.")
    validate_name(name, field="name")
    upload = _upload()
    form = upload.form
    sheets = parse(ready, upload, form.get("sheet") or None)
    info = store.import_version(name, sheets, file_name=upload.file_name, created_by=created_by,
                                activate=_flag(form.get("activate"), True), note=form.get("note") or None)
    location = url_for("pricing.get_version", name=name, number=info.number)
    return jsonify(info.to_dict()), 201, {"Location": location}


@blp.route("/pricing-tables/<name>/versions/<int:number>", methods=["GET"], parameters=_STORED_NAME)
@blp.alt_response(200, schema=VersionSchema, success=True, description="The version with every row.")
@blp.alt_response(404, **_PROBLEMS, description="No such table or version (the seed table has no versions).")
def get_version(name: str, number: int) -> Response:
    """One version with its rows, sheet by sheet."""
    return jsonify(_version(_store(ready_state()), name, number).to_dict())


@blp.route("/pricing-tables/<name>/diff", methods=["GET"], parameters=_STORED_NAME)
@blp.doc(parameters=[_query("from", "The older version", _VERSION_SCHEMA, required=True),
                     _query("to", "The newer version", _VERSION_SCHEMA, required=True),
                     _query("page", "The page (default 1)", {**_VERSION_SCHEMA, "default": 1}),
                     _query("per_page", f"Rows of each list per page (default {DIFF_PER_PAGE})",
                            {"type": "integer", "minimum": 1, "maximum": DIFF_PER_PAGE_MAX,
                             "default": DIFF_PER_PAGE})])
@blp.alt_response(200, schema=DiffSchema, success=True, description="Rows matched by each sheet's key columns.")
@blp.alt_response(404, **_PROBLEMS, description="No such table or version (the seed table has no versions).")
@blp.alt_response(422, **_PROBLEMS, description="from / to missing or not version numbers; a bad page or per_page; "
                                                f"a version of more than {DIGEST_ON_REQUEST_ROWS:,} rows imported "
                                                "before versions were indexed for comparison (diff_too_large).")
def diff_versions(name: str) -> Response:
    """Rows added, removed and changed between `?from=<a>&to=<b>` (rows matched by each sheet's key), a page at
    a time: `summary` and each sheet's `counts` count every difference, the lists show `per_page` rows each
    from `page`; `next` is the next page's URL. Rows are compared by the digests stored with each version at
    import (milliseconds for two 150,000-row versions); a version imported before digests were stored is
    compared only within a row budget (else a 422 `diff_too_large`, until an administrator indexes it:
    `estimator pricing index NAME`)."""
    store = _store(ready_state())
    _not_seed(name)
    validate_name(name, field="name")
    numbers = []
    for arg in ("from", "to"):
        number = version_number(request.args.get(arg))
        if number is None:
            raise ProblemError(422, f"Give the two versions to compare as ?from=<n>&to=<m> "
                                    f"('{arg}' is {request.args.get(arg, '')!r}).")
        numbers.append(number)
    page = _count_arg("page", 1, 999_999_999)
    per_page = _count_arg("per_page", DIFF_PER_PAGE, DIFF_PER_PAGE_MAX)
    a, b = numbers
    index = read_caches().diffs.get_or_build(
        (name, a, b), lambda: store.diff_index(name, a, b, digest_rows=DIGEST_ON_REQUEST_ROWS))
    body = store.diff(name, a, b, page=page, per_page=per_page, index=index).to_dict()
    more = page < body["pages"]
    versions: dict[str, Any] = {"from": a, "to": b}
    body["next"] = url_for("pricing.diff_versions", name=name, **versions, page=page + 1,
                           per_page=per_page) if more else None
    return jsonify(body)


def _count_arg(arg: str, default: int, maximum: int) -> int:
    """A whole-number query parameter from 1 to ``maximum`` typed in ASCII digits, else a 422."""
    raw = request.args.get(arg)
    if raw is None:
        return default
    number = version_number(raw)
    if number is None or number > maximum:
        raise ProblemError(422, f"?{arg}= must be a whole number from 1 to {maximum:,}, got {raw!r}.")
    return number


@blp.route("/pricing-tables/<name>/active", methods=["POST"], parameters=_STORED_NAME)
@blp.doc(**_WRITE)
@blp.arguments(ActivateSchema)
@blp.alt_response(400, **_PROBLEMS, description=Blueprint.COMMON_ERRORS[400])
@blp.alt_response(413, **_PROBLEMS, description=Blueprint.COMMON_ERRORS[413])
@blp.alt_response(415, **_PROBLEMS, description=Blueprint.COMMON_ERRORS[415])
@blp.alt_response(200, schema=VersionInfoSchema, success=True, description="The version now active.")
@blp.alt_response(401, **_PROBLEMS, description="Missing or wrong bearer token.")
@blp.alt_response(403, **_PROBLEMS, description="Writes are disabled, or the table is the built-in seed table "
                                                "(read-only).")
@blp.alt_response(429, **_PROBLEMS, description=_RATE_LIMITED)
@blp.alt_response(404, **_PROBLEMS, description="No such table or version.")
def activate_version(data: dict[str, Any], name: str) -> Response:
    """Make a version the one estimates use when they name the table without a version."""
    created_by = require_admin()
    store = _store(ready_state())
    _writable(name)
    validate_name(name, field="name")
    return jsonify(store.activate(name, data["version"], activated_by=created_by).to_dict())


@blp.route("/pricing-tables/<name>/rollback", methods=["POST"], parameters=_STORED_NAME)
@blp.doc(**_WRITE)
@blp.alt_response(200, schema=VersionInfoSchema, success=True, description="The version active again.")
@blp.alt_response(401, **_PROBLEMS, description="Missing or wrong bearer token.")
@blp.alt_response(403, **_PROBLEMS, description="Writes are disabled, or the table is the built-in seed table "
                                                "(read-only).")
@blp.alt_response(429, **_PROBLEMS, description=_RATE_LIMITED)
@blp.alt_response(404, **_PROBLEMS, description="No such table.")
@blp.alt_response(409, **_PROBLEMS, description="Nothing to roll back to: no activation before the current one.")
def rollback_version(name: str) -> Response:
    """Undo the last activation: the version active before it is active again."""
    created_by = require_admin()
    store = _store(ready_state())
    _writable(name)
    validate_name(name, field="name")
    return jsonify(store.rollback(name, activated_by=created_by).to_dict())


def _download(key: tuple[str, int], sheets: Callable[[], dict[str, list[dict[str, Any]]]], stem: str,
              stored: Callable[[str], bytes | None] = lambda file: None) -> Response:
    """The file of version ``key`` (table, number; the seed table is 0): the one stored with the version at
    import (``stored(download_name)``), else built from ``sheets()`` (a version imported before downloads
    were stored; the seed table); then answered from the worker's download cache (versions never change)."""
    fmt = request.args.get("format", "xlsx")
    sheet = request.args.get("sheet", DEFAULT_CSV_SHEET)
    if sheet not in TABLES:
        raise ProblemError(422, f"?sheet= must be one of {', '.join(TABLES)}, got {sheet!r}.")
    if fmt == "xlsx":
        sheet = ""
        mimetype, file_name = XLSX_MIMETYPE, f"{stem}.xlsx"
    elif fmt == "csv":
        mimetype, file_name = "text/csv", f"{stem}-{sheet}.csv"
    else:
        raise ProblemError(422, f"?format= must be xlsx or csv, got {fmt!r}.")

    def build() -> bytes:
        kept = stored(download_name(fmt, sheet))
        if kept is not None:
            return kept
        rows = sheets()
        return to_xlsx(rows) if fmt == "xlsx" else to_csv(sheet, rows.get(sheet, []))

    body = read_caches().downloads.get_or_build((*key, fmt, sheet), build)
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{file_name}"'
    return response


@blp.route("/pricing-tables/<name>/download", methods=["GET"], parameters=_NAME)
@blp.doc(parameters=[
    _query("format", "xlsx (every sheet) or csv (one sheet)", {"type": "string", "enum": ["xlsx", "csv"],
                                                                 "default": "xlsx"}),
    _query("sheet", f"With format=csv: the sheet (default {DEFAULT_CSV_SHEET}, the first); ignored with xlsx, which "
                    "holds every sheet", {"type": "string", "enum": list(TABLES), "default": DEFAULT_CSV_SHEET}),
    _query("version", "The version (default: the active one); not for the seed table", _VERSION_SCHEMA),
])
@blp.alt_response(422, **_PROBLEMS, description="A bad format, sheet or version number.")
@blp.alt_response(409, **_PROBLEMS, description="No version given and none of the table's versions is active.")
@blp.doc(responses={"200": {"description": "The workbook (format=xlsx) or one sheet as CSV (format=csv).",
                             "content": {XLSX_MIMETYPE: {"schema": {"type": "string", "format": "binary"}},
                                         "text/csv": {"schema": {"type": "string"}}}}})
@blp.alt_response(404, **_PROBLEMS, description="No such table or version (the seed table has no versions).")
def download(name: str) -> Response:
    """Download a version (default: the active one; the seed table as built in) as xlsx or csv."""
    ready = ready_state()
    raw = request.args.get("version")
    number = version_number(raw)
    if raw is not None and number is None:
        raise ProblemError(422, f"?version= must be a version number like 3, got {raw!r}.")
    if name == SEED_TABLE:
        if raw is not None:  # 404: no such version (a query parameter cannot be ruled out by the path's value)
            raise ProblemError(404, f"The seed table is built in and has no versions (no version {raw}): download it "
                                    "without '?version='.")
        return _download((SEED_TABLE, 0), lambda: seed_rows(ready), SEED_TABLE)
    store = _store(ready)
    validate_name(name, field="name")
    if number is None:  # the active version's number (it changes; the version it names does not)
        number = _table_info(store, name)["active_version"]
        if number is None:
            store.version(name, None)  # the store's own 'no active version' problem
    assert number is not None
    return _download((name, number), lambda: store.version(name, number).sheets, f"{name}-v{number}",
                     lambda file: store.file(name, number, file))


@blp.route("/pricing-template.xlsx", methods=["GET"])
@blp.alt_response(200, success=True, content_type=XLSX_MIMETYPE,
                  description="Empty workbook: one sheet per table and a README sheet documenting every column.")
def template() -> Response:
    """An empty pricing workbook to fill in, with every column documented."""
    response = Response(template_xlsx(), mimetype=XLSX_MIMETYPE)
    response.headers["Content-Disposition"] = 'attachment; filename="pricing-template.xlsx"'
    return response
