"""The privacy key: never a made-up one, the database's own fingerprint, and rotation."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.orm import Session

from hotline.bans import Ban, add_ban, is_banned
from hotline.db import make_engine
from hotline.keyring import KeyFingerprint, KeyMismatch, check_key, rotate, verify_key
from hotline.logs.incoming import open_incoming
from hotline.logs.messages import InboundMessage, record_message
from hotline.logs.models import Call
from hotline.logs.notes import read_note, write_note
from hotline.privacy import Privacy, PrivacyKeyMissing, mask
from hotline.runtime import Runtime
from tests.conftest import redis_url_from_env
from tests.flows.harness import HOTLINE, seed_chapter
from tests.test_cli import ROOT, run

NOW = datetime(2026, 3, 10, 18, 30, tzinfo=UTC)
OLD, NEW, WRONG = "old-privacy-key-0123456789", "new-privacy-key-0123456789", "w" * 20
ROGUE, TEXTER = "+16175550666", "+16175550777"


def test_no_key_no_hash_and_no_encryption() -> None:
    unkeyed = Privacy("")
    for use in (lambda: unkeyed.encrypt(ROGUE), lambda: unkeyed.digest(ROGUE),
                lambda: unkeyed.decrypt("x"), lambda: unkeyed.fingerprint):
        with pytest.raises(PrivacyKeyMissing, match="privacy.key: must be set"):
            use()


def test_the_previous_key_still_reads_what_it_made() -> None:
    old, rotating = Privacy(OLD), Privacy(NEW, previous=(OLD,))
    token = old.encrypt(ROGUE)
    assert rotating.decrypt(token) == ROGUE and not rotating.is_current(token)
    assert rotating.is_current(rotating.encrypt(ROGUE))
    assert Privacy(NEW).decrypt(token) is None
    assert rotating.fingerprint == Privacy(NEW).fingerprint != old.fingerprint
    assert rotating.previous_fingerprints == (old.fingerprint,)
    assert OLD not in old.fingerprint and len(old.fingerprint) == 64


def test_the_first_key_is_recorded_and_any_other_refused(runtime: Runtime) -> None:
    with runtime.transaction() as session:
        check_key(session, Privacy(OLD), now=NOW)
        check_key(session, Privacy(OLD), now=NOW)                    # the same key: fine
        with pytest.raises(KeyMismatch, match="not the key this database"):
            check_key(session, Privacy(WRONG), now=NOW)
        with pytest.raises(KeyMismatch, match="still uses privacy.previous_key"):
            check_key(session, Privacy(NEW, previous=(OLD,)), now=NOW)
        assert session.scalars(select(KeyFingerprint.fingerprint)).all() == [
            Privacy(OLD).fingerprint]


def test_a_first_key_that_cannot_read_the_stored_numbers_is_refused(runtime: Runtime) -> None:
    """A database from before fingerprints: its numbers decide which key is right."""
    seed_chapter(runtime, {1: ["+16175550111"]})
    runtime.atomic.run(lambda conn: open_incoming(
        conn, Privacy(OLD), call_sid="CA" + "1" * 32, to_number=HOTLINE, caller=ROGUE,
        started_at=NOW, for_workers=False))
    with runtime.transaction() as session:
        with pytest.raises(KeyMismatch, match="does not decrypt the numbers already stored"):
            check_key(session, Privacy(WRONG), now=NOW)
        with pytest.raises(KeyMismatch, match="under privacy.previous_key"):
            check_key(session, Privacy(NEW, previous=(OLD,)), now=NOW)
        check_key(session, Privacy(OLD), now=NOW)


def _stored_under(runtime: Runtime, privacy: Privacy) -> None:
    """A call, a text and bans, all made with `privacy`; one ban from before 0009 kept no
    number (found again through the call), another no number anyone has (lost)."""
    seed_chapter(runtime, {1: ["+16175550111"]})
    runtime.atomic.run(lambda conn: open_incoming(
        conn, privacy, call_sid="CA" + "1" * 32, to_number=HOTLINE, caller=ROGUE,
        started_at=NOW, for_workers=False))
    with runtime.transaction() as session:
        record_message(session, privacy, message_sid="SM" + "1" * 32, to_number=HOTLINE,
                       sender=TEXTER, body="please call me", chapter_id=None, at=NOW)
        add_ban(session, privacy, TEXTER, None, "texts")
        call_id = session.scalars(select(Call.id)).one()
        write_note(session, privacy, call_id, None, "an after-call note", NOW)  # type: ignore[arg-type]
        for number in (ROGUE, "+16175550888"):                # bans made before 0009
            session.add(Ban(number_hash=privacy.digest(number), number_hint=mask(number),
                            chapter_id=None))
        check_key(session, privacy, now=NOW)


def test_rotation_moves_every_number_and_every_ban_to_the_new_key(runtime: Runtime) -> None:
    _stored_under(runtime, Privacy(OLD))
    rotating = Privacy(NEW, previous=(OLD,))
    with runtime.transaction() as session:
        done = rotate(session, rotating, now=NOW)
    assert done.were_old == {"bans.number_cipher": 1, "calls.caller_cipher": 1,
                             "inbound_messages.sender_cipher": 1,
                             "inbound_messages.body_cipher": 1, "call_notes.body_cipher": 1}
    # The ban without its number: found again through the call, kept under the new key.
    assert done.bans_recovered == 1 and done.current == {"bans.number_cipher": 1}
    assert done.bans_lost == ["***0888"]
    new = Privacy(NEW)                                # the previous key can now go
    with runtime.transaction() as session:
        check_key(session, new, now=NOW)
        call = session.scalars(select(Call)).one()
        message = session.scalars(select(InboundMessage)).one()
        assert new.decrypt(call.caller_cipher) == ROGUE
        assert call.caller_hash == new.digest(ROGUE)
        assert (new.decrypt(message.sender_cipher), new.decrypt(message.body_cipher)) == (
            TEXTER, "please call me")
        assert message.sender_hash == new.digest(TEXTER)
        assert read_note(session, new, call.id) == "an after-call note"
        assert is_banned(session, new, ROGUE, 1) and is_banned(session, new, TEXTER, 1)
        again = rotate(session, rotating, now=NOW)                    # safe to run again
    assert again.still_old == 0 and again.bans_lost == ["***0888"]
    with runtime.transaction() as session, pytest.raises(KeyMismatch, match="neither"):
        rotate(session, Privacy(WRONG, previous=(OLD,)), now=NOW)


def test_two_bans_of_one_number_made_under_each_key_become_one(runtime: Runtime) -> None:
    old, rotating = Privacy(OLD), Privacy(NEW, previous=(OLD,))
    with runtime.transaction() as session:
        add_ban(session, old, ROGUE, None, "under the old key")
        add_ban(session, rotating, ROGUE, None, "under the new key, mid-rotation")
        check_key(session, old, now=NOW)
        rotate(session, rotating, now=NOW)
        bans = session.scalars(select(Ban)).all()
    assert len(bans) == 1 and bans[0].number_hash == rotating.digest(ROGUE)


def test_verify_key_says_when_the_database_predates_fingerprints(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    from hotline.db import upgrade

    upgrade(engine, "0008")
    with pytest.raises(KeyMismatch, match="hotline db upgrade"):
        verify_key(engine, Privacy(OLD), now=NOW)
    engine.dispose()


# -- the command line --------------------------------------------------------------------


def _env(url: str, key: str | None, previous: str = "") -> dict[str, str]:
    env = {"HOTLINE_DATABASE_URL": url, "HOTLINE_PRIVACY_PREVIOUS_KEY": previous}
    if key is not None:
        env["HOTLINE_PRIVACY_KEY"] = key
    return env


def test_no_command_hashes_without_the_real_key(clean_database_url: str, tmp_path: Path
                                                ) -> None:
    unkeyed = run(["ban", "add", ROGUE], tmp_path, **_env(clean_database_url, None))
    assert unkeyed.returncode != 0 and "privacy.key: must be set" in unkeyed.stderr
    assert run(["ban", "add", ROGUE], tmp_path, **_env(clean_database_url, OLD)).returncode == 0
    other = run(["ban", "add", "+16175550999"], tmp_path, **_env(clean_database_url, WRONG))
    assert other.returncode != 0
    assert other.stderr.startswith("hotline: privacy.key: not the key this database")
    assert other.stderr.count("\n") == 1
    engine = create_engine(clean_database_url)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM bans")).scalar() == 1
    engine.dispose()


def test_serve_and_worker_refuse_another_key(clean_database_url: str, tmp_path: Path) -> None:
    assert run(["ban", "add", ROGUE], tmp_path, **_env(clean_database_url, OLD)).returncode == 0
    env = {**_env(clean_database_url, WRONG), "HOTLINE_APP_SECRET_KEY": "s" * 20,
           "HOTLINE_TWILIO_ACCOUNT_SID": "AC" + "1" * 32, "HOTLINE_TWILIO_AUTH_TOKEN": "t" * 32}
    commands = [["serve", "--port", "1"]]
    if redis_url_from_env():                   # a worker checks its Redis first
        env["HOTLINE_QUEUE_REDIS_URL"] = redis_url_from_env()
        commands.append(["worker", "--burst"])
    for command in commands:
        refused = run(command, tmp_path, **env)
        assert refused.returncode != 0, command
        assert "privacy.key: not the key this database" in refused.stderr, refused.stderr
        assert "Traceback" not in refused.stderr


def test_rotate_from_the_command_line(clean_database_url: str, tmp_path: Path) -> None:
    assert run(["ban", "add", ROGUE], tmp_path, **_env(clean_database_url, OLD)).returncode == 0
    # The new key alone is refused: the database is still the old key's.
    assert run(["ban", "list"], tmp_path, **_env(clean_database_url, NEW)).returncode == 0
    refused = run(["ban", "remove", ROGUE], tmp_path, **_env(clean_database_url, NEW))
    assert "privacy.key: not the key" in refused.stderr
    rotated = run(["privacy", "rotate"], tmp_path, **_env(clean_database_url, NEW, OLD))
    assert rotated.returncode == 0, rotated.stderr
    assert "bans.number_cipher: 1 moved from the previous key" in rotated.stdout
    assert "nothing needs privacy.previous_key any more" not in rotated.stdout
    again = run(["privacy", "rotate"], tmp_path, **_env(clean_database_url, NEW, OLD))
    assert "nothing needs privacy.previous_key any more" in again.stdout
    lifted = run(["ban", "remove", ROGUE], tmp_path, **_env(clean_database_url, NEW))
    assert lifted.returncode == 0 and lifted.stdout.strip() == "ban lifted"


def test_a_drill_needs_no_key(clean_database_url: str, tmp_path: Path) -> None:
    """A drill writes nothing: with no key configured it makes a throwaway one."""
    env = _env(clean_database_url, None)
    assert run(["rota", "import", str(ROOT / "hotline/sample/rota.toml")], tmp_path,
               **env).returncode == 0
    drilled = run(["drill", "call", "--to", "+13125550100"], tmp_path, **env)
    assert drilled.returncode == 0, drilled.stderr
    assert "outcome: answered" in drilled.stdout
    engine = create_engine(clean_database_url)
    with Session(engine) as session:
        assert session.scalars(select(KeyFingerprint)).all() == []
    engine.dispose()


def test_rotation_goes_through_every_row_in_batches(runtime: Runtime,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    import hotline.keyring

    monkeypatch.setattr(hotline.keyring, "BATCH", 2)
    seed_chapter(runtime, {1: ["+16175550111"]}, max_calls_per_caller=10)
    old, rotating = Privacy(OLD), Privacy(NEW, previous=(OLD,))
    for n in range(5):
        runtime.atomic.run(lambda conn, n=n: open_incoming(
            conn, old, call_sid=f"CA{n:032x}", to_number=HOTLINE, caller=f"+1617555030{n}",
            started_at=NOW, for_workers=False))
    with runtime.transaction() as session:
        done = rotate(session, rotating, now=NOW)
        hashes = session.scalars(select(Call.caller_hash).order_by(Call.id)).all()
    assert done.were_old == {"calls.caller_cipher": 5}
    assert hashes == [Privacy(NEW).digest(f"+1617555030{n}") for n in range(5)]
