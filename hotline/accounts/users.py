"""Creating, listing and disabling accounts, one-time links, and which chapters a user may see."""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from hotline.accounts.models import AccountToken, Role, User, UserChapter, WebSession
from hotline.accounts.passwords import hash_password, password_problem
from hotline.refusals import N_, Refusal
from hotline.roster import models as roster
from hotline.roster.changes import chapters_of
from hotline.roster.localtime import as_utc

SET_PASSWORD = "set_password"  # noqa: S105 - a link purpose, not a password
RESET = "reset"
LINK_LIFETIME = {SET_PASSWORD: timedelta(days=7), RESET: timedelta(hours=1)}
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


class AccountError(Refusal):
    """A refused account change, with a reason the person can act on."""


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def normalise_email(email: str) -> str:
    return email.strip().lower()


def user_by_email(session: Session, email: str) -> User | None:
    return session.scalar(select(User).where(User.email == normalise_email(email)))


def add_user(
    session: Session,
    email: str,
    name: str,
    role: Role,
    *,
    now: datetime,
    chapters: Sequence[roster.Chapter] = (),
    volunteer: roster.Volunteer | None = None,
) -> tuple[User, str]:
    """A new account with no password yet; returns it and the token of its set-password link."""
    email = normalise_email(email)
    if not _EMAIL.fullmatch(email) or len(email) > 254:
        raise AccountError(N_("%(email)r is not an email address"), email=email)
    if not name.strip() or len(name) > 200:
        raise AccountError(N_("a name of 1 to 200 characters is needed"))
    if user_by_email(session, email) is not None:
        raise AccountError(N_("there is already an account for %(email)s"), email=email)
    if role is Role.COORDINATOR and not chapters:
        raise AccountError(N_("a coordinator needs at least one --chapter"))
    if role is Role.VOLUNTEER and volunteer is None:
        raise AccountError(N_("a volunteer account needs --volunteer PHONE (their rota phone)"))
    if volunteer is not None:
        taken = session.scalar(select(User.email).where(User.volunteer_id == volunteer.id))
        if taken is not None:
            raise AccountError(N_("volunteer %(phone)s already has the account %(email)s"),
                               phone=volunteer.phone, email=taken)
    user = User(
        email=email,
        name=name.strip(),
        role=role.value,
        volunteer_id=volunteer.id if volunteer else None,
        created_at=as_utc(now),
    )
    session.add(user)
    session.flush()
    session.add_all(UserChapter(user_id=user.id, chapter_id=c.id) for c in chapters)
    token = issue_token(session, user, SET_PASSWORD, now=now)
    return user, token


def issue_token(session: Session, user: User, purpose: str, *, now: datetime) -> str:
    """A one-time link token for `user`; their unused links of that purpose stop working."""
    now = as_utc(now)
    session.execute(
        update(AccountToken)
        .where(AccountToken.user_id == user.id, AccountToken.purpose == purpose,
               AccountToken.used_at.is_(None))
        .values(used_at=now)
    )
    token = secrets.token_urlsafe(32)
    session.add(
        AccountToken(
            user_id=user.id,
            purpose=purpose,
            token_hash=token_digest(token),
            created_at=now,
            expires_at=now + LINK_LIFETIME[purpose],
        )
    )
    session.flush()
    return token


def link_holder(session: Session, token: str, *, now: datetime) -> tuple[AccountToken, User] | None:
    """The live link a token opens and its (active) user, or None if used, expired or unknown."""
    row = session.scalar(select(AccountToken).where(AccountToken.token_hash == token_digest(token)))
    if row is None or row.used_at is not None or as_utc(row.expires_at) <= as_utc(now):
        return None
    user = session.get(User, row.user_id)
    if user is None or not user.active:
        return None
    return row, user


def set_password(session: Session, user: User, password: str, *, now: datetime) -> None:
    """Store a new password; every session the user had is signed out."""
    problem = password_problem(password)
    if problem is not None:
        raise AccountError(problem.message, **problem.values)
    user.password_hash = hash_password(password)
    user.password_changed_at = as_utc(now)
    revoke_sessions(session, user.id, now=now)
    session.flush()


def redeem_link(session: Session, token: str, password: str, *, now: datetime) -> User:
    """Set the password through a one-time link, which then stops working."""
    found = link_holder(session, token, now=now)
    if found is None:
        raise AccountError(N_("This link has expired or was already used. Ask for a new one."))
    row, user = found
    set_password(session, user, password, now=now)
    row.used_at = as_utc(now)
    session.flush()
    return user


def disable_user(session: Session, email: str, *, now: datetime) -> User:
    """The account can no longer sign in; its sessions end at once."""
    user = user_by_email(session, email)
    if user is None:
        raise AccountError(N_("no account %(email)s"), email=normalise_email(email))
    user.active = False
    revoke_sessions(session, user.id, now=now)
    session.flush()
    return user


def revoke_sessions(
    session: Session, user_id: int, *, now: datetime, keep: int | None = None
) -> None:
    """End every live session of the user (but `keep`, the one making the change)."""
    query = update(WebSession).where(
        WebSession.user_id == user_id, WebSession.revoked_at.is_(None)
    )
    if keep is not None:
        query = query.where(WebSession.id != keep)
    session.execute(query.values(revoked_at=as_utc(now)))


def list_users(session: Session) -> list[tuple[User, list[str]]]:
    """Every account by email, with the slugs of the chapters linked to it."""
    users = session.scalars(select(User).order_by(User.email)).all()
    links = session.execute(
        select(UserChapter.user_id, roster.Chapter.slug)
        .join(roster.Chapter, roster.Chapter.id == UserChapter.chapter_id)
        .order_by(roster.Chapter.slug)
    ).all()
    slugs: dict[int, list[str]] = {}
    for user_id, slug in links:
        slugs.setdefault(user_id, []).append(slug)
    return [(user, slugs.get(user.id, [])) for user in users]


def chapter_ids(session: Session, user: User) -> set[int] | None:
    """Chapters the user may act in: None for an admin (every chapter).

    A coordinator's are those linked to the account; a volunteer's are those linked plus every
    chapter whose rota names them.
    """
    if user.role == Role.ADMIN:
        return None
    linked = set(
        session.scalars(select(UserChapter.chapter_id).where(UserChapter.user_id == user.id))
    )
    if user.role == Role.VOLUNTEER and user.volunteer_id is not None:
        linked |= set(chapters_of(session, user.volunteer_id))
    return linked


def coordinates(session: Session, user: User, chapter_id: int) -> bool:
    """True when the user may run this chapter (admin, or one of its coordinators)."""
    if user.role == Role.ADMIN:
        return True
    if user.role != Role.COORDINATOR:
        return False
    allowed = chapter_ids(session, user)
    return allowed is not None and chapter_id in allowed
