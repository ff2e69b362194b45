"""Who is asking: bearer tokens for programs, login sessions (cookie + CSRF) for people.

`load_user` runs before every request and sets `g.user` (or None) and `g.via`
("token" or "cookie"); cookie-authenticated state changes must carry a CSRF token.
"""
from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, Flask, current_app, g, make_response, redirect, render_template, request, session, url_for
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_wtf.csrf import CSRFProtect

from ..config import Config
from ..record import users

blueprint = Blueprint("auth", __name__)
csrf = CSRFProtect()
UNSAFE = ("POST", "PUT", "PATCH", "DELETE")
REFUSED = "Unknown user or wrong password."
# One address may fail this many times the per-user allowance (a clinic shares one address).
FAILURES_PER_ADDRESS_FACTOR = 6


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


def init_login_limits(app: Flask, cfg: Config) -> Limiter:
    """Failed sign-ins are counted per user name and per address (Flask-Limiter, moving window);
    past the allowance that name or address is locked out until the window has passed."""
    limiter = Limiter(get_remote_address, app=app, storage_uri="memory://", strategy="moving-window",
                      headers_enabled=True, default_limits=[])
    window = f"per {cfg.login_lockout_seconds} seconds"
    per_user = f"{cfg.login_max_failures} {window}"
    per_address = f"{cfg.login_max_failures * FAILURES_PER_ADDRESS_FACTOR} {window}"
    view = app.view_functions["auth.login"]
    view = limiter.limit(per_user, key_func=submitted_username, methods=["POST"], deduct_when=failed,
                         on_breach=locked_out)(view)
    view = limiter.limit(per_address, methods=["POST"], deduct_when=failed, on_breach=locked_out)(view)
    app.view_functions["auth.login"] = view
    # Only sign-ins are limited: every other request skips the limiter's bookkeeping.
    limiter.request_filter(lambda: request.endpoint != "auth.login")
    app.extensions["monitor.login_limiter"] = limiter
    return limiter


def submitted_username() -> str:
    """The user name tried, known or not, so a lockout says nothing about who exists; hashed, because
    the limiter's key may be logged and a user name field sometimes holds a mistyped password."""
    return "user:" + users.token_hash(request.form.get("username", ""))[:32]


def failed(response) -> bool:
    return response.status_code == 401


def locked_out(limit):
    """The same answer whoever was tried: too many failures, try again later."""
    minutes = max(1, round(config().login_lockout_seconds / 60))
    current_app.logger.warning("login locked out", extra={"event": "login.locked_out", "remote": request.remote_addr})
    message = f"Too many failed sign-ins. Try again in {minutes} minute{'s' if minutes != 1 else ''}."
    return make_response(render_template("login.html", error=message), 429)
