"""Changes made at the command line land in the audit log: bans (masked), a key rotation,
a retention run, and a rota import item by item; `audit verify` still passes after them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from hotline.audit.models import AuditEntry
from hotline.db import make_engine
from hotline.roster.rotadiff import LIMIT
from tests.roster.test_cli import SAMPLE
from tests.test_cli import run

CALLER = "+16175550123"
OLD, NEW = "old-privacy-key-0123456789", "new-privacy-key-0123456789"


def entries(url: str) -> list[AuditEntry]:
    engine = make_engine(url)
    try:
        with Session(engine) as db:
            rows = list(db.scalars(select(AuditEntry).order_by(AuditEntry.seq)))
            db.expunge_all()
        return rows
    finally:
        engine.dispose()


def whole_log(url: str) -> str:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return " ".join(str(row) for row in conn.execute(text("SELECT * FROM audit_log")))
    finally:
        engine.dispose()


def verified(url: str, cwd: Path) -> str:
    result = run(["audit", "verify"], cwd, HOTLINE_DATABASE_URL=url)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_bans_and_a_key_rotation_are_audited_without_the_number(
    clean_database_url: str, tmp_path: Path
) -> None:
    old = {"HOTLINE_DATABASE_URL": clean_database_url, "HOTLINE_PRIVACY_KEY": OLD}
    assert run(["rota", "import", str(SAMPLE)], tmp_path, **old).returncode == 0
    added = run(["ban", "add", CALLER, "--chapter", "boston-grief", "--reason", "threats"],
                tmp_path, **old)
    assert added.returncode == 0, added.stderr
    again = run(["ban", "add", CALLER, "--chapter", "boston-grief", "--reason", "again"],
                tmp_path, **old)
    assert again.returncode == 0, again.stderr
    new = {**old, "HOTLINE_PRIVACY_KEY": NEW, "HOTLINE_PRIVACY_PREVIOUS_KEY": OLD}
    rotated = run(["privacy", "rotate"], tmp_path, **new)
    assert rotated.returncode == 0, rotated.stderr
    lifted = run(["ban", "remove", CALLER, "--chapter", "boston-grief"], tmp_path, **new)
    assert lifted.returncode == 0, lifted.stderr

    log = [e for e in entries(clean_database_url) if e.action != "rota.import"]
    assert [e.action for e in log] == ["ban.add", "ban.add", "privacy.rotate", "ban.remove"]
    assert all(e.actor.startswith("cli:") for e in log)
    first, second, rotation, removal = log
    assert first.chapter_id is not None and first.chapter_id == removal.chapter_id
    assert first.before is None
    assert first.after["number"] == "***0123" and first.after["reason"] == "threats"
    assert (second.before["reason"], second.after["reason"]) == ("threats", "again")
    assert rotation.before["key_fingerprint"] != rotation.after["key_fingerprint"]
    assert rotation.after["moved"] == {"bans.number_cipher": 1}
    assert removal.before["number"] == "***0123" and removal.after is None
    dump = whole_log(clean_database_url)
    assert "5550123" not in dump and "6175550123" not in dump
    assert "audit log intact: 6 entries" in verified(clean_database_url, tmp_path)


def test_a_retention_run_is_audited_but_not_a_dry_run(
    clean_database_url: str, tmp_path: Path
) -> None:
    env = {"HOTLINE_DATABASE_URL": clean_database_url}
    assert run(["db", "upgrade"], tmp_path, **env).returncode == 0
    dry = run(["retention", "run", "--dry-run"], tmp_path, **env)
    assert dry.returncode == 0, dry.stderr
    assert entries(clean_database_url) == []
    done = run(["retention", "run"], tmp_path, **env)
    assert done.returncode == 0, done.stderr
    (entry,) = entries(clean_database_url)
    assert entry.action == "retention.run" and entry.actor.startswith("cli:")
    assert entry.after["calls"] == 0 and "contacts_before" in entry.after
    assert "audit log intact: 1 entries" in verified(clean_database_url, tmp_path)


def changed_sample(tmp_path: Path) -> Path:
    """The sample with Ann off Fridays, Ben renamed, Boston's wait shorter, Grace made
    inactive (she serves both chapters) and Chicago's rotation without Hal."""
    rota = SAMPLE.read_text()
    for old, new in [
        ('days = ["mon", "wed", "fri"]', 'days = ["mon", "wed"]'),
        ('name = "Ben Okafor"', 'name = "Ben Okafor-Smith"'),
        ("max_wait = 120", "max_wait = 90"),
        ('phone = "+13125550113"', 'phone = "+13125550113"\nactive = false'),
        ('members = ["+13125550111", "+13125550112", "+13125550114"]',
         'members = ["+13125550111", "+13125550112"]'),
    ]:
        assert old in rota, old
        rota = rota.replace(old, new, 1)
    path = tmp_path / "changed.toml"
    path.write_text(rota)
    return path


