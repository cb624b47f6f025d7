"""Enqueue, hold music, Leave, Dial-Queue bridging, REST legs and moving a held caller."""

from __future__ import annotations

import time

from hotline.standin.phones import answers, declines, leaves_voicemail, listens, rings_out
from hotline.standin.simulator import Simulator
from hotline.telephony import OutboundCall
from hotline.telephony.standin import StandinTelephony
from tests.standin.toyapps import CALLER, HOTLINE, PUBLIC, simulate, twiml

VOLUNTEER = "+16175550111"


def hold_routes(sims: list[Simulator], *, ring: bool = True) -> dict[str, object]:
    """A miniature hotline: hold the caller in a queue named by CallSid, ring one volunteer."""

    def incoming(form: dict[str, str]) -> str:
        if ring:
            StandinTelephony(sims[0].board).place_call(OutboundCall(
                to=VOLUNTEER, from_=HOTLINE, url=f"{PUBLIC}/screen?queue={form['CallSid']}",
                status_callback=f"{PUBLIC}/status", timeout_seconds=20))
        return twiml("<Say>Please hold</Say>",
                     f'<Enqueue waitUrl="/hold" action="/after">{form["CallSid"]}</Enqueue>',
                     "<Say>Goodbye</Say>")

    def screen(form: dict[str, str]) -> str:
        return twiml('<Gather numDigits="1" action="/accept?queue=Q" timeout="5">'
                     "<Say>A caller is waiting, press 1</Say></Gather><Hangup/>")

    def accept(form: dict[str, str]) -> str:
        if form["Digits"] != "1":
            return twiml("<Hangup/>")
        queue = next(leg.sid for leg in sims[0].board.legs.values() if leg.direction == "inbound")
        return twiml(f'<Dial action="/dialed"><Queue url="/whisper">{queue}</Queue></Dial>')

    return {
        "/voice/incoming": incoming, "/screen": screen, "/accept": accept,
        "/hold": lambda f: twiml('<Pause length="12"/>'),
        "/whisper": lambda f: twiml("<Say>Connecting you now</Say>"),
        "/after": lambda f: twiml("<Say>The volunteer has left</Say>"),
        "/dialed": lambda f: twiml("<Hangup/>"),
        "/status": lambda f: ("", 204),
    }


def test_ninety_second_hold_costs_well_under_a_second() -> None:
    sims: list[Simulator] = []
    sim, toy = simulate(hold_routes(sims, ring=False))
    sims.append(sim)
    started = time.perf_counter()
    report = sim.call(CALLER, HOTLINE, caller=listens(hang_up_after=90))
    assert time.perf_counter() - started < 1.0
    assert report.duration == 90
    holds = toy.at("/hold")
    assert [int(f["QueueTime"]) for f in holds] == [0, 12, 24, 36, 48, 60, 72, 84]
    assert holds[0]["QueuePosition"] == "1" and holds[0]["CurrentQueueSize"] == "1"
    assert holds[0]["QueueSid"].startswith("QU")
    (after,) = toy.at("/after")
    assert after["QueueResult"] == "hangup" and after["QueueTime"] == "89"
    assert report.queue_results == ("hangup",)


def test_volunteer_presses_one_and_is_bridged_to_the_held_caller() -> None:
    sims: list[Simulator] = []
    sim, toy = simulate(hold_routes(sims), phones={VOLUNTEER: answers(
        after=4, press="1", talk_seconds=300)})
    sims.append(sim)
    report = sim.call(CALLER, HOTLINE, caller=listens())
    leg = report.leg(VOLUNTEER)
    assert leg.direction == "outbound-api" and leg.answered_at == 5.0    # 1 s to ring, 4 s
    assert leg.digits == ("1",) and leg.bridged_with == (report.sid,)
    assert report.bridged_to == VOLUNTEER and report.bridged_seconds == 300
    assert "Connecting you now" in report.heard            # the Queue noun's url, to the caller
    assert report.heard[-1] == "The volunteer has left"
    assert toy.at("/after")[0]["QueueResult"] == "bridged"
    dialed = toy.at("/dialed")[0]
    assert dialed["DialCallStatus"] == "completed" and dialed["DialBridged"] == "true"
    assert dialed["DialCallSid"] == report.sid
    statuses = toy.at("/status")
    assert [f["CallStatus"] for f in statuses] == [
        "initiated", "ringing", "in-progress", "completed"]
    assert [f["SequenceNumber"] for f in statuses] == ["0", "1", "2", "3"]
    assert statuses[-1]["CallDuration"] == "304"   # 2.4 s prompt, 1 s think, 1.2 s whisper, talk
    assert {f["Direction"] for f in statuses} == {"outbound-api"}
    assert "bridged with" in report.transcript


def test_volunteer_who_declines_leaves_the_caller_holding() -> None:
    sims: list[Simulator] = []
    sim, toy = simulate(hold_routes(sims), phones={VOLUNTEER: declines(press="2")})
    sims.append(sim)
    report = sim.call(CALLER, HOTLINE, caller=listens(hang_up_after=60))
    assert report.leg(VOLUNTEER).digits == ("2",)
    assert report.leg(VOLUNTEER).status == "completed"
    assert report.bridged_to is None and report.queue_results == ("hangup",)


