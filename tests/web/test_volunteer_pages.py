"""The volunteers pages: languages and experiences edited, deactivation, and a volunteer who is
also in another chapter changed only by someone who coordinates all of their chapters."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.test import TestResponse

from hotline.accounts.models import Role
from hotline.accounts.users import add_user, redeem_link
from hotline.audit.log import entries_for
from hotline.roster import models
from hotline.roster.changes import volunteer_by_phone
from hotline.roster.store import chapter_by_slug
from hotline.runtime import Runtime
from tests.web.helpers import PASSWORD, csrf
from tests.web.test_rota_pages import form_post, on_call, volunteer_id

PEOPLE_URL = "/chapters/boston-grief/volunteers"
ANN, DEV, ERIN = "+16175550111", "+16175550114", "+13125550111"   # Boston, both, Chicago
FRIDAY_7PM = datetime(2026, 3, 13, 23, tzinfo=UTC)                 # Ann's shift, 19:00 EDT


def boston_log(runtime: Runtime) -> list[tuple[str, Any, Any]]:
    with runtime.sessions() as db:
        return [(e.action, e.before, e.after)
                for e in entries_for(db, [chapter_by_slug(db, "boston-grief").id])]


def volunteer_row(runtime: Runtime, phone: str) -> models.Volunteer:
    with runtime.sessions() as db:
        return volunteer_by_phone(db, phone)


def button_post(client: FlaskClient, url: str, page: str = PEOPLE_URL) -> TestResponse:
    return client.post(url, data={"csrf_token": csrf(client.get(page).data)})


def test_a_coordinator_edits_languages_and_experiences(
    login: Callable[[str], FlaskClient], seeded: Runtime
) -> None:
    client = login("boston")
    ann = volunteer_id(seeded, ANN)
    page = client.get(f"{PEOPLE_URL}/{ann}").data.decode()
    assert 'value="en, es"' in page and ANN in page              # her own coordinator
    error = form_post(client, f"{PEOPLE_URL}/{ann}", {
        "name": "Ann Example", "languages": "EN; pt, en", "experiences": "loss-of-child, Suicide"})
    assert error == ""
    row = volunteer_row(seeded, ANN)
    assert (row.languages, row.experiences) == (["en", "pt"], ["loss-of-child", "suicide"])
    action, before, after = boston_log(seeded)[0]
    assert action == "volunteer.change"
    assert before["languages"] == ["en", "es"] and after["languages"] == ["en", "pt"]
    assert after["experiences"] == ["loss-of-child", "suicide"]
    refused = form_post(client, f"{PEOPLE_URL}/{ann}", {
        "name": "Ann Example", "languages": "en", "experiences": "two words"})
    assert "experience &#39;two words&#39;: use letters, digits and dashes" in refused
    assert volunteer_row(seeded, ANN).experiences == ["loss-of-child", "suicide"]


def test_deactivating_a_volunteer_stops_their_rings_and_is_audited(
    login: Callable[[str], FlaskClient], seeded: Runtime
) -> None:
    client = login("boston")
    ann = volunteer_id(seeded, ANN)
    assert on_call(seeded, FRIDAY_7PM) == ["Ann Example"]
    response = button_post(client, f"{PEOPLE_URL}/{ann}/deactivate")
    assert response.status_code == 302
    assert volunteer_row(seeded, ANN).active is False
    assert on_call(seeded, FRIDAY_7PM) == []
    action, before, after = boston_log(seeded)[0]
    assert (action, before["active"], after["active"]) == (
        "volunteer.deactivate", True, False)
    listing = client.get(PEOPLE_URL).data.decode()
    assert "Deactivated: they are no longer rung" in listing
    button_post(client, f"{PEOPLE_URL}/{ann}/activate")
    assert on_call(seeded, FRIDAY_7PM) == ["Ann Example"]


def test_a_volunteer_also_in_another_chapter_is_not_this_coordinators_to_change(
    login: Callable[[str], FlaskClient], seeded: Runtime
) -> None:
    """Dev Patel is on Boston's and Chicago's rotas; Boston's coordinator runs Boston only."""
    client = login("boston")
    dev = volunteer_id(seeded, DEV)
    listing = client.get(PEOPLE_URL).data.decode()
    assert f"{PEOPLE_URL}/{dev}/deactivate" not in listing
    assert f'href="{PEOPLE_URL}/{dev}"' not in listing
    assert "Also in a chapter you do not coordinate" in listing
    page = client.get(f"{PEOPLE_URL}/{dev}")
    assert page.status_code == 403
    assert "Dev Patel also volunteers for a chapter you do not coordinate" in page.data.decode()
    # Posting anyway (a crafted form) changes nothing and logs nothing.
    token = csrf(client.get(PEOPLE_URL).data)
    edited = client.post(f"{PEOPLE_URL}/{dev}", data={
        "csrf_token": token, "name": "Dev P", "languages": "fr", "experiences": ""})
    off = client.post(f"{PEOPLE_URL}/{dev}/deactivate", data={"csrf_token": token})
    assert (edited.status_code, off.status_code) == (403, 403)
    row = volunteer_row(seeded, DEV)
    assert (row.name, row.languages, row.active) == ("Dev Patel", [], True)
    assert boston_log(seeded) == []
    # Chicago's coordinator is refused the same way; an admin is not.
    chicago = login("chicago")
    assert chicago.get(f"/chapters/chicago-recovery/volunteers/{dev}").status_code == 403
    admin = login("admin")
    assert button_post(admin, f"{PEOPLE_URL}/{dev}/deactivate").status_code == 302
    assert volunteer_row(seeded, DEV).active is False


