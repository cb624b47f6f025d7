"""`hotline drill call` on a listen_in chapter: the trainee's phone is in the transcript."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.test_cli import run

ROTA = '''
[[chapter]]
slug = "listen-line"
name = "Listen Line"
timezone = "UTC"
numbers = ["+16175550100"]
listen_in = true

[[volunteer]]
name = "Tia Trainee"
phone = "+16175550119"
trainee = true

[[volunteer]]
name = "Ann Mentor"
phone = "+16175550111"

[[shift]]
chapter = "listen-line"
volunteer = "+16175550111"
days = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
start = "00:00"
end = "00:00"
tier = 1

[[shift]]
chapter = "listen-line"
volunteer = "+16175550119"
days = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
start = "00:00"
end = "00:00"
tier = 1
'''


def _drill(database_url: str, tmp_path: Path, *args: str) -> dict[str, Any]:
    env = {"HOTLINE_DATABASE_URL": database_url, "HOTLINE_PRIVACY_KEY": "p" * 20}
    rota = tmp_path / "rota.toml"
    rota.write_text(ROTA)        # the trainee first: the lower id, rung first were she offered
    imported = run(["rota", "import", str(rota)], tmp_path, **env)
    assert imported.returncode == 0, imported.stderr
    result = run(["drill", "call", "--to", "+16175550100", "--at", "2026-11-27T23:30:00Z",
                  "--format", "json", *args], tmp_path, **env)
    assert result.returncode == 0, result.stderr
    out: dict[str, Any] = json.loads(result.stdout)
    return out


def test_a_drill_shows_the_trainee_listening_in(clean_database_url: str, tmp_path: Path) -> None:
    out = _drill(clean_database_url, tmp_path)
    transcript = "\n".join(out["transcript"])
    assert "in training" in transcript
    assert "Tia Trainee (+16175550119)" in transcript
    assert "listen in on a call" in transcript
    joined = [line for line in out["transcript"] if "joins conference" in line]
    assert any("Tia Trainee" in line and "(muted, no beep)" in line for line in joined)
    record = out["record"]
    assert record["answered_by"] == "Ann Mentor"
    assert {(leg["volunteer"], leg.get("kind")) for leg in record["legs"]} == {
        ("Ann Mentor", None), ("Tia Trainee", "trainee")}


def test_first_rung_is_never_the_trainee(clean_database_url: str, tmp_path: Path) -> None:
    out = _drill(clean_database_url, tmp_path, "--first", "declines")
    record = out["record"]
    assert record["answered_by"] is None
    assert {leg["volunteer"] for leg in record["legs"]} == {"Ann Mentor"}
    assert {leg["outcome"] for leg in record["legs"]} == {"declined"}


def test_oncall_leaves_the_trainee_out(clean_database_url: str, tmp_path: Path) -> None:
    env = {"HOTLINE_DATABASE_URL": clean_database_url, "HOTLINE_PRIVACY_KEY": "p" * 20}
    rota = tmp_path / "rota.toml"
    rota.write_text(ROTA)
    assert run(["rota", "import", str(rota)], tmp_path, **env).returncode == 0
    listed = run(["oncall", "listen-line", "--at", "2026-11-27T23:30:00Z", "--format", "json"],
                 tmp_path, **env)
    assert listed.returncode == 0, listed.stderr
    assert json.loads(listed.stdout)["waves"] == [
        {"tier": 1, "volunteers": [{"name": "Ann Mentor", "phone": "+16175550111"}]}]
    # Without listen_in the trainee is a volunteer like any other, and listed.
    rota.write_text(ROTA.replace("listen_in = true", "listen_in = false"))
    assert run(["rota", "import", str(rota)], tmp_path, **env).returncode == 0
    listed = run(["oncall", "listen-line", "--at", "2026-11-27T23:30:00Z", "--format", "json"],
                 tmp_path, **env)
    assert [v["name"] for v in json.loads(listed.stdout)["waves"][0]["volunteers"]] == [
        "Tia Trainee", "Ann Mentor"]
