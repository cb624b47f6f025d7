"""`hotline status`: what `/status` reports, from the command line."""

from __future__ import annotations

import json
import sys

import click

from hotline.cli import Context, fail, main, pass_context


@main.command()
@click.option("--json", "as_json", is_flag=True, help="The JSON `/status` answers.")
@pass_context
def status(ctx: Context, as_json: bool) -> None:
    """Database, Redis, live workers, queues and failed jobs; exit status 1 when not ready
    (the database unreachable or behind the code's migrations, or Redis unreachable)."""
    from sqlalchemy.exc import ArgumentError
    from sqlalchemy.orm import sessionmaker

    from hotline.db import make_engine
    from hotline.health import check

    settings = ctx.settings
    try:
        engine = make_engine(settings.database.url)
    except (ArgumentError, ValueError) as exc:
        fail(f"configuration: database.url: {exc}")
    try:
        result = check(settings, sessionmaker(engine))
    finally:
        engine.dispose()
    if as_json:
        click.echo(json.dumps(result.as_dict(), indent=2))
    else:
        for line in result.lines():
            click.echo(line)
    sys.exit(0 if result.ready else 1)
