"""Every voice route, signed, with garbage forms and ids: a 4xx or a success, never a 500."""

from __future__ import annotations

import pytest
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from hotline.app import create_app
from hotline.jobs import ManualRunner
from hotline.logs.models import Call, CallLeg
from hotline.runtime import Runtime
from tests.conftest import RecordingTelephony, RuntimeFactory
from tests.flows.harness import seed_chapter
from tests.voice.test_webhooks import post

ROUTES = [
    "/voice/incoming", "/voice/status", "/sms/incoming",
    "/voice/calls/{id}/hold", "/voice/calls/{id}/queue-exit", "/voice/calls/{id}/menu",
    "/voice/calls/{id}/recorded", "/voice/calls/{id}/recording-status",
    "/voice/calls/{id}/dialled", "/voice/legs/{id}/answer", "/voice/legs/{id}/accept",
    "/voice/legs/{id}/timeout", "/voice/legs/{id}/status", "/voice/legs/{id}/bridged",
]
FIELDS = ["CallSid", "From", "To", "CallStatus", "SequenceNumber", "Timestamp", "QueueTime",
          "QueueResult", "Digits", "RecordingSid", "RecordingUrl", "RecordingDuration",
          "RecordingStatus", "DialCallStatus", "DialCallDuration", "CallDuration",
          "MessageSid", "Body"]
GOOD = {"CallSid": "CA" + "a" * 32, "From": "+16175550199", "To": "+16175550100",
        "CallStatus": "completed", "SequenceNumber": "3", "QueueTime": "12",
        "QueueResult": "hangup", "Digits": "1", "RecordingSid": "RE" + "b" * 32,
        "RecordingUrl": "https://api.twilio.com/rec/RE1", "RecordingDuration": "4",
        "RecordingStatus": "completed", "DialCallStatus": "completed",
        "DialCallDuration": "30", "MessageSid": "SM" + "c" * 32, "Body": "hi"}
NASTY = st.one_of(
    st.text(max_size=40),
    st.sampled_from(["", " ", "\x00", "²", "١٢", "9" * 40, "-1", "1e3", "+", "CA" + "\x00" * 32,
                     "https://x/\x00", "Mon, 01 Jan 99999 00:00:00 +0000",
                     "Thu, 01 Jan 1970 00:00:00 +9999", "ringing", "in-progress"]),
)
LIVE = "CA" + "d" * 32
ids: list[int] = []      # the live call's and leg's, filled by the fixture
IDS = st.one_of(st.sampled_from([0, 1]), st.integers(min_value=0, max_value=10**30))


@pytest.fixture
def app(make_runtime: RuntimeFactory) -> Flask:
    """An app with a live call (id 1 or more) and a leg ringing for it."""
    runtime: Runtime = make_runtime(telephony=RecordingTelephony())
    seed_chapter(runtime, {1: ["+16175550111"]})
    app = create_app(runtime=runtime)
    assert post(app, "/voice/incoming", {**GOOD, "CallSid": LIVE}).status_code == 200
    runner = runtime.jobs
    assert isinstance(runner, ManualRunner)
    runner.run_due()                          # dispatch the call: one leg rings
    with runtime.sessions() as session:
        ids.extend([session.scalars(select(Call.id)).one(),
                    session.scalars(select(CallLeg.id)).one()])
    return app


@settings(max_examples=300, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(route=st.sampled_from(ROUTES), id_=IDS,
       changes=st.dictionaries(st.sampled_from(FIELDS), st.none() | NASTY, max_size=4))
def test_no_form_or_id_gets_a_500(
    app: Flask, route: str, id_: int, changes: dict[str, str | None]
) -> None:
    form = {k: v for k, v in {**GOOD, **changes}.items() if v is not None}
    if id_ in (0, 1):
        id_ = ids[-2] if "/calls/" in route else ids[-1]
    response = post(app, route.format(id=id_), form)
    assert response.status_code < 500, (route, id_, form, response.data[:300])


@pytest.mark.parametrize(("route", "changes"), [
    ("/voice/calls/{id}/hold", {"QueueTime": "²"}),
    ("/voice/calls/{id}/recorded", {"RecordingUrl": "https://api.twilio.com/\x00"}),
    ("/voice/calls/{id}/recording-status", {"RecordingDuration": "١٢"}),
    ("/voice/calls/99999999999999999999/hold", {}),
    ("/voice/legs/2147483648/answer", {}),
])
def test_known_500s(app: Flask, route: str, changes: dict[str, str]) -> None:
    response = post(app, route.format(id=ids[-2]), {**GOOD, **changes})
    assert 400 <= response.status_code < 500, response.data[:300]


def test_get_is_refused(app: Flask) -> None:
    for route in ROUTES:
        assert app.test_client().get(route.format(id=1)).status_code == 405
