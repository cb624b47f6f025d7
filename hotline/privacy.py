"""Callers' numbers: encrypted at rest, looked up by keyed hash, shown masked.

One secret (`privacy.key`) yields two keys by HKDF: one encrypts (Fernet), one hashes
(HMAC-SHA256). The hash lets bans and repeat-caller lookups work without the number.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import re

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

# A phone number as it reaches us (E.164, or bare digits), not part of a longer word
# such as a CallSid; dates and times have separators and do not match.
_NUMBER = re.compile(r"(?<![\w+])\+?\d{7,15}(?![\w])")


def mask(number: str | None) -> str:
    """Last four digits only, e.g. '***1234'; 'anonymous' when there is no number."""
    if not number:
        return "anonymous"
    digits = [c for c in number if c.isdigit()]
    if len(digits) < 4:
        return "***"
    return "***" + "".join(digits[-4:])


def mask_numbers(text: str) -> str:
    """`text` with every phone-number-like run masked."""
    return _NUMBER.sub(lambda m: mask(m.group(0)), text)


def _derive(secret: str, purpose: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=b"hotline", info=purpose).derive(
        secret.encode()
    )


class Privacy:
    def __init__(self, secret: str) -> None:
        # An empty secret still works (drills, tests) but nothing real should run on it:
        # serving requires privacy.key (settings.require_for_serving).
        secret = secret or "hotline-unset-privacy-key"
        self._fernet = Fernet(base64.urlsafe_b64encode(_derive(secret, b"encrypt")))
        self._hash_key = _derive(secret, b"hash")

    def encrypt(self, number: str) -> str:
        return self._fernet.encrypt(number.encode()).decode()

    def decrypt(self, token: str) -> str | None:
        """The number, or None if the token was made with another key."""
        try:
            return self._fernet.decrypt(token.encode()).decode()
        except InvalidToken:
            return None

    def digest(self, number: str) -> str:
        """A keyed hash of the number: the same number always gives the same digest."""
        normalised = "+" + "".join(c for c in number if c.isdigit())
        return hmac.new(self._hash_key, normalised.encode(), hashlib.sha256).hexdigest()


class MaskingFormatter(logging.Formatter):
    """Masks phone numbers in whole log lines, tracebacks included."""

    def format(self, record: logging.LogRecord) -> str:
        return mask_numbers(super().format(record))
