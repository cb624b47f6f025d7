"""The caller's menus before the line: the chapter's languages, then its shared experiences.

A chapter with more than one language greets in the first and offers the others by key; one
with `experiences` then offers those. A caller who presses nothing (or a key the menu does
not have) carries on in the first language with no experience asked. Their choice is stored
on the call (`language`, `experience`, `chosen_at`): every later prompt of the call speaks
it (hotline.calls.decisions.speech_of) and the dispatch rings who fits them first
(hotline.calls.dispatch). Until they choose, nobody is rung for them.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence

from sqlalchemy.orm import Session

from hotline.calls import line
from hotline.calls.decisions import (
    Chosen,
    ExperienceMenu,
    Goodbye,
    Holding,
    LanguageMenu,
    NobodyOnCall,
    Speech,
    speech_of,
)
from hotline.logs.incoming import Menus
from hotline.logs.models import Call, Phase
from hotline.roster.matching import VOICES, chapter_languages, has_menus, speaks
from hotline.roster.models import Chapter
from hotline.runtime import Runtime

log = logging.getLogger(__name__)

STEPS = ("language", "experience")


def first_menu(call_id: int, menus: Menus | None) -> LanguageMenu | ExperienceMenu | None:
    """The menu a new caller of this chapter hears first, or None (straight into line)."""
    if menus is None or not has_menus(menus.language, menus.languages, menus.experiences):
        return None
    first = Speech(menus.name, menus.language)
    languages = chapter_languages(menus.language, menus.languages)
    if len(languages) > 1:         # every language of the menu in its own voice
        first = Speech(menus.name, menus.language, VOICES.get(menus.language, ""))
        return LanguageMenu(call_id, first, tuple(
            (str(key), Speech(menus.name, tag, VOICES.get(tag, "")))
            for key, tag in enumerate(languages[1:], 2)))
    return ExperienceMenu(call_id, first, first, _options(menus.experiences))


def menus_of(chapter: Chapter) -> Menus:
    return Menus(chapter.name, chapter.language, tuple(chapter.languages),
                 tuple(chapter.experiences))


def _options(experiences: Sequence[Mapping[str, str]]) -> tuple[tuple[str, str], ...]:
    return tuple((str(key), str(item["prompt"])) for key, item in enumerate(experiences, 1))


def _experiences(chapter: Chapter, call_id: int, language: str | None) -> ExperienceMenu:
    # The prompts as the chapter wrote them: in its first language, with that voice.
    return ExperienceMenu(call_id, speech_of(chapter, language),
                          speech_of(chapter, chapter.language if language else None),
                          _options(chapter.experiences))


def on_choice(
    session: Session, runtime: Runtime, call_id: int, call_sid: str, step: str, digits: str
) -> LanguageMenu | ExperienceMenu | Chosen | NobodyOnCall | Goodbye:
    """The caller's key at one menu (`digits` empty: nothing pressed)."""
    call = session.get(Call, call_id)
    if call is None or call.chapter_id is None or call.call_sid != call_sid or step not in STEPS:
        raise LookupError(f"no call {call_id} for {call_sid} at a {step} menu")
    chapter = session.get(Chapter, call.chapter_id)
    if chapter is None:
        raise LookupError(f"call {call_id} has no chapter")
    if call.planned_at is not None and not call.plan and call.chosen_at is None:
        return _join(session, runtime, call, chapter)        # nobody on call: say so
    if call.phase is not Phase.HOLDING:         # the caller already moved on
        return Goodbye(speech_of(chapter, call.language), "ended")
    if call.chosen_at is not None:              # a replayed request: answer as the first
        return Chosen(Holding(call.id, call.call_sid), speech_of(chapter, call.language), False)
    if step == "language":
        languages = chapter_languages(chapter.language, chapter.languages)
        index = int(digits) - 1 if digits.isdigit() and digits != "0" else 0
        call.language = languages[index] if index < len(languages) else languages[0]
        if chapter.experiences:
            return _experiences(chapter, call.id, call.language)
    else:
        keys = [str(item["key"]) for item in chapter.experiences]
        index = int(digits) - 1 if digits.isdigit() and digits != "0" else -1
        call.experience = keys[index] if 0 <= index < len(keys) else None
        if len(chapter_languages(chapter.language, chapter.languages)) > 1:
            call.language = call.language or chapter.language
    return _join(session, runtime, call, chapter)


def _join(session: Session, runtime: Runtime, call: Call, chapter: Chapter
          ) -> Chosen | NobodyOnCall:
    """Choosing done: plan if not yet planned, then into the line (the dispatch rings)."""
    call.chosen_at = runtime.clock()
    log.info("call %s chose language %s, experience %s", call.call_sid, call.language,
             call.experience or "none")
    speech = speech_of(chapter, call.language)
    if not line.plan_call(session, runtime, call):
        calls = runtime.settings.calls
        return NobodyOnCall(call.id, speech, chapter.hours_text,
                            chapter.emergency_line or calls.emergency_line,
                            calls.emergency_message, can_call_back=bool(call.caller_cipher))
    session.flush()
    if line.lock_chapters(session, [chapter.id], wait=False):
        line.serve(session, runtime, [chapter.id])
    no_speaker = bool(call.language) and not any(
        speaks(v.get("languages") or [chapter.language], call.language or "")
        for wave in call.plan for v in wave["volunteers"])
    if no_speaker:
        log.info("call %s: nobody on call speaks %s", call.call_sid, call.language)
    return Chosen(Holding(call.id, call.call_sid), speech, no_speaker)

