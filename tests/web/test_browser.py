"""The web app in real Chromium, as coordinators and volunteers click it; every page checked
with axe-core; `hotline oncall` (a separate process) must agree with what the pages show."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from hotline.accounts.totp import new_totp_secret
from hotline.accounts.users import RESET, issue_token, user_by_email
from hotline.logs.models import AttemptResult, LegOutcome
from hotline.roster import models
from hotline.roster.changes import add_override
from hotline.roster.localtime import to_instant
from hotline.roster.rules import OverrideKind, Tier
from hotline.standin.calls import silence_wav
from tests.logs.calls import add_call
from tests.roster.test_cli import run
from tests.web.conftest import DESKTOP, PHONE, Person
from tests.web.helpers import PASSWORD, PEOPLE, leave_voicemail, owe_callback

NEW_YORK = ZoneInfo("America/New_York")
Live = Callable[[str], Person]


def next_dst_change(after: datetime) -> datetime:
    """The first instant after `after` at which New York's UTC offset changes (to the hour)."""
    at = after.replace(minute=0, second=0, microsecond=0)
    while at.astimezone(NEW_YORK).utcoffset() == (at + timedelta(hours=1)).astimezone(
            NEW_YORK).utcoffset():
        at += timedelta(hours=1)
    return at + timedelta(hours=1)


def oncall(live: Live, at: datetime) -> dict[int, set[str]]:
    """`hotline oncall` for Boston at `at`, as {tier: names}: Boston's own waves (those of
    the chapters it overflows to carry a "chapter")."""
    url = live.runtime.settings.database.url  # type: ignore[attr-defined]
    done = run(url, "oncall", "boston-grief", "--at", at.strftime("%Y-%m-%dT%H:%M:%SZ"),
               "--format", "json", cwd=Path.cwd())
    assert done.returncode == 0, done.stderr
    waves = json.loads(done.stdout)["waves"]
    return {wave["tier"]: {v["name"] for v in wave["volunteers"]} for wave in waves
            if "chapter" not in wave}


def week_rows(person: Person, day: date) -> list[tuple[datetime, datetime, dict[int, set[str]]]]:
    """The rows of one day's table in the week view: UTC bounds and the names per tier."""
    rows = []
    table = person.page.locator(f"section[aria-labelledby='day-{day.isoformat()}'] tbody")
    for row in table.locator("tr").all():
        tiers: dict[int, set[str]] = {}
        for tier in (1, 2, 3):
            text = row.locator(f"td[data-tier='{tier}']").inner_text().strip()
            if text and text != "nobody (gap)":
                tiers[tier] = set(text.split(", "))
        rows.append((datetime.fromisoformat(row.get_attribute("data-start") or ""),
                     datetime.fromisoformat(row.get_attribute("data-end") or ""), tiers))
    return rows


