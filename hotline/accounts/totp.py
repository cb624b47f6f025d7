"""Sign-in codes (TOTP): enrolling, checking a code once only, turning them off.

A code is good for its 30-second step and the steps either side (a phone's clock drifts), so
one typed code would otherwise work for about a minute and a half: the last step accepted is
kept per user, and a code for that step or an earlier one is refused. The secret being
enrolled is kept on the user's row until the first code confirms it, never in the browser's
cookie (signed is not secret).
"""

from __future__ import annotations

from datetime import datetime

import pyotp

from hotline.accounts.models import User
from hotline.roster.localtime import as_utc

DRIFT_STEPS = 1      # steps either side of now a code may be for


def new_totp_secret() -> str:
    return pyotp.random_base32()


def totp_uri(secret: str, email: str) -> str:
    """The otpauth:// URI an authenticator app takes (typed in, or scanned from elsewhere)."""
    return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name="hotline")


def code_step(secret: str, code: str, *, now: datetime, after: int | None = None) -> int | None:
    """The time-step `code` is the code of (within the drift allowed, later than `after`),
    or None when it is no such code."""
    digits = "".join(ch for ch in code if ch.isdigit())
    if len(digits) != 6:
        return None
    totp = pyotp.TOTP(secret)
    current = totp.timecode(as_utc(now))
    for step in range(current - DRIFT_STEPS, current + DRIFT_STEPS + 1):
        if after is not None and step <= after:
            continue
        if pyotp.utils.strings_equal(totp.generate_otp(step), digits):
            return step
    return None


def accept_code(user: User, code: str, *, now: datetime) -> bool:
    """Whether `code` is a current code of the user's secret not used before; if so, its step
    is remembered so the same code (or an older one) never works again."""
    if user.totp_secret is None:
        return False
    step = code_step(user.totp_secret, code, now=now, after=user.totp_last_step)
    if step is None:
        return False
    user.totp_last_step = step
    return True


def pending_secret(user: User) -> str:
    """The secret being enrolled, made now if there is none (kept on the row, not sent in a
    cookie); the same one until it is confirmed, so reloading the page changes nothing."""
    if user.totp_pending_secret is None:
        user.totp_pending_secret = new_totp_secret()
    return user.totp_pending_secret


def confirm_totp(user: User, code: str, *, now: datetime) -> bool:
    """Turn codes on with the pending secret when `code` is one of its codes; False (and no
    change) otherwise."""
    secret = user.totp_pending_secret
    if secret is None:
        return False
    step = code_step(secret, code, now=now)
    if step is None:
        return False
    user.totp_secret, user.totp_pending_secret, user.totp_last_step = secret, None, step
    return True


def turn_off_totp(user: User) -> None:
    """Codes off (the caller has checked a current code first)."""
    user.totp_secret = user.totp_pending_secret = user.totp_last_step = None
