"""Pricing-table operations shared by the JSON API (``api/pricing.py``) and the pricing page
(``web/pricing.py``): the store, who may write, reading an upload whole, the seed table's rows.

The two differ only in how a writer shows the admin token (an ``Authorization: Bearer`` header;
a password field on the page's forms) and in how errors are shown (problem JSON; the page again
with the message next to its field); the checks themselves live here once.
"""

from __future__ import annotations

import hmac
import io
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from flask import Flask, Request, Response, current_app, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from werkzeug.exceptions import RequestEntityTooLarge

from pricing.books import seed_sheets
from pricing.cache import BoundedCache
from pricing.read import DEFAULT_LIMITS, MEDIA_TYPES, Limits
from pricing.store import DiffIndex, PricingStore
from pricing.validate import parse_upload

from .errors import ProblemError
from .jsonsafe import read_body
from .state import Ready


def store_of(ready: Ready) -> PricingStore:
    """The store of uploaded tables, or a 503 problem."""
    if ready.store is None:
        raise ProblemError(503, "The pricing store is not configured; see ESTIMATOR_DATABASE_URL.")
    return ready.store


def _failed_authentication(response: Response) -> bool:
    return response.status_code == 401


def init_app(app: Flask) -> None:
    """The caches of anonymous reads (``ReadCaches``), and: rate-limit failed authentication (Flask-Limiter): each endpoint counts the 401s it answers an
    address, and past ``AUTH_FAILURES_LIMIT`` ("10 per minute") answers that address 429 until the
    window passes. Counts live in each worker's memory (no shared store): with N workers an address
    gets at most N times the limit. Behind a proxy the address is the proxy's (gunicorn passes on
    X-Forwarded-For only from ``forwarded_allow_ips``), so the limit then holds for everyone at once."""
    app.extensions["estimator_pricing_reads"] = ReadCaches()
    limit = app.config["AUTH_FAILURES_LIMIT"]
    app.extensions["estimator_limiter"] = Limiter(
        get_remote_address,
        app=app,
        default_limits=[limit] if limit else [],
        default_limits_deduct_when=_failed_authentication,
        storage_uri="memory://",
        enabled=bool(limit),
    )


#: Diff indexes kept per worker (``pricing.store.DiffIndex``, 8-16 bytes per difference): differences of
#: all kept together; the index of two 150,000-row versions with 18,000 differences is ~15 ms of CPU to
#: build from their stored digests, each page then reads its own rows.
DIFF_CACHE_ROWS = 500_000
#: Downloads kept per worker, bytes of all together: a 150,000-row xlsx is ~7 MB and ~7 s to write.
DOWNLOAD_CACHE_BYTES = 128 * 1024 * 1024


@dataclass(frozen=True)
class ReadCaches:
    """What anonymous reads build from immutable versions, kept per worker (``pricing.cache``):
    diff indexes by (table, from, to), downloads by (table, version, format, sheet); the seed table is
    version 0 (it changes only with the code)."""

    diffs: BoundedCache[tuple[str, int, int], DiffIndex] = field(
        default_factory=lambda: BoundedCache(32, DIFF_CACHE_ROWS, lambda diff: diff.rows))
    downloads: BoundedCache[tuple[str, int, str, str], bytes] = field(
        default_factory=lambda: BoundedCache(64, DOWNLOAD_CACHE_BYTES, len))


def read_caches() -> ReadCaches:
    return current_app.extensions["estimator_pricing_reads"]  # type: ignore[no-any-return]


def writes_enabled() -> bool:
    return bool(current_app.config["ADMIN_TOKEN"])


def authorise(given: str | None, *, disabled: str, refused: str, headers: Mapping[str, str] | None = None) -> str:
    """The name recorded for a writer who gave the admin token (``given``, None when absent).

    403 with ``disabled`` when no ESTIMATOR_ADMIN_TOKEN is configured; 401 with ``refused`` (and
    ``headers``) when the token is missing or wrong, compared in constant time.
    """
    token = current_app.config["ADMIN_TOKEN"]
    if not token:
        raise ProblemError(403, disabled)
    if given is None or not hmac.compare_digest(given.encode(), token.encode()):
        raise ProblemError(401, refused, headers=headers)
    return str(current_app.config["ADMIN_TOKEN_NAME"])


