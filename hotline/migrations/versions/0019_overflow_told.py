"""overflow_told: the overflow chapter a holding caller was last told of

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-01 15:00:00

A caller offered to an overflow chapter's volunteers is told so once, on the first hold turn
after the move (hotline.calls.flow), not on every turn after: `calls.overflow_told` keeps the
slug of the chapter last announced. Empty for every call before this revision.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("calls", schema=None) as batch_op:
        batch_op.add_column(sa.Column("overflow_told", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("calls", schema=None) as batch_op:
        batch_op.drop_column("overflow_told")
