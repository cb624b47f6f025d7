"""scripts/demo's accounts: its own shell function run against a fresh demo, then each
account signs in to the web app with the password the script prints."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from hotline.app import create_app
from hotline.runtime import build_runtime
from hotline.settings import load_settings
from tests.test_cli import ROOT, run
from tests.web.helpers import csrf

DEMO = ROOT / "scripts" / "demo"


def account_setup() -> tuple[str, list[list[str]]]:
    """The script's account lines (the function and its calls) and each call's arguments."""
    text = DEMO.read_text()
    start = text.index("demo_account() {")
    end = text.index("\necho", start)
    block = text[start:end]
    calls = [shlex.split(call) for call in block.replace("\\\n", " ").splitlines()
             if call.startswith("demo_account ")]
    assert len(calls) == 2, block
    return block, [call[1:] for call in calls]


def test_the_demo_accounts_can_sign_in(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for setup in (["init", "--demo", "--port", "5000"], ["db", "upgrade"],
                  ["rota", "import", str(ROOT / "hotline/sample/rota.toml")]):
        done = run(setup, tmp_path)
        assert done.returncode == 0, (setup, done.stderr)
    block, calls = account_setup()
    env = {k: v for k, v in os.environ.items() if not k.startswith("HOTLINE_")}
    env.update(PATH=f"{Path(sys.prefix) / 'bin'}:/usr/bin:/bin", HOME=str(tmp_path))
    for attempt in range(2):                         # and again: made once only
        made = subprocess.run(["/bin/bash", "-c", f"set -euo pipefail\n{block}"], cwd=tmp_path,
                              env=env, capture_output=True, text=True, timeout=120, check=False)
        assert made.returncode == 0, (attempt, made.stderr)

    monkeypatch.chdir(tmp_path)
    for key in [k for k in os.environ if k.startswith("HOTLINE_")]:
        monkeypatch.delenv(key)
    runtime = build_runtime(load_settings())
    try:
        app = create_app(runtime=runtime)
        landing = {"--role coordinator": "/today", "--role volunteer": "/me"}
        for email, name, password, *options in calls:
            client = app.test_client()
            page = client.get("/login")
            signed = client.post("/login", data={"email": email, "password": password,
                                                 "csrf_token": csrf(page.data)})
            assert signed.status_code == 302, (email, signed.data)
            role = " ".join(options[:2])
            home = client.get(landing[role])
            assert home.status_code == 200, (email, role)
            shown = home.data.decode()
            if role.endswith("coordinator"):              # runs both sample chapters
                assert "Boston Bereavement Line" in shown
                assert "Chicago Recovery Fellowship Line" in shown
            else:                                         # Ann's own shifts, by her phone
                assert name == "Ann Example"
                assert "Boston Bereavement Line, tier 1" in shown
    finally:
        runtime.engine.dispose()
