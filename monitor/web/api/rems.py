"""The esketamine REMS Patient Monitoring Form: read it, mark it submitted, list the forms still due."""
from __future__ import annotations

from flask import jsonify

from ...record import rems as rems_record
from ...timeutil import clinical_time
from ...views import rems
from ..context import rems_provider
from . import schemas as s
from .common import RECORDERS, api, audited_read, page_of, store, writing, zone

REMS_FORM = {"type": "object", "required": ["session_id", "dose", "blood_pressure", "total_monitored_minutes",
                                            "ready_to_leave_minutes", "due_date", "submission"]}
ANSWERS_IN = s.strict({
    "enrolled_in_rems": {"type": "boolean"},
    "dose_mg": {"type": "number", "description": "only when the session holds no dose"},
    "lot_number": {"type": "string", "minLength": 1, "maxLength": 100,
                   "description": "only when the session holds no lot number"},
    "ready_to_leave_minutes": {"type": "number", "description": "only when the session has no ready time"},
})
SUBMITTED_IN = s.strict({"submitted_at": s.nullable(s.TIME),
                         "reference": s.nullable({"type": "string", "maxLength": 100})})


@api.operation("/sessions/<int:session_id>/rems", "GET", summary="The REMS Patient Monitoring Form of an "
               "esketamine session", response=REMS_FORM, errors=(404,))
def get_rems_form(session_id):
    form = form_of(session_id)
    audited_read("rems_form", session_id, session_id)
    return jsonify(form)


def form_of(session_id: int) -> dict:
    return rems.monitoring_form(store().db, session_id, store().now(), rems_provider())


@api.operation("/sessions/<int:session_id>/rems/answers", "POST", summary="Answer what the REMS form asks "
               "because the record cannot know it (enrolment; dose, lot or readiness when the session lacks them)",
               roles=RECORDERS, body=ANSWERS_IN, response=REMS_FORM, errors=(404, 409))
def answer_rems_form(session_id, body):
    with writing() as tx:
        known = rems.monitoring_form(tx.db, session_id, tx.now)["known"]
        rems_record.answer(tx, session_id, body, set(known))
    return jsonify(form_of(session_id))


@api.operation("/sessions/<int:session_id>/rems/submitted", "POST", summary="Mark the session's REMS form "
               "submitted (once)", body=SUBMITTED_IN, response=REMS_FORM, errors=(404, 409))
def mark_rems_submitted(session_id, body):
    with writing() as tx:
        at = clinical_time(body.get("submitted_at"), "submitted_at", zone(), tx.now)
        rems_record.mark_submitted(tx, session_id, at, body.get("reference"))
    return jsonify(form_of(session_id))


@api.operation("/rems", "GET", summary="Esketamine sessions whose REMS form is not yet marked submitted",
               response=s.page_of({"type": "object"}), query=s.PAGE_QUERY, errors=(400,))
def list_rems_pending():
    return page_of("rems", lambda after, limit: rems.pending(store().db, store().now(), after, limit))
