"""TwiML for every decision of the call flow: pure functions from values to XML text.

Attributes are strings (twilio-python writes a Python list with `str()`), and every URL is
absolute under the configured public URL, the one Twilio signs its requests with.
"""

from __future__ import annotations

from collections.abc import Callable
from zoneinfo import ZoneInfo

from twilio.twiml.messaging_response import MessagingResponse
from twilio.twiml.voice_response import Dial, Gather, VoiceResponse

from hotline.calls import decisions as d
from hotline.calls import urls
from hotline.voice import bridge, menus

GATHER_SECONDS = 6
WRAP_UP_SECONDS = 10
SCREEN_SECONDS = 8
MESSAGE_MAX_SECONDS = 180
# What a caller of a listen_in chapter is told in the greeting.
LISTEN_IN_NOTICE = "Calls may be heard by a volunteer in training."


def _say(response: VoiceResponse | Gather, text: str, speech: d.Speech) -> None:
    menus.say(response, text, speech)


def spoken_number(number: str) -> str:
    """A phone number read digit by digit ('1 8 0 0 ...')."""
    return " ".join(c for c in number if c.isdigit())


def incoming(decision: d.Incoming, public_url: str) -> str:
    response = VoiceResponse()
    if isinstance(decision, d.Rejected):
        response.reject(reason="rejected")
    elif isinstance(decision, d.UnknownNumber):
        response.say("Sorry, this number is not in service. Please check the number and "
                     "try again. Goodbye.")
        response.hangup()
    elif isinstance(decision, d.NobodyOnCall):
        _nobody(response, decision, public_url)
    elif isinstance(decision, d.VolunteerMenu):
        return volunteer_menu(decision, public_url)
    elif isinstance(decision, d.LanguageMenu | d.ExperienceMenu):
        return menus.menu(decision, public_url)
    elif isinstance(decision, d.Busy):
        _say(response, f"Thank you for calling {decision.speech.chapter_name}. All of our lines "
             "are busy right now. Please call again later.", decision.speech)
        _record(response, decision.call_id, decision.speech, public_url)
    else:
        bridge.hold_caller(response, decision, public_url)
    return str(response)


def _nobody(response: VoiceResponse, decision: d.NobodyOnCall, public_url: str) -> None:
    speech = decision.speech
    text = (f"Thank you for calling {speech.chapter_name}. I'm sorry: nobody is on call "
            "right now.")
    if decision.hours_text:
        text += f" Our volunteers are on call {decision.hours_text}."
    _say(response, text, speech)
    if decision.emergency_line:
        lead = decision.emergency_message or "If you are in danger or need help now, please call"
        _say(response, f"{lead.rstrip(' .:')} {spoken_number(decision.emergency_line)}.", speech)
    _menu(response, decision.call_id, speech, public_url, decision.can_call_back)


def hold(decision: d.HoldMusic | d.Leave) -> str:
    """One turn of the hold loop; Twilio requests the next when this one has played."""
    response = VoiceResponse()
    if isinstance(decision, d.Leave):
        response.leave()
        return str(response)
    _say(response, hold_message(decision), decision.speech)
    response.pause(length=decision.pause_seconds)
    return str(response)


def hold_message(decision: d.HoldMusic) -> str:
    """What a holding caller hears: the chapter's words, and where they are in line."""
    if decision.connecting:
        if decision.overflow:
            return (f"A volunteer of {decision.overflow} is taking your call. "
                    "Connecting you now.")
        return "A volunteer is taking your call. Connecting you now."
    overflow = (f"No volunteer of {decision.speech.chapter_name} can take your call just now, "
                f"so we are also asking the volunteers of {decision.overflow}."
                if decision.overflow else "")
    if decision.greeting is not None:
        greeting = decision.greeting or (
            f"Thank you for calling {decision.speech.chapter_name}. We are finding a volunteer "
            "for you now. Please stay on the line.")
        if decision.listen_in:
            greeting += f" {LISTEN_IN_NOTICE}"
        return f"{greeting} {overflow}" if overflow else greeting
    parts = [overflow] if overflow else []
    parts.append(decision.message
                 or "Please stay on the line. We are finding a volunteer for you.")
    if decision.position > 1:
        parts.append(f"You are number {decision.position} in line.")
    if decision.everyone_busy:
        parts.append("Our volunteers are all talking with other callers; the next one free "
                     "will take your call.")
    return " ".join(parts)


