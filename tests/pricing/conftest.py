"""Fixtures for the pricing package.

Store fixtures: ``store`` runs a test on both backends, SQLite (a file in ``tmp_path``) and
PostgreSQL (a fresh schema per test in the ``test`` database at 127.0.0.1:5432, dropped
afterwards). Without a reachable PostgreSQL the PostgreSQL half skips with a message, unless
``ESTIMATOR_REQUIRE_POSTGRES=1`` (or ``CI`` is set), where it fails: CI must run both.
``ESTIMATOR_TEST_POSTGRES_URL`` points the tests at another server.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL, make_url

from pricing.store import PricingStore

POSTGRES_URL = os.environ.get("ESTIMATOR_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
BACKENDS = ("sqlite", "postgresql")


def _postgres_required() -> bool:
    if os.environ.get("ESTIMATOR_REQUIRE_POSTGRES", "") == "1":
        return True
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


@pytest.fixture(scope="session")
def postgres_url() -> URL:
    """The PostgreSQL server's URL, once checked reachable (else skip, or fail where it is required)."""
    url = make_url(POSTGRES_URL)
    engine = create_engine(url, connect_args={"connect_timeout": 3})
    reason = ""
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:  # any failure to connect means "not here"
        reason = (str(getattr(exc, "orig", exc)).strip().splitlines() or [type(exc).__name__])[0]
    finally:
        engine.dispose()
    if reason:
        message = (f"PostgreSQL at {url.render_as_string(hide_password=True)} is unreachable ({reason}): "
                   "the PostgreSQL store tests need it.")
        if _postgres_required():
            pytest.fail(message + " ESTIMATOR_REQUIRE_POSTGRES=1 (or CI) is set, so this is a failure.",
                        pytrace=False)
        pytest.skip(message + " Skipped; set ESTIMATOR_REQUIRE_POSTGRES=1 to make this a failure.")
    return url


@pytest.fixture
def postgres_schema_url(postgres_url: URL) -> Iterator[URL]:
    """A URL whose connections work in a fresh, empty schema, dropped after the test."""
    schema = f"pricing_test_{os.getpid()}_{uuid.uuid4().hex[:10]}"
    admin = create_engine(postgres_url)
    try:
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        yield postgres_url.update_query_dict({"options": f"-csearch_path={schema}"})
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


def _open_store(request: pytest.FixtureRequest, backend: str, tmp_path: Path) -> Iterator[PricingStore]:
    if backend == "sqlite":
        store = PricingStore(f"sqlite:///{tmp_path / 'pricing.sqlite3'}")
        store.create_schema()
        try:
            yield store
        finally:
            store.dispose()
    else:
        url = request.getfixturevalue("postgres_schema_url")
        store = PricingStore(url)
        store.create_schema()
        try:
            yield store
        finally:
            store.dispose()


@pytest.fixture(params=BACKENDS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[PricingStore]:
    """An empty pricing store with its schema, on each backend in turn."""
    yield from _open_store(request, request.param, tmp_path)


@pytest.fixture
def sqlite_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[PricingStore]:
    yield from _open_store(request, "sqlite", tmp_path)


@pytest.fixture
def postgres_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[PricingStore]:
    yield from _open_store(request, "postgresql", tmp_path)
