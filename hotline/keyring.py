"""The privacy key and the data it made: a fingerprint kept in the database, a check that
refuses any other key, and the rotation that moves every stored number to a new key.

Callers' numbers are stored encrypted and as keyed hashes (calls, texts, bans). Data made
with one key is unreadable, and bans are unmatchable, under another: so a process that
encrypts or hashes first checks that its key is the one the database was made with
(`check_key`), and a key is changed only by `rotate`, which decrypts with the old key
(privacy.previous_key), re-encrypts and re-hashes with the new one, and records its
fingerprint. Functions take a session and never commit.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, String, Table, bindparam, inspect, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from hotline.bans import Ban, same_scope
from hotline.db import Base, UTCDateTime, utcnow
from hotline.logs.messages import InboundMessage
from hotline.logs.models import Call
from hotline.logs.notes import CallNote
from hotline.privacy import Privacy
from hotline.texts.models import OptOut, OutboundText

log = logging.getLogger(__name__)

PURPOSE = "privacy"
BATCH = 500


class KeyFingerprint(Base):
    """The fingerprint of the key the stored numbers were made with (one row a purpose)."""

    __tablename__ = "key_fingerprints"

    purpose: Mapped[str] = mapped_column(String(32), primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(64))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class KeyMismatch(Exception):
    """The configured privacy key is not the database's; the message is one line."""


@dataclass(frozen=True)
class Keyed:
    """A column holding numbers (or texts) encrypted with the key, and the column holding
    the keyed hash of the same value, if any."""

    model: Any
    cipher: str
    digest: str | None = None

    @property
    def table(self) -> Table:
        table: Table = self.model.__table__
        return table


# Everything the key made (bans first: `rotate` takes them one by one). A new table that
# encrypts or hashes with the key belongs here, and keeps the encrypted value beside any
# hash of it: a hash alone can never be remade under a new key.
KEYED = (
    Keyed(Ban, "number_cipher", "number_hash"),
    Keyed(Call, "caller_cipher", "caller_hash"),
    Keyed(InboundMessage, "sender_cipher", "sender_hash"),
    Keyed(InboundMessage, "body_cipher"),
    Keyed(CallNote, "body_cipher"),
    Keyed(OutboundText, "to_cipher", "to_hash"),
    Keyed(OptOut, "number_cipher", "number_hash"),
)


def check_key(session: Session, privacy: Privacy, *, now: datetime) -> None:
    """Raise KeyMismatch unless `privacy`'s key is the one the database's numbers were
    made with; on first use, record its fingerprint (after checking that it reads the
    numbers already there, if any)."""
    stored = session.get(KeyFingerprint, PURPOSE)
    if stored is not None:
        if _same(stored.fingerprint, privacy.fingerprint):
            return
        if any(_same(stored.fingerprint, old) for old in privacy.previous_fingerprints):
            raise KeyMismatch("privacy.key: the database still uses privacy.previous_key; "
                              "run `hotline privacy rotate` to finish the rotation")
        raise KeyMismatch("privacy.key: not the key this database's numbers were stored with "
                          "(the fingerprints differ); set the right key (see README, "
                          "\"Rotating the privacy key\")")
    sample = _sample(session)
    if sample and not any(privacy.is_current(token) for token in sample):
        if any(privacy.decrypt(token) for token in sample):
            raise KeyMismatch("privacy.key: the numbers stored are under privacy.previous_key; "
                              "run `hotline privacy rotate` to finish the rotation")
        raise KeyMismatch("privacy.key: does not decrypt the numbers already stored; set the "
                          "key they were made with")
    try:
        with session.begin_nested():
            session.add(KeyFingerprint(purpose=PURPOSE, fingerprint=privacy.fingerprint,
                                       recorded_at=now))
    except IntegrityError:            # another process recorded it first: check theirs
        session.expire_all()
        check_key(session, privacy, now=now)
        return
    log.info("privacy key fingerprint recorded")


def verify_key(engine: Engine, privacy: Privacy, *, now: datetime) -> None:
    """`check_key` in a transaction of its own, as a process starts (serve, worker, a
    command that hashes); KeyMismatch also when the database predates fingerprints."""
    with Session(engine) as session, session.begin():
        if not inspect(session.connection()).has_table(KeyFingerprint.__tablename__):
            raise KeyMismatch("database: not migrated for this version of hotline: run "
                              "`hotline db upgrade` first")
        check_key(session, privacy, now=now)


def _same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


def _sample(session: Session, size: int = 5) -> list[str]:
    """A few of the newest encrypted values, from every table that keeps them."""
    found: list[str] = []
    for keyed in KEYED:
        column = keyed.table.c[keyed.cipher]
        primary = keyed.table.primary_key.columns.values()[0]
        found += session.scalars(select(column).where(column != "")
                                 .order_by(primary.desc()).limit(size))
    return found


