"""Schema migrations of the pricing store (Alembic), shipped inside the package.

Inputs: an open SQLAlchemy connection to the store's database (SQLite or PostgreSQL), inside the
caller's write transaction. Output: the store's tables at the newest revision in ``versions/``.

``upgrade(conn)`` runs on every start (``PricingStore.create_schema``, so in every store test on
both backends too):

- a new database gets the tables of ``pricing/store.py`` at once and is stamped at the newest
  revision (Alembic's cookbook, "building an up to date database from scratch": one ``create_all``
  instead of replaying every revision; ``test_store_migrations.py`` checks that replaying them
  gives the same schema, on SQLite and PostgreSQL);
- a database that ``metadata.create_all`` made before migrations existed has the four tables but no
  ``alembic_version``: it is stamped at the first revision (which creates exactly those tables) and
  then upgraded, so its rows stay as they are;
- any other database is upgraded to the newest revision (nothing to do when it is there already).

Measured: a new in-memory store starts in 5 ms this way against 20 ms replaying the revisions
through Alembic (every test app opens one). A revision that moves or adds *rows* rather than
tables is not replayed for a new database: put such a step where both paths reach it.

A schema change: edit the tables in ``pricing/store.py``, then from the repository root
``.venv/bin/alembic revision --autogenerate -m "what changed"`` (``alembic.ini`` points here and at
``ESTIMATOR_DATABASE_URL`` or the app's SQLite file), review the file it writes in ``versions/``,
and run the tests (``test_store_migrations.py`` checks the migrations against the tables).
"""

from __future__ import annotations

from functools import cache

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect
from sqlalchemy.engine import Connection

#: Where Alembic finds env.py and versions/: this package, wherever it is installed.
SCRIPT_LOCATION = "pricing:migrations"
#: The revision that creates the tables create_all made before migrations existed.
FIRST_REVISION = "0001"
#: The store's tables as the first revision creates them.
FIRST_TABLES = frozenset({"pricing_tables", "pricing_versions", "pricing_rows", "pricing_activations"})


def config(connection: Connection | None = None) -> Config:
    """An Alembic configuration for this package's scripts (no ini file needed)."""
    cfg = Config()
    cfg.set_main_option("script_location", SCRIPT_LOCATION)
    cfg.attributes["connection"] = connection
    return cfg


@cache
def scripts() -> ScriptDirectory:
    """The revisions in ``versions/`` (read once per process)."""
    return ScriptDirectory.from_config(config())


def head() -> str:
    """The newest revision."""
    revision = scripts().get_current_head()
    if revision is None:
        raise RuntimeError(f"No migration found in {scripts().versions}: the package is incomplete.")
    return revision


def migrate(connection: Connection, revision: str = "head") -> None:
    """Run the revisions from the database's current one up to ``revision`` (through env.py)."""
    command.upgrade(config(connection), revision)


def upgrade(connection: Connection) -> None:
    """Bring the store to the newest revision: a new database from the tables' declaration, a
    database that create_all made adopted at the first revision, then any revision it lacks."""
    from pricing.store import metadata

    tables = set(inspect(connection).get_table_names())
    context = MigrationContext.configure(connection)
    if "alembic_version" not in tables and not tables & FIRST_TABLES:
        metadata.create_all(connection)
        context.stamp(scripts(), "head")
        return
    if "alembic_version" not in tables:
        context.stamp(scripts(), FIRST_REVISION)
    if context.get_current_heads() != (head(),):
        migrate(connection)


__all__ = ["FIRST_REVISION", "config", "head", "migrate", "scripts", "upgrade"]
