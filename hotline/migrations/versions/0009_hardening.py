"""hardening: the privacy key's fingerprint, bans keep their number encrypted, call caps

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30 19:00:00

`key_fingerprints` records which privacy key the stored numbers were made with (processes
refuse any other). A ban keeps its number encrypted (`bans.number_cipher`) so a new key can
remake its hash; bans made before keep '' until `hotline privacy rotate` finds the number
again. Chapters get caps (`max_holding`, `max_calls_per_caller`, `reject_withheld`), a call
records the cap that turned it away (`calls.cap`), and a partial index counts a caller's
live calls.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from hotline.db import UTCDateTime

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

_LIVE = "phase IN ('holding', 'answered')"


def upgrade() -> None:
    op.create_table(
        "key_fingerprints",
        sa.Column("purpose", sa.String(length=32), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("recorded_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("purpose", name=op.f("pk_key_fingerprints")),
    )
    with op.batch_alter_table("bans", schema=None) as batch_op:
        batch_op.add_column(sa.Column("number_cipher", sa.Text(), nullable=False,
                                      server_default=""))
    with op.batch_alter_table("chapters", schema=None) as batch_op:
        batch_op.add_column(sa.Column("max_holding", sa.Integer(), nullable=False,
                                      server_default="100"))
        batch_op.add_column(sa.Column("max_calls_per_caller", sa.Integer(), nullable=False,
                                      server_default="2"))
        batch_op.add_column(sa.Column("reject_withheld", sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
    # Existing rows have their values; new ones get the models' defaults.
    with op.batch_alter_table("bans", schema=None) as batch_op:
        batch_op.alter_column("number_cipher", server_default=None)
    with op.batch_alter_table("chapters", schema=None) as batch_op:
        batch_op.alter_column("max_holding", server_default=None)
        batch_op.alter_column("max_calls_per_caller", server_default=None)
        batch_op.alter_column("reject_withheld", server_default=None)
    with op.batch_alter_table("calls", schema=None) as batch_op:
        batch_op.add_column(sa.Column("cap", sa.String(length=16), nullable=True))
    op.create_index("ix_calls_live_caller", "calls", ["caller_hash"], unique=False,
                    sqlite_where=sa.text(_LIVE), postgresql_where=sa.text(_LIVE))


def downgrade() -> None:
    op.drop_index("ix_calls_live_caller", table_name="calls",
                  sqlite_where=sa.text(_LIVE), postgresql_where=sa.text(_LIVE))
    with op.batch_alter_table("calls", schema=None) as batch_op:
        batch_op.drop_column("cap")
    with op.batch_alter_table("chapters", schema=None) as batch_op:
        batch_op.drop_column("reject_withheld")
        batch_op.drop_column("max_calls_per_caller")
        batch_op.drop_column("max_holding")
    with op.batch_alter_table("bans", schema=None) as batch_op:
        batch_op.drop_column("number_cipher")
    op.drop_table("key_fingerprints")
