"""Signing in and out, one-time password links, a volunteer's own reset, account security."""

from __future__ import annotations

import time

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from hotline.accounts.models import Role, User
from hotline.accounts.passwords import check_password
from hotline.accounts.reset import send_reset_text
from hotline.accounts.signin import (
    check_code,
    check_sign_in,
    end_session,
    failure_keys,
    note_failure,
    start_session,
    throttled,
)
from hotline.accounts.totp import confirm_totp, pending_secret, totp_uri, turn_off_totp
from hotline.accounts.users import (
    RESET,
    AccountError,
    issue_token,
    link_holder,
    redeem_link,
    revoke_sessions,
    set_password,
    user_by_email,
)
from hotline.audit.log import Actor, record
from hotline.telephony import TelephonyError
from hotline.web.access import SESSION_KEY, public, runtime, signed_in, staff_page, viewer
from hotline.web.changes import reason
from hotline.web.forms import (
    ActionForm,
    ChangePasswordForm,
    CodeForm,
    ForgotForm,
    LoginForm,
    NewPasswordForm,
    TotpForm,
    TotpOffForm,
)

bp = Blueprint("auth", __name__)
PENDING = "pending_second_step"
PENDING_SECONDS = 300


def _address() -> str:
    return request.remote_addr or "unknown"


def _safe_next(target: str | None) -> str:
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return url_for("web.today.home")


def _begin(user_id: int) -> ResponseReturnValue:
    """Start a fresh session for the user (a new cookie: no fixation) and go on."""
    rt = runtime()
    target = _safe_next(request.args.get("next") or session.get("next"))
    with rt.transaction() as db:
        user = db.get(User, user_id)
        assert user is not None
        token = start_session(db, user, now=rt.clock())
    session.clear()
    session[SESSION_KEY] = token
    return redirect(target)


@bp.route("/login", methods=["GET", "POST"])
@public
def login() -> ResponseReturnValue:
    form = LoginForm()
    failed = False
    if form.validate_on_submit():
        rt = runtime()
        with rt.transaction() as db:
            user = check_sign_in(db, form.email.data or "", form.password.data or "", _address(),
                                 secret=rt.settings.app.secret_key, now=rt.clock())
        if user is not None and user.totp_secret:
            session.clear()
            session[PENDING] = {"user": user.id, "at": time.time()}
            session["next"] = request.args.get("next")
            return redirect(url_for("web.auth.second_step"))
        if user is not None:
            return _begin(user.id)
        failed = True
    return render_template("auth/login.html", form=form, failed=failed)


@bp.route("/login/code", methods=["GET", "POST"])
@public
def second_step() -> ResponseReturnValue:
    pending = session.get(PENDING)
    if not isinstance(pending, dict) or time.time() - float(pending.get("at", 0)) > PENDING_SECONDS:
        session.pop(PENDING, None)
        flash(_("Please sign in again."))
        return redirect(url_for("web.auth.login"))
    form = CodeForm()
    if form.validate_on_submit():
        rt = runtime()
        with rt.transaction() as db:
            user = db.get(User, int(pending["user"]))
            ok = user is not None and user.active and check_code(
                db, user, form.code.data or "", _address(), secret=rt.settings.app.secret_key,
                now=rt.clock())
        if ok and user is not None:
            return _begin(user.id)
        # Beside the field, where the person looks (and a screen reader announces it there).
        form.code.errors = [_("That code did not work. Try the newest one from your app.")]
    return render_template("auth/code.html", form=form)


@bp.route("/logout", methods=["POST"])
@signed_in
def logout() -> ResponseReturnValue:
    if ActionForm().validate_on_submit():
        rt = runtime()
        with rt.transaction() as db:
            end_session(db, str(session.get(SESSION_KEY, "")), now=rt.clock())
    session.clear()
    flash(_("You are signed out."))
    return redirect(url_for("web.auth.login"))


@bp.route("/set-password/<token>", methods=["GET", "POST"])
@bp.route("/reset-password/<token>", methods=["GET", "POST"], endpoint="reset_password")
@public
def set_password_link(token: str) -> ResponseReturnValue:
    rt = runtime()
    with rt.sessions() as db:
        found = link_holder(db, token, now=rt.clock())
        email = found[1].email if found else None
    if email is None:
        return render_template("auth/link_gone.html"), 404
    form = NewPasswordForm()
    if form.validate_on_submit():
        try:
            with rt.transaction() as db:
                user = redeem_link(db, token, form.password.data or "", now=rt.clock())
                record(db, Actor.web(user.id, user.email), "user.password_set", now=rt.clock(),
                       subject=user.email)
        except AccountError as exc:
            form.password.errors = [*form.password.errors, reason(exc)]
        else:
            session.clear()
            flash(_("Your password is saved. Sign in with it now."))
            return redirect(url_for("web.auth.login"))
    return render_template("auth/set_password.html", form=form, email=email)


