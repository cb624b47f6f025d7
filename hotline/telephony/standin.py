"""`Telephony` straight into the stand-in's switchboard: in-process drills and tests, no HTTP."""

from __future__ import annotations

from hotline.standin.carrier import CallRequest, Carrier, CarrierError, MessageRequest
from hotline.telephony import OutboundCall, TelephonyError


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
            raise TelephonyError(str(error)) from error

    def stop_call(self, call_sid: str) -> None:
        try:
            state = self.carrier.fetch_call(call_sid)
            # Twilio: "canceled" stops a call not yet answered, "completed" hangs one up.
            if state.status in ("queued", "ringing"):
                self.carrier.update_call(call_sid, status="canceled")
            elif state.status == "in-progress":
                self.carrier.update_call(call_sid, status="completed")
        except CarrierError as error:
            raise TelephonyError(str(error)) from error

    def move_call(self, call_sid: str, url: str) -> None:
        try:
            self.carrier.update_call(call_sid, url=url, method="POST")
        except CarrierError as error:
            raise TelephonyError(str(error)) from error

    def send_sms(self, to: str, from_: str, body: str) -> str:
        try:
            return self.carrier.create_message(MessageRequest(to=to, from_=from_, body=body)).sid
        except CarrierError as error:
            raise TelephonyError(str(error)) from error
