"""Fixtures of the security tests: a session whose patient data is a sentinel no other test uses."""
from __future__ import annotations

import pytest

# Patient identifiers that appear nowhere else, so finding one in a response or a log is a leak.
SENTINELS = {"family_name": "Quillfeather", "given_name": "Ottoline", "mrn": "SNTL-40417"}


@pytest.fixture
def sentinel_session(api):
    """A patient with sentinel identifiers and a session with vitals, a side effect and a note."""
    patient = api.patient(mrn=SENTINELS["mrn"], family_name=SENTINELS["family_name"],
                          given_name=SENTINELS["given_name"])
    session = api.session(patient_id=patient["id"])
    vitals = api.vitals(session["id"], {"hr": 82, "sbp": 128, "dbp": 80, "spo2": 98}).get_json()
    effect = api.post(f"/api/sessions/{session['id']}/side-effects", {"kind": "nausea", "severity": "mild"})
    api.post(f"/api/sessions/{session['id']}/notes", {"kind": "note", "text": "Quillfeather comfortable"})
    return {"patient": patient, "session": session, "vitals": vitals, "side_effect": effect.get_json()}
