"""Caps and the CallSid binding, over HTTP against `hotline serve` (gunicorn): the flood
and the ring-bombing of the review, and a signed request steering another call."""

from __future__ import annotations

import threading
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from hotline.db import make_engine
from hotline.logs.models import Call, CallbackRequest, CallLeg, Phase
from hotline.standin.clock import RealClock
from hotline.standin.rest import create_rest_app, serve_rest
from hotline.standin.switchboard import Switchboard
from tests.conftest import TEST_ACCOUNT_SID, TEST_AUTH_TOKEN
from tests.served.gunicorn import Served, free_port, served_env, serving
from tests.test_cli import run

LINE_A, LINE_B = "+16175550100", "+16175550200"
ROTA = f'''
[[chapter]]
slug = "line-a"
name = "Line A"
timezone = "UTC"
numbers = ["{LINE_A}"]
max_holding = 4
reject_withheld = true

[[chapter]]
slug = "line-b"
name = "Line B"
timezone = "UTC"
numbers = ["{LINE_B}"]

[[volunteer]]
name = "Ann Example"
phone = "+16175550111"

[[volunteer]]
name = "Ben Okafor"
phone = "+16175550112"

[[shift]]
chapter = "line-a"
volunteer = "+16175550111"
days = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
start = "00:00"
end = "00:00"

[[shift]]
chapter = "line-b"
volunteer = "+16175550112"
days = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
start = "00:00"
end = "00:00"
'''


@pytest.fixture
def served(clean_database_url: str, tmp_path: Path) -> Iterator[tuple[Served, Engine]]:
    """Two lines served; their volunteers' phones are rung through a REST stand-in whose
    calls never progress (nobody drives it), so every leg keeps ringing."""
    rest_port = free_port()
    env = {**served_env(clean_database_url, free_port(), rest_port),
           "HOTLINE_TWILIO_CALLS_PER_SECOND": "50"}
    (tmp_path / "rota.toml").write_text(ROTA)
    imported = run(["rota", "import", str(tmp_path / "rota.toml")], tmp_path, **env)
    assert imported.returncode == 0, imported.stderr
    board = Switchboard(RealClock(), TEST_ACCOUNT_SID)
    _, stop_rest = serve_rest(create_rest_app(board, TEST_AUTH_TOKEN), port=rest_port)
    engine = make_engine(clean_database_url)
    try:
        with serving(env, tmp_path) as server:
            yield server, engine
    finally:
        stop_rest()
        engine.dispose()


def ring(server: Served, n: int, caller: str, to: str = LINE_A) -> ET.Element:
    status, body = server.post("/voice/incoming", {
        "CallSid": f"CA{n:032x}", "From": caller, "To": to, "CallStatus": "ringing",
        "Direction": "inbound", "AccountSid": TEST_ACCOUNT_SID})
    assert status == 200, body
    return ET.fromstring(body)


def held(engine: Engine, *sids: str) -> dict[str, tuple[Phase, str | None]]:
    with engine.connect() as conn:
        rows = conn.execute(select(Call.call_sid, Call.phase, Call.cap)
                            .where(Call.call_sid.in_(sids) if sids else True))
        return {sid: (phase, cap) for sid, phase, cap in rows}


