"""Caps against floods and ring-bombing, decided as an incoming call is opened.

A chapter lets at most `max_holding` callers hold at once, and one caller (by the keyed
hash of their number, across every chapter) at most `max_calls_per_caller` calls in line
or talking at once; a chapter may refuse withheld numbers (`reject_withheld`, for an
attack). The counts are SQL expressions read in the same statement that writes the call
(hotline.logs.incoming), so the webhook still makes one round trip on PostgreSQL. Two
calls arriving in the same instant may both see a count just under its cap: a cap is a
brake on floods, not an exact quota.
"""

from __future__ import annotations

import enum
from datetime import timedelta
from typing import Any

from sqlalchemy import String, and_, bindparam, case, func, literal_column, null, select

from hotline.logs.models import Call, Phase
from hotline.roster.models import Chapter


class Cap(enum.StrEnum):
    """Why a caller was turned away, as `calls.cap` records it (the metrics count it)."""

    CALLER = "caller"        # the caller already had their most calls in line or talking
    CHAPTER = "chapter"      # the chapter already had its most callers holding
    WITHHELD = "withheld"    # no number, and the chapter refuses withheld numbers now


# A call still in line or talking this long after it began lost its end (a status callback
# that never came): it no longer counts against its caller or its chapter.
WINDOW = timedelta(hours=4)

LIVE = (Phase.HOLDING, Phase.ANSWERED)


def _word(value: str) -> Any:
    """A fixed word of ours written into the SQL, not a parameter: the webhook's statement
    is compiled once and run as driver SQL (hotline.logs.incoming)."""
    if value and not value.replace("_", "").isalpha():
        raise ValueError(f"not a plain word: {value!r}")
    return literal_column(f"'{value}'", type_=String)


def cap_applied() -> Any:
    """The cap that turns this caller away, or NULL: an SQL expression over `Chapter` (the
    dialled chapter's row) and the binds `caller_hash` ('' when withheld) and `since`.

    The conditions repeat the partial indexes' own (`ix_calls_live_caller`,
    `ix_calls_holding`), so each count reads only the few rows it counts.
    """
    caller_hash = bindparam("caller_hash", type_=String)
    since = bindparam("since", type_=Call.started_at.type)
    callers_calls = (
        select(func.count()).select_from(Call)
        .where(Call.caller_hash == caller_hash, Call.phase.in_([_word(p) for p in LIVE]),
               Call.started_at > since)
        .scalar_subquery()
    )
    holding = (
        select(func.count()).select_from(Call)
        .where(Call.chapter_id == Chapter.id, Call.phase == _word(Phase.HOLDING),
               Call.started_at > since)
        .correlate(Chapter).scalar_subquery()
    )
    withheld = caller_hash == _word("")
    return case(
        (and_(Chapter.reject_withheld, withheld), _word(Cap.WITHHELD)),
        (and_(~withheld, callers_calls >= Chapter.max_calls_per_caller), _word(Cap.CALLER)),
        (holding >= Chapter.max_holding, _word(Cap.CHAPTER)),
        else_=null(),
    )
