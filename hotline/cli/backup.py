"""`hotline db backup PATH`: a consistent copy of a SQLite database while hotline runs."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import click

from hotline.cli import Context, fail, pass_context
from hotline.cli.server import db
from hotline.files import create_private, sqlite_file


@db.command("backup")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@pass_context
def db_backup(ctx: Context, path: Path) -> None:
    """Copy the SQLite database to PATH with SQLite's online backup (safe while `serve` and
    `worker` run). On PostgreSQL use pg_dump instead. Restore: stop hotline, put the copy
    in place of the database file, start hotline."""
    url = ctx.settings.database.url
    source = sqlite_file(url)
    if source is None:
        if url.startswith("postgresql"):
            fail("db backup: database.url is PostgreSQL: back it up with pg_dump, e.g. "
                 "`pg_dump --format=custom --file hotline.dump DBNAME` (README, Operations)")
        fail("db backup: database.url is an in-memory database: nothing to back up")
    if not source.is_file():
        fail(f"db backup: no database at {source}: run `hotline db upgrade` first")
    if path.exists():
        fail(f"db backup: {path} exists; give a new file name")
    if not path.parent.is_dir():
        fail(f"db backup: no such folder {path.parent}")
    create_private(path)                # the copy holds what the database holds: 0600
    try:
        src, dst = sqlite3.connect(source, timeout=30), sqlite3.connect(path)
        try:
            src.backup(dst, pages=1024)     # a page run at a time: writers wait only briefly
            pages = dst.execute("PRAGMA page_count").fetchone()[0]
            check = dst.execute("PRAGMA integrity_check").fetchone()[0]
        finally:
            src.close()
            dst.close()
    except sqlite3.Error as exc:
        path.unlink(missing_ok=True)
        fail(f"db backup: {exc}")
    if check != "ok":
        fail(f"db backup: the copy at {path} failed its integrity check ({check})")
    click.echo(f"backed up {source} to {path} ({pages} pages, integrity ok)")
