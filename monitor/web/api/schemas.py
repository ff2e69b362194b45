"""JSON Schemas of the API: request bodies (checked on the way in) and responses (documented).

Clinical bounds are not here: they are the domain's (validation.py), answered with 422.
"""
from __future__ import annotations

from ...record import assessments
from ...rules import instruments

ERROR_TEXT = {
    400: "bad_request: not JSON, wrong types, unknown fields",
    401: "unauthenticated: no or bad credentials",
    403: "forbidden: this role may not do this",
    404: "not_found: no such record",
    409: "conflict: illegal state transition, signed session, duplicate, an Idempotency-Key sent before with "
         "another request, an entry timed after the discharge",
    413: "too_large: body or upload over the limit",
    422: "validation_failed or needs_confirmation",
    429: "locked_out: too many wrong passwords for this user; try again later",
    503: "disk_full, database_read_only or database_unavailable: nothing was saved",
}

NUM = {"type": "number"}
INT = {"type": "integer"}
MAX_ID = 2**63 - 1  # SQLite's largest integer: an id beyond it is refused as a bad request, not a crash
ID = {"type": "integer", "minimum": 1, "maximum": MAX_ID}
STR = {"type": "string"}
TIME = {"type": "string", "description": "ISO 8601; without an offset taken in MONITOR_TIMEZONE"}
BOOL = {"type": "boolean"}


def nullable(schema: dict) -> dict:
    return {"anyOf": [schema, {"type": "null"}]}


def ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def strict(properties: dict, required: tuple[str, ...] = ()) -> dict:
    return {"type": "object", "properties": properties, "required": list(required), "additionalProperties": False}


PATIENT_IN = strict({
    "mrn": {"type": "string", "minLength": 1, "maxLength": 64},
    "family_name": {"type": "string", "minLength": 1, "maxLength": 200},
    "given_name": {"type": "string", "minLength": 1, "maxLength": 200},
    "birth_date": {"type": "string", "format": "date"},
    "sex": nullable({"type": "string", "enum": ["female", "male", "other", "unknown"]}),
    "weight_kg": nullable(NUM),
}, ("mrn", "family_name", "given_name", "birth_date"))

CHECKLIST = strict({
    "medication_flags": {"type": "array", "items": STR},
    "escort_confirmed": BOOL,
    "consent": BOOL,
    "weight_kg": nullable(NUM),
})

SESSION_IN = strict({
    "patient_id": ID,
    "chair": {"type": "string", "minLength": 1, "maxLength": 40},
    "drug": {"enum": ["ketamine", "esketamine"]},
    "route": {"enum": ["iv", "intranasal", "im"]},
    "dose_mg": nullable(NUM),
    "dose_mg_per_kg": nullable(NUM),
    "planned_minutes": nullable(INT),
    "indication": nullable({"type": "string", "maxLength": 500}),
    "series_number": nullable(INT),
    "lot_number": nullable({"type": "string", "maxLength": 64}),
    "checklist": CHECKLIST,
    "confirm": {"type": "boolean", "description": "store an unusual weight or dose (validation.DOSING)"},
}, ("patient_id", "chair", "drug", "route"))

TRANSITION_IN = strict({
    "to": {"enum": ["scheduled", "baseline", "infusing", "paused", "recovery", "ready", "discharged",
                    "aborted"]},
    "at": nullable(TIME),
    "reason": nullable({"type": "string", "maxLength": 2000}),
    "confirm": BOOL,
    "override": BOOL,
}, ("to",))

VITALS_FIELDS = {
    "taken_at": nullable(TIME), "hr": nullable(NUM), "sbp": nullable(NUM), "dbp": nullable(NUM),
    "spo2": nullable(NUM), "rr": nullable(NUM), "temp_c": nullable(NUM), "temp_f": nullable(NUM),
    "etco2": nullable(NUM), "o2_lpm": nullable(NUM),
    "consciousness": nullable({"enum": ["A", "C", "V", "P", "U"]}),
    "pain": nullable(INT), "moaas": nullable(INT), "note": nullable({"type": "string", "maxLength": 2000}),
    "confirm": BOOL,
}
VITALS_ONE = {"type": "object", "properties": VITALS_FIELDS, "additionalProperties": False}
# Documented strictly; checked by validation.py so that its 400/422 answers name each field.
VITALS_IN = {"anyOf": [VITALS_ONE, {"type": "array", "items": VITALS_ONE, "minItems": 1, "maxItems": 500}]}
AMEND_IN = {"type": "object", "properties": VITALS_FIELDS | {"reason": {"type": "string", "minLength": 1}},
            "required": ["reason"], "additionalProperties": False}