@bp.route("/forgot", methods=["GET", "POST"])
@public
def forgot() -> ResponseReturnValue:
    """A volunteer asks for a reset link by text; the answer is the same whoever asks."""
    form = ForgotForm()
    if form.validate_on_submit():
        rt = runtime()
        email = form.email.data or ""
        keys = failure_keys(rt.settings.app.secret_key, f"reset:{email}", f"reset:{_address()}")
        send_to: tuple[int, str] | None = None
        with rt.transaction() as db:
            if not throttled(db, keys, now=rt.clock()):
                note_failure(db, keys, now=rt.clock())  # each request counts toward the limit
                user = user_by_email(db, email)
                if user is not None and user.active and user.volunteer_id is not None:
                    send_to = (user.volunteer_id, issue_token(db, user, RESET, now=rt.clock()))
        if send_to is not None:
            url = url_for("web.auth.reset_password", token=send_to[1], _external=False)
            try:
                send_reset_text(rt, send_to[0], rt.settings.app.public_url.rstrip("/") + url)
            except TelephonyError:
                pass  # the same answer either way; the telephony layer has logged it
        flash(_("If that email belongs to a volunteer account, a text with a link is on its "
                "way to the phone the rota has for them. The link works once, for an hour."))
        return redirect(url_for("web.auth.login"))
    return render_template("auth/forgot.html", form=form)


@bp.route("/account", methods=["GET"])
@signed_in
def account() -> ResponseReturnValue:
    who = viewer()
    return render_template(
        "auth/account.html", password_form=ChangePasswordForm(prefix="pw"), who=who,
        totp_form=TotpForm(prefix="totp"), totp_allowed=who.role is not Role.VOLUNTEER,
        off_form=TotpOffForm(prefix="off"),
    )


@bp.route("/account/password", methods=["POST"])
@signed_in
def change_password() -> ResponseReturnValue:
    who, rt = viewer(), runtime()
    form = ChangePasswordForm(prefix="pw")
    token: str | None = None
    if form.validate_on_submit():
        with rt.transaction() as db:
            user = db.get(User, who.id)
            assert user is not None
            if not check_password(user.password_hash, form.current.data or ""):
                form.current.errors = [_("That is not your current password.")]
            else:
                try:
                    set_password(db, user, form.password.data or "", now=rt.clock())
                except AccountError as exc:
                    form.password.errors = [reason(exc)]
                else:
                    record(db, Actor.web(who.id, who.email), "user.password_change",
                           now=rt.clock(), subject=who.email)
                    token = start_session(db, user, now=rt.clock())
        if token is not None:
            session.clear()
            session[SESSION_KEY] = token
            flash(_("Password changed. Every other browser signed in as you is signed out."))
            return redirect(url_for("web.auth.account"))
    return render_template(
        "auth/account.html", password_form=form, who=who, totp_form=TotpForm(prefix="totp"),
        totp_allowed=who.role is not Role.VOLUNTEER, off_form=TotpOffForm(prefix="off")), 400


@bp.route("/account/totp", methods=["GET", "POST"])
@staff_page
def totp_setup() -> ResponseReturnValue:
    who, rt = viewer(), runtime()
    if who.has_totp:
        # A new secret replaces the old one: that takes turning codes off first (with a code).
        flash(_("Sign-in codes are already on. Turn them off first to use another app."))
        return redirect(url_for("web.auth.account"))
    form = TotpForm(prefix="totp")
    if request.method == "POST" and form.validate_on_submit():
        with rt.transaction() as db:
            user = db.get(User, who.id)
            assert user is not None
            turned_on = confirm_totp(user, form.code.data or "", now=rt.clock())
            if turned_on:
                revoke_sessions(db, who.id, now=rt.clock(), keep=who.session_id)
                record(db, Actor.web(who.id, who.email), "user.totp_on", now=rt.clock(),
                       subject=who.email)
        if turned_on:
            flash(_("Sign-in codes are on: you will be asked for one each time you sign in."))
            return redirect(url_for("web.auth.account"))
        form.code.errors = [_("That code did not match. Check the clock of your phone.")]
    with rt.transaction() as db:
        user = db.get(User, who.id)
        assert user is not None
        secret = pending_secret(user)     # kept on the account until confirmed, not in the cookie
    return render_template("auth/totp.html", form=form, secret=secret,
                           uri=totp_uri(secret, who.email))


@bp.route("/account/totp/off", methods=["POST"])
@staff_page
def totp_off() -> ResponseReturnValue:
    """Codes off only with a current code (counted against the sign-in throttle)."""
    who, rt = viewer(), runtime()
    form = TotpOffForm(prefix="off")
    if form.validate_on_submit():
        with rt.transaction() as db:
            user = db.get(User, who.id)
            assert user is not None
            ok = user.totp_secret is not None and check_code(
                db, user, form.code.data or "", _address(),
                secret=rt.settings.app.secret_key, now=rt.clock())
            if ok:
                turn_off_totp(user)
                record(db, Actor.web(who.id, who.email), "user.totp_off", now=rt.clock(),
                       subject=who.email)
        if ok:
            flash(_("Sign-in codes are off."))
            return redirect(url_for("web.auth.account"))
        form.code.errors = [_("That code did not work. Try the newest one from your app.")]
    return render_template(
        "auth/account.html", password_form=ChangePasswordForm(prefix="pw"), who=who,
        totp_form=TotpForm(prefix="totp"), totp_allowed=True, off_form=form), 400
