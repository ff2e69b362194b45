"""The esketamine REMS Patient Monitoring Form: read it, mark it submitted, list the forms still due."""
from __future__ import annotations

from flask import jsonify

from ...record import rems as rems_record
from ...timeutil import clinical_time
from ...views import rems
from . import schemas as s
from .common import api, audited_read, page_of, store, writing, zone

REMS_FORM = {"type": "object", "required": ["session_id", "dose", "blood_pressure", "total_monitored_minutes",
                                            "ready_to_leave_minutes", "due_date", "submission"]}
SUBMITTED_IN = s.strict({"submitted_at": s.nullable(s.TIME),
                         "reference": s.nullable({"type": "string", "maxLength": 100})})


@api.operation("/sessions/<int:session_id>/rems", "GET", summary="The REMS Patient Monitoring Form of an "
               "esketamine session", response=REMS_FORM, errors=(404,))
def get_rems_form(session_id):
    form = rems.monitoring_form(store().db, session_id, store().now())
    audited_read("rems_form", session_id, session_id)
    return jsonify(form)


@api.operation("/sessions/<int:session_id>/rems/submitted", "POST", summary="Mark the session's REMS form "
               "submitted (once)", body=SUBMITTED_IN, response=REMS_FORM, errors=(404, 409))
def mark_rems_submitted(session_id, body):
    with writing() as tx:
        at = clinical_time(body.get("submitted_at"), "submitted_at", zone(), tx.now)
        rems_record.mark_submitted(tx, session_id, at, body.get("reference"))
    return jsonify(rems.monitoring_form(store().db, session_id, store().now()))


@api.operation("/rems", "GET", summary="Esketamine sessions whose REMS form is not yet marked submitted",
               response=s.page_of({"type": "object"}), query=s.PAGE_QUERY, errors=(400,))
def list_rems_pending():
    return page_of("rems", lambda after, limit: rems.pending(store().db, store().now(), after, limit))
