"""the voicemail inbox: who marked a message handled

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-01 11:00:00

`voicemails.handled_by_user_id` is the web account that marked the message handled (from the
inbox); NULL when a volunteer handled it on the phone (returning the call from the dial-in
menu) or before this column existed. The audit log keeps the same, with the time.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("voicemails", schema=None) as batch_op:
        batch_op.add_column(sa.Column("handled_by_user_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_voicemails_handled_by_user_id_users"), "users",
            ["handled_by_user_id"], ["id"], ondelete="SET NULL")


def downgrade() -> None:
    with op.batch_alter_table("voicemails", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_voicemails_handled_by_user_id_users"),
                                 type_="foreignkey")
        batch_op.drop_column("handled_by_user_id")
