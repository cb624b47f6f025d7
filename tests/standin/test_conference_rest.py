"""Conferences and their Participants at the REST stand-in, checked against Twilio's OpenAPI,
and driven by the real twilio client (TwilioTelephony.mute_participant) over HTTP."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path

import pytest
from openapi_core.contrib.werkzeug import WerkzeugOpenAPIRequest, WerkzeugOpenAPIResponse
from werkzeug.test import EnvironBuilder

from hotline.standin.calls import Leg
from hotline.standin.conferences import Conference, Participant, conference_sid
from hotline.standin.openapi import load_spec
from hotline.standin.phones import Party
from hotline.standin.rest import create_rest_app, serve_rest
from hotline.standin.switchboard import Switchboard
from hotline.telephony import TelephonyError
from hotline.telephony.twilio_rest import TwilioTelephony

ACCOUNT = "AC" + "cd" * 16
TOKEN = "conference-token-0123456789"
BASE = f"/2010-04-01/Accounts/{ACCOUNT}"
ROOM = "CA" + "a" * 32
TRAINEE = "CA" + "9" * 32


def auth() -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{ACCOUNT}:{TOKEN}".encode()).decode()}


@pytest.fixture
def board() -> Switchboard:
    """A switchboard with one conference in progress and a muted trainee in it."""
    board = Switchboard(account_sid=ACCOUNT)
    now = board.now()
    leg = Leg(sid=TRAINEE, account_sid=ACCOUNT, to="+16175550119", from_="+16175550100",
              direction="outbound-api", party=Party(), created=now, status="in-progress")
    board.legs[leg.sid] = leg
    room = Conference(ROOM, conference_sid(ACCOUNT, ROOM, now), ACCOUNT, now, started=now)
    room.participants.append(Participant(leg, lambda *_: None, muted=True, beep="false",
                                         start_on_enter=False, end_on_exit=False, joined=now,
                                         listener=True))
    board.conferences[ROOM] = room
    board.conference_log.append(room)
    return board


def _valid(openapi: object, method: str, path: str, response: object,
           data: dict[str, str] | None = None, query: dict[str, str] | None = None) -> None:
    builder = EnvironBuilder(path, "https://api.twilio.com", method=method, data=data,
                             query_string=query, headers=list(auth().items()))
    openapi.validate_response(  # type: ignore[attr-defined]
        WerkzeugOpenAPIRequest(builder.get_request()), WerkzeugOpenAPIResponse(response))


def test_list_and_unmute_answer_in_twilios_shapes(
        board: Switchboard, twilio_spec_path: Path) -> None:
    client = create_rest_app(board, TOKEN, twilio_spec_path).test_client()
    openapi = load_spec(twilio_spec_path).openapi
    query = {"FriendlyName": ROOM, "Status": "in-progress"}
    listed = client.get(f"{BASE}/Conferences.json", query_string=query, headers=auth())
    assert listed.status_code == 200, listed.get_data(as_text=True)
    _valid(openapi, "GET", f"{BASE}/Conferences.json", listed, query=query)
    [found] = listed.get_json()["conferences"]
    assert (found["friendly_name"], found["status"]) == (ROOM, "in-progress")
    path = f"{BASE}/Conferences/{found['sid']}/Participants/{TRAINEE}.json"
    updated = client.post(path, data={"Muted": "false"}, headers=auth())
    assert updated.status_code == 200, updated.get_data(as_text=True)
    _valid(openapi, "POST", path, updated, data={"Muted": "false"})
    assert updated.get_json()["muted"] is False
    trainee = board.conferences[ROOM].participants[0]
    assert trainee.muted is False and [muted for _, muted in trainee.mutes] == [False]


def test_participant_requests_outside_the_api_are_refused(
        board: Switchboard, twilio_spec_path: Path) -> None:
    client = create_rest_app(board, TOKEN, twilio_spec_path).test_client()
    sid = board.conferences[ROOM].sid
    path = f"{BASE}/Conferences/{sid}/Participants/{TRAINEE}.json"
    assert client.post(path, data={"Muted": "maybe"}, headers=auth()).status_code == 400
    assert client.post(path, data={"Muted": "false", "Hold": "true"},
                       headers=auth()).status_code == 400        # not carried out here
    other = f"{BASE}/Conferences/{sid}/Participants/{'CA' + '1' * 32}.json"
    assert client.post(other, data={"Muted": "false"}, headers=auth()).status_code == 404
    assert board.conferences[ROOM].participants[0].muted is True


@pytest.fixture
def telephony(board: Switchboard, twilio_spec_path: Path) -> Iterator[TwilioTelephony]:
    url, stop = serve_rest(create_rest_app(board, TOKEN, twilio_spec_path))
    yield TwilioTelephony(ACCOUNT, TOKEN, api_base_url=url, timeout_seconds=5)
    stop()


def test_twilio_client_unmutes_by_conference_name(
        board: Switchboard, telephony: TwilioTelephony) -> None:
    telephony.mute_participant(ROOM, TRAINEE, False)
    assert board.conferences[ROOM].participants[0].muted is False
    telephony.mute_participant(ROOM, TRAINEE, True)
    assert [muted for _, muted in board.conferences[ROOM].participants[0].mutes] == [False, True]
    with pytest.raises(TelephonyError, match="no conference in progress"):
        telephony.mute_participant("CA" + "b" * 32, TRAINEE, False)
