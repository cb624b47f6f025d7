"""TwilioTelephony, with the real twilio client, against the REST stand-in over real HTTP.

The stand-in checks every request against Twilio's OpenAPI description, so a
parameter the library or this code gets wrong fails here.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from hotline.standin.carrier import CallRequest, MessageRequest
from hotline.standin.openapi import ensure_spec
from hotline.standin.rest import create_rest_app, serve_rest
from hotline.telephony import OutboundCall, TelephonyError
from hotline.telephony.twilio_rest import TwilioTelephony
from tests.standin.fakes import CallUpdate, FakeCarrier

ACCOUNT = "AC" + "12" * 16
TOKEN = "telephony-token-0123456789"
CALL = OutboundCall(
    to="+16175550111",
    from_="+16175550100",
    url="https://hotline.test/voice/screen?call=CA1",
    status_callback="https://hotline.test/voice/leg-status",
    timeout_seconds=25,
)


@pytest.fixture(scope="module")
def spec_path(pytestconfig: pytest.Config) -> Path:
    return ensure_spec(pytestconfig.rootpath / ".cache" / "twilio-openapi")


@pytest.fixture
def carrier() -> FakeCarrier:
    return FakeCarrier(account_sid=ACCOUNT)


@pytest.fixture
def base_url(carrier: FakeCarrier, spec_path: Path) -> Iterator[str]:
    url, stop = serve_rest(create_rest_app(carrier, TOKEN, spec_path))
    yield url
    stop()


@pytest.fixture
def telephony(base_url: str) -> TwilioTelephony:
    return TwilioTelephony(ACCOUNT, TOKEN, api_base_url=base_url, timeout_seconds=5)


def test_place_call_arrives_exactly_as_asked(
    telephony: TwilioTelephony, carrier: FakeCarrier
) -> None:
    sid = telephony.place_call(CALL)
    assert carrier.call_requests == [
        CallRequest(
            to="+16175550111",
            from_="+16175550100",
            url="https://hotline.test/voice/screen?call=CA1",
            method="POST",
            status_callback="https://hotline.test/voice/leg-status",
            status_callback_method="POST",
            status_callback_event=("initiated", "ringing", "answered", "completed"),
            timeout=25,
        )
    ]
    assert list(carrier.calls) == [sid]


def test_stop_ringing_call_cancels_it(telephony: TwilioTelephony, carrier: FakeCarrier) -> None:
    sid = telephony.place_call(CALL)
    carrier.set_status(sid, "ringing")
    telephony.stop_call(sid)
    assert carrier.updates == [CallUpdate(sid, "canceled", None, "POST", None)]
    assert carrier.calls[sid].status == "canceled"


def test_stop_answered_call_completes_it(telephony: TwilioTelephony, carrier: FakeCarrier) -> None:
    sid = telephony.place_call(CALL)
    carrier.set_status(sid, "in-progress")
    telephony.stop_call(sid)
    assert carrier.updates == [CallUpdate(sid, "completed", None, "POST", None)]
    assert carrier.calls[sid].status == "completed"


def test_stop_call_answered_during_cancel_hangs_it_up(
    telephony: TwilioTelephony, carrier: FakeCarrier
) -> None:
    sid = telephony.place_call(CALL)
    carrier.answer_before_cancel = True
    telephony.stop_call(sid)
    assert [u.status for u in carrier.updates] == ["canceled", "completed"]
    assert carrier.calls[sid].status == "completed"


@pytest.mark.parametrize("ended", ["completed", "no-answer", "busy", "canceled", "failed"])
def test_stop_ended_call_is_not_an_error(
    telephony: TwilioTelephony, carrier: FakeCarrier, ended: str
) -> None:
    sid = telephony.place_call(CALL)
    carrier.set_status(sid, ended)
    telephony.stop_call(sid)
    assert carrier.updates == []
    assert carrier.calls[sid].status == ended


def test_stop_unknown_call_is_an_error(telephony: TwilioTelephony) -> None:
    with pytest.raises(TelephonyError, match="20404"):
        telephony.stop_call("CA" + "f" * 32)


def test_move_call(telephony: TwilioTelephony, carrier: FakeCarrier) -> None:
    sid = telephony.place_call(CALL)
    carrier.set_status(sid, "in-progress")
    telephony.move_call(sid, "https://hotline.test/voice/voicemail")
    assert carrier.updates == [
        CallUpdate(sid, None, "https://hotline.test/voice/voicemail", "POST", None)
    ]


def test_move_ended_call_is_a_telephony_error(
    telephony: TwilioTelephony, carrier: FakeCarrier
) -> None:
    sid = telephony.place_call(CALL)
    carrier.set_status(sid, "completed")
    with pytest.raises(TelephonyError, match=r"HTTP 400, Twilio error 21220"):
        telephony.move_call(sid, "https://hotline.test/voice/voicemail")


def test_send_sms(telephony: TwilioTelephony, carrier: FakeCarrier) -> None:
    sid = telephony.send_sms("+16175550111", "+16175550100", "Call waiting: Boston line")
    assert sid.startswith("SM") and len(sid) == 34
    assert carrier.messages == [
        MessageRequest(to="+16175550111", from_="+16175550100", body="Call waiting: Boston line")
    ]


def test_wrong_token_is_a_telephony_error(base_url: str, carrier: FakeCarrier) -> None:
    wrong = TwilioTelephony(ACCOUNT, "not-the-token", api_base_url=base_url)
    with pytest.raises(TelephonyError, match=r"HTTP 401, Twilio error 20003"):
        wrong.place_call(CALL)
    assert carrier.call_requests == []


def test_region_in_environment_does_not_reroute(
    base_url: str, carrier: FakeCarrier, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TWILIO_REGION", "au1")
    monkeypatch.setenv("TWILIO_EDGE", "sydney")
    TwilioTelephony(ACCOUNT, TOKEN, api_base_url=base_url).place_call(CALL)
    assert len(carrier.call_requests) == 1


def test_unreachable_server_is_a_telephony_error() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    nowhere = TwilioTelephony(ACCOUNT, TOKEN, api_base_url=f"http://127.0.0.1:{port}")
    with pytest.raises(TelephonyError, match="ConnectionError"):
        nowhere.place_call(CALL)


def test_silent_server_times_out() -> None:
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        port = silent.getsockname()[1]
        stalled = TwilioTelephony(
            ACCOUNT, TOKEN, api_base_url=f"http://127.0.0.1:{port}", timeout_seconds=0.3
        )
        outcome: list[BaseException] = []

        def attempt() -> None:
            try:
                stalled.send_sms("+16175550111", "+16175550100", "hello")
            except BaseException as exc:  # handed to the test thread below
                outcome.append(exc)

        started = time.monotonic()
        worker = threading.Thread(target=attempt)
        worker.start()
        worker.join(timeout=5)
        assert not worker.is_alive(), "the request never timed out"
        assert time.monotonic() - started < 3
        assert len(outcome) == 1 and isinstance(outcome[0], TelephonyError)
        assert "Timeout" in str(outcome[0])


def test_recording_media_is_fetched_with_the_accounts_credentials(spec_path: Path) -> None:
    """What the voicemail inbox streams: the recording's audio from the REST API, with basic
    auth; one the network no longer has is Twilio's 20404."""
    from datetime import UTC, datetime

    from hotline.standin.calls import Recording
    from hotline.standin.switchboard import Switchboard

    board = Switchboard(account_sid=ACCOUNT)
    at = datetime(2026, 3, 2, 15, tzinfo=UTC)
    sid = "RE" + "ab" * 16
    board.recordings.append(Recording(sid, "CA" + "1" * 32, f"https://standin.invalid/{sid}", 4,
                                      at, at))
    url, stop = serve_rest(create_rest_app(board, TOKEN, spec_path))
    try:
        audio = TwilioTelephony(ACCOUNT, TOKEN, api_base_url=url).recording_audio(sid)
        assert audio == board.recording_media(sid) and audio[:4] == b"RIFF"
        with pytest.raises(TelephonyError) as gone:
            TwilioTelephony(ACCOUNT, TOKEN, api_base_url=url).recording_audio("RE" + "cd" * 16)
        assert gone.value.code == 20404
        with pytest.raises(TelephonyError):
            TwilioTelephony(ACCOUNT, "not-the-token", api_base_url=url).recording_audio(sid)
    finally:
        stop()
