"""The pricing store's four tables, as pricing/store.py declared them when migrations began
(what ``metadata.create_all`` made until then; such a database is stamped at this revision).

Revision ID: 0001
Revises:
Create Date: 2026-12-05
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: pricing.store._UTCDateTime stores this type (naive UTC text on SQLite).
UTC_DATETIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "pricing_tables",
        sa.Column("name", sa.String(63), primary_key=True),
        sa.Column("active_version", sa.Integer, nullable=True),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
    )
    op.create_table(
        "pricing_versions",
        sa.Column("table_name", sa.String(63), sa.ForeignKey("pricing_tables.name"), primary_key=True),
        sa.Column("number", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.Column("created_by", sa.Text, nullable=False),
        sa.Column("file_name", sa.Text, nullable=False),
        sa.Column("row_counts", sa.Text, nullable=False),
        sa.Column("note", sa.Text, nullable=True),
    )
    op.create_table(
        "pricing_rows",
        sa.Column("table_name", sa.String(63), primary_key=True),
        sa.Column("version", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("sheet", sa.String(32), primary_key=True),
        sa.Column("position", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("data", sa.Text, nullable=False),
        sa.ForeignKeyConstraint(["table_name", "version"], ["pricing_versions.table_name", "pricing_versions.number"]),
    )
    op.create_table(
        "pricing_activations",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("table_name", sa.String(63), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("restores", sa.Integer, sa.ForeignKey("pricing_activations.id"), nullable=True),
        sa.Column("activated_at", UTC_DATETIME, nullable=False),
        sa.Column("activated_by", sa.Text, nullable=True),
        sa.ForeignKeyConstraint(["table_name", "version"], ["pricing_versions.table_name", "pricing_versions.number"]),
    )
    op.create_index("ix_pricing_activations_table_name", "pricing_activations", ["table_name"])


def downgrade() -> None:
    for table in ("pricing_activations", "pricing_rows", "pricing_versions", "pricing_tables"):
        op.drop_table(table)
