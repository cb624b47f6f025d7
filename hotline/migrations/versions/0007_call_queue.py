"""calls wait in a queue: tiers reached, queue times, re-offers, a chapter's wave timeout

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30 18:00:00

A caller now waits for the next free volunteer instead of walking a fixed list of waves:
`calls.tier_index` and `tier_since` say how far down the plan a caller has reached,
`dequeued_at` and `position_at_arrival` record the queue, and a volunteer may be offered
the same caller twice (the one-leg-per-volunteer constraint goes). A leg records when its
phone was dialled (`dialled_at`) instead of a count of attempts.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from hotline.db import UTCDateTime

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("calls", schema=None) as batch_op:
        batch_op.add_column(sa.Column("tier_index", sa.Integer(), nullable=False,
                                      server_default="0"))
        batch_op.add_column(sa.Column("tier_since", UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("position_at_arrival", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("dequeued_at", UTCDateTime(), nullable=True))
        batch_op.drop_column("current_wave")
        batch_op.drop_column("waves_spent")
    with op.batch_alter_table("calls", schema=None) as batch_op:
        batch_op.alter_column("tier_index", server_default=None)
    # Dispatch reads the callers waiting in a chapter: a small partial index.
    op.create_index("ix_calls_holding", "calls", ["chapter_id"], unique=False,
                    sqlite_where=sa.text("phase = 'holding'"),
                    postgresql_where=sa.text("phase = 'holding'"))

    with op.batch_alter_table("call_legs", schema=None) as batch_op:
        batch_op.drop_constraint("uq_call_legs_call_id", type_="unique")
        batch_op.create_index("ix_call_legs_call", ["call_id"], unique=False)
        batch_op.add_column(sa.Column("dialled_at", UTCDateTime(), nullable=True))
        batch_op.drop_column("attempts")
        batch_op.drop_column("wave")

    with op.batch_alter_table("chapters", schema=None) as batch_op:
        batch_op.add_column(sa.Column("wave_timeout_seconds", sa.Integer(), nullable=False,
                                      server_default="30"))
    with op.batch_alter_table("chapters", schema=None) as batch_op:
        batch_op.alter_column("wave_timeout_seconds", server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("chapters", schema=None) as batch_op:
        batch_op.drop_column("wave_timeout_seconds")

    # Offers made twice to one caller cannot fit the old constraint: keep the first.
    op.execute(
        "DELETE FROM call_legs WHERE id NOT IN "
        "(SELECT min(id) FROM call_legs GROUP BY call_id, volunteer_id)"
    )
    with op.batch_alter_table("call_legs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("wave", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("attempts", sa.Integer(), nullable=False,
                                      server_default="0"))
        batch_op.drop_column("dialled_at")
        batch_op.drop_index("ix_call_legs_call")
        batch_op.create_unique_constraint("uq_call_legs_call_id", ["call_id", "volunteer_id"])
    with op.batch_alter_table("call_legs", schema=None) as batch_op:
        batch_op.alter_column("wave", server_default=None)
        batch_op.alter_column("attempts", server_default=None)

    op.drop_index("ix_calls_holding", table_name="calls",
                  sqlite_where=sa.text("phase = 'holding'"),
                  postgresql_where=sa.text("phase = 'holding'"))
    with op.batch_alter_table("calls", schema=None) as batch_op:
        batch_op.add_column(sa.Column("current_wave", sa.Integer(), nullable=False,
                                      server_default="0"))
        batch_op.add_column(sa.Column("waves_spent", sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
        batch_op.drop_column("dequeued_at")
        batch_op.drop_column("position_at_arrival")
        batch_op.drop_column("tier_since")
        batch_op.drop_column("tier_index")
    with op.batch_alter_table("calls", schema=None) as batch_op:
        batch_op.alter_column("current_wave", server_default=None)
        batch_op.alter_column("waves_spent", server_default=None)