def by_chapter(log: list[AuditEntry], url: str) -> dict[str, AuditEntry]:
    engine = make_engine(url)
    with engine.connect() as conn:
        slugs = dict(conn.execute(text("SELECT id, slug FROM chapters")).all())
    engine.dispose()
    return {slugs[e.chapter_id]: e for e in log}


def test_a_rota_import_records_what_changed_item_by_item(
    clean_database_url: str, tmp_path: Path
) -> None:
    env = {"HOTLINE_DATABASE_URL": clean_database_url}
    assert run(["rota", "import", str(SAMPLE)], tmp_path, **env).returncode == 0
    first = by_chapter(entries(clean_database_url), clean_database_url)
    assert set(first) == {"boston-grief", "chicago-recovery"}
    boston_new = first["boston-grief"]
    assert boston_new.before is None
    assert boston_new.after["chapter"]["name"] == "Boston Bereavement Line"
    assert len(boston_new.after["shifts"]) == 5
    assert {"volunteer": "Ann Example", "days": "mon,wed,fri", "start": "18:00",
            "end": "22:00", "tier": 1}.items() <= boston_new.after["shifts"][0].items()
    assert boston_new.after["counts"]["rules_opened"] == 8

    changed = run(["rota", "import", str(changed_sample(tmp_path))], tmp_path, **env)
    assert changed.returncode == 0, changed.stderr
    later = by_chapter(entries(clean_database_url)[2:], clean_database_url)
    boston, chicago = later["boston-grief"], later["chicago-recovery"]
    assert boston.before["chapter"] == {"max_wait_seconds": 120}
    assert boston.after["chapter"] == {"max_wait_seconds": 90}
    assert [(s["volunteer"], s["days"]) for s in boston.before["shifts"]] == [
        ("Ann Example", "mon,wed,fri")]
    assert [(s["volunteer"], s["days"]) for s in boston.after["shifts"]] == [
        ("Ann Example", "mon,wed")]
    assert "from" in boston.after["shifts"][0]            # from the import on, not before
    assert boston.before["volunteers"] == [{"name": "Ben Okafor"},
                                           {"name": "Grace Kim", "active": True}]
    assert boston.after["volunteers"] == [{"name": "Ben Okafor-Smith"},
                                          {"name": "Grace Kim", "active": False}]
    assert [r["members"] for r in chicago.before["rotations"]] == [
        ["Erin Walsh", "Femi Adeyemi", "Hal Novak"]]
    assert [r["members"] for r in chicago.after["rotations"]] == [["Erin Walsh", "Femi Adeyemi"]]
    assert chicago.after["volunteers"] == [{"name": "Grace Kim", "active": False}]
    assert "volunteers" not in chicago.before or "Ben" not in json.dumps(chicago.before)
    for entry in (boston, chicago):
        assert "+1617555011" not in json.dumps([entry.before, entry.after])  # names, not phones
    assert "audit log intact: 4 entries" in verified(clean_database_url, tmp_path)


def test_a_big_import_is_cut_to_a_readable_entry(clean_database_url: str, tmp_path: Path) -> None:
    lines = ['[[chapter]]\nslug = "big"\nname = "Big"\nnumbers = ["+16175550900"]\n'
             'timezone = "UTC"\n']
    for n in range(LIMIT + 10):
        phone = f"+1617555{n:04d}"
        lines.append(f'[[volunteer]]\nname = "V{n}"\nphone = "{phone}"\n')
        lines.append(f'[[shift]]\nchapter = "big"\nvolunteer = "{phone}"\ndays = ["mon"]\n'
                     f'start = "{n % 24:02d}:00"\nend = "{n % 24:02d}:30"\ntier = 1\n')
    rota = tmp_path / "big.toml"
    rota.write_text("\n".join(lines))
    env = {"HOTLINE_DATABASE_URL": clean_database_url}
    done = run(["rota", "import", str(rota)], tmp_path, **env)
    assert done.returncode == 0, done.stderr
    (entry,) = entries(clean_database_url)
    after: dict[str, Any] = entry.after
    assert len(after["shifts"]) == LIMIT and after["shifts_not_shown"] == 10
    assert len(after["volunteers"]) == LIMIT and after["volunteers_not_shown"] == 10
    assert len(json.dumps(after)) < 20_000


def test_a_volunteer_no_chapter_names_is_recorded_for_admins(
    clean_database_url: str, tmp_path: Path
) -> None:
    env = {"HOTLINE_DATABASE_URL": clean_database_url}
    assert run(["rota", "import", str(SAMPLE)], tmp_path, **env).returncode == 0
    rota = tmp_path / "more.toml"
    rota.write_text(SAMPLE.read_text() + '\n[[volunteer]]\nname = "Zed New"\n'
                    'phone = "+16175550177"\n')
    assert run(["rota", "import", str(rota)], tmp_path, **env).returncode == 0
    (entry,) = entries(clean_database_url)[2:]
    assert entry.chapter_id is None and entry.before is None      # the whole log only
    assert entry.after["volunteers"] == [{"name": "Zed New", "languages": [],
                                          "experiences": [], "active": True}]
    assert "audit log intact: 3 entries" in verified(clean_database_url, tmp_path)
