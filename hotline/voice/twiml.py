"""TwiML for every decision of the call flow: pure functions from values to XML text.

Attributes are strings (twilio-python writes a Python list with `str()`), and every URL is
absolute under the configured public URL, the one Twilio signs its requests with.
"""

from __future__ import annotations

from twilio.twiml.messaging_response import MessagingResponse
from twilio.twiml.voice_response import Dial, Gather, VoiceResponse

from hotline.calls import flow, legs, urls

GATHER_SECONDS = 6
SCREEN_SECONDS = 8
HOLD_PAUSE_SECONDS = 5
MESSAGE_MAX_SECONDS = 180


def _say(response: VoiceResponse | Gather, text: str, speech: flow.Speech) -> None:
    response.say(text, language=speech.language)


def spoken_number(number: str) -> str:
    """A phone number read digit by digit ('1 8 0 0 ...')."""
    return " ".join(c for c in number if c.isdigit())


def incoming(decision: flow.Incoming, public_url: str) -> str:
    response = VoiceResponse()
    if isinstance(decision, flow.Rejected):
        response.reject(reason="rejected")
    elif isinstance(decision, flow.UnknownNumber):
        response.say("Sorry, this number is not in service. Please check the number and "
                     "try again. Goodbye.")
        response.hangup()
    elif isinstance(decision, flow.NobodyOnCall):
        _nobody(response, decision, public_url)
    else:
        speech = decision.speech
        greeting = decision.greeting or (
            f"Thank you for calling {speech.chapter_name}. We are finding a volunteer for "
            "you now. Please stay on the line.")
        _say(response, greeting, speech)
        response.enqueue(
            decision.queue,
            wait_url=urls.absolute(public_url, urls.hold(decision.call_id)),
            wait_url_method="POST",
            action=urls.absolute(public_url, urls.queue_exit(decision.call_id)),
            method="POST",
        )
    return str(response)


def _nobody(response: VoiceResponse, decision: flow.NobodyOnCall, public_url: str) -> None:
    speech = decision.speech
    text = (f"Thank you for calling {speech.chapter_name}. I'm sorry: nobody is on call "
            "right now.")
    if decision.hours_text:
        text += f" Our volunteers are on call {decision.hours_text}."
    _say(response, text, speech)
    if decision.emergency_line:
        _say(response, "If you are in danger or need help now, please call "
             f"{spoken_number(decision.emergency_line)}.", speech)
    _menu(response, decision.call_id, speech, public_url)


def hold(decision: flow.HoldMusic | flow.Leave) -> str:
    response = VoiceResponse()
    if isinstance(decision, flow.Leave):
        response.leave()
        return str(response)
    message = decision.message or "Please stay on the line. We are finding a volunteer for you."
    _say(response, message, decision.speech)
    response.pause(length=HOLD_PAUSE_SECONDS)
    return str(response)


def _menu(response: VoiceResponse, call_id: int, speech: flow.Speech, public_url: str) -> None:
    gather = response.gather(
        num_digits=1, action=urls.absolute(public_url, urls.menu(call_id)), method="POST",
        timeout=GATHER_SECONDS,
    )
    _say(gather, "To ask us to call you back, press 1. Or stay on the line to leave a "
         "message after the tone.", speech)
    _record(response, call_id, speech, public_url)


def _record(response: VoiceResponse, call_id: int, speech: flow.Speech, public_url: str) -> None:
    _say(response, "Please leave your message after the tone. Hang up when you are done.",
         speech)
    response.record(
        action=urls.absolute(public_url, urls.recorded(call_id)), method="POST",
        max_length=MESSAGE_MAX_SECONDS, play_beep=True,
        recording_status_callback=urls.absolute(public_url, urls.recording_status(call_id)),
        recording_status_callback_method="POST",
        recording_status_callback_event="completed",
    )
    _say(response, "We did not get a message. Goodbye.", speech)
    response.hangup()


