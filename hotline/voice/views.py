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
from typing import Any

from flask import Blueprint, Response, abort, request

from hotline.app import app_runtime
from hotline.calls import flow, legs, ringing, texts, urls
from hotline.voice import forms, twiml
from hotline.voice.signature import is_valid, signed_url

log = logging.getLogger(__name__)

voice = Blueprint("voice", __name__)

# Row ids are 32-bit integers (SQLite and PostgreSQL both reject larger ones, with a 500).
MAX_ID = 2**31 - 1

View = Callable[..., Response | tuple[str, int]]


def twilio_webhook(view: View) -> View:
    """Refuse unsigned requests; turn malformed forms into 400 and unknown ids into 404."""

    @wraps(view)
    def checked(*args: Any, **kwargs: Any) -> Response | tuple[str, int]:
        runtime = app_runtime()
        url = signed_url(runtime.settings.app.public_url, request.environ)
        signature = request.headers.get("X-Twilio-Signature")
        if not is_valid(runtime.settings.auth_tokens, url, request.form, signature):
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
        known = flow.on_call_status(session, runtime, event)
    if not known:
        log.info("status callback for a call that is not ours: %s", event.call_sid)
    return "", 204


@voice.post("/voice/calls/<int:call_id>/hold")
@twilio_webhook
def hold(call_id: int) -> Response:
    queue_time = forms.parse_queue_time(request.form)
    runtime = app_runtime()
    with runtime.transaction() as session:
        decision = flow.on_hold(session, runtime, call_id, queue_time)
    return _xml(twiml.hold(decision))


@voice.post("/voice/calls/<int:call_id>/queue-exit")
@twilio_webhook
def queue_exit(call_id: int) -> Response:
    result = forms.parse_queue_result(request.form)
    runtime = app_runtime()
    with runtime.transaction() as session:
        decision = flow.after_queue(session, runtime, call_id, result)
    return _xml(twiml.after_queue(decision, _public()))


@voice.post("/voice/calls/<int:call_id>/menu")
@twilio_webhook
def menu(call_id: int) -> Response:
    digits = forms.parse_digits(request.form)
    runtime = app_runtime()
    with runtime.transaction() as session:
        decision = flow.on_menu(session, runtime, call_id, digits)
    return _xml(twiml.menu_choice(decision, _public()))


@voice.post("/voice/calls/<int:call_id>/recorded")
@twilio_webhook
def recorded(call_id: int) -> Response:
    recording = forms.parse_recording(request.form, completed=False)
    runtime = app_runtime()
    with runtime.transaction() as session:
        decision = flow.on_recording(session, runtime, call_id, recording)
    return _xml(twiml.goodbye(decision))


@voice.post("/voice/calls/<int:call_id>/recording-status")
@twilio_webhook
def recording_status(call_id: int) -> tuple[str, int]:
    recording = forms.parse_recording(request.form, completed=True)
    runtime = app_runtime()
    with runtime.transaction() as session:
        flow.on_recording(session, runtime, call_id, recording)
    return "", 204


@voice.post("/voice/calls/<int:call_id>/dialled")
@twilio_webhook
def dialled(call_id: int) -> Response:
    result = forms.parse_dial(request.form)
    runtime = app_runtime()
    with runtime.transaction() as session:
        decision = flow.on_dialled(session, runtime, call_id, result)
    return _xml(twiml.dialled(decision, _public()))


@voice.post("/voice/legs/<int:leg_id>/answer")
@twilio_webhook
def leg_answer(leg_id: int) -> Response:
    forms.parse_digits(request.form)        # checks the CallSid; no digits expected here
    runtime = app_runtime()
    with runtime.transaction() as session:
        decision = legs.on_leg_answered(session, runtime, leg_id)
    return _leg_response(decision)


@voice.post("/voice/legs/<int:leg_id>/accept")
@twilio_webhook
def leg_accept(leg_id: int) -> Response:
    digits = forms.parse_digits(request.form)
    runtime = app_runtime()
    with runtime.transaction() as session:
        decision = legs.on_leg_digits(session, runtime, leg_id, digits)
    return _leg_response(decision)


def _leg_response(decision: legs.LegAnswer) -> Response:
    response = _xml(twiml.leg(decision, _public()))
    if isinstance(decision, legs.Connect):
        # Stop the other phones as soon as the winner's TwiML is on its way; the STOP_LEGS
        # job does the same again in case this process dies first.
        runtime = app_runtime()
        call_id, leg_id = decision.call_id, decision.leg_id
        response.call_on_close(lambda: ringing.stop_legs(runtime, call_id, leg_id))
    return response


@voice.post("/voice/legs/<int:leg_id>/timeout")
@twilio_webhook
def leg_timeout(leg_id: int) -> Response:
    forms.parse_digits(request.form)
    runtime = app_runtime()
    with runtime.transaction() as session:
        decision = legs.on_leg_silent(session, leg_id)
    return _xml(twiml.leg(decision, _public()))


@voice.post("/voice/legs/<int:leg_id>/status")
@twilio_webhook
def leg_status(leg_id: int) -> tuple[str, int]:
    runtime = app_runtime()
    event = forms.parse_status(request.form, runtime.clock())
    with runtime.transaction() as session:
        legs.on_leg_status(session, runtime, leg_id, event)
    return "", 204


@voice.post("/voice/legs/<int:leg_id>/bridged")
@twilio_webhook
def leg_bridged(leg_id: int) -> Response:
    forms.parse_digits(request.form)
    return _xml(twiml.hangup())
