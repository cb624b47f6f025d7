"""The shared stand-in's bookkeeping: scripts travel as JSON; a leg is its drill's."""

from __future__ import annotations

from hotline.drill import BEHAVIOURS, caller_script
from hotline.drillstandin import SharedBoard, party_from_json, party_json
from hotline.standin.carrier import CallRequest
from hotline.standin.phones import Caller, Phone


def test_scripts_survive_json() -> None:
    for action in ("listens", "hangs-up", "voicemail", "callback"):
        caller = caller_script(action, 12.0)
        assert party_from_json(Caller, party_json(caller)) == caller
    for make in BEHAVIOURS.values():
        phone = make(4.0)
        assert party_from_json(Phone, party_json(phone)) == phone


def test_a_leg_rings_with_its_own_drills_script() -> None:
    owners = {"https://app.test/voice/legs/1/answer": "CA-first",
              "https://app.test/voice/legs/2/answer": "CA-second"}
    board = SharedBoard("AC" + "1" * 32, "token",
                        lambda request: owners.get(request.url or ""))
    board.books = {"CA-first": {"+16175550111": BEHAVIOURS["answers"](4.0)},
                   "CA-second": {"+16175550111": BEHAVIOURS["declines"](4.0)}}
    board.latest = "CA-second"
    placed = {}
    for url in (*owners, "https://app.test/voice/elsewhere"):
        state = board.create_call(CallRequest(to="+16175550111", from_="+16175550100", url=url))
        placed[url] = state.sid
    first, second, other = placed.values()
    assert board.owner(first) == "CA-first" and board.legs[first].party.replies == ("1",)
    assert board.owner(second) == "CA-second" and board.legs[second].party.replies != ("1",)
    assert board.owner(other) == "CA-second"        # no leg row: the latest drill's
