"""pricing_digests: each version's row digests (``pricing.store.SheetDigests``: a key digest and a value
digest per row, 8 bytes each), stored at import, so that a diff of two versions compares digests instead
of reading and decoding every row of both (issue 13: the first diff of two 150,000-row versions took
~1.4 s of CPU in an anonymous request).

A version imported before this revision has no digests: a diff digests it from its rows within a row
budget (``pricing.store.DIGEST_ON_REQUEST_ROWS``), and ``estimator pricing index NAME`` stores them.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-05
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "pricing_digests",
        sa.Column("table_name", sa.String(63), primary_key=True),
        sa.Column("version", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("sheet", sa.String(32), primary_key=True),
        sa.Column("keys", sa.LargeBinary, nullable=False),
        sa.Column("positions", sa.LargeBinary, nullable=False),
        sa.Column("rows", sa.LargeBinary, nullable=False),
        sa.ForeignKeyConstraint(["table_name", "version"], ["pricing_versions.table_name", "pricing_versions.number"]),
    )


def downgrade() -> None:
    op.drop_table("pricing_digests")