def test_adding_another_chapters_volunteer_by_phone_is_refused(
    login: Callable[[str], FlaskClient], seeded: Runtime
) -> None:
    client = login("boston")
    page = form_post(client, PEOPLE_URL, {
        "name": "Whoever", "phone": ERIN, "languages": "", "experiences": ""})
    assert "already the phone of a volunteer in another chapter" in page
    assert "ask an admin, or that chapter&#39;s coordinator" in page
    assert "Erin Walsh" not in page and "Chicago" not in page     # nothing about her leaks
    erin = volunteer_id(seeded, ERIN)
    with seeded.sessions() as db:
        boston = chapter_by_slug(db, "boston-grief")
        assert db.get(models.ChapterMember, (boston.id, erin)) is None
    assert client.get(f"{PEOPLE_URL}/{erin}").status_code == 404
    assert boston_log(seeded) == []


def test_a_coordinator_of_all_their_chapters_may_bring_a_volunteer_over_and_change_them(
    app: Flask, login: Callable[[str], FlaskClient], seeded: Runtime
) -> None:
    with seeded.transaction() as db:
        chapters = list(db.scalars(select(models.Chapter).order_by(models.Chapter.slug)))
        user, token = add_user(db, "both@example.org", "Both", Role.COORDINATOR,
                               now=seeded.clock(), chapters=chapters)
        redeem_link(db, token, PASSWORD, now=seeded.clock())
    both = app.test_client()
    login_page = both.get("/login")
    assert both.post("/login", data={"email": "both@example.org", "password": PASSWORD,
                                     "csrf_token": csrf(login_page.data)}).status_code == 302
    assert form_post(both, PEOPLE_URL, {"name": "ignored", "phone": ERIN, "languages": "",
                                        "experiences": ""}) == ""
    erin = volunteer_id(seeded, ERIN)
    assert "Erin Walsh" in both.get(PEOPLE_URL).data.decode()
    assert form_post(both, f"{PEOPLE_URL}/{erin}", {
        "name": "Erin Walsh", "languages": "en, ga", "experiences": "alcohol"}) == ""
    assert volunteer_row(seeded, ERIN).languages == ["en", "ga"]
    assert [a for a, _b, _c in boston_log(seeded)] == ["volunteer.change", "volunteer.add"]
    # Erin is in Boston now too, but also in Chicago: Boston's coordinator alone may not.
    assert login("boston").get(f"{PEOPLE_URL}/{erin}").status_code == 403
