"""The stand-in signs webhooks with the app's token: it sends them to the app and nowhere else."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from hotline.standin.transport import HttpTarget

TOKEN = "drill-token-0123456789abcdef"


class _Recorder(BaseHTTPRequestHandler):
    seen: list[tuple[str, str | None]] = []

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self.seen.append((self.path, self.headers.get("X-Twilio-Signature")))
        self.send_response(200)
        self.send_header("Content-Type", "application/xml")
        self.end_headers()
        self.wfile.write(b"<Response/>")

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def servers() -> Iterator[tuple[str, str, list[tuple[str, str | None]]]]:
    """Two listening servers: the app's, and another; what each was sent."""
    _Recorder.seen = []
    made = [HTTPServer(("127.0.0.1", 0), _Recorder) for _ in range(2)]
    threads = [threading.Thread(target=s.serve_forever, daemon=True) for s in made]
    for thread in threads:
        thread.start()
    app, other = (f"http://127.0.0.1:{s.server_address[1]}" for s in made)
    try:
        yield app, other, _Recorder.seen
    finally:
        for server in made:
            server.shutdown()
            server.server_close()


def test_only_urls_under_the_public_url_are_followed(
    servers: tuple[str, str, list[tuple[str, str | None]]],
) -> None:
    app, other, seen = servers
    target = HttpTarget(app + "/hotline", TOKEN)
    assert target.request("POST", app + "/hotline/voice/incoming", {"CallSid": "CA1"}).ok
    for elsewhere in (other + "/hotline/voice/incoming", app + "/elsewhere",
                      app + "/hotlinex/voice", "file:///etc/passwd",
                      app.replace("http://", "https://") + "/hotline/voice/incoming"):
        answer = target.request("POST", elsewhere, {"CallSid": "CA1"})
        assert answer.status == 0 and "not the app's public URL" in answer.body
    assert [path for path, _ in seen] == ["/hotline/voice/incoming"]
    assert all(signature for _, signature in seen)
