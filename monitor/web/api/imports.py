"""Records in and out (CONTRACT.md §2): file imports, CSV and FHIR exports, the esketamine REMS form.

Thin doors: `imports`, `exports` and `rems` do the work. An import's progress is kept in this
process for the page to poll while its upload is being stored.
"""
from __future__ import annotations

import re
import threading
import time

from flask import Response, current_app, g, jsonify, request

from ...errors import BadRequest, NotFound
from ...interop import exports, imports
from ...record import users
from ...timeutil import clinical_time
from ...views import rems
from . import schemas as s
from .common import RECORDERS, api, audited_read, int_arg, store, writing, zone

FORM_FIELDS = ("file", "format", "dry_run", "skip_invalid", "confirm", "align_start", "progress_id")
PROGRESS_ID = re.compile(r"[A-Za-z0-9_-]{8,64}")
PROGRESS_KEPT_SECONDS = 600

PROBLEM = s.strict({"where": s.STR, "field": s.STR, "message": s.STR}, ("where", "field", "message"))
REPORT = {"type": "object", "required": ["format", "imported", "duplicates", "first_taken_at", "last_taken_at",
                                         "skipped", "rejected"],
          "properties": {
              "format": {"enum": ["csv", "hl7", "fhir"]}, "source": s.STR, "imported": s.INT, "duplicates": s.INT,
              "first_taken_at": s.nullable(s.STR), "last_taken_at": s.nullable(s.STR),
              "skipped": {"type": "array", "items": s.strict({"where": s.STR, "reason": s.STR}, ("where", "reason"))},
              "rejected": {"type": "array", "items": PROBLEM}, "rejected_count": s.INT,
              "unusual": {"type": "array", "items": PROBLEM}, "unusual_count": s.INT,
              "date_only": s.nullable({"type": "object"}), "align_start": s.nullable(s.STR), "dry_run": s.BOOL,
              "preview": {"type": "array", "items": {"type": "object"}, "description": "dry run: the first readings"},
              "refused": s.nullable({"type": "object", "description": "dry run: the error a real import would get"}),
          }}
FLAG = {"type": "string", "enum": ["true", "false"]}
IMPORT_FORM = {
    "type": "object", "x-multipart": True, "additionalProperties": False, "required": ["file"],
    "properties": {
        "file": {"type": "string", "format": "binary", "description": "a CSV, HL7 v2 or FHIR R4 (JSON or XML) file"},
        "format": {"enum": ["csv", "hl7", "fhir"], "description": "detected from the content when not given"},
        "dry_run": FLAG | {"description": "answer the report (200) and a preview, store nothing"},
        "skip_invalid": FLAG | {"description": "store the valid readings even when some values are rejected"},
        "confirm": FLAG | {"description": "store unusual values (CLINICAL.md §2) too"},
        "align_start": s.TIME | {"description": "move every time so the first reading lands here (de-identified "
                                                "files)"},
        "progress_id": {"type": "string", "pattern": "^[A-Za-z0-9_-]{8,64}$",
                        "description": "a key to poll GET /api/imports/progress with while the import runs"},
    }}
PROGRESS = s.strict({"stage": {"enum": ["reading", "checking", "storing", "done", "failed"]}, "done": s.INT,
                     "total": s.INT}, ("stage", "done", "total"))
REMS_FORM = {"type": "object", "required": ["session_id", "dose", "blood_pressure", "total_monitored_minutes",
                                            "ready_to_leave_minutes", "due_date", "submission"]}
SUBMITTED_IN = s.strict({"submitted_at": s.nullable(s.TIME),
                         "reference": s.nullable({"type": "string", "maxLength": 100})})
CSV_DESCRIPTION = "CSV columns: " + "; ".join(f"{name} ({meaning})" for name, meaning in exports.CSV_COLUMNS)


# Import

@api.operation("/sessions/<int:session_id>/imports", "POST", summary="Import observations from a file "
               "(CSV, HL7 v2 ORU^R01, FHIR R4); 201 with the report, 200 for a dry run", roles=RECORDERS,
               body=IMPORT_FORM, raw_body=True, response=REPORT, status=201, errors=(404, 409, 413))
