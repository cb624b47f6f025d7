"""Listen-in at the webhooks: the mentor's, the caller's and the trainee's TwiML, and a
trainee leg that answers while the call is unclaimed (it must never reach the caller)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from flask import Flask
from sqlalchemy import select, update

from hotline.app import create_app
from hotline.jobs import ManualRunner
from hotline.logs.models import Call, CallLeg, LegStatus, Phase, Screen
from hotline.roster.models import Volunteer
from hotline.runtime import Runtime
from tests.conftest import RecordingTelephony, RuntimeFactory
from tests.flows.harness import seed_chapter
from tests.voice.test_webhooks import incoming_form, parse, post

LINE = "+16175550100"
ANN, TIA = "+16175550111", "+16175550119"
SID = "CA" + "a" * 32
TIA_SID = "CA" + "9" * 32


@pytest.fixture
def rt(make_runtime: RuntimeFactory) -> Runtime:
    runtime = make_runtime(telephony=RecordingTelephony())
    seed_chapter(runtime, {1: [ANN, TIA]}, number=LINE, listen_in=True)
    with runtime.transaction() as session:
        session.execute(update(Volunteer).where(Volunteer.phone == TIA).values(trainee=True))
    return runtime


@pytest.fixture
def app(rt: Runtime) -> Flask:
    return create_app(runtime=rt)


def _ringing(app: Flask, rt: Runtime) -> tuple[Call, list[CallLeg]]:
    assert post(app, "/voice/incoming", incoming_form(CallSid=SID, To=LINE)).status_code == 200
    assert isinstance(rt.jobs, ManualRunner)
    rt.jobs.run_due()
    with rt.sessions() as session:
        call = session.scalar(select(Call).where(Call.call_sid == SID))
        assert call is not None
        return call, list(call.legs)


def _trainee_leg(rt: Runtime, call_id: int) -> CallLeg:
    """A trainee's leg ringing for the call (as if rung early), its phone dialled."""
    with rt.transaction() as session:
        tia = session.scalar(select(Volunteer).where(Volunteer.phone == TIA))
        assert tia is not None
        leg = CallLeg(call_id=call_id, volunteer_id=tia.id, volunteer_name=tia.name,
                      call_sid=TIA_SID, status=LegStatus.RINGING, engaged=True, trainee=True,
                      dialled_at=datetime.now(UTC))
        session.add(leg)
        session.flush()
        session.expunge(leg)
        return leg


def test_only_the_volunteer_is_rung_for_the_caller(app: Flask, rt: Runtime) -> None:
    call, legs = _ringing(app, rt)
    assert [leg.volunteer_name for leg in legs] == ["Volunteer 0111"]
    telephony = rt.telephony
    assert isinstance(telephony, RecordingTelephony)
    assert [placed.to for placed in telephony.placed] == [ANN]


def test_a_trainee_answering_before_the_mentor_never_gets_the_caller(
        app: Flask, rt: Runtime) -> None:
    call, _ = _ringing(app, rt)
    leg = _trainee_leg(rt, call.id)
    screen = parse(post(app, f"/voice/legs/{leg.id}/answer", {"CallSid": TIA_SID}).data)
    assert screen.find(".//Dial") is None and screen.find(".//Gather") is None
    pressed = parse(post(app, f"/voice/legs/{leg.id}/accept",
                         {"CallSid": TIA_SID, "Digits": "1"}).data)
    assert pressed.find(".//Dial") is None
    assert "no longer on the line" in (pressed.findtext("Say") or "")
    with rt.sessions() as session:
        stored = session.get(Call, call.id)
        assert stored is not None
        assert stored.phase is Phase.HOLDING and stored.answered_leg_id is None
        trainee = session.get(CallLeg, leg.id)
        assert trainee is not None and trainee.screen is Screen.LATE


def test_mentor_accepts_into_a_conference_then_the_trainee_is_rung_and_joins_muted(
        app: Flask, rt: Runtime) -> None:
    call, legs = _ringing(app, rt)
    ann = legs[0]
    assert ann.call_sid is not None
    won = parse(post(app, f"/voice/legs/{ann.id}/accept",
                     {"CallSid": ann.call_sid, "Digits": "1"}).data)
    room = won.find("Dial/Conference")
    assert room is not None and room.text == SID and won.find("Dial/Queue") is None
    # * steps the mentor out to their menu; the app ends the call when their call ends.
    assert (room.get("beep"), room.get("endConferenceOnExit"), room.get("muted")) == (
        "false", "false", None)
    assert won.find("Dial").get("hangupOnStar") == "true"  # type: ignore[union-attr]
    assert isinstance(rt.jobs, ManualRunner)
    rt.jobs.run_due()
    telephony = rt.telephony
    assert isinstance(telephony, RecordingTelephony)
    # The caller is moved into the conference; the trainee's phone is rung.
    assert telephony.moved == [(SID, f"https://hotline.test/voice/calls/{call.id}/conference")]
    assert [placed.to for placed in telephony.placed] == [ANN, TIA]
    caller = parse(post(app, f"/voice/calls/{call.id}/conference", {"CallSid": SID}).data)
    joined = caller.find("Dial/Conference")
    assert joined is not None and joined.text == SID
    assert (joined.get("beep"), joined.get("endConferenceOnExit")) == ("false", "true")
    with rt.sessions() as session:
        trainee = session.scalars(select(CallLeg).where(CallLeg.trainee)).one()
        tia_sid, tia_id = trainee.call_sid, trainee.id
    assert tia_sid is not None
    screen = parse(post(app, f"/voice/legs/{tia_id}/answer", {"CallSid": tia_sid}).data)
    assert "listen in on a call" in (screen.findtext("Gather/Say") or "")
    listening = parse(post(app, f"/voice/legs/{tia_id}/accept",
                           {"CallSid": tia_sid, "Digits": "1"}).data)
    muted = listening.find("Dial/Conference")
    assert muted is not None and muted.text == SID
    assert (muted.get("muted"), muted.get("beep"), muted.get("endConferenceOnExit"),
            muted.get("startConferenceOnEnter")) == ("true", "false", "false", "false")


def test_the_conference_url_refuses_another_calls_sid(app: Flask, rt: Runtime) -> None:
    call, _ = _ringing(app, rt)
    assert post(app, f"/voice/calls/{call.id}/conference",
                {"CallSid": "CA" + "b" * 32}).status_code == 404
    # Still holding (no volunteer took it): back in line, never a conference.
    held = parse(post(app, f"/voice/calls/{call.id}/conference", {"CallSid": SID}).data)
    assert held.find("Enqueue") is not None and held.find(".//Conference") is None