def after_queue(
    decision: flow.Menu | flow.PlainDial | flow.Goodbye | flow.NobodyOnCall, public_url: str
) -> str:
    response = VoiceResponse()
    if isinstance(decision, flow.Goodbye):
        return goodbye(decision)
    if isinstance(decision, flow.NobodyOnCall):
        _nobody(response, decision, public_url)
        return str(response)
    if isinstance(decision, flow.PlainDial):
        return plain_dial(decision, public_url)
    _say(response, "I'm sorry, nobody is free to take your call right now.", decision.speech)
    _menu(response, decision.call_id, decision.speech, public_url)
    return str(response)


def plain_dial(decision: flow.PlainDial, public_url: str) -> str:
    """The fallback: one `<Dial>` ringing several phones; the first to pick up gets the caller."""
    response = VoiceResponse()
    _say(response, "Connecting you to a volunteer.", decision.speech)
    dial = Dial(
        caller_id=decision.caller_id, answer_on_bridge=True,
        action=urls.absolute(public_url, urls.dialled(decision.call_id)), method="POST",
        timeout=decision.timeout_seconds,
    )
    for target in decision.targets:
        dial.number(
            target.number,
            status_callback=urls.absolute(public_url, urls.leg_status(target.leg_id)),
            status_callback_event="initiated ringing answered completed",
            status_callback_method="POST",
        )
    response.append(dial)
    return str(response)


def menu_choice(decision: flow.Goodbye | flow.RecordMessage, public_url: str) -> str:
    if isinstance(decision, flow.Goodbye):
        return goodbye(decision)
    response = VoiceResponse()
    _record(response, decision.call_id, decision.speech, public_url)
    return str(response)


def dialled(decision: flow.Menu | flow.Goodbye, public_url: str) -> str:
    return after_queue(decision, public_url)


_GOODBYES = {
    "callback": "Thank you. A volunteer will call you back as soon as they can. Goodbye.",
    "voicemail": "Thank you, your message has been recorded. Goodbye.",
    "no-message": "We did not get a message. Goodbye.",
    "ended": "Goodbye.",
}


def goodbye(decision: flow.Goodbye) -> str:
    response = VoiceResponse()
    if decision.reason != "ended":
        _say(response, _GOODBYES.get(decision.reason, "Goodbye."), decision.speech)
    response.hangup()
    return str(response)


def leg(decision: legs.LegAnswer, public_url: str) -> str:
    """What a volunteer hears: the screen, the bridge, or why there is no caller for them."""
    response = VoiceResponse()
    speech = decision.speech
    if isinstance(decision, legs.Prompt):
        gather = response.gather(
            num_digits=1, action=urls.absolute(public_url, urls.leg_accept(decision.leg_id)),
            method="POST", timeout=SCREEN_SECONDS,
        )
        prompt = f"{speech.chapter_name} hotline call. Press 1 to accept."
        _say(gather, prompt, speech)
        response.redirect(urls.absolute(public_url, urls.leg_timeout(decision.leg_id)),
                          method="POST")
    elif isinstance(decision, legs.Connect):
        _say(response, "Connecting you now.", speech)
        dial = Dial(action=urls.absolute(public_url, urls.leg_bridged(decision.leg_id)),
                    method="POST")
        dial.queue(decision.queue)
        response.append(dial)
    elif isinstance(decision, legs.Taken):
        _say(response, "This call has already been taken. Thank you.", speech)
        response.hangup()
    elif isinstance(decision, legs.CallerGone):
        _say(response, "The caller is no longer on the line. Thank you.", speech)
        response.hangup()
    else:
        _say(response, "Thank you. Goodbye.", speech)
        response.hangup()
    return str(response)


def hangup() -> str:
    response = VoiceResponse()
    response.hangup()
    return str(response)


def text_reply(reply: str | None) -> str:
    """Messaging TwiML: the reply, or an empty response (send nothing)."""
    response = MessagingResponse()
    if reply:
        response.message(reply)
    return str(response)
