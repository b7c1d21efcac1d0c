"""The store's Alembic migrations (pricing/migrations), on SQLite and on PostgreSQL.

Replaying every revision gives exactly the tables pricing/store.py declares (what a new database
gets at once), a database made by ``create_all`` before migrations existed is adopted with its rows,
and starting again changes nothing.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, inspect, select
from sqlalchemy.engine import URL, Engine

from pricing import migrations
from pricing.store import PricingStore, metadata

H100 = {"provider": "Lambda", "region": "us-east-1", "gpu": "h100-sxm", "pricing_model": "on_demand",
        "usd_per_gpu_hour": 2.99, "product": "8x H100 SXM", "effective_date": "2025-03-01",
        "source": "Lambda pricing page, 2025-03-01", "notes": None}


@pytest.fixture(params=("sqlite", "postgresql"))
def url(request: pytest.FixtureRequest, tmp_path: Path) -> URL | str:
    """An empty database on each backend."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'pricing.sqlite3'}"
    return request.getfixturevalue("postgres_schema_url")


@pytest.fixture
def engine(url: URL | str):
    engine = create_engine(url)
    yield engine
    engine.dispose()


def current(engine: Engine) -> tuple[str, ...]:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_heads()


def test_the_revisions_replayed_give_the_declared_tables(engine: Engine) -> None:
    with engine.begin() as conn:
        migrations.migrate(conn)
    with engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), metadata) == []
    assert current(engine) == (migrations.head(),)
    assert migrations.head() == "0003"  # update with the next revision


def test_a_new_database_starts_at_the_newest_revision(url: URL | str, engine: Engine) -> None:
    with PricingStore(url) as store:
        store.create_schema()
        store.create_schema()  # every start runs it: the second finds nothing to do
    assert current(engine) == (migrations.head(),)
    assert set(inspect(engine).get_table_names()) == {*migrations.FIRST_TABLES, "pricing_files", "pricing_digests",
                                                         "alembic_version"}


def test_a_database_made_by_create_all_is_adopted_with_its_rows(url: URL | str, engine: Engine) -> None:
    # How the store made its tables before migrations (the four of then; no stored downloads or digests yet:
    # the import of then is today's with the table of digests dropped after it).
    digests = metadata.tables["pricing_digests"]
    metadata.create_all(engine, tables=[metadata.tables[name] for name in sorted(migrations.FIRST_TABLES)] + [digests])
    with PricingStore(url) as store:
        before = store.import_version("acme", {"gpu_prices": [H100]}, file_name="a.csv", created_by="admin",
                                      files={})
        digests.drop(engine)
        assert current(engine) == ()
        store.create_schema()
        assert current(engine) == (migrations.head(),)
        assert store.version("acme").sheets == {"gpu_prices": [H100]}
        assert store.versions("acme") == [before]
        after = store.import_version("acme", {"gpu_prices": [{**H100, "usd_per_gpu_hour": 2.49}]},
                                     file_name="b.csv", created_by="admin")
        assert [v.number for v in store.versions("acme")] == [1, after.number] == [1, 2]
        # revision 0002: the version imported before it has no stored downloads, the one after has them
        assert store.file("acme", 1, "xlsx") is None and store.file("acme", 2, "xlsx")[:2] == b"PK"
        # revision 0003: the version imported before it has no digests; a diff digests its rows, and
        # index_versions stores them (once)
        with engine.connect() as conn:
            assert [tuple(r) for r in conn.execute(select(digests.c.version))] == [(2,)]
        assert store.diff("acme", 1, 2).to_dict()["summary"] == {"added": 0, "removed": 0, "changed": 1}
        assert (store.index_versions("acme"), store.index_versions("acme")) == ([1], [])
        with engine.connect() as conn:
            assert sorted(tuple(r) for r in conn.execute(select(digests.c.version))) == [(1,), (2,)]
