"""Every table, imported in one place so the metadata (and Alembic) sees them all."""

from hotline.accounts.models import AccountToken, SignInFailure, User, UserChapter, WebSession
from hotline.audit.models import AuditEntry
from hotline.bans import Ban
from hotline.db import Base
from hotline.keyring import KeyFingerprint
from hotline.logs.messages import InboundMessage
from hotline.logs.models import (
    Call,
    CallbackRequest,
    CallEvent,
    CallFlag,
    CallLeg,
    ReportDay,
    Voicemail,
)
from hotline.logs.notes import CallNote
from hotline.roster.models import Chapter, ChapterNumber, Shift, ShiftReminder, Volunteer
from hotline.texts.models import OptOut, OutboundText
from hotline.work.models import ScheduledTask

__all__ = [
    "AccountToken", "AuditEntry", "SignInFailure", "User", "UserChapter", "WebSession",
    "Ban", "Base", "Call", "CallEvent", "CallFlag", "CallLeg", "CallNote", "CallbackRequest",
    "Chapter", "ChapterNumber", "InboundMessage", "KeyFingerprint", "OptOut", "OutboundText",
    "ReportDay", "ScheduledTask", "Shift", "ShiftReminder", "Volunteer", "Voicemail",
]
