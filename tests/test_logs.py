"""Quiet, useful logs: JSON lines on request, numbers masked, the twilio library at WARNING."""

from __future__ import annotations

import json
import logging
import socket
from pathlib import Path

from hotline.logconfig import JsonFormatter, configure_logging
from tests.served.gunicorn import free_port, served_env, serving
from tests.test_cli import ROOT, run


def test_a_json_line_masks_numbers_in_message_and_traceback() -> None:
    try:
        raise ValueError("bad number +15551234567")
    except ValueError:
        import sys

        record = logging.LogRecord("hotline.calls", logging.WARNING, __file__, 1,
                                   "call from %s refused", ("+1 (555) 123-4567",), sys.exc_info())
    line = JsonFormatter().format(record)
    entry = json.loads(line)
    assert entry["level"] == "WARNING" and entry["logger"] == "hotline.calls"
    assert entry["message"] == "call from ***4567 refused"
    assert "***4567" in entry["exception"] and "5551234567" not in line


def test_the_twilio_library_is_kept_at_warning_unless_debugging() -> None:
    root = logging.getLogger()
    level = root.level
    try:
        configure_logging("INFO")
        assert logging.getLogger("twilio.http_client").getEffectiveLevel() == logging.WARNING
        configure_logging("DEBUG")
        assert logging.getLogger("twilio.http_client").getEffectiveLevel() == logging.DEBUG
    finally:
        configure_logging(logging.getLevelName(level))


def test_served_with_json_logs_every_line_is_json_and_masked(
    clean_database_url: str, tmp_path: Path,
) -> None:
    rest_port = free_port()
    env = {**served_env(clean_database_url, free_port(), rest_port),
           "HOTLINE_APP_LOG_FORMAT": "json", "HOTLINE_CALLS_EMERGENCY_LINE": "+18002738255"}
    # Chicago (someone on call at every hour: its rotation) holds one caller at most, so the
    # second caller is turned away with a cap's warning. The REST API listens but never
    # answers, so the first caller's volunteer is still being rung (the caller holding) when
    # the second calls: a REST call that failed at once would end the first one's plan and
    # send them to voicemail first, with no cap reached (how this test once failed under load).
    silent = socket.create_server(("127.0.0.1", rest_port))
    rota = tmp_path / "rota.toml"
    rota.write_text((ROOT / "hotline/sample/rota.toml").read_text()
                    .replace('slug = "chicago-recovery"\n',
                             'slug = "chicago-recovery"\nmax_holding = 1\n', 1))
    imported = run(["rota", "import", str(rota)], tmp_path, **env)
    assert imported.returncode == 0, imported.stderr
    with silent, serving(env, tmp_path) as server:
        for n, caller in enumerate(("+15551110000", "+15557654321")):   # one holding max
            status, _ = server.post("/voice/incoming", {
                "CallSid": f"CA{n:032d}", "From": caller, "To": "+13125550100",
                "CallStatus": "ringing", "Direction": "inbound"})
            assert status == 200
    lines = [line for line in server.log().splitlines()
             if line.strip() and not line.startswith("hotline serving on")]
    entries = [json.loads(line) for line in lines]          # every line: one JSON object
    assert any(e["logger"] == "gunicorn.access" for e in entries)
    assert any("***4321" in e["message"] for e in entries), lines
    assert "7654321" not in server.log()
