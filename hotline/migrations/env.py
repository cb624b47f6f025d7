"""Alembic environment: runs on the connection handed in by hotline.db.upgrade."""

from __future__ import annotations

from alembic import context

from hotline.models import Base

config = context.config
connection = config.attributes.get("connection")
if connection is None:  # pragma: no cover - only `alembic` run by hand without hotline
    raise SystemExit("run migrations with `hotline db upgrade`")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",  # SQLite cannot ALTER most things
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
