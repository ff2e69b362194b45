"""Server-rendered pages: thin views over the domain; scripts in static/ make them live."""
from __future__ import annotations

from datetime import timedelta
from functools import wraps

from flask import Blueprint, abort, current_app, g, jsonify, redirect, render_template, request, url_for

from ..errors import ApiError, NotFound
from ..record import shifts, side_effects, users
from ..rules import instruments, rulesets
from ..store import events
from ..timeutil import iso, parse_stored, stored_problem
from ..views import alarms, course, handover, lists, outcome_report, rems, reports, session_record, worklist
from ..views import dashboard as central_station
from ..views import vocabulary as words
from . import charts
from .context import (
    RECORDERS,
    REVIEWERS,
    audited_list,
    audited_read,
    moment_arg,
    page,
    rems_provider,
    report_window,
    store,
    zone,
)

blueprint = Blueprint("pages", __name__)


def login_required(view):
    @wraps(view)
    def wrapper(**kwargs):
        if g.get("user") is None:
            return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
        return view(**kwargs)
    return wrapper


def roles_required(*roles):
    """Signed in, and one of `roles`; others get 403."""
    def decorate(view):
        @wraps(view)
        @login_required
        def wrapper(**kwargs):
            if g.user["role"] not in roles:
                abort(403)
            return view(**kwargs)
        return wrapper
    return decorate


@blueprint.route("/")
@login_required
def dashboard():
    """The central station; its picture as JSON when asked (the page's own refresh)."""
    picture = central_station.picture(store().db, g.user)
    audited_read("dashboard", None)
    if request.accept_mimetypes.best_match(["text/html", "application/json"]) == "application/json":
        return jsonify(picture)
    return render_template("dashboard.html", picture=picture)


def shown_time(value: str | None, layout: str) -> str:
    """A stored time on the clinic's clock; an odd one (stored before times were checked) as it is,
    saying what is wrong with it, so that one odd row never stops the page."""
    if not value:
        return "–"
    if problem := stored_problem(value):
        return f"{value} ({problem})"
    return parse_stored(value).astimezone(zone()).strftime(layout)


@blueprint.app_template_filter("clock")
def clock_filter(value: str | None) -> str:
    """A stored time as HH:MM on the clinic's clock."""
    return shown_time(value, "%H:%M")


@blueprint.app_template_filter("clinic_time")
def clinic_time_filter(value: str | None) -> str:
    """A stored time as YYYY-MM-DD HH:MM on the clinic's clock."""
    return shown_time(value, "%Y-%m-%d %H:%M")


@blueprint.app_template_filter("minutes")
def minutes_filter(value: float | None) -> str:
    if value is None:
        return "–"
    return f"{value:.0f} min" if float(value).is_integer() else f"{value:.1f} min"


@blueprint.app_template_filter("num")
def number_filter(value) -> str:
    """A value as a monitor shows it: 122, not 122.0; a dash when there is none."""
    if value is None or value == "":
        return "–"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


@blueprint.app_context_processor
def page_globals() -> dict:
    """The vocabulary for every template; `vocabulary()` is what base.html hands the scripts (read only
    when a whole page is rendered, as it reads the rules in force)."""
    return {"clinic_zone": getattr(zone(), "key", "UTC"), "field_label": words.field_label,
            "column_label": words.short_label, "kind_label": words.kind_label,
            "state_labels": words.STATE_LABELS, "instrument_titles": words.SHORT_TITLES,
            "silence_minutes": words.SILENCE_MINUTES,
            "worklist_count": lambda: worklist.count(store().db, g.user, store().now()) if g.get("user") else 0,
            "vocabulary": lambda: words.for_scripts(rulesets.in_force(store().db))}


# The bedside page and its live panels.

def session_or_404(session_id: int, *, audited: bool = True) -> dict:
    """The whole record, with `seen_seq`: the event log's last seq read *before* it, so a live event
    the page receives later is never one the page already shows without knowing it. A page's own
    refresh (`audited=False`) writes no read entry: opening the page did."""
    db = store().db
    seen = events.last_seq(db)
    try:
        whole = session_record.session_record(db, session_id)
    except NotFound:
        abort(404)
    if audited:
        audited_read("session", session_id, session_id)
    return whole | {"seen_seq": seen}


def panels(whole: dict) -> dict:
    """What the bedside page's live panels show besides the record itself."""
    state = whole["state"]
    buttons = [{"to": to, "label": label, "reason": reason} for to in whole["allowed_transitions"] if to != "aborted"
               for label, reason in [words.TRANSITION_BUTTONS[(state, to)]]]
    if "aborted" in whole["allowed_transitions"]:
        buttons.append({"to": "aborted", "label": words.ABORT_BUTTON[0], "reason": words.ABORT_BUTTON[1]})
    current = [v for v in whole["vitals"] if v["status"] == "current"]
    latest_bp = next((v for v in reversed(current) if v.get("sbp") is not None), None)
    return {
        "buttons": buttons,
        "can_record": g.user["role"] in RECORDERS and not whole["locked"],
        "rems": esketamine_monitoring(whole) if whole["drug"] == "esketamine" else None,
        "durations": [(key, label, whole["durations"][key]) for key, label in words.DURATIONS],
        "latest_bp": latest_bp,
        "last_seq": whole["seen_seq"],
        "flowsheet": words.VITALS_FORM,  # the bedside table shows what the form takes; the printed record all
    }