def test_floods_and_ring_bombing_are_capped(served: tuple[Served, Engine]) -> None:
    server, engine = served
    # One number, twenty calls at once (the review's ring-bombing): two are let in.
    bomb = [threading.Thread(target=ring, args=(server, n, "+16175550666", LINE_B))
            for n in range(100, 120)]
    for thread in bomb:
        thread.start()
    for thread in bomb:
        thread.join()
    bombed = held(engine, *(f"CA{n:032x}" for n in range(100, 120)))
    let_in = [sid for sid, (phase, _) in bombed.items() if phase is Phase.HOLDING]
    # At most the cap, plus calls in flight together (2 workers x 4 threads) on PostgreSQL.
    assert 2 <= len(let_in) <= 2 + 8
    assert {cap for _, cap in bombed.values()} == {None, "caller"}
    # Many numbers, forty calls at once (the flood): line A holds at most its 4.
    flood = [threading.Thread(target=ring, args=(server, n, f"+1617555{n:04d}"))
             for n in range(200, 240)]
    for thread in flood:
        thread.start()
    for thread in flood:
        thread.join()
    flooded = held(engine, *(f"CA{n:032x}" for n in range(200, 240)))
    holding = [sid for sid, (phase, _) in flooded.items() if phase is Phase.HOLDING]
    assert 4 <= len(holding) <= 4 + 8
    assert sum(cap == "chapter" for _, cap in flooded.values()) == 40 - len(holding)
    busy = ring(server, 300, "+16175559999")
    assert "lines are busy" in (busy.findtext("Say") or "") and busy.find("Record") is not None
    # Withheld numbers are refused on line A (it says so), held on line B.
    assert ring(server, 301, "anonymous").find("Reject") is not None
    assert ring(server, 302, "anonymous", LINE_B).find("Enqueue") is not None
    log = server.log()
    assert "turned away: caller cap" in log and "turned away: chapter cap" in log
    assert "+16175550666" not in log and "***0666" in log


def _legs(engine: Engine, *sids: str) -> dict[str, tuple[int, str]]:
    """Each call's leg (id, SID) once its ringing job has stored the SID."""
    deadline = time.monotonic() + 15
    while True:
        with engine.connect() as conn:
            rows = conn.execute(select(Call.call_sid, CallLeg.id, CallLeg.call_sid)
                                .join(CallLeg, CallLeg.call_id == Call.id)
                                .where(Call.call_sid.in_(sids), CallLeg.call_sid.is_not(None)))
            legs = {sid: (leg_id, leg_sid) for sid, leg_id, leg_sid in rows}
        if len(legs) == len(sids) or time.monotonic() > deadline:
            return legs
        time.sleep(0.1)


def test_a_signed_request_cannot_steer_another_call(served: tuple[Served, Engine]) -> None:
    server, engine = served
    sid_a, sid_b = f"CA{1:032x}", f"CA{2:032x}"
    ring(server, 1, "+16175550198")
    ring(server, 2, "+16175550199", LINE_B)
    legs = _legs(engine, sid_a, sid_b)
    (_, leg_a_sid), (leg_b, leg_b_sid) = legs[sid_a], legs[sid_b]
    with engine.connect() as conn:
        call_a, call_b = (conn.scalar(select(Call.id).where(Call.call_sid == s))
                          for s in (sid_a, sid_b))
    # The review's two findings: leg 1's CallSid accepting on leg 2, another call's on hold.
    assert server.post(f"/voice/legs/{leg_b}/accept",
                       {"CallSid": leg_a_sid, "Digits": "1"})[0] == 404
    assert server.post(f"/voice/calls/{call_b}/hold",
                       {"CallSid": sid_a, "QueueTime": "5"})[0] == 404
    assert held(engine, sid_b)[sid_b][0] is Phase.HOLDING
    status, body = server.post(f"/voice/legs/{leg_b}/accept",
                               {"CallSid": leg_b_sid, "Digits": "1"})
    assert status == 200 and ET.fromstring(body).findtext("Dial/Queue") == sid_b
    # Call A ends; a replayed menu request for it changes nothing.
    assert server.post("/voice/status", {"CallSid": sid_a, "CallStatus": "completed",
                                         "SequenceNumber": "3"})[0] == 204
    status, body = server.post(f"/voice/calls/{call_a}/menu", {"CallSid": sid_a,
                                                               "Digits": "1"})
    assert status == 200 and ET.fromstring(body).find("Hangup") is not None
    with engine.connect() as conn:
        assert conn.scalar(select(CallbackRequest.id)) is None
