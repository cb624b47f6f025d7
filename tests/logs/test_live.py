"""What the web app reads of calls: live calls per chapter and a volunteer's own calls, with no
caller number of any kind."""

from __future__ import annotations

from dataclasses import asdict
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from hotline.logs.live import calls_in_progress, calls_of_volunteer
from hotline.logs.models import Call, CallLeg
from hotline.roster.changes import volunteer_by_phone
from hotline.roster.store import chapter_by_slug
from hotline.runtime import Runtime
from hotline.standin.phones import answers, listens
from tests.conftest import RuntimeFactory
from tests.flows.harness import CALLER, HOTLINE, hotline, seed_chapter, status_url
from tests.web.helpers import seed

ANN, OTHER = "+16175550111", "+16175550188"


def test_live_calls_and_my_calls(runtime: Runtime) -> None:
    seed(runtime, "ann")
    now = runtime.clock()
    with runtime.transaction() as db:
        boston = chapter_by_slug(db, "boston-grief")
        chicago = chapter_by_slug(db, "chicago-recovery")
        ann = volunteer_by_phone(db, "+16175550111")
        calls = [Call(call_sid=f"CA{n:032d}", chapter_id=chapter.id, to_number="+16175550100",
                      caller_hint="***4321", caller_cipher="secret", phase=phase,
                      started_at=now - timedelta(minutes=n))
                 for n, (chapter, phase) in enumerate([(boston, "holding"), (boston, "answered"),
                                                       (boston, "finished"),
                                                       (chicago, "holding")], start=1)]
        db.add_all(calls)
        db.flush()
        leg = CallLeg(call_id=calls[1].id, volunteer_id=ann.id, volunteer_name=ann.name,
                      created_at=now - timedelta(minutes=2), outcome="answered")
        declined = CallLeg(call_id=calls[2].id, volunteer_id=ann.id, volunteer_name=ann.name,
                           created_at=now - timedelta(minutes=3), outcome="declined")
        db.add_all([leg, declined])
        db.flush()
        calls[1].answered_leg_id, calls[1].talk_seconds = leg.id, 95
    with runtime.sessions() as db:
        live = calls_in_progress(db, [boston.id])
        everywhere = calls_in_progress(db, None)
        mine = calls_of_volunteer(db, ann.id)
    assert [(c.talking, c.answered_by) for c in live] == [(True, "Ann Example"), (False, None)]
    assert len(everywhere) == 3
    assert [(c.outcome, c.talk_seconds) for c in mine] == [("answered", 95), ("declined", None)]
    shown = repr([asdict(row) for row in [*everywhere, *mine]])
    assert "4321" not in shown and "secret" not in shown


def test_a_drilled_call_is_holding_then_ringing_then_talking(make_runtime: RuntimeFactory) -> None:
    """Two callers, one volunteer, played through the real app: the live read model follows
    them from the call and leg rows the flow wrote (no row made by hand)."""
    line = hotline(make_runtime, {ANN: answers(after=8, talk_seconds=60)})
    ids = seed_chapter(line.runtime, {1: [ANN]})
    first = line.sim.start_call(CALLER, HOTLINE, caller=listens(hang_up_after=600),
                                status_callback=status_url())
    line.sim.start_call(OTHER, HOTLINE, caller=listens(hang_up_after=600), after=5,
                        status_callback=status_url())

    def board() -> list[tuple[Any, ...]]:
        with line.runtime.sessions() as db:
            live = calls_in_progress(db, None)
        return [(c.talking, c.position, c.ringing, c.answered_by) for c in live]

    seen: list[list[tuple[Any, ...]]] = [board()]
    while line.sim.live() or len(seen) == 1:
        line.sim.advance(1)
        if board() != seen[-1]:
            seen.append(board())
        if seen[-1] and seen[-1][0][0] and len(seen[-1]) == 2:
            with line.runtime.sessions() as db:
                row = calls_in_progress(db, None)[0]
                call = db.scalar(select(Call).where(Call.call_sid == first().sid))
                assert call is not None and row.call_id == call.id
                assert row.talking_since == call.answered_at is not None
                assert calls_in_progress(db, [ids[ANN] + 1000]) == []   # no such chapter
    ann = "Volunteer 0111"
    assert seen == [
        [],
        [(False, 1, (ann,), None)],                           # the first caller rings Ann
        [(False, 1, (ann,), None), (False, 2, (), None)],     # the second waits behind
        [(True, None, (), ann), (False, 1, (), None)],        # Ann took the first
        [(False, 1, (ann,), None)],                           # she hung up: rung for the next
        [(True, None, (), ann)],
        [],
    ]
