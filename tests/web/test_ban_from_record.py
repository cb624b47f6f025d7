"""Banning a caller from their call's page: the coordinator never sees the number; the same
domain function as `hotline ban add`, audited the same way; lifting the ban too."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from flask.testing import FlaskClient
from sqlalchemy import select

from hotline.audit.log import entries_for, verify
from hotline.bans import Ban, is_banned
from hotline.phone import E164
from hotline.roster.store import chapter_by_slug
from hotline.runtime import Runtime
from tests.logs.calls import add_call
from tests.web.helpers import csrf

Login = Callable[[str], FlaskClient]
AT = datetime(2026, 3, 9, 23, 5, tzinfo=UTC)
CALLER = E164("+16175550199")


def boston_call(runtime: Runtime, caller: str | None = CALLER) -> tuple[int, int]:
    with runtime.transaction() as db:
        boston = chapter_by_slug(db, "boston-grief").id
        return add_call(db, runtime.privacy, chapter_id=boston, started_at=AT,
                        caller=caller), boston


def ban_post(client: FlaskClient, call_id: int, what: str = "ban", reason: str = "abusive",
             **extra: str) -> tuple[int, str]:
    page = client.get(f"/contacts/{call_id}")
    token = csrf(page.data) if page.status_code == 200 else csrf(client.get("/account").data)
    response = client.post(f"/contacts/{call_id}/{what}",
                           data={"csrf_token": token, "reason": reason, **extra})
    return response.status_code, response.data.decode()


def test_a_coordinator_bans_a_caller_from_the_record_without_seeing_the_number(
        login: Login, seeded: Runtime) -> None:
    call_id, boston = boston_call(seeded)
    client = login("boston")
    page = client.get(f"/contacts/{call_id}").data.decode()
    assert "Ban this caller" in page and "6175550199" not in page
    assert "From every line" not in page                # an admin's choice only
    status, _page = ban_post(client, call_id, reason="threats to volunteers")
    assert status == 302
    with seeded.sessions() as db:
        (ban,) = db.scalars(select(Ban)).all()
        assert is_banned(db, seeded.privacy, CALLER, boston)
        entry = entries_for(db, [boston], limit=1)[0]
        assert verify(db).problems == ()
    assert (ban.chapter_id, ban.reason, ban.number_hint) == (boston, "threats to volunteers",
                                                             "***0199")
    assert (entry.action, entry.actor, entry.subject) == (
        "ban.add", "web:coord@example.org", "ban ***0199")
    assert entry.after["number"] == "***0199" and "6175550199" not in repr(entry.after)
    shown = client.get(f"/contacts/{call_id}").data.decode()
    assert "banned from this line" in shown and "Lift the ban" in shown
    assert "6175550199" not in shown

    status, _page = ban_post(client, call_id, what="unban")
    assert status == 302
    with seeded.sessions() as db:
        assert not is_banned(db, seeded.privacy, CALLER, boston)
        entry = entries_for(db, [boston], limit=1)[0]
    assert (entry.action, entry.before["number"], entry.after) == ("ban.remove", "***0199", None)


def test_a_ban_needs_a_reason_the_callers_line_and_a_kept_number(
        login: Login, seeded: Runtime) -> None:
    call_id, _boston = boston_call(seeded)
    for reason in ("", "bad\x00words"):
        status, page = ban_post(login("boston"), call_id, reason=reason)
        assert status == 400 and 'class="error"' in page
    assert ban_post(login("chicago"), call_id)[0] == 403
    assert ban_post(login("ann"), call_id)[0] == 403
    assert ban_post(login("boston"), 999999)[0] == 404
    withheld, _boston = boston_call(seeded, caller=None)
    page = login("boston").get(f"/contacts/{withheld}").data.decode()
    assert "cannot be banned from here" in page
    status, page = ban_post(login("boston"), withheld)
    assert status == 400 and "no longer kept" in page
    with seeded.sessions() as db:
        assert db.scalars(select(Ban)).all() == []
    status, _page = ban_post(login("boston"), call_id, what="unban")     # nothing to lift
    assert status == 302
    with seeded.sessions() as db:
        assert not [e for e in entries_for(db, None) if e.action.startswith("ban.")]
    assert ban_post(login("admin"), call_id)[0] == 302                  # an admin may too


def test_an_admin_bans_a_caller_from_every_line_and_lifts_it(
        login: Login, seeded: Runtime) -> None:
    call_id, boston = boston_call(seeded)
    # A coordinator may not: refused, nothing banned.
    assert ban_post(login("boston"), call_id, everywhere="y")[0] == 403
    admin = login("admin")
    assert "From every line, not only this one (admins)" in admin.get(
        f"/contacts/{call_id}").data.decode()
    assert ban_post(admin, call_id, reason="calls every line", everywhere="y")[0] == 302
    with seeded.sessions() as db:
        (ban,) = db.scalars(select(Ban)).all()
        chicago = chapter_by_slug(db, "chicago-recovery").id
        assert ban.chapter_id is None and is_banned(db, seeded.privacy, CALLER, chicago)
    # Boston's coordinator sees the ban, and cannot lift one on every line.
    coordinator = login("boston")
    assert "banned from this line" in coordinator.get(f"/contacts/{call_id}").data.decode()
    ban_post(coordinator, call_id, what="unban")
    with seeded.sessions() as db:
        assert db.scalars(select(Ban)).all() != []
    assert ban_post(admin, call_id, what="unban")[0] == 302
    with seeded.sessions() as db:
        assert db.scalars(select(Ban)).all() == []
        actions = [e.action for e in entries_for(db, [boston]) if e.action.startswith("ban.")]
    assert sorted(actions) == ["ban.add", "ban.remove"]
