"""Password hashing (argon2id) and the rules a new password must meet."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from hotline.refusals import N_, Refusal

MIN_LENGTH = 10
MAX_LENGTH = 256

_hasher = PasswordHasher()  # argon2id with the library's current recommended costs
# Checked against when the email is unknown, so a wrong email takes as long as a wrong password.
_DUMMY = _hasher.hash("not-a-real-password-only-for-timing")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def check_password(stored: str | None, password: str) -> bool:
    """True when `password` matches `stored`; a missing hash still costs one verification."""
    try:
        return _hasher.verify(stored or _DUMMY, password) and stored is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def password_problem(password: str) -> Refusal | None:
    """Why a new password cannot be used, or None when it can."""
    if len(password) < MIN_LENGTH:
        return Refusal(N_("Use at least %(count)s characters."), count=MIN_LENGTH)
    if len(password) > MAX_LENGTH:
        return Refusal(N_("Use at most %(count)s characters."), count=MAX_LENGTH)
    if not password.strip():
        return Refusal(N_("A password cannot be only spaces."))
    return None