def import_file(session_id):
    fields = form_fields()
    upload = request.files.get("file")
    if upload is None:
        raise BadRequest("send the file as the multipart/form-data file field 'file'", {"file": "is required"})
    data = upload.read()
    options = imports.options_from(fields, zone=zone(), now=store().now())
    with ProgressTracking(fields.get("progress_id")) as progress:
        report = imports.run(store(), session_id, data, actor=users.actor_for(g.user), zone=zone(),
                             options=options, progress=progress)
    return jsonify(report), 200 if options.dry_run else 201


def form_fields() -> dict[str, str]:
    """The import form's text fields; an unknown one, or one given twice, is a bad request."""
    unknown = sorted((set(request.form) | set(request.files)) - set(FORM_FIELDS))
    if unknown:
        raise BadRequest(f"unknown form fields: {', '.join(unknown)}", dict.fromkeys(unknown, "unknown field"))
    if "file" in request.form:
        raise BadRequest("send the file as a file part, not as text", {"file": "must be a file"})
    for name in request.form:
        if len(request.form.getlist(name)) > 1:
            raise BadRequest(f"{name} is given more than once", {name: "given more than once"})
    fields = request.form.to_dict()
    for name in ("dry_run", "skip_invalid", "confirm"):
        if name in fields and fields[name] not in FLAG["enum"]:
            raise BadRequest(f"{name} must be true or false", {name: "must be true or false"})
    if "progress_id" in fields and not PROGRESS_ID.fullmatch(fields["progress_id"]):
        raise BadRequest("progress_id must be 8 to 64 letters, digits, - or _", {"progress_id": "bad format"})
    return fields


class ProgressBoard:
    """The progress of the imports running in this process, by the key their page chose."""

    def __init__(self):
        self.lock = threading.Lock()
        self.entries: dict[str, dict] = {}

    def update(self, key: str, user_id: int, stage: str, done: int, total: int) -> None:
        with self.lock:
            self.entries[key] = {"user": user_id, "stage": stage, "done": done, "total": total, "at": time.monotonic()}

    def get(self, key: str, user_id: int) -> dict | None:
        with self.lock:
            found = self.entries.get(key)
        if found is None or found["user"] != user_id:
            return None
        return {k: found[k] for k in ("stage", "done", "total")}

    def forget_old(self) -> None:
        cutoff = time.monotonic() - PROGRESS_KEPT_SECONDS
        with self.lock:
            for key in [k for k, v in self.entries.items() if v["at"] < cutoff]:
                del self.entries[key]


def board() -> ProgressBoard:
    return current_app.extensions.setdefault("monitor.import_progress", ProgressBoard())


class ProgressTracking:
    """A progress callback that posts to the board under `key` (none without a key); done or failed at the end."""

    def __init__(self, key: str | None):
        self.key, self.board, self.user_id = key, board(), g.user["id"]

    def __enter__(self):
        if self.key is None:
            return imports.no_progress
        self.board.forget_old()
        return lambda stage, done, total: self.board.update(self.key, self.user_id, stage, done, total)

    def __exit__(self, kind, error, trace):
        if self.key is not None:
            found = self.board.get(self.key, self.user_id) or {"done": 0, "total": 0}
            self.board.update(self.key, self.user_id, "failed" if kind else "done", found["done"], found["total"])
        return False


@api.operation("/imports/progress", "GET", summary="How far the caller's running import (by its progress_id) is",
               roles=RECORDERS, response=PROGRESS, query={"id": {"type": "string"}}, errors=(400, 404))
def import_progress():
    key = request.args.get("id", "")
    if not PROGRESS_ID.fullmatch(key):
        raise BadRequest("id must be the progress_id sent with the import", {"id": "bad format"})
    found = board().get(key, g.user["id"])
    if found is None:
        raise NotFound("no import with this progress id (yet)")
    return jsonify(found)


# Export

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
api.paths["/api/sessions/{session_id}/imports"]["post"]["responses"]["200"] = {
    "description": "dry run: the report with a preview; nothing stored",
    "content": {"application/json": {"schema": REPORT}}}


# The esketamine REMS Patient Monitoring Form

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
        rems.mark_submitted(tx, session_id, at, body.get("reference"))
    return jsonify(rems.monitoring_form(store().db, session_id, store().now()))


@api.operation("/rems", "GET", summary="Esketamine sessions whose REMS form is not yet marked submitted",
               response=s.list_of("sessions", {"type": "object"}), query={"limit": {"type": "integer", "minimum": 1}},
               errors=(400,))
def list_rems_pending():
    limit = int_arg("limit", 500, 1, 5000)
    return jsonify({"sessions": rems.pending(store().db, store().now())[:limit]})
