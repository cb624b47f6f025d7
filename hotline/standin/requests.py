"""How the switchboard talks to the app under test: Twilio's parameters, status callbacks,
TwiML requests and what it makes of the answers (a mixin of `Switchboard`)."""

from __future__ import annotations

from email.utils import format_datetime
from typing import TYPE_CHECKING, Protocol
from xml.etree.ElementTree import Element

from hotline.standin.calls import HttpError, Leg
from hotline.standin.vocabulary import TwimlError, check_twiml
from hotline.telephony import ENDED

if TYPE_CHECKING:
    from datetime import datetime

    from hotline.standin.delivery import Courier
    from hotline.standin.transport import Target
    from hotline.standin.twiml import Player

API_VERSION = "2010-04-01"
SIP_CODES = {"completed": "200", "busy": "486", "no-answer": "487", "canceled": "487",
             "failed": "500"}


class Board(Protocol):
    """What these requests need of the switchboard they run on."""

    target: Target | None
    requests: list[tuple[datetime, str, str, dict[str, str], int]]
    errors: list[HttpError]
    courier: Courier
    player: Player

    def now(self) -> datetime: ...
    def log(self, leg: Leg | None, text: str, *numbers: str) -> None: ...
    def end(self, leg: Leg, status: str) -> None: ...
    def params(self, leg: Leg) -> dict[str, str]: ...
    def request(self, leg: Leg | None, url: str, params: dict[str, str],
                method: str = ...) -> tuple[int, str]: ...
    def notify(self, leg: Leg | None, url: str, params: dict[str, str],
               method: str = ...) -> None: ...
    def parse(self, leg: Leg, url: str, body: str) -> list[Element] | None: ...
    def error(self, leg: Leg | None, url: str, status: int, detail: str) -> None: ...
    def fetch_media(self, leg: Leg, url: str) -> None: ...


class AppRequests:
    """Requests to the app; every method runs on a `Switchboard` (a `Board`)."""

    def params(self: Board, leg: Leg) -> dict[str, str]:
        """The parameters Twilio puts on every request about a call."""
        params = {
            "CallSid": leg.sid, "AccountSid": leg.account_sid, "From": leg.from_,
            "To": leg.to, "Caller": leg.from_, "Called": leg.to,
            "CallStatus": leg.status, "Direction": leg.direction, "ApiVersion": API_VERSION,
        }
        params.update(leg.extra)
        if leg.machine_detection and leg.answered is not None:
            params["AnsweredBy"] = "machine_start" if getattr(
                leg.party, "machine", False) else "human"
        return params

    def status_callback(self: Board, leg: Leg, event: str) -> None:
        if not leg.status_callback or event not in leg.status_events:
            return
        params = self.params(leg)
        params.update({
            "SequenceNumber": str(leg.sequence), "Timestamp": format_datetime(self.now()),
            "CallbackSource": "call-progress-events",
        })
        if event == "initiated":
            params["CallStatus"] = "initiated"
        if event == "completed":
            state = leg.state()
            params["CallDuration"] = str(state.duration or 0)
            params["Duration"] = str(-(-(state.duration or 0) // 60))
            params["SipResponseCode"] = SIP_CODES.get(leg.status, "200")
        leg.sequence += 1
        url, method = leg.status_callback, leg.status_callback_method

        def send() -> None:
            self.notify(leg, url, params, method)

        self.courier.post(leg.sid, event, send, last=leg.status in ENDED)

    def request(
        self: Board, leg: Leg | None, url: str, params: dict[str, str], method: str = "POST",
    ) -> tuple[int, str]:
        if self.target is None:
            raise RuntimeError("no webhook target attached (make a Simulator first)")
        answer = self.target.request(method, url, params)
        self.requests.append((self.now(), method, url, dict(params), answer.status))
        if not answer.ok:
            self.error(leg, url, answer.status, answer.body[:200])
        return answer.status, answer.body

    def notify(
        self: Board, leg: Leg | None, url: str, params: dict[str, str], method: str = "POST",
    ) -> None:
        """A request whose answer is ignored (callbacks; actions after a hang-up)."""
        self.request(leg, url, params, method)

    def fetch(
        self: Board, leg: Leg, url: str, params: dict[str, str], method: str = "POST",
    ) -> list[Element] | None:
        """Request TwiML; None (error recorded) when the app's answer is unusable."""
        status, body = self.request(leg, url, params, method)
        if not 200 <= status < 300:
            return None
        return self.parse(leg, url, body)

    def parse(self: Board, leg: Leg, url: str, body: str) -> list[Element] | None:
        try:
            root = check_twiml(body)   # every element and attribute twilio-python knows
        except TwimlError as exc:
            self.error(leg, url, 200, f"bad TwiML: {exc}")
            return None
        if root.tag != "Response":
            self.error(leg, url, 200, f"bad TwiML: root is <{root.tag}>")
            return None
        return list(root)

    def error(self: Board, leg: Leg | None, url: str, status: int, detail: str) -> None:
        self.errors.append(HttpError(self.now(), leg.sid if leg else None, url, status, detail))
        self.log(leg, f"app error: {url} answered {status or 'nothing'}: {detail[:80]}")

    def fetch_media(self: Board, leg: Leg, url: str) -> None:
        """A <Play> of the app's own media: fetched (GET) as Twilio would; anything but
        audio is an error (the recording is skipped, the call goes on)."""
        target = self.target
        if target is None or not url.startswith(target.public_url + "/"):
            leg.played.append((url, 0, ""))       # media elsewhere: not ours to fetch
            return
        answer = target.request("GET", url, {})
        leg.played.append((url, answer.status, answer.content_type))
        if not answer.ok or not answer.content_type.startswith("audio/"):
            self.error(leg, url, answer.status,
                       f"media not playable ({answer.content_type or 'no content type'})")

    def application_error(self: Board, leg: Leg) -> None:
        """What Twilio does when the TwiML cannot be had: apologise and hang up."""
        if not leg.live:
            return
        self.player.heard(leg, "We are sorry, an application error has occurred. Goodbye.")
        self.end(leg, "completed" if leg.answered else "failed")
