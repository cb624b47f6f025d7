"""`hotline drill call` as a coordinator runs it: the sample rota, real processes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.test_cli import ROOT, run

SAMPLE = ROOT / "hotline" / "sample" / "rota.toml"
EVENING = "2026-11-27T23:30:00Z"   # Friday 18:30 in Boston: Ann is primary, Dev is backup


@pytest.fixture
def env(clean_database_url: str, tmp_path: Path) -> dict[str, str]:
    environ = {"HOTLINE_DATABASE_URL": clean_database_url, "HOTLINE_PRIVACY_KEY": "p" * 20}
    imported = run(["rota", "import", str(SAMPLE)], tmp_path, **environ)
    assert imported.returncode == 0, imported.stderr
    return environ


def drill(tmp_path: Path, env: dict[str, str], *args: str) -> dict[str, object]:
    result = run(["drill", "call", "--to", "+16175550100", "--at", EVENING,
                  "--format", "json", *args], tmp_path, **env)
    assert result.returncode == 0, result.stderr
    out: dict[str, object] = json.loads(result.stdout)
    return out


def test_everyone_answers_first_primary_gets_the_caller(
    tmp_path: Path, env: dict[str, str]
) -> None:
    out = drill(tmp_path, env)
    record = out["record"]
    assert isinstance(record, dict)
    assert record["outcome"] == "answered"
    assert record["answered_by"] == "Ann Example"
    assert record["caller"] == "***0000"
    transcript = "\n".join(out["transcript"])  # type: ignore[arg-type]
    assert "Ann Example (+16175550111)" in transcript and "presses 1" in transcript
    assert "+15551230000" not in transcript


def test_nobody_answers_ends_in_voicemail_and_writes_nothing(
    tmp_path: Path, env: dict[str, str]
) -> None:
    out = drill(tmp_path, env, "--everyone", "rings-out")
    record = out["record"]
    assert isinstance(record, dict)
    assert record["outcome"] == "voicemail"
    # Both phones ring out, and ring again while the caller waits, until the maximum wait.
    outcomes = [leg["outcome"] for leg in record["legs"]]
    assert len(outcomes) > 2 and set(outcomes) <= {"no_answer", "canceled"}
    exported = run(["contacts", "export", "--format", "json"], tmp_path, **env)
    assert exported.returncode == 0, exported.stderr
    assert json.loads(exported.stdout) == []


def test_voicemail_of_the_first_never_takes_the_call(tmp_path: Path, env: dict[str, str]) -> None:
    out = drill(tmp_path, env, "--voicemail", "Ann Example")
    record = out["record"]
    assert isinstance(record, dict)
    assert record["answered_by"] == "Dev Patel"
    assert record["legs"] == [
        {"volunteer": "Ann Example", "outcome": "no_answer"},
        {"volunteer": "Dev Patel", "outcome": "answered"},
    ]


def test_caller_asks_for_a_call_back(tmp_path: Path, env: dict[str, str]) -> None:
    out = drill(tmp_path, env, "--everyone", "busy", "--caller", "callback")
    record = out["record"]
    assert isinstance(record, dict)
    assert record["outcome"] == "callback_requested"


def test_scenario_file_and_text_output(tmp_path: Path, env: dict[str, str]) -> None:
    scenario = tmp_path / "s.toml"
    scenario.write_text(
        'to = "+16175550100"\neveryone = "declines"\n'
        '[[phone]]\nvolunteer = "+16175550114"\ndoes = "answers"\nafter = 2\n'
    )
    result = run(["drill", "call", "--scenario", str(scenario), "--at", EVENING], tmp_path, **env)
    assert result.returncode == 0, result.stderr
    assert "outcome: answered; answered by Dev Patel" in result.stdout
    assert "rang Ann Example: declined" in result.stdout
    assert "(drill: nothing was written to the contact log)" in result.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--to", "617"], "--to"),
        (["--to", "+16175550100", "--voicemail", "Nobody Known"], "no volunteer named"),
        (["--to", "+16175550100", "--at", "yesterday"], "--at"),
        (["--to", "+16175550100", "--caller-after", "soon"], "--caller-after"),
        (["--to", "+16175550100", "--volunteers", "Ann"], "No such option"),
    ],
)
def test_bad_drill_requests_are_one_line(
    tmp_path: Path, env: dict[str, str], args: list[str], message: str
) -> None:
    result = run(["drill", "call", *args], tmp_path, **env)
    assert result.returncode == 1
    assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("to = 16175550100\n", "to: expected text"),
        ('to = "+16175550100"\n[caller]\nafter = "soon"\n', "[caller] after"),
        ('to = "+16175550100"\nphone = "Ann"\n', "[[phone]] table"),
        ('to = "+16175550100"\ncaller = 1\n', "[caller] table"),
    ],
)
def test_mistyped_scenario_files_are_one_line(
    tmp_path: Path, env: dict[str, str], text: str, message: str
) -> None:
    scenario = tmp_path / "s.toml"
    scenario.write_text(text)
    result = run(["drill", "call", "--scenario", str(scenario)], tmp_path, **env)
    assert result.returncode == 1
    assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_an_overflow_call_is_drilled(tmp_path: Path, env: dict[str, str]) -> None:
    """Boston's own decline; the sample's overflow rings Chicago's on-call volunteer."""
    out = drill(tmp_path, env, "--declines", "Ann Example", "--declines", "Dev Patel")
    record = out["record"]
    assert isinstance(record, dict)
    assert record["outcome"] == "answered" and record["chapter"] == "boston-grief"
    assert record["answered_by"] == "Femi Adeyemi"
    assert (record["overflow_from"], record["overflow_to"]) == ("boston-grief",
                                                                 "chicago-recovery")
    assert [(leg["volunteer"], leg["outcome"]) for leg in record["legs"]] == [
        ("Ann Example", "declined"), ("Dev Patel", "declined"), ("Femi Adeyemi", "answered")]
    transcript = "\n".join(out["transcript"])  # type: ignore[arg-type]
    assert any(line.startswith(f"{line[:5]} Femi Adeyemi (+13125550112)")
               and line.endswith("hears: Boston Bereavement Line hotline call. Press 1 to accept.")
               for line in transcript.splitlines())
    assert ("we are also asking the volunteers of Chicago Recovery Fellowship Line"
            in transcript)
    text = run(["drill", "call", "--to", "+16175550100", "--at", EVENING, "--declines",
                "Ann Example", "--declines", "Dev Patel"], tmp_path, **env)
    assert "  overflow: a boston-grief call answered by chicago-recovery" in text.stdout