VOID_IN = strict({"reason": {"type": "string", "minLength": 1, "maxLength": 2000}}, ("reason",))

INTERVENTION = strict({
    "drug": nullable(STR), "dose": nullable(STR), "at": nullable(TIME),
    "infusion": nullable({"enum": ["none", "paused", "stopped"]}), "text": nullable(STR),
})
# What was done about a side effect: the object, or a plain text taken as its description. When a
# body fits neither, the answer gives this description rather than jsonschema's "not valid under any".
INTERVENTION_IN = {"anyOf": [INTERVENTION, {"type": "string", "maxLength": 2000}, {"type": "null"}],
                   "description": 'what was done: a text ("ondansetron 4 mg IV") or an object with drug, dose, at, '
                                  "infusion (none, paused or stopped) and text"}
SIDE_EFFECT_IN = strict({
    "kind": STR, "severity": {"enum": ["mild", "moderate", "severe"]}, "observed_at": nullable(TIME),
    "intervention": INTERVENTION_IN, "serious": BOOL, "note": nullable({"type": "string", "maxLength": 2000}),
}, ("kind", "severity"))
RESOLVE_IN = strict({"resolved_at": nullable(TIME)})
ASSESSMENT_IN = strict({
    "instrument": {"enum": list(instruments.INSTRUMENTS)},
    "items": {"type": "object", "additionalProperties": {"type": "integer"}},
    "at": nullable(TIME),
    "answered_by": {"enum": list(assessments.ANSWERED_BY),
                    "description": "patient: a self-report (PHQ-9, GAD-7, PCL-5), entered by the signed-in nurse"},
}, ("instrument", "items"))
MEDICATION = strict({"name": STR, "dose": nullable(STR), "route": nullable(STR)}, ("name",))
NOTE_IN = strict({
    "kind": {"enum": ["note", "medication", "rate_change", "escalation"]},
    "text": {"type": "string", "minLength": 1, "maxLength": 5000}, "at": nullable(TIME),
    "medication": nullable(MEDICATION),
}, ("kind", "text"))
SIGN_IN = strict({"password": {"type": "string", "minLength": 1},
                  "meaning": {"type": "string", "minLength": 1, "maxLength": 500}}, ("password", "meaning"))
ADDENDUM_IN = strict({"text": {"type": "string", "minLength": 1, "maxLength": 5000}}, ("text",))
USER_IN = strict({"username": {"type": "string", "minLength": 1, "maxLength": 64},
                  "role": {"enum": ["nurse", "clinician", "admin"]},
                  "password": {"type": "string", "minLength": 8, "maxLength": 1000}},
                 ("username", "role", "password"))
USER_STATE_IN = strict({"disabled": BOOL}, ("disabled",))

NEWS2 = {"type": "object", "properties": {"score": INT, "band": {"enum": ["none", "low", "medium", "high"]},
                                          "single_3": BOOL, "partial": BOOL},
         "required": ["score", "band", "single_3", "partial"]}
VITALS = {"type": "object", "required": ["id", "session_id", "taken_at", "news2", "status", "seq", "late"],
          "properties": {
              "id": INT, "session_id": INT, "taken_at": STR, "hr": nullable(NUM), "sbp": nullable(NUM),
              "dbp": nullable(NUM), "spo2": nullable(NUM), "rr": nullable(NUM), "temp_c": nullable(NUM),
              "etco2": nullable(NUM), "o2_lpm": nullable(NUM), "consciousness": nullable(STR),
              "pain": nullable(INT), "moaas": nullable(INT), "map": nullable(INT), "news2": NEWS2,
              "note": nullable(STR), "source": {"enum": ["manual", "import:csv", "import:hl7", "import:fhir"]},
              "supersedes": nullable(INT), "reason": nullable(STR), "entered_at": STR,
              "entered_by": nullable(STR), "late": BOOL, "status": {"enum": ["current", "amended", "void"]},
              "seq": INT, "void_reason": nullable(STR)}}
