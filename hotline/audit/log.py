"""Writing and checking the audit log: who changed what, when, with before and after.

Each entry's hash covers its own fields and the previous entry's hash, so altering or removing
a row breaks the chain from there on. Entries are written inside the transaction of the change
they describe (the caller commits both or neither); writers are serialised so two concurrent
changes cannot both claim the same place in the chain.
"""

from __future__ import annotations

import getpass
import hashlib
import json
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from hotline.audit.models import AuditEntry
from hotline.roster.localtime import as_utc

GENESIS = "0" * 64


@dataclass(frozen=True)
class Actor:
    """Who made a change: a signed-in user of the web app, or someone at the command line."""

    label: str                # "web:ann@example.org" or "cli:root"
    user_id: int | None = None

    @classmethod
    def cli(cls) -> Actor:
        try:
            name = getpass.getuser()
        except (OSError, KeyError):  # no login name in some containers
            name = "unknown"
        return cls(f"cli:{name}")

    @classmethod
    def web(cls, user_id: int, email: str) -> Actor:
        return cls(f"web:{email}", user_id)


def record(
    session: Session,
    actor: Actor,
    action: str,
    *,
    now: datetime,
    chapter_id: int | None = None,
    subject: str = "",
    before: Any = None,
    after: Any = None,
) -> AuditEntry:
    """Append one entry at the end of the chain; `before`/`after` are JSON-able values."""
    _serialise_writers(session)
    last = session.execute(
        select(AuditEntry.seq, AuditEntry.hash).order_by(AuditEntry.seq.desc()).limit(1)
    ).first()
    seq, prev = (last[0] + 1, last[1]) if last is not None else (1, GENESIS)
    row = AuditEntry(
        seq=seq,
        at=as_utc(now),
        actor=actor.label[:254],
        user_id=actor.user_id,
        chapter_id=chapter_id,
        action=action,
        subject=subject,
        before=_plain(before),
        after=_plain(after),
        prev_hash=prev,
    )
    row.hash = entry_hash(row)
    session.add(row)
    session.flush()
    return row


def entry_hash(row: AuditEntry) -> str:
    """SHA-256 over the previous hash and the entry's own fields, in a fixed JSON form."""
    fields = {
        "seq": row.seq,
        "at": as_utc(row.at).isoformat(),
        "actor": row.actor,
        "user_id": row.user_id,
        "chapter_id": row.chapter_id,
        "action": row.action,
        "subject": row.subject,
        "before": row.before,
        "after": row.after,
    }
    body = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256((row.prev_hash + body).encode()).hexdigest()


@dataclass(frozen=True)
class Verdict:
    """The chain checked: `problems` is empty when it is intact; `head` is the last hash."""

    entries: int
    head: str
    problems: tuple[str, ...]


def verify(session: Session, batch: int = 1000) -> Verdict:
    """Walk the whole chain in order; every altered, removed or reordered entry is a problem."""
    problems: list[str] = []
    expected_seq, prev, count, after_seq = 1, GENESIS, 0, 0
    while True:
        rows = session.scalars(
            select(AuditEntry).where(AuditEntry.seq > after_seq).order_by(AuditEntry.seq)
            .limit(batch)
        ).all()
        if not rows:
            break
        for row in rows:
            count += 1
            if row.seq != expected_seq:
                problems.append(f"entries {expected_seq} to {row.seq - 1} are missing")
            if row.prev_hash != prev:
                problems.append(f"entry {row.seq} does not follow the entry before it")
            if entry_hash(row) != row.hash:
                problems.append(f"entry {row.seq} was altered after it was written")
            expected_seq, prev, after_seq = row.seq + 1, row.hash, row.seq
    return Verdict(count, prev, tuple(problems))


def entries_for(
    session: Session, chapter_ids: Collection[int] | None, *, limit: int = 200
) -> Sequence[AuditEntry]:
    """The newest entries first: about the given chapters, or all when `chapter_ids` is None."""
    query = select(AuditEntry).order_by(AuditEntry.seq.desc()).limit(limit)
    if chapter_ids is not None:
        query = query.where(AuditEntry.chapter_id.in_(sorted(chapter_ids)))
    return session.scalars(query).all()


def _serialise_writers(session: Session) -> None:
    # SQLite's BEGIN IMMEDIATE already makes writers take turns; PostgreSQL needs a lock held
    # to the end of the transaction, or two writers would read the same last entry.
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(7261001)"))


def _plain(value: Any) -> Any:
    """`value` as JSON would give it back (datetimes as ISO strings), so the hash reads back."""
    if value is None:
        return None
    return json.loads(json.dumps(value, default=_default, sort_keys=True))


def _default(value: Any) -> Any:
    if isinstance(value, datetime):
        return as_utc(value).isoformat()
    if isinstance(value, set | frozenset | tuple):
        return sorted(value) if isinstance(value, set | frozenset) else list(value)
    return str(value)
