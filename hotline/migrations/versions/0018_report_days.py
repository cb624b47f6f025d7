"""report_days: each chapter-local day of a chapter's calls, rolled up once it is over

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-01 12:00:00

The reports (hotline.logs.reports) read one row per chapter and past local day instead of
every call of the range: counts by outcome class, missed calls by local hour, and the answered
calls' seconds to answer. Rows are filled lazily by the reports themselves; the table can be
emptied at any time (the next report computes its days again from the calls).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from hotline.db import UTCDateTime

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "report_days",
        sa.Column("chapter_id", sa.Integer(), nullable=False),
        sa.Column("zone", sa.String(length=64), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("answered", sa.Integer(), nullable=False),
        sa.Column("missed", sa.Integer(), nullable=False),
        sa.Column("turned_away", sa.Integer(), nullable=False),
        sa.Column("missed_hours", sa.JSON(), nullable=False),
        sa.Column("waits", sa.JSON(), nullable=False),
        sa.Column("rolled_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["chapter_id"], ["chapters.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("chapter_id", "zone", "day"),
    )


def downgrade() -> None:
    op.drop_table("report_days")
