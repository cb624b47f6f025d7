"""`Telephony` over Twilio's REST API with twilio-python (or any server that speaks it)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from hotline.telephony import ENDED, OutboundCall, TelephonyError, stop_status

T = TypeVar("T")

# A stop races the far end (answer, hang-up); each try re-reads the state first.
STOP_ATTEMPTS = 3


class TwilioTelephony:
    """Places, stops and moves calls and sends texts through `api_base_url`."""

    def __init__(
        self,
        account_sid: str,
        auth_token: str,
        api_base_url: str = "https://api.twilio.com",
        timeout_seconds: float = 10.0,
    ) -> None:
        if timeout_seconds <= 0:
            raise ValueError("timeout_seconds must be positive")
        client = Client(
            account_sid,
            auth_token,
            # The library's default client waits forever on a stalled connection.
            http_client=TwilioHttpClient(timeout=timeout_seconds),
        )
        # TWILIO_EDGE / TWILIO_REGION in the environment would rewrite the host name
        # and send requests past api_base_url (e.g. to real Twilio during a drill).
        client.edge = None
        client.region = None
        # Calls and Messages both live on the `api` domain (api.twilio.com/2010-04-01).
        client.api.base_url = api_base_url.rstrip("/")
        self._client: Any = client
        self._token = auth_token
        self._timeout = timeout_seconds
        self.account_sid = account_sid
        self.api_base_url = api_base_url.rstrip("/")

    def place_call(self, call: OutboundCall) -> str:
        """Start an outbound call; returns its CallSid."""
        created = _carry(
            "place a call",
            lambda: self._client.calls.create(
                to=call.to,
                from_=call.from_,
                url=call.url,
                method="POST",
                status_callback=call.status_callback,
                status_callback_method="POST",
                # A list: the library sends one StatusCallbackEvent parameter per event,
                # which is what Twilio expects (a tuple would not be expanded by it).
                status_callback_event=list(call.status_events),
                timeout=call.timeout_seconds,
            ),
        )
        return str(created.sid)

    def stop_call(self, call_sid: str) -> None:
        """End the call whatever its state; a call that has already ended is left alone."""
        for _ in range(STOP_ATTEMPTS):
            target = stop_status(self._status(call_sid))
            if target is None:
                return
            try:
                updated = self._client.calls(call_sid).update(status=target)
            except TwilioRestException:
                continue  # most likely the state moved under us: read it again
            except (TwilioException, OSError) as exc:
                raise _wrapped("stop call " + call_sid, exc) from exc
            if str(updated.status) in ENDED:
                return
        raise TelephonyError(
            f"could not stop call {call_sid} in {STOP_ATTEMPTS} attempts "
            f"(last seen {self._status(call_sid)})"
        )

    def move_call(self, call_sid: str, url: str) -> None:
        """Send a live call to new TwiML at `url` (POST)."""
        _carry(
            f"move call {call_sid}",
            lambda: self._client.calls(call_sid).update(url=url, method="POST"),
        )

    def send_sms(self, to: str, from_: str, body: str) -> str:
        """Send a text message; returns its MessageSid."""
        sent = _carry(
            "send a text message",
            lambda: self._client.messages.create(to=to, from_=from_, body=body),
        )
        return str(sent.sid)

    def find_sms(self, to: str, from_: str, since: datetime, body: str) -> str | None:
        """The MessageSid of such a text sent since `since`, if Twilio has one."""
        found = _carry("list text messages", lambda: self._client.messages.list(
            to=to, from_=from_, date_sent_after=since, limit=50))
        return next((str(m.sid) for m in found if m.body == body), None)

    def recording_audio(self, recording_sid: str) -> bytes:
        """The recording's audio as WAV, with the account's credentials (basic auth)."""
        import requests

        url = (f"{self.api_base_url}/2010-04-01/Accounts/{self.account_sid}/Recordings/"
               f"{recording_sid}.wav")
        try:
            reply = requests.get(url, auth=(self.account_sid, self._token),
                                 timeout=self._timeout)
        except requests.RequestException as exc:
            raise TelephonyError(f"could not fetch recording {recording_sid}: {exc}") from exc
        if reply.status_code != 200:
            raise TelephonyError(f"could not fetch recording {recording_sid}: HTTP "
                                 f"{reply.status_code}", 20404 if reply.status_code == 404
                                 else None)
        return reply.content

    def delete_recording(self, recording_sid: str) -> None:
        """Delete a recording at Twilio (its media is gone for good)."""
        _carry(f"delete recording {recording_sid}",
               lambda: self._client.recordings(recording_sid).delete())

    def mute_participant(self, conference: str, call_sid: str, muted: bool) -> None:
        """Find the conference in progress by its name, then update the participant."""
        rooms = _carry(f"find conference {conference}", lambda: self._client.conferences.list(
            friendly_name=conference, status="in-progress", limit=1))
        if not rooms:
            raise TelephonyError(f"no conference in progress named {conference}")
        _carry(f"update participant {call_sid}",
               lambda: self._client.conferences(rooms[0].sid).participants(call_sid)
               .update(muted=muted))

    def _status(self, call_sid: str) -> str:
        fetched = _carry(f"fetch call {call_sid}", lambda: self._client.calls(call_sid).fetch())
        return str(fetched.status)


def _carry(action: str, request: Callable[[], T]) -> T:
    try:
        return request()
    except (TwilioException, OSError) as exc:
        raise _wrapped(action, exc) from exc


def _wrapped(action: str, exc: Exception) -> TelephonyError:
    if isinstance(exc, TwilioRestException):
        # str(exc) adds terminal colours when stderr is a tty; build the line ourselves.
        return TelephonyError(
            f"could not {action}: HTTP {exc.status}, Twilio error {exc.code}: {exc.msg}",
            exc.code if isinstance(exc.code, int) else None,
        )
    return TelephonyError(f"could not {action}: {type(exc).__name__}: {exc}")
