"""Every table, imported in one place so the metadata (and Alembic) sees them all."""

from hotline.bans import Ban
from hotline.db import Base
from hotline.roster.models import Chapter, ChapterNumber, Shift, Volunteer

__all__ = ["Ban", "Base", "Chapter", "ChapterNumber", "Shift", "Volunteer"]
