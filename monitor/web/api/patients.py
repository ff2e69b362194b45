"""Patients: add, search, and one patient with their treatment series."""
from __future__ import annotations

from flask import jsonify, request

from ...record import patients
from ...views import course, lists
from . import schemas as s
from .common import RECORDERS, api, audited_read, page_of, store, writing


@api.operation("/patients", "POST", summary="Add a patient", roles=RECORDERS + ("admin",),
               body=s.PATIENT_IN, response=s.ref("Patient"), status=201, errors=(409,))
def create_patient(body):
    with writing() as tx:
        patient = patients.create(tx, body)
    return jsonify(patient), 201


@api.operation("/patients", "GET", summary="Search patients by MRN or name, by family name, a page at a time",
               response=s.page_of(s.ref("Patient")), query={"q": {"type": "string"}} | s.PAGE_QUERY)
def search_patients():
    query = request.args.get("q", "")
    return page_of("patients", lambda after, limit: lists.patient_page(store().db, query, after, limit))


@api.operation("/patients/<int:patient_id>", "GET", summary="One patient with their course: the treatment series, "
               "each outcome measure across it (baseline, change, response, remission), and whether they returned",
               response={"allOf": [s.ref("Patient"), {"type": "object",
                                                      "required": ["sessions", "outcomes", "summary", "course"]}]},
               errors=(404,))
def get_patient(patient_id):
    series = course.course(store().db, patient_id, store().now())
    audited_read("patient", patient_id)
    return jsonify(series)
