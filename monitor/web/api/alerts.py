"""The alert endpoints of CONTRACT.md §2: list, acknowledge, silence, and the thresholds in force."""
from __future__ import annotations

from flask import jsonify, request

from ...alerts import engine as alerts
from ...rules import rulesets
from ...views import lists
from . import schemas as s
from .common import RECORDERS, REVIEWERS, api, int_arg, page_of, store, writing

ACKNOWLEDGE_IN = s.strict({"comment": s.nullable({"type": "string", "maxLength": 1000})})
SILENCE_IN = s.strict({"minutes": {"type": "number", "exclusiveMinimum": 0,
                                   "description": "at most the rule set's max_silence_minutes (10)"}}, ("minutes",))
RULES = {"type": "object", "description": "the rule set of CLINICAL.md §4 as data (see GET for its shape)"}
RULES_IN = s.strict({"rules": RULES, "reason": {"type": "string", "minLength": 1, "maxLength": 1000}},
                    ("rules", "reason"))
VERSION = {"type": "object", "properties": {"version": s.INT, "reason": s.STR, "changed_at": s.STR,
                                            "changed_by": s.nullable(s.STR)}}
RULES_OUT = {"type": "object", "required": ["version", "rules", "versions"],
             "properties": {"version": s.INT, "rules": RULES, "versions": {"type": "array", "items": VERSION}}}


@api.operation("/alerts", "GET", summary="Alerts, highest priority first (active = not yet cleared)",
               response=s.page_of(s.ref("Alert")), errors=(422,),
               query={"state": {"enum": ["active", "all"]}, "session_id": {"type": "integer", "minimum": 0}}
               | s.PAGE_QUERY)
def list_alerts():
    state, session_id = request.args.get("state", "active"), int_arg("session_id")
    return page_of("alerts", lambda after, limit: lists.alert_page(store().db, state, session_id, after, limit))


@api.operation("/alerts/<int:alert_id>/acknowledge", "POST", summary="Acknowledge an alert, with a comment",
               roles=RECORDERS, body=ACKNOWLEDGE_IN, response=s.ref("Alert"), errors=(404, 409))
def acknowledge_alert(alert_id, body):
    with writing() as tx:
        alert = alerts.acknowledge(tx, alert_id, body.get("comment"))
    return jsonify(alert)


@api.operation("/alerts/<int:alert_id>/silence", "POST", summary="Silence an alert's audio for at most 10 minutes",
               roles=RECORDERS, body=SILENCE_IN, response=s.ref("Alert"), errors=(404, 409))
def silence_alert(alert_id, body):
    with writing() as tx:
        alert = alerts.silence(tx, alert_id, body["minutes"])
    return jsonify(alert)


@api.operation("/alert-rules", "GET", summary="The alert thresholds in force and every earlier version",
               response=RULES_OUT)
def get_alert_rules():
    return jsonify(rules_in_force())


@api.operation("/alert-rules", "PUT", summary="Change the alert thresholds (clinician or admin, with a reason)",
               roles=REVIEWERS, body=RULES_IN, response=RULES_OUT)
def put_alert_rules(body):
    with writing() as tx:
        rulesets.replace(tx, body["rules"], body["reason"])
    return jsonify(rules_in_force())


def rules_in_force() -> dict:
    db = store().db
    return {"version": rulesets.current_version(db), "rules": rulesets.in_force(db),
            "versions": rulesets.versions(db)}
