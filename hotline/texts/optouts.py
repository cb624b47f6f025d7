"""Numbers that said STOP, looked up by keyed hash (the number itself kept only encrypted,
for a change of privacy key): no text and no check-in goes to them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from hotline.db import add_once
from hotline.privacy import Privacy
from hotline.texts.models import OptOut


def is_opted_out(session: Session, number_hash: str) -> bool:
    return session.get(OptOut, number_hash) is not None


def opt_out(session: Session, privacy: Privacy, number: str, source: str, now: datetime
            ) -> bool:
    """Stop every text and check-in to the number; False if it had already."""
    number_hash = privacy.digest(number)
    _, added = add_once(session, OptOut(number_hash=number_hash,
                                        number_cipher=privacy.encrypt(number), source=source,
                                        created_at=now), OptOut.number_hash == number_hash)
    return added


def opt_in(session: Session, number_hash: str) -> bool:
    """Undo an opt-out (START, UNSTOP); False if there was none."""
    found = session.scalar(select(OptOut.number_hash).where(OptOut.number_hash == number_hash))
    if found is None:
        return False
    session.execute(delete(OptOut).where(OptOut.number_hash == number_hash))
    return True
