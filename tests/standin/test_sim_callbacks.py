"""Status callbacks (late, duplicated, out of order), REST stops, recordings, concurrency, hooks."""

from __future__ import annotations

from datetime import datetime

from hotline.standin.carrier import CallRequest
from hotline.standin.delivery import Delivery
from hotline.standin.phones import answers, leaves_voicemail, listens, rings_out, voicemail
from hotline.standin.simulator import Simulator
from hotline.telephony import OutboundCall
from hotline.telephony.standin import StandinTelephony
from tests.standin.toyapps import CALLER, HOTLINE, PUBLIC, simulate, twiml

ANA, BEN = "+16175550111", "+16175550122"


def ring_routes(sims: list[Simulator], *numbers: str) -> dict[str, object]:
    """Hold the caller with a long pause while each number is rung by REST."""

    def incoming(form: dict[str, str]) -> str:
        phone = StandinTelephony(sims[0].board)
        for number in numbers:
            phone.place_call(OutboundCall(
                to=number, from_=HOTLINE, url=f"{PUBLIC}/screen",
                status_callback=f"{PUBLIC}/status", timeout_seconds=15))
        return twiml('<Pause length="40"/>')

    return {
        "/voice/incoming": incoming,
        "/screen": lambda f: twiml('<Say>Hello volunteer</Say><Pause length="5"/>'),
        "/status": lambda f: ("", 204),
    }


def run(delivery: Delivery, phone: object = None) -> list[dict[str, str]]:
    sims: list[Simulator] = []
    sim, toy = simulate(ring_routes(sims, ANA), phones={ANA: phone or answers(after=3)},
                        delivery=delivery)
    sims.append(sim)
    sim.call(CALLER, HOTLINE, caller=listens())
    return toy.at("/status")


def test_callbacks_on_time_are_in_sequence_with_timestamps() -> None:
    forms = run(Delivery())
    assert [f["SequenceNumber"] for f in forms] == ["0", "1", "2", "3"]
    assert [f["CallStatus"] for f in forms] == ["initiated", "ringing", "in-progress",
                                                  "completed"]
    assert {f["CallbackSource"] for f in forms} == {"call-progress-events"}
    assert forms[0]["Timestamp"].endswith("+0000")
    assert forms[-1]["CallDuration"] == "6" and "CallDuration" not in forms[0]


def test_duplicated_callbacks_arrive_twice() -> None:
    forms = run(Delivery(duplicate=True))
    assert [f["SequenceNumber"] for f in forms] == ["0", "0", "1", "1", "2", "2", "3", "3"]


def test_reordered_callbacks_arrive_later_first() -> None:
    forms = run(Delivery(reorder=True))
    assert [f["SequenceNumber"] for f in forms] == ["1", "0", "3", "2"]


def test_late_callbacks_arrive_after_the_delay() -> None:
    sims: list[Simulator] = []
    sim, toy = simulate(ring_routes(sims, ANA), phones={ANA: answers(after=3)},
                        delivery=Delivery(delay_seconds=30, events=frozenset({"completed"})))
    sims.append(sim)
    arrivals: list[tuple[str, datetime]] = []
    sim.on_advance(lambda now: arrivals.extend(
        (f["CallStatus"], now) for f in toy.at("/status")[len(arrivals):]))
    report = sim.call(CALLER, HOTLINE, caller=listens())
    leg = report.leg(ANA)
    completed_at = [at for status, at in arrivals if status == "completed"][0]
    assert (completed_at - report.started).total_seconds() == leg.ended_at + 30


