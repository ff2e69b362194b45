"""A session's record leaving the app: a CSV of its vitals, and a FHIR R4 Bundle of the whole session.

The CSV has one row per vitals record, amended and void ones included, in the columns of
`CSV_COLUMNS` (the import reads it back: it takes the current records and skips the rest).
The Bundle holds the Patient, an Encounter for the session, one Observation per vital sign
(LOINC codes, UCUM units, blood pressure as the 85354-9 panel with components), a
MedicationAdministration for the ketamine or esketamine dose over the infusion period,
an AdverseEvent per side effect and an Observation per instrument score. Codes without a
standard (MOAA/S, the instruments, the local identifiers) come from the CodeSystem the
Bundle carries itself. fhir.resources (R4B models, FHIR 4.0.1's for these resources) checks it.
"""
from __future__ import annotations

import csv
import io
import json
import uuid
from datetime import datetime

from sqlite_utils import Database

from ..record.side_effects import KINDS
from ..rules.instruments import INSTRUMENTS, OUTCOMES
from ..timeutil import iso
from ..views import session_record
from .codes import OUTCOME_QUESTIONNAIRES
from .formats.model import FORMULA_STARTS

# (column, what it holds): the documented CSV layout, also shown in the API's description.
CSV_COLUMNS = (
    ("id", "the record's id"),
    ("taken_at", "clinical time, UTC ISO 8601"),
    ("hr", "heart rate /min"), ("sbp", "systolic BP mmHg"), ("dbp", "diastolic BP mmHg"),
    ("map", "mean arterial pressure mmHg, computed"), ("spo2", "SpO2 %"), ("rr", "respiratory rate /min"),
    ("temp_c", "temperature °C"), ("etco2", "end-tidal CO2 mmHg"), ("o2_lpm", "O2 flow L/min (0 or empty: room air)"),
    ("consciousness", "ACVPU: A, C, V, P or U"), ("pain", "pain 0–10"), ("moaas", "MOAA/S 0–5"),
    ("news2_score", "NEWS2 total"), ("news2_band", "none, low, medium or high"),
    ("news2_single_3", "true when one parameter scored 3"), ("news2_partial", "true when a parameter was missing"),
    ("note", "free text"), ("source", "manual, import:csv, import:hl7 or import:fhir"),
    ("status", "current, amended (a later record supersedes it) or void (entered in error)"),
    ("supersedes", "id of the record this one amends"), ("amend_reason", "why this record amends another"),
    ("void_reason", "why the record was voided"),
    ("entered_at", "when it was entered, UTC"), ("entered_by", "who entered it"),
    ("late", "true when entered more than 10 minutes after its clinical time"),
)
CSV_FIELDS = tuple(name for name, _ in CSV_COLUMNS)
FORMATS = {"csv": "text/csv; charset=utf-8", "fhir": "application/fhir+json"}

LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
LOCAL = "urn:infusion-monitor:codes"  # the CodeSystem the Bundle carries for codes with no standard
LOCAL_IDS = "urn:infusion-monitor:id"
MRN_SYSTEM = "urn:infusion-monitor:mrn"
CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
ABSENT = "http://terminology.hl7.org/CodeSystem/data-absent-reason"
SERIOUSNESS = "http://terminology.hl7.org/CodeSystem/adverse-event-seriousness"
SEVERITY = "http://terminology.hl7.org/CodeSystem/adverse-event-severity"
OUTCOME = "http://terminology.hl7.org/CodeSystem/adverse-event-outcome"

