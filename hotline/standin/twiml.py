"""The TwiML interpreter: plays a document's verbs on a leg, one scheduled step at a time.

Each verb either finishes at once or schedules the leg's next step after the time it takes
(a Say by its word count, a Pause by its length). Anything that interrupts a leg bumps its
epoch, so the stale steps of the abandoned document do nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING
from xml.etree.ElementTree import Element

from hotline.standin.calls import Gathering, Leg, Recorder
from hotline.standin.phones import HangUp
from hotline.standin.transport import resolve

if TYPE_CHECKING:
    from hotline.standin.switchboard import Switchboard

FOREVER = float("inf")
RECORD_KEYS = "1234567890*#"


def _float(verb: Element, name: str, default: float) -> float:
    try:
        return float(verb.get(name, default))
    except ValueError:
        return default


def loops(verb: Element) -> float:
    """How many times a Say/Play repeats; loop="0" means until interrupted."""
    count = _float(verb, "loop", 1)
    return FOREVER if count == 0 else max(count, 1)


class Player:
    """Runs TwiML for the switchboard's legs."""

    def __init__(self, board: Switchboard) -> None:
        from hotline.standin import dialing, queues  # they call back into this class

        self.board = board
        self.verbs: dict[str, Callable[[Leg, Element], None]] = {
            "Say": self.say, "Play": self.play, "Pause": self.pause, "Gather": self.gather,
            "Redirect": self.redirect_verb, "Hangup": self.hangup, "Reject": self.reject,
            "Record": self.record, "Leave": lambda leg, verb: queues.leave(self, leg),
            "Enqueue": lambda leg, verb: queues.enqueue(self, leg, verb),
            "Dial": lambda leg, verb: dialing.dial(self, leg, verb),
        }

    # -- documents ---------------------------------------------------------------------------

    def open(
        self, leg: Leg, url: str, method: str = "POST", extra: dict[str, str] | None = None,
        on_end: Callable[[], None] | None = None,
    ) -> None:
        """Fetch TwiML for `leg` from `url` and play it; `on_end` runs when it runs out."""
        if not leg.live:
            return
        params = self.board.params(leg)
        params.update(extra or {})
        verbs = self.board.fetch(leg, url, params, method.upper() or "POST")
        if verbs is None:
            self.board.application_error(leg)
            return
        self.play_document(leg, url, verbs, on_end)

    def open_leg(self, leg: Leg) -> None:
        """An answered outbound leg fetches its `url` (or plays its inline TwiML)."""
        if leg.twiml is not None:
            verbs = self.board.parse(leg, leg.url or "inline TwiML", leg.twiml)
            if verbs is None:
                self.board.application_error(leg)
                return
            self.play_document(leg, leg.url or "", verbs, None)
        elif leg.url:
            self.open(leg, leg.url, leg.method)

    def play_document(
        self, leg: Leg, url: str, verbs: list[Element], on_end: Callable[[], None] | None,
    ) -> None:
        leg.interrupt()
        leg.doc_url, leg.verbs, leg.index, leg.on_doc_end = url, verbs, 0, on_end
        if leg.status == "ringing" and leg.direction == "inbound":
            first = verbs[0] if verbs else None
            if first is not None and first.tag == "Dial" and first.get(
                    "answerOnBridge", "").lower() == "true":
                leg.answer_on_bridge = True      # ringback continues until someone answers
            elif first is None or first.tag != "Reject":
                self.board.answer(leg)
        self.step(leg)

    def redirect(self, leg: Leg, url: str | None, method: str, twiml: str | None) -> None:
        """A REST update moves a live leg: it leaves its queue or bridge and plays anew."""
        if not leg.live:
            return
        self.board.run_hooks(leg, "redirect")
        if leg.bridge is not None:
            self.board.unbridge(leg, "redirect")
        leg.interrupt()
        if twiml is not None:
            verbs = self.board.parse(leg, url or "inline TwiML", twiml)
            if verbs is None:
                self.board.application_error(leg)
                return
            self.play_document(leg, url or leg.doc_url, verbs, None)
        elif url:
            self.open(leg, url, method)

    def step(self, leg: Leg) -> None:
        """Play the next verb (or finish the document)."""
        if not leg.live:
            return
        if leg.index >= len(leg.verbs):
            on_end, leg.on_doc_end = leg.on_doc_end, None
            if on_end is not None:
                on_end()
            else:
                self.board.end(leg, "completed")   # TwiML ran out: Twilio hangs up
            return
        verb = leg.verbs[leg.index]
        leg.index += 1
        handler = self.verbs.get(verb.tag)
        if handler is None:
            self.board.error(leg, leg.doc_url, 200, f"unsupported verb <{verb.tag}>")
            self.board.application_error(leg)
            return
        handler(leg, verb)

    def after(self, leg: Leg, seconds: float) -> None:
        """Continue with the next verb `seconds` from now, unless interrupted meanwhile."""
        if seconds == FOREVER:
            return
        epoch = leg.epoch
        self.board.scheduler.after(seconds, lambda: self.step(leg) if leg.epoch == epoch else None)

    def heard(self, leg: Leg, text: str) -> None:
        leg.heard.append(text)
        self.board.log(leg, f"{self.board.who(leg)} hears: {text}", leg.to)

    def resolve(self, leg: Leg, ref: str | None) -> str:
        return resolve(leg.doc_url, ref) if ref else leg.doc_url

    # -- simple verbs ------------------------------------------------------------------------

    def duration(self, verb: Element) -> float:
        if verb.tag == "Say":
            words = len((verb.text or "").split())
            return max(1.0, words / self.board.words_per_second) * loops(verb)
        if verb.tag == "Play":
            digits = verb.get("digits")
            if digits and not (verb.text or "").strip():
                return 0.5 * len(digits)
            return self.board.play_seconds * loops(verb)
        if verb.tag == "Pause":
            return _float(verb, "length", 1)
        return 0.0

    def announce(self, leg: Leg, verb: Element) -> None:
        if verb.tag == "Say":
            self.heard(leg, (verb.text or "").strip())
        elif verb.tag == "Play":
            self.board.log(leg, f"{self.board.who(leg)} hears a recording: "
                                f"{(verb.text or verb.get('digits') or '').strip()}", leg.to)

    def say(self, leg: Leg, verb: Element) -> None:
        self.announce(leg, verb)
        self.after(leg, self.duration(verb))

    def play(self, leg: Leg, verb: Element) -> None:
        self.announce(leg, verb)
        url = (verb.text or "").strip()
        if url and not verb.get("digits"):
            self.board.fetch_media(leg, self.resolve(leg, url))
        self.after(leg, self.duration(verb))

    pause = say

    def redirect_verb(self, leg: Leg, verb: Element) -> None:
        url = self.resolve(leg, verb.text)
        on_end = leg.on_doc_end     # a redirect inside hold music or a whisper stays there
        self.open(leg, url, verb.get("method", "POST"), on_end=on_end)

    def hangup(self, leg: Leg, verb: Element) -> None:
        self.board.end(leg, "completed")

    def reject(self, leg: Leg, verb: Element) -> None:
        if leg.answered is not None:
            self.board.end(leg, "completed")
            return
        # Twilio's <Reject> page: the call "ends with a status of busy or no-answer, depending
        # on the verb's reason attribute": reason="busy" ends busy, the default "rejected" ends
        # no-answer (SignalWire's clone of the verb documents the same mapping).
        leg.reject_reason = verb.get("reason", "rejected")
        self.board.log(leg, f"call rejected ({leg.reject_reason}), never answered")
        self.board.end(leg, "busy" if leg.reject_reason == "busy" else "no-answer")

    # -- Gather ------------------------------------------------------------------------------

    def gather(self, leg: Leg, verb: Element) -> None:
        state = Gathering(
            action=self.resolve(leg, verb.get("action")),
            method=verb.get("method", "POST"),
            num_digits=int(verb.get("numDigits", "0")) or None,
            finish_on_key=verb.get("finishOnKey", "#"),
            timeout=_float(verb, "timeout", 5),
            on_empty=verb.get("actionOnEmptyResult", "").lower() == "true",
        )
        leg.gathering = state
        leg.gathers_heard += 1
        epoch = leg.epoch
        prompt = 0.0
        for child in verb:
            self.board.scheduler.after(prompt, partial(self._prompt, leg, state, child))
            prompt += self.duration(child)
        reply = leg.party.reply(leg.gathers_heard)
        when = (prompt if prompt != FOREVER else 0.0) + leg.party.think
        if isinstance(reply, HangUp):
            self.board.scheduler.after(
                when, lambda: self.board.hang_up(leg) if leg.epoch == epoch else None)
        elif reply:
            self.board.scheduler.after(
                when, lambda: self.press(leg, reply) if leg.epoch == epoch else None)
        if prompt != FOREVER:
            self._gather_timer(leg, state, prompt + state.timeout)

    def _prompt(self, leg: Leg, state: Gathering, child: Element) -> None:
        if leg.gathering is state and not state.presses:   # a key press cuts the prompt
            self.announce(leg, child)

    def _gather_timer(self, leg: Leg, state: Gathering, seconds: float) -> None:
        presses = state.presses

        def expire() -> None:
            if leg.gathering is state and state.presses == presses and leg.live:
                self._submit(leg, state)

        self.board.scheduler.after(seconds, expire)

    def press(self, leg: Leg, digits: str) -> None:
        """The party on `leg` presses keys; only a Gather or a Record listens."""
        if not leg.live:
            return
        self.board.log(leg, f"{self.board.who(leg)} presses {digits}", leg.to)
        leg.digits.append(digits)
        for key in digits:
            if key == "*" and leg.on_star is not None:
                leave, leg.on_star = leg.on_star, None
                leave()               # <Dial hangupOnStar>: out of the Dial, on with the TwiML
                continue
            state = leg.gathering
            if state is not None:
                state.presses += 1
                if key in state.finish_on_key:
                    self._submit(leg, state)
                    continue
                state.digits += key
                if state.num_digits and len(state.digits) >= state.num_digits:
                    self._submit(leg, state)
                else:
                    self._gather_timer(leg, state, state.timeout)
            elif leg.recorder is not None and key in leg.recorder.finish_on_key:
                self.finish_recording(leg, key)

    def _submit(self, leg: Leg, state: Gathering) -> None:
        leg.gathering = None
        leg.interrupt()
        if state.digits or state.on_empty:
            # The action's TwiML carries on in the same context (a screen, a hold).
            self.open(leg, state.action, state.method, {"Digits": state.digits},
                      on_end=leg.on_doc_end)
        else:
            self.board.log(leg, f"{self.board.who(leg)}: no input, Gather falls through")
            self.after(leg, 0)

    # -- Record ------------------------------------------------------------------------------

    def record(self, leg: Leg, verb: Element) -> None:
        callback = verb.get("recordingStatusCallback")
        recorder = Recorder(
            action=self.resolve(leg, verb.get("action")),
            method=verb.get("method", "POST"),
            finish_on_key=verb.get("finishOnKey", RECORD_KEYS),
            status_callback=self.resolve(leg, callback) if callback else None,
            status_callback_method=verb.get("recordingStatusCallbackMethod", "POST"),
            started=self.board.now(),
            max_length=_float(verb, "maxLength", 3600),
        )
        if verb.get("playBeep", "true").lower() != "false":
            self.board.log(leg, f"{self.board.who(leg)} hears a beep", leg.to)
        leg.recorder = recorder

        def on_hangup(why: str) -> None:
            if leg.recorder is recorder:
                self.finish_recording(leg, "hangup", why=why)

        leg.on_hangup.append(on_hangup)
        epoch = leg.epoch
        speech = leg.party.message_seconds or 0.0
        silence = _float(verb, "timeout", 5)
        speaking = min(speech, recorder.max_length)
        if speech:
            self.board.log(leg, f"{self.board.who(leg)} speaks for {speech:g}s", leg.to)
        if speech and leg.party.hang_up_after_message and speech < recorder.max_length:
            self.board.scheduler.after(speaking, lambda: self.board.hang_up(leg)
                                       if leg.epoch == epoch else None)
            return
        ends = recorder.max_length if speech >= recorder.max_length else speech + silence
        self.board.scheduler.after(
            ends, lambda: self.finish_recording(leg, "", spoken=speaking)
            if leg.epoch == epoch else None)

    def finish_recording(
        self, leg: Leg, key: str, *, spoken: float | None = None, why: str = "",
    ) -> None:
        from hotline.standin.calls import Recording

        recorder, leg.recorder = leg.recorder, None
        if recorder is None:
            return
        board = self.board
        elapsed = (board.now() - recorder.started).total_seconds()
        speech = leg.party.message_seconds or 0.0
        duration = int(round(min(elapsed, speech) if spoken is None else spoken))
        if duration <= 0:
            # No audio: Twilio makes no recording and goes on to the next verb.
            board.log(leg, "Record heard nothing")
            if leg.live and why != "redirect":
                leg.interrupt()
                self.after(leg, 0)
            return
        sid = board.sids.new("RE")
        url = f"{board.recording_base_url}/2010-04-01/Accounts/{leg.account_sid}/Recordings/{sid}"
        recording = Recording(sid, leg.sid, url, duration, recorder.started, board.now())
        board.recordings.append(recording)
        board.log(leg, f"recording {sid[:8]}.. of {duration}s made")
        params = {"RecordingUrl": url, "RecordingSid": sid,
                  "RecordingDuration": str(duration), "Digits": key or ""}
        if recorder.status_callback:
            extra = {
                "AccountSid": leg.account_sid, "CallSid": leg.sid, "RecordingSid": sid,
                "RecordingUrl": url, "RecordingStatus": "completed",
                "RecordingDuration": str(duration), "RecordingChannels": "1",
                "RecordingSource": "RecordVerb",
                "RecordingStartTime": recorder.started.strftime("%a, %d %b %Y %H:%M:%S +0000"),
            }
            status_url, status_method = recorder.status_callback, recorder.status_callback_method
            board.scheduler.after(board.recording_delay, lambda: board.notify(
                leg, status_url, extra, status_method))
        if why == "redirect":
            return
        if not leg.live:   # Twilio still posts the action after a hang-up; the reply is moot
            board.notify(leg, recorder.action, {**board.params(leg), **params}, recorder.method)
            return
        leg.interrupt()
        self.open(leg, recorder.action, recorder.method, params, on_end=leg.on_doc_end)
