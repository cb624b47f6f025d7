"""`hotline drill standin`: one long-running Twilio stand-in for drills run side by side."""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlsplit

import click

from hotline.cli import Context, database_errors, fail, pass_context
from hotline.cli.drill import drill
from hotline.settings import Settings

DEFAULT_PORT = 5099


def default_port(settings: Settings) -> int:
    """The port of twilio.api_base_url when it is on this machine (the app sends its REST
    requests there), else 5099."""
    base = urlsplit(settings.twilio.api_base_url)
    if base.hostname in ("127.0.0.1", "localhost") and base.port:
        return base.port
    return DEFAULT_PORT


@drill.command("standin")
@click.option("--port", type=int, help="Port on 127.0.0.1 [default: the port of "
              "twilio.api_base_url when it is on this machine, else 5099].")
@pass_context
@database_errors
def drill_standin(ctx: Context, port: int | None) -> None:
    """Serve a Twilio stand-in that plays many drilled calls at once, until Ctrl-C.

    \b
    The app must send its REST requests here (twilio.api_base_url); then, in other shells:
        hotline drill call --to NUMBER --against APP_URL --standin http://127.0.0.1:PORT
    Each drill's phones do what that drill says; each prints its own call.
    """
    from hotline.drillstandin import SharedBoard, owner_in_database, run_standin
    from hotline.standin.openapi import SPEC_ENV

    settings = ctx.settings
    if not settings.twilio.account_sid or not settings.twilio.auth_token:
        fail("configuration: twilio.account_sid and twilio.auth_token: must be set to the "
             "served app's (the stand-in accepts its REST requests with them)")
    runtime = ctx.runtime()
    port = port if port is not None else default_port(settings)
    board = SharedBoard(settings.twilio.account_sid, settings.twilio.auth_token,
                        owner_in_database(runtime.engine))
    spec = os.environ.get(SPEC_ENV)

    def ready(url: str) -> None:
        click.echo(f"stand-in serving drills on {url} (the app's twilio.api_base_url must be "
                   f"{url}); drill with: hotline drill call --to NUMBER --against APP_URL "
                   f"--standin {url}    Stop with Ctrl-C.")

    try:
        run_standin(board, port, Path(spec) if spec else None, ready)
    except OSError as exc:
        fail(f"--port {port}: cannot listen ({exc.strerror}): if a stand-in runs there "
             f"already, drills use it as it is (--standin http://127.0.0.1:{port}); otherwise "
             "choose another --port and point the app's twilio.api_base_url at it", code=1)
    except KeyboardInterrupt:
        click.echo("stand-in stopped")
