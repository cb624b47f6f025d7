"""Voice webhook views (thin): verify, parse, call one domain function, render TwiML.

Every route here is Twilio-facing and refuses a request whose X-Twilio-Signature does not
verify (403 and a log line). `/voice/incoming` and `/voice/status` are the public contract;
the rest are URLs the app hands to Twilio itself.

When the app itself is down, Twilio requests the number's "Primary handler fails" URL
(the fallback URL) instead. A chapter should point it at a static TwiML Bin that needs no
app, e.g. `<Response><Say>...</Say><Dial callerId="+1HOTLINE" timeout="25"><Number>+1COORD
</Number></Dial><Say>...leave a message...</Say><Record/></Response>`: a plain dial to a
coordinator's phone, then Twilio's own voicemail. Inside the app, a plain `<Dial>` is also
what a call falls back to when ringing by REST cannot start (see hotline.calls.flow).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import wraps
from typing import Any, NoReturn, TypeVar

from flask import Blueprint, Response, abort, request
from sqlalchemy.orm import Session

from hotline.app import MAX_BODY_BYTES, app_runtime
from hotline.calls import choosing, dialin, flow, legs, listening, reach, ringing, texts, urls
from hotline.calls.decisions import Connect, Goodbye, LegAnswer, NobodyOnCall
from hotline.runtime import Runtime
from hotline.voice import forms, media, menus, twiml
from hotline.voice.signature import is_valid, signed_url

log = logging.getLogger(__name__)

voice = Blueprint("voice", __name__)

# Row ids are 32-bit integers (SQLite and PostgreSQL both reject larger ones, with a 500).
MAX_ID = 2**31 - 1

View = Callable[..., Response | tuple[str, int]]
D = TypeVar("D")


def twilio_webhook(view: View) -> View:
    """Refuse unsigned requests; turn malformed forms into 400 and unknown ids into 404.

    A request with no signature, or a body larger than any Twilio sends, is refused from
    its headers alone: its body is never read, so junk cannot keep a worker thread busy.
    """

    @wraps(view)
    def checked(*args: Any, **kwargs: Any) -> Response | tuple[str, int]:
        runtime = app_runtime()
        signature = _refuse_unread()
        form = request.form
        if request.content_length is None and getattr(request.stream, "is_exhausted", False):
            # A chunked body is read up to the limit only: one that reached it is too big.
            _refuse(413, "a chunked body over the limit")
        url = signed_url(runtime.settings.app.public_url, request.environ)
        if not is_valid(runtime.settings.auth_tokens, url, form, signature):
            log.warning("refused %s %s: bad or missing X-Twilio-Signature", request.method,
                        request.path)
            abort(403, "signature does not verify")
        if any(isinstance(v, int) and not 0 < v <= MAX_ID for v in kwargs.values()):
            abort(404, "no such call")      # beyond any row id (and the database's integer)
        try:
            return view(*args, **kwargs)
        except forms.FormError as exc:
            log.warning("refused %s: %s", request.path, exc)
            abort(400, str(exc))
        except LookupError as exc:
            log.warning("%s: %s", request.path, exc)
            abort(404, "no such call")

    return checked


def _refuse_unread() -> str:
    """The request's signature, after refusing (403, 413) from its headers alone a request
    with none or with a body too big: such a body is never read."""
    signature = request.headers.get("X-Twilio-Signature")
    if not signature:
        _refuse(403, "bad or missing X-Twilio-Signature (none sent)")
    if (request.content_length or 0) > MAX_BODY_BYTES:
        _refuse(413, f"a body of {(request.content_length or 0) // 1024} KB")
    return signature


def _refuse(code: int, why: str) -> NoReturn:
    log.warning("refused %s %s: %s", request.method, request.path, why)
    abort(code, "signature does not verify" if code == 403 else None)


def _xml(body: str) -> Response:
    return Response(body, mimetype="application/xml")


def _public() -> str:
    return app_runtime().settings.app.public_url


@voice.post(urls.INCOMING)
@twilio_webhook
def incoming() -> Response:
    inbound = forms.parse_inbound(request.form)
    decision = flow.answer_incoming(app_runtime(), inbound)
    return _xml(twiml.incoming(decision, _public()))


@voice.post(urls.SMS_INCOMING)
@twilio_webhook
def incoming_text() -> Response:
    text = forms.parse_inbound_text(request.form)
    runtime = app_runtime()
    with runtime.transaction() as session:
        reply = texts.answer_text(session, runtime, text)
    return _xml(twiml.text_reply(reply))


@voice.post(urls.STATUS)
@twilio_webhook
def status() -> tuple[str, int]:
    runtime = app_runtime()
    event = forms.parse_status(request.form, runtime.clock())
    with runtime.transaction() as session:
        leg = flow.on_call_status(session, runtime, event)
        if leg is not None:         # a number's callback for one of our legs' calls
            legs.on_leg_status(session, runtime, leg.id, event)
    return "", 204


def _decide(decide: Callable[[Session, Runtime], D], render: Callable[[D], str]) -> Response:
    """Run one domain function in the request's transaction and render its decision."""
    runtime = app_runtime()
    with runtime.transaction() as session:
        decision = decide(session, runtime)
    return _xml(render(decision))