def _menu(response: VoiceResponse, call_id: int, speech: d.Speech, public_url: str,
          can_call_back: bool) -> None:
    if not can_call_back:           # a withheld number: we could not call back; say so
        _say(response, "Your number is hidden, so we cannot call you back. You can call us "
             "again at any time, or leave a message now.", speech)
        _record(response, call_id, speech, public_url)
        return
    gather = response.gather(
        num_digits=1, action=urls.absolute(public_url, urls.MENU, call_id=call_id), method="POST",
        timeout=GATHER_SECONDS,
    )
    _say(gather, "To ask us to call you back, press 1. Or stay on the line to leave a "
         "message after the tone.", speech)
    _record(response, call_id, speech, public_url)


def _record(response: VoiceResponse, call_id: int, speech: d.Speech, public_url: str) -> None:
    _say(response, "Please leave your message after the tone. Hang up when you are done.",
         speech)
    response.record(
        action=urls.absolute(public_url, urls.RECORDED, call_id=call_id), method="POST",
        max_length=MESSAGE_MAX_SECONDS, play_beep=True,
        recording_status_callback=urls.absolute(public_url, urls.RECORDING_STATUS, call_id=call_id),
        recording_status_callback_method="POST",
        recording_status_callback_event="completed",
    )
    _say(response, "We did not get a message. Goodbye.", speech)
    response.hangup()


def after_queue(
    decision: d.Menu | d.PlainDial | d.Goodbye | d.NobodyOnCall, public_url: str
) -> str:
    response = VoiceResponse()
    if isinstance(decision, d.Goodbye):
        return goodbye(decision)
    if isinstance(decision, d.NobodyOnCall):
        _nobody(response, decision, public_url)
        return str(response)
    if isinstance(decision, d.PlainDial):
        return plain_dial(decision, public_url)
    _say(response, "I'm sorry, nobody is free to take your call right now.", decision.speech)
    _menu(response, decision.call_id, decision.speech, public_url, decision.can_call_back)
    return str(response)


def plain_dial(decision: d.PlainDial, public_url: str) -> str:
    """The fallback: one `<Dial>` ringing several phones; the first to pick up gets the caller."""
    response = VoiceResponse()
    _say(response, "Connecting you to a volunteer.", decision.speech)
    dial = Dial(
        caller_id=decision.caller_id, answer_on_bridge=True,
        action=urls.absolute(public_url, urls.DIALLED, call_id=decision.call_id), method="POST",
        timeout=decision.timeout_seconds,
    )
    for target in decision.targets:
        dial.number(
            target.number,
            status_callback=urls.absolute(public_url, urls.LEG_STATUS, leg_id=target.leg_id),
            status_callback_event="initiated ringing answered completed",
            status_callback_method="POST",
        )
    response.append(dial)
    return str(response)


def menu_choice(decision: d.Goodbye | d.RecordMessage, public_url: str) -> str:
    if isinstance(decision, d.Goodbye):
        return goodbye(decision)
    response = VoiceResponse()
    _record(response, decision.call_id, decision.speech, public_url)
    return str(response)


def dialled(decision: d.Menu | d.Goodbye, public_url: str) -> str:
    return after_queue(decision, public_url)


_GOODBYES = {
    "callback": "Thank you. A volunteer will call you back as soon as they can. Goodbye.",
    "voicemail": "Thank you, your message has been recorded. Goodbye.",
    "no-message": "We did not get a message. Goodbye.",
    "ended": "Goodbye.",
}


def goodbye(decision: d.Goodbye) -> str:
    response = VoiceResponse()
    if decision.reason != "ended":
        _say(response, _GOODBYES.get(decision.reason, "Goodbye."), decision.speech)
    response.hangup()
    return str(response)


def leg(decision: d.LegAnswer, public_url: str) -> str:
    """What a volunteer hears: the screen, the bridge, or why there is no caller for them."""
    response = VoiceResponse()
    speech = decision.speech
    if isinstance(decision, d.Prompt):
        gather = response.gather(
            num_digits=1, action=urls.absolute(public_url, urls.LEG_ACCEPT, leg_id=decision.leg_id),
            method="POST", timeout=SCREEN_SECONDS,
        )
        what, action = _PROMPTS[decision.purpose]
        said = [what.format(line=speech.chapter_name), decision.asked, action]
        _say(gather, " ".join(part for part in said if part), speech)
        response.redirect(urls.absolute(public_url, urls.LEG_TIMEOUT, leg_id=decision.leg_id),
                          method="POST")
    elif isinstance(decision, d.Connect):
        bridge.connect_volunteer(response, decision, public_url)
    elif isinstance(decision, d.ListenIn):
        bridge.listen_in(response, decision)
    elif isinstance(decision, d.Taken):
        _say(response, "This call has already been taken. Thank you.", speech)
        response.hangup()
    elif isinstance(decision, d.CallerGone):
        _say(response, "The caller is no longer on the line. Thank you.", speech)
        response.hangup()
    else:
        _say(response, "Thank you. Goodbye.", speech)
        response.hangup()
    return str(response)


