"""calls: calls, legs, status callbacks, voicemails, call-back requests

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27 06:10:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from hotline.db import UTCDateTime

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "calls",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("call_sid", sa.String(length=34), nullable=False),
        sa.Column("chapter_id", sa.Integer(), nullable=True),
        sa.Column("to_number", sa.String(length=20), nullable=False),
        sa.Column("caller_cipher", sa.Text(), nullable=False),
        sa.Column("caller_hash", sa.String(length=64), nullable=False),
        sa.Column("caller_hint", sa.String(length=16), nullable=False),
        sa.Column("started_at", UTCDateTime(), nullable=False),
        sa.Column("phase", sa.String(length=16), nullable=False),
        sa.Column("outcome", sa.String(length=24), nullable=True),
        sa.Column("plan", sa.JSON(), nullable=False),
        sa.Column("current_wave", sa.Integer(), nullable=False),
        sa.Column("waves_spent", sa.Boolean(), nullable=False),
        sa.Column("plain_dial", sa.Boolean(), nullable=False),
        sa.Column("answered_leg_id", sa.Integer(), nullable=True),
        sa.Column("answered_at", UTCDateTime(), nullable=True),
        sa.Column("talk_seconds", sa.Integer(), nullable=True),
        sa.Column("ended_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["chapter_id"], ["chapters.id"],
            name=op.f("fk_calls_chapter_id_chapters"), ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calls")),
        sa.UniqueConstraint("call_sid", name=op.f("uq_calls_call_sid")),
    )
    with op.batch_alter_table("calls", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_calls_chapter_id"), ["chapter_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_calls_caller_hash"), ["caller_hash"], unique=False)
        batch_op.create_index(batch_op.f("ix_calls_started_at"), ["started_at"], unique=False)

    op.create_table(
        "call_legs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("call_id", sa.Integer(), nullable=False),
        sa.Column("volunteer_id", sa.Integer(), nullable=True),
        sa.Column("volunteer_name", sa.String(length=200), nullable=False),
        sa.Column("wave", sa.Integer(), nullable=False),
        sa.Column("call_sid", sa.String(length=34), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("screen", sa.String(length=16), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=True),
        sa.Column("engaged", sa.Boolean(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("answered_at", UTCDateTime(), nullable=True),
        sa.Column("ended_at", UTCDateTime(), nullable=True),
        sa.Column("stop_requested_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["call_id"], ["calls.id"],
            name=op.f("fk_call_legs_call_id_calls"), ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["volunteer_id"], ["volunteers.id"],
            name=op.f("fk_call_legs_volunteer_id_volunteers"), ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_call_legs")),
        sa.UniqueConstraint("call_id", "volunteer_id", name=op.f("uq_call_legs_call_id")),
        sa.UniqueConstraint("call_sid", name=op.f("uq_call_legs_call_sid")),
    )
    with op.batch_alter_table("call_legs", schema=None) as batch_op:
        # One engaged leg per volunteer: nobody is offered two calls at once.
        batch_op.create_index(
            "uq_call_legs_engaged_volunteer", ["volunteer_id"], unique=True,
            sqlite_where=sa.text("engaged"), postgresql_where=sa.text("engaged"),
        )
        batch_op.create_index(
            "ix_call_legs_volunteer_created", ["volunteer_id", "created_at"], unique=False
        )

    op.create_table(
        "call_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("call_sid", sa.String(length=34), nullable=False),
        sa.Column("sequence_number", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("occurred_at", UTCDateTime(), nullable=False),
        sa.Column("received_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_call_events")),
        sa.UniqueConstraint(
            "call_sid", "sequence_number", name=op.f("uq_call_events_call_sid")
        ),
    )
    op.create_table(
        "voicemails",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("call_id", sa.Integer(), nullable=False),
        sa.Column("recording_sid", sa.String(length=34), nullable=False),
        sa.Column("recording_url", sa.Text(), nullable=False),
        sa.Column("duration_seconds", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["call_id"], ["calls.id"],
            name=op.f("fk_voicemails_call_id_calls"), ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_voicemails")),
        sa.UniqueConstraint("recording_sid", name=op.f("uq_voicemails_recording_sid")),
    )
    with op.batch_alter_table("voicemails", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_voicemails_call_id"), ["call_id"], unique=False)
    op.create_table(
        "callback_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("call_id", sa.Integer(), nullable=False),
        sa.Column("requested_at", UTCDateTime(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(
            ["call_id"], ["calls.id"],
            name=op.f("fk_callback_requests_call_id_calls"), ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_callback_requests")),
        sa.UniqueConstraint("call_id", name=op.f("uq_callback_requests_call_id")),
    )


def downgrade() -> None:
    op.drop_table("callback_requests")
    with op.batch_alter_table("voicemails", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_voicemails_call_id"))
    op.drop_table("voicemails")
    op.drop_table("call_events")
    with op.batch_alter_table("call_legs", schema=None) as batch_op:
        batch_op.drop_index("ix_call_legs_volunteer_created")
        batch_op.drop_index("uq_call_legs_engaged_volunteer")
    op.drop_table("call_legs")
    with op.batch_alter_table("calls", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_calls_started_at"))
        batch_op.drop_index(batch_op.f("ix_calls_caller_hash"))
        batch_op.drop_index(batch_op.f("ix_calls_chapter_id"))
    op.drop_table("calls")
