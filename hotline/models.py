"""Every table, imported in one place so the metadata (and Alembic) sees them all."""

from hotline.bans import Ban
from hotline.db import Base
from hotline.logs.messages import InboundMessage
from hotline.logs.models import Call, CallbackRequest, CallEvent, CallLeg, Voicemail
from hotline.roster.models import Chapter, ChapterNumber, Shift, Volunteer

__all__ = [
    "Ban", "Base", "Call", "CallEvent", "CallLeg", "CallbackRequest", "Chapter", "ChapterNumber",
    "InboundMessage", "Shift", "Volunteer", "Voicemail",
]