#: The ``encoding`` of a multipart body's ``file`` part in the API document: the media types a file may
#: be sent as (the part's Content-Type, read when its name has no .xlsx, .ods or .csv extension).
FILE_ENCODING = {"file": {"contentType": ", ".join(MEDIA_TYPES)}}


@dataclass(frozen=True)
class Upload:
    """A multipart upload read whole: the file part's bytes (None: no ``file`` part), name and
    declared Content-Type (``pricing.read.detect_kind`` reads it when the name has no accepted
    extension), and the other fields (the first value of each)."""

    data: bytes | None
    file_name: str
    form: dict[str, str] = field(default_factory=dict)
    media_type: str = ""


def read_upload() -> Upload:
    """The current multipart request, read in full and checked before anything is parsed.

    415 when it is not multipart; 413 past ``MAX_UPLOAD_BYTES`` by what actually arrived (chunked
    bodies too, which a server may hand over cut short with no error); 400 when the body does not
    end with its closing boundary (a truncated upload is never taken for a shorter file).
    """
    if request.mimetype != "multipart/form-data":
        raise ProblemError(415, "Upload the file as multipart/form-data with a 'file' field "
                                f"(got {request.mimetype or 'no Content-Type'}).",
                           headers={"Accept-Post": "multipart/form-data"})
    boundary = request.mimetype_params.get("boundary", "")
    limit = current_app.config["MAX_UPLOAD_BYTES"]
    too_large = f"The upload is larger than the limit of {limit:,} bytes."
    request.max_content_length = limit
    try:
        body = read_body(limit)
    except RequestEntityTooLarge:  # werkzeug's own check (declared length, or a chunked body): our limit's words
        raise ProblemError(413, too_large) from None
    if not boundary or not body.rstrip(b"\r\n").endswith(b"--" + boundary.encode("latin-1") + b"--"):
        raise ProblemError(400, "The upload ended before its closing multipart boundary: it was cut short. "
                                "Nothing was imported; send the whole file again.")
    environ = dict(request.environ)
    environ.update({"wsgi.input": io.BytesIO(body), "CONTENT_LENGTH": str(len(body)), "wsgi.input_terminated": False})
    environ.pop("HTTP_TRANSFER_ENCODING", None)
    parsed = Request(environ)
    parsed.max_content_length = limit
    try:
        upload = parsed.files.get("file")
        form = {k: parsed.form.get(k, "") for k in parsed.form}
        if upload is None:
            return Upload(None, "", form)
        return Upload(upload.read(), upload.filename or "", form, upload.mimetype)
    except RequestEntityTooLarge:  # too many parts, or a text field past werkzeug's form memory limit
        raise ProblemError(413, "The upload's form fields are too large or too many.") from None
    finally:
        parsed.close()  # the parsed files' temporary storage


_VERSION_NUMBER = re.compile(r"[1-9][0-9]{0,8}")


def version_number(raw: str | None) -> int | None:
    """A version number typed as ASCII digits (1 to 999,999,999), else None."""
    return int(raw) if raw is not None and _VERSION_NUMBER.fullmatch(raw) else None


def upload_limits() -> Limits:
    """The reader's caps, with the file-size cap at this app's MAX_UPLOAD_BYTES."""
    return replace(DEFAULT_LIMITS, max_file_bytes=current_app.config["MAX_UPLOAD_BYTES"])


def parse(ready: Ready, upload: Upload, sheet: str | None) -> dict[str, list[dict[str, Any]]]:
    """The upload's validated sheets (``parse_upload`` under this app's limits)."""
    assert upload.data is not None
    return parse_upload(upload.data, upload.file_name, catalog=ready.catalog, table=sheet, limits=upload_limits(),
                        media_type=upload.media_type)


def seed_rows(ready: Ready) -> dict[str, list[dict[str, Any]]]:
    """The built-in seed table's rows per sheet, typed as an uploaded version's are."""
    return seed_sheets(Path(current_app.config["SEEDS_DIR"]) / "pricing", ready.catalog)


def seed_row_counts(ready: Ready) -> dict[str, int]:
    """Rows per sheet of the seed table, every sheet listed."""
    return dict(ready.seed_book.row_counts)
