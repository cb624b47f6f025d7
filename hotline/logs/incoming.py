"""An incoming call's first record: find the line it dialled and open the call, at once.

This runs on every call while the caller waits for the first word, so it is built for
speed. On PostgreSQL it is one statement: a CTE reads the chapter owning the dialled
number, whether the caller is banned from it and whether a cap turns them away
(hotline.logs.caps), inserts the call (holding, rejected, turned away or unknown number,
by what it read), NOTIFYs the workers when one is left for them, and returns both; on an
autocommit connection that is one round trip. SQLite cannot modify data inside a CTE, so
there it is the same read and the same insert, in one transaction. A retried webhook
(same CallSid) inserts nothing and gets no call id.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import (
    JSON,
    Boolean,
    Connection,
    String,
    Table,
    bindparam,
    case,
    exists,
    false,
    func,
    literal_column,
    null,
    or_,
    select,
    true,
    update,
)
from sqlalchemy import cast as sql_cast
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.engine import Dialect

from hotline.bans import ban_applies
from hotline.logs import records
from hotline.logs.caps import WINDOW, Cap, cap_applied
from hotline.logs.models import Call, CallKind, Outcome, Phase
from hotline.phone import E164
from hotline.privacy import Privacy, mask
from hotline.roster.models import Chapter, ChapterMember, ChapterNumber, Shift, Volunteer


@dataclass(frozen=True)
class Line:
    """What the webhook needs of the chapter owning a hotline number."""

    chapter_id: int
    banned: bool
    cap: Cap | None = None      # the cap that turned this caller away (hotline.logs.caps)
    volunteer_id: int | None = None   # the caller is this chapter's volunteer: their menu
    menus: Menus | None = None        # what the chapter's caller menus need (read alongside)


@dataclass(frozen=True)
class Menus:
    """The chapter's name and matching settings (hotline.calls.choosing builds its menus)."""

    name: str
    language: str
    languages: tuple[str, ...]
    experiences: tuple[dict[str, str], ...]


@dataclass(frozen=True)
class Opened:
    """The line dialled (None: no chapter has the number) and the new call's id.

    `call_id` is None when the CallSid was already recorded: a retried webhook.
    """

    line: Line | None
    call_id: int | None


def open_incoming(
    conn: Connection,
    privacy: Privacy,
    *,
    call_sid: str,
    to_number: str,
    caller: E164 | None,
    started_at: datetime,
    for_workers: bool,
) -> Opened:
    """Record a new incoming call and read its line; run it as one atomic unit.

    With `for_workers` (PostgreSQL, workers running), a call to be rung is left for a
    worker to claim (`claim_awaiting`), and the same statement wakes them with NOTIFY: the
    record itself is the hand-off, nothing else is sent.
    """
    caller_hash = privacy.digest(caller) if caller else ""
    since = started_at - WINDOW
    if conn.dialect.name != "postgresql":
        line = _read_line(conn, to_number, caller, caller_hash, since)
        phase, outcome = _disposition(line)
        menu = line is not None and line.volunteer_id is not None
        call_id = records.open_call(
            conn, privacy, call_sid=call_sid, to_number=to_number, caller=caller,
            started_at=started_at, chapter_id=line.chapter_id if line else None,
            phase=phase, outcome=outcome,
            cap=line.cap if line and not line.banned and not menu else None,
            awaiting_dispatch=for_workers and phase == Phase.HOLDING,
            volunteer_id=line.volunteer_id if line else None)
        return Opened(line, call_id)
    row = conn.exec_driver_sql(_open_incoming_sql(conn.dialect), {
        "number": to_number, "caller_hash": caller_hash, "call_sid": call_sid,
        "caller_cipher": privacy.encrypt(caller) if caller else "",
        "caller_hint": mask(caller), "started_at": started_at, "for_workers": for_workers,
        "since": since, "caller": caller or "",
    }).one()
    line = None if row.chapter_id is None else _line(row)
    return Opened(line, row.call_id)


def _disposition(line: Line | None) -> tuple[Phase, Outcome | None]:
    """Where a new call starts: at the menu for a volunteer of the chapter; finished if
    nobody may take it, left (for a message) if a cap turned it away, else holding."""
    if line is None:
        return Phase.FINISHED, Outcome.UNKNOWN_NUMBER
    if line.volunteer_id is not None:
        return Phase.MENU, None
    if line.banned or line.cap is Cap.WITHHELD:
        return Phase.FINISHED, Outcome.REJECTED
    if line.cap is not None:
        return Phase.LEFT, None
    return Phase.HOLDING, None


def _line(row: Any) -> Line:
    menus = Menus(row.chapter_name, row.chapter_language, tuple(row.chapter_languages or ()),
                  tuple(row.chapter_experiences or ()))
    return Line(row.chapter_id, bool(row.banned), Cap(row.cap) if row.cap else None,
                row.volunteer_id, menus)


def _read_line(conn: Connection, number: str, caller: E164 | None, caller_hash: str,
               since: datetime) -> Line | None:
    row = conn.execute(_LINE, {"number": number, "caller_hash": caller_hash,
                               "since": since, "caller": caller or ""}).first()
    return None if row is None else _line(row)


def _line_query() -> Any:
    banned = exists().where(ban_applies(bindparam("caller_hash"), Chapter.id))
    return (
        select(Chapter.id.label("chapter_id"), banned.label("banned"),
               cap_applied().label("cap"), _volunteer().label("volunteer_id"),
               Chapter.name.label("chapter_name"), Chapter.language.label("chapter_language"),
               Chapter.languages.label("chapter_languages"),
               Chapter.experiences.label("chapter_experiences"))
        .join(ChapterNumber, ChapterNumber.chapter_id == Chapter.id)
        .where(ChapterNumber.number == bindparam("number"))
    )