def test_a_coordinator_edits_across_dst_and_oncall_agrees_with_the_week(live: Live) -> None:
    change = next_dst_change(datetime.now(UTC) + timedelta(days=2))
    sunday = change.astimezone(NEW_YORK).date()
    saturday = sunday - timedelta(days=1)
    coordinator = live("boston")
    page = coordinator.page
    assert page.get_by_role("heading", name="Today").is_visible()

    coordinator.open("/chapters/boston-grief/rota/shifts/new")
    page.get_by_label("Volunteer").select_option(label="Ann Example (+16175550111)")
    page.get_by_label(sunday.strftime("%A")).check()
    page.locator("#start").fill("01:00")
    page.locator("#end").fill("04:00")
    page.get_by_label("Tier").select_option("1")
    page.get_by_role("button", name="Save shift").click()
    assert page.get_by_text("Shift saved.").is_visible()
    coordinator.check()

    coordinator.open("/chapters/boston-grief/rota/overrides/new")
    page.get_by_label("Change").select_option("add")
    page.get_by_label("Volunteer", exact=True).select_option(label="Ben Okafor (+16175550112)")
    page.get_by_label("Tier (for Add)").select_option("2")
    page.get_by_label("From").fill(f"{saturday.isoformat()}T23:00")
    page.get_by_label("Until").fill(f"{sunday.isoformat()}T03:30")
    page.get_by_role("button", name="Save override").click()
    assert page.get_by_text("Override saved.").is_visible()

    monday = sunday - timedelta(days=sunday.weekday())
    coordinator.open(f"/chapters/boston-grief/rota?week={monday.isoformat()}")
    rows = week_rows(coordinator, saturday) + week_rows(coordinator, sunday)
    ann = [(start, end) for start, end, tiers in rows if "Ann Example" in tiers.get(1, ())]
    # 01:00 to 04:00 New York time on the change's Sunday: 2 hours in March, 4 in November.
    opens = to_instant(datetime.combine(sunday, time(1, 0)), NEW_YORK)
    closes = to_instant(datetime.combine(sunday, time(4, 0)), NEW_YORK)
    assert closes - opens == timedelta(hours=2 if sunday.month < 7 else 4)
    assert ann[0][0] == opens
    assert ann[-1][1] - ann[0][0] == closes - opens
    assert any("Ben Okafor" in tiers.get(2, ()) for _s, _e, tiers in rows)
    for start, end, tiers in rows:
        assert oncall(live, start + (end - start) / 2) == tiers, (start, end)


def test_an_override_is_changed_from_the_week_view(live: Live) -> None:
    day = (datetime.now(UTC) + timedelta(days=10)).astimezone(NEW_YORK).date()
    coordinator = live("boston")
    page = coordinator.page
    coordinator.open("/chapters/boston-grief/rota/overrides/new")
    page.get_by_label("Change").select_option("add")
    page.get_by_label("Volunteer", exact=True).select_option(label="Ben Okafor (+16175550112)")
    page.get_by_label("Tier (for Add)").select_option("2")
    page.get_by_label("From").fill(f"{day.isoformat()}T09:00")
    page.get_by_label("Until").fill(f"{day.isoformat()}T11:00")
    page.get_by_role("button", name="Save override").click()
    assert page.get_by_text("Override saved.").is_visible()
    coordinator.open(f"/chapters/boston-grief/rota?week={day.isoformat()}")
    page.get_by_role("link", name=re.compile(r"^Change override \d+$")).click()
    page.wait_for_load_state()
    coordinator.check()
    assert page.get_by_role("heading", name="Change an override").is_visible()
    assert page.get_by_label("From").input_value() == f"{day.isoformat()}T09:00"
    page.get_by_label("Until").fill(f"{day.isoformat()}T12:00")
    page.get_by_role("button", name="Save override").click()
    assert page.get_by_text("Override saved.").is_visible()
    half_past_eleven = to_instant(datetime.combine(day, time(11, 30)), NEW_YORK)
    assert "Ben Okafor" in oncall(live, half_past_eleven).get(2, set())


def test_a_swap_asked_taken_and_approved_changes_the_ring_plan(live: Live) -> None:
    ann = live("ann")
    ann.open("/me")
    # Her next shift that has not begun: the past keeps its recorded answer whatever we do.
    soon = datetime.now(UTC) + timedelta(minutes=10)
    for first in ann.page.locator("ul.stints li").all():
        start = first.locator("input[name='start']").get_attribute("value") or ""
        begins = datetime.fromisoformat(start).replace(tzinfo=NEW_YORK).astimezone(UTC)
        if begins > soon:
            break
    at = begins + timedelta(minutes=30)
    assert "Ann Example" in oncall(live, at).get(1, set())
    first.get_by_role("button", name="Ask someone to take this").click()
    assert ann.page.get_by_text("Asked:").is_visible()
    ann.check()

    ben = live("ben")
    ben.open("/me")
    ben.page.get_by_role("button", name="Take it", exact=True).click()
    assert ben.page.get_by_text("Taken:").is_visible()
    assert "Ann Example" in oncall(live, at).get(1, set())    # waits for the coordinator

    coordinator = live("boston")
    coordinator.open("/chapters/boston-grief/rota")
    coordinator.page.get_by_role("button", name="Approve").click()
    assert coordinator.page.get_by_text("Swap approved").is_visible()
    tier1 = oncall(live, at).get(1, set())
    assert "Ben Okafor" in tier1 and "Ann Example" not in tier1


