"""trainee listen-in: chapters that allow it, trainees, and the legs that ring them

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-01 11:00:00

`chapters.listen_in`: calls in this chapter are bridged in a conference, and a trainee on
call listens in, muted. `volunteers.trainee`: a trainee (listens in, is not offered callers
in a listen_in chapter). `call_legs.trainee`: the leg rang a trainee to listen in.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    for table, column in (("chapters", "listen_in"), ("volunteers", "trainee"),
                          ("call_legs", "trainee")):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column(column, sa.Boolean(), nullable=False,
                                          server_default=sa.false()))


def downgrade() -> None:
    for table, column in (("call_legs", "trainee"), ("volunteers", "trainee"),
                          ("chapters", "listen_in")):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column(column)
