"""Over a cap, over the webhooks: the caller hears the lines are busy and may leave a
message; a withheld number where a chapter refuses them is rejected; each cap is logged
with the number masked and recorded on the call."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from hotline.app import create_app
from hotline.logs.contacts import contact_for
from hotline.logs.models import Call
from hotline.runtime import Runtime
from tests.conftest import TEST_PUBLIC_URL, RuntimeFactory
from tests.flows.harness import seed_chapter
from tests.voice.test_webhooks import incoming_form, one_statement, parse, post, statements_run

ROGUE = "+16175550666"


@pytest.fixture
def rt(make_runtime: RuntimeFactory) -> Runtime:
    runtime = make_runtime()
    seed_chapter(runtime, {1: ["+16175550111"]}, max_holding=3, reject_withheld=True)
    return runtime


@pytest.fixture
def app(rt: Runtime) -> Flask:
    return create_app(runtime=rt)


def ring(app: Flask, n: int, caller: str) -> Any:
    response = post(app, "/voice/incoming", incoming_form(CallSid=f"CA{n:032x}", From=caller))
    assert response.status_code == 200
    return parse(response.data)


def test_a_caller_over_their_cap_hears_busy_and_may_leave_a_message(
    app: Flask, rt: Runtime, caplog: pytest.LogCaptureFixture,
) -> None:
    assert ring(app, 1, ROGUE).find("Enqueue") is not None
    assert ring(app, 2, ROGUE).find("Enqueue") is not None
    busy = ring(app, 3, ROGUE)
    assert busy.find("Enqueue") is None
    assert "All of our lines are busy right now" in (busy.findtext("Say") or "")
    recording = busy.find("Record")
    assert recording is not None and busy.find("Gather") is None       # no call-back offered
    assert "turned away: caller cap (limit 2)" in caplog.text
    assert "***0666" in caplog.text and ROGUE not in caplog.text and ROGUE[1:] not in caplog.text
    # A retried webhook answers the same; the message is kept on the capped call.
    assert parse(post(app, "/voice/incoming", incoming_form(
        CallSid=f"CA{3:032x}", From=ROGUE)).data).find("Record") is not None
    action = recording.get("action", "").removeprefix(TEST_PUBLIC_URL)
    left = post(app, action, {"CallSid": f"CA{3:032x}", "RecordingSid": "RE" + "4" * 32,
                              "RecordingDuration": "12", "RecordingUrl": "https://x.test/RE4"})
    assert left.status_code == 200
    with rt.sessions() as session:
        row = contact_for(session, f"CA{3:032x}")
        capped = session.scalars(select(Call.cap).where(Call.cap.is_not(None))).all()
    assert row is not None and row.outcome is not None and row.outcome.value == "voicemail"
    assert capped == ["caller"]


def test_a_full_chapter_turns_the_next_caller_away(app: Flask, rt: Runtime) -> None:
    for n in range(1, 4):
        assert ring(app, n, f"+161755502{n:02d}").find("Enqueue") is not None
    busy = ring(app, 4, "+16175550299")
    assert busy.find("Record") is not None
    with rt.sessions() as session:
        assert session.scalar(select(Call.cap).where(Call.call_sid == f"CA{4:032x}")) == (
            "chapter")


def test_withheld_numbers_are_rejected_unanswered_where_refused(
    app: Flask, rt: Runtime, caplog: pytest.LogCaptureFixture,
) -> None:
    refused = ring(app, 1, "anonymous")
    assert refused.find("Reject") is not None and len(list(refused)) == 1
    assert "turned away: withheld cap" in caplog.text
    with rt.sessions() as session:
        row = contact_for(session, f"CA{1:032x}")
    assert row is not None and row.outcome is not None and row.outcome.value == "rejected"


def test_a_capped_call_is_still_one_statement(app: Flask, rt: Runtime) -> None:
    """The caps are read by the webhook's own statement: no extra round trip to the
    database on PostgreSQL (SQLite: one read, one write), capped or not."""
    ring(app, 1, ROGUE)
    ring(app, 2, ROGUE)
    with statements_run(rt) as let_in:
        ring(app, 3, "+16175550199")
    with statements_run(rt) as turned_away:
        ring(app, 4, ROGUE)
    assert let_in == one_statement(rt)
    assert turned_away[:len(let_in)] == let_in        # then the chapter's words, only then