PATIENT = {"type": "object", "required": ["id", "mrn", "family_name", "given_name", "birth_date"],
           "properties": {"id": INT, "mrn": STR, "family_name": STR, "given_name": STR, "birth_date": STR,
                          "sex": nullable(STR), "weight_kg": nullable(NUM), "created_at": STR}}
SESSION = {"type": "object", "required": ["id", "patient_id", "chair", "drug", "route", "state", "locked"],
           "properties": {"id": INT, "patient_id": INT, "chair": STR, "drug": STR, "route": STR,
                          "dose_mg": nullable(NUM), "dose_mg_per_kg": nullable(NUM),
                          "planned_minutes": nullable(INT), "indication": nullable(STR),
                          "series_number": nullable(INT), "lot_number": nullable(STR), "checklist": {"type": "object"},
                          "state": STR, "created_at": STR, "locked": BOOL,
                          "signature": nullable({"type": "object"})}}
DURATIONS = {"type": "object", "properties": {k: nullable(NUM) for k in (
    "infusion", "paused", "recovery", "discharge_wait", "observation", "total")}}
SESSION_RECORD = {"allOf": [ref("Session"), {"type": "object", "required": [
    "patient", "timeline", "durations", "vitals", "side_effects", "assessments", "notes", "alerts"],
    "properties": {"patient": ref("Patient"), "timeline": {"type": "object", "additionalProperties": STR},
                   "durations": DURATIONS, "vitals": {"type": "array", "items": ref("Vitals")},
                   "side_effects": {"type": "array", "items": {"type": "object"}},
                   "assessments": {"type": "array", "items": {"type": "object"}},
                   "notes": {"type": "array", "items": {"type": "object"}},
                   "alerts": {"type": "array", "items": ref("Alert")}}}]}
ALERT = {"type": "object", "required": ["id", "session_id", "key", "priority", "message", "state"],
         "properties": {"id": INT, "session_id": INT, "key": STR, "priority": {"enum": ["high", "medium", "low"]},
                        "message": STR, "limits": {"type": "object"}, "rules_version": INT,
                        "state": {"enum": ["active", "acknowledged", "cleared"]}, "latched": BOOL,
                        "raised_at": STR, "acknowledged_by": nullable(STR), "acknowledged_at": nullable(STR),
                        "comment": nullable(STR), "silenced_until": nullable(STR), "cleared_at": nullable(STR)}}
EVENT = {"type": "object", "required": ["seq", "type", "session_id", "at", "data"],
         "properties": {"seq": INT, "type": STR, "session_id": nullable(INT), "at": STR, "data": {}}}
EVENTS = {"type": "object", "required": ["events", "last_seq"],
          "properties": {"events": {"type": "array", "items": ref("Event")}, "last_seq": INT}}
ERROR = {"type": "object", "required": ["error"], "properties": {"error": {
    "type": "object", "required": ["code", "message", "fields"],
    "properties": {"code": {"enum": ["bad_request", "unauthenticated", "forbidden", "not_found", "conflict",
                                     "too_large", "validation_failed", "needs_confirmation", "locked_out",
                                     "disk_full", "database_read_only", "database_unavailable"]},
                   "message": STR, "fields": {"type": "object", "additionalProperties": STR}}}}}

COMPONENTS = {"Error": ERROR, "Patient": PATIENT, "Session": SESSION, "SessionRecord": SESSION_RECORD,
              "Vitals": VITALS, "Alert": ALERT, "Event": EVENT, "News2": NEWS2}


def array_of(name: str) -> dict:
    return {"type": "array", "items": ref(name)}


def page_of(item: dict) -> dict:
    """One page of a list (CONTRACT.md §2 "Lists page"): its items, and the cursor of the next or null."""
    return {"type": "object", "required": ["items", "next"],
            "properties": {"items": {"type": "array", "items": item}, "next": nullable(STR)}}


PAGE_QUERY = {"limit": {"type": "integer", "minimum": 1, "maximum": 1000, "default": 100},
              "cursor": {"type": "string", "description": "the `next` of the previous page"}}


def list_of(key: str, item: dict) -> dict:
    return {"type": "object", "required": [key], "properties": {key: {"type": "array", "items": item}}}
