"""The call's state machine: allowed moves only, one winner per race, outcomes only rise."""

from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.calls.decisions import CallerGone, Connect
from hotline.calls.legs import on_leg_digits
from hotline.db import make_engine
from hotline.logs import lifecycle, records
from hotline.logs.models import ENDED_LEGS, Call, CallLeg, LegStatus, Outcome, Phase, Screen
from hotline.privacy import Privacy
from hotline.roster.models import Volunteer
from hotline.runtime import Runtime
from tests.logs.test_records import AT, make_call

LEG_SID = "CA" + "7" * 32


def test_every_state_has_a_row_in_its_table() -> None:
    assert set(lifecycle.CALL_MOVES) == set(Phase)
    assert set(lifecycle.LEG_MOVES) == set(LegStatus)
    assert set(lifecycle.SCREEN_MOVES) == set(Screen)
    assert set(lifecycle.OUTCOME_RANK) == set(Outcome)
    # Ended statuses are final; only an offer never dialled can be withdrawn.
    assert all(not lifecycle.LEG_MOVES[status] for status in ENDED_LEGS)
    assert [s for s, moves in lifecycle.LEG_MOVES.items()
            if LegStatus.WITHDRAWN in moves] == [LegStatus.INTENT]
    assert not lifecycle.CALL_MOVES[Phase.GONE] and not lifecycle.CALL_MOVES[Phase.FINISHED]


def test_an_illegal_move_is_logged_and_not_written(
    runtime: Runtime, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="hotline.logs.lifecycle")
    with runtime.transaction() as session:
        call = make_call(session, runtime.privacy)
        lifecycle.caller_gone(session, call, AT)
        assert call.phase is Phase.GONE
        assert not lifecycle.move_call(session, call, Phase.HOLDING)
        assert not lifecycle.leave_queue(session, call, AT)
        session.expire_all()
        assert session.get(Call, call.id).phase is Phase.GONE  # type: ignore[union-attr]
    assert "gone -> holding is not a move the state machine allows" in caplog.text


def test_a_leg_never_moves_backwards(runtime: Runtime) -> None:
    with runtime.transaction() as session:
        call = make_call(session, runtime.privacy)
        ann = Volunteer(name="Ann", phone="+16175550111")
        session.add(ann)
        session.flush()
        leg = records.offer(session, call, ann.id, ann.name, AT)
        assert leg is not None
        assert lifecycle.move_leg(session, leg, LegStatus.RINGING, AT)
        assert lifecycle.move_leg(session, leg, LegStatus.NO_ANSWER, AT)
        assert not lifecycle.move_leg(session, leg, LegStatus.IN_PROGRESS, AT)  # late, reordered
        assert not lifecycle.withdraw(session, leg, AT)
        assert leg.status is LegStatus.NO_ANSWER and leg.engaged is None
        assert leg.outcome is not None and leg.outcome.value == "no_answer"


def test_outcome_only_rises(runtime: Runtime) -> None:
    with runtime.transaction() as session:
        call = make_call(session, runtime.privacy)
        lifecycle.set_outcome(session, call, Outcome.NO_ONE_ON_CALL)
        assert lifecycle.set_outcome(session, call, Outcome.VOICEMAIL)
        assert not lifecycle.set_outcome(session, call, Outcome.ABANDONED)
        assert call.outcome is Outcome.VOICEMAIL


def test_an_offer_is_refused_to_a_volunteer_engaged_elsewhere(runtime: Runtime) -> None:
    with runtime.transaction() as session:
        first = make_call(session, runtime.privacy, "CA" + "1" * 32)
        second = make_call(session, runtime.privacy, "CA" + "2" * 32)
        ann = Volunteer(name="Ann", phone="+16175550111")
        session.add(ann)
        session.flush()
        assert records.offer(session, first, ann.id, ann.name, AT) is not None
        assert records.offer(session, second, ann.id, ann.name, AT) is None
        assert len(session.scalars(select(CallLeg)).all()) == 1


def test_claim_has_one_winner_across_connections(clean_database_url: str) -> None:
    """Six volunteers press 1 at once, each request on its own connection and transaction."""
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
            if lifecycle.claim(session, call, leg, AT):
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
        assert final.phase is Phase.ANSWERED and final.outcome is Outcome.ANSWERED
        screens = sorted(leg.screen for leg in session.scalars(select(CallLeg)))
        assert screens.count(Screen.ACCEPTED) == 1 and screens.count(Screen.LATE) == 5
    engine.dispose()


def test_a_leg_whose_claim_was_undone_never_connects_again(runtime: Runtime) -> None:
    with runtime.transaction() as session:
        call = make_call(session, runtime.privacy, "CA" + "e" * 32)
        ann = Volunteer(name="Ann", phone="+16175550111")
        session.add(ann)
        session.flush()
        leg = records.offer(session, call, ann.id, ann.name, AT)
        assert leg is not None
        lifecycle.start_dialling(session, leg, AT)        # the ringing job dials the phone
        first = on_leg_digits(session, runtime, leg.id, LEG_SID, "1")
        assert isinstance(first, Connect)
        again = on_leg_digits(session, runtime, leg.id, LEG_SID, "1")   # Twilio retried it
        assert isinstance(again, Connect)
        assert lifecycle.reopen(session, call) is not None              # the bridge never came
        late = on_leg_digits(session, runtime, leg.id, LEG_SID, "1")
        assert isinstance(late, CallerGone)
        session.refresh(call)
        assert call.phase is Phase.HOLDING and call.answered_leg_id is None
        assert call.dequeued_at is None


def test_a_leg_cannot_be_steered_by_another_calls_sid(runtime: Runtime) -> None:
    with runtime.transaction() as session:
        call = make_call(session, runtime.privacy, "CA" + "c" * 32)
        ann = Volunteer(name="Ann", phone="+16175550111")
        session.add(ann)
        session.flush()
        leg = records.offer(session, call, ann.id, ann.name, datetime(2026, 1, 1, tzinfo=UTC))
        assert leg is not None
        lifecycle.dialled(session, leg, LEG_SID)
        with pytest.raises(LookupError):
            on_leg_digits(session, runtime, leg.id, "CA" + "8" * 32, "1")
        session.refresh(call)
        assert call.phase is Phase.HOLDING
