"""After-call notes in the web app: written by the volunteer who took the call, from their
calls; read by them and the call's chapter's coordinators (and admins), nobody else."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from flask.testing import FlaskClient
from sqlalchemy import text

from hotline.audit.log import entries_for
from hotline.logs.models import LegOutcome
from hotline.roster.changes import volunteer_by_phone
from hotline.roster.store import chapter_by_slug
from hotline.runtime import Runtime
from tests.logs.calls import add_call
from tests.web.helpers import csrf

Login = Callable[[str], FlaskClient]
AT = datetime(2026, 3, 9, 23, 5, tzinfo=UTC)
WORDS = "She lost her husband in January; we talked about the first anniversary."


def calls(runtime: Runtime) -> dict[str, int]:
    with runtime.transaction() as db:
        boston = chapter_by_slug(db, "boston-grief").id
        ann = volunteer_by_phone(db, "+16175550111")
        ben = volunteer_by_phone(db, "+16175550112")
        return {
            "ann": add_call(db, runtime.privacy, chapter_id=boston, started_at=AT,
                            legs=[(ben, LegOutcome.DECLINED), (ann, LegOutcome.ANSWERED)],
                            talk_seconds=307),
            "ben": add_call(db, runtime.privacy, chapter_id=boston, started_at=AT.replace(day=8),
                            legs=[(ann, LegOutcome.NO_ANSWER), (ben, LegOutcome.ANSWERED)],
                            talk_seconds=90),
        }


def write(client: FlaskClient, call_id: int, words: str) -> int:
    url = f"/me/calls/{call_id}/note"
    page = client.get(url)
    token = csrf(page.data) if page.status_code == 200 else csrf(client.get("/me").data)
    return client.post(url, data={"csrf_token": token, "note": words}).status_code


def test_the_volunteer_who_took_a_call_writes_and_edits_its_note(
        login: Login, seeded: Runtime) -> None:
    made = calls(seeded)
    ann = login("ann")
    mine = ann.get("/me/calls").data.decode()
    assert f'href="/me/calls/{made["ann"]}/note"' in mine          # the call she took
    assert f'href="/me/calls/{made["ben"]}/note"' not in mine      # rung, not taken
    assert write(ann, made["ann"], "first words") == 302
    assert write(ann, made["ann"], WORDS) == 302
    assert WORDS in ann.get(f"/me/calls/{made['ann']}/note").data.decode()
    with seeded.sessions() as db:
        raw = db.execute(text("SELECT body_cipher FROM call_notes")).scalars().all()
        entries = [e for e in entries_for(db, None) if e.action == "note.write"]
    assert len(raw) == 1 and "husband" not in raw[0]                 # encrypted at rest
    assert [e.actor for e in entries] == ["web:ann@example.org"] * 2
    assert all("husband" not in repr((e.subject, e.before, e.after)) and "first" not in repr(
        (e.subject, e.before, e.after)) for e in entries)
    assert entries[0].after["call_id"] == made["ann"]
    coordinator = login("boston").get(f"/contacts/{made['ann']}").data.decode()
    assert WORDS in coordinator
    assert WORDS in login("admin").get(f"/contacts/{made['ann']}").data.decode()


def test_nobody_else_reads_or_writes_a_note(login: Login, seeded: Runtime) -> None:
    made = calls(seeded)
    assert write(login("ann"), made["ann"], WORDS) == 302
    ben = login("ben")
    assert ben.get(f"/me/calls/{made['ann']}/note").status_code == 403
    assert write(ben, made["ann"], "overwritten") == 403
    assert login("erin").get(f"/me/calls/{made['ann']}/note").status_code == 403
    assert login("ann").get(f"/me/calls/{made['ben']}/note").status_code == 403   # rung only
    assert login("ann").get("/me/calls/999999/note").status_code == 404
    chicago = login("chicago").get(f"/contacts/{made['ann']}")
    assert chicago.status_code == 403 and WORDS not in chicago.data.decode()
    assert login("boston").get(f"/me/calls/{made['ann']}/note").status_code == 403
    assert WORDS in login("ann").get(f"/me/calls/{made['ann']}/note").data.decode()


def test_an_empty_or_too_long_note_is_refused_with_a_reason(
        login: Login, seeded: Runtime) -> None:
    made = calls(seeded)
    ann = login("ann")
    url = f"/me/calls/{made['ann']}/note"
    for words in ("", "x" * 4001):
        response = ann.post(url, data={"csrf_token": csrf(ann.get(url).data), "note": words})
        assert response.status_code == 400 and 'class="error"' in response.data.decode()
    assert ann.post(url, data={"note": WORDS}).status_code == 400        # no CSRF token
    assert "No note written." in login("boston").get(f"/contacts/{made['ann']}").data.decode()
