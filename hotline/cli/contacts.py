"""`hotline contacts export`: the contact log, one record per call, callers masked."""

from __future__ import annotations

import csv
import json
import sys
from datetime import UTC, date, datetime, time

import click
from sqlalchemy import select

from hotline.cli import Context, database_errors, fail, main, pass_context
from hotline.logs.contacts import ContactRow, list_contacts
from hotline.logs.notes import notes_by_sid
from hotline.models import Chapter

CSV_COLUMNS = (
    "call_sid", "chapter", "started_at", "outcome", "answered_by", "seconds_to_answer",
    "talk_seconds", "caller", "legs", "queue_seconds", "times_offered", "position_at_arrival",
    "callbacks", "overflow_from", "overflow_to", "language", "experience", "matched",
)


@main.group()
def contacts() -> None:
    """The contact log."""


def _day(value: str | None, option: str) -> datetime | None:
    if value is None:
        return None
    try:
        return datetime.combine(date.fromisoformat(value), time(), tzinfo=UTC)
    except ValueError:
        fail(f"{option}: {value!r} is not a date like 2026-03-01", code=1)


@contacts.command("export")
@click.option("--format", "fmt", type=click.Choice(["csv", "json"]), default="json",
              show_default=True)
@click.option("--chapter", help="Only this chapter (slug).")
@click.option("--since", help="Calls started on or after this UTC date (YYYY-MM-DD).")
@click.option("--until", help="Calls started before this UTC date (YYYY-MM-DD).")
@click.option("--notes", is_flag=True,
              help="Add each call's after-call note, decrypted (`note`; needs the privacy key).")
@pass_context
@database_errors
def contacts_export(
    ctx: Context, fmt: str, chapter: str | None, since: str | None, until: str | None,
    notes: bool,
) -> None:
    """Print the contact log: JSON (an array, legs nested) or CSV (legs in one column).

    Callers appear masked (last four digits); volunteers' numbers never appear. After-call
    notes are left out unless --notes asks for them.
    """
    runtime = ctx.keyed_runtime() if notes else ctx.runtime()
    with runtime.sessions() as session:
        chapter_id = None
        if chapter is not None:
            chapter_id = session.scalar(select(Chapter.id).where(Chapter.slug == chapter))
            if chapter_id is None:
                fail(f"--chapter: no chapter {chapter!r}", code=1)
        rows = list_contacts(
            session, chapter_id=chapter_id,
            since=_day(since, "--since"), until=_day(until, "--until"),
        )
        words = (notes_by_sid(session, runtime.privacy, [row.call_sid for row in rows])
                 if notes else None)
    if fmt == "json":
        json.dump([_with_note(row.as_json(), row, words) for row in rows], sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        write_csv(rows, words)


def _with_note(record: dict[str, object], row: ContactRow, words: dict[str, str] | None
               ) -> dict[str, object]:
    if words is not None:
        record["note"] = words.get(row.call_sid)
    return record


def write_csv(rows: list[ContactRow], notes: dict[str, str] | None = None) -> None:
    columns = CSV_COLUMNS if notes is None else (*CSV_COLUMNS, "note")
    writer = csv.DictWriter(sys.stdout, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        record = _with_note(row.as_json(), row, notes)
        legs = record.pop("legs")
        assert isinstance(legs, list)
        record["legs"] = "; ".join(
            f"{leg['volunteer']}{' (trainee)' if leg.get('kind') == 'trainee' else ''}: "
            f"{leg['outcome']}" for leg in legs)
        attempts = record.pop("callbacks")
        assert isinstance(attempts, list)
        record["callbacks"] = "; ".join(
            f"{a['at']} {a['volunteer'] or 'nobody'}: {a['outcome']}" for a in attempts)
        writer.writerow({key: _cell(value) for key, value in record.items()})


def _cell(value: object) -> object:
    """Blank for None; text a spreadsheet would run as a formula is quoted (CSV injection)."""
    if value is None:
        return ""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value
