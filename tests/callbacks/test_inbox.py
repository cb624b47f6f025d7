"""The voicemail inbox's domain: what a coordinator sees of each message, and the changes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from hotline.accounts.models import User
from hotline.callbacks.inbox import (
    FollowUpError,
    assign_voicemail,
    call_back,
    list_voicemails,
    mark_handled,
    member_of,
    voicemail_in,
)
from hotline.callbacks.listing import State, list_callbacks
from hotline.roster.changes import volunteer_by_phone
from hotline.roster.store import chapter_by_slug
from hotline.runtime import Runtime
from tests.web.helpers import PEOPLE, leave_voicemail, seed

AT = datetime(2026, 3, 10, 12, tzinfo=UTC)


@pytest.fixture
def rota(runtime: Runtime) -> Runtime:
    seed(runtime, "boston")
    return runtime


def test_each_message_masked_with_the_callers_calls_in_the_week_before(rota: Runtime) -> None:
    leave_voicemail(rota, at=AT - timedelta(days=8))               # outside the week
    leave_voicemail(rota, at=AT - timedelta(days=2))
    newest = leave_voicemail(rota, at=AT)
    leave_voicemail(rota, caller="+16175550222", at=AT)
    leave_voicemail(rota, slug="chicago-recovery", at=AT)          # another chapter's
    with rota.sessions() as db:
        boston = chapter_by_slug(db, "boston-grief")
        lines = list_voicemails(db, [boston.id])
    assert [line.caller for line in lines[:2]] in (["***0987", "***0222"],
                                                   ["***0222", "***0987"])
    counts = {line.id: line.calls_in_week for line in lines}
    assert counts[newest] == 2 and len(lines) == 4
    assert all(line.chapter == "boston-grief" for line in lines)


def test_changes_refused_with_a_reason(rota: Runtime) -> None:
    voicemail = leave_voicemail(rota)
    withheld = leave_voicemail(rota, caller=None)
    with rota.transaction() as db:
        boston = chapter_by_slug(db, "boston-grief")
        erin = volunteer_by_phone(db, "+13125550111")              # Chicago's
        found = voicemail_in(db, voicemail, frozenset({boston.id}))
        assert found is not None
        message, call = found
        assert voicemail_in(db, voicemail, frozenset({boston.id + 1000})) is None
        with pytest.raises(FollowUpError, match="active volunteer of this chapter"):
            assign_voicemail(db, message, call, erin.id, AT)
        ann = volunteer_by_phone(db, "+16175550111")
        ann.active = False
        with pytest.raises(FollowUpError):
            member_of(db, boston.id, ann.id)
        coordinator = db.scalars(select(User.id).where(User.email == PEOPLE["boston"][0])).one()
        mark_handled(message, coordinator, AT)
        with pytest.raises(FollowUpError, match="already"):
            mark_handled(message, coordinator, AT)
        hidden = voicemail_in(db, withheld, None)
        assert hidden is not None
        with pytest.raises(FollowUpError, match="withheld"):
            call_back(db, hidden[0], hidden[1], coordinator, AT)


def test_a_call_back_from_a_message_waits_in_the_queue(rota: Runtime) -> None:
    voicemail = leave_voicemail(rota)
    with rota.transaction() as db:
        found = voicemail_in(db, voicemail, None)
        assert found is not None
        coordinator = db.scalars(select(User.id).where(User.email == PEOPLE["boston"][0])).one()
        request = call_back(db, *found, coordinator, AT)
    with rota.sessions() as db:
        (line,) = list_callbacks(db, chapter_slug="boston-grief")
    assert line.reference == request.reference and line.state is State.WAITING
    assert line.caller == "***0987" and line.id == request.id
