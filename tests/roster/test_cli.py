"""The rota commands as an operator runs them: real processes against a real database."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import icalendar

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "hotline" / "sample" / "rota.toml"


def run(url: str, *args: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("HOTLINE_")}
    environ.update(PYTHONPATH=str(ROOT), HOTLINE_DATABASE_URL=url, **env)
    return subprocess.run(  # noqa: S603 - our own command, fixed arguments
        [sys.executable, "-m", "hotline", *args],
        cwd=cwd,
        env=environ,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_import_oncall_json_and_idempotence(clean_database_url: str, tmp_path: Path) -> None:
    first = run(clean_database_url, "rota", "import", str(SAMPLE), cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert "8 rules opened" in first.stdout
    again = run(clean_database_url, "rota", "import", str(SAMPLE), cwd=tmp_path)
    assert again.stdout.strip().endswith("no changes"), again.stdout
    # Tuesday 10 March 2026, 23:30 EDT in Boston: Carmen overnight, Dev backing up.
    result = run(
        clean_database_url,
        "oncall",
        "boston-grief",
        "--at",
        "2026-03-11T03:30:00Z",
        "--format",
        "json",
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {
        "chapter": "boston-grief",
        "at": "2026-03-11T03:30:00Z",
        "waves": [
            {"tier": 1, "volunteers": [{"name": "Carmen Ruiz", "phone": "+16175550113"}]},
            {"tier": 2, "volunteers": [{"name": "Dev Patel", "phone": "+16175550114"}]},
            # Then Boston's overflow (the sample's `overflow = ["chicago-recovery"]`).
            {"tier": 1, "volunteers": [{"name": "Erin Walsh", "phone": "+13125550111"}],
             "chapter": "chicago-recovery"},
        ],
    }


def test_oncall_at_in_a_third_zone(clean_database_url: str, tmp_path: Path) -> None:
    """rota.md case 13: a coordinator in London asks about Chicago; answer in UTC."""
    run(clean_database_url, "rota", "import", str(SAMPLE), cwd=tmp_path)
    # 15:30 BST on Monday 30 March = 09:30 CDT: Grace (weekday backup) and the rotation.
    result = run(
        clean_database_url,
        "oncall",
        "chicago-recovery",
        "--at",
        "2026-03-30T15:30:00+01:00",
        "--format",
        "json",
        cwd=tmp_path,
    )
    data = json.loads(result.stdout)
    assert data["at"] == "2026-03-30T14:30:00Z"
    assert data["waves"][1] == {
        "tier": 2,
        "volunteers": [{"name": "Grace Kim", "phone": "+13125550113"}],
    }
    # 30 March 09:00 CDT starts turn 12 from 5 January (12 weeks): back to Erin, member 0.
    assert data["waves"][0]["volunteers"][0]["name"] == "Erin Walsh"


def test_a_bad_file_is_refused_whole(clean_database_url: str, tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text(SAMPLE.read_text().replace('start = "22:00"', 'start = "22:61"'))
    result = run(clean_database_url, "rota", "import", str(bad), cwd=tmp_path)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert lines[0].startswith(f"{bad}:")
    assert "start must be a 24-hour time" in lines[0]
    assert "nothing was changed" in lines[-1]
    assert "Traceback" not in result.stderr
    empty = run(clean_database_url, "oncall", "--format", "json", cwd=tmp_path)
    assert json.loads(empty.stdout) == []


def test_import_refuses_weekly_shifts_the_web_refuses(clean_database_url: str,
                                                     tmp_path: Path) -> None:
    """Ann is on Mondays 18:00-22:00; a second Monday shift of hers at another tier overlaps."""
    run(clean_database_url, "rota", "import", str(SAMPLE), cwd=tmp_path)
    before = run(clean_database_url, "rota", "export", cwd=tmp_path).stdout
    bad = tmp_path / "bad.toml"
    text = SAMPLE.read_text() + (
        '\n[[shift]]\nchapter = "boston-grief"\nvolunteer = "+16175550111"\ndays = ["mon"]\n'
        'start = "21:00"\nend = "23:00"\ntier = 2\n')
    bad.write_text(text)
    result = run(clean_database_url, "rota", "import", str(bad), cwd=tmp_path)
    assert result.returncode == 1, result.stdout
    line = len(SAMPLE.read_text().splitlines()) + 2
    # Ann's [[shift]] header: two lines above her first `volunteer =` (1-based numbering).
    first = text.splitlines().index('volunteer = "+16175550111"') - 1
    assert result.stderr.startswith(
        f"{bad}:{line}: shift for +16175550111 overlaps their shift on line {first} "
        "(mon, wed, fri 18:00 to 22:00, tier 1)"), result.stderr
    assert "nothing was changed" in result.stderr
    assert run(clean_database_url, "rota", "export", cwd=tmp_path).stdout == before


def test_export_imports_back_unchanged(clean_database_url: str, tmp_path: Path) -> None:
    run(clean_database_url, "rota", "import", str(SAMPLE), cwd=tmp_path)
    exported = run(clean_database_url, "rota", "export", cwd=tmp_path)
    assert exported.returncode == 0, exported.stderr
    path = tmp_path / "out.toml"
    path.write_text(exported.stdout)
    again = run(clean_database_url, "rota", "import", str(path), cwd=tmp_path)
    assert again.stdout.strip().endswith("no changes"), again.stdout + again.stderr


def test_override_then_swap(clean_database_url: str, tmp_path: Path) -> None:
    run(clean_database_url, "rota", "import", str(SAMPLE), cwd=tmp_path)
    added = run(
        clean_database_url,
        "rota",
        "override",
        "boston-grief",
        "add",
        "+13125550111",
        "--tier",
        "1",
        "--start",
        "2030-01-07T18:00",
        "--end",
        "2030-01-07T20:00",
        cwd=tmp_path,
    )
    assert added.returncode == 0, added.stderr
    clash = run(
        clean_database_url,
        "rota",
        "override",
        "boston-grief",
        "remove",
        "+13125550111",
        "--start",
        "2030-01-07T19:00",
        "--end",
        "2030-01-07T21:00",
        cwd=tmp_path,
    )
    assert clash.returncode == 1 and "overlaps override" in clash.stderr
    at = ["--at", "2030-01-07T19:00", "--format", "json"]
    plan = json.loads(run(clean_database_url, "oncall", "boston-grief", *at, cwd=tmp_path).stdout)
    assert [v["name"] for v in plan["waves"][0]["volunteers"]] == ["Ann Example", "Erin Walsh"]
    offered = run(
        clean_database_url,
        "rota",
        "swap",
        "offer",
        "boston-grief",
        "+16175550111",
        "--start",
        "2030-01-07T18:00",
        "--end",
        "2030-01-07T22:00",
        cwd=tmp_path,
    )
    swap_id = offered.stdout.split()[1]
    assert (
        run(
            clean_database_url, "rota", "swap", "take", swap_id, "+16175550112", cwd=tmp_path
        ).returncode
        == 0
    )
    approved = run(clean_database_url, "rota", "swap", "approve", swap_id, cwd=tmp_path)
    assert approved.returncode == 0, approved.stderr
    plan = json.loads(run(clean_database_url, "oncall", "boston-grief", *at, cwd=tmp_path).stdout)
    assert [v["name"] for v in plan["waves"][0]["volunteers"]] == ["Ben Okafor", "Erin Walsh"]


def test_unavailable_and_gaps(clean_database_url: str, tmp_path: Path) -> None:
    run(clean_database_url, "rota", "import", str(SAMPLE), cwd=tmp_path)
    gaps = run(
        clean_database_url,
        "rota",
        "gaps",
        "--days",
        "2",
        "--chapter",
        "chicago-recovery",
        cwd=tmp_path,
    )
    assert gaps.returncode == 0 and "no gaps" in gaps.stdout
    result = run(
        clean_database_url,
        "rota",
        "unavailable",
        "+13125550111",
        "--start",
        "2020-01-01T00:00:00Z",
        "--end",
        "2040-01-01T00:00:00Z",
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    gaps = run(
        clean_database_url,
        "rota",
        "gaps",
        "--days",
        "30",
        "--chapter",
        "chicago-recovery",
        cwd=tmp_path,
    )
    assert gaps.returncode == 1
    assert gaps.stdout.startswith("chicago-recovery: Mon ")  # Erin's turns start Mondays 09:00
    assert "09:00 to Mon" in gaps.stdout


def test_ical_show_parses(clean_database_url: str, tmp_path: Path) -> None:
    run(clean_database_url, "rota", "import", str(SAMPLE), cwd=tmp_path)
    shown = run(
        clean_database_url,
        "rota",
        "ical",
        "show",
        "--chapter",
        "boston-grief",
        "--days",
        "7",
        cwd=tmp_path,
    )
    calendar = icalendar.Calendar.from_ical(shown.stdout.replace("\n", "\r\n").encode())
    assert len(calendar.walk("VEVENT")) >= 7 * 3
    made = run(
        clean_database_url, "rota", "ical", "url", "--volunteer", "+16175550111", cwd=tmp_path
    )
    assert made.returncode == 0 and "/calendar/" in made.stdout
    revoked = run(
        clean_database_url,
        "rota",
        "ical",
        "revoke",
        made.stdout.split()[1].rstrip(":"),
        cwd=tmp_path,
    )
    assert revoked.returncode == 0, revoked.stderr
    listed = run(clean_database_url, "rota", "ical", "list", cwd=tmp_path)
    assert "revoked" in listed.stdout


def test_import_of_a_file_that_is_not_utf8_names_the_line(
    clean_database_url: str, tmp_path: Path
) -> None:
    bad = tmp_path / "rota.toml"
    text = SAMPLE.read_bytes().splitlines(keepends=True)
    text[6] = b"# caf\xe9 (latin-1)\n"
    bad.write_bytes(b"".join(text))
    result = run(clean_database_url, "rota", "import", str(bad), cwd=tmp_path)
    assert result.returncode != 0
    assert f"{bad}:7: not UTF-8" in result.stderr
    assert "Traceback" not in result.stderr


def test_times_without_an_offset_are_read_in_app_timezone(
    clean_database_url: str, tmp_path: Path
) -> None:
    run(clean_database_url, "rota", "import", str(SAMPLE), cwd=tmp_path)
    result = run(clean_database_url, "rota", "unavailable", "+13125550111", "--start",
                 "2026-03-10T09:00", "--end", "2026-03-10T17:00", cwd=tmp_path,
                 HOTLINE_APP_TIMEZONE="America/New_York")
    assert result.returncode == 0, result.stderr
    # 09:00 in New York on 10 March 2026 (daylight time, UTC-4) is 13:00 UTC.
    assert "2026-03-10T13:00:00Z to 2026-03-10T21:00:00Z" in result.stdout


def test_oncall_shows_the_overflow_waves_after_the_chapters_own(
    clean_database_url: str, tmp_path: Path,
) -> None:
    run(clean_database_url, "rota", "import", str(SAMPLE), cwd=tmp_path)
    # Tuesday 10 March 2026, 23:30 EDT: Carmen and Dev in Boston, then Chicago's Erin.
    evening = run(clean_database_url, "oncall", "boston-grief", "--at", "2026-03-11T03:30:00Z",
                  cwd=tmp_path)
    assert evening.stdout.splitlines()[1:] == [
        "  tier 1 (primary): Carmen Ruiz +16175550113",
        "  tier 2 (backup): Dev Patel +16175550114",
        "  overflow to chicago-recovery, tier 1 (primary): Erin Walsh +13125550111",
    ]
    # Tuesday 10:00 in Boston: nobody on call there; Chicago's rotation and daytime backup.
    morning = ["--at", "2026-03-10T14:00:00Z"]
    text = run(clean_database_url, "oncall", "boston-grief", *morning, cwd=tmp_path).stdout
    assert text.splitlines()[1:] == [
        "  nobody on call",
        "  overflow to chicago-recovery, tier 1 (primary): Erin Walsh +13125550111",
        "  overflow to chicago-recovery, tier 2 (backup): Grace Kim +13125550113",
    ]
    data = json.loads(run(clean_database_url, "oncall", "boston-grief", *morning,
                          "--format", "json", cwd=tmp_path).stdout)
    assert data == {"chapter": "boston-grief", "at": "2026-03-10T14:00:00Z", "waves": [
        {"tier": 1, "volunteers": [{"name": "Erin Walsh", "phone": "+13125550111"}],
         "chapter": "chicago-recovery"},
        {"tier": 2, "volunteers": [{"name": "Grace Kim", "phone": "+13125550113"}],
         "chapter": "chicago-recovery"},
    ]}
    # Chicago names no overflow: its own waves only, as before.
    chicago = json.loads(run(clean_database_url, "oncall", "chicago-recovery", *morning,
                             "--format", "json", cwd=tmp_path).stdout)
    assert all("chapter" not in wave for wave in chicago["waves"])
