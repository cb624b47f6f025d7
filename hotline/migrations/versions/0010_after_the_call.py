"""after the call: scheduled work, the text outbox, opt-outs, call-back attempts and follow-ups

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30 21:00:00

Calls gain a kind (inbound, or an attempt of ours: callback, checkin) with the call it
follows up; call-back requests become follow-ups (a call-back or a check-in, with a short
reference, attempts and who took it); voicemails can be taken, heard and handled; chapters
carry their after-the-call settings and coordinators.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

from hotline.db import UTCDateTime

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

OPEN_TASKS = "status IN ('pending', 'running')"
OPEN_TEXTS = "status IN ('intent', 'sending')"


def upgrade() -> None:
    op.create_table(
        "opt_outs",
        sa.Column("number_hash", sa.String(length=64), nullable=False),
        sa.Column("number_cipher", sa.Text(), server_default="", nullable=False),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("number_hash", name=op.f("pk_opt_outs")),
    )
    op.create_table(
        "scheduled_tasks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=120), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("due_at", UTCDateTime(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("lease_until", UTCDateTime(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("finished_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scheduled_tasks")),
        sa.UniqueConstraint("key", name=op.f("uq_scheduled_tasks_key")),
    )
    op.create_index("ix_scheduled_tasks_due", "scheduled_tasks", ["due_at"],
                    sqlite_where=sa.text(OPEN_TASKS), postgresql_where=sa.text(OPEN_TASKS))
    op.create_table(
        "call_flags",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("call_id", sa.Integer(), nullable=False),
        sa.Column("volunteer_id", sa.Integer(), nullable=True),
        sa.Column("flagged_at", UTCDateTime(), nullable=False),
        sa.Column("resolved_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["call_id"], ["calls.id"],
                                name=op.f("fk_call_flags_call_id_calls"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["volunteer_id"], ["volunteers.id"],
                                name=op.f("fk_call_flags_volunteer_id_volunteers"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_call_flags")),
    )
    op.create_index(op.f("ix_call_flags_call_id"), "call_flags", ["call_id"])
    op.create_table(
        "outbound_texts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=120), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("chapter_id", sa.Integer(), nullable=True),
        sa.Column("volunteer_id", sa.Integer(), nullable=True),
        sa.Column("to_cipher", sa.Text(), nullable=False),
        sa.Column("to_hash", sa.String(length=64), nullable=False),
        sa.Column("to_hint", sa.String(length=16), nullable=False),
        sa.Column("from_number", sa.String(length=20), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("quiet", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("not_before", UTCDateTime(), nullable=False),
        sa.Column("lease_until", UTCDateTime(), nullable=True),
        sa.Column("tries", sa.Integer(), nullable=False),
        sa.Column("message_sid", sa.String(length=34), nullable=True),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("sent_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["chapter_id"], ["chapters.id"],
                                name=op.f("fk_outbound_texts_chapter_id_chapters"),
                                ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["volunteer_id"], ["volunteers.id"],
                                name=op.f("fk_outbound_texts_volunteer_id_volunteers"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbound_texts")),
        sa.UniqueConstraint("key", name=op.f("uq_outbound_texts_key")),
        sa.UniqueConstraint("message_sid", name=op.f("uq_outbound_texts_message_sid")),
    )
    op.create_index("ix_outbound_texts_open", "outbound_texts", ["not_before"],
                    sqlite_where=sa.text(OPEN_TEXTS), postgresql_where=sa.text(OPEN_TEXTS))
    op.create_index(op.f("ix_outbound_texts_to_hash"), "outbound_texts", ["to_hash"])
    op.create_table(
        "shift_reminders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("volunteer_id", sa.Integer(), nullable=False),
        sa.Column("chapter_id", sa.Integer(), nullable=False),
        sa.Column("starts_at", UTCDateTime(), nullable=False),
        sa.Column("reminded_at", UTCDateTime(), nullable=True),
        sa.Column("confirmed_at", UTCDateTime(), nullable=True),
        sa.Column("escalated_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["chapter_id"], ["chapters.id"],
                                name=op.f("fk_shift_reminders_chapter_id_chapters"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["volunteer_id"], ["volunteers.id"],
                                name=op.f("fk_shift_reminders_volunteer_id_volunteers"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shift_reminders")),
        sa.UniqueConstraint("volunteer_id", "chapter_id", "starts_at",
                            name=op.f("uq_shift_reminders_volunteer_id")),
    )
    with op.batch_alter_table("callback_requests", schema=None) as batch_op:
        batch_op.add_column(sa.Column("kind", sa.String(length=16), server_default="callback",
                                      nullable=False))
        batch_op.add_column(sa.Column("reference", sa.String(length=8), nullable=True))
        batch_op.add_column(sa.Column("attempts", sa.Integer(), server_default="0",
                                      nullable=False))
        batch_op.add_column(sa.Column("claimed_volunteer_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("claimed_at", UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("ended_at", UTCDateTime(), nullable=True))
        batch_op.drop_constraint("uq_callback_requests_call_id", type_="unique")
        batch_op.create_unique_constraint("uq_callback_requests_call_id", ["call_id", "kind"])
        batch_op.create_unique_constraint("uq_callback_requests_reference", ["reference"])
        batch_op.create_foreign_key("fk_callback_requests_claimed_volunteer_id_volunteers",
                                    "volunteers", ["claimed_volunteer_id"], ["id"],
                                    ondelete="SET NULL")
    # Requests recorded before this revision were never carried out: they stay open.
    op.execute("UPDATE callback_requests SET status = 'open' WHERE status = 'pending'")
    with op.batch_alter_table("calls", schema=None) as batch_op:
        batch_op.add_column(sa.Column("kind", sa.String(length=16), server_default="inbound",
                                      nullable=False))
        batch_op.add_column(sa.Column("origin_call_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("followup_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("caller_leg_sid", sa.String(length=34), nullable=True))
        batch_op.add_column(sa.Column("result", sa.String(length=24), nullable=True))
        batch_op.add_column(sa.Column("volunteer_id", sa.Integer(), nullable=True))
        batch_op.create_index("ix_calls_followup_id", ["followup_id"])
        batch_op.create_index("ix_calls_origin_call_id", ["origin_call_id"])
        batch_op.create_unique_constraint("uq_calls_caller_leg_sid", ["caller_leg_sid"])
        batch_op.create_foreign_key("fk_calls_origin_call_id_calls", "calls",
                                    ["origin_call_id"], ["id"], ondelete="CASCADE")
        batch_op.create_foreign_key("fk_calls_volunteer_id_volunteers", "volunteers",
                                    ["volunteer_id"], ["id"], ondelete="SET NULL")
    with op.batch_alter_table("chapter_members", schema=None) as batch_op:
        batch_op.add_column(sa.Column("coordinator", sa.Boolean(), server_default=sa.false(),
                                      nullable=False))
    defaults: dict[str, tuple[Any, str | sa.TextClause]] = {
        "alert_unclaimed_minutes": (sa.Integer(), "30"),
        "callback_delays_minutes": (sa.JSON(), sa.text("'[5, 30, 120]'")),
        "callback_hours": (sa.String(length=11), "09:00-20:00"),
        "reminder_hours": (sa.JSON(), sa.text("'[24]'")),
        "callback_greeting": (sa.Text(), ""),
    }
    with op.batch_alter_table("chapters", schema=None) as batch_op:
        for name, (kind, default) in defaults.items():
            batch_op.add_column(sa.Column(name, kind, server_default=default, nullable=False))
    with op.batch_alter_table("chapters", schema=None) as batch_op:
        for name in defaults:
            batch_op.alter_column(name, server_default=None)
    with op.batch_alter_table("voicemails", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reference", sa.String(length=8), nullable=True))
        batch_op.add_column(sa.Column("claimed_volunteer_id", sa.Integer(), nullable=True))
        for name in ("claimed_at", "heard_at", "handled_at", "deleted_at"):
            batch_op.add_column(sa.Column(name, UTCDateTime(), nullable=True))
        batch_op.create_unique_constraint("uq_voicemails_reference", ["reference"])
        batch_op.create_foreign_key("fk_voicemails_claimed_volunteer_id_volunteers",
                                    "volunteers", ["claimed_volunteer_id"], ["id"],
                                    ondelete="SET NULL")


def downgrade() -> None:
    with op.batch_alter_table("voicemails", schema=None) as batch_op:
        batch_op.drop_constraint("fk_voicemails_claimed_volunteer_id_volunteers",
                                 type_="foreignkey")
        batch_op.drop_constraint("uq_voicemails_reference", type_="unique")
        for name in ("deleted_at", "handled_at", "heard_at", "claimed_at",
                     "claimed_volunteer_id", "reference"):
            batch_op.drop_column(name)
    with op.batch_alter_table("chapters", schema=None) as batch_op:
        for name in ("callback_greeting", "reminder_hours", "callback_hours",
                     "callback_delays_minutes", "alert_unclaimed_minutes"):
            batch_op.drop_column(name)
    with op.batch_alter_table("chapter_members", schema=None) as batch_op:
        batch_op.drop_column("coordinator")
    # Attempts of ours were not calls before this revision.
    op.execute("DELETE FROM calls WHERE kind <> 'inbound' OR phase = 'menu'")
    with op.batch_alter_table("calls", schema=None) as batch_op:
        batch_op.drop_constraint("fk_calls_volunteer_id_volunteers", type_="foreignkey")
        batch_op.drop_constraint("fk_calls_origin_call_id_calls", type_="foreignkey")
        batch_op.drop_constraint("uq_calls_caller_leg_sid", type_="unique")
        batch_op.drop_index("ix_calls_origin_call_id")
        batch_op.drop_index("ix_calls_followup_id")
        for name in ("volunteer_id", "result", "caller_leg_sid", "followup_id",
                     "origin_call_id", "kind"):
            batch_op.drop_column(name)
    op.execute("DELETE FROM callback_requests WHERE kind <> 'callback'")
    op.execute("UPDATE callback_requests SET status = 'pending' WHERE status = 'open'")
    with op.batch_alter_table("callback_requests", schema=None) as batch_op:
        batch_op.drop_constraint("fk_callback_requests_claimed_volunteer_id_volunteers",
                                 type_="foreignkey")
        batch_op.drop_constraint("uq_callback_requests_reference", type_="unique")
        batch_op.drop_constraint("uq_callback_requests_call_id", type_="unique")
        batch_op.create_unique_constraint("uq_callback_requests_call_id", ["call_id"])
        for name in ("ended_at", "claimed_at", "claimed_volunteer_id", "attempts", "reference",
                     "kind"):
            batch_op.drop_column(name)
    op.drop_table("shift_reminders")
    op.drop_index(op.f("ix_outbound_texts_to_hash"), table_name="outbound_texts")
    op.drop_index("ix_outbound_texts_open", table_name="outbound_texts",
                  sqlite_where=sa.text(OPEN_TEXTS), postgresql_where=sa.text(OPEN_TEXTS))
    op.drop_table("outbound_texts")
    op.drop_index(op.f("ix_call_flags_call_id"), table_name="call_flags")
    op.drop_table("call_flags")
    op.drop_index("ix_scheduled_tasks_due", table_name="scheduled_tasks",
                  sqlite_where=sa.text(OPEN_TASKS), postgresql_where=sa.text(OPEN_TASKS))
    op.drop_table("scheduled_tasks")
    op.drop_table("opt_outs")
