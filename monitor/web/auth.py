"""Who is asking: bearer tokens for programs, login sessions (cookie + CSRF) for people.

`load_user` runs before every request and sets `g.user` (or None) and `g.via`
("token" or "cookie"); cookie-authenticated state changes must carry a CSRF token.
"""
from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, current_app, g, redirect, render_template, request, session, url_for
from flask_wtf.csrf import CSRFProtect

from .. import users

blueprint = Blueprint("auth", __name__)
csrf = CSRFProtect()
UNSAFE = ("POST", "PUT", "PATCH", "DELETE")


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
        g.user, g.via = users.user_for_token(store().db, token), "token"
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
        return users.user_for_token(store().db, auth["token"])
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
        user = users.check_password(store().db, username, request.form.get("password", ""))
        if user is None:
            error = "Unknown user or wrong password."
            current_app.logger.info("login refused")
        else:
            with store().write(users.actor_for(user)) as tx:
                login_id = users.start_login(tx, user)
            session.clear()
            session["login"] = login_id
            session.permanent = True
            return redirect(safe_next(request.args.get("next")))
    return render_template("login.html", error=error), (401 if error else 200)


def safe_next(target: str | None) -> str:
    """Only same-site paths after login, never another host."""
    if target and target.startswith("/") and not target.startswith("//"):
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
