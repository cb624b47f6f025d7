"""calls planned_at

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27 06:28:56.744561
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from hotline.db import UTCDateTime

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("calls", schema=None) as batch_op:
        batch_op.add_column(sa.Column("planned_at", UTCDateTime(), nullable=True))
    # Calls recorded before this revision were planned as they came in.
    op.execute("UPDATE calls SET planned_at = started_at")


def downgrade() -> None:
    with op.batch_alter_table("calls", schema=None) as batch_op:
        batch_op.drop_column("planned_at")
