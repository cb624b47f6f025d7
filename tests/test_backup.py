"""`hotline db backup`, restored and read back; and an upgrade from the previous release."""

from __future__ import annotations

import shutil
import stat
from pathlib import Path

from tests.test_cli import ROOT, run

SAMPLE = str(ROOT / "hotline/sample/rota.toml")


def test_backup_restores_to_the_same_data(tmp_path: Path) -> None:
    live = tmp_path / "hotline.db"
    env = {"HOTLINE_DATABASE_URL": f"sqlite:///{live}"}
    assert run(["db", "upgrade"], tmp_path, **env).returncode == 0
    assert run(["rota", "import", SAMPLE], tmp_path, **env).returncode == 0
    before = run(["rota", "export"], tmp_path, **env)
    assert before.returncode == 0 and "boston-grief" in before.stdout

    copy = tmp_path / "backups" / "hotline-copy.db"
    copy.parent.mkdir()
    made = run(["db", "backup", str(copy)], tmp_path, **env)
    assert made.returncode == 0, made.stderr
    assert made.stdout.startswith(f"backed up {live} to {copy}") and "integrity ok" in made.stdout
    assert stat.S_IMODE(copy.stat().st_mode) == 0o600

    again = run(["db", "backup", str(copy)], tmp_path, **env)
    assert again.returncode == 2 and "exists" in again.stderr

    restored = tmp_path / "restored" / "hotline.db"      # as the README says: put it in place
    restored.parent.mkdir()
    shutil.copy2(copy, restored)
    env_restored = {"HOTLINE_DATABASE_URL": f"sqlite:///{restored}"}
    after = run(["rota", "export"], tmp_path, **env_restored)
    assert after.returncode == 0, after.stderr
    assert after.stdout == before.stdout
    assert run(["status"], tmp_path, **env_restored).returncode == 0      # migrated, ready


def test_backup_on_postgresql_points_to_pg_dump(tmp_path: Path) -> None:
    result = run(["db", "backup", str(tmp_path / "x.db")], tmp_path,
                 HOTLINE_DATABASE_URL="postgresql://hotline:pw@127.0.0.1:1/hotline")
    assert result.returncode == 2
    assert "pg_dump" in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "x.db").exists()
