"""Twilio's own OpenAPI description of api.twilio.com/2010-04-01, fetched and cached.

The file (2 MB, MIT) is not committed: `ensure_spec` takes it from
`$HOTLINE_TWILIO_OPENAPI`, from a cache directory, or from the npm package that
ships it. `load_spec` parses it once per process.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tarfile
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from openapi_core import Config, OpenAPI
from openapi_core.casting.schemas.exceptions import CastError
from openapi_core.datatypes import RequestParameters
from openapi_core.validation.request.exceptions import (
    ParameterValidationError,
    SecurityValidationError,
)
from openapi_core.validation.schemas.exceptions import InvalidSchemaValue
from werkzeug.datastructures import Headers, MultiDict

from hotline.standin.suggest import did_you_mean

SPEC_ENV = "HOTLINE_TWILIO_OPENAPI"
# Pinned so a new package release cannot change what the tests check against.
NPM_PACKAGE = "@twilio-alpha/mcp@0.7.0"
SPEC_MEMBER = "package/twilio-oai/spec/json/twilio_api_v2010.json"
SPEC_FILENAME = "twilio_api_v2010.json"
SPEC_SERVER = "https://api.twilio.com"


class SpecUnavailable(RuntimeError):
    """Twilio's OpenAPI file could not be found or fetched."""


def ensure_spec(cache_dir: Path) -> Path:
    """Path of twilio_api_v2010.json: $HOTLINE_TWILIO_OPENAPI, else the cache, else npm."""
    override = os.environ.get(SPEC_ENV)
    if override:
        path = Path(override)
        if not path.is_file():
            raise SpecUnavailable(f"{SPEC_ENV}={override} is not an existing file")
        return path
    cached = cache_dir / SPEC_FILENAME
    if cached.is_file():
        return cached
    cache_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=cache_dir) as work:
        tarball = _npm_pack(Path(work))
        extracted = _extract_member(tarball, Path(work))
        # Rename into place so a concurrent run never reads a half-written file.
        os.replace(extracted, cached)
    return cached


