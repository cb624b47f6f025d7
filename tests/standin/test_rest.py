"""The REST stand-in refuses what Twilio's API does not define and answers in Twilio's shapes."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from openapi_core.contrib.werkzeug import WerkzeugOpenAPIRequest, WerkzeugOpenAPIResponse
from werkzeug.test import EnvironBuilder

from hotline.standin.openapi import load_spec
from hotline.standin.rest import create_rest_app
from tests.standin.fakes import EPOCH, FakeCarrier

ACCOUNT = "AC" + "ab" * 16
TOKEN = "rest-token-0123456789"
BASE = f"/2010-04-01/Accounts/{ACCOUNT}"
GOOD_CALL = {
    "To": "+16175550111",
    "From": "+16175550100",
    "Url": "https://hotline.test/voice/screen",
    "StatusCallback": "https://hotline.test/voice/status",
    "StatusCallbackEvent": ["initiated", "ringing", "answered", "completed"],
    "Timeout": "25",
}


def auth(sid: str = ACCOUNT, token: str = TOKEN) -> dict[str, str]:
    pair = base64.b64encode(f"{sid}:{token}".encode()).decode()
    return {"Authorization": f"Basic {pair}"}


@pytest.fixture
def carrier() -> FakeCarrier:
    return FakeCarrier(account_sid=ACCOUNT)


@pytest.fixture
def client(carrier: FakeCarrier, twilio_spec_path: Path) -> Iterator[FlaskClient]:
    app = create_rest_app(carrier, TOKEN, twilio_spec_path)
    with app.test_client() as test_client:
        yield test_client


def refusal(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.get_data(as_text=True)
    body: dict[str, Any] = response.get_json()
    assert set(body) == {"code", "message", "more_info", "status"}
    assert body["status"] == status
    assert body["more_info"].endswith(str(body["code"]))
    return body


def test_create_call_passes_exactly_what_was_asked(
    client: FlaskClient, carrier: FakeCarrier
) -> None:
    response = client.post(f"{BASE}/Calls.json", data=GOOD_CALL, headers=auth())
    assert response.status_code == 201
    [request] = carrier.call_requests
    assert (request.to, request.from_, request.url) == (
        "+16175550111",
        "+16175550100",
        "https://hotline.test/voice/screen",
    )
    assert request.status_callback == "https://hotline.test/voice/status"
    assert request.status_callback_event == ("initiated", "ringing", "answered", "completed")
    assert request.timeout == 25
    assert request.method == "POST"
    assert request.extra == {}
    body = response.get_json()
    assert body["sid"] in carrier.calls
    assert body["status"] == "queued"
    assert body["uri"] == f"{BASE}/Calls/{body['sid']}.json"


def test_call_defaults_follow_twilio(client: FlaskClient, carrier: FakeCarrier) -> None:
    data = {"To": "+16175550111", "From": "+16175550100", "Url": "https://hotline.test/x"}
    assert client.post(f"{BASE}/Calls.json", data=data, headers=auth()).status_code == 201
    [request] = carrier.call_requests
    assert request.status_callback_event == ("completed",)
    assert request.timeout == 60


@pytest.mark.parametrize(
    ("field", "value", "named"),
    [
        ("Tiemout", "30", "'Tiemout'"),
        ("timeout", "30", "did you mean 'Timeout'"),
        ("Timeout", "abc", "'Timeout'"),
        ("Method", "PUT", "'Method'"),
        ("Record", "maybe", "'Record'"),
    ],
)
def test_create_call_refuses_what_the_spec_does_not_allow(
    client: FlaskClient, carrier: FakeCarrier, field: str, value: str, named: str
) -> None:
    data = {**GOOD_CALL, field: value}
    body = refusal(client.post(f"{BASE}/Calls.json", data=data, headers=auth()), 400)
    assert named in body["message"]
    assert value in body["message"] or "Unknown parameter" in body["message"]
    assert 21000 <= body["code"] < 22000
    assert carrier.call_requests == []


def test_python_list_as_status_event_is_refused(client: FlaskClient, carrier: FakeCarrier) -> None:
    data = {**GOOD_CALL, "StatusCallbackEvent": "['ringing', 'answered']"}
    body = refusal(client.post(f"{BASE}/Calls.json", data=data, headers=auth()), 400)
    assert "StatusCallbackEvent" in body["message"]
    assert carrier.call_requests == []


def test_call_without_to_is_refused_with_twilios_code(client: FlaskClient) -> None:
    data = {k: v for k, v in GOOD_CALL.items() if k != "To"}
    body = refusal(client.post(f"{BASE}/Calls.json", data=data, headers=auth()), 400)
    assert "'To'" in body["message"]


@pytest.mark.parametrize(
    "headers",
    [{}, auth(token="wrong"), auth(sid="AC" + "cd" * 16), {"Authorization": "Bearer x"}],
    ids=["none", "bad-token", "other-account", "not-basic"],
)
def test_bad_credentials_get_401(
    client: FlaskClient, carrier: FakeCarrier, headers: dict[str, str]
) -> None:
    response = client.post(f"{BASE}/Calls.json", data=GOOD_CALL, headers=headers)
    body = refusal(response, 401)
    assert body["code"] == 20003
    assert response.headers["WWW-Authenticate"].startswith("Basic")
    assert carrier.call_requests == []


def test_path_account_must_be_the_authenticated_one(
    client: FlaskClient, carrier: FakeCarrier
) -> None:
    other = f"/2010-04-01/Accounts/AC{'cd' * 16}/Calls.json"
    refusal(client.post(other, data=GOOD_CALL, headers=auth()), 403)
    assert carrier.call_requests == []


def test_fetch_and_update(client: FlaskClient, carrier: FakeCarrier) -> None:
    sid = client.post(f"{BASE}/Calls.json", data=GOOD_CALL, headers=auth()).get_json()["sid"]
    carrier.set_status(sid, "in-progress")
    fetched = client.get(f"{BASE}/Calls/{sid}.json", headers=auth())
    assert fetched.status_code == 200
    assert fetched.get_json()["status"] == "in-progress"
    moved = client.post(
        f"{BASE}/Calls/{sid}.json", data={"Url": "https://hotline.test/vm"}, headers=auth()
    )
    assert moved.status_code == 200
    twiml = "<Response><Say>Goodbye</Say></Response>"
    spoken = client.post(f"{BASE}/Calls/{sid}.json", data={"Twiml": twiml}, headers=auth())
    assert spoken.status_code == 200
    ended = client.post(f"{BASE}/Calls/{sid}.json", data={"Status": "completed"}, headers=auth())
    assert ended.get_json()["status"] == "completed"
    assert ended.get_json()["duration"] == "42"
    assert [(u.status, u.url, u.twiml) for u in carrier.updates] == [
        (None, "https://hotline.test/vm", None),
        (None, None, twiml),
        ("completed", None, None),
    ]


@pytest.mark.parametrize(
    ("data", "named"),
    [
        ({"Status": "hungup"}, "Status"),
        ({"Url": "https://x.test", "Urll": "y"}, "Urll"),
        ({"TimeLimit": "30"}, "TimeLimit"),
    ],
)
def test_update_refuses_bad_parameters(
    client: FlaskClient, carrier: FakeCarrier, data: dict[str, str], named: str
) -> None:
    sid = client.post(f"{BASE}/Calls.json", data=GOOD_CALL, headers=auth()).get_json()["sid"]
    body = refusal(client.post(f"{BASE}/Calls/{sid}.json", data=data, headers=auth()), 400)
    assert named in body["message"]
    assert carrier.updates == []


def test_unknown_call_is_404(client: FlaskClient) -> None:
    missing = "CA" + "f" * 32
    assert refusal(client.get(f"{BASE}/Calls/{missing}.json", headers=auth()), 404)["code"] == 20404
    assert refusal(client.get(f"{BASE}/Calls/nonsense.json", headers=auth()), 404)


def test_carrier_error_becomes_its_status(client: FlaskClient, carrier: FakeCarrier) -> None:
    sid = client.post(f"{BASE}/Calls.json", data=GOOD_CALL, headers=auth()).get_json()["sid"]
    carrier.set_status(sid, "completed")
    data = {"Url": "https://hotline.test/vm"}
    body = refusal(client.post(f"{BASE}/Calls/{sid}.json", data=data, headers=auth()), 400)
    assert body["code"] == 21220


def test_message_create(client: FlaskClient, carrier: FakeCarrier) -> None:
    data = {"To": "+16175550111", "From": "+16175550100", "Body": "Missed call, ring back?"}
    response = client.post(f"{BASE}/Messages.json", data=data, headers=auth())
    assert response.status_code == 201
    assert response.get_json()["sid"].startswith("SM")
    [message] = carrier.messages
    assert (message.to, message.from_, message.body) == (data["To"], data["From"], data["Body"])
    refusal(client.post(f"{BASE}/Messages.json", data={**data, "Bdy": "x"}, headers=auth()), 400)
    assert len(carrier.messages) == 1


def test_resources_match_twilios_response_schema(
    client: FlaskClient, carrier: FakeCarrier, twilio_spec_path: Path
) -> None:
    openapi = load_spec(twilio_spec_path).openapi
    response = client.post(f"{BASE}/Calls.json", data=GOOD_CALL, headers=auth())
    builder = EnvironBuilder(
        f"{BASE}/Calls.json",
        "https://api.twilio.com",
        method="POST",
        data=GOOD_CALL,
        headers=list(auth().items()),
    )
    request = WerkzeugOpenAPIRequest(builder.get_request())
    openapi.validate_response(request, WerkzeugOpenAPIResponse(response))
    body = response.get_json()
    assert parsedate_to_datetime(body["date_created"]) == EPOCH
    assert body["date_created"].endswith("+0000")
    assert len(body["sid"]) == 34


def test_without_spec_types_are_still_checked(carrier: FakeCarrier) -> None:
    client = create_rest_app(carrier, TOKEN, None).test_client()
    body = refusal(
        client.post(f"{BASE}/Calls.json", data={**GOOD_CALL, "Timeout": "abc"}, headers=auth()), 400
    )
    assert "'Timeout'" in body["message"]