# field -> (LOINC code, display, UCUM code) of a vital sign with a numeric value
VITAL_SIGNS = {
    "hr": ("8867-4", "Heart rate", "/min"),
    "spo2": ("59408-5", "Oxygen saturation in Arterial blood by Pulse oximetry", "%"),
    "rr": ("9279-1", "Respiratory rate", "/min"),
    "temp_c": ("8310-5", "Body temperature", "Cel"),
    "etco2": ("19889-5", "Carbon dioxide [Partial pressure] in Exhaled gas --at end expiration", "mm[Hg]"),
    "o2_lpm": ("3151-8", "Inhaled oxygen flow rate", "L/min"),
    "pain": ("72514-3", "Pain severity - 0-10 verbal numeric rating [Score] - Reported", "{score}"),
}
SPO2_ALSO = ("2708-6", "Oxygen saturation in Arterial blood")  # US Core codes SpO2 with both
BP_PANEL = ("85354-9", "Blood pressure panel with all children optional")
BP_PARTS = {"sbp": ("8480-6", "Systolic blood pressure"), "dbp": ("8462-4", "Diastolic blood pressure"),
            "map": ("8478-0", "Mean blood pressure")}
RESPONSIVENESS = ("67775-7", "Level of responsiveness")  # ACVPU, answered with local codes
DRUGS = {"ketamine": ("6130", "ketamine"), "esketamine": ("2201623", "esketamine Nasal Spray")}
ROUTES = {"iv": "Intravenous", "intranasal": "Nasal", "im": "Intramuscular"}
INSTRUMENT_NAMES = {"aldrete": "Modified Aldrete score", "padss": "Post-Anesthetic Discharge Scoring System (modified)",
                    "moaas": "Modified Observer's Assessment of Alertness/Sedation (MOAA/S)",
                    "cadss": "Clinician-Administered Dissociative States Scale (CADSS)",
                    "bprs_plus": "Brief Psychiatric Rating Scale, positive symptoms (BPRS+)",
                    "phq9": "Patient Health Questionnaire-9 (PHQ-9)", "gad7": "Generalized Anxiety Disorder-7 (GAD-7)",
                    "pcl5": "PTSD Checklist for DSM-5 (PCL-5)",
                    "madrs": "Montgomery-Asberg Depression Rating Scale (MADRS)"}
CONSCIOUSNESS = {"A": "Alert", "C": "New confusion", "V": "Responds to voice", "P": "Responds to pain",
                 "U": "Unresponsive"}
ENCOUNTER_STATUS = {"scheduled": "planned", "baseline": "arrived", "discharged": "finished", "aborted": "cancelled"}


def export(db: Database, session_id: int, format: str, now: datetime) -> tuple[str, str]:
    """(text, media type) of one session in `format`: csv or fhir."""
    whole = session_record.session_record(db, session_id)
    text = vitals_csv(whole) if format == "csv" else json.dumps(fhir_bundle(whole, now), ensure_ascii=False)
    return text, FORMATS[format]


# CSV

def vitals_csv(whole: dict) -> str:
    """One row per vitals record, oldest first, with its status and its amendment links."""
    out = io.StringIO()
    # CRLF (RFC 4180), so the writer quotes a cell holding a lone \r too: unquoted, a spreadsheet ends the row
    # there and runs what follows as a new row (a note "\r=HYPERLINK(...)" became a formula)
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_FIELDS)
    for vitals in whole["vitals"]:
        writer.writerow([csv_cell(value) for value in csv_row(vitals)])
    return out.getvalue()


def csv_row(vitals: dict) -> list:
    score = vitals["news2"]
    row = vitals | {"news2_score": score["score"], "news2_band": score["band"],
                    "news2_single_3": score["single_3"], "news2_partial": score["partial"],
                    "amend_reason": vitals["reason"]}
    return [row.get(name) for name in CSV_FIELDS]


