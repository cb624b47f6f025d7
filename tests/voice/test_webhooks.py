"""The webhook edge: signatures (rotation, raw query), typed parsing, 4xx never 500, TwiML."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from flask import Flask
from twilio.request_validator import RequestValidator

from hotline.app import create_app
from hotline.jobs import ManualRunner
from hotline.runtime import Runtime
from hotline.settings import Settings, with_overrides
from tests.conftest import TEST_AUTH_TOKEN, TEST_PUBLIC_URL, RecordingTelephony, RuntimeFactory
from tests.flows.harness import CALLER, HOTLINE, seed_chapter

SID = "CA" + "a" * 32
ANN = "+16175550111"


@pytest.fixture
def rt(make_runtime: RuntimeFactory, settings: Settings) -> Runtime:
    runtime = make_runtime(telephony=RecordingTelephony(), settings_=with_overrides(
        settings, twilio={"auth_token_secondary": "old-token-abcdef0123456789"}))
    seed_chapter(runtime, {1: [ANN]})
    return runtime


@pytest.fixture
def app(rt: Runtime) -> Flask:
    return create_app(runtime=rt)


def post(app: Flask, path: str, form: dict[str, str], *, token: str = TEST_AUTH_TOKEN) -> Any:
    url = TEST_PUBLIC_URL + path
    signature = RequestValidator(token).compute_signature(url, form)
    return app.test_client().post(path, data=form, headers={"X-Twilio-Signature": signature})


def incoming_form(**extra: str) -> dict[str, str]:
    return {"CallSid": SID, "From": CALLER, "To": HOTLINE, "CallStatus": "ringing",
            "Direction": "inbound", "AccountSid": "AC" + "0" * 32, **extra}


def parse(body: bytes) -> ET.Element:
    return ET.fromstring(body)


def test_incoming_holds_caller_in_a_queue_named_by_call_sid(app: Flask, rt: Runtime) -> None:
    response = post(app, "/voice/incoming", incoming_form())
    assert response.status_code == 200
    root = parse(response.data)
    enqueue = root.find("Enqueue")
    assert enqueue is not None and enqueue.text == SID
    assert enqueue.get("waitUrl", "").startswith(TEST_PUBLIC_URL + "/voice/calls/")
    assert enqueue.get("action", "").endswith("/queue-exit")
    # A retried webhook answers the same and writes no second record.
    again = post(app, "/voice/incoming", incoming_form())
    assert parse(again.data).find("Enqueue").get("waitUrl") == enqueue.get("waitUrl")  # type: ignore[union-attr]
    assert len(rt.jobs.pending()) == 1  # type: ignore[attr-defined]


def test_second_token_verifies_during_rotation(app: Flask) -> None:
    response = post(app, "/voice/incoming", incoming_form(),
                    token="old-token-abcdef0123456789")
    assert response.status_code == 200
    assert post(app, "/voice/incoming", incoming_form(), token="wrong").status_code == 403


def test_twilio_signing_the_url_with_its_default_port_still_verifies(app: Flask) -> None:
    """Twilio has signed https URLs both with and without :443; both are accepted."""
    form = incoming_form()
    with_port = TEST_PUBLIC_URL.replace("https://hotline.test", "https://hotline.test:443")
    signature = RequestValidator(TEST_AUTH_TOKEN).compute_signature(
        with_port + "/voice/incoming", form)
    response = app.test_client().post("/voice/incoming", data=form,
                                      headers={"X-Twilio-Signature": signature})
    assert response.status_code == 200
    wrong_port = RequestValidator(TEST_AUTH_TOKEN).compute_signature(
        "https://hotline.test:8443/voice/incoming", form)
    response = app.test_client().post("/voice/incoming", data=form,
                                      headers={"X-Twilio-Signature": wrong_port})
    assert response.status_code == 403


def test_raw_query_string_is_signed_as_sent(app: Flask) -> None:
    path = "/voice/incoming?note=a%2Fb%20c"
    assert post(app, path, incoming_form()).status_code == 200
    # Signing the decoded form of the URL must not verify.
    decoded = TEST_PUBLIC_URL + "/voice/incoming?note=a/b c"
    signature = RequestValidator(TEST_AUTH_TOKEN).compute_signature(decoded, incoming_form())
    bad = app.test_client().post(path, data=incoming_form(),
                                 headers={"X-Twilio-Signature": signature})
    assert bad.status_code == 403


def test_refusal_is_logged(app: Flask, caplog: pytest.LogCaptureFixture) -> None:
    assert app.test_client().post("/voice/status", data={}).status_code == 403
    assert "bad or missing X-Twilio-Signature" in caplog.text


def test_no_tokens_fails_closed(make_runtime: RuntimeFactory, settings: Settings) -> None:
    runtime = make_runtime(settings_=with_overrides(settings, twilio={"auth_token": ""}))
    app = create_app(runtime=runtime)
    assert post(app, "/voice/incoming", incoming_form(), token="").status_code == 403


@pytest.mark.parametrize(("path", "form"), [
    ("/voice/incoming", {"From": CALLER, "To": HOTLINE}),
    ("/voice/incoming", {"CallSid": "CAnot-a-sid", "From": CALLER, "To": HOTLINE}),
    ("/voice/incoming", {"CallSid": SID, "From": CALLER}),
    ("/voice/incoming", {"CallSid": SID, "From": CALLER, "To": "<script>"}),
    ("/voice/status", {"CallSid": SID, "CallStatus": "exploded", "SequenceNumber": "1"}),
    ("/voice/status", {"CallSid": SID, "CallStatus": "ringing", "SequenceNumber": "-1"}),
    ("/voice/status", {"CallSid": SID, "CallStatus": "ringing", "Timestamp": "yesterday"}),
    ("/voice/status", {"CallStatus": "completed"}),
    ("/voice/calls/1/hold", {"CallSid": SID}),
    ("/voice/calls/1/hold", {"CallSid": SID, "QueueTime": "ten"}),
    ("/voice/calls/1/queue-exit", {"CallSid": SID, "QueueResult": "sideways"}),
    ("/voice/calls/1/menu", {"CallSid": SID, "Digits": "1; DROP TABLE"}),
    ("/voice/calls/1/recorded", {"CallSid": SID, "RecordingSid": "RE1"}),
    ("/voice/calls/1/recording-status", {"CallSid": SID}),
    ("/voice/calls/1/dialled", {"CallSid": SID, "DialCallStatus": "maybe"}),
    ("/voice/legs/1/accept", {"Digits": "1"}),
    ("/voice/legs/1/status", {"CallSid": SID, "CallStatus": "intent"}),
])
def test_malformed_fields_get_400(app: Flask, path: str, form: dict[str, str]) -> None:
    response = post(app, path, form)
    assert response.status_code == 400, response.data
    assert b"Traceback" not in response.data


@pytest.mark.parametrize("path", [
    "/voice/calls/999/hold", "/voice/legs/999/answer", "/voice/legs/999/status",
])
def test_unknown_ids_get_404(app: Flask, path: str) -> None:
    form = {"CallSid": SID, "QueueTime": "3", "CallStatus": "ringing", "SequenceNumber": "1"}
    assert post(app, path, form).status_code == 404


def test_status_for_a_call_not_ours_is_accepted_and_ignored(app: Flask) -> None:
    form = {"CallSid": SID, "CallStatus": "completed", "SequenceNumber": "3"}
    assert post(app, "/voice/status", form).status_code == 204


def test_withheld_number_is_recorded_as_anonymous(app: Flask, rt: Runtime) -> None:
    from hotline.logs.contacts import contact_for

    post(app, "/voice/incoming", incoming_form(From="anonymous"))
    with rt.sessions() as session:
        row = contact_for(session, SID)
    assert row is not None and row.caller == "anonymous"


def test_leg_screen_and_claim_over_webhooks(app: Flask, rt: Runtime) -> None:
    post(app, "/voice/incoming", incoming_form())
    assert isinstance(rt.jobs, ManualRunner)
    rt.jobs.run_due()                            # dispatch, then ring the one volunteer
    telephony = rt.telephony
    assert isinstance(telephony, RecordingTelephony)
    (placed,) = telephony.placed
    assert placed.to == ANN and placed.from_ == HOTLINE
    answer_path = placed.url.removeprefix(TEST_PUBLIC_URL)
    (leg_sid,) = telephony.returned
    # Another call's SID cannot answer this leg (a signed request steering the wrong call).
    assert post(app, answer_path, {"CallSid": "CA" + "b" * 32}).status_code == 404
    screen = parse(post(app, answer_path, {"CallSid": leg_sid}).data)
    gather = screen.find("Gather")
    assert gather is not None and gather.get("numDigits") == "1"
    assert gather.findtext("Say") == "Boston Bereavement Line hotline call. Press 1 to accept."
    accept_path = gather.get("action", "").removeprefix(TEST_PUBLIC_URL)
    won = parse(post(app, accept_path, {"CallSid": leg_sid, "Digits": "1"}).data)
    assert won.findtext("Dial/Queue") == SID
    # Pressing again (a retried request) still bridges; the record says answered once.
    again = parse(post(app, accept_path, {"CallSid": leg_sid, "Digits": "1"}).data)
    assert again.findtext("Dial/Queue") == SID


def test_incoming_reads_one_row_and_writes_one(app: Flask, rt: Runtime) -> None:
    """Twilio and the caller wait on this request: the slow work (planning) is in the job.

    PostgreSQL reads the line and writes the call in one statement (one round trip);
    SQLite, which cannot write inside a CTE, in two.
    """
    with statements_run(rt) as statements:
        response = post(app, "/voice/incoming", incoming_form(CallSid="CA" + "b" * 32))
    assert response.status_code == 200
    assert parse(response.data).find("Enqueue") is not None
    assert statements == one_statement(rt)


@contextmanager
def statements_run(runtime: Runtime) -> Iterator[list[str]]:
    """The first word of each statement sent to the database meanwhile (no savepoints)."""
    from sqlalchemy import event

    statements: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if not statement.lstrip().upper().startswith(("SAVEPOINT", "RELEASE", "BEGIN")):
            statements.append(statement.split()[0].upper())

    engine = runtime.sessions.kw["bind"].engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


def one_statement(runtime: Runtime) -> list[str]:
    """What opening an incoming call sends: one statement on PostgreSQL; SQLite, which
    cannot write inside a CTE, a read and a write."""
    postgres = runtime.sessions.kw["bind"].engine.dialect.name == "postgresql"
    return ["WITH"] if postgres else ["SELECT", "INSERT"]


def test_every_url_the_app_hands_out_is_one_of_its_routes(app: Flask) -> None:
    from hotline.calls import urls

    patterns = {value for name, value in vars(urls).items()
                if name.isupper() and isinstance(value, str) and value.startswith("/")}
    rules = {rule.rule: rule for rule in app.url_map.iter_rules()
             if rule.rule.startswith(("/voice/", "/sms/"))}
    assert patterns == set(rules)
    adapter = app.url_map.bind("hotline.test")
    parts = {"call_id": 7, "leg_id": 9, "voicemail_id": 11, "number": 2, "token": "t0k",
             "step": "language"}
    for pattern in patterns:
        built = urls.path(pattern, **parts)
        method = "POST" if "POST" in (rules[pattern].methods or ()) else "GET"
        endpoint, args = adapter.match(built, method=method)
        assert built.startswith("/") and set(args.values()) <= set(parts.values()), (
            pattern, endpoint)
