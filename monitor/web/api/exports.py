"""Exports (CONTRACT.md §2): a session's vitals as CSV, or its record as a FHIR R4 Bundle."""
from __future__ import annotations

from flask import Response, request

from ...errors import BadRequest
from ...interop import exports
from ...views import course
from .common import api, store, writing

CSV_DESCRIPTION = "CSV columns: " + "; ".join(f"{name} ({meaning})" for name, meaning in exports.CSV_COLUMNS)


@api.operation("/sessions/<int:session_id>/export", "GET", summary="Export a session: CSV of its vitals, or a "
               "FHIR R4 Bundle (application/fhir+json)", response={"type": "string", "description": CSV_DESCRIPTION},
               content_type="text/csv", query={"format": {"enum": ["csv", "fhir"]}}, errors=(400, 404))
def export_session(session_id):
    chosen = request.args.get("format", "csv")
    if chosen not in exports.FORMATS:
        raise BadRequest("format must be csv or fhir", {"format": "must be csv or fhir"})
    text, media_type = exports.export(store().db, session_id, chosen, store().now())
    with writing() as tx:
        tx.audit("export", "session", session_id, session_id=session_id, after={"format": chosen})
    extension = "csv" if chosen == "csv" else "fhir.json"
    return Response(text, mimetype=media_type.split(";")[0], headers={
        "Content-Disposition": f'attachment; filename="session-{session_id}.{extension}"'})


api.paths["/api/sessions/{session_id}/export"]["get"]["responses"]["200"]["content"]["application/fhir+json"] = {
    "schema": {"type": "object", "description": "a FHIR R4 Bundle of type collection"}}


@api.operation("/patients/<int:patient_id>/export", "GET", summary="Export a patient's course as CSV: one row "
               "per infusion with each outcome measure's total, band, change, response and remission",
               response={"type": "string", "description": "CSV columns: " + ", ".join(exports.course_fields())},
               content_type="text/csv", errors=(404,))
def export_course(patient_id):
    text = exports.course_csv(course.course(store().db, patient_id, store().now()))
    with writing() as tx:
        tx.audit("export", "patient", patient_id, after={"format": "csv", "what": "course"})
    return Response(text, mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="course-{patient_id}.csv"'})