def esketamine_monitoring(whole: dict) -> dict:
    """The REMS checkpoints and the observation clock of an esketamine session."""
    line, now = whole["timeline"], store().now()
    minimum = rulesets.in_force(store().db)["early_discharge"]["minutes"]
    return {"checkpoints": rems.checkpoints(line.get("infusing"), line.get("discharged"), whole["vitals"], now),
            "observation": rems.observation(line.get("infusing"), last_entered(whole, "ready"),
                                            line.get("discharged"), now, minimum)}


def last_entered(whole: dict, state: str) -> str | None:
    return next((t["at"] for t in reversed(whole["transitions"]) if t["to"] == state), None)


@blueprint.route("/sessions/<int:session_id>")
@login_required
def bedside(session_id):
    whole = session_or_404(session_id)
    asked = tuple(whole["outcomes_asked"])
    return render_template("session.html", s=whole, view=panels(whole), trends=trends_of(whole),
                           vitals_form=words.VITALS_FORM,
                           vitals_more=words.VITALS_MORE, instrument_forms=words.instrument_forms(asked),
                           side_effect_kinds=side_effects.KINDS, quick_side_effects=words.QUICK_SIDE_EFFECTS,
                           sign_meanings=words.SIGN_MEANINGS, circulation_bands=instruments.ALDRETE_CIRCULATION)


@blueprint.route("/sessions/<int:session_id>/trends")
@login_required
def bedside_trends(session_id):
    """The bedside trends drawn afresh, after a change that is more than a new reading (trends.js asks)."""
    return jsonify(trends_of(session_or_404(session_id, audited=False)))


def trends_of(whole: dict) -> dict:
    return charts.trend_figures(whole, rulesets.in_force(store().db), store().now())


@blueprint.route("/sessions/<int:session_id>/panels")
@login_required
def bedside_panels(session_id):
    """The live part of the bedside page, fetched again after every change."""
    whole = session_or_404(session_id, audited=False)
    return render_template("session_panels.html", s=whole, view=panels(whole))


@blueprint.route("/sessions/<int:session_id>/record")
@login_required
def printable_record(session_id):
    whole = session_or_404(session_id)
    chart = charts.trend_chart(whole["vitals"], whole["transitions"], zone())
    view = panels(whole) | {"flowsheet": flowsheet_columns(whole["vitals"])}
    return render_template("record.html", s=whole, view=view, chart=chart,
                           medication_flags=words.MEDICATION_FLAGS, now=iso(store().now()))


def flowsheet_columns(vitals: list[dict]) -> tuple[str, ...]:
    """The printed flowsheet's columns: HR, BP and SpO2 always, the others when the session has them."""
    always = ("hr", "sbp", "dbp", "map", "spo2")
    return tuple(c for c in words.FLOWSHEET if c in always or any(v.get(c) is not None for v in vitals))


# Check-in.

@blueprint.route("/sessions/new")
@roles_required(*RECORDERS)
def new_session():
    rules = rulesets.in_force(store().db)["baseline_bp"]["low"]
    return render_template("session_new.html", medication_flags=words.MEDICATION_FLAGS,
                           baseline_sbp=rules["sbp"]["above"], baseline_dbp=rules["dbp"]["above"],
                           baseline_fields=words.BASELINE_FIELDS, planned_minutes=words.PLANNED_MINUTES)


# The treatment series, the clinic's figures, administration.

@blueprint.route("/patients/<int:patient_id>")
@login_required
def patient(patient_id):
    db = store().db
    try:
        series = course.course(db, patient_id, store().now())
    except NotFound:
        abort(404)
    audited_read("patient", patient_id)
    settings = rulesets.in_force(db)["outcomes"]
    outcome_charts = {name: charts.still(figure) for name, figure in course.charts(series, settings).items()}
    return render_template("patient.html", patient=series, rows=series["sessions"], outcome_charts=outcome_charts,
                           outcome_titles=words.SHORT_TITLES, figures=charts.series_figures(series["sessions"]))


@blueprint.route("/reports")
@login_required
def clinic_reports():
    """The clinic's figures; for clinicians and admins also the alarm review of `?from=&to=` (the last week)."""
    figures = reports.clinic_report(store().db, store().now(), zone())
    review = alarm_charts = None
    if g.user["role"] in REVIEWERS:
        review = alarms.alarm_review(store().db, *report_window())
        alarm_charts = {name: charts.in_the_look(figure) for name, figure in alarms.charts(review).items()}
    clinic_outcomes = outcome_report.outcome_report(store().db, store().now())
    outcome_charts = {name: charts.in_the_look(figure)
                      for name, figure in outcome_report.charts(clinic_outcomes).items()}
    return render_template("reports.html", report=figures, figures=charts.report_figures(figures), review=review,
                           alarm_charts=alarm_charts, alarm_title=words.alarm_title, outcomes=clinic_outcomes,
                           outcome_charts=outcome_charts, outcome_titles=words.SHORT_TITLES)


