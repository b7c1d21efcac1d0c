"""Read and parse request bodies strictly, in one place.

Python's ``json`` (and so Flask's parser) accepts ``NaN``, ``Infinity``, numbers that overflow
to ``inf`` (``1e400``) and duplicate keys (the last one silently wins), and ~1,000 levels of
nesting raise ``RecursionError`` (a 500). Werkzeug's stream stops *at* ``MAX_CONTENT_LENGTH`` for
chunked uploads, so a view that reads ``request.get_data()`` under gunicorn can see a truncated
body that looks whole. Here:

- ``read_body`` reads what actually arrives and answers 413 past the limit, 400 when the body is
  shorter than its Content-Length;
- ``loads_strict`` rejects syntax errors, duplicate keys, nesting deeper than the limit and an
  array or object with more items than the limit (400), and non-finite or overflowing numbers
  (422), each with a JSON Pointer to the offending value. The item limit comes before any schema
  sees the body: marshmallow checks every element of a list before the list's own length, so a
  1 MB body of 450,000 wrong list items (or 75,000 unknown keys) cost seconds of CPU;
- strings (keys and values) holding a control or bidirectional formatting character
  (``pricing.read.UNSAFE_CHARACTER``: NUL, ESC, C1, overrides) are refused (422): a custom model's
  name is shown on pages and written to CSV downloads. ``check_query_text`` does the same for the
  query strings of every request (the pages' forms are GET);
- ``load_json_body`` adds the media-type check (415) and is what the API's argument parser and
  the app's JSON provider both use.
"""

from __future__ import annotations

import json
import math
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import orjson
from flask import Flask, Response, current_app, g, request
from flask.json.provider import DefaultJSONProvider
from webargs.flaskparser import FlaskParser
from werkzeug.exceptions import ClientDisconnected
from werkzeug.routing import IntegerConverter

from pricing.read import UNSAFE_CHARACTER, unsafe_character_text

from .errors import MAX_ERROR_ITEMS, ProblemError, error_item, pointer_from_path, problem_type

_CHUNK_BYTES = 64 * 1024
_ORJSON_OPTIONS = orjson.OPT_APPEND_NEWLINE | orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS
#: Integer literals shorter than this (sign included) are below 1e308, so always finite as floats.
_FLOAT_SAFE_INT_CHARS = 309
#: Longest integer literal converted at all: any longer overflows a float (1.8e308 has 309 digits).
_MAX_INT_DIGITS = 310


@dataclass(frozen=True)
class _Rejected:
    """Stands in for a number the parser refused, so the walk can report where it was."""

    literal: str
    code: str
    reason: str


class _DuplicateKeys(dict):
    """An object in which some key appeared more than once."""

    duplicates: list[str]


#: The three non-standard literals Python's json accepts, each rejected with one shared marker.
_CONSTANTS = {
    literal: _Rejected(literal, "non_finite_number", f"{literal} is not a number JSON allows; send a finite number.")
    for literal in ("NaN", "Infinity", "-Infinity")
}


def _parse_float(literal: str) -> float | _Rejected:
    value = float(literal)
    if math.isfinite(value):
        return value
    return _Rejected(literal, "number_out_of_range", f"{literal} overflows a 64-bit float; send a finite number.")


def _parse_int(literal: str) -> int | _Rejected:
    if len(literal) < _FLOAT_SAFE_INT_CHARS:
        return int(literal)
    digits = literal.lstrip("-")
    if len(digits) <= _MAX_INT_DIGITS and abs(value := int(literal)) <= sys.float_info.max:
        return value
    shown = literal if len(literal) <= 40 else f"{literal[:20]}...({len(digits)} digits)"
    return _Rejected(literal, "number_out_of_range", f"{shown} is too large for a 64-bit float.")


def _object_pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(pairs)
    if len(obj) == len(pairs):
        return obj
    seen: set[str] = set()
    dup = _DuplicateKeys(obj)
    dup.duplicates = []
    for key, _ in pairs:
        if key in seen and key not in dup.duplicates:
            dup.duplicates.append(key)
        seen.add(key)
    return dup


