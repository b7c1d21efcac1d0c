"""CSRF protection for the pages' state-changing forms (the synchroniser-token pattern).

Each browser session gets one random secret, kept in Flask's signed session cookie
(``HttpOnly``, ``SameSite=Lax``); a form that changes state carries a token, that secret signed
with the time the page was served, in a hidden ``csrf_token`` field (``{{ csrf_field() }}`` in a
template), or a script in an ``X-CSRF-Token`` header. A token expires ``CSRF_TOKEN_MAX_AGE``
seconds (2 hours) after its page was served: a form left open longer asks to be loaded again. Every POST, PUT, PATCH or DELETE to an HTML page (an endpoint of the
``web`` blueprint, or of a blueprint named in ``PROTECTED_BLUEPRINTS``) must carry it, or gets a
400 page; the JSON API is not covered: it authenticates with tokens in headers, which another
site cannot make a browser send.

The estimate pages change nothing and use GET (their URL is the permalink), so only the pricing
page's upload, activate and roll-back forms need this. The upload is a multipart body that its view
reads whole against its own size limit (``pricing_ops.read_upload``); reading ``request.form``
before it would parse the body under the smaller ``MAX_CONTENT_LENGTH`` and leave the view nothing
to read. Such a view is marked ``@deferred`` and calls ``verify`` with the token from the body it
parsed, before it acts on anything.

The session needs ``SECRET_KEY``. Without one configured, a random key is made when the app is
built and a warning is logged: sessions (and so forms) then break across restarts and between
gunicorn workers or instances, which must share ``ESTIMATOR_SECRET_KEY``.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import time
from collections.abc import Callable
from typing import TypeVar

from flask import Flask, current_app, request, session
from itsdangerous import BadData, SignatureExpired, TimestampSigner, URLSafeTimedSerializer
from markupsafe import Markup, escape

from ..errors import ProblemError

SESSION_KEY = "csrf_token"
FIELD = "csrf_token"
HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
#: Blueprints whose unsafe requests need the token.
PROTECTED_BLUEPRINTS = frozenset({"web"})
MESSAGE = (
    "The form did not carry a valid security token: it may be older than your session, or come "
    "from another site. Load the page again and resubmit."
)
EXPIRED = (
    "The form was loaded too long ago and its security token has expired. Load the page again and resubmit."
)
log = logging.getLogger(__name__)
View = TypeVar("View", bound=Callable[..., object])
_DEFERRED = "_csrf_deferred"


class _Signer(TimestampSigner):
    def get_timestamp(self) -> int:
        return int(time.time())


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key or "", salt="estimator csrf", signer=_Signer)


def _session_secret() -> str:
    """This session's random secret, made on first use."""
    secret = session.get(SESSION_KEY)
    if not isinstance(secret, str) or not secret:
        secret = secrets.token_urlsafe(32)
        session[SESSION_KEY] = secret
    return secret


def csrf_token() -> str:
    """A token for a form served now: the session's secret, signed with the time."""
    return str(_serializer().dumps(_session_secret()))


def csrf_field() -> Markup:
    """The hidden input a state-changing form must contain."""
    return Markup(f'<input type="hidden" name="{FIELD}" value="{escape(csrf_token())}">')


def deferred(view: View) -> View:
    """Mark a view that checks the token itself, with ``verify``, once it has read its body."""
    setattr(view, _DEFERRED, True)
    return view


def _protected() -> bool:
    blueprint = request.blueprint or ""
    return request.method not in SAFE_METHODS and blueprint.split(".")[0] in PROTECTED_BLUEPRINTS


def verify(sent: str | None) -> None:
    """A 400 problem unless ``sent`` (or the request's header) is a token of this session's,
    served less than ``CSRF_TOKEN_MAX_AGE`` seconds ago."""
    expected = session.get(SESSION_KEY)
    sent = request.headers.get(HEADER) or sent or ""
    try:
        secret = _serializer().loads(sent, max_age=current_app.config["CSRF_TOKEN_MAX_AGE"])
    except SignatureExpired:
        raise ProblemError(400, EXPIRED) from None
    except BadData:
        raise ProblemError(400, MESSAGE) from None
    if not isinstance(expected, str) or not expected or not isinstance(secret, str):
        raise ProblemError(400, MESSAGE)
    if not hmac.compare_digest(expected.encode(), secret.encode()):
        raise ProblemError(400, MESSAGE)


def check_csrf() -> None:
    """Before each request: a 400 page when a protected request lacks the session's token."""
    if not _protected():
        return
    if getattr(current_app.view_functions.get(request.endpoint or ""), _DEFERRED, False):
        return  # the view verifies the token from the body it reads itself
    verify(None if request.headers.get(HEADER) else request.form.get(FIELD, ""))


def _ensure_secret_key(app: Flask) -> None:
    """SECRET_KEY as configured; else derived from ADMIN_TOKEN (the only state-changing forms are
    the admin's pricing forms, and every worker and instance shares that token, so they share the
    derived key too); else random for this process, with a warning."""
    if app.config.get("SECRET_KEY"):
        return
    token = app.config.get("ADMIN_TOKEN")
    if token:
        app.config["SECRET_KEY"] = hmac.new(token.encode(), b"estimator session key v1", hashlib.sha256).hexdigest()
        return
    app.config["SECRET_KEY"] = secrets.token_hex(32)
    if not app.testing:
        log.warning(
            "No SECRET_KEY configured: made a random one for this process. Forms with a CSRF token fail "
            "after a restart and across workers or instances; set ESTIMATOR_SECRET_KEY to one shared value."
        )


def init_app(app: Flask) -> None:
    _ensure_secret_key(app)
    if app.config.get("SESSION_COOKIE_SAMESITE") is None:  # Flask's default: none set
        app.config["SESSION_COOKIE_SAMESITE"] = "Lax"
    app.before_request(check_csrf)
    app.add_template_global(csrf_token)
    app.add_template_global(csrf_field)
