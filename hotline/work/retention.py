"""Retention: once a day, what product.md says is kept only so long is dropped.

Contact records older than `privacy.retention_days` lose the caller's encrypted number and
its keyed hash (so nothing links them to a number any more), and their after-call notes go;
texts to callers and messages texted to the line lose the same, and a message's words
too. Recordings of voicemails older than `privacy.recording_retention_days` are deleted at
the network. What stays: every record's times, outcome, legs, call-back attempts and the
masked last four digits (counts stay for reports), and bans and opt-outs, which must outlive
the records (a ban or a STOP is kept by keyed hash, its number only encrypted for a key rotation).

The daily run is a scheduled task like any other (one per UTC day, keyed by the date, so
any number of workers schedule it once and run it once); the first sweep of each day in a
process schedules it, on the workers or in the web process on the embedded default.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import ColumnElement, func, select, update
from sqlalchemy.orm import Session

from hotline.bans import Ban
from hotline.logs.messages import InboundMessage
from hotline.logs.models import Call, Voicemail
from hotline.logs.notes import CallNote, drop_notes_before, stale_notes
from hotline.privacy import mask_numbers
from hotline.telephony import TelephonyError
from hotline.texts.models import OptOut, OutboundText, TextStatus
from hotline.work import kinds
from hotline.work.models import ScheduledTask
from hotline.work.schedule import schedule

if TYPE_CHECKING:
    from hotline.runtime import Runtime

log = logging.getLogger(__name__)

RUN_AT = time(3, 0)          # UTC: the quiet of the night in most places hotline runs
NOT_FOUND = 20404            # Twilio: the recording is gone already
# Recordings deleted per run: each is a request to Twilio inside the task's transaction,
# which must end well within its lease (hotline.work.schedule.LEASE); the rest go tomorrow.
RECORDINGS_PER_RUN = 500
_OPEN_TEXTS = (TextStatus.INTENT, TextStatus.SENDING)
# The day this process last scheduled the run, per database (a shortcut only: the task's
# key is what makes it once).
_scheduled: dict[int, date] = {}


@dataclass(frozen=True)
class Retention:
    """What a run drops (or, dry, would drop), and what it keeps."""

    contacts_before: datetime
    recordings_before: datetime
    calls: int = 0                 # contact records whose caller's number is dropped
    texts: int = 0                 # texts to callers whose number is dropped
    messages: int = 0              # messages received whose sender and words are dropped
    recordings: int = 0            # recordings deleted at the network
    recordings_failed: int = 0     # the network refused: tried again tomorrow
    notes: int = 0                 # after-call notes deleted
    bans: int = 0                  # kept
    opt_outs: int = 0              # kept
    dry_run: bool = False

    def lines(self) -> list[str]:
        would = "would " if self.dry_run else ""
        lines = [
            f"contact records before {self.contacts_before:%Y-%m-%d %H:%M}Z: {would}drop the "
            f"caller's number from {self.calls} call(s), {self.texts} text(s) to callers "
            f"and {self.messages} message(s) received (sender and words); {would}delete "
            f"{self.notes} after-call note(s)",
            f"recordings before {self.recordings_before:%Y-%m-%d %H:%M}Z: {would}delete "
            f"{self.recordings} at Twilio",
        ]
        if self.recordings_failed:
            lines.append(f"{self.recordings_failed} recording(s) could not be deleted; "
                         "the next run tries again")
        lines.append(f"kept: every record's times, outcome, legs and call-backs, the masked "
                     f"last four digits; {self.bans} ban(s) and {self.opt_outs} opt-out(s) "
                     "(by keyed hash: a ban or a STOP outlives the records)")
        return lines


def cutoffs(runtime: Runtime, now: datetime) -> tuple[datetime, datetime]:
    privacy = runtime.settings.privacy
    return (now - timedelta(days=privacy.retention_days),
            now - timedelta(days=privacy.recording_retention_days))


def _stale_calls(before: datetime) -> ColumnElement[bool]:
    return (Call.started_at < before) & ((Call.caller_cipher != "") | (Call.caller_hash != ""))


def _stale_texts(before: datetime) -> ColumnElement[bool]:
    return ((OutboundText.created_at < before) & (OutboundText.to_cipher != "")
            & OutboundText.status.not_in(_OPEN_TEXTS))


def _stale_messages(before: datetime) -> ColumnElement[bool]:
    return ((InboundMessage.received_at < before)
            & ((InboundMessage.sender_cipher != "") | (InboundMessage.body_cipher != "")))


def _stale_recordings(before: datetime) -> ColumnElement[bool]:
    return (Voicemail.created_at < before) & Voicemail.deleted_at.is_(None)


def _count(session: Session, model: Any, where: ColumnElement[bool]) -> int:
    return session.scalar(select(func.count()).select_from(model).where(where)) or 0


def apply_retention(session: Session, runtime: Runtime, now: datetime, *,
                    dry_run: bool = False) -> Retention:
    """Drop what is past its time (dry: only count it); what was dropped and kept."""
    contacts_before, recordings_before = cutoffs(runtime, now)
    bans = _count(session, Ban, Ban.id.is_not(None))
    opt_outs = _count(session, OptOut, OptOut.number_hash.is_not(None))
    if dry_run:
        return Retention(
            contacts_before, recordings_before, dry_run=True,
            calls=_count(session, Call, _stale_calls(contacts_before)),
            texts=_count(session, OutboundText, _stale_texts(contacts_before)),
            messages=_count(session, InboundMessage, _stale_messages(contacts_before)),
            recordings=_count(session, Voicemail, _stale_recordings(recordings_before)),
            notes=_count(session, CallNote, stale_notes(contacts_before)),
            bans=bans, opt_outs=opt_outs)
    calls = _update(session, update(Call).where(_stale_calls(contacts_before))
                    .values(caller_cipher="", caller_hash=""))
    texts = _update(session, update(OutboundText).where(_stale_texts(contacts_before))
                    .values(to_cipher="", to_hash=""))
    messages = _update(session, update(InboundMessage)
                       .where(_stale_messages(contacts_before))
                       .values(sender_cipher="", sender_hash="", body_cipher=""))
    notes = drop_notes_before(session, contacts_before)
    deleted, failed = _delete_recordings(session, runtime, recordings_before, now)
    result = Retention(contacts_before, recordings_before, calls=calls, texts=texts,
                       messages=messages, recordings=deleted, recordings_failed=failed,
                       notes=notes, bans=bans, opt_outs=opt_outs)
    log.info("retention: %s", "; ".join(result.lines()))
    return result


def retention_summary(result: Retention) -> dict[str, Any]:
    """What the audit log keeps of a run: its cut-offs and counts (never a number)."""
    return {"contacts_before": result.contacts_before,
            "recordings_before": result.recordings_before, "calls": result.calls,
            "texts": result.texts, "messages": result.messages,
            "recordings": result.recordings, "recordings_failed": result.recordings_failed,
            "notes": result.notes}


def _update(session: Session, statement: Any) -> int:
    rows: int = session.execute(statement.execution_options(
        synchronize_session=False)).rowcount  # type: ignore[attr-defined]
    return rows


def _delete_recordings(session: Session, runtime: Runtime, before: datetime, now: datetime
                       ) -> tuple[int, int]:
    """Delete each recording at the network, then mark it deleted (twice is harmless: a
    recording already gone counts as deleted)."""
    deleted = failed = 0
    for voicemail in session.scalars(select(Voicemail).where(_stale_recordings(before))
                                     .order_by(Voicemail.id).limit(RECORDINGS_PER_RUN)):
        try:
            runtime.telephony.delete_recording(voicemail.recording_sid)
        except TelephonyError as exc:
            if exc.code != NOT_FOUND:
                failed += 1
                log.warning("recording of voicemail %s not deleted: %s", voicemail.id,
                            mask_numbers(str(exc)))
                continue
        voicemail.deleted_at, voicemail.recording_url = now, ""
        deleted += 1
    return deleted, failed


def run_retention(session: Session, runtime: Runtime, task: ScheduledTask) -> None:
    """The daily RETENTION task's handler."""
    apply_retention(session, runtime, runtime.clock())


def schedule_daily(runtime: Runtime, now: datetime) -> None:
    """Schedule today's run (once per day and database, whoever asks; from the sweep)."""
    day = now.astimezone(UTC).date()
    if _scheduled.get(id(runtime.engine)) == day:
        return
    with runtime.transaction() as session:
        schedule(session, kinds.RETENTION, 0, datetime.combine(day, RUN_AT, UTC),
                 key=f"retention-{day.isoformat()}", now=now)
    _scheduled[id(runtime.engine)] = day