@voice.post(urls.HOLD)
@twilio_webhook
def hold(call_id: int) -> Response:
    waited = forms.parse_queue_time(request.form)
    return _decide(lambda s, rt: flow.on_hold(s, rt, call_id, _call_sid(), waited), twiml.hold)


@voice.post(urls.QUEUE_EXIT)
@twilio_webhook
def queue_exit(call_id: int) -> Response:
    result = forms.parse_queue_result(request.form)
    return _decide(lambda s, rt: flow.after_queue(s, rt, call_id, _call_sid(), result),
                   lambda decision: twiml.after_queue(decision, _public()))


@voice.post(urls.MENU)
@twilio_webhook
def menu(call_id: int) -> Response:
    digits = forms.parse_digits(request.form)
    return _decide(lambda s, rt: flow.on_menu(s, rt, call_id, _call_sid(), digits),
                   lambda decision: twiml.menu_choice(decision, _public()))


@voice.post(urls.CHOICE)
@twilio_webhook
def choice(call_id: int, step: str) -> Response:
    digits = forms.parse_digits(request.form)
    return _decide(
        lambda s, rt: choosing.on_choice(s, rt, call_id, _call_sid(), step, digits),
        lambda decision: menus.chosen(decision, _public(), _other(decision)))


def _other(decision: object) -> str:
    if isinstance(decision, NobodyOnCall):
        return twiml.after_queue(decision, _public())
    if isinstance(decision, Goodbye):
        return twiml.goodbye(decision)
    return ""


@voice.post(urls.RECORDED)
@twilio_webhook
def recorded(call_id: int) -> Response:
    recording = forms.parse_recording(request.form, completed=False)
    return _decide(lambda s, rt: flow.on_recording(s, rt, call_id, _call_sid(), recording),
                   twiml.goodbye)


@voice.post(urls.RECORDING_STATUS)
@twilio_webhook
def recording_status(call_id: int) -> tuple[str, int]:
    recording = forms.parse_recording(request.form, completed=True)
    _decide(lambda s, rt: flow.on_recording(s, rt, call_id, _call_sid(), recording),
            twiml.goodbye)
    return "", 204


@voice.post(urls.DIALLED)
@twilio_webhook
def dialled(call_id: int) -> Response:
    result = forms.parse_dial(request.form)
    return _decide(lambda s, rt: flow.on_dialled(s, rt, call_id, _call_sid(), result),
                   lambda decision: twiml.dialled(decision, _public()))


@voice.post(urls.CONFERENCE)
@twilio_webhook
def conference(call_id: int) -> Response:
    return _decide(lambda s, rt: listening.caller_joins(s, call_id, _call_sid()),
                   lambda decision: twiml.conference(decision, _public()))


@voice.post(urls.LEG_ANSWER)
@twilio_webhook
def leg_answer(leg_id: int) -> Response:
    return _leg_response(lambda s, rt: legs.on_leg_answered(s, rt, leg_id, _call_sid()))


@voice.post(urls.LEG_ACCEPT)
@twilio_webhook
def leg_accept(leg_id: int) -> Response:
    digits = forms.parse_digits(request.form)
    return _leg_response(lambda s, rt: legs.on_leg_digits(s, rt, leg_id, _call_sid(), digits))


def _leg_response(decide: Callable[[Session, Runtime], LegAnswer]) -> Response:
    runtime = app_runtime()
    with runtime.transaction() as session:
        decision = decide(session, runtime)
    response = _xml(twiml.leg(decision, _public()))
    if isinstance(decision, Connect):
        # Stop the other phones as soon as the winner's TwiML is on its way; the STOP_LEGS
        # job does the same again in case this process dies first.
        call_id, leg_id = decision.call_id, decision.leg_id
        response.call_on_close(lambda: ringing.stop_legs(runtime, call_id, leg_id,
                                                         strict=False))
    return response


@voice.post(urls.LEG_TIMEOUT)
@twilio_webhook
def leg_timeout(leg_id: int) -> Response:
    return _decide(lambda s, rt: legs.on_leg_silent(s, leg_id, _call_sid()),
                   lambda decision: twiml.leg(decision, _public()))