def test_a_volunteer_cannot_open_another_chapters_pages(live: Live) -> None:
    erin = live("erin")                                      # a Chicago volunteer
    for path in ("/chapters/boston-grief/rota", "/chapters/chicago-recovery/volunteers",
                 "/chapters/boston-grief/audit"):
        response = erin.open(path)
        assert response.status == 403
        assert erin.page.get_by_role("heading", name="Not yours to open").is_visible()
    assert "+1617" not in erin.page.content()
    coordinator = live("boston")
    assert coordinator.open("/chapters/chicago-recovery/rota").status == 403


def test_a_form_posted_without_its_csrf_token_is_refused(live: Live) -> None:
    coordinator = live("boston")
    coordinator.open("/chapters/boston-grief/settings")
    page = coordinator.page
    page.evaluate("document.querySelectorAll('input[name=csrf_token]').forEach(e => e.remove())")
    page.get_by_label("Greeting", exact=True).fill("Changed without a token")
    page.get_by_role("button", name="Save settings").click()
    assert page.get_by_text("did not come from this site").is_visible()
    coordinator.open("/chapters/boston-grief/settings")
    assert page.get_by_label("Greeting", exact=True).input_value() != "Changed without a token"


PAGES = {
    "": ["/login", "/forgot", "/set-password/expired-or-unknown"],
    "boston": ["/today", "/live", "/chapters/boston-grief/rota",
               "/chapters/boston-grief/rota/shifts/new",
               "/chapters/boston-grief/rota/rotations/new",
               "/chapters/boston-grief/rota/overrides/new", "/chapters/boston-grief/volunteers",
               "/chapters/boston-grief/volunteers/1", "/chapters/boston-grief/volunteers/4",
               "/chapters/boston-grief/gaps",
               "/chapters/boston-grief/settings", "/chapters/boston-grief/audit", "/account",
               "/chapters/boston-grief/voicemails", "/voicemails",
               "/chapters/boston-grief/callbacks",
               "/account/totp", "/chapters/chicago-recovery/rota",
               "/chapters/boston-grief/reports", "/reports", "/contacts",
               "/contacts?since=2026-03-01&until=2026-03-31&outcome=answered"],
    "ann": ["/me", "/me/calls", "/account"],
    "admin": ["/audit", "/live", "/me", "/reports", "/contacts"],
}


