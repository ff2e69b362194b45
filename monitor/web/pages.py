"""Server-rendered pages: thin views over the domain; scripts in static/ make them live."""
from __future__ import annotations

from datetime import timedelta
from functools import wraps

from flask import Blueprint, abort, current_app, g, jsonify, redirect, render_template, request, url_for

from ..errors import BadRequest, NotFound
from ..record import side_effects, users
from ..rules import alert_rules, instruments, rulesets, validation
from ..store import events
from ..timeutil import iso, parse, parse_stored
from ..views import alarms, course, handover, rems, reports, session_record
from ..views import dashboard as central_station
from . import charts
from .api.common import RECORDERS, REVIEWERS, audited_read, store, zone
from .api.reports import window as alarm_window

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


# What the pages show, as data.

# The state buttons of the contract: (from, to) → (label, whether a reason is asked).
TRANSITION_BUTTONS = {
    ("scheduled", "baseline"): ("Begin baseline", None),
    ("baseline", "infusing"): ("Start infusion", None),
    ("infusing", "paused"): ("Pause infusion", "optional"),
    ("paused", "infusing"): ("Resume infusion", None),
    ("infusing", "recovery"): ("End infusion", None),
    ("paused", "recovery"): ("End infusion", None),
    ("recovery", "ready"): ("Ready for discharge", None),
    ("ready", "recovery"): ("Back to recovery", "optional"),
    ("ready", "discharged"): ("Discharge", None),
}
ABORT_BUTTON = ("Abort session", "required")
STATE_LABELS = {"scheduled": "Scheduled", "baseline": "Baseline", "infusing": "Infusing", "paused": "Paused",
                "recovery": "Recovery", "ready": "Ready for discharge", "discharged": "Discharged",
                "aborted": "Aborted"}
DURATIONS = (("infusion", "Infusion (pauses excluded)"), ("paused", "Paused"),
             ("recovery", "Recovery (infusion end to ready)"), ("discharge_wait", "Ready to discharged"),
             ("observation", "Observation (first dose to discharge)"), ("total", "Total (baseline to discharge)"))
VITALS_FORM = ("hr", "sbp", "dbp", "spo2", "rr", "temp_c", "moaas", "pain")  # contract §4 tab order
VITALS_MORE = ("etco2", "o2_lpm")
FLOWSHEET = ("hr", "sbp", "dbp", "map", "spo2", "rr", "temp_c", "etco2", "o2_lpm", "consciousness", "moaas", "pain")
BEDSIDE_COLUMNS = VITALS_FORM  # the bedside table shows what the form takes; the printed record shows all
COLUMN_LABELS = {"map": ("MAP", "mmHg"), "temp_c": ("Temp", "°C"), "o2_lpm": ("O2", "L/min"),
                 "consciousness": ("ACVPU", "")}  # short table headings; forms use the validation labels
QUICK_SIDE_EFFECTS = ("nausea", "vomiting", "dissociation", "dizziness", "headache", "anxiety", "sedation",
                      "hypertension", "blurred_vision")
MEDICATION_FLAGS = {"benzodiazepines": "Benzodiazepines", "sedative_hypnotics": "Non-benzodiazepine sedative hypnotics",
                    "psychostimulants": "Psychostimulants", "maois": "MAOIs", "opioids": "Opioids",
                    "lamotrigine": "Lamotrigine"}
SIGN_MEANINGS = ("Reviewed and approved", "Reviewed: supervised the session", "Reviewed with comments in addenda")

