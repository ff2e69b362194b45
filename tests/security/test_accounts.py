"""Accounts at the edges (issue 10 point 15): no redirect off the site after sign-in, no look-alike user
names, no password of spaces, and the last active admin stays."""
from __future__ import annotations

import json
import sqlite3

import pytest

from monitor.record import users
from monitor.store.db import SYSTEM
from tests.helpers import PASSWORDS, counts, csrf_token, sign_in


@pytest.mark.parametrize("target", ["/%09/evil.example", "//evil.example", "/%5Cevil.example", "/%0A/evil.example",
                                    "https://evil.example/", "/%20/evil.example"])
def test_sign_in_never_redirects_off_the_site(client, target):
    response = client.post(f"/login?next={target}", data={
        "username": "nurse", "password": PASSWORDS["nurse"], "csrf_token": csrf_token(client)})
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_sign_in_still_returns_to_the_page_asked_for(client):
    response = client.post("/login?next=/sessions/3%3Ftab%3Dvitals", data={
        "username": "nurse", "password": PASSWORDS["nurse"], "csrf_token": csrf_token(client)})
    assert response.headers["Location"] == "/sessions/3?tab=vitals"


LOOK_ALIKES = {"zero-width space": "nurse\u200b", "right-to-left mark": "\u200fnurse", "Cyrillic a": "nurs\u0435",
               "space inside": "nur se", "control character": "nurse\x07"}


@pytest.mark.parametrize("name", LOOK_ALIKES)
def test_a_look_alike_user_name_is_refused_and_changes_nothing(api, db_path, name):
    before = counts(db_path)
    response = api.post("/api/users", {"username": LOOK_ALIKES[name], "role": "admin",
                                       "password": "look-alike-password-1"}, role="admin")
    assert response.status_code == 422
    assert response.get_json()["error"]["fields"] == {"username": "letters a-z, digits, . _ - only"}
    assert counts(db_path) == before


@pytest.mark.parametrize("variant", ["Nurse", "NURSE", "nurse ", " nurse", "ｎｕｒｓｅ"])
def test_a_case_or_space_or_width_variant_is_the_same_user(api, db_path, variant):
    """Kept canonical: the variant cannot be added as a second user, and signs in as the first."""
    before = counts(db_path)
    response = api.post("/api/users", {"username": variant, "role": "admin", "password": "variant-password-1"},
                        role="admin")
    assert (response.status_code, response.get_json()["error"]["code"]) == (409, "conflict")
    assert counts(db_path) == before


def test_a_variant_of_the_name_signs_in_as_that_user(client):
    response = client.post("/login", data={"username": "Nurse ", "password": PASSWORDS["nurse"],
                                           "csrf_token": csrf_token(client)})
    assert response.status_code == 302
    assert client.get("/api/me").get_json()["username"] == "nurse"


@pytest.mark.parametrize("password", [" " * 8, " " * 12, "\t" * 9, "  ab  cd  "])
def test_a_password_of_spaces_is_refused(api, db_path, password):
    before = counts(db_path)
    response = api.post("/api/users", {"username": "nurse2", "role": "nurse", "password": password}, role="admin")
    assert response.status_code == 422
    assert "password" in response.get_json()["error"]["fields"]
    assert counts(db_path) == before


def test_the_last_active_admin_cannot_disable_itself(api, db_path, store):
    admin = users.by_name(store.db, "admin")
    before = counts(db_path)
    response = api.post(f"/api/users/{admin['id']}", {"disabled": True}, role="admin")
    assert response.status_code == 409
    assert response.get_json()["error"]["message"] == ("the last active admin cannot be disabled: make another "
                                                       "user admin first")
    assert counts(db_path) == before
    assert api.get("/api/me", role="admin").status_code == 200


def test_with_a_second_admin_one_may_be_disabled(api, store):
    with store.write(SYSTEM) as tx:
        users.add(tx, "admin2", "admin", "second-admin-password")
    admin = users.by_name(store.db, "admin")
    assert api.post(f"/api/users/{admin['id']}", {"disabled": True}, role="admin").status_code == 200


def list_reads(db_path) -> list[tuple]:
    db = sqlite3.connect(db_path)
    try:
        return [(entity, actor, json.loads(after)) for entity, actor, after in db.execute(
            "SELECT entity, actor, after FROM audit WHERE action = 'read.list' ORDER BY id")]
    finally:
        db.close()


def test_bulk_reads_that_show_names_and_mrns_are_audited(api, client, db_path):
    """Issue 10 point 15: patient search, session lists and the REMS list said nothing in the audit trail."""
    patient = api.patient(mrn="BULK-7", family_name="Quist")
    session = api.session(patient_id=patient["id"], drug="esketamine", route="intranasal", dose_mg=56)
    assert api.get("/api/patients?q=Quist").status_code == 200
    assert api.get("/api/sessions?state=all", role="clinician").status_code == 200
    assert api.get("/api/rems", role="clinician").status_code == 200
    sign_in(client, "nurse")
    assert client.get("/sessions").status_code == 200
    assert client.get("/rems").status_code == 200
    reads = list_reads(db_path)
    assert [(entity, actor) for entity, actor, _ in reads] == [
        ("patients", "nurse"), ("sessions", "clinician"), ("rems", "clinician"), ("sessions", "nurse"),
        ("rems", "nurse")]
    assert reads[0][2] == {"query": {"q": "Quist"}, "ids": [patient["id"]]}
    assert session["id"] in reads[1][2]["ids"] and session["id"] in reads[3][2]["ids"]


def test_a_user_named_before_names_were_canonical_still_signs_in(tmp_path):
    """A database whose migrations stopped before user names were kept canonical, with an "Alice " in it."""
    from monitor.store import migrations
    from tests.helpers import open_store

    path = tmp_path / "old.db"
    store = open_store(path)
    version = migrations.MIGRATIONS.index(migrations.CANONICAL_USERNAMES)  # the migrations before it
    for script in migrations.MIGRATIONS[:version]:
        for statement in migrations.split_statements(script):
            store.db.execute(statement)
    store.db.execute(f"PRAGMA user_version={version}")
    store.db.execute("INSERT INTO users (username, role, password_hash, disabled, created_at) VALUES"
                     " ('Alice ', 'nurse', ?, 0, '2026-01-01T00:00:00.000Z')", (users.hasher.hash("alice-password-1"),))
    store.migrate()
    assert users.check_password(store.db, "Alice", "alice-password-1")["username"] == "alice"
    store.close()
