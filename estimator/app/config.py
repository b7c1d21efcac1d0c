"""Typed configuration defaults for the HTTP service.

Order of precedence (last wins): the defaults below, ``ESTIMATOR_*`` environment variables
(``ESTIMATOR_MAX_CONTENT_LENGTH=2000000``; values are parsed as JSON where they parse, so numbers
and booleans arrive typed), then the mapping passed to ``create_app``.
"""

from __future__ import annotations

from collections.abc import Mapping, MutableMapping

from estimator import __version__
from estimator.catalog import SEEDS_DIR
from estimator.cost import STALE_AFTER_DAYS


class DefaultConfig:
    """Every setting the app reads, with its type and default."""

    #: Largest request body in bytes; larger bodies get 413 (checked against what is actually read).
    MAX_CONTENT_LENGTH: int = 1_000_000
    #: Deepest nesting of arrays and objects accepted in a JSON body.
    MAX_JSON_DEPTH: int = 32
    #: Most items of one JSON array or keys of one object in a body (the longest list a request
    #: takes is a comparison's 10 models; an object has a few dozen fields).
    MAX_JSON_ITEMS: int = 1_000
    #: Directory holding hardware.csv, models.csv and the seed pricing table in pricing/*.csv.
    SEEDS_DIR: str = str(SEEDS_DIR)
    #: A price whose newest point is older than this many days gets a warning in the estimate.
    PRICE_STALE_AFTER_DAYS: int = STALE_AFTER_DAYS
    #: The pricing store. Empty: SQLite ``pricing.sqlite3`` in the instance folder (under TESTING: a
    #: private in-memory database). ``postgresql+psycopg://user@host/db`` lets several instances share one.
    DATABASE_URL: str = ""
    #: Bearer token that allows writes to the pricing store (imports, activation, rollback). Empty:
    #: writes answer 403 saying how to enable them. Reads are open. At least 32 characters
    #: (``MIN_ADMIN_TOKEN_CHARS``; under TESTING any length), refused at start-up otherwise.
    ADMIN_TOKEN: str = ""
    #: Failed authentications (401) one address may get from one endpoint in a window, in
    #: Flask-Limiter's notation; then 429 until the window passes. Empty: no limit.
    AUTH_FAILURES_LIMIT: str = "10 per minute"
    #: The name recorded as ``created_by`` for versions written with ADMIN_TOKEN.
    ADMIN_TOKEN_NAME: str = "admin"
    #: Largest pricing upload in bytes (checked against what is actually read, chunked bodies included).
    MAX_UPLOAD_BYTES: int = 16 * 1024 * 1024
    #: Bytes of finished estimates each worker process keeps for identical requests on the same day
    #: (``results.py``); 0 turns the cache off. An estimate is 10-20 KB, a comparison up to ~200 KB.
    RESULT_CACHE_BYTES: int = 32 * 1024 * 1024

    # flask-smorest: the OpenAPI document only, served at /api/v1/openapi.json. No CDN-hosted UI:
    # the docs page at /api/v1/docs is served from files vendored into static/swagger-ui/.
    API_TITLE: str = "Datacenter compute-cost estimator"
    API_VERSION: str = __version__
    #: 3.1: the schemas are JSON Schema 2020-12 (numeric exclusiveMinimum, null as a type), which
    #: validators and fuzzers such as schemathesis read as written.
    OPENAPI_VERSION: str = "3.1.0"
    OPENAPI_URL_PREFIX: str = "/api/v1"
    OPENAPI_JSON_PATH: str = "openapi.json"

    #: Signs the session cookie that holds the pages' CSRF token. Empty: a random key is made per
    #: process, with a warning; several workers or instances must share one ESTIMATOR_SECRET_KEY.
    SECRET_KEY: str = ""
    #: Seconds a page's form stays good after the page was served (its CSRF token expires then).
    CSRF_TOKEN_MAX_AGE: int = 2 * 3600


#: The shortest admin token accepted: 32 characters of ``secrets.token_urlsafe`` are 192 bits.
MIN_ADMIN_TOKEN_CHARS = 32


def _settings() -> dict[str, type]:
    """The typed settings declared on ``DefaultConfig``, by name."""
    types = {"int": int, "str": str, "bool": bool, "float": float}
    return {name: types[annotation] for name, annotation in DefaultConfig.__annotations__.items()}


def raw_text_settings(config: MutableMapping[str, object], environ: Mapping[str, str]) -> None:
    """Text settings keep the environment's raw text: ``from_prefixed_env`` reads values as JSON,
    which would turn a token like ``123456`` or a key like ``9e99`` into a number."""
    for name, expected in _settings().items():
        raw = environ.get(f"ESTIMATOR_{name}")
        if expected is str and raw is not None:
            config[name] = raw


def check_types(config: Mapping[str, object]) -> None:
    """Fail at start-up, with the setting's name, when an override has the wrong type."""
    for name, expected in _settings().items():
        value = config.get(name)
        wrong_bool = isinstance(value, bool) and expected is not bool
        if not isinstance(value, expected) or wrong_bool:
            raise TypeError(f"Setting {name} (env ESTIMATOR_{name}) must be {expected.__name__}, got {value!r}.")
    for name in ("MAX_CONTENT_LENGTH", "MAX_JSON_DEPTH", "MAX_JSON_ITEMS"):
        if config[name] <= 0:  # type: ignore[operator]
            raise ValueError(f"{name} (env ESTIMATOR_{name}) must be greater than 0.")
    if config["RESULT_CACHE_BYTES"] < 0:  # type: ignore[operator]
        raise ValueError("RESULT_CACHE_BYTES must be 0 (no cache) or more.")
    token = str(config["ADMIN_TOKEN"])
    if token and len(token) < MIN_ADMIN_TOKEN_CHARS and not config.get("TESTING"):
        raise ValueError(
            f"Setting ADMIN_TOKEN (env ESTIMATOR_ADMIN_TOKEN) has {len(token)} characters; use at least "
            f"{MIN_ADMIN_TOKEN_CHARS}, e.g. the output of python -c 'import secrets; print(secrets.token_urlsafe(32))'."
        )
