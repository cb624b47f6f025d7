"""chapters and overflow: the chapters a chapter's callers are offered to next

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-01 11:00:00

`chapters.overflow` lists the slugs of the chapters (in order) whose on-call volunteers are
rung when this chapter's waves are spent or nobody is on call here (the rota file's
`[[chapter]] overflow = [...]`; hotline.roster.overflow). Empty: no overflow, as before.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("chapters", schema=None) as batch_op:
        batch_op.add_column(sa.Column("overflow", sa.JSON(), server_default="[]",
                                      nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("chapters", schema=None) as batch_op:
        batch_op.drop_column("overflow")