@pytest.mark.parametrize("size", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_every_page_passes_axe_at_desktop_and_phone_width(live: Live, size: dict[str, int]) -> None:
    leave_voicemail(live.runtime, audio=silence_wav(2))  # type: ignore[attr-defined]
    owe_callback(live.runtime, "+16175550901")  # type: ignore[attr-defined]
    owe_callback(live.runtime, "+16175550902", tried=AttemptResult.NO_ANSWER)  # type: ignore[attr-defined]
    for who, paths in PAGES.items():
        person = live(who)
        person.page.set_viewport_size(size)
        for path in paths:
            person.open(path)
            assert person.page.locator("h1, h2").first.is_visible(), path
            if size is PHONE:
                width = person.page.evaluate("document.documentElement.scrollWidth")
                assert width <= size["width"] + 1, f"{path} scrolls sideways at phone width"


def refused_form(person: Person, path: str, button: str,
                 fill: dict[str, str] | None = None) -> None:
    """Submit the form at `path` (empty but for `fill`) and check the page that shows its errors."""
    person.open(path)
    for label, value in (fill or {}).items():
        person.page.get_by_label(label, exact=True).fill(value)
    person.page.get_by_role("button", name=button).click()
    person.page.wait_for_load_state()
    assert person.page.locator(".error").count() >= 1, f"{path}: no error shown"
    assert person.page.locator("[aria-invalid=true]").count() >= 1, path
    person.check(again=True)


def test_forms_with_errors_and_pages_behind_links_pass_axe(live: Live) -> None:
    runtime = live.runtime  # type: ignore[attr-defined]
    with runtime.transaction() as db:
        shift = db.scalars(select(models.Shift.id).join(models.Chapter)
                           .where(models.Chapter.slug == "boston-grief")).first()
        rotation = db.scalars(select(models.Rotation.id)).first()
        ann = user_by_email(db, PEOPLE["ann"][0])
        admin = user_by_email(db, PEOPLE["admin"][0])
        assert ann is not None and admin is not None
        link = issue_token(db, ann, RESET, now=runtime.clock())
        admin.totp_secret = new_totp_secret()            # the admin signs in with a code
        boston_row = db.scalars(select(models.Chapter)
                                .where(models.Chapter.slug == "boston-grief")).one()
        dev = db.scalars(select(models.Volunteer)
                         .where(models.Volunteer.name == "Dev Patel")).one()
        soon = runtime.clock() + timedelta(days=2)
        override = add_override(db, boston_row, OverrideKind.ADD, dev, soon,
                                soon + timedelta(hours=3), now=runtime.clock(),
                                tier=Tier.PRIMARY).id
        ann_row = db.scalars(select(models.Volunteer)
                             .where(models.Volunteer.name == "Ann Example")).one()
        call = add_call(db, runtime.privacy, chapter_id=boston_row.id,
                        started_at=runtime.clock() - timedelta(days=1),
                        legs=[(dev, LegOutcome.DECLINED), (ann_row, LegOutcome.ANSWERED)],
                        talk_seconds=200)
    for size in (DESKTOP, PHONE):
        boston, chicago, stranger, ann_page = live("boston"), live("chicago"), live(""), live("ann")
        for person in (boston, chicago, stranger, ann_page):
            person.page.set_viewport_size(size)
        boston.open(f"/chapters/boston-grief/rota/shifts/{shift}")
        boston.open(f"/chapters/boston-grief/rota/overrides/{override}")
        boston.open(f"/contacts/{call}")
        refused_form(boston, f"/contacts/{call}", "Ban this caller")
        refused_form(ann_page, f"/me/calls/{call}/note", "Save note")
        refused_form(boston, "/contacts", "Show calls", {"From (the line's own date)": "2026-03-09",
                                                         "Until (that day included)": "2026-03-01"})
        coded = live("")
        coded.page.set_viewport_size(size)
        coded.open("/login")
        coded.page.get_by_label("Email").fill(PEOPLE["admin"][0])
        coded.page.get_by_label("Password").fill(PASSWORD)
        coded.page.get_by_role("button", name="Sign in").click()
        coded.page.wait_for_load_state()
        assert coded.page.url.endswith("/login/code"), coded.page.url
        coded.check()
        refused_form(coded, "/login/code", "Continue",
                     {"Code from your authenticator app": "000000"})
        chicago.open(f"/chapters/chicago-recovery/rota/rotations/{rotation}")
        refused_form(boston, "/chapters/boston-grief/rota/shifts/new", "Save shift")
        refused_form(boston, "/chapters/boston-grief/rota/overrides/new", "Save override")
        refused_form(boston, "/chapters/boston-grief/volunteers", "Add volunteer")
        refused_form(chicago, "/chapters/chicago-recovery/rota/rotations/new", "Save rotation")
        refused_form(stranger, "/forgot", "Text me a link")
        refused_form(stranger, f"/reset-password/{link}", "Save password",
                     {"New password": "one long passphrase", "New password again": "another one"})
        refused_form(ann_page, "/me", "Mark me unavailable")
        refused_form(ann_page, "/me", "Ask for someone to take it")
        stranger.open("/login")
        stranger.page.get_by_label("Email").fill(PEOPLE["ann"][0])
        stranger.page.get_by_label("Password").fill("not the password")
        stranger.page.get_by_role("button", name="Sign in").click()
        stranger.page.wait_for_load_state()
        assert "/login" in stranger.page.url
        stranger.check(again=True)
