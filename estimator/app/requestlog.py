"""Request ids and one log line per request.

Each request gets an id: the ``X-Request-ID`` header a proxy sent, when it is 1-128 characters of
letters, digits and ``._:-``, else a new random one (32 hex digits). The id is answered in the
``X-Request-ID`` response header, set in ``estimator.logconfig.REQUEST_ID`` while the request is
served (so every line logged meanwhile carries it), and written with the request's line on the
``estimator.access`` logger at INFO when the response is ready: client address, request line,
status, bytes and milliseconds. Under gunicorn that logger writes to stdout in the service's one
format (gunicorn.conf.py, ``estimator.logconfig``); gunicorn's own access log is off.
"""

from __future__ import annotations

import logging
import re
import time
import uuid

from flask import Flask, Response, g, request

from estimator.logconfig import REQUEST_ID

HEADER = "X-Request-ID"
ACCEPTED_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")

log = logging.getLogger("estimator.access")


def _begin() -> None:
    given = request.headers.get(HEADER, "")
    g.request_id = given if ACCEPTED_ID.fullmatch(given) else uuid.uuid4().hex
    g.request_started = time.perf_counter()
    g.request_id_token = REQUEST_ID.set(g.request_id)


def _end(response: Response) -> Response:
    request_id = g.get("request_id") or uuid.uuid4().hex  # a before_request ahead of ours may have answered
    response.headers[HEADER] = request_id
    if log.isEnabledFor(logging.INFO):
        started = g.get("request_started")
        ms = f"{(time.perf_counter() - started) * 1000:.1f} ms" if started is not None else "- ms"
        size = response.content_length
        log.info('%s "%s %s %s" %d %s B %s', request.remote_addr or "-", request.method, request.full_path.rstrip("?"),
                 request.environ.get("SERVER_PROTOCOL", "-"), response.status_code, "-" if size is None else size, ms,
                 extra={"request_id": request_id})
    return response


def _reset(_exc: BaseException | None) -> None:
    token = g.pop("request_id_token", None)
    if token is not None:
        REQUEST_ID.reset(token)


def init_app(app: Flask) -> None:
    """Register first, so that the id exists before any other hook can answer."""
    app.before_request_funcs.setdefault(None, []).insert(0, _begin)
    app.after_request(_end)
    app.teardown_request(_reset)
