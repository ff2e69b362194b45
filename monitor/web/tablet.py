"""The tablet self-report mode: a nurse hands the tablet to the patient, who answers one self-report
questionnaire (PHQ-9, GAD-7, PCL-5) and nothing else; the answers are saved as the patient's, entered by
the nurse's login. While the mode is on, the login session reaches only the questionnaire and the one
assessment it saves (`guard`); leaving the mode needs the nurse's password.
"""
from __future__ import annotations

from flask import Blueprint, abort, g, jsonify, redirect, render_template, request, session, url_for

from ..errors import Forbidden, NotFound, ValidationFailed
from ..record import sessions, users
from ..rules import instruments
from ..views import vocabulary as words
from .context import RECORDERS, store

blueprint = Blueprint("tablet", __name__)
MODE = "tablet"  # the login session's key while the mode is on: {"session_id", "instrument"}
SELF_REPORTS = tuple(k for k, spec in instruments.OUTCOMES.items() if spec["rated_by"] == "patient")
OPEN_IN_MODE = ("tablet.questionnaire", "tablet.leave", "static", "auth.logout")


@blueprint.app_context_processor
def self_reports() -> dict:
    """The bedside page offers the tablet for these."""
    return {"self_reports": SELF_REPORTS}


@blueprint.route("/sessions/<int:session_id>/self-report")
def questionnaire(session_id):
    """Start (or show again) the mode for one session and one instrument (`?instrument=`, PHQ-9 first)."""
    if g.get("user") is None:
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
    if g.user["role"] not in RECORDERS:
        abort(403)
    held = session.get(MODE)
    instrument = held["instrument"] if held else request.args.get("instrument", SELF_REPORTS[0])
    if instrument not in SELF_REPORTS or (held and held["session_id"] != session_id):
        abort(404)
    try:
        sessions.get(store().db, session_id)
    except NotFound:
        abort(404)
    session[MODE] = {"session_id": session_id, "instrument": instrument}
    spec = instruments.OUTCOMES[instrument]
    items = [{"name": name, "label": label,
              "choices": [(v, spec["anchors"].get(v, str(v))) for v in range(low, high + 1)]}
             for (name, (low, high)), label in zip(spec["items"].items(), spec["labels"])]
    return render_template("tablet.html", session_id=session_id, instrument=instrument,
                           title=words.SHORT_TITLES[instrument], items=items, asks=spec["asks"])


@blueprint.route("/self-report/leave", methods=["POST"])
def leave():
    """End the mode: only with the signed-in nurse's password."""
    held = session.get(MODE)
    if g.get("user") is None or held is None:
        raise Forbidden("the tablet is not in self-report mode")
    password = (request.get_json(silent=True) or {}).get("password")
    if not isinstance(password, str) or users.check_password(store().db, g.user["username"], password) is None:
        raise ValidationFailed("the password is not right", {"password": "is not right"})
    session.pop(MODE)
    return jsonify({"next": url_for("pages.bedside", session_id=held["session_id"])})


def guard():
    """While the mode is on, every other page leads back to the questionnaire and every other API call is
    refused: nothing of other patients, no navigation, until the nurse's password ends it."""
    held = session.get(MODE)
    if not held or g.get("user") is None or request.endpoint in OPEN_IN_MODE:
        return None
    if request.endpoint == "api.post_record_assessment" and request.view_args == {"session_id": held["session_id"]}:
        return None
    if request.path.startswith("/api/"):
        raise Forbidden("the tablet is in self-report mode: the nurse's password ends it")
    return redirect(url_for("tablet.questionnaire", session_id=held["session_id"]))
