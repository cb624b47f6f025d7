"""`Telephony` straight into the stand-in's switchboard: in-process drills and tests, no HTTP."""

from __future__ import annotations

from datetime import datetime

from hotline.standin.carrier import CallRequest, Carrier, CarrierError, MessageRequest
from hotline.telephony import OutboundCall, TelephonyError, stop_status


class StandinTelephony:
    """Places, stops and moves calls on a `Carrier` (the stand-in's `Switchboard`)."""

    def __init__(self, carrier: Carrier) -> None:
        self.carrier = carrier

    def place_call(self, call: OutboundCall) -> str:
        request = CallRequest(
            to=call.to, from_=call.from_, url=call.url, status_callback=call.status_callback,
            status_callback_event=call.status_events, timeout=call.timeout_seconds,
        )
        try:
            return self.carrier.create_call(request).sid
        except CarrierError as error:
            raise TelephonyError(str(error), error.code) from error

    def stop_call(self, call_sid: str) -> None:
        try:
            target = stop_status(self.carrier.fetch_call(call_sid).status)
            if target is not None:
                self.carrier.update_call(call_sid, status=target)
        except CarrierError as error:
            raise TelephonyError(str(error), error.code) from error

    def move_call(self, call_sid: str, url: str) -> None:
        try:
            self.carrier.update_call(call_sid, url=url, method="POST")
        except CarrierError as error:
            raise TelephonyError(str(error), error.code) from error

    def send_sms(self, to: str, from_: str, body: str) -> str:
        try:
            return self.carrier.create_message(MessageRequest(to=to, from_=from_, body=body)).sid
        except CarrierError as error:
            raise TelephonyError(str(error), error.code) from error

    def find_sms(self, to: str, from_: str, since: datetime, body: str) -> str | None:
        found = [m for m in self.carrier.list_messages(to, from_, since) if m.body == body]
        return found[0].sid if found else None

    def recording_audio(self, recording_sid: str) -> bytes:
        try:
            return self.carrier.recording_media(recording_sid)
        except CarrierError as error:
            raise TelephonyError(str(error), error.code) from error

    def delete_recording(self, recording_sid: str) -> None:
        try:
            self.carrier.delete_recording(recording_sid)
        except CarrierError as error:
            raise TelephonyError(str(error), error.code) from error

    def mute_participant(self, conference: str, call_sid: str, muted: bool) -> None:
        try:
            rooms = self.carrier.list_conferences(conference, "in-progress")
            if not rooms:
                raise TelephonyError(f"no conference in progress named {conference}")
            self.carrier.update_participant(rooms[0].sid, call_sid, muted=muted)
        except CarrierError as error:
            raise TelephonyError(str(error), error.code) from error
