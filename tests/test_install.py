"""Installing hotline as scripts/test does (an editable install, with the up-to-date pip
scripts/test upgrades to): no warning from the build backend."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_an_editable_install_shows_no_build_backend_warning(tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    # This venv's pip (the one scripts/test installed) installs into the new venv.
    done = subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(venv / "bin/python"), "install",
         "--no-deps", "-e", str(ROOT)],
        capture_output=True, text=True, timeout=300, check=False, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "Successfully installed hotline-" in done.stdout
    assert "Warning" not in done.stdout + done.stderr, done.stdout + done.stderr
