"""TwiML for the caller's menus: the chapter's languages, then its shared experiences.

Each menu is one `<Gather>` whose action hears the key, or nothing (`actionOnEmptyResult`,
and a `<Redirect>` to the same action should a network not honour it): a caller who presses
nothing carries on, never waits in silence.
"""

from __future__ import annotations

from twilio.twiml.voice_response import VoiceResponse

from hotline.calls import decisions as d
from hotline.calls import urls
from hotline.roster.matching import NAMES, primary
from hotline.voice import bridge
from hotline.voice.prompts import spoken

MENU_SECONDS = 5


def say(response: VoiceResponse, text: str, speech: d.Speech) -> None:
    """Every prompt of a call: in the language it chose at the menu, with that voice."""
    if speech.voice:
        response.say(spoken(text, speech.language), language=speech.language,
                     voice=speech.voice)
    else:
        response.say(text, language=speech.language)


def menu(decision: d.LanguageMenu | d.ExperienceMenu, public_url: str) -> str:
    response = VoiceResponse()
    step = "language" if isinstance(decision, d.LanguageMenu) else "experience"
    action = urls.absolute(public_url, urls.CHOICE, call_id=decision.call_id, step=step)
    gather = response.gather(num_digits=1, action=action, method="POST",
                             timeout=MENU_SECONDS, action_on_empty_result=True)
    if isinstance(decision, d.LanguageMenu):
        say(gather, f"Thank you for calling {decision.speech.chapter_name}.", decision.speech)
        for key, speech in decision.options:
            name = NAMES.get(primary(speech.language), speech.language)
            say(gather, f"For {name}, press {key}.", speech)
    else:
        say(gather, "To talk with a volunteer who shares your experience, listen to the "
            "choices.", decision.speech)
        for key, prompt in decision.options:     # as the chapter wrote them, in its language
            say(gather, f"{prompt.strip().rstrip('.')}, press {key}.", decision.prompts)
        say(gather, "Or stay on the line for the next volunteer free.", decision.speech)
    response.redirect(action, method="POST")
    return str(response)


def chosen(decision: d.Chosen | d.LanguageMenu | d.ExperienceMenu | d.NobodyOnCall | d.Goodbye,
           public_url: str, otherwise: str) -> str:
    """After a key: the next menu, or into the line (told first if nobody speaks their
    language); `otherwise` is the TwiML already rendered for any other decision."""
    if isinstance(decision, d.LanguageMenu | d.ExperienceMenu):
        return menu(decision, public_url)
    if not isinstance(decision, d.Chosen):
        return otherwise
    response = VoiceResponse()
    if decision.no_speaker:
        name = NAMES.get(primary(decision.speech.language), decision.speech.language)
        say(response, f"Nobody who speaks {name} is on call right now; the next volunteer "
            "free will take your call.", decision.speech)
    bridge.hold_caller(response, decision.holding, public_url)
    return str(response)
