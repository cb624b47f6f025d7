"""Who is asking: the signed-in user of this request, and the checks every view makes.

Every route of the web app is wrapped by one of `public`, `signed_in`, `staff_page`,
`volunteer_page`, `coordinator_page` or `admin_page`; the URL-map test fails for a route
with none, so a new page cannot forget.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from flask import abort, g, redirect, request, session, url_for
from flask.typing import ResponseReturnValue

from hotline.accounts.models import Role
from hotline.accounts.signin import session_user
from hotline.accounts.users import chapter_ids
from hotline.roster import models
from hotline.roster.store import UnknownChapter, chapter_by_slug

F = TypeVar("F", bound=Callable[..., ResponseReturnValue])
SESSION_KEY = "sid"


@dataclass(frozen=True)
class Viewer:
    """The signed-in user as the views need them; `chapters` None means every chapter."""

    id: int
    session_id: int
    email: str
    name: str
    role: Role
    volunteer_id: int | None
    chapters: frozenset[int] | None
    has_totp: bool

    def coordinates(self, chapter_id: int) -> bool:
        if self.role is Role.ADMIN:
            return True
        return self.role is Role.COORDINATOR and self.chapters is not None and (
            chapter_id in self.chapters)

    @property
    def runs_chapters(self) -> bool:
        return self.role in (Role.ADMIN, Role.COORDINATOR)

    @property
    def coordinated(self) -> frozenset[int] | None:
        """The chapters whose volunteers they may change (None: every chapter, an admin); a
        volunteer is changed only by someone who coordinates all of their chapters."""
        if self.role is Role.ADMIN:
            return None
        if self.role is Role.COORDINATOR and self.chapters is not None:
            return self.chapters
        return frozenset()


def runtime() -> Any:
    from hotline.app import app_runtime

    return app_runtime()


def load_viewer() -> None:
    """Find the request's user from its session cookie (None when signed out or expired)."""
    g.viewer = None
    token = session.get(SESSION_KEY)
    if not isinstance(token, str):
        return
    rt = runtime()
    with rt.transaction() as db:
        found = session_user(db, token, now=rt.clock())
        if found is None:
            session.pop(SESSION_KEY, None)
            return
        row, user = found
        g.viewer = Viewer(
            id=user.id, session_id=row.id, email=user.email, name=user.name,
            role=Role(user.role), volunteer_id=user.volunteer_id,
            chapters=_frozen(chapter_ids(db, user)), has_totp=user.totp_secret is not None,
        )


def _frozen(ids: set[int] | None) -> frozenset[int] | None:
    return None if ids is None else frozenset(ids)


def viewer() -> Viewer:
    """The signed-in user (views behind `signed_in` or `coordinator_page` only)."""
    found: Viewer | None = g.get("viewer")
    if found is None:
        abort(401)
    return found


def public(view: F) -> F:
    """Marks a view anyone may open (sign-in, set a password)."""
    view.access = "public"  # type: ignore[attr-defined]
    return view


def signed_in(view: F) -> F:
    """Signed-out visitors are sent to the sign-in page, then back here."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> ResponseReturnValue:
        if g.get("viewer") is None:
            return redirect(url_for("web.auth.login", next=request.full_path.rstrip("?")))
        return view(*args, **kwargs)

    wrapper.access = "signed_in"  # type: ignore[attr-defined]
    return wrapper  # type: ignore[return-value]


def coordinator_page(view: F) -> F:
    """A chapter's page (URL has `slug`): admins and that chapter's coordinators only.

    The view receives the chapter row as `chapter` instead of the slug.
    """

    @functools.wraps(view)
    def wrapper(*args: Any, slug: str, **kwargs: Any) -> ResponseReturnValue:
        who = g.get("viewer")
        if who is None:
            return redirect(url_for("web.auth.login", next=request.full_path.rstrip("?")))
        with runtime().sessions() as db:
            try:
                chapter = chapter_by_slug(db, slug)
            except UnknownChapter:
                abort(404)
        if not who.coordinates(chapter.id):
            abort(403)
        return view(*args, chapter=chapter, **kwargs)

    wrapper.access = "coordinator"  # type: ignore[attr-defined]
    return wrapper  # type: ignore[return-value]


def _roles(kind: str, *roles: Role) -> Callable[[F], F]:
    def decorate(view: F) -> F:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> ResponseReturnValue:
            who = g.get("viewer")
            if who is None:
                return redirect(url_for("web.auth.login", next=request.full_path.rstrip("?")))
            if who.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        wrapper.access = kind  # type: ignore[attr-defined]
        return wrapper  # type: ignore[return-value]

    return decorate


admin_page = _roles("admin", Role.ADMIN)
"""Admins only."""
staff_page = _roles("staff", Role.ADMIN, Role.COORDINATOR)
"""Admins and coordinators (of any chapter): their own account's sign-in codes."""


def volunteer_page(view: F) -> F:
    """A volunteer's own page: accounts linked to a volunteer on the rota only."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> ResponseReturnValue:
        who = g.get("viewer")
        if who is None:
            return redirect(url_for("web.auth.login", next=request.full_path.rstrip("?")))
        if who.volunteer_id is None:
            abort(403)
        return view(*args, **kwargs)

    wrapper.access = "volunteer"  # type: ignore[attr-defined]
    return wrapper  # type: ignore[return-value]


def chapters_run_by(db: Any, who: Viewer) -> list[models.Chapter]:
    """The chapters the viewer coordinates (every chapter for an admin), by name."""
    from sqlalchemy import select

    query = select(models.Chapter).order_by(models.Chapter.name)
    if who.role is Role.ADMIN:
        return list(db.scalars(query))
    if who.role is not Role.COORDINATOR or not who.chapters:
        return []
    return list(db.scalars(query.where(models.Chapter.id.in_(sorted(who.chapters)))))
