"""Texting a volunteer the link to reset their password, to the phone the rota has for them."""

from __future__ import annotations

import logging

from sqlalchemy import select

from hotline.roster import models
from hotline.roster.changes import chapters_of
from hotline.runtime import Runtime

log = logging.getLogger(__name__)


def send_reset_text(runtime: Runtime, volunteer_id: int, url: str) -> bool:
    """Text `url` to the volunteer from a hotline number of one of their chapters.

    The one place a reset link is sent (to be routed through the outbound-text outbox);
    False when the volunteer has no chapter with a number, so nothing could be sent.
    """
    with runtime.sessions() as session:
        volunteer = session.get(models.Volunteer, volunteer_id)
        if volunteer is None or not volunteer.active:
            return False
        chapter_ids = chapters_of(session, volunteer_id) or list(session.scalars(
            select(models.ChapterMember.chapter_id)
            .where(models.ChapterMember.volunteer_id == volunteer_id)))
        number = session.scalar(
            select(models.ChapterNumber.number)
            .where(models.ChapterNumber.chapter_id.in_(chapter_ids))
            .order_by(models.ChapterNumber.number).limit(1)
        ) if chapter_ids else None
        phone = volunteer.phone
    if number is None:
        log.warning("password reset for volunteer %s: none of their chapters has a number",
                    volunteer_id)
        return False
    runtime.telephony.send_sms(
        phone, number, f"hotline: reset your password here (works once, for 1 hour): {url}"
    )
    return True