_VISITED = (dict, list, _Rejected)


def _inspect(
    doc: Any, max_depth: int, max_items: int
) -> tuple[list[dict[str, Any]], list[tuple[tuple[object, ...], _Rejected]]]:
    """(duplicate-key items, (path, rejected number) pairs) in document order; raises when too deep
    or when an array or object holds more than ``max_items``.

    Only non-empty containers and rejected numbers are visited (an empty container only where it
    would be too deep), so scalars cost one isinstance check: a 1 MB array of numbers stays cheap.
    """
    duplicates: list[dict[str, Any]] = []
    numbers: list[tuple[tuple[object, ...], _Rejected]] = []
    stack: list[tuple[Any, tuple[object, ...], int]] = [(doc, (), 1)] if isinstance(doc, _VISITED) else []
    while stack:
        node, path, depth = stack.pop()
        if isinstance(node, _Rejected):
            numbers.append((path, node))  # items are built only for the ones listed
            continue
        if depth > max_depth:
            raise _too_deep(max_depth, pointer_from_path(path))
        if len(node) > max_items:
            raise _too_many_items(node, max_items, pointer_from_path(path))
        for key in getattr(node, "duplicates", ()):
            detail = f"Key '{key}' appears more than once in one object."
            duplicates.append(error_item(pointer_from_path((*path, key)), detail, "duplicate_key"))
        items = node.items() if isinstance(node, dict) else enumerate(node)
        children = [
            (v, (*path, k), depth + 1) for k, v in items if isinstance(v, _VISITED) and (v or depth >= max_depth)
        ]
        stack.extend(reversed(children))
    return duplicates, numbers


def _too_many_items(node: dict[str, Any] | list[Any], max_items: int, pointer: str) -> ProblemError:
    what = ("object", "keys") if isinstance(node, dict) else ("array", "items")
    detail = (
        f"The JSON {what[0]} at '{pointer or '/'}' has {len(node):,} {what[1]}; at most {max_items:,} are read "
        "(no field of this API takes more than a few dozen)."
    )
    return ProblemError(
        400, detail, type_=problem_type("invalid-json"), errors=[error_item(pointer, detail, "too_many_items")]
    )


def _too_deep(max_depth: int, pointer: str | None) -> ProblemError:
    detail = f"The JSON body is nested more than {max_depth} levels deep."
    return ProblemError(
        400, detail, type_=problem_type("invalid-json"), errors=[error_item(pointer, detail, "too_deep")]
    )


def _problem(
    status: int, slug: str, duplicates: list[dict[str, Any]], numbers: list[tuple[tuple[object, ...], _Rejected]]
) -> ProblemError:
    """One problem listing the first ``MAX_ERROR_ITEMS`` issues and counting the rest."""
    total = len(duplicates) + len(numbers)
    shown = duplicates[:MAX_ERROR_ITEMS] + [
        error_item(pointer_from_path(path), node.reason, node.code)
        for path, node in numbers[: max(0, MAX_ERROR_ITEMS - len(duplicates))]
    ]
    more = f" ({total - len(shown)} more not listed)" if total > len(shown) else ""
    detail = shown[0]["detail"] if total == 1 else f"{total} problems in the JSON body{more}; see 'errors'."
    return ProblemError(status, detail, type_=problem_type(slug), errors=shown)


def _count_items_first(text: str, max_items: int) -> None:
    """Refuse an oversized array or object before the strict parse: orjson reads 1 MB in ~10 ms, the
    strict parser (a Python call per number) in ~100 ms. A body orjson refuses is left to the
    strict parser, which says what is wrong with it."""
    try:
        doc = orjson.loads(text)
    except orjson.JSONDecodeError:
        return
    stack: list[tuple[Any, tuple[object, ...]]] = [(doc, ())] if isinstance(doc, dict | list) else []
    while stack:
        node, path = stack.pop()
        if len(node) > max_items:
            raise _too_many_items(node, max_items, pointer_from_path(path))
        items = node.items() if isinstance(node, dict) else enumerate(node)
        stack.extend((v, (*path, k)) for k, v in items if isinstance(v, dict | list) and v)


