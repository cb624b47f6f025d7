"""Signing in: passwords checked with a throttle, sessions that expire when idle or are revoked.

The throttle counts failures in the database (so every app process sees them) per account and
per client address: five in fifteen minutes and further tries are refused, right or wrong,
until the oldest failure is old enough. The answer never says which part was wrong.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from hotline.accounts.models import SignInFailure, User, WebSession
from hotline.accounts.passwords import check_password
from hotline.accounts.totp import accept_code
from hotline.accounts.users import token_digest, user_by_email
from hotline.roster.localtime import as_utc

MAX_FAILURES = 5
FAILURE_WINDOW = timedelta(minutes=15)
IDLE_TIMEOUT = timedelta(hours=1)
MAX_SESSION = timedelta(hours=12)
_TOUCH_EVERY = timedelta(minutes=1)


def _key(secret: str, kind: str, value: str) -> str:
    return hmac.new(secret.encode(), f"{kind}:{value}".encode(), hashlib.sha256).hexdigest()


def throttled(session: Session, keys: list[str], *, now: datetime) -> bool:
    """True when any key has reached the failure limit within the window."""
    since = as_utc(now) - FAILURE_WINDOW
    counts = session.execute(
        select(SignInFailure.key_hash, func.count())
        .where(SignInFailure.key_hash.in_(keys), SignInFailure.at > since)
        .group_by(SignInFailure.key_hash)
    ).all()
    return any(count >= MAX_FAILURES for _key_hash, count in counts)


def note_failure(session: Session, keys: list[str], *, now: datetime) -> None:
    now = as_utc(now)
    session.add_all(SignInFailure(key_hash=key, at=now) for key in keys)
    # Old failures no longer count; clearing them here keeps the table small without a job.
    session.execute(delete(SignInFailure).where(SignInFailure.at <= now - FAILURE_WINDOW))
    session.flush()


def failure_keys(secret: str, email: str, address: str) -> list[str]:
    """The throttle's keys for an attempt: the account (as typed) and the client address."""
    return [_key(secret, "account", email.strip().lower()), _key(secret, "address", address)]


def check_sign_in(
    session: Session, email: str, password: str, address: str, *, secret: str, now: datetime
) -> User | None:
    """The active user these credentials belong to, or None (wrong, unknown, or throttled)."""
    keys = failure_keys(secret, email, address)
    if throttled(session, keys, now=now):
        check_password(None, password)  # the same cost as a real try
        note_failure(session, keys, now=now)
        return None
    user = user_by_email(session, email)
    ok = check_password(user.password_hash if user else None, password)
    if user is None or not ok or not user.active:
        note_failure(session, keys, now=now)
        return None
    return user


def check_code(
    session: Session, user: User, code: str, address: str, *, secret: str, now: datetime
) -> bool:
    """A sign-in code for a user with TOTP on, each code good once; failures count against
    the same throttle as passwords."""
    keys = failure_keys(secret, user.email, address)
    if user.totp_secret is None:
        return True
    if not throttled(session, keys, now=now) and accept_code(user, code, now=now):
        session.flush()
        return True
    note_failure(session, keys, now=now)
    return False


def start_session(session: Session, user: User, *, now: datetime) -> str:
    """A new session for the user; returns the token for the cookie (stored only hashed)."""
    token = secrets.token_urlsafe(32)
    now = as_utc(now)
    session.add(
        WebSession(token_hash=token_digest(token), user_id=user.id, created_at=now,
                   last_seen_at=now)
    )
    session.flush()
    return token


def session_user(
    session: Session, token: str, *, now: datetime
) -> tuple[WebSession, User] | None:
    """The live session and its active user for a cookie token, or None; marks it seen."""
    now = as_utc(now)
    row = session.scalar(select(WebSession).where(WebSession.token_hash == token_digest(token)))
    if row is None or row.revoked_at is not None:
        return None
    if now - as_utc(row.last_seen_at) > IDLE_TIMEOUT or now - as_utc(row.created_at) > MAX_SESSION:
        row.revoked_at = now
        session.flush()
        return None
    user = session.get(User, row.user_id)
    if user is None or not user.active:
        return None
    if now - as_utc(row.last_seen_at) > _TOUCH_EVERY:
        row.last_seen_at = now
        session.flush()
    return row, user


def end_session(session: Session, token: str, *, now: datetime) -> None:
    row = session.scalar(select(WebSession).where(WebSession.token_hash == token_digest(token)))
    if row is not None and row.revoked_at is None:
        row.revoked_at = as_utc(now)
        session.flush()
