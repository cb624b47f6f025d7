"""Phone numbers, parsed once at every edge into one type: `E164`.

Every number that enters hotline (the rota file, settings, the command line, Twilio's
forms) goes through this module, which asks Google's libphonenumber (`phonenumbers`)
rather than a pattern of our own. Two bars:

- `parse_phone`: a number someone typed for us to ring (a volunteer, a hotline number, an
  emergency line). It must be written in E.164 and be a valid number for its country.
- `parse_caller`: a number the network reports, or a caller's number typed for a ban. It
  must be a possible number (right length for its country); test and fictional numbers
  such as +1 555 123 0000 pass, text such as a SIP address does not.
"""

from __future__ import annotations

from typing import NewType

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberFormat

from hotline.refusals import N_, Refusal

E164 = NewType("E164", str)
"""A number in E.164 form, e.g. '+16175550111', that passed one of the parsers below."""

# What carriers put in From when the caller withholds their number (telephony.md).
WITHHELD = frozenset({
    "", "anonymous", "restricted", "unknown", "unavailable", "private", "+266696687",
    "+7378742833", "+2562533", "+8656696",
})


class PhoneError(Refusal):
    """Not a usable number; the message says why in a few words (never the number)."""


def _parse(text: str) -> phonenumbers.PhoneNumber:
    if not isinstance(text, str) or not text.startswith("+"):
        raise PhoneError(N_("is not E.164: write + and the country code first"))
    if len(text) > 20:
        raise PhoneError(N_("is too long for a phone number"))
    try:
        return phonenumbers.parse(text, None)
    except NumberParseException:
        raise PhoneError(N_("is not a phone number")) from None


def _e164(number: phonenumbers.PhoneNumber) -> E164:
    return E164(phonenumbers.format_number(number, PhoneNumberFormat.E164))


def parse_phone(text: str) -> E164:
    """A valid number in E.164 form; PhoneError (with the form to write) otherwise."""
    number = _parse(text)
    if not phonenumbers.is_valid_number(number):
        raise PhoneError(N_("is not a valid number for its country"))
    normal = _e164(number)
    if normal != text:
        raise PhoneError(N_("is not E.164: write it as %(normal)s"), normal=normal)
    return normal


def parse_caller(text: str) -> E164:
    """A possible number, normalised to E.164 (spaces and dashes dropped)."""
    number = _parse(text.strip() if isinstance(text, str) else text)
    if not phonenumbers.is_possible_number(number):
        raise PhoneError(N_("has the wrong number of digits for its country"))
    return _e164(number)


def caller_or_none(raw: str | None) -> E164 | None:
    """The caller's number from a webhook's From; None if withheld or not a phone number."""
    text = (raw or "").strip()
    if text.lower() in WITHHELD:
        return None
    try:
        return parse_caller(text)
    except PhoneError:
        return None      # a SIP URI or client name: nothing to mask, ban or call back


def is_phone(text: str | None) -> bool:
    """Whether `text` passes `parse_phone` (a number hotline may ring)."""
    if text is None:
        return False
    try:
        parse_phone(text)
    except PhoneError:
        return False
    return True
