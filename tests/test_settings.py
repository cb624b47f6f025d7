from __future__ import annotations

from pathlib import Path

import pytest

from hotline.settings import SettingsError, load_settings, require_for_serving

GOOD = """
[app]
public_url = "https://hotline.example.org"
secret_key = "0123456789abcdef0123"

[database]
url = "sqlite:///x.db"

[twilio]
account_sid = "AC0123456789abcdef0123456789abcdef"
auth_token = "tok"
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "hotline.toml"
    path.write_text(text)
    return path


def test_reads_file_and_env_overrides_win(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD)
    s = load_settings({"HOTLINE_TWILIO_AUTH_TOKEN": "from-env"}, path=path)
    assert s.app.public_url == "https://hotline.example.org"
    assert s.twilio.auth_token == "from-env"
    assert s.database.url == "sqlite:///x.db"
    assert s.queue.redis_url == ""


def test_config_found_through_hotline_config(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD)
    s = load_settings({"HOTLINE_CONFIG": str(path)})
    assert s.twilio.account_sid.startswith("AC0123")
    assert s.source == str(path)


def test_second_token_for_rotation(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD)
    s = load_settings({"HOTLINE_TWILIO_AUTH_TOKEN_SECONDARY": "old"}, path=path)
    assert s.auth_tokens == ("tok", "old")


@pytest.mark.parametrize(
    ("text", "env", "key"),
    [
        ("[app\npublic_url=1", {}, "not valid TOML"),
        ('[app]\npublic_url = "ftp://x"', {}, "app.public_url"),
        ('[app]\nport = 5', {}, "app.port: unknown key"),
        ('[nonsense]\na = 1', {}, "nonsense: unknown section"),
        ("", {"HOTLINE_DATABASE_URL": "mysql://x"}, "database.url"),
        ("", {"HOTLINE_QUEUE_REDIS_URL": "localhost:6379"}, "queue.redis_url"),
        ("", {"HOTLINE_TWILIO_ACCOUNT_SID": "XY123"}, "twilio.account_sid"),
        ("", {"HOTLINE_TWILIO_TIMEOUT_SECONDS": "soon"}, "twilio.timeout_seconds"),
        ("", {"HOTLINE_APP_TIMEZONE": "Mars/Olympus"}, "app.timezone"),
        ("", {"HOTLINE_CALLS_EMERGENCY_LINE": "911x"}, "calls.emergency_line"),
        ('[app]\npublic_url = 5', {}, "app.public_url: must be a string"),
    ],
)
def test_bad_values_name_the_key(tmp_path: Path, text: str, env: dict[str, str], key: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(SettingsError) as info:
        load_settings(env, path=path)
    message = str(info.value)
    assert key in message
    assert "\n" not in message


def test_missing_config_file_named(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="HOTLINE_CONFIG: no such file"):
        load_settings({"HOTLINE_CONFIG": str(tmp_path / "missing.toml")})


def test_serving_needs_secrets(tmp_path: Path) -> None:
    s = load_settings({}, path=write(tmp_path, GOOD))
    with pytest.raises(SettingsError, match="privacy.key"):
        require_for_serving(s)
    s = load_settings(
        {"HOTLINE_PRIVACY_KEY": "k" * 20, "HOTLINE_TWILIO_AUTH_TOKEN": ""},
        path=write(tmp_path, GOOD),
    )
    with pytest.raises(SettingsError, match="twilio.auth_token"):
        require_for_serving(s)


def test_example_file_documents_every_key() -> None:
    """config.example.toml loads, and names every key the settings know."""
    import tomllib
    from dataclasses import fields

    from hotline.settings import SECTIONS

    example = Path(__file__).resolve().parent.parent / "config.example.toml"
    load_settings({}, path=example)
    raw = tomllib.loads(example.read_text())
    for section, cls in SECTIONS.items():
        assert sorted(raw[section]) == sorted(f.name for f in fields(cls)), section
