"""`hotline user add|list|disable` as an administrator runs them."""

from __future__ import annotations

import re
from pathlib import Path

from tests.roster.test_cli import SAMPLE, run


def test_add_list_disable(clean_database_url: str, tmp_path: Path) -> None:
    run(clean_database_url, "rota", "import", str(SAMPLE), cwd=tmp_path)
    added = run(clean_database_url, "user", "add", "Ann@Example.org", "--name", "Ann",
                "--role", "volunteer", "--volunteer", "+16175550111", cwd=tmp_path)
    assert added.returncode == 0, added.stderr
    link = re.search(r"^http://127\.0\.0\.1:5000/set-password/[\w-]{40,}$", added.stdout, re.M)
    assert link, added.stdout
    again = run(clean_database_url, "user", "add", "ann@example.org", "--name", "Ann",
                "--role", "volunteer", "--volunteer", "+16175550112", cwd=tmp_path)
    assert again.returncode == 1 and "already an account" in again.stderr
    no_chapter = run(clean_database_url, "user", "add", "c@example.org", "--name", "C",
                     "--role", "coordinator", cwd=tmp_path)
    assert no_chapter.returncode == 1 and "--chapter" in no_chapter.stderr
    unknown = run(clean_database_url, "user", "add", "c@example.org", "--name", "C",
                  "--role", "coordinator", "--chapter", "nowhere", cwd=tmp_path)
    assert unknown.returncode != 0 and "no chapter 'nowhere'" in unknown.stderr
    listed = run(clean_database_url, "user", "list", cwd=tmp_path).stdout
    assert "ann@example.org  volunteer  Ann  (no password yet)" in listed
    assert run(clean_database_url, "user", "disable", "ann@example.org",
               cwd=tmp_path).returncode == 0
    assert "(disabled)" in run(clean_database_url, "user", "list", cwd=tmp_path).stdout
    assert run(clean_database_url, "user", "disable", "x@example.org",
               cwd=tmp_path).returncode == 1
