"""Answers to a body seen before, found before the body is parsed and checked (issue 14).

An estimate is a pure function of the checked request values (``results.py``), and the values a
body checks to are a pure function of its bytes (the strict JSON parse, then the request schema,
both fixed for the app). So the estimate endpoints look the raw body up first, by a digest of its
kind, the day and its bytes (``ResultCache.body_alias``): a body answered before is answered again
with the same bytes, without the parse and the schema, as long as the pricing table it named still
resolves to the same version and the result is still kept. Anything else takes the ordinary way,
with the body already read and parsed here exactly as ``jsonsafe.load_json_body`` would (a body
that is not JSON, too large or cut short gets the answer it always got).

Registered last among the app's ``before_request`` hooks, so that the request id, the query text
check and the rate limiter have run, as they do for every request.
"""

from __future__ import annotations

from flask import Flask, Response, current_app, g, request

from .jsonsafe import json_response, loads_strict, read_body
from .run import book_ref
from .state import current_state, ready_state

#: The endpoints (flask endpoint names) whose bodies are looked up, and their result kinds.
ENDPOINTS = {"training.post_training": "training", "inference.post_inference": "inference"}
#: Where the digest waits for the view (``body_alias()``), on a miss.
_G_KEY = "estimator_body_alias"


def answer_seen_body() -> Response | None:
    """Before an estimate request: the kept answer to its body, or None (and the body parsed)."""
    kind = ENDPOINTS.get(request.endpoint or "")
    if kind is None or request.method != "POST" or not request.is_json:
        return None  # the ordinary way answers a missing or wrong Content-Type (415)
    if not current_state().ready:
        return None  # the ordinary way: the body's own errors first, then 503
    config = current_app.config
    body = read_body(config["MAX_CONTENT_LENGTH"])
    ready = ready_state()
    alias = ready.results.body_alias(kind, body)
    found = ready.results.by_alias(alias, lambda table: book_ref(ready, table))
    if found is not None:
        return json_response(found)
    g.estimator_json_body = loads_strict(body, config["MAX_JSON_DEPTH"], config["MAX_JSON_ITEMS"])
    setattr(g, _G_KEY, alias)
    return None


def body_alias() -> bytes | None:
    """The digest of this request's body, for the view to keep its answer under."""
    return g.get(_G_KEY)


def anonymous_estimate() -> bool:
    """True for the estimate endpoints: no authentication, so never a 401 for the rate limiter of
    failed authentications (``pricing_ops.py``) to count, nor so a 429; it skips them (issue 14:
    resolving its limits cost about 0.04 ms a request)."""
    return request.endpoint in ENDPOINTS


def init_app(app: Flask) -> None:
    app.before_request(answer_seen_body)
    limiter = app.extensions.get("estimator_limiter")
    if limiter is not None:
        limiter.request_filter(anonymous_estimate)
