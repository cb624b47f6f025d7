"""Drills against a served app as a coordinator runs them: real processes, real time.

One `hotline serve`, one `hotline drill standin`, five `hotline drill call --against
--standin` at once; each prints its own call, line by line as it happens.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.served.gunicorn import free_port, served_env, serving
from tests.test_cli import ROOT, run


def environ(env: dict[str, str]) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("HOTLINE_")}
    if "HOTLINE_TWILIO_OPENAPI" in os.environ:   # every REST request checked against Twilio's
        base["HOTLINE_TWILIO_OPENAPI"] = str(Path(os.environ["HOTLINE_TWILIO_OPENAPI"]).resolve())
    return {**base, **env, "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1"}


def hotline(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "hotline", *args], cwd=cwd,
                            env=environ(env), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)


@contextmanager
def standing_in(env: dict[str, str], cwd: Path, port: int) -> Iterator[str]:
    standin = hotline(["drill", "standin", "--port", str(port)], env, cwd)
    try:
        assert standin.stdout is not None
        first = standin.stdout.readline()
        assert first.startswith(f"stand-in serving drills on http://127.0.0.1:{port} "), (
            first + (standin.stderr.read() if standin.stderr else ""))
        yield f"http://127.0.0.1:{port}"
    finally:
        standin.terminate()
        standin.wait(timeout=30)


@pytest.fixture
def app(clean_database_url: str, tmp_path: Path) -> Iterator[dict[str, str]]:
    rest_port = free_port()
    env = {**served_env(clean_database_url, free_port(), rest_port),
           "REST_PORT": str(rest_port)}
    imported = run(["rota", "import", str(ROOT / "hotline/sample/rota.toml")], tmp_path, **env)
    assert imported.returncode == 0, imported.stderr
    with serving(env, tmp_path):
        yield env


def timed_lines(process: subprocess.Popen[str]) -> list[tuple[float, str]]:
    """Each line of the process's output with the moment it arrived (read on a thread)."""
    lines: list[tuple[float, str]] = []

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.append((time.monotonic(), line.rstrip("\n")))

    threading.Thread(target=read, daemon=True).start()
    return lines


def test_five_drills_at_once_through_one_standin(app: dict[str, str], tmp_path: Path) -> None:
    port = int(app["REST_PORT"])
    with standing_in(app, tmp_path, port) as standin:
        drills = []
        for n in range(5):
            # Odd drills' phones decline, even ones' answer: each drill's own script applies.
            does = "declines" if n % 2 else "answers"
            drill = hotline(
                ["drill", "call", "--to", "+13125550100", "--from", f"+1555123000{n}",
                 "--against", app["HOTLINE_APP_PUBLIC_URL"], "--standin", standin,
                 "--everyone", does, "--caller", "hangs-up", "--caller-after", "16"],
                app, tmp_path)
            drills.append((drill, timed_lines(drill)))
        for n, (drill, lines) in enumerate(drills):
            assert drill.wait(timeout=180) == 0, drill.stderr.read() if drill.stderr else ""
            time.sleep(0.2)                  # the reader's last lines
            out = "\n".join(line for _, line in lines)
            # Streamed: the call's first line came long before the call (16 s) was over.
            assert lines[0][1].startswith(f"00:00 caller ***000{n} calls Chicago"), out
            assert lines[-1][0] - lines[0][0] > 8, [(round(t, 1), line) for t, line in lines]
            # Only this drill's caller is in its transcript.
            assert [f"***000{m}" in out for m in range(5)] == [m == n for m in range(5)], out
            assert "caller hangs up" in out and "(live drill:" in out
            if n % 2:
                assert "presses 1" not in out, out
            assert "Traceback" not in out


def test_a_lone_drill_prints_as_it_happens(app: dict[str, str], tmp_path: Path) -> None:
    """Without --standin the drill serves its own stand-in, for its one call."""
    drill = hotline(["drill", "call", "--to", "+13125550100", "--against",
                     app["HOTLINE_APP_PUBLIC_URL"], "--rest-port", app["REST_PORT"],
                     "--caller", "hangs-up", "--caller-after", "14"], app, tmp_path)
    lines = timed_lines(drill)
    assert drill.wait(timeout=120) == 0, drill.stderr.read() if drill.stderr else ""
    time.sleep(0.2)
    out = "\n".join(line for _, line in lines)
    assert lines[0][1].startswith("00:00 caller ***0000 calls Chicago"), out
    hung_up = next(at for at, line in lines if line.endswith(" caller hangs up"))
    assert hung_up - lines[0][0] > 8, [(round(t, 1), line) for t, line in lines]
    assert "outcome: answered; answered by" in out


def test_a_port_in_use_gets_advice_that_works(app: dict[str, str], tmp_path: Path) -> None:
    port = int(app["REST_PORT"])
    with standing_in(app, tmp_path, port) as standin:
        second = run(["drill", "standin", "--port", str(port)], tmp_path, **app)
        assert second.returncode == 1
        assert second.stderr == (
            f"hotline: --port {port}: cannot listen (Address already in use): if a stand-in "
            f"runs there already, drills use it as it is (--standin {standin}); otherwise "
            "choose another --port and point the app's twilio.api_base_url at it\n")
        alone = run(["drill", "call", "--to", "+13125550100", "--against",
                     app["HOTLINE_APP_PUBLIC_URL"], "--rest-port", str(port)], tmp_path, **app)
        assert alone.returncode == 1
        assert alone.stderr.count("\n") == 1
        assert (f"run `hotline drill standin --port {port}` once and give each drill "
                f"`--standin {standin}`") in alone.stderr
