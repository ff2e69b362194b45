"""Server-rendered pages: thin views over the domain; scripts in static/ make them live."""
from __future__ import annotations

from functools import wraps

from flask import Blueprint, current_app, g, redirect, render_template, request, url_for

from .. import record, sessions

blueprint = Blueprint("pages", __name__)


def store():
    return current_app.extensions["monitor.store"]


def login_required(view):
    @wraps(view)
    def wrapper(**kwargs):
        if g.get("user") is None:
            return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
        return view(**kwargs)
    return wrapper


@blueprint.route("/")
@login_required
def dashboard():
    db = store().db
    active = [record.session_summary(db, i) for i in sessions.list_ids(db, "active")]
    return render_template("dashboard.html", sessions=active)
