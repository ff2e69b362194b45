"""The clinic's words and the numbers the pages show, written once.

Field labels and units, state words, priority ranks and words, the final states, instrument names
and item texts, and the settings of the rules in force a page needs (overdue minutes, silence
minutes). Jinja reads them from the page context; the scripts from one JSON attribute on <body>
(`for_scripts`, read by static/js/vocabulary.js), so no script types a label or a clinical number.

It sits in views/ because it gathers from both rules/ (bounds, alert labels, instruments) and
record/ (states, side-effect kinds, medication flags), which rules/ may not import.
"""
from __future__ import annotations

from ..record import sessions, side_effects, users
from ..record.vitals import NEWS2_WINDOW
from ..rules import alert_rules, instruments, validation

STATE_LABELS = {"scheduled": "Scheduled", "baseline": "Baseline", "infusing": "Infusing", "paused": "Paused",
                "recovery": "Recovery", "ready": "Ready for discharge", "discharged": "Discharged",
                "aborted": "Aborted"}
PRIORITY_WORDS = {"high": "High", "medium": "Medium", "low": "Low"}

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
DURATIONS = (("infusion", "Infusion (pauses excluded)"), ("paused", "Paused"),
             ("recovery", "Recovery (infusion end to ready)"), ("discharge_wait", "Ready to discharged"),
             ("observation", "Observation (first dose to discharge)"), ("total", "Total (baseline to discharge)"))

VITALS_FORM = ("hr", "sbp", "dbp", "spo2", "rr", "temp_c", "moaas", "pain")  # contract §4 tab order
VITALS_MORE = ("etco2", "o2_lpm")
BASELINE_FIELDS = ("hr", "sbp", "dbp", "spo2", "rr", "temp_c")
FLOWSHEET = ("hr", "sbp", "dbp", "map", "spo2", "rr", "temp_c", "etco2", "o2_lpm", "consciousness", "moaas", "pain")
PREVIEW_FIELDS = ("hr", "sbp", "dbp", "spo2", "rr", "temp_c", "etco2", "o2_lpm")
# Short headings where the form's label is long; MAP is computed and BP is the pair.
SHORT_LABELS = {"map": ("MAP", "mmHg"), "temp_c": ("Temp", "°C"), "o2_lpm": ("O2", "L/min"),
                "consciousness": ("ACVPU", ""), "bp": ("BP", "mmHg")}
TILE_READINGS = ("hr", "bp", "spo2", "rr", "moaas")  # what a dashboard tile shows, in its order
QUICK_SIDE_EFFECTS = ("nausea", "vomiting", "dissociation", "dizziness", "headache", "anxiety", "sedation",
                      "hypertension", "blurred_vision")
MEDICATION_FLAGS = {"benzodiazepines": "Benzodiazepines", "sedative_hypnotics": "Non-benzodiazepine sedative hypnotics",
                    "psychostimulants": "Psychostimulants", "maois": "MAOIs", "opioids": "Opioids",
                    "lamotrigine": "Lamotrigine"}
SIGN_MEANINGS = ("Reviewed and approved", "Reviewed: supervised the session", "Reviewed with comments in addenda")

PLANNED_MINUTES = 40  # a ketamine infusion's usual length, the check-in form's default
SILENCE_MINUTES = 2  # what "Silence" and the dashboard's mute give; the rules allow up to max_silence_minutes
# The bedside trends: one chart per group of measures, each with its fixed axis.
TREND_CHARTS = (
    {"id": "hr", "title": "Heart rate", "unit": "/min", "range": (30, 180), "series": ("hr",)},
    {"id": "bp", "title": "Blood pressure", "unit": "mmHg", "range": (40, 220), "series": ("sbp", "dbp")},
    {"id": "spo2", "title": "SpO2", "unit": "%", "range": (80, 100.5), "series": ("spo2",)},
    {"id": "rr", "title": "Respiratory rate", "unit": "/min", "range": (0, 40), "series": ("rr",)},
)
# Alarm sounds after IEC 60601-1-8: a distinct burst per priority (tone, pulse offsets in seconds),
# repeated every so many seconds while an alert of that priority sounds.
ALARM_SOUNDS = {
    "high": {"hz": 880, "pulses": (0, 0.15, 0.3, 0.6, 0.75, 1.6, 1.75, 1.9, 2.2, 2.35), "every": 8},
    "medium": {"hz": 660, "pulses": (0, 0.25, 0.5), "every": 15},
    "low": {"hz": 523, "pulses": (0, 0.4), "every": 30},
}
TILE_TREND = {"minutes": 120, "sbp": (60, 220), "hr": (30, 180)}  # a tile's trend: its window and axes

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

