"""Secrets and callers' records at rest: files made for their owner only, passwords never
echoed by an error."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from hotline.db import make_engine
from hotline.files import open_to_others, write_private
from hotline.settings import SettingsError, load_settings
from tests.test_cli import ROOT, run


@pytest.fixture
def loose_umask() -> Iterator[None]:
    """The usual umask (files 0644 unless the code says otherwise)."""
    previous = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(previous)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_new_sqlite_database_is_for_its_owner_only(tmp_path: Path, loose_umask: None) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'hotline.db'}")
    try:
        with engine.begin() as conn:
            conn.execute(text("CREATE TABLE t (x INTEGER)"))
            made = sorted(p.name for p in tmp_path.iterdir())
            assert made == ["hotline.db", "hotline.db-shm", "hotline.db-wal"]
            assert {mode(tmp_path / name) for name in made} == {0o600}
    finally:
        engine.dispose()


def test_a_private_file_is_private_even_if_it_was_not(tmp_path: Path, loose_umask: None) -> None:
    path = tmp_path / "hotline.toml"
    path.write_text("old")
    assert open_to_others(path) == "0644"
    write_private(path, "[app]\n")
    assert mode(path) == 0o600 and path.read_text() == "[app]\n"
    assert open_to_others(path) is None


def test_the_demo_writes_its_config_for_its_owner_only(tmp_path: Path, loose_umask: None) -> None:
    """scripts/demo's own setup step (`hotline init --demo`), in an empty folder."""
    assert 'hotline init --demo --port "${PORT:-5000}"' in (ROOT / "scripts" / "demo").read_text()
    done = run(["init", "--demo", "--port", "5000"], tmp_path)
    assert done.returncode == 0, done.stderr
    config = tmp_path / "hotline.toml"
    assert mode(config) == 0o600
    assert 'auth_token = ""' not in config.read_text()


@pytest.mark.parametrize(("env", "key"), [
    ({"HOTLINE_QUEUE_REDIS_URL": "http://:s3cret@redis.internal:6379/0"}, "queue.redis_url"),
    ({"HOTLINE_DATABASE_URL": "mysql://hotline:s3cret@db/hotline"}, "database.url"),
    ({"HOTLINE_DATABASE_URL": "postgresql://hotline:s3cret@db:port/hotline"}, "database.url"),
    ({"HOTLINE_DATABASE_URL": "postgresql://hotline:s3cret@db:99999/hotline"}, "database.url"),
])
def test_settings_errors_never_echo_a_password(env: dict[str, str], key: str) -> None:
    with pytest.raises(SettingsError) as raised:
        load_settings(env, path=None)
    assert str(raised.value).startswith(key)
    assert "s3cret" not in str(raised.value) and ":***@" in str(raised.value)


def test_a_command_failing_on_a_url_never_prints_its_password(tmp_path: Path) -> None:
    result = run(["ban", "list"], tmp_path,
                 HOTLINE_DATABASE_URL="postgresql://hotline:s3cret@db:port/hotline")
    assert result.returncode != 0
    assert "s3cret" not in result.stderr and "Traceback" not in result.stderr
    assert result.stderr.count("\n") == 1