def csv_cell(value) -> str:
    """A value as the CSV holds it; text that a spreadsheet would run as a formula is quoted."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str) and value[:1] in FORMULA_STARTS:
        return "'" + value
    return str(value)


# A patient's course as CSV: one row per infusion, each outcome measure's total with where it stands.

COURSE_COLUMNS = ("series_number", "session_id", "started_at", "days_since_previous", "drug", "dose_mg", "state")
OUTCOME_COLUMNS = ("total", "band", "change_pct", "response", "remission", "worsening")


def course_fields() -> tuple[str, ...]:
    """The header: the infusion's columns, then each measure's standing, its time and its item scores (so an
    import can score the items again and check the total)."""
    return COURSE_COLUMNS + tuple(f"{name}_{column}" for name in OUTCOMES for column in measure_columns(name))


def measure_columns(name: str) -> tuple[str, ...]:
    return OUTCOME_COLUMNS + ("at",) + tuple(OUTCOMES[name]["items"])


def course_csv(course: dict) -> str:
    """The course (views.course) as CSV: one row per session, every outcome measure's columns on each."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(course_fields())
    for row in course["sessions"]:
        points = {name: next((p for p in found if p["session_id"] == row["id"]), {})
                  for name, found in course["outcomes"].items()}
        cells = [row["series_number"], row["id"], row["started_at"], row["days_since_previous"], row["drug"],
                 row["dose_mg"], row["state"]]
        cells += [measure_cell(points.get(name, {}), column) for name in OUTCOMES for column in measure_columns(name)]
        writer.writerow([csv_cell(value) for value in cells])
    return out.getvalue()


def measure_cell(point: dict, column: str):
    """One cell of a measure on an infusion's row: a column of its standing, its time, or an item's score."""
    if column in OUTCOME_COLUMNS or column == "at":
        return point.get(column)
    return (point.get("items") or {}).get(column)


# FHIR

def fhir_bundle(whole: dict, now: datetime) -> dict:
    """The session as a FHIR R4 collection Bundle, made at `now`."""
    refs = References(whole)
    resources = [patient(whole["patient"], refs), encounter(whole, refs)]
    medication = medication_administration(whole, refs)
    resources += [medication] if medication else []
    for vitals in whole["vitals"]:
        if vitals["status"] != "amended":  # a superseded version is history: its current version stands for it
            resources += vital_sign_observations(vitals, refs)
    resources += [adverse_event(effect, refs) for effect in whole["side_effects"]]
    for assessment in whole["assessments"]:
        if assessment["instrument"] in OUTCOMES:  # the answers, and their total as an Observation
            resources += [questionnaire_response(assessment, refs), outcome_observation(assessment, refs)]
        else:
            resources.append(instrument_observation(assessment, refs))
    resources.append(local_code_system(refs))
    return {"resourceType": "Bundle", "id": refs.uuid(f"bundle-{iso(now)}"), "type": "collection",
            "timestamp": iso(now), "entry": [{"fullUrl": refs.url(r), "resource": r} for r in resources]}


class References:
    """Stable urn:uuid ids for the resources of one session's Bundle (the same export gives the same ids)."""

    def __init__(self, whole: dict):
        self.namespace = uuid.uuid5(uuid.NAMESPACE_URL, f"urn:infusion-monitor:session:{whole['id']}")

    def uuid(self, name: str) -> str:
        return str(uuid.uuid5(self.namespace, name))

    def url(self, resource: dict) -> str:
        return f"urn:uuid:{resource['id']}"

    def to(self, name: str) -> dict:
        return {"reference": f"urn:uuid:{self.uuid(name)}"}


def without_nulls(value):
    """FHIR has no nulls: an element without a value is left out."""
    if isinstance(value, dict):
        return {k: without_nulls(v) for k, v in value.items() if v is not None and v != [] and v != {}}
    if isinstance(value, list):
        return [without_nulls(v) for v in value]
    return value


def coding(system: str, code: str, display: str | None = None) -> dict:
    return without_nulls({"system": system, "code": code, "display": display})


def concept(system: str, code: str, display: str) -> dict:
    return {"coding": [coding(system, code, display)], "text": display}


def identifier(kind: str, value) -> list[dict]:
    return [{"system": f"{LOCAL_IDS}:{kind}", "value": str(value)}]


