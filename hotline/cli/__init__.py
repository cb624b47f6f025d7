"""The `hotline` command line: thin click commands over the domain functions.

Every command loads the settings once; a configuration problem prints one line naming
the key and exits with status 2, never a traceback.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any, NoReturn, TypeVar

import click
from sqlalchemy.exc import ArgumentError, OperationalError

from hotline.runtime import Runtime, build_runtime
from hotline.settings import Settings, SettingsError, load_settings

F = TypeVar("F", bound=Callable[..., Any])


def fail(message: str, code: int = 2) -> NoReturn:
    """Print one line to stderr and exit."""
    click.echo(f"hotline: {message}", err=True)
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
        if self._runtime is None:
            try:
                self._runtime = build_runtime(self.settings, **parts)
            except (ArgumentError, ValueError) as exc:
                fail(f"configuration: database.url: {exc}")
        return self._runtime


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
            reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
            fail(f"database.url: cannot use the database ({reason})")

    return wrapper  # type: ignore[return-value]


from hotline.cli import callers as _callers  # noqa: E402,F401
from hotline.cli import contacts as _contacts  # noqa: E402,F401
from hotline.cli import drill as _drill  # noqa: E402,F401
from hotline.cli import rota as _rota  # noqa: E402,F401  (registers commands)
from hotline.cli import server as _server  # noqa: E402,F401  (registers commands)