@voice.post(urls.LEG_STATUS)
@twilio_webhook
def leg_status(leg_id: int) -> tuple[str, int]:
    runtime = app_runtime()
    event = forms.parse_status(request.form, runtime.clock())
    with runtime.transaction() as session:
        legs.on_leg_status(session, runtime, leg_id, event)
    return "", 204


@voice.post(urls.LEG_BRIDGED)
@twilio_webhook
def leg_bridged(leg_id: int) -> Response:
    talked = forms.parse_dial(request.form).answered
    on_line = forms.on_the_line(request.form)
    return _decide(lambda s, rt: legs.on_leg_bridged(s, leg_id, _call_sid(), talked, on_line),
                   lambda decision: twiml.wrap_up(decision, _public()))


@voice.post(urls.LEG_AWAY)
@twilio_webhook
def leg_away(leg_id: int) -> Response:
    return _decide(lambda s, rt: legs.on_mentor_away(s, leg_id, _call_sid()),
                   lambda decision: twiml.mentor(decision, _public()))


@voice.post(urls.LEG_KEYS)
@twilio_webhook
def leg_keys(leg_id: int) -> Response:
    digits = forms.parse_digits(request.form)
    return _decide(lambda s, rt: legs.on_mentor_keys(s, rt, leg_id, _call_sid(), digits),
                   lambda decision: twiml.mentor(decision, _public()))


@voice.post(urls.LEG_WRAP_UP)
@twilio_webhook
def leg_wrap_up(leg_id: int) -> Response:
    digits = forms.parse_digits(request.form)
    return _decide(lambda s, rt: legs.on_wrap_up(s, rt, leg_id, _call_sid(), digits),
                   twiml.noted)


@voice.post(urls.ATTEMPT_WAIT)
@twilio_webhook
def attempt_wait(call_id: int) -> Response:
    forms.parse_queue_time(request.form)
    return _decide(lambda s, rt: reach.on_volunteer_wait(s, call_id, _call_sid()),
                   twiml.attempt_wait)


@voice.post(urls.ATTEMPT_EXIT)
@twilio_webhook
def attempt_exit(call_id: int) -> Response:
    result = forms.parse_queue_result(request.form)
    return _decide(lambda s, rt: reach.on_volunteer_exit(s, rt, call_id, _call_sid(), result),
                   lambda decision: twiml.attempt_exit(decision, _public()))


@voice.post(urls.ATTEMPT_CALLER)
@twilio_webhook
def attempt_caller(call_id: int) -> Response:
    return _decide(lambda s, rt: reach.on_caller_answered(s, call_id, _call_sid()),
                   lambda decision: twiml.caller_screen(decision, _public()))


@voice.post(urls.ATTEMPT_CALLER_CHOICE)
@twilio_webhook
def attempt_caller_choice(call_id: int) -> Response:
    digits = forms.parse_digits(request.form)
    return _decide(lambda s, rt: reach.on_caller_choice(s, rt, call_id, _call_sid(), digits),
                   twiml.caller_choice)


@voice.post(urls.ATTEMPT_CALLER_STATUS)
@twilio_webhook
def attempt_caller_status(call_id: int) -> tuple[str, int]:
    runtime = app_runtime()
    event = forms.parse_status(request.form, runtime.clock())
    with runtime.transaction() as session:
        reach.on_caller_status(session, runtime, call_id, event)
    return "", 204


def _call_sid() -> str:
    return forms.call_sid(request.form)


# -- a volunteer who called the line ---------------------------------------------------------


def _dial_in(decision: dialin.DialIn) -> str:
    runtime = app_runtime()
    public, secret = runtime.settings.app.public_url, runtime.settings.app.secret_key
    return twiml.dial_in(decision, public,
                         lambda voicemail_id: media.audio_url(public, secret, voicemail_id))


@voice.post(urls.VOLUNTEER_MENU)
@twilio_webhook
def volunteer_menu(call_id: int) -> Response:
    return _decide(lambda s, rt: dialin.on_menu(s, call_id, _call_sid()), _dial_in)


@voice.post(urls.VOLUNTEER_CHOICE)
@twilio_webhook
def volunteer_choice(call_id: int) -> Response:
    digits = forms.parse_digits(request.form)
    return _decide(lambda s, rt: dialin.on_choice(s, rt, call_id, _call_sid(), digits),
                   _dial_in)


@voice.post(urls.VOLUNTEER_MESSAGE)
@twilio_webhook
def volunteer_message(call_id: int, voicemail_id: int, number: int) -> Response:
    digits = forms.parse_digits(request.form)
    return _decide(lambda s, rt: dialin.on_message_choice(
        s, rt, call_id, _call_sid(), voicemail_id, number, digits), _dial_in)
