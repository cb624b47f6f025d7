"""Callers' numbers: encrypted at rest, looked up by keyed hash, shown masked.

One secret (`privacy.key`) yields three keys by HKDF: one encrypts (Fernet), one hashes
(HMAC-SHA256), one makes the key's fingerprint (hotline.keyring keeps it in the database).
The hash lets bans and repeat-caller lookups work without the number.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import re
from collections.abc import Sequence
from urllib.parse import unquote

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from hotline.settings import redact_passwords

# Phone numbers in every form a log line may carry them: E.164 or bare digits, spaced or
# punctuated ("+1 (617) 555-0123", "617.555.0123", "020 7946 0958") and URL-encoded
# ("%2B16175550123", "+1%20617%20555%200123"). Tokens that only look like numbers are
# matched first and kept as they are: dates and times, IPv4 addresses, UUIDs, decimals,
# and words with letters in them (CallSids, hex ids).
_SEP = r"(?:[ .\-/]|%20|%2[DdEeFf])"
_PLUS = r"(?:\+|%2[Bb])"
_OPEN, _CLOSE = r"(?:\(|%28)", r"(?:\)|%29)"
_KEEP = "|".join((
    r"\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?",
    r"\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d+)?",
    r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}",
    r"\d{1,3}(?:\.\d{1,3}){3}(?![\d.])",
    r"\d+\.\d+(?![\d.])",
    r"\w*[A-Za-z_]\w*",
))
_PHONE = "|".join((
    # After a plus: any grouping, parentheses included.
    rf"{_PLUS}{_SEP}?{_OPEN}?\d(?:\d|{_SEP}{{1,2}}\d|{_SEP}?{_OPEN}\d|{_CLOSE}{_SEP}?\d)*",
    # National, North American: (617) 555-0123, 617-555-0123, 1-800-273-8255.
    rf"(?:1{_SEP})?(?:{_OPEN}\d{{3}}{_CLOSE}{_SEP}?|\d{{3}}{_SEP})\d{{3}}{_SEP}\d{{4}}",
    # National with a trunk 0: 020 7946 0958, 06 12 34 56 78.
    rf"0\d{{1,4}}(?:{_SEP}\d{{2,4}}){{2,4}}",
    r"\d{7,15}",
))
_NUMBERS = re.compile(rf"(?P<keep>{_KEEP})|(?<!\w)(?P<phone>{_PHONE})(?!\w)")
_DIGIT_RUN = re.compile(r"\d{7,}")


def mask(number: str | None) -> str:
    """Last four digits only, e.g. '***1234'; 'anonymous' when there is no number."""
    if not number:
        return "anonymous"
    digits = [c for c in number if c.isdigit()]
    if len(digits) < 4:
        return "***"
    return "***" + "".join(digits[-4:])


def mask_numbers(text: str) -> str:
    """`text` with every phone number masked, in whatever form it is written."""
    return _NUMBERS.sub(_masked, text)


def _masked(match: re.Match[str]) -> str:
    found = match.group(0)
    if match.group("keep") is not None:
        return found
    digits = sum(c.isdigit() for c in unquote(found))
    if digits < 7:
        return found
    if digits > 15:             # two numbers run together: mask each run of digits
        return _DIGIT_RUN.sub(lambda run: mask(run.group(0)), found)
    return mask(unquote(found))


def _derive(secret: str, purpose: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=b"hotline", info=purpose).derive(
        secret.encode()
    )


class PrivacyKeyMissing(RuntimeError):
    """Something tried to encrypt or hash a number with no privacy key configured."""


class Privacy:
    """Encrypts, decrypts and hashes numbers with `privacy.key`.

    During a rotation the keys it replaces (`previous`) still decrypt (MultiFernet), so
    `hotline privacy rotate` can re-encrypt and re-hash what they made. With no key at all
    (a command that never touches a number) every use raises PrivacyKeyMissing: nothing is
    ever hashed or encrypted with a made-up key.
    """

    def __init__(self, secret: str, previous: Sequence[str] = ()) -> None:
        self._keyed = bool(secret)
        if not secret:
            return
        older = [key for key in previous if key and key != secret]
        self._current = _fernet(secret)
        self._fernet = MultiFernet([self._current, *map(_fernet, older)])
        self._hash_key = _derive(secret, b"hash")
        self._fingerprints = tuple(_fingerprint(key) for key in (secret, *older))

    def _require(self) -> None:
        if not self._keyed:
            raise PrivacyKeyMissing(
                "privacy.key: must be set (at least 16 characters): it encrypts and hashes "
                "callers' numbers")

    def encrypt(self, number: str) -> str:
        self._require()
        return self._fernet.encrypt(number.encode()).decode()

    def decrypt(self, token: str) -> str | None:
        """The number, or None if the token was made with none of the keys."""
        self._require()
        try:
            return self._fernet.decrypt(token.encode()).decode()
        except InvalidToken:
            return None

    def is_current(self, token: str) -> bool:
        """Whether `token` was made with the current key (not only a previous one)."""
        self._require()
        try:
            self._current.decrypt(token.encode())
        except InvalidToken:
            return False
        return True

    def digest(self, number: str) -> str:
        """A keyed hash of the number: the same number always gives the same digest."""
        self._require()
        normalised = "+" + "".join(c for c in number if c.isdigit())
        return hmac.new(self._hash_key, normalised.encode(), hashlib.sha256).hexdigest()

    @property
    def fingerprint(self) -> str:
        """Identifies the current key (stored with the data it made; reveals nothing of it)."""
        self._require()
        return self._fingerprints[0]

    @property
    def previous_fingerprints(self) -> tuple[str, ...]:
        self._require()
        return self._fingerprints[1:]


def _fernet(secret: str) -> Fernet:
    return Fernet(base64.urlsafe_b64encode(_derive(secret, b"encrypt")))


def _fingerprint(secret: str) -> str:
    return hmac.new(_derive(secret, b"fingerprint"), b"hotline privacy key",
                    hashlib.sha256).hexdigest()


# Secrets that travel in URLs: calendar feed tokens and one-time password links (and, by
# hotline.settings.redact_passwords, the password part of a database or Redis URL).
_SECRETS = (
    (re.compile(r"(/calendar/)[^/?\s\"]+?(\.ics)"), r"\1***\2"),
    (re.compile(r"(/(?:set|reset)-password/)[^/?\s\"]+"), r"\1***"),
)


def redact(text: str) -> str:
    """`text` as a log may keep it: numbers masked, secret tokens and passwords taken out."""
    for pattern, replacement in _SECRETS:
        text = pattern.sub(replacement, text)
    return mask_numbers(redact_passwords(text))


class MaskingFormatter(logging.Formatter):
    """Masks phone numbers and secret tokens in whole log lines, tracebacks included."""

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


class Redacting(logging.Formatter):
    """Wraps another formatter (gunicorn's own, say) and redacts what it writes."""

    def __init__(self, inner: logging.Formatter) -> None:
        super().__init__()
        self.inner = inner

    def format(self, record: logging.LogRecord) -> str:
        return redact(self.inner.format(record))
