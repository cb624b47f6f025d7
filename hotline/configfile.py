"""A new hotline.toml: the documented example with fresh secrets, and what is left to fill."""

from __future__ import annotations

import json
import re
import secrets
import tomllib
from dataclasses import dataclass
from importlib import resources
from typing import Any

# Values a person has to bring (they cannot be made up here), with where to find them.
TO_FILL = {
    "app.public_url": "the https:// address Twilio reaches this server at",
    "twilio.account_sid": "Twilio console, Account Info",
    "twilio.auth_token": "Twilio console, Account Info",
    "calls.emergency_line": "the number read to callers when nobody is on call",
}
PLACEHOLDER_URL = "https://hotline.example.org"
# A demo on one machine: the local app, made-up Twilio credentials (REST calls go to the
# stand-in of `hotline drill standin`, never to Twilio) and the US crisis line.
STANDIN_URL = "http://127.0.0.1:5099"


@dataclass(frozen=True)
class NewConfig:
    text: str
    to_fill: dict[str, str]      # key -> where its value comes from


def example_text() -> str:
    """config.example.toml, as shipped in the package."""
    return (resources.files("hotline") / "sample" / "config.example.toml").read_text("utf-8")


def new_config(*, public_url: str | None = None, demo_port: int | None = None) -> NewConfig:
    """The example file with a fresh app.secret_key and privacy.key (and, for a demo on
    `demo_port`, every other value a local demo needs)."""
    text = example_text()
    text = set_value(text, "app", "secret_key", secrets.token_urlsafe(32))
    text = set_value(text, "privacy", "key", secrets.token_urlsafe(32))
    if demo_port is not None:
        public_url = public_url or f"http://127.0.0.1:{demo_port}"
        text = set_value(text, "twilio", "account_sid", "AC" + secrets.token_hex(16))
        text = set_value(text, "twilio", "auth_token", secrets.token_hex(16))
        text = set_value(text, "twilio", "api_base_url", STANDIN_URL)
        text = set_value(text, "calls", "emergency_line", "+18002738255")
    if public_url is not None:
        text = set_value(text, "app", "public_url", public_url)
    values = tomllib.loads(text)
    return NewConfig(text=text, to_fill={key: where for key, where in TO_FILL.items()
                                         if _unfilled(values, key)})


def set_value(text: str, section: str, key: str, value: str) -> str:
    """`text` with the first `key = ...` line of `[section]` set to `value` (comments kept)."""
    header = re.search(rf"^\[{re.escape(section)}\]\s*$", text, re.MULTILINE)
    if header is None:
        raise KeyError(f"{section}.{key}")
    line = re.compile(rf"^{re.escape(key)} = .*$", re.MULTILINE)
    found = line.search(text, header.end())
    following = re.compile(r"^\[", re.MULTILINE).search(text, header.end())
    if found is None or (following is not None and found.start() > following.start()):
        raise KeyError(f"{section}.{key}")
    # A JSON string of printable text is a valid TOML basic string.
    return text[:found.start()] + f"{key} = {json.dumps(value)}" + text[found.end():]


def _unfilled(values: dict[str, Any], dotted: str) -> bool:
    section, key = dotted.split(".")
    value = values.get(section, {}).get(key, "")
    return value in ("", PLACEHOLDER_URL)