# Item labels and anchor texts of the instruments; ranges and discharge rules come from instruments.py.
INSTRUMENT_TEXTS = {
    "aldrete": ("Aldrete (modified)", {
        "activity": ("Activity", {2: "Moves four limbs", 1: "Moves two limbs", 0: "Moves no limbs"}),
        "respiration": ("Respiration", {2: "Breathes deeply, coughs freely", 1: "Dyspnoea or limited breathing",
                                        0: "Apnoeic"}),
        "circulation": ("Circulation", {2: "BP within ±20 mmHg of baseline", 1: "BP ±20–50 mmHg of baseline",
                                        0: "BP beyond ±50 mmHg of baseline"}),
        "consciousness": ("Consciousness", {2: "Fully awake", 1: "Arousable on calling", 0: "Not responding"}),
        "spo2": ("SpO2", {2: "Above 92% on room air", 1: "Needs O2 to keep above 90%", 0: "Below 90% with O2"}),
    }),
    "padss": ("PADSS (modified)", {
        "vital_signs": ("Vital signs", {2: "Within 20% of baseline", 1: "20–40% of baseline",
                                        0: "More than 40% off baseline"}),
        "ambulation": ("Ambulation", {2: "Steady gait, no dizziness", 1: "With assistance", 0: "Not ambulating"}),
        "nausea_vomiting": ("Nausea and vomiting", {2: "Minimal", 1: "Moderate", 0: "Severe"}),
        "pain": ("Pain", {2: "Minimal", 1: "Moderate", 0: "Severe"}),
        "bleeding": ("Bleeding", {2: "Minimal", 1: "Moderate", 0: "Severe"}),
    }),
    "moaas": ("MOAA/S", {
        "score": ("Responsiveness", {5: "Responds readily to name in normal tone",
                                     4: "Lethargic response to name in normal tone",
                                     3: "Responds only to name called loudly or repeatedly",
                                     2: "Responds only after mild prodding or shaking",
                                     1: "Responds only after painful trapezius squeeze",
                                     0: "No response to painful trapezius squeeze"}),
    }),
    "cadss": ("CADSS", {}),
    "bprs_plus": ("BPRS+", {
        "suspiciousness": ("Suspiciousness", {}), "hallucinations": ("Hallucinations", {}),
        "unusual_thought_content": ("Unusual thought content", {}),
        "conceptual_disorganization": ("Conceptual disorganisation", {}),
    }),
}


SHORT_TITLES = {"aldrete": "Aldrete", "padss": "PADSS", "moaas": "MOAA/S", "cadss": "CADSS", "bprs_plus": "BPRS+"} | {
    key: spec["title"].split(" (")[0] for key, spec in instruments.OUTCOMES.items()}


def instrument_texts(key: str) -> tuple[str, dict]:
    """An instrument's title and its items' (label, anchors): an outcome measure's own short labels."""
    if key in INSTRUMENT_TEXTS:
        return INSTRUMENT_TEXTS[key]
    spec = instruments.OUTCOMES[key]
    return spec["title"], {name: (f"{n}. {label}", spec["anchors"])
                           for n, (name, label) in enumerate(zip(spec["items"], spec["labels"]), start=1)}


def instrument_forms(asked: tuple[str, ...] = ()) -> list[dict]:
    """Each instrument's items with their choices, from the same tables the server scores with; the
    outcome measures the session asks for first."""
    forms = []
    keys = [*asked, *(k for k in instruments.INSTRUMENTS if k not in asked)]
    for key in keys:
        spec = instruments.INSTRUMENTS[key]
        title, texts = instrument_texts(key)
        items = []
        for name, (low, high) in spec["items"].items():
            label, anchors = texts.get(name, (name.replace("_", " ").capitalize(), {}))
            choices = [(v, f"{v} · {anchors[v]}" if v in anchors else str(v)) for v in range(high, low - 1, -1)]
            items.append({"name": name, "label": label, "choices": choices})
        forms.append({"key": key, "title": title, "items": items, "discharge_min": spec["discharge_min"],
                      "total": spec.get("total"), "max": sum(high for _, high in spec["items"].values()),
                      "outcome": key in instruments.OUTCOMES, "asked": key in asked})
    return forms


def field_label(name: str) -> tuple[str, str]:
    """A vitals field's label and unit, from the validation table."""
    bounds = validation.BOUNDS[name]
    return bounds.label, bounds.unit


def column_label(name: str) -> tuple[str, str]:
    """A vitals column's heading and unit: short where the form's label is long (MAP is computed)."""
    return COLUMN_LABELS.get(name) or field_label(name)


def kind_label(kind: str) -> str:
    return kind.replace("_", " ").capitalize()


@blueprint.app_template_filter("clock")
def clock_filter(value: str | None) -> str:
    """A stored time as HH:MM on the clinic's clock."""
    return parse_stored(value).astimezone(zone()).strftime("%H:%M") if value else "–"


@blueprint.app_template_filter("clinic_time")
def clinic_time_filter(value: str | None) -> str:
    """A stored time as YYYY-MM-DD HH:MM on the clinic's clock."""
    return parse_stored(value).astimezone(zone()).strftime("%Y-%m-%d %H:%M") if value else "–"


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
    return {"clinic_zone": getattr(zone(), "key", "UTC"), "field_label": field_label,
            "column_label": column_label, "kind_label": kind_label,
            "state_labels": STATE_LABELS, "instrument_titles": SHORT_TITLES}


# The bedside page and its live panels.