def _npm_pack(work: Path) -> Path:
    npm = shutil.which("npm")
    if npm is None:
        raise SpecUnavailable(
            f"npm is not installed: install Node.js, or set {SPEC_ENV} to a copy of "
            f"{SPEC_FILENAME} (from `npm pack {NPM_PACKAGE}`, member {SPEC_MEMBER})"
        )
    try:
        done = subprocess.run(  # noqa: S603 (fixed argv, no shell)
            [npm, "pack", NPM_PACKAGE, "--json", "--pack-destination", str(work)],
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise SpecUnavailable(f"`npm pack {NPM_PACKAGE}` took longer than 300 s") from exc
    if done.returncode != 0:
        raise SpecUnavailable(
            f"`npm pack {NPM_PACKAGE}` failed ({done.returncode}): {done.stderr.strip()[-500:]}"
        )
    tarballs = sorted(work.glob("*.tgz"))
    if len(tarballs) != 1:
        raise SpecUnavailable(f"`npm pack {NPM_PACKAGE}` left no tarball in {work}")
    return tarballs[0]


def _extract_member(tarball: Path, work: Path) -> Path:
    with tarfile.open(tarball, "r:gz") as archive:
        try:
            member = archive.getmember(SPEC_MEMBER)
        except KeyError as exc:
            raise SpecUnavailable(f"{tarball.name} has no {SPEC_MEMBER}") from exc
        source = archive.extractfile(member)
        if source is None:
            raise SpecUnavailable(f"{SPEC_MEMBER} in {tarball.name} is not a regular file")
        target = work / SPEC_FILENAME
        with source, target.open("wb") as out:
            shutil.copyfileobj(source, out)
    return target


@dataclass(frozen=True)
class TwilioSpec:
    """The parsed document plus the openapi-core validator built over it."""

    path: Path
    document: Mapping[str, Any]
    openapi: Any  # openapi_core.OpenAPI (untyped library)

    def form_properties(self, path: str, method: str) -> frozenset[str]:
        """Form field names the operation at (`path`, `method`) declares."""
        operation = self.document["paths"][path][method.lower()]
        content = operation.get("requestBody", {}).get("content", {})
        schema = self._resolve(
            content.get("application/x-www-form-urlencoded", {}).get("schema", {})
        )
        return frozenset(schema.get("properties", {}))

    def check_request(
        self,
        *,
        method: str,
        path_template: str,
        path: str,
        form: MultiDict[str, str],
        body: bytes,
        content_type: str,
        headers: Headers,
    ) -> SpecViolation | None:
        """The first way this request breaks the operation's declared form, if any."""
        declared = self.form_properties(path_template, method)
        for key in form:
            # openapi-core drops undeclared form keys silently, so they are checked here.
            if key not in declared:
                hint = did_you_mean(key, declared)
                return SpecViolation(
                    key, f"Unknown parameter '{key}': Twilio's API does not define it{hint}"
                )
        request = _WireRequest(method, path, body, content_type, headers)
        result = self.openapi.unmarshal_request(request)
        for error in result.errors:
            if isinstance(error, SecurityValidationError):
                continue  # credentials are checked (more strictly) by the server
            return self._explain(error, form, path_template, method)
        return None

    def _explain(
        self, error: Exception, form: MultiDict[str, str], path_template: str, method: str
    ) -> SpecViolation:
        if isinstance(error, ParameterValidationError):
            return SpecViolation(
                error.name,
                f"Parameter '{error.name}' ({error.location}) "
                f"is not valid: {_reasons(error.__cause__)}",
            )
        cause = error.__cause__
        if isinstance(cause, CastError):
            name = self._name_of_value(cause, form, path_template, method)
            return SpecViolation(
                name, f"Parameter '{name}' must be of type {cause.type}, got '{cause.value}'"
            )
        if isinstance(cause, InvalidSchemaValue):
            for schema_error in cause.schema_errors:
                name = _parameter_of(schema_error)
                message = getattr(schema_error, "message", str(schema_error))
                return SpecViolation(name, f"Parameter '{name}' is not valid: {message}")
        return SpecViolation(None, f"Request does not match Twilio's API: {error}")

    def _name_of_value(
        self, cast: CastError, form: MultiDict[str, str], path_template: str, method: str
    ) -> str:
        operation = self.document["paths"][path_template][method.lower()]
        schema = self._resolve(
            operation["requestBody"]["content"]["application/x-www-form-urlencoded"]["schema"]
        )
        for key, value in form.items(multi=True):
            declared = self._resolve(schema.get("properties", {}).get(key, {}))
            item_type = self._resolve(declared.get("items", {})).get("type")
            if value == cast.value and cast.type in (declared.get("type"), item_type):
                return key
        return "?"

    def _resolve(self, schema: Mapping[str, Any]) -> Mapping[str, Any]:
        while "$ref" in schema:
            node: Any = self.document
            for part in str(schema["$ref"]).removeprefix("#/").split("/"):
                node = node[part]
            schema = node
        return schema


@dataclass(frozen=True)
class SpecViolation:
    """Why a request does not fit Twilio's API; `parameter` is the wire name when known."""

    parameter: str | None
    message: str


class _WireRequest:
    """A request as openapi-core wants it, addressed to the spec's own server."""

    def __init__(
        self, method: str, path: str, body: bytes, content_type: str, headers: Headers
    ) -> None:
        # The stand-in listens on 127.0.0.1; the spec only knows api.twilio.com.
        self.host_url = SPEC_SERVER
        self.path = path
        self.method = method.lower()
        self.body = body
        self.content_type = content_type
        self.parameters = RequestParameters(header=headers)


def _parameter_of(schema_error: Any) -> str:
    path = list(getattr(schema_error, "path", ()))
    if path:
        return str(path[0])
    if getattr(schema_error, "validator", None) == "required":
        # jsonschema names the missing property only in its message: "'To' is a required..."
        return str(schema_error.message).split("'")[1]
    return "?"


def _reasons(cause: BaseException | None) -> str:
    if isinstance(cause, InvalidSchemaValue):
        return "; ".join(getattr(e, "message", str(e)) for e in cause.schema_errors)
    return str(cause)


def load_spec(path: Path) -> TwilioSpec:
    """Parse the spec at `path`; the same file is parsed once per process."""
    return _load(path.resolve())


@cache
def _load(path: Path) -> TwilioSpec:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise SpecUnavailable(f"cannot read Twilio's OpenAPI file {path}: {exc}") from exc
    # Validating the 2 MB document itself costs seconds and Twilio already did it.
    openapi = OpenAPI.from_dict(document, config=Config(spec_validator_cls=None))
    return TwilioSpec(path=path, document=document, openapi=openapi)
