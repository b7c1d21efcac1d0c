"""One error shape for the whole app: RFC 9457 problem details (``application/problem+json``).

Every error response, whatever raised it, has this body::

    {"type": "about:blank" | "/problems/<slug>", "title": str, "status": int, "detail": str,
     "errors": [{"pointer": "/tokens" | null, "detail": str, "code": str, ...}]}

``pointer`` is a JSON Pointer (RFC 6901) into the request body, or null when the problem is not
in the body (a path parameter, a missing route). An item may carry extra members taken from the
core error's data, such as ``closest`` ids or ``min_gpus``.

The HTML pages get the same problem rendered as a page (``wants_html``).

Mapping: malformed JSON 400, body too large 413, wrong media type 415, invalid input 422 (what the
OpenAPI document states), values valid each on its own that cannot be met together 409 (arithmetic
across fields the document cannot state: ``ConflictError``, ``DoesNotFitError``), unknown model or
hardware id 404, unknown route 404, wrong method 405, anything unexpected 500 with a
generic message (Flask logs the traceback; the client never sees it).
"""

from __future__ import annotations

import heapq
import logging
import math
import numbers
from collections.abc import Iterable, Mapping, Sequence
from http import HTTPStatus
from typing import Any

from flask import Flask, Response, current_app, render_template, request
from flask_limiter import RateLimitExceeded
from marshmallow import ValidationError
from werkzeug.exceptions import HTTPException

from estimator.errors import (
    ConflictError,
    DoesNotFitError,
    EstimatorError,
    UnknownIdError,
    UnsupportedPrecisionError,
)
from pricing.errors import (
    FileTooLarge,
    ImportRejected,
    PricingStoreUnavailable,
    UnknownPricingTable,
    UnknownVersion,
    UnsupportedFile,
)

log = logging.getLogger(__name__)
PROBLEM_MIMETYPE = "application/problem+json"
#: Items listed in one problem at most; its detail counts the rest. A 1 MB body can hold 450,000
#: wrong list items or 75,000 unknown keys: listing each made a 37 MB answer and seconds of CPU.
MAX_ERROR_ITEMS = 20
#: Retry-After of a 503 from the pricing store: it was unreachable, or an import waited out the store's
#: busy timeout (SQLite's write lock held by another import: ``PricingStore(busy_timeout_ms=15_000)``).
STORE_RETRY_AFTER_S = 5
ABOUT_BLANK = "about:blank"

#: Problem types specific to this API: slug -> (title, what it means). Served at /problems/<slug>.
PROBLEM_TYPES: dict[str, tuple[str, str]] = {
    "invalid-json": (
        "Malformed JSON body",
        "The request body is not a JSON document this API accepts: a syntax error, a duplicate key, "
        "nesting deeper than the limit, or an array or object with more items than the limit. Each item of "
        "'errors' says where.",
    ),
    "invalid-input": (
        "Invalid input",
        "The body is valid JSON but breaks the OpenAPI document: a value is missing, of the wrong type, out of "
        "range, or given with a field it excludes. Each item of 'errors' points at the field with a JSON Pointer.",
    ),
    "conflicting-values": (
        "Values that cannot be met together",
        "Each value is valid on its own and the body matches the OpenAPI document, but the values cannot hold "
        "together, or cannot be met with the catalog records they name: arithmetic across fields, which a JSON "
        "Schema cannot state ('active_params' above 'params', a layout of more GPUs than the run has, a context "
        "longer than the model supports, the shares of a mix not adding up to 1, a latency target faster than the "
        "hardware reaches). Answered 409 Conflict: change a value the item points at; its detail says what would "
        "work. When no serving replica meets a latency target, the item's 'binding' says which one (ttft or tpot) "
        "and 'best_ms' the best the hardware reaches.",
    ),
    "unknown-id": (
        "Unknown model or hardware id",
        "A model or hardware id is not in the catalog. The item's 'closest' lists the nearest known ids; "
        "GET /api/v1/models or /api/v1/hardware lists them all.",
    ),
    "unknown-pricing-table": (
        "Unknown pricing table or version",
        "The pricing table, or the version of it, does not exist. The item's 'closest' lists the nearest "
        "table names; GET /api/v1/pricing-tables lists the tables and /api/v1/pricing-tables/<name>/versions "
        "their versions.",
    ),
    "import-rejected": (
        "Pricing file rejected",
        "The uploaded pricing file has problems and nothing was imported. Each item of 'errors' is one "
        "problem: 'code', 'detail', and where it is as the spreadsheet shows it: 'sheet', 'row' (the header "
        "is row 1), 'column' (the header as written), 'column_letter' and the raw 'value'.",
    ),
    "unsupported-precision": (
        "Precision not supported by the hardware",
        "The hardware has no tensor-core peak at the requested precision. The item's 'supported' lists "
        "the precisions it has.",
    ),
    "does-not-fit": (
        "Workload does not fit in GPU memory",
        "The model's training state, or its serving weights and KV cache, do not fit in the memory of the "
        "GPUs given. The item's 'min_gpus' (training) or 'min_gpus_per_replica' (serving), where present, "
        "is the fewest GPUs that hold it. Answered 409 Conflict, like conflicting-values: memory is arithmetic on "
        "the model, precision and GPUs named, which the OpenAPI document cannot state.",
    ),
}


