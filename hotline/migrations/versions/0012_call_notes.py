"""the contact log: after-call notes, and indexes for reading the log newest first

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01 11:00:00

`call_notes` holds the note the volunteer who took a call wrote about it, encrypted (Fernet,
the privacy key's encryption key): one per call. The contact log reads a chapter's calls by
date (and by outcome and date), newest first, through 0014's indexes, and a caller's calls by
date (by keyed hash) for the repeat-caller mark, through this one's.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from hotline.db import UTCDateTime

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "call_notes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("call_id", sa.Integer(), nullable=False),
        sa.Column("volunteer_id", sa.Integer(), nullable=True),
        sa.Column("body_cipher", sa.Text(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["call_id"], ["calls.id"],
                                name=op.f("fk_call_notes_call_id_calls"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["volunteer_id"], ["volunteers.id"],
                                name=op.f("fk_call_notes_volunteer_id_volunteers"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_call_notes")),
        sa.UniqueConstraint("call_id", name=op.f("uq_call_notes_call_id")),
    )
    op.create_index("ix_calls_caller_started", "calls", ["caller_hash", "started_at"])


def downgrade() -> None:
    op.drop_index("ix_calls_caller_started", table_name="calls")
    op.drop_table("call_notes")