RULE_TITLES = {"bp_high": "High BP", "bp_rise": "BP rise over baseline", "sbp_low": "Low SBP", "hr": "Heart rate",
               "spo2": "SpO2", "rr": "Respiratory rate", "temp": "Temperature", "sedation": "Sedation",
               "news2": "NEWS2", "vitals_overdue": "Vitals overdue (minutes)", "baseline_bp": "Baseline BP at start",
               "infusion_overtime": "Infusion overtime (minutes)",
               "early_discharge": "Esketamine observation (minutes)",
               "reraise_after_minutes": "Raise an acknowledged alert again after (minutes)",
               "max_silence_minutes": "Longest silence (minutes)",
               "suicidality": "Suicidality (PHQ-9 item 9 at least)", "rems_form_due": "REMS form reminder (day)",
               "outcomes": "Course outcomes (CLINICAL.md §8)"}


def field_label(name: str) -> tuple[str, str]:
    """A vitals field's label and unit, from the validation table."""
    bounds = validation.BOUNDS[name]
    return bounds.label, bounds.unit


def short_label(name: str) -> tuple[str, str]:
    """A vitals column's heading and unit: short where the form's label is long."""
    return SHORT_LABELS.get(name) or field_label(name)


def kind_label(kind: str) -> str:
    """A side effect's or note's kind as words: blurred_vision reads "Blurred vision"."""
    return kind.replace("_", " ").capitalize()


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
            label, anchors = texts.get(name, (kind_label(name), {}))
            choices = [(v, f"{v} · {anchors[v]}" if v in anchors else str(v)) for v in range(high, low - 1, -1)]
            items.append({"name": name, "label": label, "choices": choices})
        forms.append({"key": key, "title": title, "items": items, "discharge_min": spec["discharge_min"],
                      "total": spec.get("total"), "max": sum(high for _, high in spec["items"].values()),
                      "outcome": key in instruments.OUTCOMES, "asked": key in asked})
    return forms


def alarm_title(key: str) -> str:
    """An alarm's rule as the thresholds page names it, without the setting's unit."""
    return RULE_TITLES.get(key, kind_label(key)).split(" (")[0]


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
    if len(path) == 3 and path[2] in alert_rules.COMPARISONS:
        priority, measure, comparison = path
        return f"{priority}: {alert_rules.LABELS.get(measure, measure)} {alert_rules.COMPARISONS[comparison][1]}"
    return " ".join(part.replace("_", " ") for part in path) or "value"


def for_scripts(rules: dict) -> dict:
    """What the page scripts need, as JSON: the words, and the numbers of the rules in force."""
    overdue = rules["vitals_overdue"]
    return {
        "fields": {name: dict(zip(("label", "unit"), field_label(name))) for name in validation.BOUNDS},
        "short": {name: dict(zip(("label", "unit"), short_label(name)))
                  for name in (*validation.BOUNDS, *SHORT_LABELS)},
        "vitals_form": (*VITALS_FORM, *VITALS_MORE),
        "baseline_fields": BASELINE_FIELDS,
        "tile_readings": TILE_READINGS,
        "states": STATE_LABELS,
        "final": sessions.FINAL,
        "priorities": {p: {"rank": rank, "word": PRIORITY_WORDS[p]} for p, rank in alert_rules.PRIORITY_RANK.items()},
        "side_effects": {kind: kind_label(kind) for kind in side_effects.KINDS},
        "settings": {
            "overdue_minutes": {"infusing": overdue["infusing_overdue"], "recovery": overdue["recovery_overdue"]},
            "silence_minutes": SILENCE_MINUTES,
            "planned_minutes": PLANNED_MINUTES,
            "news2_window_minutes": int(NEWS2_WINDOW.total_seconds() // 60),
        },
        "password_min": users.MIN_PASSWORD,
        "alarm_sounds": ALARM_SOUNDS,
        "tile_trend": TILE_TREND,
        "trend_charts": TREND_CHARTS,
        "measures": alert_rules.LABELS,  # as alert messages and threshold lines name them
        "comparisons": {name: symbol for name, (_, symbol) in alert_rules.COMPARISONS.items()},
    }
