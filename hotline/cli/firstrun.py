"""`hotline init`: a hotline.toml with fresh secrets, and what is left to fill in."""

from __future__ import annotations

import os
from pathlib import Path

import click

from hotline.cli import fail, main
from hotline.configfile import new_config
from hotline.files import write_private


@main.command("init")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path), required=False)
@click.option("--public-url", metavar="URL", help="app.public_url: the address Twilio reaches.")
@click.option("--demo", is_flag=True,
              help="Fill in a demo on this machine: the local app, made-up Twilio credentials "
                   "and REST calls to the stand-in (never to Twilio).")
@click.option("--port", default=5000, show_default=True, type=int,
              help="With --demo: the port `hotline serve` will listen on.")
def init(path: Path | None, public_url: str | None, demo: bool, port: int) -> None:
    """Write PATH ($HOTLINE_CONFIG or ./hotline.toml) from config.example.toml, with a fresh
    app.secret_key and privacy.key, readable by its owner only. Never overwrites a file."""
    target = path or Path(os.environ.get("HOTLINE_CONFIG") or "hotline.toml")
    made = new_config(public_url=public_url, demo_port=port if demo else None)
    try:
        write_private(target, made.text, new=True)
    except FileExistsError:
        fail(f"{target} exists already; not overwritten (move it away to start again)", code=1)
    except OSError as exc:
        fail(f"cannot write {target} ({exc.strerror})", code=1)
    click.echo(f"wrote {target} (mode 0600) with a fresh app.secret_key and privacy.key")
    if demo:
        click.echo("demo values: made-up Twilio credentials, REST calls to the stand-in; "
                   "replace them before going live")
    if made.to_fill:
        click.echo("still to fill in before going live:")
        for key, where in made.to_fill.items():
            click.echo(f"  {key}: {where}")
    click.echo("then: hotline db upgrade")
