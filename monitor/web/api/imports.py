"""File imports (CONTRACT.md §2): a thin door to `interop.imports`. An import's progress is kept in this
process for the page to poll while its upload is being stored.
"""
from __future__ import annotations

import re
import threading
import time

from flask import current_app, g, jsonify, request

from ...errors import BadRequest, NotFound
from ...interop import imports
from ...record import users
from . import schemas as s
from .common import RECORDERS, api, store, zone

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
    """A progress callback that posts to the board under `key` (none without a key); done or failed at the end.

    Each call also lets the server's other work run (`time.sleep(0)`: under gevent a yield to the other
    greenlets): a long import is checked and stored in this request, and the dashboards' sockets, the
    page polling its progress and the other requests must not wait for the end of it.
    """

    def __init__(self, key: str | None):
        self.key, self.board, self.user_id = key, board(), g.user["id"]

    def __enter__(self):
        if self.key is not None:
            self.board.forget_old()
        return self.report

    def report(self, stage: str, done: int, total: int) -> None:
        if self.key is not None:
            self.board.update(self.key, self.user_id, stage, done, total)
        time.sleep(0)

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


api.paths["/api/sessions/{session_id}/imports"]["post"]["responses"]["200"] = {
    "description": "dry run: the report with a preview; nothing stored",
    "content": {"application/json": {"schema": REPORT}}}