def _volunteer() -> Any:
    """The active volunteer of the chapter (a member, or on its rota) calling from their
    own phone, if the caller is one."""
    member = or_(
        select(ChapterMember.volunteer_id)
        .where(ChapterMember.chapter_id == Chapter.id, ChapterMember.volunteer_id == Volunteer.id)
        .correlate(Chapter, Volunteer).exists(),
        select(Shift.id).where(Shift.chapter_id == Chapter.id, Shift.volunteer_id == Volunteer.id)
        .correlate(Chapter, Volunteer).exists())
    # No literal values: the statement is compiled once and run with named parameters only.
    return (select(func.min(Volunteer.id))
            .where(Volunteer.phone == bindparam("caller", type_=String),
                   Volunteer.phone != literal_column("''", type_=String),
                   Volunteer.active, member)
            .correlate(Chapter).scalar_subquery())


# The channel each `hotline worker` LISTENs on for new calls (hotline.rqjobs).
NEW_CALL_CHANNEL = "hotline_new_call"


def _word(value: Phase | Outcome | Cap | CallKind) -> Any:
    """A fixed word of ours, written into the SQL (not a parameter)."""
    if not value.value.replace("_", "").isalpha():
        raise ValueError(f"not a plain word: {value.value!r}")
    return literal_column(f"'{value.value}'", type_=String)


def _open_incoming_statement() -> Any:
    """PostgreSQL: read the line, insert the call and return both, in one statement."""
    table = cast(Table, Call.__table__)
    line = _line_query().cte("line")
    # Exactly one row whether or not the number is known: the call is recorded either way.
    one = select(literal_column("1").label("one")).subquery("one")
    dialled = one.outerjoin(line, true())
    unknown = line.c.chapter_id.is_(None)
    menu = line.c.volunteer_id.is_not(None)
    refused = or_(line.c.banned, line.c.cap == _word(Cap.WITHHELD))
    turned_away = line.c.cap.is_not(None)
    phase = case((unknown, _word(Phase.FINISHED)), (menu, _word(Phase.MENU)),
                 (refused, _word(Phase.FINISHED)), (turned_away, _word(Phase.LEFT)),
                 else_=_word(Phase.HOLDING))
    outcome = case((unknown, _word(Outcome.UNKNOWN_NUMBER)), (menu, null()),
                   (refused, _word(Outcome.REJECTED)), else_=null())
    c = table.c
    values = {
        c.call_sid: bindparam("call_sid", type_=c.call_sid.type),
        c.chapter_id: line.c.chapter_id,
        c.to_number: bindparam("number", type_=c.to_number.type),
        c.caller_cipher: bindparam("caller_cipher", type_=c.caller_cipher.type),
        c.caller_hash: bindparam("caller_hash", type_=c.caller_hash.type),
        c.caller_hint: bindparam("caller_hint", type_=c.caller_hint.type),
        c.started_at: bindparam("started_at", type_=c.started_at.type),
        c.phase: phase,
        c.outcome: outcome,
        c.plan: sql_cast(literal_column("'[]'"), JSON),
        c.tier_index: literal_column("0"),
        c.plain_dial: false(),
        c.awaiting_dispatch: case((unknown, false()), (menu, false()),
                                  (line.c.banned, false()), (turned_away, false()),
                                  else_=bindparam("for_workers", type_=Boolean)),
        c.cap: case((line.c.banned, null()), (menu, null()), else_=line.c.cap),
        c.volunteer_id: line.c.volunteer_id,
        c.kind: case((menu, _word(CallKind.VOLUNTEER)), else_=_word(CallKind.INBOUND)),
    }
    opened = (
        postgresql_insert(table)
        .from_select(list(values), select(*values.values()).select_from(dialled))
        .on_conflict_do_nothing(index_elements=["call_sid"])
        .returning(c.id, c.awaiting_dispatch)
        .cte("opened")
    )
    # Delivered when the statement commits: a worker's listener wakes and claims the call.
    wake = (select(func.pg_notify(literal_column(f"'{NEW_CALL_CHANNEL}'"), literal_column("''")))
            .where(opened.c.awaiting_dispatch).scalar_subquery())
    return select(
        line.c.chapter_id, line.c.banned, line.c.cap, line.c.volunteer_id,
        line.c.chapter_name, line.c.chapter_language, line.c.chapter_languages,
        line.c.chapter_experiences,
        select(opened.c.id).scalar_subquery().label("call_id"),
        wake.label("woke"),
    ).select_from(dialled)


CLAIM_LIMIT = 100


def claim_awaiting(conn: Connection, limit: int = CLAIM_LIMIT) -> list[int]:
    """Take up to `limit` calls left for the workers, oldest first; each goes to one taker.

    On PostgreSQL concurrent dispatchers skip each other's rows (SKIP LOCKED); SQLite has
    one writer at a time.
    """
    table = cast(Table, Call.__table__)
    waiting = (
        select(table.c.id).where(table.c.awaiting_dispatch).order_by(table.c.id).limit(limit)
        .with_for_update(skip_locked=True)
    )
    claimed = conn.execute(
        update(table).where(table.c.id.in_(waiting.scalar_subquery()))
        .values(awaiting_dispatch=False).returning(table.c.id)
    )
    return sorted(claimed.scalars())


@functools.cache
def _open_incoming_sql(dialect: Dialect) -> str:
    # Compiled once; run as driver SQL, which skips SQLAlchemy's per-execution work
    # (cache lookup, parameter processing): a third of this webhook's CPU otherwise.
    return str(_open_incoming_statement().compile(dialect=dialect))


_LINE = _line_query()
