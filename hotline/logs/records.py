"""Writing the contact record: new rows (a call, an offer, an event, a message, a call-back
request). Moves of a call's phase or a leg's status are hotline.logs.lifecycle's; reads are
hotline.logs.queries'. Each function takes a session and never commits.

Every writer is idempotent, and the ones that race are single statements or unique
inserts, so two processes doing the same thing at once leave one result.
"""

from __future__ import annotations

import functools
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Connection, Table, bindparam, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from hotline.logs import lifecycle
from hotline.logs.models import (
    Call,
    CallEvent,
    CallKind,
    CallLeg,
    LegStatus,
    Outcome,
    Phase,
    Voicemail,
)
from hotline.phone import E164
from hotline.privacy import Privacy, mask


def open_call(
    session: Session | Connection,
    privacy: Privacy,
    *,
    call_sid: str,
    to_number: str,
    caller: E164 | None,
    started_at: datetime,
    chapter_id: int | None,
    phase: Phase = Phase.HOLDING,
    outcome: Outcome | None = None,
    awaiting_dispatch: bool = False,
    cap: str | None = None,
    volunteer_id: int | None = None,
) -> int | None:
    """Write a new call's record in one statement; its id, or None if the CallSid exists.

    The webhook's fast path: no ORM object, no read before the write, a statement built
    once. A retried webhook (same CallSid) writes nothing and gets None.
    """
    values = {
        "call_sid": call_sid, "chapter_id": chapter_id, "to_number": to_number,
        "caller_cipher": privacy.encrypt(caller) if caller else "",
        "caller_hash": privacy.digest(caller) if caller else "",
        "caller_hint": mask(caller), "started_at": started_at, "phase": phase,
        "outcome": outcome, "awaiting_dispatch": awaiting_dispatch, "cap": cap,
        "volunteer_id": volunteer_id,
        "kind": CallKind.VOLUNTEER if volunteer_id is not None else CallKind.INBOUND,
    }
    bind = session if isinstance(session, Connection) else session.get_bind()
    statement = _open_call_statement(bind.dialect.name)
    return session.execute(statement, values).scalar()


@functools.cache
def _open_call_statement(dialect: str) -> Any:
    table = cast(Table, Call.__table__)
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    columns = ("call_sid", "chapter_id", "to_number", "caller_cipher", "caller_hash",
               "caller_hint", "started_at", "phase", "outcome", "awaiting_dispatch", "cap",
               "volunteer_id", "kind")
    return (
        insert(table)
        .values({name: bindparam(name, type_=table.c[name].type) for name in columns}
                | {"plan": [], "tier_index": 0, "plain_dial": False})
        .on_conflict_do_nothing(index_elements=["call_sid"])
        .returning(table.c.id)
    )


def offer(
    session: Session, call: Call, volunteer_id: int, volunteer_name: str, at: datetime
) -> CallLeg | None:
    """Record an offer of `call` to the volunteer, before their phone is dialled; None if
    they are engaged on another leg (the partial unique index decides, across processes)."""
    leg = CallLeg(call_id=call.id, volunteer_id=volunteer_id, volunteer_name=volunteer_name,
                  created_at=at, engaged=True, status=LegStatus.INTENT)
    try:
        with session.begin_nested():
            session.add(leg)
    except IntegrityError:
        return None
    return leg


def record_event(
    session: Session, call_sid: str, sequence_number: int, status: str, occurred_at: datetime
) -> bool:
    """Note one status callback; False if this (CallSid, SequenceNumber) was seen before."""
    seen = session.scalar(
        select(CallEvent.id).where(
            CallEvent.call_sid == call_sid, CallEvent.sequence_number == sequence_number
        )
    )
    if seen is not None:
        return False
    try:
        with session.begin_nested():
            session.add(CallEvent(
                call_sid=call_sid, sequence_number=sequence_number, status=status,
                occurred_at=occurred_at,
            ))
    except IntegrityError:
        return False
    return True


def record_voicemail(
    session: Session,
    call: Call,
    *,
    recording_sid: str,
    recording_url: str,
    duration_seconds: int,
    status: str,
    at: datetime,
) -> Voicemail:
    """Store (or complete) the caller's message; a message makes the outcome voicemail."""
    voicemail = session.scalar(select(Voicemail).where(Voicemail.recording_sid == recording_sid))
    if voicemail is None:
        voicemail = Voicemail(
            call_id=call.id, recording_sid=recording_sid, recording_url=recording_url,
            duration_seconds=duration_seconds, status=status, created_at=at,
        )
        session.add(voicemail)
    elif voicemail.call_id != call.id:             # another call's recording: not this one's
        raise LookupError(f"recording {recording_sid} is not call {call.id}'s")
    else:
        voicemail.recording_url = recording_url or voicemail.recording_url
        voicemail.duration_seconds = max(voicemail.duration_seconds, duration_seconds)
        if status == "completed":
            voicemail.status = status
    session.flush()
    if duration_seconds > 0 or voicemail.duration_seconds > 0:
        lifecycle.set_outcome(session, call, Outcome.VOICEMAIL)
    return voicemail
