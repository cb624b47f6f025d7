"""`hotline oncall` lists volunteers in the order a real call rings them, for both strategies."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from hotline.app import create_app
from hotline.jobs import ManualRunner
from hotline.logs.models import Call, CallLeg
from hotline.roster.models import Chapter
from hotline.runtime import build_runtime
from hotline.standin.phones import leaves_voicemail, rings_out
from hotline.standin.simulator import Simulator
from hotline.standin.switchboard import Switchboard
from hotline.standin.transport import WsgiTarget
from hotline.telephony.standin import StandinTelephony
from hotline.throttle import Throttle
from tests.conftest import TEST_AUTH_TOKEN, TEST_PUBLIC_URL, make_settings
from tests.flows.harness import CALLER, HOTLINE, seed_chapter
from tests.test_cli import run

TIER_1 = [f"+1617555014{n}" for n in range(4)]
TIER_2 = [f"+1617555015{n}" for n in range(2)]


@pytest.mark.parametrize("strategy", ["all", "sequential"])
def test_oncall_and_a_real_call_ring_the_same_phones_in_the_same_order(
    clean_database_url: str, tmp_path: Path, strategy: str,
) -> None:
    board = Switchboard(phones={n: rings_out() for n in TIER_1 + TIER_2})
    runner = ManualRunner(board.now)
    settings = make_settings(clean_database_url)
    runtime = build_runtime(settings, telephony=StandinTelephony(board), jobs=runner,
                            clock=board.now, throttle=Throttle.off())
    ids = seed_chapter(runtime, {1: TIER_1, 2: TIER_2}, ring_strategy=strategy,
                       ring_timeout_seconds=10, max_wait_seconds=60)
    now = board.now()
    with runtime.transaction() as session:    # an offer history, so the order is not by id
        chapter_id = session.scalar(select(Chapter.id))
        past = Call(call_sid="CA" + "e" * 32, chapter_id=chapter_id, to_number=HOTLINE,
                    started_at=now - timedelta(hours=3), phase="finished", outcome="answered")
        session.add(past)
        session.flush()
        for hours, phone in ((1, TIER_1[0]), (2, TIER_1[2]), (2.5, TIER_2[1])):
            session.add(CallLeg(call_id=past.id, volunteer_id=ids[phone], status="completed",
                                outcome="no_answer", created_at=now - timedelta(hours=hours)))
    at = now.strftime("%Y-%m-%dT%H:%M:%SZ")
    listed = run(["oncall", "boston-grief", "--at", at, "--format", "json"], tmp_path,
                 HOTLINE_DATABASE_URL=clean_database_url)
    assert listed.returncode == 0, listed.stderr
    waves = json.loads(listed.stdout)["waves"]
    printed = [v["phone"] for wave in waves for v in wave["volunteers"]]
    assert printed[:4] == [TIER_1[1], TIER_1[3], TIER_1[2], TIER_1[0]]   # never offered first

    sim = Simulator(WsgiTarget(create_app(runtime=runtime), TEST_PUBLIC_URL, TEST_AUTH_TOKEN),
                    board, on_advance=lambda moment: runner.run_due(moment) and None)
    report = sim.call(CALLER, HOTLINE, caller=leaves_voicemail(5))
    rung = [leg.to for leg in report.legs][:len(printed)]
    assert rung == printed
    runtime.engine.dispose()
