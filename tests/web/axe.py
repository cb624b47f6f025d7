"""axe-core (accessibility engine, MPL-2.0) fetched from npm at test-setup time, never committed.

Like hotline/standin/openapi.py's `ensure_spec`: `$HOTLINE_AXE_JS`, else the cache, else
`npm pack` of a pinned version, unpacked into the cache.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tarfile
import tempfile
from pathlib import Path

AXE_ENV = "HOTLINE_AXE_JS"
NPM_PACKAGE = "axe-core@4.14.1"    # pinned: a new release must not change what the tests check
MEMBER = "package/axe.min.js"


def ensure_axe(cache_dir: Path) -> Path:
    """Path of axe.min.js: $HOTLINE_AXE_JS, else the cache, else fetched with npm."""
    override = os.environ.get(AXE_ENV)
    if override:
        return Path(override)
    cached = cache_dir / f"{NPM_PACKAGE.replace('@', '-')}.min.js"
    if cached.is_file():
        return cached
    npm = shutil.which("npm")
    if npm is None:
        raise RuntimeError(f"npm is needed once to fetch {NPM_PACKAGE} (or set {AXE_ENV})")
    cache_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=cache_dir) as work:
        done = subprocess.run(  # noqa: S603 - fixed argv, no shell
            [npm, "pack", NPM_PACKAGE, "--json", "--pack-destination", work],
            capture_output=True, text=True, timeout=300, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"npm pack {NPM_PACKAGE} failed: {done.stderr.strip()[-500:]}")
        (tarball,) = Path(work).glob("*.tgz")
        with tarfile.open(tarball) as archive:
            source = archive.extractfile(MEMBER)
            assert source is not None
            part = Path(work) / "axe.min.js"
            part.write_bytes(source.read())
        os.replace(part, cached)   # whole or not at all, for a concurrent run
    return cached
