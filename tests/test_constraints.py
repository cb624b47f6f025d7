"""constraints.txt pins every dependency of hotline[test], at versions pyproject.toml allows."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, distribution, requires
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent


def pinned() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "constraints.txt").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, _, version = line.partition("==")
            assert version, f"not an exact pin: {line!r}"
            pins[canonicalize_name(name)] = version.strip()
    return pins


def needed() -> set[Requirement]:
    """hotline[test]'s requirements and theirs, with the extras asked for (markers applied)."""
    found: dict[str, Requirement] = {}
    todo = [(Requirement(r), {"", "test"}) for r in requires("hotline") or []]
    while todo:
        req, extras = todo.pop()
        if req.marker is not None and not any(req.marker.evaluate({"extra": e}) for e in extras):
            continue
        name = canonicalize_name(req.name)
        if name == "hotline" or (name in found and req.extras <= found[name].extras):
            continue
        found[name] = req
        try:
            todo += [(Requirement(r), {"", *req.extras})
                     for r in distribution(req.name).requires or []]
        except PackageNotFoundError:
            pass
    return set(found.values())


def test_every_dependency_is_pinned_where_pyproject_allows() -> None:
    pins = pinned()
    for req in needed():
        name = canonicalize_name(req.name)
        assert name in pins, f"{req.name} is not in constraints.txt (run scripts/constraints)"
        assert req.specifier.contains(pins[name], prereleases=True), (
            f"{req.name}=={pins[name]} does not satisfy {req}")
    assert pins["gunicorn"].split(".")[0] >= "23"
