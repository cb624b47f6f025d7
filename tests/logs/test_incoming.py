"""The incoming call's first record, and the hand-off to the workers through it."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from hotline.bans import add_ban
from hotline.db import Atomic, make_engine
from hotline.logs.incoming import claim_awaiting, open_incoming
from hotline.logs.models import Call, Outcome, Phase
from hotline.privacy import Privacy
from hotline.runtime import Runtime
from tests.conftest import on_postgres
from tests.flows.harness import CALLER, HOTLINE, seed_chapter

AT = datetime(2026, 3, 10, 18, 30, tzinfo=UTC)


def sid(n: int) -> str:
    return "CA" + f"{n:032x}"


def open_one(runtime: Runtime, n: int, *, to: str = HOTLINE, caller: str = CALLER,
             for_workers: bool = True) -> int:
    opened = runtime.atomic.run(lambda conn: open_incoming(
        conn, runtime.privacy, call_sid=sid(n), to_number=to, caller=caller, started_at=AT,
        for_workers=for_workers))
    assert opened.call_id is not None
    return opened.call_id


def awaiting(runtime: Runtime) -> dict[str, bool]:
    with runtime.sessions() as session:
        return {c.call_sid: c.awaiting_dispatch for c in session.scalars(select(Call))}


def test_only_a_call_to_ring_is_left_for_the_workers(runtime: Runtime) -> None:
    seed_chapter(runtime, {1: ["+16175550111"]})
    with runtime.transaction() as session:
        add_ban(session, runtime.privacy, "+16175550666", None)
    holding = open_one(runtime, 1)
    open_one(runtime, 2, to="+19995550000")              # unknown number
    open_one(runtime, 3, caller="+16175550666")          # banned
    open_one(runtime, 4, for_workers=False)              # the web process rings it
    assert awaiting(runtime) == {sid(1): True, sid(2): False, sid(3): False, sid(4): False}
    with runtime.sessions() as session:
        outcomes = {c.call_sid: (c.phase, c.outcome) for c in session.scalars(select(Call))}
    assert outcomes[sid(2)] == (Phase.FINISHED, Outcome.UNKNOWN_NUMBER)
    assert outcomes[sid(3)] == (Phase.FINISHED, Outcome.REJECTED)
    assert outcomes[sid(1)] == (Phase.HOLDING, None)
    assert runtime.atomic.run(claim_awaiting) == [holding]
    assert runtime.atomic.run(claim_awaiting) == []      # claimed once
    assert awaiting(runtime)[sid(1)] is False


def test_a_retried_webhook_is_not_left_twice(runtime: Runtime) -> None:
    seed_chapter(runtime, {1: ["+16175550111"]})
    first = open_one(runtime, 1)
    again = runtime.atomic.run(lambda conn: open_incoming(
        conn, runtime.privacy, call_sid=sid(1), to_number=HOTLINE, caller=CALLER,
        started_at=AT, for_workers=True))
    assert again.call_id is None and again.line is not None
    assert runtime.atomic.run(claim_awaiting) == [first]


def test_claims_take_the_oldest_first_up_to_the_limit(runtime: Runtime) -> None:
    seed_chapter(runtime, {1: ["+16175550111"]})
    ids = [open_one(runtime, n, caller=f"+1617555{n:04d}") for n in range(1, 6)]
    assert runtime.atomic.run(lambda conn: claim_awaiting(conn, limit=2)) == ids[:2]
    assert runtime.atomic.run(claim_awaiting) == ids[2:]


@pytest.mark.skipif(not on_postgres(), reason="SQLite runs one writer at a time: no race")
def test_dispatchers_racing_never_take_the_same_call(clean_database_url: str) -> None:
    from sqlalchemy.orm import Session

    from hotline.models import Chapter, ChapterNumber

    engine = make_engine(clean_database_url)
    privacy = Privacy("race-key-0123456789")
    with Session(engine) as s, s.begin():
        chapter = Chapter(slug="b", name="B", timezone="UTC", max_holding=1000)
        s.add(chapter)
        s.flush()
        s.add(ChapterNumber(number=HOTLINE, chapter_id=chapter.id))
    atomic = Atomic(engine)

    def open_call(n: int) -> None:
        atomic.run(lambda conn: open_incoming(
            conn, privacy, call_sid=sid(n), to_number=HOTLINE, caller=f"+1617555{n:04d}",
            started_at=AT, for_workers=True))

    for n in range(200):
        open_call(n)
    taken: list[list[int]] = [[], [], [], []]
    start = threading.Barrier(4)

    def dispatcher(mine: list[int]) -> None:
        start.wait()
        while batch := atomic.run(lambda conn: claim_awaiting(conn, limit=7)):
            mine.extend(batch)

    threads = [threading.Thread(target=dispatcher, args=(t,)) for t in taken]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    try:
        every = [i for mine in taken for i in mine]
        assert len(every) == 200 and len(set(every)) == 200
        assert atomic.run(claim_awaiting) == []
    finally:
        atomic.dispose()
        engine.dispose()


def test_the_sweep_rings_a_call_whose_notification_was_lost(runtime: Runtime) -> None:
    """The listener claims only when notified; the sweep is the net under a lost NOTIFY."""
    from hotline.jobs import DISPATCH_CALLS, ManualRunner
    from hotline.work.sweeps import sweep
    from tests.conftest import RecordingTelephony

    seed_chapter(runtime, {1: ["+16175550111"]})
    call_id = open_one(runtime, 1)                       # left for the workers, unnoticed
    runner = runtime.jobs
    assert isinstance(runner, ManualRunner)

    def dispatches() -> list[tuple[object, ...]]:
        return [job.args for job in runner.pending() if job.name == DISPATCH_CALLS]

    sweep(runtime)
    assert awaiting(runtime)[sid(1)] is False
    assert dispatches() == [(call_id,)]
    runner.run_due()
    telephony = runtime.telephony
    assert isinstance(telephony, RecordingTelephony)
    assert [call.to for call in telephony.placed] == ["+16175550111"]
    sweep(runtime)
    assert dispatches() == []                            # claimed once
