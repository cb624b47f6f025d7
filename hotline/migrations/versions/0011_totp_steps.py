"""sign-in codes: the last time-step accepted, and the secret being enrolled

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01 07:00:00

`users.totp_last_step` is the TOTP time-step of the last code accepted (a code is good once:
one for that step or an earlier one is refused). `users.totp_pending_secret` holds the secret
being enrolled until a code confirms it, instead of the browser's session cookie.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("totp_pending_secret", sa.String(length=64),
                                      nullable=True))
        batch_op.add_column(sa.Column("totp_last_step", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("totp_last_step")
        batch_op.drop_column("totp_pending_secret")
