"""matching: a chapter's language and shared-experience menus, and what each caller chose

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-01 11:00:00

`chapters.languages` (the language menu, the chapter's `language` first), `experiences`
({key, prompt} each) and `match_wait_seconds` (the longest a caller waits for a match).
`calls.language` and `calls.experience` are what the caller chose at the menus (NULL: no
menu, or nothing chosen yet), `calls.chosen_at` when they finished choosing.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from hotline.db import UTCDateTime

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("chapters", schema=None) as batch_op:
        batch_op.add_column(sa.Column("languages", sa.JSON(), nullable=False,
                                      server_default="[]"))
        batch_op.add_column(sa.Column("experiences", sa.JSON(), nullable=False,
                                      server_default="[]"))
        batch_op.add_column(sa.Column("match_wait_seconds", sa.Integer(), nullable=False,
                                      server_default="30"))
    with op.batch_alter_table("chapters", schema=None) as batch_op:
        batch_op.alter_column("languages", server_default=None)
        batch_op.alter_column("experiences", server_default=None)
        batch_op.alter_column("match_wait_seconds", server_default=None)
    with op.batch_alter_table("calls", schema=None) as batch_op:
        batch_op.add_column(sa.Column("language", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("experience", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("chosen_at", UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("calls", schema=None) as batch_op:
        batch_op.drop_column("chosen_at")
        batch_op.drop_column("experience")
        batch_op.drop_column("language")
    with op.batch_alter_table("chapters", schema=None) as batch_op:
        batch_op.drop_column("match_wait_seconds")
        batch_op.drop_column("experiences")
        batch_op.drop_column("languages")
