"""Record writers: one winner per claim (across connections), outcomes only rise, events once."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest
from sqlalchemy.orm import Session

from hotline.calls.legs import maybe_advance
from hotline.db import make_engine
from hotline.logs import records
from hotline.logs.models import Call, CallLeg, LegStatus, Outcome, Phase
from hotline.privacy import Privacy
from hotline.roster.models import Chapter, Volunteer
from hotline.runtime import Runtime
from tests.conftest import on_postgres

AT = datetime(2026, 3, 10, 18, 30, tzinfo=UTC)


def make_call(session: Session, privacy: Privacy, sid: str = "CA" + "d" * 32) -> Call:
    chapter = Chapter(slug=f"c-{sid[-4:]}", name="C", timezone="UTC")
    session.add(chapter)
    session.flush()
    call_id = records.open_call(
        session, privacy, call_sid=sid, to_number="+16175550100", caller="+16175550199",
        started_at=AT, chapter_id=chapter.id)
    assert call_id is not None
    call = session.get(Call, call_id)
    assert call is not None
    return call


def test_outcome_only_rises(runtime: Runtime) -> None:
    with runtime.transaction() as session:
        call = make_call(session, runtime.privacy)
        records.set_outcome(session, call, Outcome.NO_ONE_ON_CALL)
        assert records.set_outcome(session, call, Outcome.VOICEMAIL)
        assert not records.set_outcome(session, call, Outcome.ABANDONED)
        assert call.outcome == Outcome.VOICEMAIL


def test_event_recorded_once(runtime: Runtime) -> None:
    with runtime.transaction() as session:
        sid = "CA" + "f" * 32
        assert records.record_event(session, sid, 2, "ringing", AT)
        assert not records.record_event(session, sid, 2, "ringing", AT)
        assert records.record_event(session, sid, 3, "completed", AT)


def test_open_call_writes_once_and_keeps_the_number_encrypted(runtime: Runtime) -> None:
    with runtime.transaction() as session:
        call = make_call(session, runtime.privacy)
        again = records.open_call(
            session, runtime.privacy, call_sid=call.call_sid, to_number="+16175550100",
            caller="+16175550199", started_at=AT, chapter_id=call.chapter_id)
        assert again is None                       # a retried webhook writes nothing
        assert "6175550199" not in call.caller_cipher and call.caller_hint == "***0199"
        assert runtime.privacy.decrypt(call.caller_cipher) == "+16175550199"


def test_claim_has_one_winner_across_connections(clean_database_url: str) -> None:
    """Two volunteers press 1 at once, each request on its own connection and transaction."""
    engine = make_engine(clean_database_url)
    privacy = Privacy("test-privacy-key-0123456789")
    with Session(engine) as session, session.begin():
        call = make_call(session, privacy, "CA" + "9" * 32)
        leg_ids = []
        for n in range(6):
            volunteer = Volunteer(name=f"V{n}", phone=f"+1617555020{n}")
            session.add(volunteer)
            session.flush()
            leg = CallLeg(call_id=call.id, volunteer_id=volunteer.id, engaged=True)
            session.add(leg)
            session.flush()
            leg_ids.append(leg.id)
        call_id = call.id
    barrier = threading.Barrier(len(leg_ids))
    won: list[int] = []

    def press(leg_id: int) -> None:
        # Released together; SQLite then queues the writers (BEGIN IMMEDIATE), PostgreSQL
        # runs them at once and the conditional UPDATE decides.
        barrier.wait()
        with Session(engine) as session, session.begin():
            call = session.get(Call, call_id)
            leg = session.get(CallLeg, leg_id)
            assert call is not None and leg is not None
            if records.claim(session, call, leg, AT):
                won.append(leg_id)

    threads = [threading.Thread(target=press, args=(leg_id,)) for leg_id in leg_ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with Session(engine) as session:
        final = session.get(Call, call_id)
        assert final is not None
        assert len(won) == 1 and final.answered_leg_id == won[0]
        assert final.phase == Phase.ANSWERED and final.outcome == Outcome.ANSWERED
    engine.dispose()


@pytest.mark.skipif(not on_postgres(), reason="SQLite runs one writer at a time: no race")
def test_last_legs_of_a_wave_ending_at_once_advance_it(clean_database_url: str) -> None:
    """Both legs of a wave ring out together, each callback in its own transaction."""
    engine = make_engine(clean_database_url)
    privacy = Privacy("test-privacy-key-0123456789")
    with Session(engine) as session, session.begin():
        call = make_call(session, privacy, "CA" + "8" * 32)
        call.plan = [{"tier": 1, "volunteers": []}, {"tier": 2, "volunteers": []}]
        leg_ids = []
        for n in range(2):
            volunteer = Volunteer(name=f"V{n}", phone=f"+1617555030{n}")
            session.add(volunteer)
            session.flush()
            leg = CallLeg(call_id=call.id, volunteer_id=volunteer.id, engaged=True,
                          status="ringing", call_sid=f"CA{n:032d}")
            session.add(leg)
            session.flush()
            leg_ids.append(leg.id)
        call_id = call.id
    barrier = threading.Barrier(len(leg_ids))

    def ring_out(leg_id: int) -> None:
        with Session(engine) as session, session.begin():
            leg = session.get(CallLeg, leg_id)
            assert leg is not None
            records.record_leg_status(session, leg, LegStatus.NO_ANSWER, AT)
            barrier.wait()          # each has ended its own leg; neither has committed
            maybe_advance(session, leg.call, 0)

    threads = [threading.Thread(target=ring_out, args=(leg_id,)) for leg_id in leg_ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with Session(engine) as session:
        final = session.get(Call, call_id)
        assert final is not None
        assert final.current_wave == 1 and not final.waves_spent
    engine.dispose()


def test_a_leg_whose_claim_was_undone_never_connects_again(runtime: Runtime) -> None:
    from hotline.calls.legs import CallerGone, Connect, on_leg_digits

    with runtime.transaction() as session:
        call = make_call(session, runtime.privacy, "CA" + "e" * 32)
        ann = Volunteer(name="Ann", phone="+16175550111")
        session.add(ann)
        session.flush()
        leg = records.record_leg_intent(session, call, ann.id, ann.name, 0, AT)
        assert leg is not None
        first = on_leg_digits(session, runtime, leg.id, "1")
        assert isinstance(first, Connect)
        again = on_leg_digits(session, runtime, leg.id, "1")      # Twilio retried the request
        assert isinstance(again, Connect)
        assert records.reopen(session, call) is not None           # the bridge never came
        late = on_leg_digits(session, runtime, leg.id, "1")
        assert isinstance(late, CallerGone)
        session.refresh(call)
        assert call.phase == Phase.HOLDING and call.answered_leg_id is None
