"""indexes for the reports and the contact log's filtered first page

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-01 11:00:00

`ix_calls_chapter_started` covers the reports' aggregates (a chapter's calls in a date range,
by outcome, with the time answered) without reading the table, and gives the contact log's
page a chapter's calls newest first in index order (`id` breaks ties); `ix_calls_chapter_outcome`
does both for one outcome (the answered calls' times to answer, the log filtered by outcome).
"""

from __future__ import annotations

from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_calls_chapter_started", "calls",
                    ["chapter_id", "started_at", "id", "kind", "outcome", "answered_at"])
    op.create_index("ix_calls_chapter_outcome", "calls",
                    ["chapter_id", "outcome", "started_at", "id", "kind", "answered_at"])


def downgrade() -> None:
    op.drop_index("ix_calls_chapter_outcome", table_name="calls")
    op.drop_index("ix_calls_chapter_started", table_name="calls")