@blueprint.route("/admin")
@roles_required(*REVIEWERS)
def admin():
    db = store().db
    listed = users.list_all(db) if g.user["role"] == "admin" else []
    rules = rulesets.in_force(db)
    return render_template("admin.html", users=listed, roles=users.ROLES, rules=rules,
                           settings=words.threshold_settings(rules), versions=rulesets.versions(db))


# Records in and out: the import page, the esketamine REMS form and the forms not yet submitted.


@blueprint.route("/sessions/<int:session_id>/import")
@roles_required(*RECORDERS)
def import_page(session_id):
    whole = session_or_404(session_id)
    return render_template("import.html", s=whole, preview_fields=words.PREVIEW_FIELDS,
                           max_upload_bytes=current_app.extensions["monitor.config"].max_upload_bytes)


@blueprint.route("/sessions/<int:session_id>/rems")
@login_required
def rems_form(session_id):
    """The printable REMS Patient Monitoring Form; rems.js marks it submitted through the API."""
    try:
        form = rems.monitoring_form(store().db, session_id, store().now(), rems_provider())
    except NotFound:
        abort(404)
    audited_read("rems_form", session_id, session_id)
    medicines = [(key, words.MEDICATION_FLAGS[key]) for key in rems.REMS_MEDICINES]
    return render_template("rems.html", f=form, due_days=rems.DUE_DAYS, rems_medicines=medicines)


@blueprint.route("/rems")
@login_required
def rems_list():
    """The forms not yet submitted, a page at a time on the API's cursor (the oldest due first)."""
    rows, following = page("rems", lambda after, limit: rems.pending(store().db, store().now(), after, limit))
    audited_list("rems", rows)
    more = url_for("pages.rems_list", **(request.args.to_dict() | {"cursor": following})) if following else None
    return render_template("rems_list.html", rows=rows, due_days=rems.DUE_DAYS, next_url=more)


# The handover sheet at the change of shift.

@blueprint.route("/handover")
@roles_required(*RECORDERS)
def handover_sheet():
    """Every chair on one page; the page re-reads its blocks (`/handover/blocks`) on every live event."""
    sheet, db = shift_handover(), store().db
    chairs = sorted({b["chair"] for b in sheet["blocks"] if not b["ended_at"]}, key=shifts.chair_order)
    nurses = [u["username"] for u in users.list_all(db)
              if u["role"] in RECORDERS and not u["disabled"] and u["id"] != g.user["id"]]
    return render_template("handover.html", sheet=sheet, chairs=chairs, nurses=nurses,
                           my_chairs=shifts.chairs_of(db, g.user["id"]), handovers=shifts.for_user(db, g.user["id"]))


@blueprint.route("/handover/blocks")
@roles_required(*RECORDERS)
def handover_blocks():
    return render_template("handover_blocks.html", sheet=shift_handover())


def shift_handover() -> dict:
    """The sheet since `?since=` (clinic time without an offset), by default the last MONITOR_SHIFT_HOURS."""
    now = store().now()
    since = moment_arg("since") or now - timedelta(hours=current_app.extensions["monitor.config"].shift_hours)
    sheet = handover.handover(store().db, now, since)
    audited_read("handover_sheet", None)
    return sheet


# Finding any session, and what is waiting (issue 13).

SESSION_FILTERS = ("from", "to", "patient", "state", "chair", "signed")


@blueprint.route("/sessions")
@login_required
def session_list():
    """Every session, newest first, filtered and a page at a time (the cursor is the API's own)."""
    args = request.args.to_dict() | {"state": request.args.get("state") or "all"}
    try:
        rows, following = page("sessions", lambda after, limit: lists.session_page(store().db, args, zone(),
                                                                                   after, limit))
        problem = None
        audited_list("sessions", rows)
    except ApiError as error:
        rows, following, problem = [], None, error
    shown = {name: request.args.get(name, "") for name in SESSION_FILTERS}
    next_args = {k: v for k, v in request.args.items() if k != "cursor"} | {"cursor": following}
    return render_template("sessions.html", rows=rows, filters=shown, problem=problem,
                           next_url=url_for("pages.session_list", **next_args) if following else None,
                           states=words.STATE_LABELS), 400 if problem else 200


@blueprint.route("/worklist")
@login_required
def worklist_page():
    seen = events.last_seq(store().db)  # read first: an event after it is one the page does not show yet
    waiting = worklist.worklist(store().db, g.user, store().now())
    return render_template("worklist.html", w=waiting, sign_meanings=words.SIGN_MEANINGS, last_seq=seen)


@blueprint.route("/worklist/panel")
@login_required
def worklist_panel():
    """The worklist's live part, fetched again by worklist.js after each event that may change it."""
    return render_template("worklist_panel.html", w=worklist.worklist(store().db, g.user, store().now()),
                           sign_meanings=words.SIGN_MEANINGS)