# What the call is, then (after what the caller chose at the menus) the key to press.
_PROMPTS = {
    "call": ("{line} hotline call.", "Press 1 to accept."),
    "callback": ("{line}: a caller asked to be called back.",
                 "Press 1, and we will call them for you now."),
    "checkin": ("{line}: a check-in call a caller agreed to.",
                "Press 1, and we will call them for you now."),
    "listen": ("{line}: a volunteer has taken a call.", "To listen in on a call, muted, press 1."),
}


def wrap_up(decision: d.WrapUp | d.CallerGone | d.MentorAway, public_url: str) -> str:
    """After the talk, the caller hung up first: the volunteer may note what they agreed."""
    if isinstance(decision, d.CallerGone):
        return leg(decision, public_url)
    if isinstance(decision, d.MentorAway):
        response = VoiceResponse()
        response.pause(length=1)
        response.redirect(urls.absolute(public_url, urls.LEG_AWAY, leg_id=decision.leg_id),
                          method="POST")
        return str(response)
    response = VoiceResponse()
    gather = response.gather(
        num_digits=1, method="POST", timeout=WRAP_UP_SECONDS,
        action=urls.absolute(public_url, urls.LEG_WRAP_UP, leg_id=decision.leg_id))
    _say(gather, "The caller has hung up. If they asked for a check-in call, press 1. For a "
         "check-in text, press 2. To flag this call for your coordinator, press 3. "
         "Otherwise you can hang up now.", decision.speech)
    response.hangup()
    return str(response)


def mentor(decision: d.MentorMenu | d.Connect | d.WrapUp | d.CallerGone, public_url: str
           ) -> str:
    """The mentor of a listen-in call, out of the conference: their menu, or back in."""
    if isinstance(decision, d.WrapUp | d.CallerGone):
        return wrap_up(decision, public_url)
    if isinstance(decision, d.Connect):
        return leg(decision, public_url)
    response = VoiceResponse()
    gather = response.gather(
        num_digits=1, method="POST", timeout=GATHER_SECONDS, action_on_empty_result=True,
        action=urls.absolute(public_url, urls.LEG_KEYS, leg_id=decision.leg_id))
    _say(gather, "To let your trainee speak, press 5. To mute them again, press 6. Any "
         "other key takes you back to the caller.", decision.speech)
    return str(response)


_NOTED = {
    "checkin_call": "Thank you. A check-in call is booked for tomorrow.",
    "checkin_text": "Thank you. A check-in text is booked for tomorrow.",
    "flag": "Thank you. The call is flagged for your coordinator.",
    "": "Nothing was booked. Thank you.",
}


def noted(decision: d.Noted) -> str:
    response = VoiceResponse()
    _say(response, _NOTED.get(decision.what, _NOTED[""]), decision.speech)
    response.hangup()
    return str(response)


def attempt_wait(decision: d.StillDialling | d.Leave) -> str:
    """The volunteer's wait while the caller's phone rings."""
    response = VoiceResponse()
    if isinstance(decision, d.Leave):
        response.leave()
        return str(response)
    _say(response, "Still calling. Please hold.", decision.speech)
    response.pause(length=3)
    return str(response)


def attempt_exit(decision: d.WrapUp | d.Unreached | d.Goodbye, public_url: str) -> str:
    if isinstance(decision, d.WrapUp):
        return wrap_up(decision, public_url)
    if isinstance(decision, d.Goodbye):
        return goodbye(decision)
    response = VoiceResponse()
    _say(response, "We could not reach the caller this time. " + (
        "We will try again later, and ring you or another volunteer. Thank you."
        if decision.again else "That was the last try. Thank you."), decision.speech)
    response.hangup()
    return str(response)


def caller_screen(decision: d.CallerScreen | d.Goodbye, public_url: str) -> str:
    """What the person answering our call hears: nothing that says who calls, until 1."""
    if isinstance(decision, d.Goodbye):
        return goodbye(decision)
    response = VoiceResponse()
    gather = response.gather(
        num_digits=1, method="POST", timeout=SCREEN_SECONDS,
        action=urls.absolute(public_url, urls.ATTEMPT_CALLER_CHOICE, call_id=decision.call_id))
    opening = decision.greeting or (
        "Hello. This is the check-in call for someone at this number." if decision.checkin
        else "Hello. This is a call back for someone at this number.")
    _say(gather, f"{opening} If that is you, please press 1 to talk now.", decision.speech)
    response.hangup()
    return str(response)


