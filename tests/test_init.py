"""`hotline init`, and the commands that need the privacy key refusing to run without it."""

from __future__ import annotations

import stat
import tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner

from hotline.cli import main
from hotline.configfile import example_text
from hotline.db import make_engine, upgrade
from hotline.settings import load_settings
from tests.test_cli import ROOT, run
from tests.test_first_run import ENV


def test_init_writes_a_private_config_with_fresh_secrets(tmp_path: Path) -> None:
    first = run(["init"], tmp_path)
    assert first.returncode == 0, first.stderr
    assert first.stdout.splitlines() == [
        "wrote hotline.toml (mode 0600) with a fresh app.secret_key and privacy.key",
        "still to fill in before going live:",
        "  app.public_url: the https:// address Twilio reaches this server at",
        "  twilio.account_sid: Twilio console, Account Info",
        "  twilio.auth_token: Twilio console, Account Info",
        "  calls.emergency_line: the number read to callers when nobody is on call",
        "then: hotline db upgrade",
    ]
    path = tmp_path / "hotline.toml"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    values = tomllib.loads(path.read_text())
    assert len(values["app"]["secret_key"]) >= 32 and len(values["privacy"]["key"]) >= 32
    # Every comment of the example is kept: the file documents itself.
    comments = [line for line in example_text().splitlines() if line.startswith("#")]
    assert [line for line in path.read_text().splitlines() if line.startswith("#")] == comments
    other = run(["init", "other.toml", "--public-url", "https://line.example.net"], tmp_path)
    assert other.returncode == 0, other.stderr
    assert "app.public_url" not in other.stdout and "twilio.auth_token" in other.stdout
    again = tomllib.loads((tmp_path / "other.toml").read_text())
    assert again["app"]["public_url"] == "https://line.example.net"
    assert again["privacy"]["key"] != values["privacy"]["key"]
    assert again["app"]["secret_key"] != values["app"]["secret_key"]


def test_init_never_overwrites(tmp_path: Path) -> None:
    (tmp_path / "hotline.toml").write_text("[app]\n# mine\n")
    result = run(["init"], tmp_path)
    assert result.returncode == 1
    assert result.stderr == ("hotline: hotline.toml exists already; not overwritten (move it "
                             "away to start again)\n")
    assert (tmp_path / "hotline.toml").read_text() == "[app]\n# mine\n"


def test_a_demo_config_is_complete(tmp_path: Path) -> None:
    result = run(["init", "--demo", "--port", "5077"], tmp_path,
                 HOTLINE_CONFIG=str(tmp_path / "demo.toml"))
    assert result.returncode == 0, result.stderr
    assert "still to fill in" not in result.stdout
    settings = load_settings({}, path=tmp_path / "demo.toml")
    assert settings.app.public_url == "http://127.0.0.1:5077"
    assert settings.twilio.api_base_url == "http://127.0.0.1:5099"   # the stand-in, not Twilio
    assert settings.twilio.account_sid.startswith("AC") and settings.twilio.auth_token


# Every command that hashes or encrypts a number, and what it was given.
NEEDS_KEY = {
    "ban add": ["+15551230000", "--chapter", "boston-grief"],
    "ban remove": ["+15551230000"],
    "privacy rotate": [],
    "serve": [],
    "worker": [],
}


@pytest.mark.parametrize("command", sorted(NEEDS_KEY))
def test_commands_that_need_the_privacy_key_refuse_without_it(
    command: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    upgrade(make_engine("sqlite:///hotline.db"))
    env = {**ENV, "HOTLINE_DATABASE_URL": "sqlite:///hotline.db", "HOTLINE_PRIVACY_KEY": "",
           "HOTLINE_QUEUE_REDIS_URL": "redis://127.0.0.1:1/0" if command == "worker" else ""}
    result = CliRunner().invoke(main, [*command.split(), *NEEDS_KEY[command]], env=env)
    assert result.exit_code == 2, result.output
    assert result.output == ("hotline: configuration: privacy.key: must be set, at least 16 "
                             "characters (it encrypts callers' numbers)\n")


def test_ban_add_without_the_key_stores_nothing(tmp_path: Path) -> None:
    env = {**ENV, "HOTLINE_PRIVACY_KEY": ""}
    for args in (["db", "upgrade"], ["rota", "import", str(ROOT / "hotline/sample/rota.toml")]):
        assert run(args, tmp_path, **env).returncode == 0
    refused = run(["ban", "add", "+15551230000", "--reason", "test"], tmp_path, **env)
    assert refused.returncode == 2
    assert refused.stderr.count("\n") == 1 and "privacy.key: must be set" in refused.stderr
    assert run(["ban", "list"], tmp_path, **env).stdout == "no bans\n"
