"""What volunteers and coordinators do on the pages, checked on what the system then does:
the rota the resolver reads, the rows written, the audit log, the feed served."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from hotline.accounts.models import Role, User
from hotline.accounts.users import add_user
from hotline.audit.log import entries_for, verify
from hotline.logs.models import Call, CallLeg, LegOutcome, LegStatus, Phase
from hotline.logs.records import open_call
from hotline.phone import E164
from hotline.roster import models
from hotline.roster.changes import volunteer_by_phone
from hotline.roster.store import chapter_by_slug
from hotline.runtime import Runtime
from tests.web.helpers import csrf
from tests.web.test_rota_pages import on_call

ANN, BEN = "+16175550111", "+16175550112"
FRIDAY_7PM = datetime(2026, 3, 13, 23, tzinfo=UTC)       # Ann's shift, 19:00 EDT
TUESDAY_730PM = datetime(2026, 3, 10, 23, 30, tzinfo=UTC)  # Ben tier 1, Dev tier 2 (Boston)


def boston(runtime: Runtime) -> int:
    with runtime.sessions() as db:
        return chapter_by_slug(db, "boston-grief").id


def test_a_password_set_on_the_page_is_stored_as_argon2id(app: Flask, seeded: Runtime) -> None:
    with seeded.transaction() as db:
        _user, token = add_user(db, "new@example.org", "New", Role.ADMIN,
                                now=seeded.clock())
    client = app.test_client()
    page = client.get(f"/set-password/{token}")
    saved = client.post(f"/set-password/{token}", data={
        "password": "a long new password", "confirm": "a long new password",
        "csrf_token": csrf(page.data)})
    assert saved.status_code == 302
    with seeded.sessions() as db:
        stored = db.scalars(select(User.password_hash)
                            .where(User.email == "new@example.org")).one()
    assert stored is not None and stored.startswith("$argon2id$")
    assert "a long new password" not in stored


def test_a_volunteer_marked_unavailable_is_not_rung(login: Callable[[str], FlaskClient],
                                                    seeded: Runtime) -> None:
    assert on_call(seeded, FRIDAY_7PM) == ["Ann Example"]
    ann = login("ann")
    page = ann.get("/me").data.decode()
    marked = ann.post("/me/unavailable", data={
        "csrf_token": csrf(page), "away-start": "2026-03-13T17:00",
        "away-end": "2026-03-13T23:00", "away-reason": "family"})
    assert marked.status_code == 302
    assert on_call(seeded, FRIDAY_7PM) == []
    assert on_call(seeded, FRIDAY_7PM + timedelta(days=7)) == ["Ann Example"]  # that day only
    with seeded.sessions() as db:
        ann_id = volunteer_by_phone(db, ANN).id
        (row,) = db.scalars(select(models.Unavailability)
                            .where(models.Unavailability.volunteer_id == ann_id)).all()
        assert (row.start, row.end) == (FRIDAY_7PM - timedelta(hours=2),
                                        FRIDAY_7PM + timedelta(hours=4))
        (entry,) = entries_for(db, [boston(seeded)], limit=1)
    assert entry.action == "unavailable.add" and entry.actor == "web:ann@example.org"


def test_my_shifts_gives_a_calendar_link_that_serves_my_shifts(
    login: Callable[[str], FlaskClient], app: Flask
) -> None:
    ann = login("ann")
    page = ann.get("/me").data.decode()
    assert "Make my calendar link" in page
    shown = ann.post("/me/calendar", data={"csrf_token": csrf(page)}).data.decode()
    found = re.search(r'<code class="secret">https://hotline\.test(/calendar/[\w-]+\.ics)</code>',
                      shown)
    assert found is not None, shown
    feed = app.test_client().get(found.group(1))            # a calendar app: no sign-in
    assert feed.status_code == 200 and feed.mimetype == "text/calendar"
    body = feed.data.decode()
    assert body.startswith("BEGIN:VCALENDAR") and "BEGIN:VEVENT" in body
    assert app.test_client().get("/calendar/not-a-token.ics").status_code == 404


def test_a_coordinator_refuses_a_swap(login: Callable[[str], FlaskClient],
                                      seeded: Runtime) -> None:
    ann, ben, coordinator = login("ann"), login("ben"), login("boston")
    mine = ann.get("/me").data.decode()
    ann.post("/me/swaps", data={"csrf_token": csrf(mine), "chapter": boston(seeded),
                                "start": "2026-03-13T18:00", "end": "2026-03-13T22:00"})
    with seeded.sessions() as db:
        swap_id = db.scalars(select(models.SwapRequest.id)).one()
    ben.post(f"/me/swaps/{swap_id}/take", data={"csrf_token": csrf(ben.get("/me").data)})
    week = coordinator.get("/chapters/boston-grief/rota").data.decode()
    assert f"/swaps/{swap_id}/refuse" in week
    refused = coordinator.post(f"/chapters/boston-grief/rota/swaps/{swap_id}/refuse",
                               data={"csrf_token": csrf(week)})
    assert refused.status_code == 302
    with seeded.sessions() as db:
        swap = db.get(models.SwapRequest, swap_id)
        assert swap is not None
        assert (swap.status, swap.decided_at, swap.override_id) == (
            "declined", seeded.clock(), None)
        entry = entries_for(db, [boston(seeded)], limit=1)[0]
        assert verify(db).problems == ()
    assert (entry.action, entry.actor) == ("swap.refuse", "web:coord@example.org")
    assert (entry.before["status"], entry.after["status"]) == ("taken", "declined")
    assert on_call(seeded, FRIDAY_7PM) == ["Ann Example"]        # the rota is unchanged
    assert f"/me/swaps/{swap_id}/withdraw" not in ann.get("/me").data.decode()


def call_in_progress(runtime: Runtime, volunteer: str | None, minutes_ago: int,
                     sid: str) -> None:
    with runtime.transaction() as db:
        call_id = open_call(db, runtime.privacy, call_sid=sid, to_number="+16175550100",
                            caller=E164("+16175550199"), chapter_id=boston(runtime),
                            started_at=runtime.clock() - timedelta(minutes=minutes_ago))
        if volunteer is None:
            return
        call = db.get(Call, call_id)
        helper = volunteer_by_phone(db, volunteer)
        assert call is not None
        leg = CallLeg(call_id=call_id, volunteer_id=helper.id, volunteer_name=helper.name,
                      status=LegStatus.IN_PROGRESS, created_at=call.started_at)
        db.add(leg)
        db.flush()
        call.phase, call.answered_leg_id = Phase.ANSWERED, leg.id


def test_today_shows_who_is_on_call_by_tier_and_the_calls_going_on(
    login: Callable[[str], FlaskClient], seeded: Runtime
) -> None:
    seeded.clock.now = TUESDAY_730PM  # type: ignore[attr-defined]
    call_in_progress(seeded, BEN, 4, "CA" + "1" * 32)
    call_in_progress(seeded, None, 1, "CA" + "2" * 32)
    page = login("boston").get("/today").data.decode()
    tiers = dict(re.findall(r'<li data-tier="(\d)"><strong>[^<]*</strong> ([^<]*)</li>', page))
    assert tiers == {"1": "Ben Okafor", "2": "Dev Patel"}
    assert "since 19:26: talking with Ben Okafor" in page
    assert "since 19:29: waiting for a volunteer" in page
    assert "0199" not in page                                  # never the caller's number


def test_my_calls_lists_my_own_calls_only(login: Callable[[str], FlaskClient],
                                          seeded: Runtime) -> None:
    with seeded.transaction() as db:
        for phone, at, talk, sid in ((ANN, datetime(2026, 3, 9, 23, 5, tzinfo=UTC), 307, "1"),
                                     (BEN, datetime(2026, 3, 8, 0, 10, tzinfo=UTC), 1234, "2")):
            helper = volunteer_by_phone(db, phone)
            call_id = open_call(db, seeded.privacy, call_sid="CA" + sid * 32,
                                to_number="+16175550100", caller=E164("+16175550199"),
                                chapter_id=boston(seeded), started_at=at)
            leg = CallLeg(call_id=call_id, volunteer_id=helper.id, volunteer_name=helper.name,
                          status=LegStatus.COMPLETED, outcome=LegOutcome.ANSWERED,
                          created_at=at)
            db.add(leg)
            db.flush()
            call = db.get(Call, call_id)
            assert call is not None
            call.phase, call.answered_leg_id, call.talk_seconds = Phase.FINISHED, leg.id, talk
    page = login("ann").get("/me/calls").data.decode()
    assert "2026-03-09 23:05" in page and "5 min 7 s" in page
    assert "2026-03-08 00:10" not in page and "20 min 34 s" not in page
    assert "0199" not in page
    ben = login("ben").get("/me/calls").data.decode()
    assert "2026-03-08 00:10" in ben and "2026-03-09 23:05" not in ben
