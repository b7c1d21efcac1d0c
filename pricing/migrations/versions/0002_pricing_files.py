"""pricing_files: each version's downloads (the xlsx and one CSV per sheet), built when the version is
imported, so an anonymous download reads bytes instead of building a workbook (issue 13, defect 9).

A version imported before this revision has no files: its downloads are built on request, as before.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-05
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "pricing_files",
        sa.Column("table_name", sa.String(63), primary_key=True),
        sa.Column("version", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("name", sa.String(40), primary_key=True),
        sa.Column("data", sa.LargeBinary, nullable=False),
        sa.ForeignKeyConstraint(["table_name", "version"], ["pricing_versions.table_name", "pricing_versions.number"]),
    )


def downgrade() -> None:
    op.drop_table("pricing_files")
