"""Helpers shared by the security tests: signing in through the form, sentinel patient data."""
from __future__ import annotations

import re

import pytest

from ..conftest import PASSWORDS

CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')
CSRF_META = re.compile(r'name="csrf-token" content="([^"]+)"')
# Patient identifiers that appear nowhere else, so finding one in a response or a log is a leak.
SENTINELS = {"family_name": "Quillfeather", "given_name": "Ottoline", "mrn": "SNTL-40417"}


def csrf_token(client, path: str = "/login") -> str:
    """The CSRF token a page hands the browser (the login form field or the meta tag)."""
    html = client.get(path).get_data(as_text=True)
    found = CSRF_FIELD.search(html) or CSRF_META.search(html)
    assert found, f"no CSRF token on {path}"
    return found.group(1)


def sign_in(client, username: str, password: str | None = None):
    """Post the login form as a browser would; returns the response."""
    password = PASSWORDS.get(username, "") if password is None else password
    return client.post("/login", data={"username": username, "password": password,
                                       "csrf_token": csrf_token(client)})


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
