"""The clinic's reports as data: the alarm review (clinicians, admins)."""
from __future__ import annotations

from flask import jsonify

from ...views import alarms, outcome_report
from ..context import report_window
from . import schemas as s
from .common import REVIEWERS, api, int_arg, store

WINDOW = {"from": {"type": "string", "description": "ISO 8601; default 7 days before `to`"},
          "to": {"type": "string", "description": "ISO 8601; default now"}}
FIGURES = {"type": "object", "properties": {
    "alarms": s.INT, "per_session": s.nullable({"type": "number"}), "acknowledged": s.INT,
    "acknowledged_percent": {"type": "number"}, "acknowledge_seconds": {"type": "object"},
    "silences": s.INT, "reraises": s.INT, "self_cleared": s.INT, "self_cleared_percent": {"type": "number"}}}
REVIEW_OUT = {"type": "object", "required": ["from", "to", "sessions", "alarms", "review", "rules", "versions"],
              "properties": {"from": s.STR, "to": s.STR, "sessions": s.INT, "alarms": s.INT,
                             "review": {"type": "array", "items": {"type": "object"}},
                             "rules": {"type": "array", "items": FIGURES},
                             "versions": {"type": "array", "items": FIGURES}}}


@api.operation("/reports/alarms", "GET", summary="Alarm review for a window: per rule and priority, and per"
               " rule-set version (clinician, admin)", roles=REVIEWERS, response=REVIEW_OUT, query=WINDOW)
def alarm_review():
    start, end = report_window()
    return jsonify(alarms.alarm_review(store().db, start, end))


@api.operation("/reports/outcomes", "GET", summary="The courses' outcomes: response and remission after infusions"
               " 2, 4 and 6, the retention funnel, the median change by indication", response={
                   "type": "object", "required": ["since", "patients", "after_infusions", "funnel",
                                                  "change_by_indication"]},
               query={"weeks": {"type": "integer", "minimum": 1, "maximum": 520}}, errors=(400,))
def clinic_outcomes():
    weeks = int_arg("weeks", 26, 1, 520)
    return jsonify(outcome_report.outcome_report(store().db, store().now(), weeks))