def patient(person: dict, refs: References) -> dict:
    return without_nulls({
        "resourceType": "Patient", "id": refs.uuid("patient"),
        "identifier": [{"type": {"coding": [coding("http://terminology.hl7.org/CodeSystem/v2-0203", "MR",
                                                   "Medical record number")]},
                        "system": MRN_SYSTEM, "value": person["mrn"]}],
        "name": [{"family": person["family_name"], "given": [person["given_name"]]}],
        "birthDate": person["birth_date"], "gender": person.get("sex"),
    })


def encounter(whole: dict, refs: References) -> dict:
    """The session as an ambulatory Encounter from baseline (or scheduling) to discharge."""
    line = whole["timeline"]
    start = line.get("baseline") or whole["created_at"]
    end = line.get("discharged") or line.get("aborted")
    return without_nulls({
        "resourceType": "Encounter", "id": refs.uuid("encounter"), "identifier": identifier("session", whole["id"]),
        "status": ENCOUNTER_STATUS.get(whole["state"], "in-progress"),
        "class": coding(ACT_CODE, "AMB", "ambulatory"),
        "type": [{"text": f"{whole['drug']} {ROUTES[whole['route']].lower()} treatment session"}],
        "subject": refs.to("patient"),
        "period": {"start": start, "end": end},
        "reasonCode": [{"text": whole["indication"]}] if whole.get("indication") else None,
        "location": [{"location": {"display": f"Chair {whole['chair']}"}}],
    })


def medication_administration(whole: dict, refs: References) -> dict | None:
    """The dose over the infusion (or dosing) period; the lot number on the contained Medication."""
    line = whole["timeline"]
    if not line.get("infusing"):
        return None
    code, display = DRUGS[whole["drug"]]
    ended = next((t["at"] for t in whole["transitions"] if t["from"] in ("infusing", "paused")
                  and t["to"] in ("recovery", "aborted")), None)
    status = "completed" if ended else ("stopped" if whole["state"] == "aborted" else "in-progress")
    medication = without_nulls({"resourceType": "Medication", "id": "medication",
                                "code": concept(RXNORM, code, display),
                                "batch": {"lotNumber": whole["lot_number"]} if whole.get("lot_number") else None})
    dose = whole.get("dose_mg")
    return without_nulls({
        "resourceType": "MedicationAdministration", "id": refs.uuid("medication-administration"),
        "identifier": identifier("dose", whole["id"]), "contained": [medication],
        "status": status, "medicationReference": {"reference": "#medication", "display": display},
        "subject": refs.to("patient"), "context": refs.to("encounter"),
        "effectivePeriod": {"start": line["infusing"], "end": ended},
        "dosage": {"route": {"text": ROUTES[whole["route"]]},
                   "dose": {"value": dose, "unit": "mg", "system": UCUM, "code": "mg"} if dose else None,
                   "text": f"{whole['dose_mg_per_kg']} mg/kg" if whole.get("dose_mg_per_kg") else None},
    })


def observation(vitals: dict, refs: References, name: str, code: dict, **value) -> dict:
    """One vital-sign Observation of a vitals record."""
    return without_nulls({
        "resourceType": "Observation", "id": refs.uuid(f"vitals-{vitals['id']}-{name}"),
        "identifier": identifier("vitals", f"{vitals['id']}-{name}"),
        "status": observation_status(vitals),
        "category": [{"coding": [coding(CATEGORY, "vital-signs", "Vital Signs")]}],
        "code": code, "subject": refs.to("patient"), "encounter": refs.to("encounter"),
        "effectiveDateTime": vitals["taken_at"], "issued": vitals["entered_at"],
        "performer": [{"display": vitals["entered_by"]}] if vitals.get("entered_by") else None,
        "note": [{"text": vitals["void_reason"]}] if vitals.get("void_reason") else None,
    } | value)


def observation_status(vitals: dict) -> str:
    """final; amended for a correction of an earlier record; entered-in-error for a void one."""
    if vitals["status"] == "void":
        return "entered-in-error"
    return "amended" if vitals.get("supersedes") else "final"


