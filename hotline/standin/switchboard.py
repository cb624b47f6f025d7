"""The stand-in's carrier: places and tracks calls, queues, recordings and messages.

It implements `Carrier` for the REST front and for `StandinTelephony`. Carrier methods only
record the request and schedule the work, so they are safe to call from a webhook being
handled (re-entrant, in-process) or from the REST server's thread (real time).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from datetime import datetime
from functools import partial
from typing import Literal

from hotline.standin.calls import HttpError, Leg, Message, Recording, Sids, silence_wav
from hotline.standin.carrier import (
    CallRequest,
    CallState,
    CarrierError,
    ConferenceState,
    MessageRequest,
    MessageState,
    ParticipantState,
    status_after,
)
from hotline.standin.clock import RealClock, Scheduler, VirtualClock
from hotline.standin.conferences import Conference
from hotline.standin.delivery import ON_TIME, Courier, Delivery
from hotline.standin.phones import NO_SCRIPT, Mix, Party, Phone
from hotline.standin.requests import AppRequests
from hotline.standin.transcript import Transcript, short
from hotline.standin.transport import Target

API_VERSION = "2010-04-01"
TIME_LIMIT = 4 * 3600.0          # Twilio ends any call after four hours
SIP_CODES = {"completed": "200", "busy": "486", "no-answer": "487", "canceled": "487",
             "failed": "500"}
Hook = Callable[[str], None]     # called with "hangup" or "redirect"


class Switchboard(AppRequests):
    """Twilio's side of every call in one simulation."""

    def __init__(
        self,
        clock: VirtualClock | RealClock | None = None,
        account_sid: str = "AC" + "5" * 32,
        *,
        phones: Mapping[str, Phone | Mix] | None = None,
        delivery: Delivery = ON_TIME,
        seed: str = "standin",
        ring_delay: float = 1.0,
        play_seconds: float = 5.0,
        words_per_second: float = 2.5,      # <Say>: about 150 words a minute, as text to speech
        recording_delay: float = 2.0,
        recording_base_url: str = "https://standin.invalid",
        empty_queue: Literal["end", "wait"] = "wait",
        enqueue_action_on_redirect: bool = True,
    ) -> None:
        self.clock = clock or VirtualClock()
        self.scheduler = Scheduler(self.clock)
        self.account_sid = account_sid
        self.phones: dict[str, Phone | Mix] = dict(phones or {})
        self.rng = random.Random(seed)     # noqa: S311 - a simulation, repeatable by seed
        self.courier = Courier(self.scheduler, delivery)
        self.sids = Sids(seed)
        self.ring_delay = ring_delay
        self.play_seconds = play_seconds
        self.words_per_second = words_per_second
        self.recording_delay = recording_delay
        self.recording_base_url = recording_base_url.rstrip("/")
        self.empty_queue = empty_queue
        self.enqueue_action_on_redirect = enqueue_action_on_redirect
        self.transcript = Transcript(self.clock.now())
        self.target: Target | None = None
        self.legs: dict[str, Leg] = {}
        self.queues: dict[str, list[Leg]] = {}
        self.queue_waits: dict[str, list[float]] = {}
        self.agents: dict[str, list[tuple[Leg, str | None]]] = {}   # waiting on empty queues
        self.conferences: dict[str, Conference] = {}     # by name: the latest of that name
        self.conference_log: list[Conference] = []      # every conference, in order made
        self.messages: list[Message] = []
        self.recordings: list[Recording] = []
        self.deleted_recordings: list[str] = []
        self.errors: list[HttpError] = []
        self.requests: list[tuple[datetime, str, str, dict[str, str], int]] = []
        from hotline.standin.twiml import Player  # the interpreter needs this class; built last

        self.player = Player(self)

    # -- set-up ------------------------------------------------------------------------------

    def attach(self, target: Target) -> None:
        self.target = target

    def phone(self, number: str, script: Phone | Mix) -> None:
        """Give `number` a script; numbers without one ring out."""
        self.phones[number] = script

    def now(self) -> datetime:
        return self.clock.now()

    def script(self, number: str) -> Phone:
        """What the phone at `number` does this time it rings (rings out if unscripted)."""
        found = self.phones.get(number, NO_SCRIPT)
        if isinstance(found, Mix):
            weights = [weight for weight, _ in found.choices]
            return self.rng.choices([phone for _, phone in found.choices], weights)[0]
        return found

    def log(self, leg: Leg | None, text: str, *numbers: str) -> None:
        self.transcript.log(
            self.now(), text, call_sid=leg.sid if leg else None, numbers=numbers,
        )

    def who(self, leg: Leg) -> str:
        """How the transcript names a leg's far party."""
        if leg.direction == "inbound":
            return "caller"
        return f"{leg.to} (leg {short(leg.sid)})"

    # -- Carrier -----------------------------------------------------------------------------

    def create_call(self, request: CallRequest) -> CallState:
        if not request.to or not request.from_:
            raise CarrierError("A 'To' and a 'From' are required.", 400, 21201)
        if not request.url and not request.twiml:
            raise CarrierError("Either a 'Url' or 'Twiml' must be provided.", 400, 21205)
        leg = self._new_leg(
            to=request.to, from_=request.from_, direction="outbound-api",
            party=self.script(request.to), timeout=float(request.timeout),
        )
        leg.url, leg.method, leg.twiml = request.url, request.method, request.twiml
        leg.status_callback = request.status_callback
        leg.status_callback_method = request.status_callback_method
        leg.status_events = request.status_callback_event
        leg.machine_detection = request.machine_detection
        self.log(leg, f"app places a call to {leg.to} (leg {short(leg.sid)})", leg.to)
        self.scheduler.soon(lambda: self.ring(leg))
        return leg.state()

    def fetch_call(self, sid: str) -> CallState:
        return self._leg(sid).state()

    def update_call(
        self, sid: str, *, status: str | None = None, url: str | None = None,
        method: str = "POST", twiml: str | None = None,
    ) -> CallState:
        leg = self._leg(sid)
        if status is not None:
            final = status_after(leg.status, status)
            if leg.live and final != leg.status:
                self.log(leg, f"app stops {self.who(leg)}", leg.to)
                self.scheduler.soon(lambda: self.end(leg, final))
                state = leg.state()
                return CallState(**{**state.__dict__, "status": final})
            return leg.state()
        if url is None and twiml is None:
            raise CarrierError("Nothing to update.", 400, 21220)
        if not leg.live:
            raise CarrierError("Call is not in-progress. Cannot redirect.", 400, 21220)
        self.log(leg, f"app moves {self.who(leg)} to {url or 'new TwiML'}", leg.to)
        if leg.answered is None and leg.direction != "inbound":
            leg.url, leg.method, leg.twiml = url, method, twiml   # fetched when answered
        else:
            self.scheduler.soon(lambda: self.player.redirect(leg, url, method, twiml))
        return leg.state()

    def list_conferences(self, friendly_name: str | None, status: str | None
                         ) -> list[ConferenceState]:
        return [self._conference_state(room) for room in reversed(self.conference_log)
                if friendly_name in (None, room.name) and status in (None, room.status)]

    def update_participant(self, conference_sid: str, call_sid: str, *,
                           muted: bool) -> ParticipantState:
        from hotline.standin.conferences import set_muted

        room = next((r for r in self.conference_log if r.sid == conference_sid), None)
        if room is None:
            raise CarrierError(
                f"The requested resource Conference {conference_sid} was not found", 404, 20404)
        try:
            me = set_muted(self, room, call_sid, muted)
        except LookupError:
            raise CarrierError(f"The requested resource Participant {call_sid} was not found",
                               404, 20404) from None
        return ParticipantState(
            account_sid=self.account_sid, conference_sid=room.sid, call_sid=me.leg.sid,
            muted=me.muted, start_conference_on_enter=me.start_on_enter,
            end_conference_on_exit=me.end_on_exit, status="connected",
            date_created=me.joined, date_updated=self.now())

    def _conference_state(self, room: Conference) -> ConferenceState:
        return ConferenceState(sid=room.sid, account_sid=room.account_sid,
                               friendly_name=room.name, status=room.status,
                               date_created=room.created,
                               date_updated=room.ended or room.started or room.created)

    def list_messages(self, to: str, from_: str, since: datetime) -> list[MessageState]:
        return [self._message_state(m) for m in self.messages
                if m.to == to and m.from_ == from_ and m.sent >= since]

    def recording_media(self, sid: str) -> bytes:
        recording = self._recording(sid)
        return silence_wav(recording.duration)

    def delete_recording(self, sid: str) -> None:
        recording = self._recording(sid)
        self.recordings.remove(recording)
        self.deleted_recordings.append(recording.sid)
        self.log(None, f"app deletes recording {short(sid)}")

    def _recording(self, sid: str) -> Recording:
        for recording in self.recordings:
            if recording.sid == sid:
                return recording
        raise CarrierError(f"The requested resource Recording {sid} was not found", 404, 20404)

    def create_message(self, request: MessageRequest) -> MessageState:
        if not request.to or not request.from_ or not request.body:
            raise CarrierError("A 'To', a 'From' and a 'Body' are required.", 400, 21602)
        message = Message(self.sids.new("SM"), request.to, request.from_, request.body, self.now())
        self.messages.append(message)
        self.log(None, f"SMS {message.from_} -> {message.to}: {message.body}",
                 message.from_, message.to)
        if request.status_callback:
            callback = request.status_callback
            for delay, status in ((0.0, "sent"), (1.0, "delivered")):
                params = {
                    "MessageSid": message.sid, "SmsSid": message.sid,
                    "AccountSid": self.account_sid, "From": message.from_, "To": message.to,
                    "MessageStatus": status, "SmsStatus": status, "ApiVersion": API_VERSION,
                }
                self.scheduler.after(delay, partial(self.notify, None, callback, params))
        return self._message_state(message)

    def _message_state(self, message: Message) -> MessageState:
        return MessageState(
            sid=message.sid, account_sid=self.account_sid, to=message.to,
            from_=message.from_, body=message.body, status="queued",
            date_created=message.sent,
        )

    # -- legs --------------------------------------------------------------------------------

    def _leg(self, sid: str) -> Leg:
        leg = self.legs.get(sid)
        if leg is None:
            raise CarrierError(f"The requested resource {sid} was not found", 404, 20404)
        return leg

    def _new_leg(
        self, *, to: str, from_: str, direction: str, party: Party, timeout: float = 60.0,
        parent: Leg | None = None,
    ) -> Leg:
        leg = Leg(
            sid=self.sids.new("CA"), account_sid=self.account_sid, to=to, from_=from_,
            direction=direction, party=party, created=self.now(), timeout=timeout,
            parent_sid=parent.sid if parent else None,
        )
        self.legs[leg.sid] = leg
        return leg

    def incoming(
        self, from_: str, to: str, caller: Party, voice_url: str, *, method: str = "POST",
        extra: Mapping[str, str] | None = None, status_callback: str | None = None,
        status_events: tuple[str, ...] = ("completed",),
    ) -> Leg:
        """A call arriving at `to`: the voice URL is requested at once (call it from the loop)."""
        leg = self._new_leg(to=to, from_=from_, direction="inbound", party=caller)
        leg.extra = dict(extra or {})
        leg.status_callback, leg.status_events = status_callback, status_events
        leg.status = "ringing"
        self.log(leg, f"{from_} calls {to} (call {short(leg.sid)})", from_, to)
        self.start_party(leg)
        self._limit(leg)
        self.player.open(leg, voice_url, method)
        return leg

    def place_child(
        self, parent: Leg, to: str, from_: str, timeout: float, url: str | None,
        method: str, status_callback: str | None, status_events: tuple[str, ...],
        status_callback_method: str = "POST",
    ) -> Leg:
        """A `<Dial><Number>` leg (outbound-dial), rung now."""
        leg = self._new_leg(
            to=to, from_=from_, direction="outbound-dial",
            party=self.script(to), timeout=timeout, parent=parent,
        )
        leg.url, leg.method = url, method
        leg.status_callback, leg.status_events = status_callback, status_events
        leg.status_callback_method = status_callback_method
        leg.extra = {"ParentCallSid": parent.sid}
        self.log(leg, f"caller's Dial rings {to} (leg {short(leg.sid)})", to)
        self.ring(leg)
        return leg

    def ring(self, leg: Leg) -> None:
        """Play an outbound leg's first moments as its phone's script says."""
        if not leg.live:
            return
        self.status_callback(leg, "initiated")
        phone = leg.party if isinstance(leg.party, Phone) else NO_SCRIPT
        if phone.pickup in ("busy", "failed"):
            self.scheduler.after(phone.answer_after, lambda: self.end(leg, phone.pickup))
            return

        def ringing() -> None:
            if leg.status != "queued":
                return
            leg.status = "ringing"
            self.log(leg, f"{leg.to} rings (leg {short(leg.sid)})", leg.to)
            self.status_callback(leg, "ringing")
            epoch = leg.epoch
            leg.timers.append(
                self.scheduler.after(leg.timeout, lambda: self._ring_out(leg, epoch)))
            if phone.pickup == "answer" and phone.answer_after < leg.timeout:
                leg.timers.append(
                    self.scheduler.after(phone.answer_after, lambda: self.answer(leg)))

        self.scheduler.after(self.ring_delay, ringing)

    def _ring_out(self, leg: Leg, epoch: int) -> None:
        if leg.status == "ringing" and leg.epoch == epoch:
            self.end(leg, "no-answer")

    def answer(self, leg: Leg) -> None:
        if leg.status not in ("queued", "ringing"):
            return
        leg.status, leg.answered = "in-progress", self.now()
        label = f" ({leg.party.label})" if leg.party.label else ""
        if leg.direction == "inbound":
            self.log(leg, "call answered")
        else:
            self.log(leg, f"{leg.to} answers{label} (leg {short(leg.sid)})", leg.to)
        self.status_callback(leg, "answered")
        if leg.direction == "inbound":
            return
        self.start_party(leg)
        self._limit(leg)
        if leg.on_answer is not None:
            leg.on_answer(leg)
        elif leg.url or leg.twiml:
            self.player.open_leg(leg)

    def _limit(self, leg: Leg) -> None:
        handle = self.scheduler.after(TIME_LIMIT, lambda: self.end(leg, "completed"))
        leg.timers.append(handle)

    def start_party(self, leg: Leg) -> None:
        """Start a party's clock-driven actions (timed presses, giving up)."""
        party = leg.party
        for at, digits in party.presses:
            leg.timers.append(
                self.scheduler.after(at, partial(self.player.press, leg, digits)))
        if party.hang_up_after is not None:
            leg.timers.append(self.scheduler.after(party.hang_up_after, lambda: self.hang_up(leg)))
        if party.patience is not None:
            leg.timers.append(self.scheduler.after(party.patience, lambda: self._gave_up(leg)))

    def _gave_up(self, leg: Leg) -> None:
        if not leg.bridged_with:
            self.hang_up(leg)

    def hang_up(self, leg: Leg) -> None:
        """The party on `leg` puts the phone down."""
        if leg.live:
            self.log(leg, f"{self.who(leg)} hangs up", leg.to)
            self.end(leg, "completed" if leg.answered else "canceled")

    def end(self, leg: Leg, status: str) -> None:
        """The leg is over, with final `status`; whatever it was doing is wound up."""
        if not leg.live:
            return
        leg.interrupt()
        leg.status, leg.ended = status, self.now()
        for handle in leg.timers:    # its party's plans and time limit die with it
            self.scheduler.cancel(handle)
        self.log(leg, f"{'call' if leg.direction == 'inbound' else 'leg ' + short(leg.sid)}"
                      f" ended: {status}")
        self.run_hooks(leg, "hangup")
        if leg.bridge is not None:
            self.unbridge(leg, "hangup")
        self.status_callback(leg, "completed")

    def run_hooks(self, leg: Leg, why: str) -> None:
        hooks, leg.on_hangup = leg.on_hangup, []
        for hook in hooks:
            hook(why)

    # -- bridges -----------------------------------------------------------------------------

    def connect(
        self, a: Leg, b: Leg, resume_a: Callable[[bool], None],
        resume_b: Callable[[bool], None],
    ) -> None:
        """Bridge two live legs; each side's `resume(hung_up_self)` runs when it ends."""
        from hotline.standin.calls import Bridge

        for leg in (a, b):
            if leg.status == "ringing" and leg.direction == "inbound":
                self.answer(leg)      # answerOnBridge: the caller is answered only now
        bridge = Bridge(a, b, self.now())
        for leg, resume in ((a, resume_a), (b, resume_b)):
            leg.interrupt()
            leg.bridge, leg.on_unbridge = bridge, resume
            leg.bridged_with.append((bridge.other(leg).sid, bridge.started, None))
            talk = leg.party.talk_seconds
            if talk is not None:
                leg.timers.append(
                    self.scheduler.after(talk, partial(self._talked, leg, bridge)))
        self.log(a, f"{self.who(a)} bridged with {self.who(b)}", a.to, b.to)

    def _talked(self, leg: Leg, bridge: object) -> None:
        if leg.bridge is bridge:
            self.hang_up(leg)

    def unbridge(self, leg: Leg, why: str) -> None:
        bridge = leg.bridge
        if bridge is None:
            return
        other = bridge.other(leg)
        bridge.ended = self.now()
        for side in (leg, other):
            side.bridge = None
            sid, started, _ = side.bridged_with[-1]
            side.bridged_with[-1] = (sid, started, bridge.ended)
        seconds = int((bridge.ended - bridge.started).total_seconds())
        self.log(leg, f"bridge {self.who(bridge.a)} / {self.who(bridge.b)} ended after "
                      f"{seconds}s", bridge.a.to, bridge.b.to)
        mine, theirs = leg.on_unbridge, other.on_unbridge
        leg.on_unbridge = other.on_unbridge = None
        if why == "hangup" and mine is not None:
            mine(True)
        if theirs is not None:
            theirs(False)