def session_or_404(session_id: int) -> dict:
    """The whole record, with `seen_seq`: the event log's last seq read *before* it, so a live event
    the page receives later is never one the page already shows without knowing it."""
    db = store().db
    seen = events.last_seq(db)
    try:
        whole = session_record.session_record(db, session_id)
    except NotFound:
        abort(404)
    audited_read("session", session_id, session_id)
    return whole | {"seen_seq": seen}


def panels(whole: dict) -> dict:
    """What the bedside page's live panels show besides the record itself."""
    state = whole["state"]
    buttons = [{"to": to, "label": TRANSITION_BUTTONS[(state, to)][0], "reason": TRANSITION_BUTTONS[(state, to)][1]}
               for to in whole["allowed_transitions"] if to != "aborted"]
    if "aborted" in whole["allowed_transitions"]:
        buttons.append({"to": "aborted", "label": ABORT_BUTTON[0], "reason": ABORT_BUTTON[1]})
    current = [v for v in whole["vitals"] if v["status"] == "current"]
    latest_bp = next((v for v in reversed(current) if v.get("sbp") is not None), None)
    return {
        "buttons": buttons,
        "can_record": g.user["role"] in RECORDERS and not whole["locked"],
        "rems": esketamine_monitoring(whole) if whole["drug"] == "esketamine" else None,
        "durations": [(key, label, whole["durations"][key]) for key, label in DURATIONS],
        "latest_bp": latest_bp,
        "last_seq": whole["seen_seq"],
        "flowsheet": BEDSIDE_COLUMNS,
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
    return render_template("session.html", s=whole, view=panels(whole), vitals_form=VITALS_FORM,
                           vitals_more=VITALS_MORE, instrument_forms=instrument_forms(tuple(whole["outcomes_asked"])),
                           side_effect_kinds=side_effects.KINDS, quick_side_effects=QUICK_SIDE_EFFECTS,
                           sign_meanings=SIGN_MEANINGS, circulation_bands=instruments.ALDRETE_CIRCULATION)


@blueprint.route("/sessions/<int:session_id>/panels")
@login_required
def bedside_panels(session_id):
    """The live part of the bedside page, fetched again after every change."""
    whole = session_or_404(session_id)
    return render_template("session_panels.html", s=whole, view=panels(whole))


@blueprint.route("/sessions/<int:session_id>/record")
@login_required
def printable_record(session_id):
    whole = session_or_404(session_id)
    chart = charts.trend_chart(whole["vitals"], whole["transitions"], zone())
    view = panels(whole) | {"flowsheet": flowsheet_columns(whole["vitals"])}
    return render_template("record.html", s=whole, view=view, chart=chart,
                           medication_flags=MEDICATION_FLAGS, now=iso(store().now()))


def flowsheet_columns(vitals: list[dict]) -> tuple[str, ...]:
    """The printed flowsheet's columns: HR, BP and SpO2 always, the others when the session has them."""
    always = ("hr", "sbp", "dbp", "map", "spo2")
    return tuple(c for c in FLOWSHEET if c in always or any(v.get(c) is not None for v in vitals))


# Check-in.

@blueprint.route("/sessions/new")
@roles_required(*RECORDERS)
def new_session():
    rules = rulesets.in_force(store().db)["baseline_bp"]["low"]
    return render_template("session_new.html", medication_flags=MEDICATION_FLAGS,
                           baseline_sbp=rules["sbp"]["above"], baseline_dbp=rules["dbp"]["above"],
                           baseline_fields=("hr", "sbp", "dbp", "spo2", "rr", "temp_c"))


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
    return render_template("patient.html", patient=series, rows=series["sessions"],
                           outcome_charts=course.charts(series, settings), outcome_titles=SHORT_TITLES)


@blueprint.route("/reports")
@login_required
def clinic_reports():
    """The clinic's figures; for clinicians and admins also the alarm review of `?from=&to=` (the last week)."""
    figures = reports.clinic_report(store().db, store().now(), zone())
    review = charts_of = None
    if g.user["role"] in REVIEWERS:
        review = alarms.alarm_review(store().db, *alarm_window())
        charts_of = alarms.charts(review)
    return render_template("reports.html", report=figures, review=review, alarm_charts=charts_of,
                           alarm_title=alarm_title)


def alarm_title(key: str) -> str:
    """An alarm's rule as the thresholds page names it, without the setting's unit."""
    return RULE_TITLES.get(key, kind_label(key)).split(" (")[0]


RULE_TITLES = {"bp_high": "High BP", "bp_rise": "BP rise over baseline", "sbp_low": "Low SBP", "hr": "Heart rate",
               "spo2": "SpO2", "rr": "Respiratory rate", "temp": "Temperature", "sedation": "Sedation",
               "news2": "NEWS2", "vitals_overdue": "Vitals overdue (minutes)", "baseline_bp": "Baseline BP at start",
               "infusion_overtime": "Infusion overtime (minutes)",
               "early_discharge": "Esketamine observation (minutes)",
               "reraise_after_minutes": "Raise an acknowledged alert again after (minutes)",
               "max_silence_minutes": "Longest silence (minutes)"}
COMPARISON_WORDS = {"above": ">", "at_least": "≥", "below": "<", "at_most": "≤"}


def threshold_settings(rules: dict) -> list[dict]:
    """Every number of the rules in force as a labelled setting, grouped by rule; `path` names it in the JSON."""
    groups = []
    for key, rule in rules.items():
        settings = [{"path": ".".join((key, *path)), "label": setting_label(path), "value": value}
                    for path, value in number_leaves(rule)]
        if settings:
            groups.append({"key": key, "title": RULE_TITLES.get(key, kind_label(key)), "settings": settings})
    return groups


def number_leaves(node, path: tuple[str, ...] = ()):
    if isinstance(node, dict):
        for name, child in node.items():
            yield from number_leaves(child, (*path, name))
    elif isinstance(node, (int, float)) and not isinstance(node, bool):
        yield path, node


def setting_label(path: tuple[str, ...]) -> str:
    """("hr", "medium", "hr", "above") reads "medium: HR >"; a bare setting reads as its own name."""
    if len(path) == 3 and path[2] in COMPARISON_WORDS:
        priority, measure, comparison = path
        return f"{priority}: {alert_rules.LABELS.get(measure, measure)} {COMPARISON_WORDS[comparison]}"
    return " ".join(part.replace("_", " ") for part in path) or "value"


@blueprint.route("/admin")
@roles_required(*REVIEWERS)
def admin():
    db = store().db
    listed = users.list_all(db) if g.user["role"] == "admin" else []
    rules = rulesets.in_force(db)
    return render_template("admin.html", users=listed, roles=users.ROLES, rules=rules,
                           settings=threshold_settings(rules), versions=rulesets.versions(db))


# Records in and out: the import page, the esketamine REMS form and the forms not yet submitted.

PREVIEW_FIELDS = ("hr", "sbp", "dbp", "spo2", "rr", "temp_c", "etco2", "o2_lpm")


@blueprint.route("/sessions/<int:session_id>/import")
@roles_required(*RECORDERS)
def import_page(session_id):
    whole = session_or_404(session_id)
    return render_template("import.html", s=whole, preview_fields=PREVIEW_FIELDS,
                           max_upload_bytes=current_app.extensions["monitor.config"].max_upload_bytes)


@blueprint.route("/sessions/<int:session_id>/rems")
@login_required
def rems_form(session_id):
    """The printable REMS Patient Monitoring Form; rems.js marks it submitted through the API."""
    try:
        form = rems.monitoring_form(store().db, session_id, store().now())
    except NotFound:
        abort(404)
    audited_read("rems_form", session_id, session_id)
    return render_template("rems.html", f=form, due_days=rems.DUE_DAYS)


@blueprint.route("/rems")
@login_required
def rems_list():
    rows, _ = rems.pending(store().db, store().now(), limit=1000)
    return render_template("rems_list.html", rows=rows, due_days=rems.DUE_DAYS)


# The handover sheet at the change of shift.

@blueprint.route("/handover")
@roles_required(*RECORDERS)
def handover_sheet():
    """Every chair on one page; the page re-reads its blocks (`/handover/blocks`) on every live event."""
    sheet = shift_handover()
    return render_template("handover.html", sheet=sheet)


@blueprint.route("/handover/blocks")
@roles_required(*RECORDERS)
def handover_blocks():
    return render_template("handover_blocks.html", sheet=shift_handover())


def shift_handover() -> dict:
    """The sheet since `?since=` (clinic time without an offset), by default the last MONITOR_SHIFT_HOURS."""
    now = store().now()
    raw = request.args.get("since")
    try:
        since = parse(raw, zone()) if raw else now - timedelta(hours=current_app.extensions["monitor.config"]
                                                                .shift_hours)
    except ValueError:
        raise BadRequest("since is not an ISO 8601 time", {"since": "is not an ISO 8601 time"}) from None
    sheet = handover.handover(store().db, now, since)
    audited_read("handover", None)
    return sheet
