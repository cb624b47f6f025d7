"""A chapter's call-back queue: waiting, attempted and done with each attempt; given to a
volunteer of the chapter or canceled (audited as the CLI's cancel), for its coordinators only."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from hotline.audit.models import AuditEntry
from hotline.logs.models import (
    AttemptResult,
    CallbackRequest,
    FollowUpStatus,
)
from hotline.roster.changes import volunteer_by_phone
from hotline.roster.store import chapter_by_slug
from hotline.runtime import Runtime
from hotline.work import kinds
from hotline.work.models import ScheduledTask, TaskStatus
from tests.web.helpers import IMPORTED, PEOPLE, owe_callback, post

QUEUE = "/chapters/boston-grief/callbacks"


def card(page: str, reference: str) -> str:
    found = re.search(rf'<li class="card callback" id="callback-{reference}"(.*?)</li>', page,
                      re.S)
    assert found, f"{reference} not on the page"
    return found.group(0)


def request_of(runtime: Runtime, reference: str) -> CallbackRequest:
    with runtime.sessions() as db:
        return db.scalars(select(CallbackRequest)
                          .where(CallbackRequest.reference == reference)).one()


def audit(runtime: Runtime, action: str) -> list[AuditEntry]:
    with runtime.sessions() as db:
        return list(db.scalars(select(AuditEntry).where(AuditEntry.action == action)))


def test_the_queue_shows_waiting_attempted_and_done_with_each_attempt(
    seeded: Runtime, login: Callable[[str], FlaskClient],
) -> None:
    waiting = owe_callback(seeded, "+16175550901")
    attempted = owe_callback(seeded, "+16175550902", tried=AttemptResult.NO_ANSWER)
    done_ref = owe_callback(seeded, "+16175550903")
    with seeded.transaction() as db:
        done = db.scalars(select(CallbackRequest)
                          .where(CallbackRequest.reference == done_ref)).one()
        done.status, done.ended_at = FollowUpStatus.GAVE_UP, IMPORTED + timedelta(hours=1)
    page = login("boston").get(QUEUE).get_data(as_text=True)
    assert 'data-state="waiting"' in card(page, waiting) and "***0901" in page
    tried = card(page, attempted)
    assert 'data-state="attempted"' in tried and "Ann" in tried and "no_answer" in tried
    assert 'data-state="done"' in card(page, done_ref) and "gave_up" in card(page, done_ref)
    assert "Cancel" not in card(page, done_ref)
    assert "16175550901" not in page and "twilio" not in page.lower()


def test_giving_a_call_back_to_a_volunteer_of_the_chapter(
    seeded: Runtime, login: Callable[[str], FlaskClient],
) -> None:
    reference = owe_callback(seeded, "+16175550901")
    with seeded.sessions() as db:
        ben = volunteer_by_phone(db, PEOPLE["ben"][3] or "")
        erin = volunteer_by_phone(db, PEOPLE["erin"][3] or "")
    client = login("boston")
    assert post(client, f"{QUEUE}/{reference}/assign", {"volunteer": ben.id}).status_code == 302
    assert request_of(seeded, reference).claimed_volunteer_id == ben.id
    (entry,) = audit(seeded, "callback.assign")
    assert entry.subject == f"call-back {reference}" and entry.before == {
        "taken_by_volunteer_id": None} and entry.after == {"taken_by_volunteer_id": ben.id}
    assert "Ben" in card(client.get(QUEUE).get_data(as_text=True), reference)
    refused = post(client, f"{QUEUE}/{reference}/assign", {"volunteer": erin.id})
    assert "active volunteer of this chapter" in client.get(
        refused.headers["Location"]).get_data(as_text=True)
    assert request_of(seeded, reference).claimed_volunteer_id == ben.id
    post(client, f"{QUEUE}/{reference}/assign", {"volunteer": 0})
    assert request_of(seeded, reference).claimed_volunteer_id is None
    assert len(audit(seeded, "callback.assign")) == 2


def test_a_trainee_of_a_listen_in_line_is_not_given_a_call_back(
    seeded: Runtime, login: Callable[[str], FlaskClient],
) -> None:
    reference = owe_callback(seeded, "+16175550901")
    with seeded.transaction() as db:
        chapter_by_slug(db, "boston-grief").listen_in = True
        ben = volunteer_by_phone(db, PEOPLE["ben"][3] or "")
        ben.trainee = True
        ben_id = ben.id
    client = login("boston")
    page = client.get(QUEUE).get_data(as_text=True)
    assert f'<option value="{ben_id}">' not in card(page, reference)
    refused = post(client, f"{QUEUE}/{reference}/assign", {"volunteer": ben_id})
    assert "takes nothing alone" in client.get(
        refused.headers["Location"]).get_data(as_text=True)
    assert request_of(seeded, reference).claimed_volunteer_id is None


def test_canceling_ends_it_calls_off_its_attempt_and_is_audited_as_the_cli_does(
    seeded: Runtime, login: Callable[[str], FlaskClient],
) -> None:
    reference = owe_callback(seeded, "+16175550901")
    client = login("boston")
    assert post(client, f"{QUEUE}/{reference}/cancel").status_code == 302
    request = request_of(seeded, reference)
    assert request.status is FollowUpStatus.CANCELED and request.ended_at is not None
    with seeded.sessions() as db:
        tasks = db.scalars(select(ScheduledTask).where(
            ScheduledTask.kind == kinds.FOLLOWUP_ATTEMPT,
            ScheduledTask.subject_id == request.id)).all()
    assert tasks and all(t.status is TaskStatus.CANCELED for t in tasks)
    (entry,) = audit(seeded, "callback.cancel")
    assert entry.actor == "web:coord@example.org" and entry.subject == f"call-back {reference}"
    assert entry.before == {"status": "open", "attempts": 0}
    assert entry.after == {"status": "canceled"}
    assert 'data-state="done"' in card(client.get(QUEUE).get_data(as_text=True), reference)
    # Ended: nothing more to cancel or give.
    assert post(client, f"{QUEUE}/{reference}/cancel").status_code == 404
    assert post(client, f"{QUEUE}/{reference}/assign", {"volunteer": 0}).status_code == 404
    assert len(audit(seeded, "callback.cancel")) == 1


def test_only_the_chapters_coordinators_and_admins_see_or_change_its_queue(
    seeded: Runtime, login: Callable[[str], FlaskClient],
) -> None:
    reference = owe_callback(seeded, "+16175550901")
    assert reference in login("admin").get(QUEUE).get_data(as_text=True)
    chicago = login("chicago")
    assert chicago.get(QUEUE).status_code == 403
    assert reference not in chicago.get("/chapters/chicago-recovery/callbacks").get_data(
        as_text=True)
    for what in ("cancel", "assign"):
        assert post(chicago, f"{QUEUE}/{reference}/{what}", {"volunteer": 0}).status_code == 403
        assert post(chicago, f"/chapters/chicago-recovery/callbacks/{reference}/{what}",
                    {"volunteer": 0}).status_code == 404
        assert post(login("ann"), f"{QUEUE}/{reference}/{what}",
                    {"volunteer": 0}).status_code == 403
    assert login("ann").get(QUEUE).status_code == 403
    request = request_of(seeded, reference)
    assert request.status is FollowUpStatus.OPEN and request.claimed_volunteer_id is None
    assert audit(seeded, "callback.cancel") == audit(seeded, "callback.assign") == []


def test_the_queue_shows_every_open_call_back_and_the_latest_ended_ones(
    seeded: Runtime, login: Callable[[str], FlaskClient], monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("hotline.web.callbacks.DONE_SHOWN", 2)
    refs = [owe_callback(seeded, f"+1617555091{n}") for n in range(5)]
    with seeded.transaction() as db:
        for n, ref in enumerate(refs[:3]):              # ended at +1 h, +2 h, +3 h
            row = db.scalars(select(CallbackRequest)
                             .where(CallbackRequest.reference == ref)).one()
            row.status, row.ended_at = FollowUpStatus.DONE, IMPORTED + timedelta(hours=n + 1)
    page = login("boston").get(QUEUE).get_data(as_text=True)
    shown = re.findall(r'id="callback-(\w+)"', page)
    # The two open ones, and of the three ended, the two that ended last, newest first.
    assert sorted(shown[:2]) == sorted(refs[3:]) and shown[2:] == [refs[2], refs[1]]