def test_leave_sends_the_caller_to_the_enqueue_action() -> None:
    sim, toy = simulate({
        "/voice/incoming": lambda f: twiml('<Enqueue waitUrl="/hold" action="/after">q</Enqueue>'),
        "/hold": lambda f: twiml("<Leave/>") if int(f["QueueTime"]) >= 20 else twiml(
            '<Pause length="10"/>'),
        "/after": lambda f: twiml("<Say>Leave a message</Say>",
                                  '<Record maxLength="60" action="/recorded"/>'),
        "/recorded": lambda f: twiml("<Hangup/>"),
    })
    report = sim.call(CALLER, HOTLINE, caller=leaves_voicemail(12, hang_up=False))
    assert toy.at("/after")[0]["QueueResult"] == "leave"
    assert report.queue_results == ("leave",)
    recorded = toy.at("/recorded")[0]
    assert recorded["RecordingDuration"] == "12" and recorded["RecordingSid"].startswith("RE")
    assert report.recordings[0].duration == 12


def test_enqueue_without_action_continues_after_leave() -> None:
    sim, _ = simulate({
        "/voice/incoming": lambda f: twiml('<Enqueue waitUrl="/hold">q</Enqueue><Say>Next</Say>'),
        "/hold": lambda f: twiml("<Leave/>"),
    })
    report = sim.call(CALLER, HOTLINE, caller=listens())
    assert report.heard == ("Next",)


def test_moving_a_held_caller_by_rest_leaves_the_queue() -> None:
    sim, toy = simulate({
        "/voice/incoming": lambda f: twiml('<Enqueue waitUrl="/hold" action="/after">q</Enqueue>'),
        "/hold": lambda f: twiml('<Pause length="10"/>'),
        "/after": lambda f: twiml("<Say>Back from the queue</Say>"),
        "/voicemail": lambda f: twiml("<Say>Please leave a message</Say>"),
    })
    sid = sim.start_call(CALLER, HOTLINE, caller=listens())
    sim.advance(45)
    StandinTelephony(sim.board).move_call(sid().sid, f"{PUBLIC}/voicemail")
    sim.run_until_idle()
    report = sim.report(sid)
    assert report.heard == ("Please leave a message",)
    assert sim.board.queues["q"] == []
    assert report.queue_results == ("redirected",)
    (after,) = toy.at("/after")         # requested at once; its TwiML is not played
    assert after["QueueResult"] == "redirected" and after["QueueTime"] == "45"


def test_enqueue_action_on_redirect_can_be_switched_off() -> None:
    sim, toy = simulate({
        "/voice/incoming": lambda f: twiml('<Enqueue action="/after">q</Enqueue>'),
        "/after": lambda f: twiml("<Say>Back from the queue</Say>"),
        "/voicemail": lambda f: twiml("<Say>Please leave a message</Say>"),
    }, enqueue_action_on_redirect=False)
    sid = sim.start_call(CALLER, HOTLINE, caller=listens())
    sim.advance(5)
    StandinTelephony(sim.board).move_call(sid().sid, f"{PUBLIC}/voicemail")
    sim.run_until_idle()
    assert sim.report(sid).heard == ("Please leave a message",)
    assert toy.at("/after") == []


def test_unanswered_volunteer_rings_out_after_the_timeout() -> None:
    sims: list[Simulator] = []
    sim, toy = simulate(hold_routes(sims), phones={VOLUNTEER: rings_out()})
    sims.append(sim)
    report = sim.call(CALLER, HOTLINE, caller=listens(hang_up_after=40))
    leg = report.leg(VOLUNTEER)
    assert leg.status == "no-answer" and leg.ended_at == 21.0 and leg.answered_at is None
    status = toy.at("/status")[-1]
    assert status["CallStatus"] == "no-answer" and status["CallDuration"] == "0"


def test_dial_queue_fails_on_a_missing_queue_and_waits_on_an_empty_one() -> None:
    routes = {
        "/voice/incoming": lambda f: twiml('<Dial action="/dialed"><Queue>empty</Queue></Dial>'),
        "/dialed": lambda f: twiml("<Hangup/>"),
    }
    sim, toy = simulate(routes)
    report = sim.call(CALLER, HOTLINE, caller=listens())
    (dialed,) = toy.at("/dialed")      # no Enqueue ever made "empty": it does not exist
    assert dialed["DialCallStatus"] == "failed" and dialed["DialBridged"] == "false"
    assert report.duration == 0
    sim, toy = simulate({**routes, "/voice/incoming": lambda f: twiml(
        '<Dial action="/dialed"><Queue>q</Queue></Dial>') if f["From"] == "+1agent" else twiml(
        '<Enqueue>q</Enqueue>')}, empty_queue="wait")
    sim.start_call("+1early", HOTLINE, caller=listens(hang_up_after=1))   # makes q, leaves it
    agent = sim.start_call("+1agent", HOTLINE, caller=listens(talk_seconds=30), after=2)
    sim.start_call(CALLER, HOTLINE, caller=listens(), after=10)
    sim.run_until_idle()
    assert toy.at("/dialed")[0]["DialBridged"] == "true"
    assert sim.report(agent).bridged_seconds == 30


def test_dial_queue_on_an_emptied_queue_waits_until_the_dial_timeout() -> None:
    routes = {
        "/voice/incoming": lambda f: twiml(
            '<Dial action="/dialed" timeout="10"><Queue>q</Queue></Dial>')
        if f["From"] == "+1agent" else twiml("<Enqueue>q</Enqueue>"),
        "/dialed": lambda f: twiml("<Hangup/>"),
    }
    for mode, status, waited in (("wait", "no-answer", 10.0), ("end", "failed", 0.0)):
        sim, toy = simulate(routes, empty_queue=mode)
        sim.call(CALLER, HOTLINE, caller=listens(hang_up_after=3))   # q now exists, empty
        report = sim.call("+1agent", HOTLINE, caller=listens())
        (dialed,) = toy.at("/dialed")
        assert dialed["DialCallStatus"] == status and dialed["DialBridged"] == "false"
        assert report.duration == waited
