"""The audit log: chained by hash, append-only in the database, and checked by `audit verify`."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Connection, text
from sqlalchemy.exc import DBAPIError

from hotline.audit.log import Actor, entries_for, record, verify
from hotline.db import make_engine
from hotline.runtime import Runtime
from tests.roster.test_cli import SAMPLE, run


def write_three(runtime: Runtime) -> None:
    with runtime.transaction() as db:
        for n in range(3):
            record(db, Actor("cli:test"), "thing.change", now=runtime.clock() + timedelta(n),
                   chapter_id=n, subject=f"thing {n}", before={"n": n}, after={"n": n + 1})


def test_an_intact_chain_verifies(runtime: Runtime) -> None:
    write_three(runtime)
    with runtime.sessions() as db:
        verdict = verify(db)
        newest = entries_for(db, [1, 2])
    assert verdict.entries == 3 and verdict.problems == ()
    assert [e.subject for e in newest] == ["thing 2", "thing 1"]
    assert newest[0].prev_hash == newest[1].hash


def test_the_database_refuses_to_change_or_delete_an_entry(runtime: Runtime) -> None:
    write_three(runtime)
    for statement in ("UPDATE audit_log SET subject = 'x'", "DELETE FROM audit_log"):
        with pytest.raises(DBAPIError, match="append-only"), runtime.transaction() as db:
            db.execute(text(statement))
    with runtime.sessions() as db:
        assert verify(db).entries == 3


def without_guard(conn: Connection, statement: str, **params: str) -> None:
    """Run `statement` as someone who got round the append-only triggers would."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only"))
        conn.execute(text(statement), params)
        conn.execute(text("ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only"))
    else:
        conn.execute(text("DROP TRIGGER audit_log_no_update"))
        conn.execute(text("DROP TRIGGER audit_log_no_delete"))
        conn.execute(text(statement), params)


@pytest.mark.parametrize(("statement", "problem"), [
    ("UPDATE audit_log SET after = '{\"n\": 9}' WHERE seq = 2", "entry 2 was altered"),
    ("DELETE FROM audit_log WHERE seq = 2", "entries 2 to 2 are missing"),
    ("UPDATE audit_log SET actor = 'web:someone-else' WHERE seq = 1", "entry 1 was altered"),
])
def test_verify_names_the_entry_that_was_altered_or_removed(
    runtime: Runtime, statement: str, problem: str
) -> None:
    write_three(runtime)
    with runtime.transaction() as db:
        without_guard(db.connection(), statement)
    with runtime.sessions() as db:
        problems = verify(db).problems
    assert any(problem in found for found in problems), problems


def test_cli_changes_land_in_the_log_and_verify_exits_non_zero_once_altered(
    clean_database_url: str, tmp_path: Path
) -> None:
    assert run(clean_database_url, "rota", "import", str(SAMPLE), cwd=tmp_path).returncode == 0
    added = run(clean_database_url, "rota", "override", "boston-grief", "remove", "+16175550111",
                "--start", "2030-01-07T18:00", "--end", "2030-01-07T20:00", cwd=tmp_path)
    assert added.returncode == 0, added.stderr
    user = run(clean_database_url, "user", "add", "c@example.org", "--name", "C",
               "--role", "coordinator", "--chapter", "boston-grief", cwd=tmp_path)
    assert user.returncode == 0, user.stderr
    shown = run(clean_database_url, "audit", "show", cwd=tmp_path).stdout
    assert "user.add c@example.org" in shown and "override.add" in shown
    assert shown.count("rota.import") == 2                # one per chapter in the file
    ok = run(clean_database_url, "audit", "verify", cwd=tmp_path)
    assert ok.returncode == 0 and "audit log intact: 4 entries" in ok.stdout
    engine = make_engine(clean_database_url)
    forged = json.dumps({"forged": True})
    with engine.begin() as conn:
        without_guard(conn, "UPDATE audit_log SET after = :forged WHERE action = 'override.add'",
                      forged=forged)
    engine.dispose()
    broken = run(clean_database_url, "audit", "verify", cwd=tmp_path)
    assert broken.returncode == 1
    assert "was altered after it was written" in broken.stderr
