"""Files that hold secrets or callers' records: made readable by their owner only (0600),
and a check that says when one is readable by anyone else.

The config file holds the Twilio token and the privacy key; a SQLite database holds the
contact log. Whatever the umask, hotline creates both 0600; one made some other way (by
hand, by a copy) is only warned about: `hotline serve` says so at start.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

PRIVATE = 0o600


def write_private(path: Path, text: str, *, new: bool = False) -> None:
    """Write `text` to a new or existing file, which is 0600 before anything is in it
    (`new`: FileExistsError if anything is at `path` already)."""
    flags = os.O_WRONLY | os.O_CREAT | (os.O_EXCL if new else os.O_TRUNC)
    fd = os.open(path, flags, PRIVATE)
    try:
        os.fchmod(fd, PRIVATE)          # an existing file keeps its mode otherwise
        os.write(fd, text.encode("utf-8"))
    finally:
        os.close(fd)


def create_private(path: Path) -> None:
    """Make an empty 0600 file at `path` unless something is there already."""
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE))
    except FileExistsError:
        pass


def open_to_others(path: Path) -> str | None:
    """Its mode (like '0644') if users other than the owner may read or write the file."""
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except OSError:
        return None
    return f"{mode:04o}" if mode & 0o077 else None


def sqlite_file(url: str) -> Path | None:
    """The file a sqlite:/// URL names (None for memory databases and other URLs)."""
    for prefix in ("sqlite:///", "sqlite+pysqlite:///"):
        if url.startswith(prefix):
            name = url[len(prefix):].split("?", 1)[0]
            return Path(name) if name and name != ":memory:" else None
    return None
