"""One change made from the web: the domain call and its audit entry commit together."""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask_babel import gettext
from sqlalchemy.orm import Session
from wtforms import Field

from hotline.accounts.users import AccountError
from hotline.audit.log import Actor, record
from hotline.refusals import N_, Refusal
from hotline.roster.changes import RotaChangeError
from hotline.roster.localtime import to_instant
from hotline.web.access import runtime, viewer


@dataclass(frozen=True)
class Done:
    """What the audit log keeps of a change: what it was about, before and after."""

    subject: str
    before: Any = None
    after: Any = None


def apply(
    action: str,
    chapter_id: int | Collection[int] | None,
    change: Callable[[Session, datetime], Done],
) -> str | None:
    """Run `change` and record it (once per chapter it concerns); a refusal's reason instead,
    and nothing written."""
    who, rt = viewer(), runtime()
    now = rt.clock()
    chapters = [chapter_id] if chapter_id is None or isinstance(chapter_id, int) else sorted(
        chapter_id)
    try:
        with rt.transaction() as db:
            done = change(db, now)
            for chapter in chapters:
                record(db, Actor.web(who.id, who.email), action, now=now, chapter_id=chapter,
                       subject=done.subject, before=done.before, after=done.after)
    except (RotaChangeError, AccountError) as exc:
        return reason(exc)
    return None


def reason(refusal: Refusal) -> str:
    """Why the domain refused, in the reader's language (each of several reasons, and a
    reason given as a value, translated too)."""
    if refusal.parts:
        return "; ".join(reason(part) for part in refusal.parts)
    values = {name: reason(value) if isinstance(value, Refusal) else value
              for name, value in refusal.values.items()}
    return str(gettext(refusal.message, **values))


def local_instant(wall: datetime | None, zone: str) -> datetime:
    """A date-time typed into a form (wall clock in the chapter's zone) as a UTC instant."""
    assert wall is not None  # the form's InputRequired
    if not YEARS[0] <= wall.year <= YEARS[1]:
        raise RotaChangeError(N_("times must fall between the years %(first)s and %(last)s"),
                              first=YEARS[0], last=YEARS[1])
    return to_instant(wall.replace(tzinfo=None), ZoneInfo(zone))


# The years a rota page reads or changes (beyond them date arithmetic overflows).
YEARS = (1970, 2200)


def split_tags(text: str | None) -> list[str]:
    return [part for part in (text or "").replace(";", ",").split(",") if part.strip()]


def refused(field: Field, error: str | None) -> bool:
    """Show a refusal's reason next to `field` (where the person looks); True if there was one."""
    if error is None:
        return False
    field.errors = [*field.errors, error]
    return True
