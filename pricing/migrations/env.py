"""Alembic's environment for the pricing store: run on the connection the caller passes
(``pricing.migrations.upgrade``), or, from the ``alembic`` command, on ``sqlalchemy.url`` /
``ESTIMATOR_DATABASE_URL`` / the app's SQLite file."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from pricing.store import metadata

config = context.config


def _url() -> str:
    from pricing.cli import default_database_url

    return config.get_main_option("sqlalchemy.url") or default_database_url()


if context.is_offline_mode():  # alembic upgrade --sql: print the SQL instead of running it
    context.configure(url=_url(), target_metadata=metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
elif (connection := config.attributes.get("connection")) is not None:
    context.configure(connection=connection, target_metadata=metadata)
    with context.begin_transaction():
        context.run_migrations()
else:
    engine = create_engine(_url())
    with engine.begin() as connection:
        context.configure(connection=connection, target_metadata=metadata)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()