def problem_type(slug: str) -> str:
    if slug not in PROBLEM_TYPES:
        raise KeyError(f"Undeclared problem type {slug!r}")
    return f"/problems/{slug}"


def error_item(pointer: str | None, detail: str, code: str, **extra: Any) -> dict[str, Any]:
    return {"pointer": pointer, "detail": detail, "code": code, **extra}


def pointer_from_path(path: Sequence[object]) -> str:
    """RFC 6901 pointer for a path of keys: ``("model", "a/b")`` -> ``/model/a~1b``."""
    return "".join("/" + str(part).replace("~", "~0").replace("/", "~1") for part in path)


class ProblemError(Exception):
    """An error to answer with a problem-details response; raise it anywhere in a request."""

    def __init__(
        self,
        status: int,
        detail: str,
        *,
        title: str | None = None,
        type_: str = ABOUT_BLANK,
        errors: Iterable[Mapping[str, Any]] = (),
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.title = title
        self.type = type_
        self.errors = [dict(e) for e in errors]
        self.headers = dict(headers or {})

    def to_response(self) -> Response:
        """The one error response shape. With ``about:blank`` the title is the status phrase."""
        if self.type == ABOUT_BLANK:
            title = _phrase(self.status)  # RFC 9457 4.2.1: with about:blank the title is the status phrase
        else:
            title = self.title or PROBLEM_TYPES[self.type.removeprefix("/problems/")][0]
        body = {"type": self.type, "title": title, "status": self.status, "detail": self.detail,
                "errors": [dict(e) for e in self.errors]}
        from .jsonsafe import strict_json  # jsonsafe raises this module's errors: imported here, not at the top

        response = strict_json(current_app).response(body)
        response.status_code = self.status
        response.mimetype = PROBLEM_MIMETYPE
        response.headers.update(self.headers)
        return response


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


# --- Core errors ---------------------------------------------------------------------------------
def _core_status_and_type(exc: EstimatorError) -> tuple[int, str]:
    if isinstance(exc, UnknownIdError):
        return 404, problem_type("unknown-id")
    if isinstance(exc, UnknownPricingTable | UnknownVersion):
        return 404, problem_type("unknown-pricing-table")
    if isinstance(exc, UnsupportedFile):
        return 415, ABOUT_BLANK
    if isinstance(exc, FileTooLarge):
        return 413, ABOUT_BLANK
    if isinstance(exc, ImportRejected):
        return 422, problem_type("import-rejected")
    if isinstance(exc, PricingStoreUnavailable):
        return 503, ABOUT_BLANK
    if isinstance(exc, UnsupportedPrecisionError):
        return 422, problem_type("unsupported-precision")
    if isinstance(exc, DoesNotFitError):
        return 409, problem_type("does-not-fit")
    if isinstance(exc, ConflictError):
        return 409, problem_type("conflicting-values")
    return 422, problem_type("invalid-input")  # InvalidInputError, CatalogError and any other


def _plain(value: object) -> object:
    """A core error's data value as plain JSON (the error path must not fail to serialise)."""
    if value is None or isinstance(value, str | bool | int):
        return value
    if isinstance(value, numbers.Real):
        number = float(value)
        return number if math.isfinite(number) else str(value)
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return str(value)


def problem_from_core(exc: EstimatorError, *, in_body: bool = True) -> ProblemError:
    """Map a core error to a problem; its ``field`` becomes the pointer, its data extra members.

    ``in_body=False`` for ids taken from the URL path: the pointer is then null.
    """
    status, type_ = _core_status_and_type(exc)
    if isinstance(exc, PricingStoreUnavailable):  # the cause (host, driver message) goes to the log only
        log.error("%s", exc.message)
        return ProblemError(status, "The pricing store is unavailable; try again shortly. The server log has the cause.",
                            headers={"Retry-After": str(STORE_RETRY_AFTER_S)})
    if isinstance(exc, ImportRejected):  # one item per problem, located in the file, not the JSON body
        items = [error_item(None, p.message, p.code, sheet=p.sheet, row=p.row, column=p.column,
                            column_letter=p.column_letter, value=p.value) for p in exc.problems]
        return ProblemError(status, exc.message, type_=type_, errors=items)
    pointer = ("/" + exc.field.replace(".", "/") if exc.field else "") if in_body else None
    item = error_item(pointer, exc.message, exc.code, **{k: _plain(v) for k, v in exc.data.items()})
    return ProblemError(status, exc.message, type_=type_, errors=[item])


# --- Schema (marshmallow / webargs) errors --------------------------------------------------------
#: marshmallow's fixed messages and the stable codes the API reports for them.
_MESSAGE_CODES = {
    "Missing data for required field.": "required",
    "Field may not be null.": "null",
    "Unknown field.": "unknown_field",
    "Invalid input type.": "invalid_type",
}
#: Prefixes of formatted messages (validators, our strict fields) and their codes.
_PREFIX_CODES = (
    ("Must be one of:", "invalid_choice"),
    ("Must be greater than", "out_of_range"),
    ("Must be less than", "out_of_range"),
    ("Not a valid number", "invalid_number"),
    ("Not a valid integer", "invalid_integer"),
    ("Not a valid string", "invalid_string"),
    ("Not a valid boolean", "invalid_boolean"),
    ("Not a valid", "invalid_type"),
    ("Must not be empty", "empty"),
    ("Length must be", "invalid_length"),
    ("Shorter than minimum length", "invalid_length"),
    ("Longer than maximum length", "invalid_length"),
    ("Missing", "required"),
    ("Conflicts with", "conflict"),
)


def _code_for(message: str) -> str:
    if message in _MESSAGE_CODES:
        return _MESSAGE_CODES[message]
    for prefix, code in _PREFIX_CODES:
        if message.startswith(prefix):
            return code
    return "invalid"


def _flatten(messages: object, path: tuple[object, ...]) -> Iterable[tuple[tuple[object, ...], str]]:
    """marshmallow's nested message dicts -> (path, message) pairs; ``_schema`` stays at its parent."""
    if isinstance(messages, Mapping):
        for key, value in messages.items():
            yield from _flatten(value, path if key == "_schema" else (*path, key))
    elif isinstance(messages, list | tuple):
        for value in messages:
            yield from _flatten(value, path)
    else:
        yield path, str(messages)


def problem_from_messages(messages: object) -> ProblemError:
    """422 problem from marshmallow messages (webargs wraps them in ``{"json": ...}``): the first
    ``MAX_ERROR_ITEMS`` by pointer, the detail counting all of them."""
    if isinstance(messages, Mapping) and set(messages) == {"json"}:
        messages = messages["json"]
    count = 0

    def counted() -> Iterable[tuple[str, str]]:
        nonlocal count
        for path, text in _flatten(messages, ()):
            count += 1
            yield pointer_from_path(path), text

    shown = heapq.nsmallest(MAX_ERROR_ITEMS, counted(), key=lambda pair: pair[0])  # stable, like a sort
    items = [error_item(pointer, text, _code_for(text)) for pointer, text in shown]
    more = f" ({count - len(items)} more not listed)" if count > len(items) else ""
    detail = items[0]["detail"] if count == 1 else f"{count} fields are invalid{more}; see 'errors'."
    if count == 1 and items[0]["pointer"]:
        detail = f"{items[0]['pointer'][1:]}: {detail}"
    return ProblemError(422, detail, type_=problem_type("invalid-input"), errors=items)


# --- HTTP errors (routing, 413, 415, flask-smorest's abort) ---------------------------------------
_HTTP_DETAILS = {
    404: "No such endpoint. The API lives under /api/v1; its OpenAPI document is /api/v1/openapi.json.",
    405: "This endpoint does not accept that method.",
    413: "The request body is larger than the limit of {limit:,} bytes.",
    415: "The request body must be JSON, sent with 'Content-Type: application/json'.",
    500: "An unexpected error occurred on the server. It has been logged.",
}


def problem_from_http(error: HTTPException) -> ProblemError:
    status = error.code or 500
    data = getattr(error, "data", None) or {}
    if status == 422 and "messages" in data:  # webargs/flask-smorest validation abort
        return problem_from_messages(data["messages"])
    if isinstance(error, RateLimitExceeded):  # only failed authentication is counted (pricing_ops.init_app)
        wait = error.limit.limit.get_expiry()
        detail = f"Too many failed authentications from this address ({error.limit.limit}); try again in {wait} s."
        return ProblemError(429, detail, headers={"Retry-After": str(wait)})
    if status >= 500:
        detail = _HTTP_DETAILS[500]
    elif status in _HTTP_DETAILS:
        detail = _HTTP_DETAILS[status].format(limit=current_app.config["MAX_CONTENT_LENGTH"])
    else:
        detail = data.get("message") or error.description or _phrase(status)
    headers = dict(data.get("headers") or {})
    valid_methods = getattr(error, "valid_methods", None)
    if valid_methods:
        headers["Allow"] = ", ".join(valid_methods)
    return ProblemError(status, detail, headers=headers)


# --- HTML pages -----------------------------------------------------------------------------------
#: What a reader of the HTML pages is told instead of the API-oriented detail.
_HTML_DETAILS = {
    404: "There is no page at this address.",
    405: "This page does not accept that method.",
}


def wants_html() -> bool:
    """The HTML pages get their errors as a page; the API, the probes and any client that does not
    prefer text/html (no Accept header, ``*/*``) get problem JSON."""
    if request.blueprint == "web":
        return True
    if request.path == "/api" or request.path.startswith("/api/"):
        return False
    best = request.accept_mimetypes.best_match(["application/json", PROBLEM_MIMETYPE, "text/html"])
    return best == "text/html"


def problem_page(problem: ProblemError) -> Response:
    """The problem as an HTML page (same status and headers; never a traceback)."""
    if problem.type == ABOUT_BLANK:
        title = _phrase(problem.status)
    else:
        title = problem.title or PROBLEM_TYPES[problem.type.removeprefix("/problems/")][0]
    detail = _HTML_DETAILS.get(problem.status, problem.detail) if problem.type == ABOUT_BLANK else problem.detail
    body = render_template("error.html", status=problem.status, title=title, detail=detail)
    response = current_app.response_class(body, status=problem.status, mimetype="text/html")
    response.headers.update(problem.headers)
    return response


def respond(problem: ProblemError) -> Response:
    return problem_page(problem) if wants_html() else problem.to_response()


# --- Handlers -------------------------------------------------------------------------------------
def handle_problem(exc: ProblemError) -> Response:
    return respond(exc)


def handle_core_error(exc: EstimatorError) -> Response:
    return respond(problem_from_core(exc))


def handle_validation_error(exc: ValidationError) -> Response:
    return respond(problem_from_messages(exc.messages))


def handle_http_exception(error: HTTPException) -> Response:
    # An unhandled exception arrives here as InternalServerError after Flask has logged it with
    # its traceback (app.logger.error); the response says only that something went wrong.
    return respond(problem_from_http(error))


def register_error_handlers(app: Flask) -> None:
    """Install the handlers. Unhandled exceptions reach ``handle_http_exception`` as a 500."""
    app.register_error_handler(ProblemError, handle_problem)
    app.register_error_handler(EstimatorError, handle_core_error)
    app.register_error_handler(ValidationError, handle_validation_error)
    app.register_error_handler(HTTPException, handle_http_exception)
