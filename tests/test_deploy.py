"""deploy/: the systemd units run commands that exist, restart, and are locked down."""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest

from tests.test_cli import ROOT, run

UNITS = sorted((ROOT / "deploy").glob("*.service"))
LONG_RUNNING = ("hotline-serve.service", "hotline-worker@.service")


def unit(path: Path) -> dict[str, list[str]]:
    """Each key's values (systemd allows a key many times)."""
    values: dict[str, list[str]] = {}
    for line in path.read_text().splitlines():
        if "=" in line and not line.startswith(("#", "[")):
            key, _, value = line.partition("=")
            values.setdefault(key.strip(), []).append(value.strip())
    return values


def test_the_units_are_there() -> None:
    assert {p.name for p in UNITS} >= {*LONG_RUNNING, "hotline-daily.service"}
    assert (ROOT / "deploy" / "hotline-daily.timer").is_file()


@pytest.mark.parametrize("path", UNITS, ids=lambda p: p.name)
def test_each_unit_runs_a_real_hotline_command(path: Path, tmp_path: Path) -> None:
    command = shlex.split(unit(path)["ExecStart"][0])
    assert command[0] == "/opt/hotline/.venv/bin/hotline"
    shown = run([*command[1:], "--help"], tmp_path)
    assert shown.returncode == 0, shown.stderr
    assert {"NoNewPrivileges", "ProtectSystem", "ReadWritePaths", "PrivateTmp"} <= set(unit(path))
    assert unit(path)["ProtectSystem"] == ["strict"]
    assert unit(path)["User"] == ["hotline"]
    if path.name in LONG_RUNNING:
        assert unit(path)["Restart"] == ["always"]
        assert "TMPDIR=/var/lib/hotline/tmp" in unit(path)["Environment"]
