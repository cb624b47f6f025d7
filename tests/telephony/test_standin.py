"""StandinTelephony: the app's Telephony interface straight into the switchboard."""

from __future__ import annotations

import pytest

from hotline.standin.phones import answers, rings_out
from hotline.telephony import OutboundCall, TelephonyError
from hotline.telephony.standin import StandinTelephony
from tests.standin.toyapps import HOTLINE, PUBLIC, simulate, twiml

ANA, BEN = "+16175550111", "+16175550122"


def test_place_stop_move_and_text() -> None:
    sim, toy = simulate({
        "/screen": lambda f: twiml('<Pause length="60"/>'),
        "/moved": lambda f: twiml("<Say>Moved</Say>"),
        "/status": lambda f: ("", 204),
    }, phones={ANA: answers(after=1), BEN: rings_out()})
    phone = StandinTelephony(sim.board)
    ana = phone.place_call(OutboundCall(ANA, HOTLINE, f"{PUBLIC}/screen", f"{PUBLIC}/status"))
    ben = phone.place_call(OutboundCall(BEN, HOTLINE, f"{PUBLIC}/screen", f"{PUBLIC}/status"))
    sim.advance(5)
    phone.move_call(ana, f"{PUBLIC}/moved")
    phone.stop_call(ben)
    sim.run_until_idle()
    assert sim.board.fetch_call(ana).status == "completed"
    assert sim.board.fetch_call(ben).status == "canceled"
    assert sim.board.legs[ana].heard == ["Moved"]
    assert [f["CallStatus"] for f in toy.at("/status") if f["CallSid"] == ben][-1] == "canceled"
    sid = phone.send_sms(ANA, HOTLINE, "Thanks for calling")
    assert sim.board.messages[-1].sid == sid


def test_errors_become_telephony_errors() -> None:
    sim, _ = simulate({})
    with pytest.raises(TelephonyError):
        StandinTelephony(sim.board).stop_call("CA" + "0" * 32)
    with pytest.raises(TelephonyError):
        StandinTelephony(sim.board).send_sms(ANA, HOTLINE, "")
