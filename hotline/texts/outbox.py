"""Every text hotline sends goes through this outbox: written first, sent by a job, once.

`queue_text` writes the intent (its key makes it once, whoever asks twice) and sends a
SEND_TEXT job when the transaction commits. `send` claims the text, checks at that moment
that the number has not opted out and (for a caller) that it is inside the chapter's
call-back hours, takes a slot of the account's rate, sends, and notes the SID. A sender that
died mid-send leaves the text claimed; the next one to take it first asks the network
whether it went (`find_sms`), so a text is never sent twice. Texts to callers never carry
their number, nor are they sent to a withheld one.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, cast

from sqlalchemy import Connection, Table, or_, select, update
from sqlalchemy.orm import Session

from hotline import jobs
from hotline.callbacks.hours import next_open
from hotline.db import add_once
from hotline.phone import E164
from hotline.privacy import mask, mask_numbers
from hotline.roster.models import Chapter, Volunteer
from hotline.telephony import TelephonyError
from hotline.texts.models import OutboundText, TextStatus
from hotline.texts.optouts import is_opted_out, opt_out

if TYPE_CHECKING:
    from hotline.runtime import Runtime

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=2)
SWEEP_GRACE = timedelta(seconds=60)     # see hotline.work.schedule.SWEEP_GRACE
MAX_TRIES = 5
# Twilio's error codes for a text: the number opted out, cannot take texts, does not exist,
# or the account is sending too fast (try again later).
OPTED_OUT = 21610
UNDELIVERABLE = frozenset({21211, 21614, 21635})
TOO_FAST = 20429


def queue_text(
    session: Session,
    *,
    key: str,
    kind: str,
    from_number: str,
    body: str,
    now: datetime,
    volunteer_id: int | None = None,
    caller_cipher: str = "",
    caller_hash: str = "",
    caller_hint: str = "",
    chapter_id: int | None = None,
    quiet: bool = False,
    not_before: datetime | None = None,
) -> OutboundText:
    """Write the text to send (to a volunteer by id, or to a caller by their stored number)."""
    if volunteer_id is None and not caller_cipher:
        raise ValueError("a text needs a volunteer or a caller's number")
    text, added = add_once(session, OutboundText(
        key=key, kind=kind, chapter_id=chapter_id, volunteer_id=volunteer_id,
        to_cipher=caller_cipher, to_hash=caller_hash, to_hint=caller_hint,
        from_number=from_number, body=body, quiet=quiet, status=TextStatus.INTENT,
        not_before=not_before or now, tries=0, error="", created_at=now,
    ), OutboundText.key == key)
    if added:
        _wake(session, text, now)
    return text


def _wake(session: Session, text: OutboundText, now: datetime) -> None:
    delay = text.not_before - now
    jobs.enqueue(session, jobs.SEND_TEXT, text.id,
                 delay=delay if delay > timedelta(0) else None,
                 key=f"text-{text.id}-{text.not_before.timestamp():.0f}")


def overdue(conn: Connection, now: datetime, limit: int = 100) -> list[int]:
    """Texts whose own job should have sent them by now, or whose sender died holding
    them (the sweep's share; hotline.work.sweeps)."""
    table = cast(Table, OutboundText.__table__)
    rows = conn.execute(
        select(table.c.id).where(or_(
            (table.c.status == TextStatus.INTENT.value)
            & (table.c.not_before <= now - SWEEP_GRACE),
            (table.c.status == TextStatus.SENDING.value) & (table.c.lease_until < now)))
        .order_by(table.c.id).limit(limit))
    return list(rows.scalars())


def sweep(runtime: Runtime, text_ids: Sequence[int]) -> None:
    for text_id in text_ids:
        runtime.submit(jobs.SEND_TEXT, text_id, key=f"text-{text_id}-sweep")


def retry_text(session: Session, text_id: int, now: datetime) -> OutboundText | None:
    """Send a failed text again now (`hotline jobs retry`); None if it is not failed. Its
    opt-out and hours are checked again when it goes, as for any text."""
    text = session.get(OutboundText, text_id)
    if text is None or text.status is not TextStatus.FAILED:
        return None
    text.status, text.tries, text.not_before, text.error = TextStatus.INTENT, 0, now, ""
    _wake(session, text, now)
    return text


def cancel_texts(session: Session, keys: list[str]) -> None:
    """Call off texts not yet sent (a voicemail taken before its reminder went)."""
    session.execute(update(OutboundText)
                    .where(OutboundText.key.in_(keys), OutboundText.status == TextStatus.INTENT)
                    .values(status=TextStatus.CANCELED)
                    .execution_options(synchronize_session=False))


def send(runtime: Runtime, text_id: int) -> TextStatus | None:
    """The SEND_TEXT job: send the text if it is still to go and may go now."""
    now = runtime.clock()
    with runtime.transaction() as session:
        text = _claim(session, text_id, now)
        if text is None:
            return None
        number = _recipient(session, runtime, text)
        settled = _settled(session, runtime, text, number, now)
        if settled is not None or number is None:
            return settled
        to, from_, body, since, tries = (number, text.from_number, text.body,
                                         text.created_at, text.tries)
    try:
        sid = runtime.telephony.find_sms(to, from_, since, body) if tries > 1 else None
        if sid is None:
            runtime.throttle.wait()
            sid = runtime.telephony.send_sms(to, from_, body)
    except TelephonyError as exc:
        return _refused(runtime, text_id, exc, now)
    with runtime.transaction() as session:
        text = session.get(OutboundText, text_id)
        assert text is not None
        text.status, text.message_sid, text.sent_at, text.lease_until = (
            TextStatus.SENT, sid, runtime.clock(), None)
        log.info("text %s (%s) sent to %s", text.id, text.kind, text.to_hint or "a volunteer")
    return TextStatus.SENT


def _claim(session: Session, text_id: int, now: datetime) -> OutboundText | None:
    result = session.execute(
        update(OutboundText)
        .where(OutboundText.id == text_id, OutboundText.not_before <= now,
               or_(OutboundText.status == TextStatus.INTENT,
                   (OutboundText.status == TextStatus.SENDING)
                   & (OutboundText.lease_until < now)))
        .values(status=TextStatus.SENDING, lease_until=now + LEASE,
                tries=OutboundText.tries + 1)
        .execution_options(synchronize_session=False))
    if result.rowcount != 1:  # type: ignore[attr-defined]
        return None
    return session.get(OutboundText, text_id, populate_existing=True)


def _recipient(session: Session, runtime: Runtime, text: OutboundText) -> E164 | None:
    if text.volunteer_id is not None:
        volunteer = session.get(Volunteer, text.volunteer_id)
        return E164(volunteer.phone) if volunteer is not None and volunteer.active else None
    number = runtime.privacy.decrypt(text.to_cipher)
    return E164(number) if number else None


def _settled(session: Session, runtime: Runtime, text: OutboundText, number: E164 | None,
             now: datetime) -> TextStatus | None:
    """The text's fate decided here and now (not to be sent, or not yet), or None: send."""
    if number is None:
        text.status, text.error = TextStatus.UNDELIVERABLE, "no number to send to"
        return text.status
    if is_opted_out(session, runtime.privacy.digest(number)):
        text.status = TextStatus.OPTED_OUT
        log.info("text %s not sent: %s opted out", text.id, mask(number))
        return text.status
    chapter = session.get(Chapter, text.chapter_id) if text.chapter_id else None
    if text.quiet and chapter is not None:
        opens = next_open(now, chapter.callback_hours, chapter.timezone)
        if opens > now:
            text.status, text.not_before, text.lease_until = TextStatus.INTENT, opens, None
            text.tries -= 1
            _wake(session, text, now)
            log.info("text %s waits for the call-back hours (%s)", text.id, opens.isoformat())
            return text.status
    return None


def _refused(runtime: Runtime, text_id: int, exc: TelephonyError, now: datetime
             ) -> TextStatus:
    with runtime.transaction() as session:
        text = session.get(OutboundText, text_id)
        assert text is not None
        text.error, text.lease_until = mask_numbers(str(exc))[:2000], None
        if exc.code == OPTED_OUT:
            text.status = TextStatus.OPTED_OUT
            number = _recipient(session, runtime, text)
            if number is not None:
                opt_out(session, runtime.privacy, number, "carrier 21610", now)
        elif exc.code in UNDELIVERABLE:
            text.status = TextStatus.UNDELIVERABLE
        elif text.tries >= MAX_TRIES:
            text.status = TextStatus.FAILED
            log.error("text %s failed for good: %s", text.id, exc)
        else:
            text.status = TextStatus.INTENT
            text.not_before = now + timedelta(seconds=30 * 2 ** text.tries)
            _wake(session, text, now)
            log.warning("text %s not sent (%s); trying again at %s", text.id, exc,
                        text.not_before.isoformat())
        return text.status
