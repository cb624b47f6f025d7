"""What the web app reads of calls: live calls per chapter and a volunteer's own calls, with no
caller number of any kind."""

from __future__ import annotations

from dataclasses import asdict
from datetime import timedelta

from hotline.logs.live import calls_in_progress, calls_of_volunteer
from hotline.logs.models import Call, CallLeg
from hotline.roster.changes import volunteer_by_phone
from hotline.roster.store import chapter_by_slug
from hotline.runtime import Runtime
from tests.web.helpers import seed


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
