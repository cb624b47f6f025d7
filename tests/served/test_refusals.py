"""What the served app (gunicorn, `hotline serve`) refuses, and what its logs keep."""

from __future__ import annotations

import socket
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.served.gunicorn import Served, free_port, served_env, serving
from tests.test_cli import ROOT, run

BOSTON = "+16175550100"


@pytest.fixture
def served(clean_database_url: str, tmp_path: Path) -> Iterator[tuple[Served, dict[str, str]]]:
    config = tmp_path / "hotline.toml"       # as copied by hand: open to other users
    config.write_text('[calls]\nemergency_line = "+18002738255"\n')
    config.chmod(0o644)
    env = {**served_env(clean_database_url, free_port(), free_port()),
           "HOTLINE_CONFIG": str(config)}
    imported = run(["rota", "import", str(ROOT / "hotline/sample/rota.toml")], tmp_path, **env)
    assert imported.returncode == 0, imported.stderr
    with serving(env, tmp_path) as server:
        yield server, env


def _head_only(port: int, headers: dict[str, str], timeout: float = 3.0) -> str:
    """Send a POST's headers and none of its body; the status line of the answer."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as conn:
        lines = ["POST /voice/incoming HTTP/1.1", f"Host: 127.0.0.1:{port}",
                 "Content-Type: application/x-www-form-urlencoded",
                 *(f"{name}: {value}" for name, value in headers.items())]
        conn.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        return conn.recv(4096).decode("latin-1").split("\r\n", 1)[0]


def _junk(port: int, size: int) -> None:
    """An unsigned body of `size` bytes, sent whole (if the server lets it)."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=20) as conn:
            conn.sendall((f"POST /voice/incoming HTTP/1.1\r\nHost: x\r\nContent-Length: {size}"
                          "\r\nContent-Type: application/x-www-form-urlencoded\r\n\r\n").encode())
            chunk = b"a=" + b"1" * (1024 * 1024 - 2)
            for _ in range(size // len(chunk)):
                conn.sendall(chunk)
            conn.recv(1024)
    except OSError:
        pass                    # refused and closed before it was all sent: as it should be


def test_big_or_unsigned_bodies_are_refused_before_they_are_read(
    served: tuple[Served, dict[str, str]],
) -> None:
    server, _env = served
    # Headers only: an answer while the body is still to come means it was never waited for.
    assert _head_only(server.port, {"Content-Length": "60000"}) == "HTTP/1.1 403 FORBIDDEN"
    assert _head_only(server.port, {"Content-Length": str(10_000_000),
                                    "X-Twilio-Signature": "c2lnbmVk"}) == (
        "HTTP/1.1 413 REQUEST ENTITY TOO LARGE")
    # Eight 9.9 MB bodies at once, as in the review: a genuine call is still answered at once.
    junk = [threading.Thread(target=_junk, args=(server.port, 10 * 1024 * 1024 - 100 * 1024))
            for _ in range(8)]
    for thread in junk:
        thread.start()
    began = time.monotonic()
    status, twiml = server.post("/voice/incoming", {
        "CallSid": "CA" + "e" * 32, "From": "+15551230000", "To": BOSTON,
        "CallStatus": "ringing", "Direction": "inbound"})
    took = time.monotonic() - began
    for thread in junk:
        thread.join(timeout=30)
    assert status == 200 and "<Enqueue" in twiml
    assert took < 5.0, f"a genuine call took {took:.1f} s behind junk bodies"


def test_the_access_log_keeps_no_feed_token(
    served: tuple[Served, dict[str, str]], tmp_path: Path,
) -> None:
    server, env = served
    made = run(["rota", "ical", "url", "--chapter", "boston-grief"], tmp_path, **env)
    assert made.returncode == 0, made.stderr
    url = made.stdout.strip().rsplit(" ", 1)[1]
    token = url.rsplit("/", 1)[1].removesuffix(".ics")
    with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310
        assert response.status == 200
    deadline = time.monotonic() + 5
    while "/calendar/***.ics" not in server.log() and time.monotonic() < deadline:
        time.sleep(0.1)
    log = server.log()
    assert "GET /calendar/***.ics" in log
    assert token not in log
    # `serve` said at start that its config file is open to other users.
    config = env["HOTLINE_CONFIG"]
    assert (f"hotline: warning: the config file {config} is open to other users (mode 0644)"
            in log)
