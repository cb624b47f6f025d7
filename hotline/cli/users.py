"""`hotline user add|list|disable|link|password` and `hotline audit verify|show`."""

from __future__ import annotations

import sys

import click

from hotline.accounts.models import Role
from hotline.accounts.users import (
    SET_PASSWORD,
    AccountError,
    add_user,
    disable_user,
    issue_token,
    list_users,
    set_password,
    user_by_email,
)
from hotline.audit.log import Actor, entries_for, record, verify
from hotline.cli import Context, database_errors, fail, main, pass_context
from hotline.cli.rota import chapters_named, iso_utc
from hotline.roster.changes import RotaChangeError, volunteer_by_phone


def account_link(base_url: str, token: str, purpose: str = SET_PASSWORD) -> str:
    """The one-time URL for a link token, under the app's public URL."""
    path = "set-password" if purpose == SET_PASSWORD else "reset-password"
    return f"{base_url.rstrip('/')}/{path}/{token}"


@main.group()
def user() -> None:
    """Web app accounts: admins, coordinators (of chapters) and volunteers."""


@user.command("add")
@click.argument("email")
@click.option("--name", required=True, help="the person's name as shown in the app")
@click.option("--role", required=True, type=click.Choice([r.value for r in Role]))
@click.option("--chapter", "chapters", multiple=True, help="a chapter slug (repeatable)")
@click.option("--volunteer", "phone", help="the volunteer's phone on the rota (E.164)")
@pass_context
@database_errors
def user_add(
    ctx: Context, email: str, name: str, role: str, chapters: tuple[str, ...], phone: str | None
) -> None:
    """Create an account and print a one-time link to set its password (valid 7 days)."""
    runtime = ctx.runtime()
    now = runtime.clock()
    try:
        with runtime.transaction() as session:
            rows = [row for slug in chapters for row in chapters_named(session, slug)]
            volunteer = volunteer_by_phone(session, phone) if phone else None
            account, token = add_user(
                session, email, name, Role(role), now=now, chapters=rows, volunteer=volunteer
            )
            record(session, Actor.cli(), "user.add", now=now, subject=account.email,
                   after={"email": account.email, "name": account.name, "role": account.role,
                          "chapters": [row.slug for row in rows],
                          "volunteer_id": account.volunteer_id})
    except (AccountError, RotaChangeError) as exc:
        fail(str(exc), 1)
    click.echo(f"account {account.email} ({role}) created. Send them this link to set a "
               f"password (it works once, for 7 days):")
    click.echo(account_link(runtime.settings.app.public_url, token))


@user.command("list")
@pass_context
@database_errors
def user_list(ctx: Context) -> None:
    """Every account: email, role, chapters, whether it can sign in."""
    runtime = ctx.runtime()
    with runtime.transaction() as session:
        rows = list_users(session)
        for account, slugs in rows:
            state = "active" if account.active else "disabled"
            if account.active and account.password_hash is None:
                state = "no password yet"
            extras = f" [{', '.join(slugs)}]" if slugs else ""
            second = " +totp" if account.totp_secret else ""
            click.echo(f"{account.email}  {account.role}{extras}  {account.name}  "
                       f"({state}{second})")
        if not rows:
            click.echo("no accounts")


@user.command("disable")
@click.argument("email")
@pass_context
@database_errors
def user_disable(ctx: Context, email: str) -> None:
    """Stop an account signing in; it is signed out everywhere at once."""
    runtime = ctx.runtime()
    now = runtime.clock()
    try:
        with runtime.transaction() as session:
            account = disable_user(session, email, now=now)
            record(session, Actor.cli(), "user.disable", now=now, subject=account.email,
                   before={"active": True}, after={"active": False})
    except AccountError as exc:
        fail(str(exc), 1)
    click.echo(f"account {account.email} disabled")


@user.command("link")
@click.argument("email")
@pass_context
@database_errors
def user_link(ctx: Context, email: str) -> None:
    """Print a new one-time link to set the account's password (earlier links stop working)."""
    runtime = ctx.runtime()
    now = runtime.clock()
    with runtime.transaction() as session:
        account = user_by_email(session, email)
        if account is None or not account.active:
            fail(f"no active account {email}", 1)
        token = issue_token(session, account, SET_PASSWORD, now=now)
        record(session, Actor.cli(), "user.link", now=now, subject=account.email)
    click.echo(account_link(runtime.settings.app.public_url, token))


@user.command("password")
@click.argument("email")
@pass_context
@database_errors
def user_password(ctx: Context, email: str) -> None:
    """Set the account's password, typed twice (or one line on standard input); signs it out."""
    if sys.stdin.isatty():
        password = click.prompt("New password", hide_input=True, confirmation_prompt=True)
    else:
        password = sys.stdin.readline().rstrip("\n")
    runtime = ctx.runtime()
    now = runtime.clock()
    try:
        with runtime.transaction() as session:
            account = user_by_email(session, email)
            if account is None or not account.active:
                raise AccountError(f"no active account {email}")
            set_password(session, account, password, now=now)
            record(session, Actor.cli(), "user.password_set", now=now, subject=account.email)
    except AccountError as exc:
        fail(str(exc), 1)
    click.echo(f"password of {account.email} set")


@main.group()
def audit() -> None:
    """The audit log of every change made from the web app or the command line."""


@audit.command("verify")
@pass_context
@database_errors
def audit_verify(ctx: Context) -> None:
    """Check the log's hash chain; exit status 1 if any entry was altered or removed.

    The last line names the chain's head: keep it, and a later run that ends on an earlier
    head shows that entries were cut off the end.
    """
    runtime = ctx.runtime()
    with runtime.transaction() as session:
        verdict = verify(session)
    for problem in verdict.problems:
        click.echo(f"audit log: {problem}", err=True)
    if verdict.problems:
        click.echo(f"hotline: the audit log was altered ({len(verdict.problems)} problems)",
                   err=True)
        sys.exit(1)
    click.echo(f"audit log intact: {verdict.entries} entries, head {verdict.head}")


@audit.command("show")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 10000))
@pass_context
@database_errors
def audit_show(ctx: Context, limit: int) -> None:
    """The newest entries, newest first."""
    runtime = ctx.runtime()
    with runtime.transaction() as session:
        for entry in entries_for(session, None, limit=limit):
            click.echo(f"{entry.seq}: {iso_utc(entry.at)} {entry.actor} {entry.action} "
                       f"{entry.subject}")
