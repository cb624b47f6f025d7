"""Rotations added, changed and ended, weekly shifts ended, overrides withdrawn and changed on
the rota pages: what the rota says afterwards, what the database keeps, what the log says."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import select

from hotline.audit.log import entries_for
from hotline.roster import models
from hotline.roster.store import chapter_by_slug
from hotline.runtime import Runtime
from tests.web.helpers import csrf
from tests.web.test_rota_pages import ROTA, form_post, on_call, volunteer_id

ANN, BEN, DEV = "+16175550111", "+16175550112", "+16175550114"
WEDNESDAY_NOON = datetime(2026, 3, 11, 16, tzinfo=UTC)     # 12:00 EDT: nobody at tier 3
NEXT_TUESDAY_NOON = datetime(2026, 3, 17, 16, tzinfo=UTC)
FRIDAY_7PM = datetime(2026, 3, 13, 23, tzinfo=UTC)         # Ann's shift, 19:00 EDT
LAST_MONDAY_7PM = datetime(2026, 3, 9, 23, tzinfo=UTC)     # before "now" (10 March 18:30Z)


def log(runtime: Runtime, limit: int = 200) -> list[tuple[str, Any, Any]]:
    with runtime.sessions() as db:
        chapter = chapter_by_slug(db, "boston-grief").id
        return [(e.action, e.before, e.after) for e in entries_for(db, [chapter], limit=limit)]


def press(client: FlaskClient, url: str) -> str:
    """Press a button of the week view (a POST with the page's CSRF token); the next page."""
    response = client.post(url, data={"csrf_token": csrf(client.get(ROTA).data)})
    assert response.status_code == 302, response.status_code
    return client.get(response.headers["Location"]).data.decode()


def later(runtime: Runtime, minutes: int = 10) -> datetime:
    runtime.clock.now += timedelta(minutes=minutes)  # type: ignore[attr-defined]
    return runtime.clock()


def rotation_form(members: list[int], **changes: object) -> dict[str, object]:
    form: dict[str, object] = {"name": "daytime fallback", "anchor": "2026-03-09",
                               "handoff": "09:00", "every": 1, "unit": "weeks", "tier": 3}
    form.update({f"members-{n}": member for n, member in enumerate(members + [0] * 6) if n < 6})
    return {**form, **changes}


def test_a_rotation_added_changed_and_ended(login: Callable[[str], FlaskClient],
                                            seeded: Runtime) -> None:
    client = login("boston")
    ann, ben = volunteer_id(seeded, ANN), volunteer_id(seeded, BEN)
    assert on_call(seeded, WEDNESDAY_NOON, 3) == []
    assert form_post(client, f"{ROTA}/rotations/new", rotation_form([ann, ben])) == ""
    assert on_call(seeded, WEDNESDAY_NOON, 3) == ["Ann Example"]     # turn from Monday 9 March
    assert on_call(seeded, NEXT_TUESDAY_NOON, 3) == ["Ben Okafor"]
    with seeded.sessions() as db:
        first = db.scalars(select(models.Rotation).where(
            models.Rotation.name == "daytime fallback")).one()
    action, before, after = log(seeded)[0]
    assert (action, before, after["members"], after["tier"]) == ("rotation.add", None,
                                                                 [ann, ben], 3)
    assert f"{ROTA}/rotations/{first.id}" in client.get(ROTA).data.decode()

    changed_at = later(seeded)
    assert form_post(client, f"{ROTA}/rotations/{first.id}", rotation_form([ben, ann])) == ""
    assert on_call(seeded, WEDNESDAY_NOON, 3) == ["Ben Okafor"]
    assert on_call(seeded, changed_at - timedelta(minutes=5), 3) == ["Ann Example"]  # the past
    with seeded.sessions() as db:
        versions = db.scalars(select(models.Rotation).where(
            models.Rotation.name == "daytime fallback").order_by(models.Rotation.id)).all()
        assert [v.valid_until for v in versions] == [changed_at, None]
        assert versions[1].valid_from == changed_at
        second = versions[1].id
    action, before, after = log(seeded)[0]
    assert (action, before["members"], after["members"]) == ("rotation.change", [ann, ben],
                                                             [ben, ann])

    ended_at = later(seeded)
    page = press(client, f"{ROTA}/rotations/{second}/end")
    assert "Ended from now on; the past keeps it." in page
    assert on_call(seeded, WEDNESDAY_NOON, 3) == []
    assert on_call(seeded, ended_at - timedelta(minutes=5), 3) == ["Ben Okafor"]
    with seeded.sessions() as db:
        row = db.get(models.Rotation, second)
        assert row is not None and row.valid_until == ended_at
    action, before, after = log(seeded)[0]
    assert (action, before["id"], after) == ("rotation.end", second, None)


def test_ending_a_weekly_shift_keeps_its_past(login: Callable[[str], FlaskClient],
                                              seeded: Runtime) -> None:
    client = login("boston")
    with seeded.sessions() as db:
        shift = db.scalars(select(models.Shift).where(
            models.Shift.volunteer_id == volunteer_id(seeded, ANN))).one()
    assert on_call(seeded, FRIDAY_7PM) == ["Ann Example"]
    press(client, f"{ROTA}/shifts/{shift.id}/end")
    assert on_call(seeded, FRIDAY_7PM) == []
    assert on_call(seeded, LAST_MONDAY_7PM) == ["Ann Example"]
    with seeded.sessions() as db:
        row = db.get(models.Shift, shift.id)
        assert row is not None and row.valid_until == seeded.clock()
    action, before, after = log(seeded)[0]
    assert (action, before["days"], after) == ("shift.end", "mon,wed,fri", None)


def add_override(client: FlaskClient, runtime: Runtime, phone: str, start: str, end: str,
                 tier: int = 1) -> int:
    assert form_post(client, f"{ROTA}/overrides/new", {
        "kind": "add", "volunteer": volunteer_id(runtime, phone), "tier": tier, "start": start,
        "end": end, "reason": "cover"}) == ""
    with runtime.sessions() as db:
        return db.scalars(select(models.Override.id).order_by(models.Override.id.desc())).first()


def test_withdrawing_overrides(login: Callable[[str], FlaskClient], seeded: Runtime) -> None:
    client = login("boston")
    ahead = add_override(client, seeded, DEV, "2026-03-20T09:00", "2026-03-20T11:00")
    started = add_override(client, seeded, DEV, "2026-03-10T14:00", "2026-03-10T16:00")
    friday_930 = datetime(2026, 3, 20, 13, 30, tzinfo=UTC)
    assert on_call(seeded, friday_930) == ["Dev Patel"]
    page = press(client, f"{ROTA}/overrides/{ahead}/end")
    assert "Override withdrawn." in page
    assert on_call(seeded, friday_930) == []
    now = later(seeded)
    press(client, f"{ROTA}/overrides/{started}/end")
    with seeded.sessions() as db:
        assert db.get(models.Override, ahead) is None                 # had not started
        row = db.get(models.Override, started)
        assert row is not None and row.end == now                     # cut short at now
    assert on_call(seeded, now + timedelta(minutes=5)) == []
    assert on_call(seeded, now - timedelta(minutes=5)) == ["Dev Patel"]
    assert [(a, b, c["id"]) for a, b, c in log(seeded, 2)] == [
        ("override.end", None, started), ("override.end", None, ahead)]


def test_changing_an_override_is_a_new_version_in_the_log(
    login: Callable[[str], FlaskClient], seeded: Runtime
) -> None:
    client = login("boston")
    dev, ben = volunteer_id(seeded, DEV), volunteer_id(seeded, BEN)
    first = add_override(client, seeded, DEV, "2026-03-20T09:00", "2026-03-20T11:00")
    week = client.get(f"{ROTA}?week=2026-03-16").data.decode()
    assert f'href="{ROTA}/overrides/{first}"' in week
    page = client.get(f"{ROTA}/overrides/{first}").data.decode()
    assert "Change an override" in page and "Add someone" in page
    assert 'value="2026-03-20T09:00"' in page and 'value="2026-03-20T11:00"' in page
    assert '<label for="tier">' in page and 'name="kind"' not in page
    assert form_post(client, f"{ROTA}/overrides/{first}", {
        "volunteer": ben, "tier": 2, "start": "2026-03-20T10:00", "end": "2026-03-20T12:00",
        "reason": "Dev is away"}) == ""
    assert on_call(seeded, datetime(2026, 3, 20, 13, 30, tzinfo=UTC)) == []       # 09:30 EDT
    assert on_call(seeded, datetime(2026, 3, 20, 14, 30, tzinfo=UTC), 2) == ["Ben Okafor"]
    with seeded.sessions() as db:
        assert db.get(models.Override, first) is None          # it had not started: replaced
        row = db.scalars(select(models.Override).where(models.Override.chapter_id ==
                                                       chapter_by_slug(db, "boston-grief").id)
                         ).one()
        assert (row.kind, row.volunteer_id, row.tier, row.reason) == ("add", ben, 2,
                                                                     "Dev is away")
        assert (row.start, row.end) == (datetime(2026, 3, 20, 14, tzinfo=UTC),
                                        datetime(2026, 3, 20, 16, tzinfo=UTC))
    action, before, after = log(seeded)[0]
    assert action == "override.change"
    assert (before["id"], before["volunteer_id"], before["tier"]) == (first, dev, 1)
    assert (after["id"], after["volunteer_id"], after["tier"]) == (row.id, ben, 2)
    assert after["start"].startswith("2026-03-20T14:00")


def test_an_override_change_that_cannot_be_says_what_to_fix(
    login: Callable[[str], FlaskClient], seeded: Runtime
) -> None:
    client = login("boston")
    first = add_override(client, seeded, BEN, "2026-03-20T09:00", "2026-03-20T11:00")
    other = add_override(client, seeded, BEN, "2026-03-20T15:00", "2026-03-20T17:00", tier=3)
    entries = len(log(seeded))
    url, ben = f"{ROTA}/overrides/{first}", volunteer_id(seeded, BEN)
    backwards = form_post(client, url, {"volunteer": ben, "tier": 1, "start": "2026-03-20T11:00",
                                        "end": "2026-03-20T09:00"})
    assert "an override must end after it starts" in backwards
    clash = form_post(client, url, {"volunteer": ben, "tier": 1, "start": "2026-03-20T09:00",
                                    "end": "2026-03-20T16:00"})
    assert f"overlaps override {other} for Ben Okafor" in clash
    assert "change the times, or change or withdraw that one first" in clash
    assert 'aria-invalid="true"' in clash
    with seeded.sessions() as db:
        row = db.get(models.Override, first)
        assert row is not None and row.end == datetime(2026, 3, 20, 15, tzinfo=UTC)
    assert len(log(seeded)) == entries
    assert client.get(f"{ROTA}/overrides/999999").status_code == 404


def test_changing_a_started_override_keeps_its_past(
    login: Callable[[str], FlaskClient], seeded: Runtime
) -> None:
    client = login("boston")
    dev = volunteer_id(seeded, DEV)
    # 14:00-16:00 EDT on Tuesday 10 March; "now" is 14:30 EDT.
    started = add_override(client, seeded, DEV, "2026-03-10T14:00", "2026-03-10T16:00")
    now = later(seeded)
    url = f"{ROTA}/overrides/{started}"
    moved = form_post(client, url, {"volunteer": dev, "tier": 1, "start": "2026-03-10T13:00",
                                    "end": "2026-03-10T17:00"})
    assert "the start has passed: a change takes effect from now on" in moved
    assert form_post(client, url, {"volunteer": dev, "tier": 1, "start": "2026-03-10T14:00",
                                   "end": "2026-03-10T17:00"}) == ""
    with seeded.sessions() as db:
        rows = db.scalars(select(models.Override).order_by(models.Override.id)).all()
        assert [(r.start, r.end) for r in rows] == [
            (datetime(2026, 3, 10, 18, tzinfo=UTC), now),
            (now, datetime(2026, 3, 10, 21, tzinfo=UTC))]
    # Between its making (14:30) and its change (14:40) the past keeps the first version.
    assert on_call(seeded, now - timedelta(minutes=5)) == ["Dev Patel"]
    assert on_call(seeded, datetime(2026, 3, 10, 20, 30, tzinfo=UTC)) == ["Dev Patel"]
