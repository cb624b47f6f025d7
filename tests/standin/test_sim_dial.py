"""<Dial><Number>: screening, first to answer wins, busy/no-answer/failed, answerOnBridge."""

from __future__ import annotations

import pytest

from hotline.standin.phones import (
    Phone,
    answers,
    busy,
    declines,
    fails,
    listens,
    rings_out,
    voicemail,
)
from tests.standin.toyapps import CALLER, HOTLINE, simulate, twiml

ANA, BEN = "+16175550111", "+16175550122"


def dial_routes(*numbers: str, screen: bool = True, bridge_attr: str = "") -> dict[str, object]:
    url = ' url="/screen"' if screen else ""
    nouns = "".join(f"<Number{url}>{n}</Number>" for n in numbers)
    return {
        "/voice/incoming": lambda f: twiml(
            "<Say>Connecting</Say>",
            f'<Dial action="/dialed" timeout="20" callerId="{HOTLINE}"{bridge_attr}>'
            f"{nouns}</Dial>"),
        "/screen": lambda f: twiml(
            '<Gather numDigits="1" action="/screened"><Say>Press 1 to take the call</Say>'
            "</Gather><Hangup/>"),
        "/screened": lambda f: twiml() if f["Digits"] == "1" else twiml("<Hangup/>"),
        "/dialed": lambda f: twiml("<Say>Thanks</Say>"),
    }


def test_screened_dial_bridges_and_reports_the_dial_action() -> None:
    sim, toy = simulate(dial_routes(ANA), phones={ANA: answers(after=2, talk_seconds=120)})
    report = sim.call(CALLER, HOTLINE, caller=listens())
    (screen,) = toy.at("/screen")
    leg = report.leg(ANA)
    assert screen["Direction"] == "outbound-dial" and screen["ParentCallSid"] == report.sid
    assert screen["From"] == HOTLINE and screen["CallSid"] == leg.sid
    assert leg.parent_sid == report.sid and leg.status == "completed"
    dialed = toy.at("/dialed")[0]
    assert dialed["DialCallStatus"] == "completed" and dialed["DialBridged"] == "true"
    assert dialed["DialCallSid"] == leg.sid and dialed["DialCallDuration"] == "120"
    assert report.bridged_to == ANA and report.heard[-1] == "Thanks"


def test_declined_screen_is_not_bridged() -> None:
    sim, toy = simulate(dial_routes(ANA), phones={ANA: declines(press="9")})
    report = sim.call(CALLER, HOTLINE, caller=listens())
    dialed = toy.at("/dialed")[0]
    assert dialed["DialBridged"] == "false" and report.bridged_to is None
    assert report.leg(ANA).digits == ("9",)


def test_carrier_voicemail_wins_the_race_and_the_screen_hangs_it_up() -> None:
    sim, toy = simulate(dial_routes(ANA, BEN), phones={
        ANA: voicemail(after=0), BEN: answers(after=5)})
    report = sim.call(CALLER, HOTLINE, caller=listens())
    assert report.leg(BEN).status == "canceled" and report.leg(BEN).answered_at is None
    assert report.leg(ANA).answered_at is not None
    assert toy.at("/dialed")[0]["DialBridged"] == "false"    # nobody else is ringing now
    assert report.bridged_to is None


@pytest.mark.parametrize(("phone", "status"), [
    (busy(), "busy"), (rings_out(), "no-answer"), (fails(), "failed")])
def test_dial_outcomes_reach_the_action(phone: Phone, status: str) -> None:
    sim, toy = simulate(dial_routes(ANA), phones={ANA: phone})
    report = sim.call(CALLER, HOTLINE, caller=listens())
    dialed = toy.at("/dialed")[0]
    assert dialed["DialCallStatus"] == status and dialed["DialBridged"] == "false"
    assert report.leg(ANA).status == status


def test_no_answer_waits_for_the_dial_timeout() -> None:
    sim, _ = simulate(dial_routes(ANA), phones={ANA: rings_out()})
    report = sim.call(CALLER, HOTLINE, caller=listens())
    assert report.leg(ANA).ended_at == 1.0 + 1.0 + 20    # Say, ring delay, timeout


def test_answer_on_bridge_keeps_the_caller_unanswered_until_the_bridge() -> None:
    routes = dial_routes(ANA, screen=False, bridge_attr=' answerOnBridge="true"')
    routes["/voice/incoming"] = lambda f: twiml(
        f'<Dial answerOnBridge="true" action="/dialed"><Number>{ANA}</Number></Dial>')
    sim, _ = simulate(routes, phones={ANA: answers(after=6, talk_seconds=10)})
    report = sim.call(CALLER, HOTLINE, caller=listens())
    assert report.answered_at == 7.0 and report.bridged_seconds == 10


def test_caller_hanging_up_stops_the_ringing_leg() -> None:
    sim, toy = simulate(dial_routes(ANA), phones={ANA: rings_out()})
    report = sim.call(CALLER, HOTLINE, caller=listens(hang_up_after=8))
    assert report.leg(ANA).status == "canceled" and report.leg(ANA).ended_at == 8.0
    assert toy.at("/dialed")[0]["DialCallStatus"] == "canceled"


def test_caller_hanging_up_mid_bridge_ends_the_child_leg() -> None:
    sim, toy = simulate(dial_routes(ANA, screen=False), phones={ANA: answers(after=1)})
    report = sim.call(CALLER, HOTLINE, caller=listens(hang_up_after=30))
    assert report.leg(ANA).status == "completed" and report.leg(ANA).ended_at == 30.0
    assert toy.at("/dialed")[0]["DialBridged"] == "true"
