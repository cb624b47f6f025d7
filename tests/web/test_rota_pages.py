"""The rota pages change the rota through hotline.roster, and the audit log says so."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from hotline.audit.log import entries_for, verify
from hotline.roster import models
from hotline.roster.changes import volunteer_by_phone
from hotline.roster.history import oncall_at
from hotline.roster.store import chapter_by_slug
from hotline.runtime import Runtime
from tests.web.helpers import csrf

ROTA = "/chapters/boston-grief/rota"
ERIN = "+13125550111"   # a Chicago volunteer, not in Boston


def form_post(client: FlaskClient, url: str, data: dict[str, object]) -> str:
    page = client.get(url)
    assert page.status_code == 200
    response = client.post(url, data={"csrf_token": csrf(page.data), **data})
    assert response.status_code in (200, 302), response.status_code
    return response.data.decode() if response.status_code == 200 else ""


def volunteer_id(runtime: Runtime, phone: str) -> int:
    with runtime.sessions() as db:
        return volunteer_by_phone(db, phone).id


def on_call(runtime: Runtime, at: datetime, tier: int = 1) -> list[str]:
    with runtime.sessions() as db:
        plan = oncall_at(db, chapter_by_slug(db, "boston-grief").id, at)
    return [v.name for w in plan.waves if int(w.tier) == tier for v in w.volunteers]


def test_a_weekly_shift_added_on_the_page_rings_from_now_and_is_audited(
    login: Callable[[str], FlaskClient], seeded: Runtime
) -> None:
    client = login("boston")
    dev = volunteer_id(seeded, "+16175550114")
    # Sunday 15 March 2026 08:00-10:00 EDT is nobody's in the sample rota.
    sunday_9am = datetime(2026, 3, 15, 13, tzinfo=UTC)
    assert on_call(seeded, sunday_9am) == []
    error = form_post(client, f"{ROTA}/shifts/new", {
        "volunteer": dev, "days": ["sun"], "start": "08:00", "end": "10:00", "tier": 1})
    assert error == ""
    assert on_call(seeded, sunday_9am) == ["Dev Patel"]
    with seeded.sessions() as db:
        row = db.scalars(select(models.Shift).where(models.Shift.days == "sun",
                                                    models.Shift.start == "08:00")).one()
        assert row.valid_from == seeded.clock()
        (entry,) = entries_for(db, [row.chapter_id], limit=1)
        assert verify(db).problems == ()
    assert entry.action == "shift.add" and entry.actor == "web:coord@example.org"
    assert entry.after["days"] == "sun" and entry.before is None
    week = client.get(f"{ROTA}?week=2026-03-09").data.decode()
    assert f'data-start="{sunday_9am.replace(hour=12).isoformat()}"' in week


def test_an_overlapping_shift_is_refused_with_what_to_change(
    login: Callable[[str], FlaskClient], seeded: Runtime
) -> None:
    client = login("boston")
    ann = volunteer_id(seeded, "+16175550111")      # mon, wed, fri 18:00-22:00
    page = form_post(client, f"{ROTA}/shifts/new", {
        "volunteer": ann, "days": ["wed"], "start": "21:00", "end": "23:00", "tier": 2})
    assert "overlaps this one" in page and "end that shift first" in page
    assert 'aria-invalid="true"' in page
    with seeded.sessions() as db:
        assert db.scalars(select(models.Shift).where(models.Shift.start == "21:00")).all() == []


def test_changing_a_shift_keeps_the_past(login: Callable[[str], FlaskClient],
                                         seeded: Runtime) -> None:
    client = login("boston")
    with seeded.sessions() as db:
        ann_shift = db.scalars(select(models.Shift).where(
            models.Shift.volunteer_id == volunteer_id(seeded, "+16175550111"))).one()
    monday_7pm_before = datetime(2026, 3, 9, 23, tzinfo=UTC)     # before "now" (10 March)
    monday_7pm_after = datetime(2026, 3, 16, 23, tzinfo=UTC)
    form_post(client, f"{ROTA}/shifts/{ann_shift.id}", {
        "volunteer": ann_shift.volunteer_id, "days": ["tue"], "start": "18:00", "end": "22:00",
        "tier": 1})
    assert on_call(seeded, monday_7pm_after) == []
    assert on_call(seeded, monday_7pm_before) == ["Ann Example"]


def test_an_override_is_read_in_the_chapter_zone(login: Callable[[str], FlaskClient],
                                                 seeded: Runtime) -> None:
    client = login("boston")
    erin_not_here = form_post(client, f"{ROTA}/overrides/new", {
        "kind": "add", "volunteer": volunteer_id(seeded, ERIN), "tier": 1,
        "start": "2026-03-20T09:00", "end": "2026-03-20T11:00"})
    assert "Not a valid choice" in erin_not_here             # not a Boston volunteer
    form_post(client, f"{ROTA}/overrides/new", {
        "kind": "add", "volunteer": volunteer_id(seeded, "+16175550114"), "tier": 1,
        "start": "2026-03-20T09:00", "end": "2026-03-20T11:00", "reason": "cover"})
    assert on_call(seeded, datetime(2026, 3, 20, 13, 30, tzinfo=UTC)) == ["Dev Patel"]  # 09:30 EDT
    assert on_call(seeded, datetime(2026, 3, 20, 15, 30, tzinfo=UTC)) == []


def test_a_swap_from_offer_to_approval_changes_who_is_rung(
    login: Callable[[str], FlaskClient], seeded: Runtime
) -> None:
    friday_7pm = datetime(2026, 3, 13, 23, tzinfo=UTC)        # Ann's shift, 19:00 EDT
    assert on_call(seeded, friday_7pm) == ["Ann Example"]
    ann, ben, coordinator = login("ann"), login("ben"), login("boston")
    mine = ann.get("/me").data.decode()
    assert "Fri 13 Mar 18:00" in mine
    offered = ann.post("/me/swaps", data={"csrf_token": csrf(mine), "chapter": _boston(seeded),
                                          "start": "2026-03-13T18:00", "end": "2026-03-13T22:00"})
    assert offered.status_code == 302
    with seeded.sessions() as db:
        swap = db.scalars(select(models.SwapRequest)).one()
    page = ben.get("/me").data.decode()
    assert f"/me/swaps/{swap.id}/take" in page
    assert "+16175550111" not in page                         # Ann's number is not Ben's to see
    ben.post(f"/me/swaps/{swap.id}/take", data={"csrf_token": csrf(page)})
    assert on_call(seeded, friday_7pm) == ["Ann Example"]    # not until a coordinator approves
    week = coordinator.get(ROTA).data.decode()
    coordinator.post(f"{ROTA}/swaps/{swap.id}/approve", data={"csrf_token": csrf(week)})
    assert on_call(seeded, friday_7pm) == ["Ben Okafor"]
    with seeded.sessions() as db:
        actions = [e.action for e in entries_for(db, [_boston(seeded)])]
    assert actions[:3] == ["swap.approve", "swap.take", "swap.offer"]


def _boston(runtime: Runtime) -> int:
    with runtime.sessions() as db:
        return chapter_by_slug(db, "boston-grief").id


def test_a_volunteer_takes_an_open_gap(login: Callable[[str], FlaskClient],
                                       seeded: Runtime) -> None:
    ann = login("ann")
    page = ann.get("/me").data.decode()
    assert "Cover this" in page
    first = page.index('action="/me/gaps"')
    start = page[first:].split('name="start" value="')[1].split('"')[0]
    end = page[first:].split('name="end" value="')[1].split('"')[0]
    chapter = page[first:].split('name="chapter" value="')[1].split('"')[0]
    at = datetime.fromisoformat(start) + timedelta(minutes=1)
    assert "Ann Example" not in on_call(seeded, at)
    forged = ann.post("/me/gaps", data={"csrf_token": csrf(page), "chapter": chapter,
                                        "start": start, "end": "2027-01-01T00:00:00+00:00"})
    assert forged.status_code == 302 and "Ann Example" not in on_call(seeded, at)
    ann.post("/me/gaps", data={"csrf_token": csrf(page), "chapter": chapter,
                               "start": start, "end": end})
    assert "Ann Example" in on_call(seeded, at)


def test_volunteer_pages_and_phones(login: Callable[[str], FlaskClient]) -> None:
    coordinator = login("boston")
    listing = coordinator.get("/chapters/boston-grief/volunteers").data.decode()
    assert "+16175550112" in listing                      # their own volunteers' numbers
    assert ERIN not in listing                            # not another chapter's
    added = form_post(coordinator, "/chapters/boston-grief/volunteers", {
        "name": "Zoe New", "phone": "+16175550199", "languages": "en, FR",
        "experiences": "loss-of-parent"})
    assert added == ""
    listing = coordinator.get("/chapters/boston-grief/volunteers").data.decode()
    assert "Zoe New" in listing and "en, fr" in listing
    bad = form_post(coordinator, "/chapters/boston-grief/volunteers", {
        "name": "No Phone", "phone": "617-555", "languages": "", "experiences": ""})
    assert "is not E.164" in bad


def test_settings_are_checked_as_the_rota_file_checks_them(
    login: Callable[[str], FlaskClient], seeded: Runtime
) -> None:
    client = login("boston")
    url = "/chapters/boston-grief/settings"
    values = {"greeting": "Hello", "hold_message": "Hold on", "hours_text": "Evenings",
              "emergency_line": "911", "ring_strategy": "all", "ring_timeout_seconds": 20,
              "max_wait_seconds": 90, "wave_timeout_seconds": 30, "accept_mode": "press1",
              "language": "en-US", "max_holding": 100, "max_calls_per_caller": 2,
              "alert_unclaimed_minutes": 30, "callback_delays_minutes": "5, 30, 120",
              "callback_hours": "09:00-20:00", "reminder_hours": "24", "callback_greeting": ""}
    page = form_post(client, url, values)
    assert "emergency_line must be E.164" in page
    fixed = {**values, "emergency_line": "+18002738255"}
    assert "Whole numbers separated by commas" in form_post(
        client, url, {**fixed, "callback_delays_minutes": "five"})
    assert "callback_delays_minutes must list 1 to 10 delays" in form_post(
        client, url, {**fixed, "callback_delays_minutes": "30, 5"})
    assert "callback_hours must be HH:MM-HH:MM" in form_post(
        client, url, {**fixed, "callback_hours": "9am-8pm"})
    assert "Number must be between 1 and 1000" in form_post(
        client, url, {**values, "emergency_line": "+18002738255", "max_holding": 0})
    form_post(client, url, {**values, "emergency_line": "+18002738255",
                            "ring_strategy": "sequential", "max_holding": 12,
                            "max_calls_per_caller": 1, "reject_withheld": "y",
                            "callback_delays_minutes": "10, 60", "reminder_hours": ""})
    with seeded.sessions() as db:
        chapter = chapter_by_slug(db, "boston-grief")
        assert (chapter.greeting, chapter.ring_strategy) == ("Hello", "sequential")
        assert (chapter.callback_delays_minutes, chapter.reminder_hours) == ([10, 60], [])
        assert (chapter.max_holding, chapter.max_calls_per_caller, chapter.reject_withheld) == (
            12, 1, True)
        (entry,) = entries_for(db, [chapter.id], limit=1)
    assert entry.before["ring_strategy"] == "all" and entry.after["ring_strategy"] == "sequential"


def test_bad_input_is_a_4xx_page(login: Callable[[str], FlaskClient]) -> None:
    client = login("boston")
    for url, status in [(f"{ROTA}?week=someday", 400), ("/chapters/boston-grief/gaps?days=x", 400),
                        ("/chapters/no-such/rota", 404), (f"{ROTA}/shifts/999999", 404),
                        ("/chapters/boston-grief/volunteers/999999", 404)]:
        response = client.get(url)
        assert response.status_code == status, url
        assert "<h1>" in response.data.decode()
    page = form_post(client, f"{ROTA}/shifts/new", {"volunteer": "x", "days": ["funday"],
                                                     "start": "25:00", "end": "", "tier": 9})
    assert page.count('class="error"') >= 3


def test_the_audit_page_shows_only_the_chapters_own_log(
    login: Callable[[str], FlaskClient], seeded: Runtime
) -> None:
    chicago = login("chicago")
    form_post(chicago, "/chapters/chicago-recovery/volunteers", {
        "name": "Chi New", "phone": "+13125550199", "languages": "", "experiences": ""})
    boston = login("boston")
    form_post(boston, "/chapters/boston-grief/volunteers", {
        "name": "Bos New", "phone": "+16175550198", "languages": "", "experiences": ""})
    log = boston.get("/chapters/boston-grief/audit").data.decode()
    assert "Bos New" in log and "Chi New" not in log and "+13125550199" not in log


def test_an_unexpected_failure_is_a_page_without_a_traceback(
    login: Callable[[str], FlaskClient], monkeypatch: pytest.MonkeyPatch
) -> None:
    client = login("boston")

    def broken(*_args: object) -> None:
        raise RuntimeError("a bug with a number +16175550111 in it")

    monkeypatch.setattr("hotline.web.people.find_gaps", broken)
    response = client.get("/chapters/boston-grief/gaps")
    assert response.status_code == 500
    page = response.data.decode()
    assert "Something went wrong" in page and "Traceback" not in page and "+1617" not in page


SETTINGS = {"greeting": "Hello", "hold_message": "Hold on", "hours_text": "Evenings",
            "emergency_line": "+18002738255", "ring_strategy": "all",
            "ring_timeout_seconds": 20, "max_wait_seconds": 90, "wave_timeout_seconds": 30,
            "accept_mode": "press1", "language": "en-US", "max_holding": 100,
            "max_calls_per_caller": 2, "alert_unclaimed_minutes": 30,
            "callback_delays_minutes": "5, 30, 120", "callback_hours": "09:00-20:00",
            "reminder_hours": "24", "callback_greeting": ""}


def test_menus_matching_and_listen_in_are_set_on_the_settings_page(
    login: Callable[[str], FlaskClient], seeded: Runtime
) -> None:
    client = login("boston")
    url = "/chapters/boston-grief/settings"
    shown = client.get(url).data.decode()
    assert "Chicago Recovery Fellowship Line" in shown      # the sample's overflow, shown
    assert "No such" not in shown
    assert "Line 2: write a key, a colon" in form_post(client, url, {
        **SETTINGS, "experiences": "loss-of-child: If you have lost a child\nno colon here"})
    assert "experiences must list up to 9 tables" in form_post(client, url, {
        **SETTINGS, "experiences": "Loss Of Child: If you have lost a child"})
    assert "languages must list up to" in form_post(client, url, {
        **SETTINGS, "languages": ["en-US", "fr-FR"]})
    assert "match_wait must be" in form_post(client, url, {**SETTINGS, "match_wait_seconds": 1})
    assert form_post(client, url, {
        **SETTINGS, "languages": ["en-US", "es-US"], "match_wait_seconds": 45,
        "experiences": "loss-of-child: If you have lost a child\n\n"
                       "suicide-loss: If you lost someone to suicide", "listen_in": "y"}) == ""
    with seeded.sessions() as db:
        chapter = chapter_by_slug(db, "boston-grief")
        assert chapter.languages == ["en-US", "es-US"] and chapter.match_wait_seconds == 45
        assert chapter.experiences == [
            {"key": "loss-of-child", "prompt": "If you have lost a child"},
            {"key": "suicide-loss", "prompt": "If you lost someone to suicide"}]
        assert chapter.listen_in is True
    again = client.get(url).data.decode()     # shown as typed, to be changed again
    assert "loss-of-child: If you have lost a child\nsuicide-loss:" in again
    # An empty match wait keeps it; unticking listen-in turns it off.
    assert form_post(client, url, {**SETTINGS, "languages": ["en-US"]}) == ""
    with seeded.sessions() as db:
        chapter = chapter_by_slug(db, "boston-grief")
        assert (chapter.match_wait_seconds, chapter.listen_in) == (45, False)
        assert (chapter.languages, chapter.experiences) == (["en-US"], [])


def test_a_coordinator_marks_a_volunteer_as_a_trainee(
    login: Callable[[str], FlaskClient], seeded: Runtime
) -> None:
    client = login("boston")
    ann = volunteer_id(seeded, "+16175550111")
    url = f"/chapters/boston-grief/volunteers/{ann}"
    assert form_post(client, url, {"name": "Ann Example", "languages": "en",
                                   "experiences": "", "trainee": "y"}) == ""
    with seeded.sessions() as db:
        assert volunteer_by_phone(db, "+16175550111").trainee is True
        (entry,) = entries_for(db, [chapter_by_slug(db, "boston-grief").id], limit=1)
    assert (entry.before["trainee"], entry.after["trainee"]) == (False, True)
    box = re.search(r'<input[^>]*name="trainee"[^>]*>', client.get(url).data.decode())
    assert box is not None and "checked" in box.group(0)
