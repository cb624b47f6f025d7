"""The command line as an operator meets it: real processes, stderr read whole."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def run(args: list[str], cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("HOTLINE_")}
    environ["PYTHONPATH"] = str(ROOT)
    environ.update(env)
    return subprocess.run(
        [sys.executable, "-m", "hotline", *args],
        cwd=cwd, env=environ, capture_output=True, text=True, timeout=120, check=False,
    )


def test_db_upgrade_creates_then_reports_up_to_date(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'h.db'}"
    first = run(["db", "upgrade"], tmp_path, HOTLINE_DATABASE_URL=url)
    assert first.returncode == 0, first.stderr
    assert "database migrated to" in first.stdout
    second = run(["db", "upgrade"], tmp_path, HOTLINE_DATABASE_URL=url)
    assert "database is up to date" in second.stdout


@pytest.mark.parametrize(
    ("setup", "env", "expected"),
    [
        ("[app\n", {}, "not valid TOML"),
        ("", {"HOTLINE_DATABASE_URL": "mysql://nope"}, "database.url"),
        ("", {"HOTLINE_DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none"}, "database.url"),
        ("", {"HOTLINE_DATABASE_URL": "sqlite:////nonexistent-dir/x/y.db"}, "database.url"),
    ],
)
def test_bad_config_is_one_line_and_nonzero(
    tmp_path: Path, setup: str, env: dict[str, str], expected: str
) -> None:
    if setup:
        (tmp_path / "hotline.toml").write_text(setup)
    result = run(["db", "upgrade"], tmp_path, **env)
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert expected in lines[0]
    assert "Traceback" not in result.stderr


def test_serve_refuses_without_auth_token(tmp_path: Path) -> None:
    result = run(
        ["serve"], tmp_path,
        HOTLINE_APP_SECRET_KEY="s" * 20, HOTLINE_PRIVACY_KEY="p" * 20,
        HOTLINE_TWILIO_ACCOUNT_SID="AC" + "1" * 32,
    )
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "hotline: configuration: twilio.auth_token: must be set "
        "(webhook signatures cannot be checked without it)"
    )


def test_worker_needs_redis_url(tmp_path: Path) -> None:
    result = run(["worker"], tmp_path)
    assert result.returncode == 2
    assert "queue.redis_url" in result.stderr
