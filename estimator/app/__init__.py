"""The HTTP service: the only place Flask lives.

``create_app()`` builds the app: typed config (``config.py``) overridden by ``ESTIMATOR_*``
environment variables and then by ``test_config``; the catalog and price book loaded once
(``state.py``); strict JSON bodies (``jsonsafe.py``); one problem-details error shape
(``errors.py``); the JSON API under ``/api/v1`` with its OpenAPI document at
``/api/v1/openapi.json`` and its docs page at ``/api/v1/docs`` (``api/``); the HTML pages (``web/``); and ``/healthz`` and ``/readyz``.

Serve with ``gunicorn -c gunicorn.conf.py 'estimator.app:create_app()'``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from flask import Flask, Request, Response
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from werkzeug.datastructures import Headers

from estimator.instance import instance_path

from . import api, cached_answers, errors, pricing_ops, requestlog, state, web
from .api import health
from .config import DefaultConfig, check_types, raw_text_settings
from .jsonsafe import AsciiIntegerConverter, StrictJSONProvider, check_query_text

SECURITY_HEADERS = {
    # Nothing loads from elsewhere: no CDN script, font or stylesheet.
    "Content-Security-Policy": "default-src 'self'; frame-ancestors 'none'",  # and no other site frames a page
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


#: The headers as werkzeug stores them, checked once here: most responses set none of them, and
#: get all three appended as they are (issue 14: about 10 us a response less than setting each).
_SECURITY_HEADER_ITEMS = tuple(Headers(SECURITY_HEADERS).items())
_LOWER_NAMES = frozenset(name.lower() for name in SECURITY_HEADERS)


def _security_headers(response: Response) -> Response:
    headers = response.headers
    if not any(name.lower() in _LOWER_NAMES for name, _ in headers.items()):
        headers._list.extend(_SECURITY_HEADER_ITEMS)  # the same items, in the order setdefault adds them
        return response
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    policy = response.headers["Content-Security-Policy"]
    if "frame-ancestors" not in policy:  # a page's own policy (the API docs') is not framed either
        response.headers["Content-Security-Policy"] = f"{policy}; frame-ancestors 'none'"
    return response


#: Where no page is served: the JSON API, the health checks, static files. These get no session
#: (no signed cookie read or checked, nothing saved), since only the pages' forms use one (their
#: CSRF secret, ``web/csrf.py``; flashed messages).
NO_SESSION_PREFIXES = ("/api/", "/healthz", "/readyz", "/static/")


class PageSessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie session for the pages only; elsewhere a null session (empty, and an
    error if written), which Flask neither signs nor saves (issue 14: a session opened for every API
    request cost a serializer and a cookie lookup each)."""

    prefixes = NO_SESSION_PREFIXES

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        if request.path.startswith(self.prefixes):
            return self.make_null_session(app)
        return super().open_session(app, request)


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """Application factory (``estimator.app:create_app()`` for gunicorn)."""
    app = Flask(__name__, instance_path=instance_path())  # shared with the CLI (estimator/instance.py)
    app.json = StrictJSONProvider(app)
    app.session_interface = PageSessionInterface()
    app.config.from_object(DefaultConfig)
    app.config.from_prefixed_env("ESTIMATOR")
    raw_text_settings(app.config, os.environ)
    if test_config is not None:
        app.config.from_mapping(test_config)
    check_types(app.config)

    requestlog.init_app(app)  # first: every request gets its id before another hook can answer
    app.url_map.converters["int"] = AsciiIntegerConverter  # before any route: /versions/٣ is no version
    state.init_app(app)
    errors.register_error_handlers(app)
    app.before_request(check_query_text)  # no NUL, ESC or bidi override in a query string (the pages' forms)
    pricing_ops.init_app(app)  # failed authentication rate-limited (Flask-Limiter)
    api.init_app(app)  # after our handlers: flask-smorest's HTTPException handler is ours too
    app.register_blueprint(health.bp)
    web.init_app(app)
    app.after_request(_security_headers)
    cached_answers.init_app(app)  # the last before_request hook: a body answered before, answered again
    return app
