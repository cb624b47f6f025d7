"""Ids in URLs are tied to the call: a signed request carrying another call's or leg's
CallSid steers nothing (404), and a request for a call that has ended changes nothing."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select, update

from hotline.app import create_app
from hotline.calls import legs
from hotline.calls.events import CallStatus, StatusEvent
from hotline.jobs import ManualRunner
from hotline.logs.models import Call, CallbackRequest, CallLeg, LegStatus, Phase, Voicemail
from hotline.runtime import Runtime
from tests.conftest import RecordingTelephony, RuntimeFactory
from tests.flows.harness import seed_chapter
from tests.voice.test_webhooks import incoming_form, parse, post

LINE_A, LINE_B = "+16175550100", "+16175550200"
ANN, BEN = "+16175550111", "+16175550112"
SID_A, SID_B = "CA" + "a" * 32, "CA" + "b" * 32


@pytest.fixture
def rt(make_runtime: RuntimeFactory) -> Runtime:
    runtime = make_runtime(telephony=RecordingTelephony())
    seed_chapter(runtime, {1: [ANN]}, slug="line-a", number=LINE_A)
    seed_chapter(runtime, {1: [BEN]}, slug="line-b", number=LINE_B)
    return runtime


@pytest.fixture
def app(rt: Runtime) -> Flask:
    return create_app(runtime=rt)


def _two_calls_ringing(app: Flask, rt: Runtime) -> tuple[Call, Call, CallLeg, CallLeg]:
    """Call A rings Ann (leg A), call B rings Ben (leg B); both callers hold."""
    assert post(app, "/voice/incoming", incoming_form(CallSid=SID_A, To=LINE_A)).status_code == 200
    assert post(app, "/voice/incoming", incoming_form(CallSid=SID_B, To=LINE_B,
                                                      From="+16175550198")).status_code == 200
    assert isinstance(rt.jobs, ManualRunner)
    rt.jobs.run_due()
    with rt.sessions() as session:
        calls = {c.call_sid: c for c in session.scalars(select(Call))}
        legs = {leg.call_id: leg for leg in session.scalars(select(CallLeg))}
    a, b = calls[SID_A], calls[SID_B]
    assert legs[a.id].call_sid and legs[b.id].call_sid
    return a, b, legs[a.id], legs[b.id]


def _state(rt: Runtime, call_id: int) -> tuple[Any, ...]:
    with rt.sessions() as session:
        call = session.get(Call, call_id)
        assert call is not None
        legs = tuple((leg.id, leg.call_sid, leg.status, leg.screen)
                     for leg in session.scalars(select(CallLeg).where(CallLeg.call_id == call_id)))
        extras = tuple(session.scalar(select(func.count()).select_from(table)
                                      .where(table.call_id == call_id))
                       for table in (CallbackRequest, Voicemail))
        return (call.phase, call.outcome, call.answered_leg_id, call.ended_at, legs, extras)


def test_a_call_url_refuses_another_calls_sid(app: Flask, rt: Runtime) -> None:
    a, b, _, _ = _two_calls_ringing(app, rt)
    before = _state(rt, b.id)
    for path, form in (
        ("hold", {"QueueTime": "3"}), ("queue-exit", {"QueueResult": "leave"}),
        ("menu", {"Digits": "1"}), ("dialled", {"DialCallStatus": "completed"}),
        ("recorded", {"RecordingSid": "RE" + "1" * 32, "RecordingDuration": "9",
                      "RecordingUrl": "https://api.twilio.com/r/RE1"}),
    ):
        answer = post(app, f"/voice/calls/{b.id}/{path}", {"CallSid": SID_A, **form})
        assert answer.status_code == 404, path
    assert _state(rt, b.id) == before


def test_a_leg_url_refuses_another_legs_or_calls_sid(app: Flask, rt: Runtime) -> None:
    a, b, leg_a, leg_b = _two_calls_ringing(app, rt)
    before = _state(rt, b.id)
    for sid in (leg_a.call_sid, SID_A, SID_B):
        assert sid is not None
        for path, form in (("answer", {}), ("accept", {"Digits": "1"}), ("timeout", {}),
                           ("bridged", {"DialCallStatus": "completed"})):
            answer = post(app, f"/voice/legs/{leg_b.id}/{path}", {"CallSid": sid, **form})
            assert answer.status_code == 404, (path, sid)
    assert _state(rt, b.id) == before
    # Its own SID still works: the screen, then the claim.
    assert leg_b.call_sid is not None
    won = parse(post(app, f"/voice/legs/{leg_b.id}/accept",
                     {"CallSid": leg_b.call_sid, "Digits": "1"}).data)
    assert won.findtext("Dial/Queue") == SID_B


def test_a_leg_not_yet_stored_takes_only_a_sid_nobody_has(app: Flask, rt: Runtime) -> None:
    """The answer can beat the ringing job to storing the SID: then the leg takes the SID it
    is given, unless another call or leg has it; a leg never dialled takes none."""
    a, b, leg_a, leg_b = _two_calls_ringing(app, rt)
    assert leg_a.call_sid is not None
    with rt.transaction() as session:
        session.execute(update(CallLeg).where(CallLeg.id == leg_b.id).values(call_sid=None))
    for sid in (leg_a.call_sid, SID_A):
        assert post(app, f"/voice/legs/{leg_b.id}/answer", {"CallSid": sid}).status_code == 404
    fresh = "CA" + "c" * 32
    screen = parse(post(app, f"/voice/legs/{leg_b.id}/answer", {"CallSid": fresh}).data)
    assert screen.find("Gather") is not None
    with rt.sessions() as session:
        stored = session.get(CallLeg, leg_b.id)
        assert stored is not None and stored.call_sid == fresh
        never = CallLeg(call_id=b.id, volunteer_id=None, engaged=None)
        session.add(never)
        session.commit()
        never_id = never.id
    answer = post(app, f"/voice/legs/{never_id}/answer", {"CallSid": "CA" + "d" * 32})
    assert answer.status_code == 404


def test_requests_for_a_call_that_has_ended_change_nothing(app: Flask, rt: Runtime) -> None:
    a, _, leg_a, _ = _two_calls_ringing(app, rt)
    ended = post(app, "/voice/status", {"CallSid": SID_A, "CallStatus": "completed",
                                        "SequenceNumber": "3", "CallDuration": "20"})
    assert ended.status_code == 204
    after_end = _state(rt, a.id)
    assert after_end[0] is Phase.GONE
    replays = [
        ("hold", {"QueueTime": "30"}, "Leave"),
        ("queue-exit", {"QueueResult": "leave"}, "Hangup"),
        ("queue-exit", {"QueueResult": "error"}, "Hangup"),
        ("menu", {"Digits": "1"}, "Hangup"),
        ("menu", {"Digits": "2"}, "Hangup"),
    ]
    for path, form, verb in replays:
        answer = post(app, f"/voice/calls/{a.id}/{path}", {"CallSid": SID_A, **form})
        assert answer.status_code == 200, path
        assert parse(answer.data).find(verb) is not None, (path, form)
    assert leg_a.call_sid is not None
    late = post(app, f"/voice/legs/{leg_a.id}/accept", {"CallSid": leg_a.call_sid,
                                                         "Digits": "1"})
    assert "no longer on the line" in late.data.decode()
    # This call never rang by a plain <Dial>: a dial result for it is no one's.
    assert post(app, f"/voice/calls/{a.id}/dialled",
                {"CallSid": SID_A, "DialCallStatus": "completed"}).status_code == 404
    assert _state(rt, a.id)[:4] == after_end[:4]
    assert _state(rt, a.id)[5] == (0, 0)


def test_a_recording_belongs_to_the_call_it_was_made_on(app: Flask, rt: Runtime) -> None:
    a, b, _, _ = _two_calls_ringing(app, rt)
    for call in (a, b):
        post(app, f"/voice/calls/{call.id}/queue-exit", {"CallSid": call.call_sid,
                                                         "QueueResult": "leave"})
    recording = {"RecordingSid": "RE" + "1" * 32, "RecordingDuration": "9",
                 "RecordingUrl": "https://api.twilio.com/r/RE1"}
    assert post(app, f"/voice/calls/{a.id}/recorded",
                {"CallSid": SID_A, **recording}).status_code == 200
    stolen = post(app, f"/voice/calls/{b.id}/recording-status",
                  {"CallSid": SID_B, "RecordingStatus": "completed", **recording})
    assert stolen.status_code == 404
    with rt.sessions() as session:
        owners = list(session.scalars(select(Voicemail.call_id)))
    assert owners == [a.id]
    assert _state(rt, b.id)[1] is None


def test_a_message_is_recorded_only_after_the_caller_left_the_line(
    app: Flask, rt: Runtime,
) -> None:
    a, _, _, _ = _two_calls_ringing(app, rt)
    holding = post(app, f"/voice/calls/{a.id}/recorded",
                   {"CallSid": SID_A, "RecordingSid": "RE" + "2" * 32,
                    "RecordingDuration": "9", "RecordingUrl": "https://api.twilio.com/r/2"})
    assert holding.status_code == 200
    assert _state(rt, a.id)[5] == (0, 0)


def test_a_status_callback_racing_the_ringing_job_storing_its_sid_is_taken(
    app: Flask, rt: Runtime,
) -> None:
    """The ringing job stores the leg's SID after the callback read the leg without one (on
    PostgreSQL each statement sees what committed before it): still the leg's own SID."""
    _, _, _, leg_b = _two_calls_ringing(app, rt)
    sid = leg_b.call_sid
    assert sid is not None
    with rt.transaction() as session:
        session.execute(update(CallLeg).where(CallLeg.id == leg_b.id).values(call_sid=None))
    with rt.transaction() as session:
        stale = session.get(CallLeg, leg_b.id)
        assert stale is not None and stale.call_sid is None
        # The job's write lands between the read above and the check below.
        session.execute(update(CallLeg).where(CallLeg.id == leg_b.id).values(call_sid=sid)
                        .execution_options(synchronize_session=False))
        legs.on_leg_status(session, rt, leg_b.id, StatusEvent(
            sid, CallStatus.RINGING, 1, datetime.now(UTC)))
    with rt.sessions() as session:
        stored = session.get(CallLeg, leg_b.id)
        assert stored is not None
        assert (stored.call_sid, stored.status) == (sid, LegStatus.RINGING)
