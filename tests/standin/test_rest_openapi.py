"""Fetching and loading Twilio's OpenAPI file: env override, cache, npm, clear failures."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from hotline.standin.openapi import (
    NPM_PACKAGE,
    SPEC_ENV,
    SPEC_FILENAME,
    SpecUnavailable,
    ensure_spec,
    load_spec,
)

FAKE_NPM = """#!/bin/sh
# Stands in for `npm pack PKG --json --pack-destination DIR`: records its argv, packs a file.
PATH=/usr/bin:/bin
echo "$@" > "$FAKE_NPM_LOG"
dest="$5"
mkdir -p "$dest/src/package/twilio-oai/spec/json"
printf '{"openapi": "3.0.1", "from": "fake npm"}' \\
  > "$dest/src/package/twilio-oai/spec/json/twilio_api_v2010.json"
tar -czf "$dest/twilio-alpha-mcp-0.7.0.tgz" -C "$dest/src" package
rm -rf "$dest/src"
echo '[{"filename": "twilio-alpha-mcp-0.7.0.tgz"}]'
"""


def install_npm(bin_dir: Path, script: str, monkeypatch: pytest.MonkeyPatch) -> None:
    bin_dir.mkdir()
    npm = bin_dir / "npm"
    npm.write_text(script)
    npm.chmod(0o755)
    monkeypatch.setenv("PATH", str(bin_dir))


@pytest.fixture(autouse=True)
def no_override(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(SPEC_ENV, raising=False)


def test_env_var_wins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    given = tmp_path / "mine.json"
    given.write_text("{}")
    monkeypatch.setenv(SPEC_ENV, str(given))
    assert ensure_spec(tmp_path / "cache") == given
    assert not (tmp_path / "cache").exists()


def test_env_var_naming_a_missing_file_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(SPEC_ENV, str(tmp_path / "absent.json"))
    with pytest.raises(SpecUnavailable, match=f"{SPEC_ENV}=.*absent.json is not an existing file"):
        ensure_spec(tmp_path / "cache")


def test_cached_copy_needs_no_npm(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cached = tmp_path / "cache" / SPEC_FILENAME
    cached.parent.mkdir()
    cached.write_text("{}")
    install_npm(tmp_path / "bin", "#!/bin/sh\nexit 99\n", monkeypatch)
    assert ensure_spec(tmp_path / "cache") == cached


def test_fetches_with_npm_pack_and_caches(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    log = tmp_path / "npm.log"
    monkeypatch.setenv("FAKE_NPM_LOG", str(log))
    install_npm(tmp_path / "bin", FAKE_NPM, monkeypatch)
    path = ensure_spec(tmp_path / "cache")
    assert path == tmp_path / "cache" / SPEC_FILENAME
    assert '"from": "fake npm"' in path.read_text()
    assert log.read_text().split()[:3] == ["pack", NPM_PACKAGE, "--json"]
    assert sorted(p.name for p in (tmp_path / "cache").iterdir()) == [SPEC_FILENAME]


def test_missing_npm_says_what_to_do(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "empty").mkdir()
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    with pytest.raises(SpecUnavailable, match=f"npm is not installed.*{SPEC_ENV}"):
        ensure_spec(tmp_path / "cache")


def test_npm_failure_is_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    script = "#!/bin/sh\necho 'npm error 404 Not Found' >&2\nexit 1\n"
    install_npm(tmp_path / "bin", script, monkeypatch)
    with pytest.raises(SpecUnavailable, match="failed \\(1\\): npm error 404 Not Found"):
        ensure_spec(tmp_path / "cache")
    assert not (tmp_path / "cache" / SPEC_FILENAME).exists()


def test_spec_is_loaded_once_and_quickly(twilio_spec_path: Path) -> None:
    started = time.perf_counter()
    spec = load_spec(twilio_spec_path)
    assert time.perf_counter() - started < 2.0
    assert load_spec(twilio_spec_path) is spec
    calls = spec.form_properties("/2010-04-01/Accounts/{AccountSid}/Calls.json", "post")
    assert {"To", "From", "Url", "StatusCallbackEvent", "Timeout"} <= calls


def test_unreadable_spec_is_refused(tmp_path: Path) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    with pytest.raises(SpecUnavailable, match="cannot read"):
        load_spec(broken)