def quantity(value, unit: str) -> dict:
    return {"value": value, "unit": unit, "system": UCUM, "code": unit}


def vital_sign_observations(vitals: dict, refs: References) -> list[dict]:
    """The Observations of one record: each measure, blood pressure as one panel."""
    found = []
    for name, (code, display, unit) in VITAL_SIGNS.items():
        if vitals.get(name) is None:
            continue
        codes = [coding(LOINC, code, display)] + ([coding(LOINC, *SPO2_ALSO)] if name == "spo2" else [])
        found.append(observation(vitals, refs, name, {"coding": codes, "text": display},
                                 valueQuantity=quantity(vitals[name], unit)))
    if vitals.get("sbp") is not None or vitals.get("dbp") is not None:
        found.append(observation(vitals, refs, "bp", concept(LOINC, *BP_PANEL), component=[
            bp_component(vitals, part) for part in BP_PARTS if part != "map" or vitals.get("map") is not None]))
    if vitals.get("consciousness"):
        level = vitals["consciousness"]
        found.append(observation(vitals, refs, "consciousness", concept(LOINC, *RESPONSIVENESS),
                                 valueCodeableConcept=concept(LOCAL, f"acvpu-{level}", CONSCIOUSNESS[level])))
    if vitals.get("moaas") is not None:
        found.append(observation(vitals, refs, "moaas", concept(LOCAL, "moaas", INSTRUMENT_NAMES["moaas"]),
                                 valueInteger=vitals["moaas"]))
    return found


def bp_component(vitals: dict, part: str) -> dict:
    code, display = BP_PARTS[part]
    if vitals.get(part) is None:
        return {"code": concept(LOINC, code, display),
                "dataAbsentReason": concept(ABSENT, "not-performed", "Not Performed")}
    return {"code": concept(LOINC, code, display), "valueQuantity": quantity(vitals[part], "mm[Hg]")}


def adverse_event(effect: dict, refs: References) -> dict:
    """A side effect: what, when, how severe, whether serious, and whether it resolved."""
    kind = effect["kind"].replace("_", " ")
    outcome = ("resolved", "Resolved") if effect["resolved_at"] else ("ongoing", "Ongoing")
    return without_nulls({
        "resourceType": "AdverseEvent", "id": refs.uuid(f"side-effect-{effect['id']}"),
        "identifier": identifier("side-effect", effect["id"])[0], "actuality": "actual",
        "event": {"coding": [coding(LOCAL, f"side-effect-{effect['kind']}", kind.capitalize())],
                  "text": effect.get("note") or kind},
        "subject": refs.to("patient"), "encounter": refs.to("encounter"),
        "date": effect["observed_at"], "recordedDate": effect["entered_at"],
        "seriousness": concept(SERIOUSNESS, *(("serious", "Serious") if effect["serious"]
                                              else ("non-serious", "Non-serious"))),
        "severity": concept(SEVERITY, effect["severity"], effect["severity"].capitalize()),
        "outcome": concept(OUTCOME, *outcome),
        "suspectEntity": [{"instance": refs.to("medication-administration")}],
    })


def instrument_observation(assessment: dict, refs: References) -> dict:
    """An instrument's total, with each item as a component (local codes: these scales have no LOINC)."""
    instrument = assessment["instrument"]
    name = INSTRUMENT_NAMES[instrument]
    return without_nulls({
        "resourceType": "Observation", "id": refs.uuid(f"assessment-{assessment['id']}"),
        "identifier": identifier("assessment", assessment["id"]), "status": "final",
        "category": [{"coding": [coding(CATEGORY, "survey", "Survey")]}],
        "code": concept(LOCAL, instrument, name), "subject": refs.to("patient"), "encounter": refs.to("encounter"),
        "effectiveDateTime": assessment["at"], "issued": assessment["entered_at"],
        "valueInteger": assessment["total"],
        "interpretation": None if assessment["meets_discharge_criteria"] is None else [{
            "text": "meets discharge criteria" if assessment["meets_discharge_criteria"]
            else "does not meet discharge criteria"}],
        "component": [{"code": concept(LOCAL, f"{instrument}-{item}", item_display(instrument, item)),
                       "valueInteger": score} for item, score in assessment["items"].items() if item != "total"],
    })


