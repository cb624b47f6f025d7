"""calls awaiting_dispatch: the call record is the hand-off to the workers

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-27 09:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A constant default: PostgreSQL adds the column without rewriting the table, and every
    # call recorded before this revision is already past dispatch.
    with op.batch_alter_table("calls", schema=None) as batch_op:
        batch_op.add_column(sa.Column("awaiting_dispatch", sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
    op.create_index("ix_calls_awaiting_dispatch", "calls", ["id"], unique=False,
                    sqlite_where=sa.text("awaiting_dispatch"),
                    postgresql_where=sa.text("awaiting_dispatch"))


def downgrade() -> None:
    op.drop_index("ix_calls_awaiting_dispatch", table_name="calls",
                  sqlite_where=sa.text("awaiting_dispatch"),
                  postgresql_where=sa.text("awaiting_dispatch"))
    with op.batch_alter_table("calls", schema=None) as batch_op:
        batch_op.drop_column("awaiting_dispatch")
