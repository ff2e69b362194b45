"""Patients: who is treated. The MRN is unique; every read of a record is audited."""
from __future__ import annotations

from datetime import date

from sqlite_utils import Database

from ..errors import Conflict, NotFound, ValidationFailed
from ..rules import validation
from ..store.db import Transaction
from ..timeutil import iso

COLUMNS = ("id", "mrn", "family_name", "given_name", "birth_date", "sex", "weight_kg", "created_at")
SEXES = ("female", "male", "other", "unknown")


def create(tx: Transaction, body: dict) -> dict:
    mrn = body["mrn"].strip()
    problems = {}
    if not mrn:
        problems["mrn"] = "is required"
    for name in ("family_name", "given_name"):
        if not body[name].strip():
            problems[name] = "is required"
    try:
        born = date.fromisoformat(body["birth_date"])
        if born > tx.now.date() or born.year < 1900:
            problems["birth_date"] = "is not a plausible birth date"
    except ValueError:
        problems["birth_date"] = "must be a date YYYY-MM-DD"
    if body.get("sex") is not None and body["sex"] not in SEXES:
        problems["sex"] = f"must be one of {', '.join(SEXES)}"
    weight = body.get("weight_kg")
    if problem := validation.weight_problem(weight):
        problems["weight_kg"] = problem
    if problems:
        raise ValidationFailed("the patient has invalid values", problems)
    if tx.execute("SELECT 1 FROM patients WHERE mrn = ?", (mrn,)).fetchone():
        raise Conflict("a patient with this MRN exists", {"mrn": "already exists"})
    row = {"mrn": mrn, "family_name": body["family_name"].strip(), "given_name": body["given_name"].strip(),
           "birth_date": body["birth_date"], "sex": body.get("sex"), "weight_kg": weight,
           "created_at": iso(tx.now), "created_by": tx.actor.user_id}
    patient_id = tx.insert("patients", row)
    patient = get(tx.db, patient_id)
    tx.audit("patient.create", "patient", patient_id, after=patient)
    return patient


def get(db: Database, patient_id: int) -> dict:
    row = db.execute(f"SELECT {', '.join(COLUMNS)} FROM patients WHERE id = ?", (patient_id,)).fetchone()
    if not row:
        raise NotFound(f"no patient {patient_id}")
    return dict(zip(COLUMNS, row))


def initials(patient: dict) -> str:
    return f"{patient['given_name'][:1]}{patient['family_name'][:1]}".upper()
