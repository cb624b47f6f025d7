"""The app as deployed: `hotline serve` (gunicorn) drilled live over real HTTP.

The served app reaches the stand-in's REST server through the real twilio client
(`twilio.api_base_url`), and with Twilio's OpenAPI description at hand every REST
request it makes is checked against it.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.served.gunicorn import free_port, served_env, serving
from tests.test_cli import ROOT, run


@pytest.fixture
def served(clean_database_url: str, tmp_path: Path) -> Iterator[dict[str, str]]:
    app_port, rest_port = free_port(), free_port()
    env = served_env(clean_database_url, app_port, rest_port)
    imported = run(["rota", "import", str(ROOT / "hotline/sample/rota.toml")], tmp_path, **env)
    assert imported.returncode == 0, imported.stderr
    with serving(env, tmp_path):
        yield {**env, "REST_PORT": str(rest_port)}


def test_live_drill_against_the_served_app(served: dict[str, str], tmp_path: Path) -> None:
    env = {k: v for k, v in served.items() if k != "REST_PORT"}
    if "HOTLINE_TWILIO_OPENAPI" in os.environ:
        spec = Path(os.environ["HOTLINE_TWILIO_OPENAPI"]).resolve()
        env["HOTLINE_TWILIO_OPENAPI"] = str(spec)
    result = run(
        ["drill", "call", "--to", "+13125550100", "--against", served["HOTLINE_APP_PUBLIC_URL"],
         "--rest-port", served["REST_PORT"], "--caller", "hangs-up", "--caller-after", "14"],
        tmp_path, **env,
    )
    assert result.returncode == 0, result.stderr
    assert "presses 1" in result.stdout and "bridged with caller" in result.stdout
    assert "outcome: answered; answered by" in result.stdout
    assert "(live drill: the served app kept this record in its contact log)" in result.stdout
    exported = run(["contacts", "export"], tmp_path, **env)
    [record] = json.loads(exported.stdout)
    assert record["outcome"] == "answered" and record["caller"] == "***0000"