def loads_strict(data: bytes | str, max_depth: int, max_items: int) -> Any:
    """Parse one JSON document, or raise ``ProblemError`` (400 structure, 422 numbers)."""
    try:
        text = data.decode("utf-8") if isinstance(data, bytes | bytearray) else data
    except UnicodeDecodeError as exc:
        detail = f"The body is not UTF-8 text (byte {exc.start})."
        raise ProblemError(
            400, detail, type_=problem_type("invalid-json"), errors=[error_item(None, detail, "invalid_encoding")]
        ) from None
    _count_items_first(text, max_items)
    try:
        doc = json.loads(
            text,
            parse_constant=_CONSTANTS.__getitem__,
            parse_float=_parse_float,
            parse_int=_parse_int,
            object_pairs_hook=_object_pairs,
        )
    except json.JSONDecodeError as exc:
        detail = f"The body is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}."
        item = error_item(None, detail, "invalid_json", line=exc.lineno, column=exc.colno)
        raise ProblemError(400, detail, type_=problem_type("invalid-json"), errors=[item]) from None
    except RecursionError:
        raise _too_deep(max_depth, None) from None

    duplicates, numbers = _inspect(doc, max_depth, max_items)
    if duplicates:
        raise _problem(400, "invalid-json", duplicates, numbers)
    if _SUSPECT.search(text):
        numbers += _unsafe_strings(doc)
    if numbers:
        raise _problem(422, "invalid-input", [], numbers)
    return doc


#: What a body holding an ``UNSAFE_CHARACTER`` must contain, raw or as a ``\u`` escape (a superset:
#: ``\u0009`` matches too); only such a body has its strings walked.
_SUSPECT = re.compile(r"\\u(?:00[01]|007|00[89]|061|200|202|206)|" + UNSAFE_CHARACTER.pattern, re.IGNORECASE)


def _unsafe_strings(doc: Any) -> list[tuple[tuple[object, ...], _Rejected]]:
    """(path, rejection) for every key or string value holding an ``UNSAFE_CHARACTER``."""
    found: list[tuple[tuple[object, ...], _Rejected]] = []
    stack: list[tuple[Any, tuple[object, ...]]] = [(doc, ())]
    while stack:
        node, path = stack.pop()
        if isinstance(node, str):
            bad = UNSAFE_CHARACTER.search(node)
            if bad:
                reason = f"Holds {unsafe_character_text(bad.group())}; remove it."
                found.append((path, _Rejected("", "control_character", reason)))
        elif isinstance(node, dict | list):
            items = list(node.items() if isinstance(node, dict) else enumerate(node))
            for key, value in reversed(items):
                stack.append((value, (*path, key)))
                if isinstance(key, str):
                    stack.append((key, (*path, key)))
    return found


class AsciiIntegerConverter(IntegerConverter):
    """``<int:…>`` in a route, ASCII digits only: werkzeug's matches any Unicode digit (``\\d``), so
    ``/versions/٣`` (an Arabic-Indic three) resolved to version 3."""

    regex = r"[0-9]+"


def check_query_text() -> None:
    """Before each request: 422 when a query parameter's name or value holds an ``UNSAFE_CHARACTER``."""
    for name, value in request.args.items(multi=True):
        bad = UNSAFE_CHARACTER.search(name) or UNSAFE_CHARACTER.search(value)
        if bad:
            shown = UNSAFE_CHARACTER.sub("?", name)[:80]
            detail = f"The address's parameter '{shown}' holds {unsafe_character_text(bad.group())}; remove it."
            item = error_item(None, detail, "control_character", parameter=shown)
            raise ProblemError(422, detail, type_=problem_type("invalid-input"), errors=[item])


