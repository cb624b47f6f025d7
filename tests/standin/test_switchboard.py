"""The switchboard as a `Carrier`: call states, refusals, messages, SIDs, the event loop."""

from __future__ import annotations

from datetime import timedelta

import pytest

from hotline.standin.carrier import CallRequest, CarrierError, MessageRequest
from hotline.standin.clock import EPOCH, Scheduler, VirtualClock
from hotline.standin.phones import answers, busy
from hotline.standin.switchboard import Switchboard
from tests.standin.toyapps import HOTLINE, PUBLIC, simulate, twiml

ANA = "+16175550111"


def test_create_call_is_queued_then_plays_out_per_the_phone() -> None:
    sim, toy = simulate({"/answer": lambda f: twiml('<Pause length="4"/>')},
                        phones={ANA: answers(after=2)})
    state = sim.board.create_call(CallRequest(to=ANA, from_=HOTLINE, url=f"{PUBLIC}/answer"))
    assert state.status == "queued" and state.direction == "outbound-api"
    assert state.sid.startswith("CA") and len(state.sid) == 34
    sim.advance(2)
    assert sim.board.fetch_call(state.sid).status == "ringing"
    sim.run_until_idle()
    final = sim.board.fetch_call(state.sid)
    assert final.status == "completed" and final.duration == 4
    assert final.start_time == EPOCH + timedelta(seconds=3)
    assert toy.at("/answer")[0]["CallStatus"] == "in-progress"


def test_busy_phone_and_bad_requests() -> None:
    board = Switchboard(phones={ANA: busy()})
    with pytest.raises(CarrierError) as missing:
        board.fetch_call("CA" + "0" * 32)
    assert missing.value.status == 404
    with pytest.raises(CarrierError):
        board.create_call(CallRequest(to=ANA, from_=HOTLINE))
    with pytest.raises(CarrierError):
        board.create_message(MessageRequest(to=ANA, from_=HOTLINE, body=""))


def test_redirecting_an_ended_call_is_refused() -> None:
    sim, _ = simulate({"/answer": lambda f: twiml("<Hangup/>")}, phones={ANA: busy()})
    sid = sim.board.create_call(CallRequest(to=ANA, from_=HOTLINE, url=f"{PUBLIC}/a")).sid
    sim.run_until_idle()
    assert sim.board.fetch_call(sid).status == "busy"
    with pytest.raises(CarrierError) as refused:
        sim.board.update_call(sid, url=f"{PUBLIC}/answer")
    assert refused.value.code == 21220
    assert sim.board.update_call(sid, status="completed").status == "busy"


def test_messages_are_recorded_and_report_delivery() -> None:
    sim, toy = simulate({"/sms": lambda f: ("", 204)})
    state = sim.board.create_message(MessageRequest(
        to=ANA, from_=HOTLINE, body="Call back soon", status_callback=f"{PUBLIC}/sms"))
    sim.run_until_idle()
    assert state.sid.startswith("SM") and sim.board.messages[0].body == "Call back soon"
    assert [f["MessageStatus"] for f in toy.at("/sms")] == ["sent", "delivered"]


def test_same_seed_same_sids_and_scheduler_runs_in_time_order() -> None:
    one, two = Switchboard(seed="x"), Switchboard(seed="x")
    assert one.sids.new("CA") == two.sids.new("CA")
    scheduler = Scheduler(VirtualClock())
    ran: list[str] = []
    scheduler.after(5, lambda: ran.append("late"))
    scheduler.after(1, lambda: ran.append("early"))
    cancelled = scheduler.after(3, lambda: ran.append("cancelled"))
    scheduler.soon(lambda: ran.append("now"))
    scheduler.cancel(cancelled)
    while scheduler.step():
        pass
    assert ran == ["now", "early", "late"]
    assert scheduler.now() == EPOCH + timedelta(seconds=5)


def test_transcript_masks_a_number_on_lines_that_did_not_declare_it() -> None:
    from hotline.standin.clock import EPOCH
    from hotline.standin.transcript import Transcript

    transcript = Transcript(EPOCH)
    transcript.log(EPOCH, "+15551230000 calls +16175550100", numbers=("+15551230000",))
    transcript.log(EPOCH, "app error: /voice answered 500: no caller +15551230000")
    text = transcript.render(mask=lambda n: "***" + n[-4:])
    assert "+15551230000" not in text
    assert text.splitlines()[1].endswith("no caller ***0000")


def test_a_mixed_phone_varies_by_call_and_repeats_by_seed() -> None:
    from hotline.standin.phones import Mix, answers, rings_out

    mix = Mix(((0.5, answers(after=2)), (0.5, rings_out())))
    one, two = Switchboard(phones={"+1": mix}, seed="s"), Switchboard(phones={"+1": mix}, seed="s")
    drawn = [one.script("+1").pickup for _ in range(40)]
    assert drawn == [two.script("+1").pickup for _ in range(40)]
    assert set(drawn) == {"answer", "no-answer"}


def test_a_patient_caller_hangs_up_only_if_nobody_was_bridged() -> None:
    from hotline.standin.phones import listens

    board = Switchboard()
    waiting, talking = (board._new_leg(to="+2", from_="+1", direction="inbound",
                                       party=listens(patience=5)) for _ in range(2))
    talking.bridged_with.append(("CA" + "0" * 32, board.now(), None))
    for leg in (waiting, talking):
        leg.status = "in-progress"
        board.start_party(leg)
    while board.scheduler.step():   # both patience timers fire
        pass
    assert not waiting.live and waiting.status == "canceled"
    assert talking.live
