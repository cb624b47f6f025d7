"""The app as deployed: `hotline serve` (gunicorn) drilled live over real HTTP.

The served app reaches the stand-in's REST server through the real twilio client
(`twilio.api_base_url`), and with Twilio's OpenAPI description at hand every REST
request it makes is checked against it.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import TEST_ACCOUNT_SID, TEST_AUTH_TOKEN
from tests.test_cli import ROOT, run


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture
def served(clean_database_url: str, tmp_path: Path) -> Iterator[dict[str, str]]:
    app_port, rest_port = free_port(), free_port()
    env = {
        "HOTLINE_DATABASE_URL": clean_database_url,
        "HOTLINE_APP_PUBLIC_URL": f"http://127.0.0.1:{app_port}",
        "HOTLINE_APP_SECRET_KEY": "s" * 20,
        "HOTLINE_PRIVACY_KEY": "p" * 20,
        "HOTLINE_TWILIO_ACCOUNT_SID": TEST_ACCOUNT_SID,
        "HOTLINE_TWILIO_AUTH_TOKEN": TEST_AUTH_TOKEN,
        "HOTLINE_TWILIO_API_BASE_URL": f"http://127.0.0.1:{rest_port}",
        "REST_PORT": str(rest_port),
    }
    imported = run(["rota", "import", str(ROOT / "hotline/sample/rota.toml")], tmp_path, **env)
    assert imported.returncode == 0, imported.stderr
    environ = {k: v for k, v in os.environ.items() if not k.startswith("HOTLINE_")}
    environ.update(env, PYTHONPATH=str(ROOT))
    server = subprocess.Popen(
        [sys.executable, "-m", "hotline", "serve", "--port", str(app_port), "--workers", "2"],
        cwd=tmp_path, env=environ, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{app_port}/healthz", timeout=2) as r:
                    assert json.loads(r.read())["status"] == "ok"
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise
                time.sleep(0.2)
        yield env
    finally:
        server.terminate()
        server.wait(timeout=30)


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
