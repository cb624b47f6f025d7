"""Caps decided as a call is opened: per caller (keyed hash), holding per chapter, withheld."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from hotline.bans import add_ban
from hotline.logs.caps import WINDOW, Cap
from hotline.logs.incoming import Opened, open_incoming
from hotline.logs.models import Call, Outcome, Phase
from hotline.runtime import Runtime
from tests.flows.harness import HOTLINE, seed_chapter
from tests.logs.test_incoming import AT, sid

OTHER_LINE = "+16175550200"
ROGUE = "+16175550666"


def call(runtime: Runtime, n: int, caller: str | None, *, to: str = HOTLINE,
         minutes: float = 0) -> Opened:
    return runtime.atomic.run(lambda conn: open_incoming(
        conn, runtime.privacy, call_sid=sid(n), to_number=to, caller=caller,
        started_at=AT + timedelta(minutes=minutes), for_workers=True))


def cap(runtime: Runtime, n: int, caller: str | None, *, to: str = HOTLINE,
        minutes: float = 0) -> Cap | None:
    """Open call `n`; the cap that turned it away (None: let in)."""
    opened = call(runtime, n, caller, to=to, minutes=minutes)
    assert opened.line is not None and opened.call_id is not None
    return opened.line.cap


def record(runtime: Runtime, n: int) -> tuple[Phase, Outcome | None, str | None, bool]:
    with runtime.sessions() as session:
        row = session.scalars(select(Call).where(Call.call_sid == sid(n))).one()
        return row.phase, row.outcome, row.cap, row.awaiting_dispatch


def end(runtime: Runtime, n: int, phase: Phase = Phase.GONE) -> None:
    with runtime.transaction() as session:
        session.execute(update(Call).where(Call.call_sid == sid(n)).values(phase=phase))


def test_one_caller_gets_two_calls_at_once_and_no_more(runtime: Runtime) -> None:
    seed_chapter(runtime, {1: ["+16175550111"]})
    seed_chapter(runtime, {1: ["+16175550112"]}, slug="other", number=OTHER_LINE)
    assert cap(runtime, 1, ROGUE) is None
    assert cap(runtime, 2, ROGUE, to=OTHER_LINE) is None
    third = call(runtime, 3, ROGUE)
    assert third.line is not None and third.line.cap is Cap.CALLER and third.call_id
    assert record(runtime, 3) == (Phase.LEFT, None, "caller", False)         # recorded, busy
    assert cap(runtime, 4, "+16175550199") is None
    end(runtime, 1)                                                          # one hangs up
    assert cap(runtime, 5, ROGUE) is None
    assert record(runtime, 5) == (Phase.HOLDING, None, None, True)


def test_a_call_whose_end_never_came_stops_counting(runtime: Runtime) -> None:
    seed_chapter(runtime, {1: ["+16175550111"]})
    for n in (1, 2):
        call(runtime, n, ROGUE)
    later = WINDOW.total_seconds() / 60 + 1
    assert cap(runtime, 3, ROGUE, minutes=later) is None


def test_withheld_numbers_are_not_one_caller(runtime: Runtime) -> None:
    seed_chapter(runtime, {1: ["+16175550111"]})
    for n in range(1, 5):
        assert cap(runtime, n, None) is None
    assert record(runtime, 4) == (Phase.HOLDING, None, None, True)


def test_a_chapter_holds_at_most_its_cap(runtime: Runtime) -> None:
    seed_chapter(runtime, {1: ["+16175550111"]}, max_holding=2)
    seed_chapter(runtime, {1: ["+16175550112"]}, slug="other", number=OTHER_LINE)
    callers = [f"+161755503{n:02d}" for n in range(10)]
    assert [cap(runtime, n, callers[n]) for n in (1, 2, 3)] == [None, None, Cap.CHAPTER]
    assert record(runtime, 3) == (Phase.LEFT, None, "chapter", False)
    assert cap(runtime, 4, callers[4], to=OTHER_LINE) is None
    end(runtime, 1, Phase.ANSWERED)               # taken by a volunteer: no longer holding
    assert cap(runtime, 5, callers[5]) is None


def test_withheld_numbers_are_refused_only_where_a_chapter_says_so(runtime: Runtime) -> None:
    seed_chapter(runtime, {1: ["+16175550111"]}, reject_withheld=True)
    seed_chapter(runtime, {1: ["+16175550112"]}, slug="other", number=OTHER_LINE)
    refused = call(runtime, 1, None)
    assert refused.line is not None and refused.line.cap is Cap.WITHHELD
    assert record(runtime, 1) == (Phase.FINISHED, Outcome.REJECTED, "withheld", False)
    assert cap(runtime, 2, "+16175550199") is None
    assert cap(runtime, 3, None, to=OTHER_LINE) is None


def test_a_ban_is_a_ban_whatever_the_caps(runtime: Runtime) -> None:
    seed_chapter(runtime, {1: ["+16175550111"]}, max_holding=1)
    with runtime.transaction() as session:
        add_ban(session, runtime.privacy, ROGUE, None)
    call(runtime, 1, "+16175550199")
    banned = call(runtime, 2, ROGUE)
    assert banned.line is not None and banned.line.banned
    assert record(runtime, 2) == (Phase.FINISHED, Outcome.REJECTED, None, False)
