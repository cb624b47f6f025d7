"""`hotline drill call --digits`: the caller's keys at a chapter's menus, rehearsed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.test_cli import run
from tests.test_drill import EVENING, SAMPLE


@pytest.fixture
def env(clean_database_url: str, tmp_path: Path) -> dict[str, str]:
    """The sample rota with Boston's matching keys switched on (as its comments show)."""
    rota = tmp_path / "rota.toml"
    rota.write_text(SAMPLE.read_text(encoding="utf-8")
                    .replace("# languages = ", "languages = ")
                    .replace("# experiences = ", "experiences = ")
                    .replace("# match_wait = ", "match_wait = "), encoding="utf-8")
    environ = {"HOTLINE_DATABASE_URL": clean_database_url, "HOTLINE_PRIVACY_KEY": "p" * 20}
    imported = run(["rota", "import", str(rota)], tmp_path, **environ)
    assert imported.returncode == 0, imported.stderr
    return environ


def test_a_drilled_caller_chooses_spanish_and_a_shared_experience(
    tmp_path: Path, env: dict[str, str],
) -> None:
    result = run(["drill", "call", "--to", "+16175550100", "--at", EVENING, "--format", "json",
                  "--digits", "2,1"], tmp_path, **env)
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    transcript = "\n".join(out["transcript"])
    assert "caller hears: Para español, marque 2." in transcript
    assert "caller presses 2" in transcript and "caller presses 1" in transcript
    record = out["record"]
    assert record["outcome"] == "answered" and record["answered_by"] == "Ann Example"
    assert (record["language"], record["experience"], record["matched"]) == (
        "es-US", "loss-of-child", True)
    text = run(["drill", "call", "--to", "+16175550100", "--at", EVENING, "--digits", "2,1"],
               tmp_path, **env)
    assert "asked: language es-US, experience loss-of-child; matched" in text.stdout


def test_a_caller_who_presses_nothing_and_a_bad_key(tmp_path: Path, env: dict[str, str]) -> None:
    result = run(["drill", "call", "--to", "+16175550100", "--at", EVENING, "--format", "json"],
                 tmp_path, **env)
    assert result.returncode == 0, result.stderr
    record = json.loads(result.stdout)["record"]
    assert (record["language"], record["experience"]) == ("en-US", None)
    assert record["outcome"] == "answered"
    bad = run(["drill", "call", "--to", "+16175550100", "--digits", "2,x"], tmp_path, **env)
    assert bad.returncode == 1
    assert "digits: 'x' is not one key" in bad.stderr
    assert "Traceback" not in bad.stderr