def conference(decision: d.JoinConference | d.Holding | d.Goodbye, public_url: str) -> str:
    """The caller moved out of their queue for listen-in: the conference, or back in line."""
    if isinstance(decision, d.Goodbye):
        return goodbye(decision)
    if isinstance(decision, d.Holding):
        response = VoiceResponse()
        bridge.hold_caller(response, decision, public_url)
        return str(response)
    return bridge.join_conference(decision)


def caller_choice(decision: d.JoinVolunteer | d.Goodbye) -> str:
    if isinstance(decision, d.Goodbye):
        return goodbye(decision)
    return bridge.join_volunteer(decision)


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


# -- a volunteer calling the line from their own phone ---------------------------------------


def volunteer_menu(decision: d.VolunteerMenu | d.Goodbye, public_url: str) -> str:
    """Greet them, say what waits, offer the three choices; no key connects them as a caller."""
    if isinstance(decision, d.Goodbye):
        return goodbye(decision)
    response = VoiceResponse()
    choice = urls.absolute(public_url, urls.VOLUNTEER_CHOICE, call_id=decision.call_id)
    gather = response.gather(num_digits=1, method="POST", timeout=GATHER_SECONDS,
                             action=choice, action_on_empty_result=True)
    if decision.again:
        opening = "Sorry, that is not one of the choices."
    else:
        opening = (f"Hello {decision.first_name}. " if decision.first_name else "Hello. ") + (
            f"This is {decision.speech.chapter_name}.")
    waiting = (f"{_count(decision.messages, 'message')} and "
               f"{_count(decision.callbacks, 'call-back')} waiting.")
    _say(gather, f"{opening} There {'is' if decision.messages == 1 else 'are'} {waiting} "
         "To hear the messages, press 1. To return a call-back now, press 2. To talk to a "
         "volunteer yourself, press 3, or stay on the line.", decision.speech)
    return str(response)


def _count(n: int, thing: str) -> str:
    return f"{'no' if n == 0 else n} {thing}{'' if n == 1 else 's'}"


def dial_in(decision: d.VolunteerMenu | d.PlayMessage | d.MenuNotice | d.Connect | d.Holding
            | d.Goodbye, public_url: str, audio_url: Callable[[int], str]) -> str:
    """What a volunteer who called in hears after a choice."""
    if isinstance(decision, d.VolunteerMenu):
        return volunteer_menu(decision, public_url)
    if isinstance(decision, d.Goodbye):
        return goodbye(decision)
    response = VoiceResponse()
    if isinstance(decision, d.Holding):
        bridge.hold_caller(response, decision, public_url)
    elif isinstance(decision, d.Connect):
        bridge.connect_volunteer(response, decision, public_url)
    elif isinstance(decision, d.PlayMessage):
        _message(response, decision, public_url, audio_url(decision.voicemail_id))
    else:
        _say(response, _NOTICES[decision.what], decision.speech)
        response.redirect(urls.absolute(public_url, urls.VOLUNTEER_MENU,
                                        call_id=decision.call_id), method="POST")
    return str(response)


_NOTICES = {
    "no-messages": "There are no messages waiting.",
    "last-message": "That was the last message.",
    "no-callbacks": "No call-back is waiting for a volunteer now.",
    "number-withheld": "That caller's number is hidden, so they cannot be called back.",
}


def _message(response: VoiceResponse, decision: d.PlayMessage, public_url: str,
             audio: str) -> None:
    left = decision.left_at.astimezone(ZoneInfo(decision.timezone))
    when = f"{left:%A} at {left:%-I:%M %p}"
    _say(response, f"Message {decision.number} of {decision.total}, left {when}, reference "
         f"{' '.join(decision.reference)}.", decision.speech)
    response.play(audio)
    gather = response.gather(
        num_digits=1, method="POST", timeout=GATHER_SECONDS, action_on_empty_result=True,
        action=urls.absolute(public_url, urls.VOLUNTEER_MESSAGE, call_id=decision.call_id,
                             voicemail_id=decision.voicemail_id, number=decision.number))
    _say(gather, "To call this caller back now, press 1. For the next message, press 2. To "
         "hear it again, press 3.", decision.speech)
