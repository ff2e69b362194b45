"""Size limits: a JSON body or form over 1 MiB, or an upload over 16 MiB, is refused with 413 and
changes nothing; an upload may be larger than a JSON body."""
from __future__ import annotations

import io

import pytest

from monitor.config import Config
from tests.helpers import counts

from .routes import api_operations, fill, seeded_ids

MIB = 1024 * 1024
UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


def test_the_limits_are_one_mib_for_bodies_and_sixteen_for_uploads():
    assert (Config().max_request_bytes, Config().max_upload_bytes) == (MIB, 16 * MIB)


def assert_too_large(response, limit: int) -> None:
    assert response.status_code == 413
    assert response.get_json() == {"error": {"code": "too_large", "fields": {},
                                             "message": f"the body is over the size limit of {limit} bytes"}}


def test_every_write_refuses_a_json_body_over_the_limit_and_writes_nothing(app, api, store, sentinel_session,
                                                                          db_path):
    ids = seeded_ids(store, sentinel_session)
    document = api.get("/api/openapi.json").get_json()
    body = b'{"note": "' + b"x" * MIB + b'"}'
    before = counts(db_path)
    writes = 0
    for method, path, _ in api_operations(document):
        if method not in UNSAFE:
            continue
        role = "admin" if path.startswith("/api/users") else "clinician"
        response = api.client.open(fill(path, ids), method=method, data=body, content_type="application/json",
                                   headers={"Authorization": f"Bearer {api.tokens[role]}"})
        assert_too_large(response, MIB)
        writes += 1
    assert counts(db_path) == before
    assert writes >= 14


def test_a_json_body_just_under_the_limit_is_read(api, sentinel_session):
    sid = sentinel_session["session"]["id"]
    note = "x" * (MIB - 200)
    response = api.post(f"/api/sessions/{sid}/notes", {"kind": "note", "text": note})
    assert response.status_code == 400  # read and checked: the note is over its 5000 characters
    assert response.get_json()["error"]["fields"] == {"text": response.get_json()["error"]["fields"]["text"]}


def test_a_form_over_the_limit_is_refused(client):
    response = client.post("/login", data={"username": "nurse", "password": "x" * (MIB + 10)})
    assert_too_large(response, MIB)


def upload(client, size):
    """A multipart form with a file, posted where the form is read (the login form reads it for CSRF)."""
    return client.post("/login", data={"username": "nurse", "file": (io.BytesIO(b"a" * size), "big.csv")},
                       content_type="multipart/form-data")


def test_an_upload_may_be_larger_than_a_json_body_but_not_over_sixteen_mib(client, db_path):
    before = counts(db_path)
    under = upload(client, 2 * MIB)
    assert under.status_code == 403  # read past the size check, then refused for its missing CSRF token
    assert_too_large(upload(client, 16 * MIB + 1), 16 * MIB)
    assert counts(db_path) == before


HOSTILE = {
    "nested 100,000 deep": ("/api/patients", '{"mrn":' * 100_000 + "1" + "}" * 100_000, "body"),
    "a lone surrogate in a name": ("/api/patients", '{"mrn": "H-1", "family_name": "Okafor\\ud800", '
                                   '"given_name": "Grace", "birth_date": "1979-03-14"}', "family_name"),
    "an id of 2^63": ("/api/sessions", '{"patient_id": 9223372036854775808, "chair": "1", "drug": "ketamine", '
                      '"route": "iv"}', "patient_id"),
    "a float past what a double holds": ("/api/patients", '{"mrn": "H-2", "family_name": "Okafor", '
                                         '"given_name": "Grace", "birth_date": "1979-03-14", "weight_kg": 1e400}',
                                         "weight_kg"),
}


@pytest.mark.parametrize("name", HOSTILE)
def test_a_hostile_json_body_is_a_clean_400_that_changes_nothing(api, db_path, name):
    """Issue 10 point 7 (each was a 500): refused where the body is parsed, before any route reads it.
    Every JSON operation gets the same bodies in tests/security/test_fuzz.py."""
    path, text, field = HOSTILE[name]
    before = counts(db_path)
    response = api.client.post(path, data=text, content_type="application/json",
                               headers={"Authorization": f"Bearer {api.tokens['nurse']}"})
    assert response.status_code == 400, response.get_data(as_text=True)
    error = response.get_json()["error"]
    assert error["code"] == "bad_request"
    assert field in error["fields"]
    assert counts(db_path) == before
