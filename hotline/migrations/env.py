"""Alembic environment: runs on the connection handed in by hotline.db.upgrade."""

from __future__ import annotations

from typing import Any, Literal

from alembic import context

from hotline.db import UTCDateTime
from hotline.models import Base

config = context.config
connection = config.attributes.get("connection")
if connection is None:  # pragma: no cover - only `alembic` run by hand without hotline
    raise SystemExit("run migrations with `hotline db upgrade`")

def _render(type_: str, obj: Any, autogen: Any) -> str | Literal[False]:
    # Autogenerate writes our column type as `UTCDateTime()` with its import, ready to run.
    if type_ == "type" and isinstance(obj, UTCDateTime):
        autogen.imports.add("from hotline.db import UTCDateTime")
        return "UTCDateTime()"
    return False



context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",  # SQLite cannot ALTER most things
    compare_type=True,
    render_item=_render,
)


with context.begin_transaction():
    context.run_migrations()
