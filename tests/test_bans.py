from __future__ import annotations

from pathlib import Path

from sqlalchemy import create_engine, select, text

from hotline.bans import Ban, add_ban, is_banned, remove_ban
from hotline.models import Chapter
from hotline.runtime import Runtime
from tests.test_cli import run

CALLER = "+16175550123"


def test_ban_scopes(runtime: Runtime) -> None:
    with runtime.transaction() as s:
        a = Chapter(slug="a", name="A", timezone="UTC")
        b = Chapter(slug="b", name="B", timezone="UTC")
        s.add_all([a, b])
        s.flush()
        add_ban(s, runtime.privacy, CALLER, a.id, "abusive")
        add_ban(s, runtime.privacy, CALLER, a.id, "again")  # idempotent
        assert is_banned(s, runtime.privacy, CALLER, a.id)
        assert not is_banned(s, runtime.privacy, CALLER, b.id)
        assert not is_banned(s, runtime.privacy, None, a.id)
        add_ban(s, runtime.privacy, "+1 617 555 0123", None)
        assert is_banned(s, runtime.privacy, CALLER, b.id)
        assert remove_ban(s, runtime.privacy, CALLER, None)
        assert not is_banned(s, runtime.privacy, CALLER, b.id)
        rows = s.scalars(select(Ban)).all()
        assert [(r.number_hint, r.reason) for r in rows] == [("***0123", "again")]
        assert all("6175550123" not in r.number_hash for r in rows)


def test_ban_cli_stores_no_clear_number(clean_database_url: str, tmp_path: Path) -> None:
    env = {"HOTLINE_DATABASE_URL": clean_database_url, "HOTLINE_PRIVACY_KEY": "k" * 20}
    added = run(["ban", "add", CALLER, "--reason", "threats"], tmp_path, **env)
    assert added.returncode == 0, added.stderr
    assert added.stdout.strip() == "banned ***0123 from every chapter"
    listed = run(["ban", "list"], tmp_path, **env)
    assert "***0123\tall chapters" in listed.stdout and CALLER not in listed.stdout
    engine = create_engine(clean_database_url)
    with engine.connect() as conn:
        dump = " ".join(str(row) for row in conn.execute(text("SELECT * FROM bans")))
    assert "6175550123" not in dump
    bad = run(["ban", "add", "617-555"], tmp_path, **env)
    assert bad.returncode == 1 and "E.164" in bad.stderr
    removed = run(["ban", "remove", CALLER], tmp_path, **env)
    assert removed.stdout.strip() == "ban lifted"
