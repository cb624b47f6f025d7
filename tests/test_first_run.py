"""Before `hotline db upgrade`: every command says so in one line, on SQLite and PostgreSQL.

The sweep walks the click tree, so a command added later is checked too; one needing
arguments gets them from SAMPLE_ARGS (a command missing there fails the sweep).
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from hotline.cli import main
from hotline.db import make_engine, upgrade
from tests.conftest import database_url_from_env, on_postgres, own_database

ROOT = Path(__file__).resolve().parent.parent

# Commands that run before the database exists, or never touch it; and `db backup`, which
# copies the file at any revision (before an upgrade is when it is wanted most).
EXEMPT = {"db upgrade", "init", "db backup"}

# Arguments that get a command past its own usage checks, to where it needs the database.
SAMPLE_ARGS: dict[str, list[str]] = {
    "ban add": ["+15551230000"],
    "ban remove": ["+15551230000"],
    "rota import": [str(ROOT / "hotline/sample/rota.toml")],
    "rota report": ["--from", "2026-03-01", "--to", "2026-03-08"],
    "rota override": ["boston-grief", "add", "+16175550111", "--start", "2026-03-08T09:00",
                      "--end", "2026-03-08T12:00"],
    "rota unavailable": ["+16175550111", "--start", "2026-03-08T09:00",
                         "--end", "2026-03-08T12:00"],
    "rota swap offer": ["boston-grief", "+16175550111", "--start", "2026-03-08T09:00",
                        "--end", "2026-03-08T12:00"],
    "rota swap take": ["1", "+16175550111"],
    "rota swap approve": ["1"],
    "rota swap decline": ["1"],
    "rota ical revoke": ["1"],
    "user add": ["kim@example.org", "--name", "Kim", "--role", "admin"],
    "user disable": ["kim@example.org"],
    "user link": ["kim@example.org"],
    "user password": ["kim@example.org"],
    "drill call": ["--to", "+13125550100"],
    "rota ical show": ["--chapter", "boston-grief"],
    "rota ical url": ["--chapter", "boston-grief"],
    "jobs retry": ["task-1"],
    "drill day": ["--to", "+16175550100"],
    "callbacks cancel": ["K7Q2"],
}

ENV = {
    "HOTLINE_APP_PUBLIC_URL": "https://hotline.test",
    "HOTLINE_APP_SECRET_KEY": "first-run-secret-key-0123",
    "HOTLINE_TWILIO_ACCOUNT_SID": "AC" + "0" * 31 + "1",
    "HOTLINE_TWILIO_AUTH_TOKEN": "first-run-auth-token-0123",
    "HOTLINE_PRIVACY_KEY": "first-run-privacy-key-0123",
    "HOTLINE_QUEUE_REDIS_URL": "",
}
# `worker` needs a Redis URL before anything else; it is not reached before the database.
PER_COMMAND_ENV = {"worker": {"HOTLINE_QUEUE_REDIS_URL": "redis://127.0.0.1:1/0"}}


def commands(group: click.Group = main, prefix: str = "") -> Iterator[tuple[str, click.Command]]:
    for name, command in sorted(group.commands.items()):
        path = f"{prefix} {name}".strip()
        if isinstance(command, click.Group):
            yield from commands(command, path)
        else:
            yield path, command


def needs_args(command: click.Command) -> bool:
    return any(param.required for param in command.params)


def sweep(url: str, cwd: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Every command's output against the database at `url`, checked to be one line."""
    monkeypatch.chdir(cwd)
    for key in [k for k in os.environ if k.startswith("HOTLINE_")]:
        monkeypatch.delenv(key)
    said: dict[str, str] = {}
    for path, command in commands():
        if path in EXEMPT:
            continue
        assert path in SAMPLE_ARGS or not needs_args(command), (
            f"`hotline {path}` needs arguments: add a sample to SAMPLE_ARGS")
        env = {**ENV, "HOTLINE_DATABASE_URL": url, **PER_COMMAND_ENV.get(path, {})}
        result = CliRunner().invoke(main, [*path.split(), *SAMPLE_ARGS.get(path, [])],
                                    env=env, input="")
        assert isinstance(result.exception, SystemExit), (path, result.output, result.exception)
        assert result.exit_code != 0, (path, result.output)
        lines = result.output.strip().splitlines()
        if path == "status":        # a report of its own, one line a part, not ready
            assert lines[0] == "ready: no" and "run `hotline db upgrade`" in lines[1], lines
            continue
        assert len(lines) == 1, (path, result.output)
        said[path] = lines[0]
    return said


def test_every_command_before_upgrade_on_sqlite(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    said = sweep("sqlite:///hotline.db", tmp_path, monkeypatch)
    expected = ("hotline: the database hotline.db does not exist yet: run `hotline db upgrade` "
                "to create it")
    assert {path: line for path, line in said.items() if line != expected} == {}
    assert not (tmp_path / "hotline.db").exists()     # no empty file left behind


def test_every_command_behind_the_migrations(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    upgrade(engine, "0009")
    engine.dispose()
    said = sweep("sqlite:///old.db", tmp_path, monkeypatch)
    for path, line in said.items():
        assert line.startswith("hotline: the database is behind the code's migrations "
                               "(at 0009, the code needs "), (path, line)
        assert line.endswith("): run `hotline db upgrade`"), (path, line)


@pytest.fixture
def empty_postgres() -> Iterator[str]:
    """A PostgreSQL database of this test's own, with no tables; dropped afterwards."""
    configured = database_url_from_env()
    if not on_postgres() or configured is None:
        pytest.skip("needs HOTLINE_TEST_DATABASE_URL=postgresql://...")
    with own_database(configured, f"hotline_first_run_{uuid.uuid4().hex[:8]}") as url:
        yield url


def test_every_command_before_upgrade_on_postgres(
    empty_postgres: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    said = sweep(empty_postgres, tmp_path, monkeypatch)
    expected = "hotline: the database is not set up (no tables yet): run `hotline db upgrade`"
    assert {path: line for path, line in said.items() if line != expected} == {}


def run(args: list[str], cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("HOTLINE_")}
    environ.update(PYTHONPATH=str(ROOT), **ENV, **env)
    return subprocess.run([sys.executable, "-m", "hotline", *args], cwd=cwd, env=environ,
                          capture_output=True, text=True, timeout=120, check=False)


def test_as_a_user_meets_it(tmp_path: Path, request: pytest.FixtureRequest) -> None:
    args = ["oncall"]
    url = (request.getfixturevalue("empty_postgres") if on_postgres()
           else "sqlite:///hotline.db")
    result = run(args, tmp_path, HOTLINE_DATABASE_URL=url)
    assert result.returncode == 2
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "run `hotline db upgrade`" in result.stderr
    assert not (tmp_path / "hotline.db").exists()
    upgraded = run(["db", "upgrade"], tmp_path, HOTLINE_DATABASE_URL=url)
    assert upgraded.returncode == 0, upgraded.stderr
    after = run(args, tmp_path, HOTLINE_DATABASE_URL=url)
    assert after.returncode == 0, after.stderr