def test_stopping_a_ringing_leg_cancels_it_and_an_answered_one_completes() -> None:
    sims: list[Simulator] = []
    sim, toy = simulate(ring_routes(sims, ANA, BEN), phones={ANA: rings_out(),
                                                             BEN: answers(after=2)})
    sims.append(sim)
    call = sim.start_call(CALLER, HOTLINE, caller=listens())
    sim.advance(6)
    phone = StandinTelephony(sim.board)
    legs = {leg.to: leg.sid for leg in sim.board.legs.values() if leg.direction != "inbound"}
    assert sim.board.fetch_call(legs[ANA]).status == "ringing"
    phone.stop_call(legs[ANA])
    phone.stop_call(legs[BEN])
    sim.run_until_idle()
    report = sim.report(call)
    assert report.leg(ANA).status == "canceled" and report.leg(BEN).status == "completed"
    finals = {f["CallSid"]: f["CallStatus"] for f in toy.at("/status")
              if f["SequenceNumber"] == "3" or f["CallStatus"] == "canceled"}
    assert finals[legs[ANA]] == "canceled" and finals[legs[BEN]] == "completed"
    assert sim.board.fetch_call(legs[BEN]).duration == 3


def test_recording_callback_can_arrive_after_the_call_completed() -> None:
    sim, toy = simulate({
        "/voice/incoming": lambda f: twiml(
            '<Record maxLength="120" action="/recorded" recordingStatusCallback="/recording"/>'),
        "/recorded": lambda f: twiml("<Hangup/>"),
        "/recording": lambda f: ("", 204),
        "/status": lambda f: ("", 204),
    })
    sim.call(CALLER, HOTLINE, caller=leaves_voicemail(20),
             status_callback=f"{PUBLIC}/status")
    paths = [r.path for r in toy.received]
    assert paths == ["/voice/incoming", "/recorded", "/status", "/recording"]
    recording = toy.at("/recording")[0]
    assert recording["RecordingStatus"] == "completed" and recording["RecordingDuration"] == "20"
    assert toy.at("/recorded")[0]["Digits"] == "hangup"


def test_two_callers_at_once_and_two_volunteers_pressing_at_the_same_instant() -> None:
    claimed: list[str] = []

    def accept(form: dict[str, str]) -> str:
        if claimed:
            return twiml("<Say>Someone else took it</Say><Hangup/>")
        claimed.append(form["CallSid"])
        return twiml("<Say>You have the caller</Say><Pause length=\"5\"/>")

    sims: list[Simulator] = []
    routes = ring_routes(sims, ANA, BEN)
    routes["/screen"] = lambda f: twiml(
        '<Gather numDigits="1" action="/accept"><Say>Press 1</Say></Gather>')
    routes["/accept"] = accept
    sim, toy = simulate(routes, phones={ANA: answers(after=2), BEN: answers(after=2)})
    sims.append(sim)
    first = sim.start_call(CALLER, HOTLINE, caller=listens())
    second = sim.start_call("+16175550133", HOTLINE, caller=listens())
    sim.run_until_idle()
    accepts = toy.at("/accept")
    assert len(accepts) == 4 and len({f["CallSid"] for f in accepts}) == 4
    assert len(claimed) == 1
    a, b = sim.report(first), sim.report(second)
    assert a.duration == b.duration == 40.0
    heard = [leg.heard[-1] for leg in a.legs]
    assert sorted(heard).count("Someone else took it") == 3


def test_machine_detection_reports_answered_by() -> None:
    sim, toy = simulate({"/vm": lambda f: twiml("<Hangup/>")},
                        phones={ANA: voicemail(after=1)})
    sim.board.create_call(CallRequest(to=ANA, from_=HOTLINE, url=f"{PUBLIC}/vm",
                                      machine_detection="Enable"))
    sim.run_until_idle()
    assert toy.at("/vm")[0]["AnsweredBy"] == "machine_start"


def test_on_advance_sees_time_move_forward() -> None:
    seen: list[datetime] = []
    sim, _ = simulate({"/voice/incoming": lambda f: twiml('<Pause length="90"/>')})
    sim.on_advance(seen.append)
    sim.call(CALLER, HOTLINE, caller=listens())
    assert seen == sorted(seen) and (seen[-1] - seen[0]).total_seconds() == 90
