"""Who is asking: bearer tokens for programs, login sessions (cookie + CSRF) for people.

`load_user` runs before every request and sets `g.user` (or None) and `g.via`
("token" or "cookie"); cookie-authenticated state changes must carry a CSRF token.
"""
from __future__ import annotations

import re
from datetime import timedelta

from flask import Blueprint, current_app, g, make_response, redirect, render_template, request, session, url_for
from flask_wtf.csrf import CSRFProtect

from ..errors import LockedOut
from ..record import users
from ..store.db import SYSTEM

blueprint = Blueprint("auth", __name__)
csrf = CSRFProtect()
UNSAFE = ("POST", "PUT", "PATCH", "DELETE")
REFUSED = "Unknown user or wrong password."
# One address may fail this many times the per-user allowance (a clinic shares one address).
FAILURES_PER_ADDRESS_FACTOR = 6
SAME_SITE_PATH = re.compile(r"/(?![/\\])[\x21-\x7e]*")  # printable ASCII, no space; a first `/` alone


def store():
    return current_app.extensions["monitor.store"]


def config():
    return current_app.extensions["monitor.config"]


def bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def load_user() -> None:
    """Resolve the caller; enforce CSRF on cookie-authenticated state changes."""
    g.user, g.via = None, None
    token = bearer_token()
    if token:
        g.user, g.via = users.user_for_token(store().db, token, store().now()), "token"
        return
    login_id = session.get("login")
    if login_id:
        cfg = config()
        now = store().now()
        user, refresh = users.user_for_login(store().db, login_id, now,
                                             timedelta(minutes=cfg.idle_timeout_minutes),
                                             timedelta(hours=cfg.absolute_timeout_hours))
        if user is None:
            session.clear()
        else:
            g.user, g.via = user, "cookie"
            if refresh:
                users.touch_login(store().db, login_id, now)
    # Anonymous API calls get their 401 from the route; cookie users and forms need the CSRF token.
    if request.method in UNSAFE and (g.via == "cookie" or not request.path.startswith("/api/")):
        csrf.protect()


def user_for_socket(auth: dict | None) -> dict | None:
    """The user of a Socket.IO connection: a token in `auth`, or the login cookie."""
    if isinstance(auth, dict) and isinstance(auth.get("token"), str):
        return users.user_for_token(store().db, auth["token"], store().now())
    login_id = session.get("login")
    if not login_id:
        return None
    cfg = config()
    user, _ = users.user_for_login(store().db, login_id, store().now(),
                                   timedelta(minutes=cfg.idle_timeout_minutes),
                                   timedelta(hours=cfg.absolute_timeout_hours))
    if user:
        user = user | {"login": login_id}
    return user


@blueprint.route("/login", methods=["GET", "POST"])
def login():
    """The login form; a new login session id on every success."""
    error = None
    if request.method == "POST":
        username = request.form.get("username", "")
        try:
            user = checked_password(username, request.form.get("password", ""))
        except LockedOut as locked:
            return locked_out(locked)
        if user is None:
            error = REFUSED
            current_app.logger.info("login refused", extra={"event": "login.refused", "remote": request.remote_addr})
        else:
            with store().write(users.actor_for(user)) as tx:
                login_id = users.start_login(tx, user)
            session.clear()
            session["login"] = login_id
            session.permanent = True
            return redirect(safe_next(request.args.get("next")))
    return render_template("login.html", error=error), (401 if error else 200)


def safe_next(target: str | None) -> str:
    """Only a path of this site after login, never another host: one leading slash, then no slash or
    backslash, and no control character or space anywhere (a browser drops a tab or newline, so
    `/%09/evil.example` would become `//evil.example`)."""
    if target and SAME_SITE_PATH.fullmatch(target):
        return target
    return url_for("pages.dashboard")


@blueprint.route("/logout", methods=["POST"])
def logout():
    login_id = session.get("login")
    if login_id and g.user:
        with store().write(users.actor_for(g.user)) as tx:
            users.end_login(tx, login_id)
        current_app.extensions["monitor.on_logout"](login_id)
    session.clear()
    return redirect(url_for("auth.login"))


def checked_password(username: str, password: str) -> dict | None:
    """The user when the password is right, None when not; LockedOut once the name tried (or this address)
    has failed MONITOR_LOGIN_MAX_FAILURES times (six times that for an address: a clinic shares one) in
    the lockout window. The login form and the sign endpoint share these counts."""
    cfg = config()
    allowances = {lockout_key("user", users.canonical_name(username)): cfg.login_max_failures,
                  lockout_key("address", request.remote_addr or ""):
                      cfg.login_max_failures * FAILURES_PER_ADDRESS_FACTOR}
    window = timedelta(seconds=cfg.login_lockout_seconds)
    with store().write(SYSTEM) as tx:
        places = users.begin_password_check(tx, allowances, window, locked_message())
    user = None
    try:
        user = users.check_password(store().db, username, password)
    finally:
        with store().write(SYSTEM) as tx:
            users.end_password_check(tx, places, failed=user is None)
    return user


def lockout_key(kind: str, value: str) -> str:
    """A user name tried, known or not (so a lockout says nothing about who exists), or an address; hashed,
    because a user name field sometimes holds a mistyped password."""
    return f"{kind}:" + users.token_hash(value)[:32]


def locked_message() -> str:
    minutes = max(1, round(config().login_lockout_seconds / 60))
    return f"Too many failed sign-ins. Try again in {minutes} minute{'s' if minutes != 1 else ''}."


def locked_out(locked: LockedOut):
    """The same answer whoever was tried: too many failures, try again later."""
    current_app.logger.warning("login locked out", extra={"event": "login.locked_out", "remote": request.remote_addr})
    response = make_response(render_template("login.html", error=locked.message), 429)
    response.headers["Retry-After"] = str(locked.retry_after)
    return response
