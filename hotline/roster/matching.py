"""Matching a caller to a helper: the languages a line speaks, the shared experiences it
offers, and how well a volunteer fits what the caller asked for. Pure values.

A chapter's `languages` (rota file) are spoken in a menu when there is more than one, the
first being its `language`; a volunteer's `languages` match on the primary subtag ("es"
matches "es-US"). A chapter's `experiences` are offered by key after the language; a
volunteer's `experiences` name the ones they share.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from hotline.refusals import N_, Refusal

# The languages the call path speaks: its prompts exist in them (hotline.voice.prompts),
# and Twilio has a <Say> voice for each (telephony.md: test the pairs you ship).
SPOKEN = ("en-US", "en-GB", "es-US", "es-ES", "es-MX")
# A Twilio <Say> voice for each (Amazon Polly's, which Twilio lists by language).
VOICES = {"en-US": "Polly.Joanna", "en-GB": "Polly.Amy", "es-US": "Polly.Lupe",
          "es-ES": "Polly.Lucia", "es-MX": "Polly.Mia"}
# Each language's name in itself, for the menu ("Para español, marque 2").
NAMES = {"en": "English", "es": "español"}
# Each language's name in English, for the volunteer's screen ("The caller speaks Spanish").
ENGLISH_NAMES = {"en": "English", "es": "Spanish"}
EXPERIENCE_KEY = re.compile(r"[a-z0-9][a-z0-9-]{0,63}")
MAX_MENU = 9                # keys 1 to 9


def has_menus(language: str, languages: Sequence[str],
              experiences: Sequence[Mapping[str, str]]) -> bool:
    """A caller of this chapter chooses at a menu before joining the line."""
    return len(chapter_languages(language, languages)) > 1 or bool(experiences)


def primary(tag: str) -> str:
    """A language tag's primary subtag, lower case: 'es-US' -> 'es'."""
    return tag.split("-", 1)[0].strip().lower()


def chapter_languages(language: str, languages: Sequence[str]) -> tuple[str, ...]:
    """The languages a chapter speaks, its own `language` first (kept first even if the
    list was written with another first), each primary language once."""
    out = [language]
    for tag in languages:
        if all(primary(tag) != primary(seen) for seen in out):
            out.append(tag)
    return tuple(out)


def speaks(volunteer_languages: Sequence[str], language: str) -> bool:
    return any(primary(own) == primary(language) for own in volunteer_languages)


def match_rank(language: str | None, experience: str | None,
               volunteer_languages: Sequence[str], volunteer_experiences: Sequence[str]) -> int:
    """How well a volunteer fits what the caller asked: 2 per shared requested language
    (it weighs more: the caller must understand them), 1 for the shared experience."""
    rank = 0
    if language and speaks(volunteer_languages, language):
        rank += 2
    if experience and experience in volunteer_experiences:
        rank += 1
    return rank


def asked_of(chapter_language: str, language: str | None, experience: str | None) -> str:
    """What the caller chose at the menus, for the volunteer's screen: the language when it
    is not the chapter's own, and the shared experience by its key ('' if neither)."""
    said = []
    if language and primary(language) != primary(chapter_language):
        said.append(f"The caller speaks {ENGLISH_NAMES.get(primary(language), language)}.")
    if experience:
        said.append(f"They asked for someone who shares: {experience.replace('-', ' ')}.")
    return " ".join(said)


def languages_problem(value: object) -> Refusal | None:
    """Why a chapter's `languages` cannot be spoken, or None."""
    if (not isinstance(value, list) or len(value) > MAX_MENU
            or not all(isinstance(tag, str) and tag in SPOKEN for tag in value)):
        return Refusal(N_("languages must list up to %(most)s of %(spoken)s (the call path "
                          "has prompts and a voice for these), the chapter's language first"),
                       most=MAX_MENU, spoken=", ".join(SPOKEN))
    if len({primary(tag) for tag in value}) != len(value):
        return Refusal(N_("languages must name each language once (es-US and es-MX are both "
                          "Spanish)"))
    return None


def experiences_problem(value: object) -> Refusal | None:
    """Why a chapter's `experiences` menu cannot be offered, or None."""
    shape = Refusal(N_('experiences must list up to %(most)s tables like {key = '
                       '"loss-of-child", prompt = "if you have lost a child"}: key lower-case '
                       'letters, digits and dashes, prompt 1 to 200 characters on one line'),
                     most=MAX_MENU)
    if not isinstance(value, list) or len(value) > MAX_MENU:
        return shape
    keys = []
    for item in value:
        if (not isinstance(item, Mapping) or set(item) != {"key", "prompt"}
                or not isinstance(item["key"], str) or not EXPERIENCE_KEY.fullmatch(item["key"])
                or not isinstance(item["prompt"], str)
                or not 1 <= len(item["prompt"].strip()) <= 200
                or any(ord(c) < 32 or ord(c) == 127 for c in item["prompt"])):
            return shape
        keys.append(item["key"])
    if len(set(keys)) != len(keys):
        return Refusal(N_("experiences must not repeat a key"))
    return None