# The outcome measures' totals with a LOINC code (the others use the local CodeSystem), and the LOINC panel
# each questionnaire is (its QuestionnaireResponse's `questionnaire`).
OUTCOME_LOINC = {"phq9": ("44261-6", "Patient Health Questionnaire 9 item (PHQ-9) total score [Reported]"),
                 "gad7": ("70274-6", "Generalized anxiety disorder 7 item (GAD-7) total score [Reported.PHQ]")}


def questionnaire_response(assessment: dict, refs: References) -> dict:
    """An outcome measure's item scores as the patient (self-report) or the clinician answered them."""
    instrument = assessment["instrument"]
    author = "patient" if assessment["answered_by"] == "patient" else None
    return without_nulls({
        "resourceType": "QuestionnaireResponse", "id": refs.uuid(f"response-{assessment['id']}"),
        "identifier": identifier("questionnaire-response", assessment["id"])[0],
        "questionnaire": OUTCOME_QUESTIONNAIRES[instrument],
        "status": "completed", "subject": refs.to("patient"), "encounter": refs.to("encounter"),
        "authored": assessment["at"], "source": refs.to(author) if author else None,
        "item": [{"linkId": item, "text": item_display(instrument, item), "answer": [{"valueInteger": score}]}
                 for item, score in assessment["items"].items()],
    })


def outcome_observation(assessment: dict, refs: References) -> dict:
    """An outcome measure's total and band, derived from its QuestionnaireResponse."""
    instrument = assessment["instrument"]
    code = (concept(LOINC, *OUTCOME_LOINC[instrument]) if instrument in OUTCOME_LOINC
            else concept(LOCAL, instrument, INSTRUMENT_NAMES[instrument]))
    return without_nulls({
        "resourceType": "Observation", "id": refs.uuid(f"assessment-{assessment['id']}"),
        "identifier": identifier("assessment", assessment["id"]), "status": "final",
        "category": [{"coding": [coding(CATEGORY, "survey", "Survey")]}], "code": code,
        "subject": refs.to("patient"), "encounter": refs.to("encounter"),
        "effectiveDateTime": assessment["at"], "issued": assessment["entered_at"],
        "valueInteger": assessment["total"],
        "interpretation": [{"text": assessment["band"]}] if assessment.get("band") else None,
        "derivedFrom": [{"reference": f"urn:uuid:{refs.uuid('response-' + str(assessment['id']))}"}],
    })


def item_display(instrument: str, item: str) -> str:
    return f"{INSTRUMENT_NAMES[instrument]}: {item.replace('_', ' ')}"


def local_code_system(refs: References) -> dict:
    """The codes this Bundle uses that no standard terminology has."""
    concepts = [{"code": code, "display": display} for code, display in INSTRUMENT_NAMES.items()]
    concepts += [{"code": f"acvpu-{level}", "display": display} for level, display in CONSCIOUSNESS.items()]
    concepts += [{"code": f"side-effect-{kind}", "display": kind.replace("_", " ").capitalize()} for kind in KINDS]
    concepts += [{"code": f"{instrument}-{item}", "display": item_display(instrument, item)}
                 for instrument, spec in INSTRUMENTS.items() for item in spec["items"]]
    return {"resourceType": "CodeSystem", "id": refs.uuid("codes"), "url": LOCAL, "name": "InfusionMonitorCodes",
            "title": "Infusion Monitor local codes", "status": "active", "content": "complete",
            "description": "Instruments, ACVPU levels and side effects that have no standard code.",
            "concept": concepts}