def read_body(limit: int) -> bytes:
    """The request body as it actually arrived: 413 past ``limit``, 400 if cut short."""
    stream = request.stream  # raises 413 up front when Content-Length exceeds MAX_CONTENT_LENGTH
    chunks: list[bytes] = []
    size = 0
    declared = request.content_length
    try:
        while chunk := stream.read(_CHUNK_BYTES):  # werkzeug raises 413 when a chunked body passes the limit
            size += len(chunk)
            if size > limit:
                raise ProblemError(413, f"The request body is larger than the limit of {limit:,} bytes.")
            chunks.append(chunk)
    except ClientDisconnected:  # werkzeug's stream: fewer bytes than Content-Length, then EOF
        pass
    if declared is not None and size != declared:
        raise ProblemError(400, f"The request body ended after {size:,} of the {declared:,} bytes announced.")
    return b"".join(chunks)


def load_json_body() -> Any:
    """The current request's JSON body, parsed strictly (cached on ``g`` for the request)."""
    if "estimator_json_body" in g:
        return g.estimator_json_body
    if not request.is_json:
        got = request.mimetype or "no Content-Type"
        raise ProblemError(
            415,
            f"The request body must be JSON, sent with 'Content-Type: application/json' (got {got}).",
            headers={"Accept-Post": "application/json"},
        )
    config = current_app.config
    doc = loads_strict(read_body(config["MAX_CONTENT_LENGTH"]), config["MAX_JSON_DEPTH"], config["MAX_JSON_ITEMS"])
    g.estimator_json_body = doc
    return doc


class StrictJSONParser(FlaskParser):
    """webargs parser for the API blueprints: JSON bodies go through ``load_json_body``."""

    def _raw_load_json(self, req: Any) -> Any:
        return load_json_body()


class StrictJSONProvider(DefaultJSONProvider):
    """App-wide JSON: strict parsing (so ``request.get_json()`` is safe too), no NaN on output,
    and the key order the core chose (the CLI prints the same order).

    Responses are encoded with orjson, several times faster than ``json`` on a 10-20 KB estimate
    (``docs/benchmarks.md``), in the same compact form. A value orjson does not take (an integer
    beyond 64 bits, a key that is not text) goes through ``json`` instead. orjson would write NaN
    and infinities as ``null``; none reach it: every figure of an estimate is checked finite where
    it is rounded (``bands.significant``, an input error otherwise), and a comparison maps the ratios it
    cannot form to ``null`` itself (``run.run_compare``).
    """

    sort_keys = False

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        config = self._app.config
        return loads_strict(s, config["MAX_JSON_DEPTH"], config["MAX_JSON_ITEMS"])

    def dumps(self, obj: Any, **kwargs: Any) -> str:
        kwargs.setdefault("allow_nan", False)
        return super().dumps(obj, **kwargs)

    def response(self, *args: Any, **kwargs: Any) -> Response:
        obj = self._prepare_response_obj(args, kwargs)
        return self.flask_app.response_class(encode(obj, self.default), mimetype=self.mimetype)

    @property
    def flask_app(self) -> Flask:
        """The app this provider serves (``JSONProvider`` types it as Flask's app base class, whose
        ``response_class`` is not the WSGI response)."""
        app = self._app
        if not isinstance(app, Flask):
            raise TypeError(f"StrictJSONProvider serves a Flask app, not {type(app).__name__}")
        return app


def strict_json(app: Flask) -> StrictJSONProvider:
    """The app's JSON provider: the ``StrictJSONProvider`` that ``create_app`` installs."""
    provider = app.json
    if not isinstance(provider, StrictJSONProvider):
        raise TypeError(f"The app's JSON provider is {type(provider).__name__}, not StrictJSONProvider")
    return provider


def json_response(body: bytes) -> Response:
    """A 200 response carrying JSON already encoded by ``encode``."""
    return current_app.response_class(body, mimetype=strict_json(current_app).mimetype)


def encode(obj: Any, default: Callable[[Any], Any] | None = None) -> bytes:
    """``obj`` as compact UTF-8 JSON with a final newline: the body of every JSON response.

    ``default`` converts what JSON has no type for (Flask's: dates, UUIDs, dataclasses).
    """
    try:
        return orjson.dumps(obj, default=default, option=_ORJSON_OPTIONS)
    except TypeError:  # orjson.JSONEncodeError: an integer beyond 64 bits, a key that is not text
        return f"{json.dumps(obj, default=default, allow_nan=False, separators=(',', ':'))}\n".encode()
