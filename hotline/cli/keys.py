"""`hotline privacy rotate`: move every stored number to a new privacy key."""

from __future__ import annotations

import click

from hotline.audit.log import Actor, record
from hotline.cli import Context, database_errors, fail, main, pass_context
from hotline.keyring import PURPOSE, KeyFingerprint, KeyMismatch, rotate


@main.group("privacy")
def privacy_key() -> None:
    """The privacy key that encrypts and hashes callers' numbers (see README: rotating it)."""


@privacy_key.command("rotate")
@pass_context
@database_errors
def privacy_rotate(ctx: Context) -> None:
    """Re-encrypt and re-hash every stored number (calls, texts, bans) with privacy.key,
    reading those made with privacy.previous_key, and record the new key's fingerprint.

    Run it after putting the new key in privacy.key and the old one in
    privacy.previous_key; restart serve and the workers at once, then run it again. When it
    reports nothing left under the previous key, remove privacy.previous_key.
    """
    runtime = ctx.keyed_runtime(check=False)      # the database is the old key's still
    try:
        with runtime.transaction() as session:
            stored = session.get(KeyFingerprint, PURPOSE)
            before = {"key_fingerprint": stored.fingerprint if stored else None}
            done = rotate(session, runtime.privacy, now=runtime.clock())
            # Counts and fingerprints only: a fingerprint names a key without revealing it.
            record(session, Actor.cli(), "privacy.rotate", now=runtime.clock(),
                   subject="privacy key", before=before,
                   after={"key_fingerprint": runtime.privacy.fingerprint,
                          "moved": done.were_old, "already_current": done.current,
                          "unreadable": done.unreadable,
                          "bans_recovered": done.bans_recovered,
                          "bans_lost": len(done.bans_lost)})
    except KeyMismatch as exc:
        fail(str(exc))
    for name in sorted({*done.current, *done.were_old, *done.unreadable}):
        click.echo(f"{name}: {done.were_old.get(name, 0)} moved from the previous key, "
                   f"{done.current.get(name, 0)} already under the key, "
                   f"{done.unreadable.get(name, 0)} unreadable (left as they are)")
    if done.bans_recovered:
        click.echo(f"bans: {done.bans_recovered} made before their number was kept were "
                   "found again in the caller's calls or texts")
    if done.bans_lost:
        click.echo(f"bans: {len(done.bans_lost)} could not be remade (no number kept): "
                   f"{', '.join(done.bans_lost)}; ban those numbers again")
    click.echo("the database now uses privacy.key"
               + ("" if done.still_old else "; nothing needs privacy.previous_key any more"))