@dataclass
class Rotation:
    """What `rotate` did, by table and column."""

    current: dict[str, int] = field(default_factory=dict)     # under the key already
    were_old: dict[str, int] = field(default_factory=dict)    # under the previous key
    unreadable: dict[str, int] = field(default_factory=dict)  # under neither: left as is
    bans_recovered: int = 0       # bans made before 0009 kept no number: found again
    bans_lost: list[str] = field(default_factory=list)        # hints of bans not remade

    @property
    def still_old(self) -> int:
        return sum(self.were_old.values())


def rotate(session: Session, privacy: Privacy, *, now: datetime) -> Rotation:
    """Re-encrypt and re-hash every stored number with the current key (reading with the
    previous key too), then record the current key's fingerprint. Safe to run again: a
    second run finds nothing under the previous key."""
    stored = session.get(KeyFingerprint, PURPOSE)
    known = (privacy.fingerprint, *privacy.previous_fingerprints)
    if stored is not None and not any(_same(stored.fingerprint, f) for f in known):
        raise KeyMismatch("privacy: neither privacy.key nor privacy.previous_key is the key "
                          "this database's numbers were stored with")
    report = Rotation()
    _recover_bans(session, privacy, report)
    _rotate_bans(session, privacy, report)
    for keyed in KEYED[1:]:
        _rotate_column(session, privacy, keyed, report)
    if stored is None:
        session.add(KeyFingerprint(purpose=PURPOSE, fingerprint=privacy.fingerprint,
                                   recorded_at=now))
    else:
        stored.fingerprint, stored.recorded_at = privacy.fingerprint, now
    session.flush()
    return report


def _rows(session: Session, keyed: Keyed) -> Iterator[list[Any]]:
    """(id, encrypted value) of every row with one, in batches by id."""
    table = keyed.table
    primary = table.primary_key.columns.values()[0]      # an id, or a hash (any type)
    cipher = table.c[keyed.cipher]
    query = select(primary, cipher).where(cipher != "").order_by(primary).limit(BATCH)
    batch = list(session.execute(query))
    while batch:
        yield batch
        batch = list(session.execute(query.where(primary > batch[-1][0])))


def _rotate_column(session: Session, privacy: Privacy, keyed: Keyed, report: Rotation) -> None:
    primary = keyed.table.primary_key.columns.values()[0]
    columns = [keyed.cipher] + ([keyed.digest] if keyed.digest else [])
    statement = (update(keyed.table).where(primary == bindparam("row_id"))
                 .values({name: bindparam(f"new_{name}") for name in columns}))
    for batch in _rows(session, keyed):
        changes = []
        for row_id, token in batch:
            value = _read(privacy, keyed, token, report)
            if value is not None:
                change = {"row_id": row_id, f"new_{keyed.cipher}": privacy.encrypt(value)}
                if keyed.digest is not None:
                    change[f"new_{keyed.digest}"] = privacy.digest(value)
                changes.append(change)
        if changes:
            session.execute(statement, changes)


def _read(privacy: Privacy, keyed: Keyed, token: str, report: Rotation) -> str | None:
    """The value `token` holds (None if no key reads it), counted in the report."""
    name = f"{keyed.table.name}.{keyed.cipher}"
    value = privacy.decrypt(token)
    tally = (report.unreadable if value is None
             else report.current if privacy.is_current(token) else report.were_old)
    tally[name] = tally.get(name, 0) + 1
    return value


def _rotate_bans(session: Session, privacy: Privacy, report: Rotation) -> None:
    """Bans one by one: two rows for one number and scope (one made under each key during
    the rotation) become one."""
    keyed = KEYED[0]
    for ban in list(session.scalars(select(Ban).where(Ban.number_cipher != "")
                                    .order_by(Ban.id))):
        number = _read(privacy, keyed, ban.number_cipher, report)
        if number is None:
            continue
        digest = privacy.digest(number)
        twin = session.scalar(select(Ban).where(Ban.number_hash == digest, Ban.id != ban.id,
                                                same_scope(ban.chapter_id)))
        if twin is not None:
            session.delete(ban)
            session.flush()
            continue
        ban.number_cipher, ban.number_hash = privacy.encrypt(number), digest
        session.flush()


def _recover_bans(session: Session, privacy: Privacy, report: Rotation) -> None:
    """Bans made before their number was kept encrypted (0009): find the number again in a
    call or text from the same caller (same hash, still under the old key), or report it."""
    hashes = (Call.caller_hash, Call.caller_cipher), (InboundMessage.sender_hash,
                                                      InboundMessage.sender_cipher)
    for ban in session.scalars(select(Ban).where(Ban.number_cipher == "")):
        number = None
        for digest, cipher in hashes:
            for token in session.scalars(select(cipher).where(digest == ban.number_hash,
                                                              cipher != "").limit(3)):
                number = number or privacy.decrypt(token)
        if number is None:
            report.bans_lost.append(ban.number_hint)
            continue
        ban.number_cipher = privacy.encrypt(number)
        report.bans_recovered += 1
    session.flush()
