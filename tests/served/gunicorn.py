"""`hotline serve` (gunicorn) in a real process, its output kept in a file to read back."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

from twilio.request_validator import RequestValidator

from tests.conftest import TEST_ACCOUNT_SID, TEST_AUTH_TOKEN

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def served_env(database_url: str, app_port: int, rest_port: int) -> dict[str, str]:
    """What a deployment sets, for an app on `app_port` whose REST calls go to `rest_port`."""
    return {
        "HOTLINE_DATABASE_URL": database_url,
        "HOTLINE_APP_PUBLIC_URL": f"http://127.0.0.1:{app_port}",
        "HOTLINE_APP_SECRET_KEY": "s" * 20,
        "HOTLINE_PRIVACY_KEY": "p" * 20,
        "HOTLINE_TWILIO_ACCOUNT_SID": TEST_ACCOUNT_SID,
        "HOTLINE_TWILIO_AUTH_TOKEN": TEST_AUTH_TOKEN,
        "HOTLINE_TWILIO_API_BASE_URL": f"http://127.0.0.1:{rest_port}",
    }


@dataclass(frozen=True)
class Served:
    url: str
    port: int
    output: Path            # gunicorn's and the app's stdout and stderr, as written

    def log(self) -> str:
        return self.output.read_text(errors="replace")

    def post(self, path: str, form: Mapping[str, str]) -> tuple[int, str]:
        """A webhook signed as Twilio signs it; (status, body)."""
        url = f"{self.url}{path}"
        signature = RequestValidator(TEST_AUTH_TOKEN).compute_signature(url, dict(form))
        request = urllib.request.Request(  # noqa: S310
            url, data=urlencode(form).encode(), headers={"X-Twilio-Signature": signature})
        try:
            with urllib.request.urlopen(request, timeout=15) as response:  # noqa: S310
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()


@contextmanager
def serving(env: Mapping[str, str], cwd: Path, *, workers: int = 2) -> Iterator[Served]:
    """Run `hotline serve` with `env` (HOTLINE_* only from it) until /healthz says ok."""
    port = int(env["HOTLINE_APP_PUBLIC_URL"].rsplit(":", 1)[1])
    environ = {k: v for k, v in os.environ.items() if not k.startswith("HOTLINE_")}
    environ.update(env, PYTHONPATH=str(ROOT))
    output = cwd / f"serve-{port}.log"
    with output.open("w") as sink:
        server = subprocess.Popen(
            [sys.executable, "-m", "hotline", "serve", "--port", str(port),
             "--workers", str(workers)],
            cwd=cwd, env=environ, stdout=sink, stderr=subprocess.STDOUT, text=True,
        )
    served = Served(f"http://127.0.0.1:{port}", port, output)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"{served.url}/healthz", timeout=2) as r:  # noqa: S310
                    assert json.loads(r.read())["status"] == "ok"
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise AssertionError(f"serve did not start: {served.log()}") from None
                time.sleep(0.2)
        yield served
    finally:
        server.terminate()
        server.wait(timeout=30)
