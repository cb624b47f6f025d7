"""Real-time mode: the same simulator against a toy app served over real HTTP on 127.0.0.1."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from werkzeug.serving import make_server

from hotline.standin.clock import RealClock
from hotline.standin.phones import answers, listens
from hotline.standin.simulator import Simulator
from hotline.standin.switchboard import Switchboard
from hotline.standin.transport import HttpTarget
from hotline.telephony import OutboundCall
from hotline.telephony.standin import StandinTelephony
from tests.standin.toyapps import CALLER, HOTLINE, TOKEN, Toy, toy_app, twiml

ANA = "+16175550111"


@pytest.fixture
def served() -> Iterator[tuple[str, list[Any]]]:
    """A server whose WSGI app is filled in by the test (so it can know its own URL)."""
    slot: list[Any] = []
    server = make_server("127.0.0.1", 0, lambda env, start: slot[0](env, start))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", slot
    server.shutdown()
    thread.join(timeout=5)


def test_real_time_call_over_http_places_a_rest_leg(served: tuple[str, list[Any]]) -> None:
    url, slot = served
    board = Switchboard(RealClock(), phones={ANA: answers(after=0.5)}, ring_delay=0.2)

    def incoming(form: dict[str, str]) -> str:
        # Runs in the server's thread, as a served app's request would.
        StandinTelephony(board).place_call(OutboundCall(
            to=ANA, from_=HOTLINE, url=f"{url}/screen", status_callback=f"{url}/status"))
        return twiml('<Say>Hello</Say><Pause length="1"/><Hangup/>')

    toy: Toy = toy_app({
        "/voice/incoming": incoming, "/screen": lambda f: twiml("<Hangup/>"),
        "/status": lambda f: ("", 204)}, public=url)
    slot.append(toy.app)
    sim = Simulator(HttpTarget(url, TOKEN), board, settle=0.2)
    started = time.monotonic()
    report = sim.call(CALLER, HOTLINE, caller=listens())
    wall = time.monotonic() - started
    assert 1.9 <= wall < 4.0
    assert 1.9 <= report.duration < 2.5
    assert all(r.signed for r in toy.received)
    leg = report.leg(ANA)
    assert leg.status == "completed" and leg.answered_at is not None
    assert 0.6 < leg.answered_at < 1.5
    assert [f["CallStatus"] for f in toy.at("/status")][-1] == "completed"
