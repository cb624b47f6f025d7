"""The `hotline` command line: thin click commands over the domain functions.

Every command loads the settings once; a configuration problem prints one line naming
the key and exits with status 2, never a traceback.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any, NoReturn, TypeVar

import click
from sqlalchemy import Engine
from sqlalchemy.exc import ArgumentError, OperationalError

from hotline.runtime import Runtime, build_runtime
from hotline.settings import Settings, SettingsError, load_settings, redact_passwords

F = TypeVar("F", bound=Callable[..., Any])


def fail(message: str, code: int = 2) -> NoReturn:
    """Print one line to stderr and exit (never a URL's password, whatever raised it)."""
    click.echo(f"hotline: {redact_passwords(message)}", err=True)
    sys.exit(code)


class Context:
    """Settings and runtime, built on first use so `--help` needs no config."""

    def __init__(self) -> None:
        self._settings: Settings | None = None
        self._runtime: Runtime | None = None

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            try:
                self._settings = load_settings()
            except SettingsError as exc:
                fail(f"configuration: {exc}")
        return self._settings

    def runtime(self, **parts: Any) -> Runtime:
        """The runtime, once the database is known to be at the code's migrations."""
        if self._runtime is None:
            try:
                runtime = build_runtime(self.settings, **parts)
            except (ArgumentError, ValueError) as exc:
                fail(f"configuration: database.url: {exc}")
            require_schema(runtime.engine)
            self._runtime = runtime
        return self._runtime

    def workers_runtime(self) -> Runtime:
        """The runtime of a command whose jobs are the workers' (texts, a retried task):
        with Redis they go there; without, they are left to the workers' sweep, never run
        on threads of this short-lived process."""
        if self.settings.queue.redis_url:
            return self.runtime()
        from hotline.jobs import LaterRunner

        return self.runtime(jobs=LaterRunner())

    def keyed_runtime(self, *, check: bool = True) -> Runtime:
        """The runtime of a command that encrypts or hashes numbers: the real privacy key,
        and (`check`) the one the database's numbers were made with (never a stand-in)."""
        from hotline.keyring import KeyMismatch, verify_key
        from hotline.settings import require_privacy_key

        try:
            require_privacy_key(self.settings)
        except SettingsError as exc:
            fail(f"configuration: {exc}")
        runtime = self.runtime()
        if not check:
            return runtime
        try:
            verify_key(runtime.engine, runtime.privacy, now=runtime.clock())
        except KeyMismatch as exc:
            fail(str(exc))
        return runtime


def require_schema(engine: Engine) -> None:
    """One line and exit 2 unless the database is set up and at the code's migrations."""
    from hotline.db import SchemaNotReady, check_schema

    try:
        check_schema(engine)
    except SchemaNotReady as exc:
        fail(str(exc))
    except OperationalError as exc:
        fail(f"database.url: cannot use the database ({_first_line(exc)})")


def _first_line(exc: OperationalError) -> str:
    return str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)


pass_context = click.make_pass_decorator(Context, ensure=True)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="hotline")
def main() -> None:
    """Call handling for peer-support hotlines.

    Configuration is read from $HOTLINE_CONFIG or ./hotline.toml; any key can be
    overridden with HOTLINE_<SECTION>_<KEY>.
    """


def database_errors(func: F) -> F:
    """Turn an unreachable database into one line instead of a traceback."""
    import functools

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except OperationalError as exc:
            fail(f"database.url: cannot use the database ({_first_line(exc)})")

    return wrapper  # type: ignore[return-value]


from hotline.cli import backup as _backup  # noqa: E402,F401  (hotline db backup)
from hotline.cli import callbacks as _callbacks  # noqa: E402,F401
from hotline.cli import callers as _callers  # noqa: E402,F401
from hotline.cli import contacts as _contacts  # noqa: E402,F401
from hotline.cli import drill as _drill  # noqa: E402,F401
from hotline.cli import drillday as _drillday  # noqa: E402,F401  (drill day)
from hotline.cli import firstrun as _firstrun  # noqa: E402,F401  (hotline init)
from hotline.cli import jobs as _jobs  # noqa: E402,F401  (hotline jobs, jobs retry)
from hotline.cli import keys as _keys  # noqa: E402,F401  (hotline privacy ...)
from hotline.cli import retention as _retention  # noqa: E402,F401
from hotline.cli import rota as _rota  # noqa: E402,F401  (registers commands)
from hotline.cli import server as _server  # noqa: E402,F401  (registers commands)
from hotline.cli import standin as _standin  # noqa: E402,F401  (hotline drill standin)
from hotline.cli import status as _status  # noqa: E402,F401  (hotline status)
from hotline.cli import users as _users  # noqa: E402,F401  (user and audit commands)
